package license

import (
	"context"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/mail"
	"mysystems/internal/org"
)

// DailyEvery is how often the daily job looks for work: it processes each
// product once per day, so running it hourly only bounds how late after
// midnight (UTC) a day's events happen.
const DailyEvery = time.Hour

// JobActor is who the daily job's history entries name.
var JobActor = Actor{Kind: audit.KindSystem, ID: "license.daily"}

// Recipient is a person the daily job's e-mails go to: an Owner or Admin
// of the organization, in their language.
type Recipient struct {
	Email string
	Lang  string
}

// jobTx is what the daily job needs of a store transaction, on top of the
// subscription use cases' methods.
type jobTx interface {
	// LicenseAccountsDue returns the organization and product pairs the
	// daily job has work for on day today: a started product not
	// processed up to today, or a lot whose expiry came and that is still
	// in the wallet (every active organization: a platform query).
	LicenseAccountsDue(ctx context.Context, today Date) ([]Account, error)
	// ExpireLicenseLot empties a lot on its expiry: quantity 0,
	// expired_at set.
	ExpireLicenseLot(ctx context.Context, orgID, id string, at time.Time) error
	// MarkLicenseNotice records that a reminder went out; false when it
	// had already (the reminder is not sent again).
	MarkLicenseNotice(ctx context.Context, orgID, notice string, at time.Time) (bool, error)
	// LicenseRecipients returns the e-mail and language of the
	// organization's Owners and Admins.
	LicenseRecipients(ctx context.Context, orgID string) ([]Recipient, error)
}

// SetMail gives the service what its reminders need: the portal's public
// URL (for links) and the composer of e-mails. Without it the daily job
// records its events and sends no e-mail.
func (s *Service) SetMail(baseURL string, compose org.Composer) {
	s.baseURL, s.compose = strings.TrimRight(baseURL, "/"), compose
}

// Daily runs the daily job (LIC-2, LIC-5, LIC-7): for every organization
// and product with work due it processes, in one transaction holding the
// organization's license lock, each day since the last one processed up to
// today (license.Advance), and applies each event only when its history
// entry (unique event key) is new: lots reaching their expiry leave the
// wallet, renewals record the year's need, status changes are recorded,
// and reminders go to the organization's Owners and Admins through the
// outbox, once each (license_notices). It returns how many products it
// processed; running it again the same day changes nothing.
func (s *Service) Daily(ctx context.Context) (int, error) {
	today := DateOf(s.clock.Now())
	var due []Account
	if err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		due, err = tx.LicenseAccountsDue(ctx, today)
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, a := range due {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if err := s.store.Write(ctx, func(tx Tx) error { return s.advance(ctx, tx, a, today) }); err != nil {
			return n, errs.Wrap(err, "license daily job "+a.Org+" "+a.Product)
		}
		n++
	}
	return n, nil
}

// advance processes one product of one organization up to today.
func (s *Service) advance(ctx context.Context, tx Tx, a Account, today Date) error {
	if err := tx.LockLicenses(ctx, a.Org); err != nil {
		return err
	}
	p, err := tx.LicenseProduct(ctx, a.Product)
	if err != nil {
		return err
	}
	per, err := tx.LicensePeriod(ctx, a.Org)
	if err != nil {
		return err
	}
	sub, err := optionalSubscription(ctx, tx, a.Org, p.ID)
	if err != nil {
		return err
	}
	lots, err := tx.LicenseWalletLots(ctx, a.Org, p.ID)
	if err != nil {
		return err
	}
	counts, err := tx.LicenseNeedCounts(ctx, a.Org)
	if err != nil {
		return err
	}
	need := p.Need(counts)
	st := State{Period: per, Subscribed: sub.Subscribed, Wallet: Stock{Product: p.Name, Lots: lots}, Need: need}
	if sub.IsStarted() && !sub.Processed.Before(today) && len(st.Wallet.Expiring(today)) == 0 {
		return nil // processed already (another instance, or a run earlier today)
	}
	events, after := Advance(st, sub.Processed, today)
	now := s.clock.Now()
	for _, ev := range events {
		if err := s.apply(ctx, tx, a.Org, p, per, after, ev, now); err != nil {
			return err
		}
	}
	if !sub.IsStarted() {
		return nil
	}
	sub.Subscribed = after.Subscribed
	sub.Status = Evaluate(per, after.Subscribed, need, today).Status
	sub.Processed = today
	return tx.UpdateLicenseSubscription(ctx, a.Org, sub)
}

