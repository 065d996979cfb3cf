package acs

import (
	"context"
	"crypto/subtle"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
	"mysystems/internal/org"
)

// The use cases of the servers themselves (/server/v1, served by the
// gateway): registration with an enrolment token, polls, upgrade results.

var (
	errBadEnroll = errs.E(errs.Unauthenticated, "err.server.enroll_bad")
	errBadToken  = errs.E(errs.Unauthenticated, "err.server.bad_token")
)

// serverActor is who a server's own actions are recorded as.
func serverActor(id string) audit.Actor {
	return audit.Actor{Kind: audit.KindSystem, ID: "server:" + id}
}

// Register enrols a new server with a single-use enrolment token (SRV-1)
// and returns its own long-lived token, stored hashed.
func (s *Service) Register(ctx context.Context, in device.ServerRegister) (device.ServerRegistered, error) {
	name, err := CheckName(in.Name)
	if err != nil {
		return device.ServerRegistered{}, err
	}
	v, err := ParseVersion(in.Version)
	if err != nil {
		return device.ServerRegistered{}, err
	}
	orgID, enrID, ok := splitToken(EnrollPrefix, in.EnrollmentToken)
	if !ok {
		return device.ServerRegistered{}, errBadEnroll
	}
	var out device.ServerRegistered
	err = s.store.Write(ctx, func(tx Tx) error {
		e, err := tx.ACSEnrollment(ctx, orgID, enrID)
		if errs.Is(err, errs.NotFound) {
			return errBadEnroll
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(e.TokenHash), []byte(account.HashSecret(in.EnrollmentToken))) != 1 {
			return errBadEnroll
		}
		now := s.clock.Now()
		switch {
		case e.UsedAt != nil:
			return errs.E(errs.Unauthenticated, "err.server.enroll_used")
		case !now.Before(e.ExpiresAt):
			return errs.E(errs.Unauthenticated, "err.server.enroll_expired")
		}
		o, err := tx.Org(ctx, orgID)
		if err != nil {
			return err
		}
		if o.Status != org.Active {
			return errBadEnroll
		}
		srv := Server{OrgID: orgID, ID: account.NewID("srv_"), Name: name, Version: v, PollEvery: s.cfg.Poll,
			EnrolledAt: now, LastPollAt: now, Alerts: Alerts{Offline: true, Online: true}}
		token := newToken(TokenPrefix, orgID, srv.ID)
		srv.TokenHash = account.HashSecret(token)
		if err := tx.CreateACSServer(ctx, srv); err != nil {
			return err
		}
		if err := tx.UseACSEnrollment(ctx, orgID, enrID, srv.ID, now); err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.E(errs.Unauthenticated, "err.server.enroll_used")
			}
			return err
		}
		out = device.ServerRegistered{ServerID: srv.ID, Token: token, PollSeconds: int(s.cfg.Poll / time.Second)}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: serverActor(srv.ID), Action: audit.ServerEnroll,
			TargetType: audit.TargetServer, TargetID: srv.ID, Details: map[string]any{"name": name, "version": v.String(), "enrollment": enrID}})
	})
	return out, err
}

// authenticate finds the server a token belongs to, in tx.
func authenticate(ctx context.Context, tx Tx, token string) (Server, error) {
	orgID, id, ok := splitToken(TokenPrefix, token)
	if !ok {
		return Server{}, errBadToken
	}
	srv, err := tx.ACSServer(ctx, orgID, id)
	if errs.Is(err, errs.NotFound) {
		return Server{}, errBadToken
	}
	if err != nil {
		return Server{}, err
	}
	if subtle.ConstantTimeCompare([]byte(srv.TokenHash), []byte(account.HashSecret(token))) != 1 {
		return Server{}, errBadToken
	}
	// An archived organization is read-only (ORG-4): its servers' reports
	// are refused.
	o, err := tx.Org(ctx, orgID)
	if err != nil {
		return Server{}, err
	}
	if o.Status != org.Active {
		return Server{}, errs.E(errs.Unauthenticated, "err.server.org_archived")
	}
	return srv, nil
}

// CheckPoll checks a poll's body (SRV-1) and returns its version and
// health.
func CheckPoll(in device.ServerPoll) (Version, Health, error) {
	v, err := ParseVersion(in.Version)
	if err != nil {
		return v, Health{}, err
	}
	h, err := CheckHealth(Health{CPUPercent: in.Health.CPUPercent, MemoryPercent: in.Health.MemoryPercent,
		StoragePercent: in.Health.StoragePercent, Recording: in.Health.Recording, Cameras: in.Health.Cameras,
		LastError: in.Health.LastError})
	return v, h, err
}

// CheckResult checks an upgrade result's body: a failure says why, and a
// version, when given, is one.
func CheckResult(in device.ServerUpgradeResult) (Version, string, error) {
	var v Version
	if in.Version != "" {
		var err error
		if v, err = ParseVersion(in.Version); err != nil {
			return v, "", err
		}
	}
	reason, err := CheckReason(in.Reason)
	if err != nil {
		return v, "", err
	}
	if !in.OK && reason == "" {
		return v, "", errs.InvalidField("reason", "err.server.reason_required")
	}
	return v, reason, nil
}

