package acs

import (
	"context"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/mail"
)

// The periodic side of monitoring (SRV-1): a server silent for
// OfflineAfter poll intervals is offline, and its alert goes out once;
// samples older than the chart's 24 hours are dropped. Both run as
// periodic jobs (one instance at a time) and are idempotent: a server is
// marked offline in the same transaction as its alert mail is queued, and
// only if no run marked it first.

// offlineBatch bounds the servers one run marks offline; the rest wait
// for the next run.
const offlineBatch = 500

// DetectOffline marks the servers that went silent offline and queues
// their offline alert e-mails (per each server's alert settings). It
// returns how many it marked.
func (s *Service) DetectOffline(ctx context.Context) (int, error) {
	now := s.clock.Now()
	var silent []Server
	if err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		silent, err = tx.SilentACSServers(ctx, now, offlineBatch)
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, srv := range silent {
		err := s.store.Write(ctx, func(tx Tx) error {
			open, err := tx.OpenACSUpgrades(ctx, srv.OrgID, srv.ID)
			if err != nil {
				return err
			}
			var running *Upgrade
			if len(open) > 0 {
				running = &open[0]
			}
			if StatusAt(srv, running, now) != Offline {
				return nil // installing an upgrade: its silence is expected
			}
			if running != nil && running.State == Started {
				// It picked the upgrade up and never came back to say how it
				// ended: the upgrade failed (SRV-3), and the server may be
				// given another once it is back.
				if err := s.failSilent(ctx, tx, srv, *running, now); err != nil {
					return err
				}
			}
			marked, err := tx.MarkACSOffline(ctx, srv.OrgID, srv.ID, now)
			if err != nil || !marked {
				return err
			}
			n++
			if !srv.Alerts.Offline {
				return nil
			}
			return s.alert(ctx, tx, srv, "server_offline", srv.LastPollAt)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// PruneSamples drops the health samples older than the chart's 24 hours.
func (s *Service) PruneSamples(ctx context.Context) (int, error) {
	var n int
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		n, err = tx.PruneACSSamples(ctx, PruneBefore(s.clock.Now()))
		return err
	})
	return n, err
}

// alert queues an alert e-mail of kind ("server_offline", "server_online")
// about srv to its alert recipients, or to the organization's Owners and
// Admins when it names none, each in their language. at is when the server
// was last heard from (offline) or came back (online).
func (s *Service) alert(ctx context.Context, tx Tx, srv Server, kind string, at time.Time) error {
	if s.cfg.Compose == nil {
		return errs.E(errs.Internal, "no mail composer configured")
	}
	o, err := tx.Org(ctx, srv.OrgID)
	if err != nil {
		return err
	}
	var to []Recipient
	if len(srv.Alerts.Recipients) > 0 {
		langs, err := tx.UserLangs(ctx, srv.Alerts.Recipients)
		if err != nil {
			return err
		}
		for _, r := range srv.Alerts.Recipients {
			to = append(to, Recipient{Email: r, Lang: langs[strings.ToLower(r)]})
		}
	} else if to, err = tx.ACSAlertRecipients(ctx, srv.OrgID); err != nil {
		return err
	}
	for _, r := range to {
		lang := mail.Lang(r.Lang)
		msg, err := s.cfg.Compose(kind, lang, r.Email, map[string]string{
			"org": o.Name, "server": srv.Name, "at": mail.FormatTime(at, lang), "link": s.link(srv.OrgID, srv.ID),
			"minutes": strconv.Itoa(max(1, int(OfflineAfter*srv.PollEvery/time.Minute))),
		})
		if err != nil {
			return err
		}
		msg.OrgID = srv.OrgID
		if err := tx.EnqueueMail(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}

// failSilent ends an upgrade whose server stayed silent for MaxInstall
// after picking it up: failed, the server's version as the portal last
// knew it, with an audit line.
func (s *Service) failSilent(ctx context.Context, tx Tx, srv Server, u Upgrade, now time.Time) error {
	u.State, u.ReasonKey, u.NewVersion, u.DoneAt = Failed, ReasonSilent, srv.Version, &now
	if err := tx.SaveACSUpgrade(ctx, u); err != nil {
		return err
	}
	return tx.RecordAudit(ctx, audit.Entry{OrgID: srv.OrgID, At: now, Actor: audit.System("acs.detect_offline"),
		Action: audit.ServerUpgradeResult, TargetType: audit.TargetServer, TargetID: srv.ID,
		Details: map[string]any{"name": srv.Name, "from": u.FromVersion.String(), "to": u.Version.String(),
			"state": string(u.State), "new_version": u.NewVersion.String(), "upgrade": u.ID, "reason_key": u.ReasonKey,
			"hours": int(MaxInstall.Hours())}})
}