// apply carries out one event of the daily job if it has not happened
// yet.
func (s *Service) apply(ctx context.Context, tx Tx, orgID string, p Product, per Period, after State, ev Event, now time.Time) error {
	if ev.Kind == EventNotice {
		first, err := tx.MarkLicenseNotice(ctx, orgID, p.ID+":"+ev.Key, now)
		if err != nil || !first {
			return err
		}
		return s.notify(ctx, tx, orgID, p, per, after, ev)
	}
	e := Entry{OrgID: orgID, At: now, Day: ev.Day, Actor: JobActor, Product: p.ID, Year: ev.Year, EventKey: ev.Key}
	switch ev.Kind {
	case EventExpiry:
		e.Kind, e.Quantity, e.Lot = KindExpiry, ev.Quantity, ev.Lot
	case EventRenewal:
		e.Kind, e.Details = KindRenewal, map[string]string{"need": strconv.Itoa(ev.Need),
			"allocated": strconv.Itoa(after.Subscribed.Year(ev.Year).Allocated)}
	case EventStatus:
		e.Kind, e.Details = KindStatus, map[string]string{"from": string(ev.From), "to": string(ev.To)}
		if ev.RecordNeed {
			e.Details["need"] = strconv.Itoa(ev.Need)
		}
	default:
		return errs.E(errs.Internal, "license daily job: unknown event %q", ev.Kind)
	}
	first, err := tx.AppendLicenseHistory(ctx, e)
	if err != nil || !first {
		return err
	}
	switch {
	case ev.Kind == EventExpiry:
		return tx.ExpireLicenseLot(ctx, orgID, ev.Lot, now)
	case ev.RecordNeed:
		return tx.SetLicenseYear(ctx, orgID, p.ID, ev.Year, after.Subscribed.Year(ev.Year), now)
	}
	return nil
}

// The e-mail kinds of the daily job's reminders.
var noticeMail = map[Notice]string{
	NoticeRenewal30:  "license_renewal",
	NoticeRenewal7:   "license_renewal",
	NoticeGrace:      "license_grace",
	NoticeUnlicensed: "license_unlicensed",
}

// notify queues a reminder to the organization's Owners and Admins, each
// in their language.
func (s *Service) notify(ctx context.Context, tx Tx, orgID string, p Product, per Period, after State, ev Event) error {
	if s.compose == nil {
		return nil
	}
	o, err := tx.Org(ctx, orgID)
	if err != nil {
		return err
	}
	to, err := tx.LicenseRecipients(ctx, orgID)
	if err != nil {
		return err
	}
	v := Evaluate(per, after.Subscribed, after.Need, ev.Day)
	data := map[string]string{"org": o.Name, "product": p.Name, "need": strconv.Itoa(after.Need),
		"link": s.baseURL + "/orgs/" + orgID + "/products/" + p.ID}
	switch ev.Notice {
	case NoticeRenewal30, NoticeRenewal7:
		renews := per.YearStart(ev.Year)
		data["days"] = strconv.Itoa(renews.Sub(ev.Day))
		data["missing"] = strconv.Itoa(max(0, after.Need-after.Subscribed.Year(ev.Year).Allocated))
		data["renews"] = renews.String()
	case NoticeGrace:
		data["ends"] = GraceLast(per, ev.Year).String()
		data["missing"] = strconv.Itoa(max(0, v.YearNeed-v.Allocated))
	case NoticeUnlicensed:
		data["missing"] = strconv.Itoa(max(0, v.YearNeed-v.Allocated))
	}
	for _, r := range to {
		lang := mail.Lang(r.Lang)
		d := make(map[string]string, len(data))
		for k, x := range data {
			d[k] = x
		}
		for _, k := range []string{"renews", "ends"} {
			if day, err := ParseDate(d[k]); err == nil {
				d[k] = mail.FormatDay(day.Time(), lang)
			}
		}
		msg, err := s.compose(noticeMail[ev.Notice], lang, r.Email, d)
		if err != nil {
			return err
		}
		msg.OrgID = orgID
		if err := tx.EnqueueMail(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}