// Poll records a server's report (SRV-1) and answers the upgrade waiting
// for it, if any (SRV-2): a queued request is started by being picked up,
// and from then on cannot be canceled (SRV-3).
func (s *Service) Poll(ctx context.Context, token string, in device.ServerPoll) (device.ServerPollReply, error) {
	v, h, err := CheckPoll(in)
	if err != nil {
		return device.ServerPollReply{}, err
	}
	var out device.ServerPollReply
	err = s.store.Write(ctx, func(tx Tx) error {
		srv, err := authenticate(ctx, tx, token)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		back := srv.OfflineAt != nil
		srv.Version, srv.Health, srv.LastPollAt, srv.HealthAt, srv.OfflineAt = v, h, now, &now, nil
		if srv.SampledAt == nil || now.Sub(*srv.SampledAt) >= s.cfg.SampleEvery {
			if err := tx.AddACSSample(ctx, srv.OrgID, srv.ID, Sample{At: now, Health: h}); err != nil {
				return err
			}
			srv.SampledAt = &now
		}
		if err := tx.SaveACSPoll(ctx, srv); err != nil {
			return err
		}
		if back && srv.Alerts.Online {
			if err := s.alert(ctx, tx, srv, "server_online", now); err != nil {
				return err
			}
		}
		out.PollSeconds = int(srv.PollEvery / time.Second)
		open, err := tx.OpenACSUpgrades(ctx, srv.OrgID, srv.ID)
		if err != nil || len(open) == 0 {
			return err
		}
		u := open[0]
		if u.State == Started && v.Compare(u.Version) >= 0 {
			// The server runs the version it was upgrading to: it finished
			// but its result was lost (a restart before it reported).
			_, err := s.recordOutcome(ctx, tx, srv, u, true, v, "", now)
			return err
		}
		if u.State == Queued {
			u.State, u.StartedAt = Started, &now
			if err := tx.SaveACSUpgrade(ctx, u); err != nil {
				return err
			}
		}
		versions, err := tx.ACSVersions(ctx)
		if err != nil {
			return err
		}
		p := Published{Version: u.Version}
		for _, x := range versions {
			if x.Version.Compare(u.Version) == 0 {
				p = x
			}
		}
		out.Upgrade = &device.ServerUpgrade{ID: u.ID, Version: u.Version.String(), URL: s.downloadURL(p)}
		return nil
	})
	return out, err
}

// Result records the outcome of an upgrade the server picked up (SRV-3):
// succeeded with the version it now runs, or failed with the reason.
// Idempotent: a repeated result answers the outcome recorded first. A
// server that polls with the version it was upgrading to without having
// reported has succeeded too (Poll).
func (s *Service) Result(ctx context.Context, token, upgradeID string, in device.ServerUpgradeResult) (device.ServerResultReply, error) {
	v, reason, err := CheckResult(in)
	if err != nil {
		return device.ServerResultReply{}, err
	}
	var out device.ServerResultReply
	err = s.store.Write(ctx, func(tx Tx) error {
		srv, err := authenticate(ctx, tx, token)
		if err != nil {
			return err
		}
		u, err := tx.ACSUpgrade(ctx, srv.OrgID, upgradeID)
		if err == nil && u.ServerID != srv.ID {
			err = errs.NotFoundf("err.server.upgrade_not_found", upgradeID)
		}
		if err != nil {
			return err
		}
		switch u.State {
		case Succeeded, Failed:
			if !(u.State == Failed && u.ReasonKey == ReasonSilent && in.OK) {
				out = replyOf(u)
				return nil
			}
			// The portal gave the upgrade up for a silent server; the server
			// that reports success after all is believed.
		case Canceled:
			return errs.E(errs.Conflict, "err.server.result_canceled", u.Version.String())
		}
		srv.LastPollAt = s.clock.Now()
		u, err = s.recordOutcome(ctx, tx, srv, u, in.OK, v, reason, srv.LastPollAt)
		out = replyOf(u)
		return err
	})
	return out, err
}

// recordOutcome records how an upgrade ended (SRV-3): succeeded with the
// version the server now runs (v, else the one it was upgrading to), or
// failed with reason (the server keeping its version unless v says
// otherwise); the server's version follows, with an audit line.
func (s *Service) recordOutcome(ctx context.Context, tx Tx, srv Server, u Upgrade, ok bool, v Version, reason string, now time.Time) (Upgrade, error) {
	if ok {
		u.State, u.NewVersion, u.ReasonKey = Succeeded, u.Version, ""
	} else {
		u.State, u.Reason, u.NewVersion = Failed, reason, srv.Version
	}
	if !v.IsZero() {
		u.NewVersion = v
	}
	if u.StartedAt == nil {
		u.StartedAt = &now
	}
	u.DoneAt = &now
	if err := tx.SaveACSUpgrade(ctx, u); err != nil {
		return u, err
	}
	srv.Version = u.NewVersion
	if err := tx.SaveACSPoll(ctx, srv); err != nil {
		return u, err
	}
	d := map[string]any{"name": srv.Name, "from": u.FromVersion.String(), "to": u.Version.String(),
		"state": string(u.State), "new_version": u.NewVersion.String(), "upgrade": u.ID}
	if u.Reason != "" {
		d["reason"] = u.Reason
	}
	return u, tx.RecordAudit(ctx, audit.Entry{OrgID: srv.OrgID, At: now, Actor: serverActor(srv.ID), Action: audit.ServerUpgradeResult,
		TargetType: audit.TargetServer, TargetID: srv.ID, Details: d})
}

func replyOf(u Upgrade) device.ServerResultReply {
	reason := u.Reason
	if u.ReasonKey != "" {
		reason = i18n.Message{Key: u.ReasonKey, Args: []any{int(MaxInstall.Hours())}}.In("en")
	}
	return device.ServerResultReply{State: string(u.State), NewVersion: u.NewVersion.String(), Reason: reason}
}
