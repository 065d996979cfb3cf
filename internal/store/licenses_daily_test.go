package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/license"
	"mysystems/internal/mail"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// dailyWorld is an organization A with two started products, an old lot
// that expires, a French Admin and an Operator, and an organization B with
// one started product; run drives the daily job over 406 days.
type dailyWorld struct {
	licenseOrgs
	db *store.DB
}

var dailyEnd = time.Date(2027, 4, 10, 12, 0, 0, 0, time.UTC)

// allocationDay is the one day a person acts: the job has run that day
// before, in every schedule.
var allocationDay = time.Date(2026, 4, 5, 12, 0, 0, 0, time.UTC)

func mkDailyWorld(t *testing.T, db *store.DB) dailyWorld {
	t.Helper()
	ctx := context.Background()
	w := dailyWorld{licenseOrgs: mkLicenseOrgs(t, db), db: db}
	w.svc.SetMail("https://portal.example.com", mail.NewMailer(w.clk, "https://portal.example.com").Message)
	admin := account.User{ID: account.NewID("usr_"), Email: "admin@example.com", Name: "Admin", Lang: "fr", CreatedAt: t0}
	op := mkUser(t, db, "op@example.com")
	err := db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateUser(ctx, admin, "hash"); err != nil {
			return err
		}
		if err := tx.AddMember(ctx, org.Membership{OrgID: w.a.ID, UserID: admin.ID, Role: access.Admin, CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.AddMember(ctx, org.Membership{OrgID: w.a.ID, UserID: op.ID, Role: access.Operator, CreatedAt: t0}); err != nil {
			return err
		}
		// A lot that entered five years ago leaves the wallet on 10 March.
		old := license.NewLot("lot_old", "acs-edge", 4, day("2021-03-10"), license.FromKey)
		if err := tx.AddLicenseLot(ctx, w.a.ID, old, "hash", t0); err != nil {
			return err
		}
		_, err := tx.AppendLicenseHistory(ctx, license.Entry{OrgID: w.a.ID, At: t0, Day: old.Entered, Actor: license.JobActor,
			Product: "acs-edge", Kind: license.KindRedeem, Quantity: 4, Year: -1, Lot: old.ID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	mkDevices(t, db, w.a.ID, w.a.RootFolderID, "AXIS P3265-LVE", 3)
	mkDevices(t, db, w.b.ID, w.b.RootFolderID, "AXIS Q1615", 2)
	for _, s := range []struct {
		actor   audit.Actor
		orgID   string
		product string
	}{{w.ownerA, w.a.ID, "acs-edge"}, {w.ownerA, w.a.ID, "adm-extend"}, {w.ownerB, w.b.ID, "adm-extend"}} {
		if _, err := w.svc.Start(ctx, s.actor, s.orgID, s.product); err != nil {
			t.Fatal(err)
		}
	}
	w.redeem(t, w.ownerA, w.a.ID, "acs-edge", 5)
	return w
}

// run runs the daily job on the days due says, from the start to
// dailyEnd, twice each time (the second run must change nothing), and
// allocates on allocationDay after that day's run.
func (w dailyWorld) run(t *testing.T, due func(day int) bool) {
	t.Helper()
	ctx := context.Background()
	for d, i := t0, 0; !d.After(dailyEnd); d, i = d.Add(24*time.Hour), i+1 {
		w.clk.Set(d)
		act := d.Equal(allocationDay)
		if due(i) || act || d.Equal(dailyEnd) {
			if _, err := w.svc.Daily(ctx); err != nil {
				t.Fatalf("%s: %v", d, err)
			}
			if n, err := w.svc.Daily(ctx); err != nil || n != 0 {
				t.Fatalf("%s: a second run processed %d (%v)", d, n, err)
			}
		}
		if act {
			if _, err := w.svc.Allocate(ctx, w.ownerA, w.a.ID, "acs-edge", 0, 3, true); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// state is what the job leaves, lot ids replaced by what the lots are so
// that two databases compare.
func (w dailyWorld) state(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, o := range []org.Org{w.a, w.b} {
		name := map[string]string{}
		err := w.db.Read(ctx, func(tx *store.Tx) error {
			for _, p := range []string{"acs-edge", "adm-extend"} {
				lots, err := tx.LicenseLots(ctx, o.ID, p)
				if err != nil {
					return err
				}
				for i, l := range lots {
					name[l.ID] = fmt.Sprintf("%s#%d", p, i)
					fmt.Fprintf(&b, "lot %s %d/%d %s %s %s %v\n", name[l.ID], l.Quantity, l.Original, l.Entered, l.Expires, l.Source, l.Expired)
				}
			}
			subs, err := tx.LicenseSubscriptions(ctx, o.ID)
			if err != nil {
				return err
			}
			for _, s := range subs {
				ks := make([]int, 0, len(s.Years))
				for k := range s.Years {
					ks = append(ks, k)
				}
				sort.Ints(ks)
				fmt.Fprintf(&b, "sub %s %s %s %s %s", s.Product, s.Started, s.TrialEnded, s.Status, s.Processed)
				for _, k := range ks {
					fmt.Fprintf(&b, " y%d=%+v", k, s.Years[k])
				}
				b.WriteString("\n")
			}
			for _, kind := range []string{"license_renewal", "license_grace", "license_unlicensed"} {
				for _, to := range []string{"a@example.com", "b@example.com", "admin@example.com", "op@example.com"} {
					var n int
					if err := tx.QueryRowForTest(ctx, `SELECT COUNT(*) FROM mail_outbox WHERE org_id = ? AND kind = ? AND recipient = ?`,
						o.ID, kind, to).Scan(&n); err != nil {
						return err
					}
					if n > 0 {
						fmt.Fprintf(&b, "mail %s %s %d\n", kind, to, n)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		h, err := w.svc.History(ctx, audit.Actor{Kind: audit.KindUser, ID: map[string]string{w.a.ID: w.ownerA.ID, w.b.ID: w.ownerB.ID}[o.ID]},
			o.ID, license.HistoryFilter{}, audit.Page{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for i := len(h.Entries) - 1; i >= 0; i-- {
			e := h.Entries[i]
			delete(e.Details, "key_end") // keys are random
			details := fmt.Sprint(e.Details)
			for id, n := range name {
				details = strings.ReplaceAll(details, id, n)
			}
			fmt.Fprintf(&b, "history %s %s %s %s %d y%d %s %s %s\n", e.Day, e.Actor.Kind, e.Product, e.Kind, e.Quantity, e.Year,
				name[e.Lot], details, e.EventKey)
		}
	}
	return b.String()
}

// LIC-2, LIC-5, LIC-7, AUD-2: the daily job, run every day (twice) or
// after a week of downtime each time, leaves the same history and tables;
// lots expire, renewals record the need, grace and unlicensed follow, and
// each reminder goes once to each Owner and Admin, in their language.
func TestLIC7_DailyJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		daily := mkDailyWorld(t, db)
		daily.run(t, func(int) bool { return true })
		got := daily.state(t)

		fresh := storetest.SQLite(t)
		if store.IsPostgres(db.DSN()) {
			fresh = storetest.Postgres(t)
		}
		weekly := mkDailyWorld(t, fresh)
		weekly.run(t, func(i int) bool { return i%7 == 6 })
		if w := weekly.state(t); w != got {
			t.Fatalf("after downtime:\n%s\nevery day:\n%s", w, got)
		}
		for _, want := range []string{
			"lot acs-edge#0 0/4 2021-03-10 2026-03-10 redeem true",
			"history 2026-03-10 system acs-edge expiry 4 y-1 acs-edge#0 map[] expiry:lot_old",
			"history 2026-03-31 system acs-edge status 0 y0  map[from:trial need:3 to:unlicensed] status:2026-03-31",
			"history 2026-04-05 user acs-edge status 0 y0  map[from:unlicensed to:licensed] \n",
			"history 2027-03-01 system acs-edge renewal 0 y1  map[allocated:0 need:3] renewal:1",
			"history 2027-03-01 system acs-edge status 0 y1  map[from:licensed to:grace] status:2027-03-01",
			"history 2027-03-31 system acs-edge status 0 y1  map[from:grace to:unlicensed] status:2027-03-31",
			"history 2027-03-01 system adm-extend status 0 y1  map[from:unlicensed to:grace] status:2027-03-01",
			"sub acs-edge 2026-03-01 0000-00-00 unlicensed 2027-04-10 y0={Allocated:3 Need:3 Recorded:true} y1={Allocated:0 Need:3 Recorded:true}",
			// Five reminders a product: unlicensed (year 0), renewal in 30
			// and in 7 days, grace, unlicensed (year 1).
			"mail license_renewal a@example.com 4", "mail license_renewal admin@example.com 4",
			"mail license_grace a@example.com 2", "mail license_unlicensed admin@example.com 4",
			"mail license_renewal b@example.com 2", "mail license_unlicensed b@example.com 2",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("missing %q in\n%s", want, got)
			}
		}
		if strings.Contains(got, "op@example.com") {
			t.Errorf("an Operator got a reminder:\n%s", got)
		}
		ctx := context.Background()
		_ = db.Read(ctx, func(tx *store.Tx) error {
			var subject string
			if err := tx.QueryRowForTest(ctx, `SELECT subject FROM mail_outbox WHERE recipient = ? AND kind = ? ORDER BY created_at LIMIT 1`,
				"admin@example.com", "license_renewal").Scan(&subject); err != nil || !strings.Contains(subject, "se renouvelle dans 30 jours") {
				t.Errorf("the French Admin's first renewal reminder: %q %v", subject, err)
			}
			if err := tx.QueryRowForTest(ctx, `SELECT subject FROM mail_outbox WHERE recipient = ? AND kind = ? ORDER BY created_at DESC LIMIT 1`,
				"a@example.com", "license_renewal").Scan(&subject); err != nil || !strings.Contains(subject, "renews in 7 days") {
				t.Errorf("the English Owner's last renewal reminder: %q %v", subject, err)
			}
			return nil
		})
		for _, o := range []org.Org{daily.a, daily.b} {
			owner := daily.ownerA
			if o.ID == daily.b.ID {
				owner = daily.ownerB
			}
			h, err := daily.svc.History(ctx, owner, o.ID, license.HistoryFilter{}, audit.Page{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			held := map[license.Account]license.Holding{}
			for _, p := range []string{"acs-edge", "adm-extend"} {
				held[license.Account{Org: o.ID, Product: p}] = holding(t, db, o.ID, p)
			}
			if im := license.Verify(h.Entries, held); len(im) != 0 {
				t.Errorf("imbalances: %v", im)
			}
		}
	})
}

// The job without a mail composer records its events and sends nothing;
// an archived organization's products are left alone.
func TestLIC7_DailyJobArchivedAndWithoutMail(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	l := mkLicenseOrgs(t, db)
	if _, err := l.svc.Start(ctx, l.ownerA, l.a.ID, "acs-edge"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.svc.Start(ctx, l.ownerB, l.b.ID, "acs-edge"); err != nil {
		t.Fatal(err)
	}
	b := l.b
	b.Status = org.Archived
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.UpdateOrg(ctx, b) }); err != nil {
		t.Fatal(err)
	}
	l.clk.Set(time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC))
	svc := license.NewService(db.Licenses(), l.clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if n, err := svc.Daily(ctx); err != nil || n != 1 {
		t.Fatalf("daily: %d %v", n, err)
	}
	if s := holding(t, db, l.a.ID, "acs-edge"); s.Years[0] != (license.Year{Need: 0, Recorded: true}) {
		t.Fatalf("A's year 0: %+v", s.Years)
	}
	var mails int
	_ = db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRowForTest(ctx, `SELECT COUNT(*) FROM mail_outbox`).Scan(&mails)
	})
	h, _ := svc.History(ctx, l.ownerB, l.b.ID, license.HistoryFilter{Kind: license.KindStatus}, audit.Page{})
	if mails != 0 || len(h.Entries) != 0 {
		t.Fatalf("%d mails; B's status entries %+v", mails, h.Entries)
	}
}
