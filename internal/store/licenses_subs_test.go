package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
	"mysystems/internal/license"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// mkDevices claims n devices of model into a folder of an organization.
func mkDevices(t *testing.T, db *store.DB, orgID, folderID, model string, n int) {
	t.Helper()
	ctx := context.Background()
	err := db.Write(ctx, func(tx *store.Tx) error {
		for range n {
			id := account.NewID("dev_")
			serial := "ACCC8E" + id[len(id)-6:]
			if err := tx.CreateIdentity(ctx, fleet.Identity{Serial: serial, Model: model, CreatedAt: t0}, fleet.Secrets{SecretHash: "s", OAKHash: "o"}); err != nil {
				return err
			}
			if err := tx.SetClaim(ctx, serial, orgID, id); err != nil {
				return err
			}
			if err := tx.CreateDevice(ctx, fleet.Device{ID: id, OrgID: orgID, FolderID: folderID, Serial: serial, Model: model,
				Firmware: "11.0.0", Name: serial, ClaimedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("devices: %v", err)
	}
}

// redeem gives an organization's wallet n licenses of product today.
func (l licenseOrgs) redeem(t *testing.T, actor audit.Actor, orgID, product string, n int) license.Lot {
	t.Helper()
	ctx := context.Background()
	ks, err := l.svc.IssueKeys(ctx, vendorActor, product, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.svc.Redeem(ctx, actor, orgID, ks[0].Key.String())
	if err != nil {
		t.Fatal(err)
	}
	return r.Lot
}

func day(s string) license.Date {
	d, err := license.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// LIC-4: the period, the started products and their years are an
// organization's; another sees none of them and changes none.
func TestLIC4_StoreSubscriptionsTenant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		sub := license.ProductSubscription{Subscribed: license.Subscribed{Product: "acs-edge", Started: day("2026-03-01"),
			Years: map[int]license.Year{0: {Allocated: 4}}}, Status: license.Trial, Processed: day("2026-03-01"), StartedBy: "usr_a"}
		err := db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.CreateLicensePeriod(ctx, l.a.ID, day("2026-03-01"), t0); err != nil {
				return err
			}
			if err := tx.CreateLicenseSubscription(ctx, l.a.ID, sub, t0); err != nil {
				return err
			}
			return tx.SetLicenseYear(ctx, l.a.ID, "acs-edge", 1, license.Year{Allocated: 2, Need: 7, Recorded: true}, t0)
		})
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.Write(ctx, func(tx *store.Tx) error { return tx.CreateLicensePeriod(ctx, l.a.ID, day("2026-04-01"), t0) }),
			errs.Conflict, "a second anchor")
		wantCode(t, db.Write(ctx, func(tx *store.Tx) error { return tx.CreateLicenseSubscription(ctx, l.a.ID, sub, t0) }),
			errs.Conflict, "a product started twice")
		err = db.Read(ctx, func(tx *store.Tx) error {
			p, err := tx.LicensePeriod(ctx, l.a.ID)
			if err != nil || p.Anchor != day("2026-03-01") {
				return fmt.Errorf("A's period %+v %v", p, err)
			}
			s, err := tx.LicenseSubscription(ctx, l.a.ID, "acs-edge")
			if err != nil || s.Started != day("2026-03-01") || s.Status != license.Trial || s.StartedBy != "usr_a" ||
				s.Year(0) != (license.Year{Allocated: 4}) || s.Year(1) != (license.Year{Allocated: 2, Need: 7, Recorded: true}) ||
				!s.TrialEnded.IsZero() || s.Processed != day("2026-03-01") {
				return fmt.Errorf("A's subscription %+v %v", s, err)
			}
			all, err := tx.LicenseSubscriptions(ctx, l.a.ID)
			if err != nil || len(all) != 1 || all[0].Year(1).Need != 7 {
				return fmt.Errorf("A's subscriptions %+v %v", all, err)
			}
			// B sees nothing of A's.
			if p, err := tx.LicensePeriod(ctx, l.b.ID); err != nil || p.Started() {
				return fmt.Errorf("B's period %+v %v", p, err)
			}
			if _, err := tx.LicenseSubscription(ctx, l.b.ID, "acs-edge"); !errs.Is(err, errs.NotFound) {
				return fmt.Errorf("B sees A's subscription: %v", err)
			}
			if all, err := tx.LicenseSubscriptions(ctx, l.b.ID); err != nil || len(all) != 0 {
				return fmt.Errorf("B's subscriptions %+v %v", all, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		s := sub
		s.Status, s.TrialEnded, s.Processed = license.Licensed, day("2026-03-05"), day("2026-03-06")
		wantCode(t, db.Write(ctx, func(tx *store.Tx) error { return tx.UpdateLicenseSubscription(ctx, l.b.ID, s) }),
			errs.NotFound, "B updates A's subscription")
		wantCode(t, db.Write(ctx, func(tx *store.Tx) error {
			return tx.SetLicenseYear(ctx, l.b.ID, "acs-edge", 0, license.Year{Allocated: 99}, t0)
		}), errs.NotFound, "B sets a year of a product it has not started")
		err = db.Write(ctx, func(tx *store.Tx) error { return tx.UpdateLicenseSubscription(ctx, l.a.ID, s) })
		if err != nil {
			t.Fatal(err)
		}
		_ = db.Read(ctx, func(tx *store.Tx) error {
			s, err := tx.LicenseSubscription(ctx, l.a.ID, "acs-edge")
			if err != nil || s.Status != license.Licensed || s.TrialEnded != day("2026-03-05") || s.Processed != day("2026-03-06") || s.Year(0).Allocated != 4 {
				t.Fatalf("A's subscription after update: %+v %v", s, err)
			}
			return nil
		})
	})
}

// LIC-5: the need is counted per model and folder, for one organization.
func TestLIC5_StoreNeedCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		sub := org.Folder{ID: account.NewID("fld_"), OrgID: l.a.ID, ParentID: l.a.RootFolderID, Name: "Lobby", CreatedAt: t0}
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateFolder(ctx, sub) }); err != nil {
			t.Fatal(err)
		}
		mkDevices(t, db, l.a.ID, l.a.RootFolderID, "AXIS P3265-LVE", 3)
		mkDevices(t, db, l.a.ID, sub.ID, "AXIS P3265-LVE", 2)
		mkDevices(t, db, l.a.ID, sub.ID, "AXIS Q1615", 1)
		mkDevices(t, db, l.b.ID, l.b.RootFolderID, "AXIS P3265-LVE", 5)
		var counts []license.NeedCount
		if err := db.Read(ctx, func(tx *store.Tx) error {
			var err error
			counts, err = tx.LicenseNeedCounts(ctx, l.a.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		want := map[[2]string]int{{"AXIS P3265-LVE", l.a.RootFolderID}: 3, {"AXIS P3265-LVE", sub.ID}: 2, {"AXIS Q1615", sub.ID}: 1}
		if len(counts) != len(want) {
			t.Fatalf("counts %+v", counts)
		}
		for _, c := range counts {
			if want[[2]string{c.Model, c.FolderID}] != c.Devices {
				t.Fatalf("count %+v, want %v", c, want)
			}
		}
		acs := l.products[1] // AXIS P*, AXIS M*
		if n := acs.Need(counts); n != 5 {
			t.Fatalf("acs-edge need %d, want 5", n)
		}
		ov, err := l.svc.Product(ctx, l.ownerA, l.a.ID, "acs-edge")
		if err != nil || ov.Need != 5 || len(ov.Models) != 1 || ov.Models[0].Devices != 5 || len(ov.Folders) != 2 ||
			ov.Folders[0].Path != org.RootFolderName || ov.Folders[0].Devices != 3 || ov.Folders[1].Name != "Lobby" ||
			ov.Folders[1].Path != org.RootFolderName+" / Lobby" || ov.Status != license.NotStarted {
			t.Fatalf("overview %+v %v", ov, err)
		}
		if ov, err := l.svc.Product(ctx, l.ownerB, l.b.ID, "adm-extend"); err != nil || ov.Need != 5 || len(ov.Folders) != 1 {
			t.Fatalf("B's overview %+v %v", ov, err)
		}
		_, err = l.svc.Product(ctx, l.ownerB, l.a.ID, "acs-edge")
		wantCode(t, err, errs.NotFound, "B reads A's overview")
	})
}

// LIC-1, LIC-4: the first product started sets the anchor, a later one
// joins the current year; a second start is a conflict; starting is for
// Owners and Admins and recorded in the history and the audit log.
func TestLIC4_Start(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		mkDevices(t, db, l.a.ID, l.a.RootFolderID, "AXIS P3265-LVE", 4)
		op := mkUser(t, db, "op@example.com")
		if err := db.Write(ctx, func(tx *store.Tx) error {
			return tx.AddMember(ctx, org.Membership{OrgID: l.a.ID, UserID: op.ID, Role: access.Operator, CreatedAt: t0})
		}); err != nil {
			t.Fatal(err)
		}
		_, err := l.svc.Start(ctx, audit.Actor{Kind: audit.KindUser, ID: op.ID}, l.a.ID, "acs-edge")
		wantCode(t, err, errs.Forbidden, "an operator starts a product")

		st, err := l.svc.Start(ctx, l.ownerA, l.a.ID, "ACS-Edge ")
		if err != nil || st.Status != license.Trial || st.DaysLeft != 30 || st.Need != 4 || st.TrialEnd != day("2026-03-30") ||
			st.RenewsOn != day("2027-03-01") || st.Started != day("2026-03-01") {
			t.Fatalf("start: %+v %v", st, err)
		}
		_, err = l.svc.Start(ctx, l.ownerA, l.a.ID, "acs-edge")
		wantCode(t, err, errs.Conflict, "a second start")

		l.clk.Advance(40 * 24 * time.Hour) // 2026-04-10
		st, err = l.svc.Start(ctx, l.ownerA, l.a.ID, "adm-extend")
		if err != nil || st.Status != license.Trial || st.RenewsOn != day("2027-03-01") || st.YearStart != day("2026-03-01") {
			t.Fatalf("second product: %+v %v", st, err)
		}
		ps, err := l.svc.OrgProducts(ctx, l.ownerA, l.a.ID)
		if err != nil || len(ps) != 2 || ps[0].Product.ID != "acs-edge" || ps[0].Status != license.Unlicensed || ps[1].Status != license.Trial {
			t.Fatalf("products: %+v %v", ps, err)
		}
		ps, err = l.svc.OrgProducts(ctx, l.ownerB, l.b.ID)
		if err != nil || len(ps) != 2 || ps[0].Status != license.NotStarted || ps[1].Status != license.NotStarted || !ps[0].RenewsOn.IsZero() {
			t.Fatalf("B's products: %+v %v", ps, err)
		}
		h, err := l.svc.History(ctx, l.ownerA, l.a.ID, license.HistoryFilter{Kind: license.KindStart}, audit.Page{})
		if err != nil || len(h.Entries) != 2 || h.Entries[1].Product != "acs-edge" || h.Entries[1].Details["trial_ends"] != "2026-03-30" ||
			h.Entries[0].Year != 0 {
			t.Fatalf("history: %+v %v", h, err)
		}
		var n int
		_ = db.Read(ctx, func(tx *store.Tx) error {
			es, _, err := tx.AuditEntries(ctx, l.a.ID, audit.Filter{Action: audit.LicenseStart}, audit.Page{Limit: 10})
			n = len(es)
			return err
		})
		if n != 2 {
			t.Fatalf("audit lines: %d", n)
		}
	})
}

// LIC-6, LIC-9: without confirm nothing changes; with it the lots that
// expire first are taken, the year gets the licenses, the compensation
// enters the wallet as a new lot, and the history balances.
func TestLIC6_Allocate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		mkDevices(t, db, l.a.ID, l.a.RootFolderID, "AXIS P3265-LVE", 12)
		if _, err := l.svc.Start(ctx, l.ownerA, l.a.ID, "acs-edge"); err != nil {
			t.Fatal(err)
		}
		first := l.redeem(t, l.ownerA, l.a.ID, "acs-edge", 5)
		l.clk.Advance(24 * time.Hour)
		second := l.redeem(t, l.ownerA, l.a.ID, "acs-edge", 20)
		l.redeem(t, l.ownerB, l.b.ID, "acs-edge", 50)

		_, err := l.svc.Allocate(ctx, l.ownerA, l.a.ID, "acs-edge", 0, 26, true)
		wantCode(t, err, errs.Conflict, "more than the wallet holds")
		_, err = l.svc.Allocate(ctx, l.ownerA, l.a.ID, "acs-edge", 6, 1, false)
		wantCode(t, err, errs.Invalid, "six years ahead")
		_, err = l.svc.Allocate(ctx, l.ownerB, l.b.ID, "acs-edge", 0, 1, true)
		wantCode(t, err, errs.Conflict, "B has not started the product")

		// 100 days into the year, after the trial: 12 licenses give back 3.
		l.clk.Set(time.Date(2026, 6, 9, 9, 0, 0, 0, time.UTC))
		sum, err := l.svc.Allocate(ctx, l.ownerA, l.a.ID, "acs-edge", 0, 12, false)
		if err != nil || sum.Done || sum.Compensation != 3 || sum.From != day("2026-06-09") || sum.Before != license.Unlicensed ||
			sum.View.Status != license.Licensed || len(sum.Lots) != 2 || sum.Lots[0] != (license.TakenLot{Lot: first.ID, Quantity: 5, Expires: first.Expires}) ||
			sum.Lots[1].Lot != second.ID || sum.Lots[1].Quantity != 7 || sum.Wallet != 25 {
			t.Fatalf("summary: %+v %v", sum, err)
		}
		if w, _ := l.svc.Wallet(ctx, l.ownerA, l.a.ID, "acs-edge"); w.Available != 25 {
			t.Fatalf("a summary changed the wallet: %+v", w)
		}
		done, err := l.svc.Allocate(ctx, l.ownerA, l.a.ID, "acs-edge", 0, 12, true)
		if err != nil || !done.Done || done.CompensationLot == nil || done.CompensationLot.Quantity != 3 ||
			done.CompensationLot.Source != license.FromCompensation || done.CompensationLot.Expires != day("2031-06-09") {
			t.Fatalf("allocation: %+v %v", done, err)
		}
		w, err := l.svc.Wallet(ctx, l.ownerA, l.a.ID, "acs-edge")
		if err != nil || w.Available != 16 || len(w.Lots) != 2 || w.Lots[0].ID != second.ID || w.Lots[0].Quantity != 13 {
			t.Fatalf("wallet after: %+v %v", w, err)
		}
		if _, err := l.svc.Allocate(ctx, l.ownerA, l.a.ID, "acs-edge", 2, 4, true); err != nil {
			t.Fatal(err)
		}
		ps, err := l.svc.OrgProducts(ctx, l.ownerA, l.a.ID)
		if err != nil || ps[0].Status != license.Licensed || ps[0].Allocated != 12 || ps[0].Ahead[1] != 4 || ps[0].Wallet != 12 {
			t.Fatalf("status after: %+v %v", ps[0], err)
		}
		h, err := l.svc.History(ctx, l.ownerA, l.a.ID, license.HistoryFilter{}, audit.Page{})
		if err != nil {
			t.Fatal(err)
		}
		kinds := ""
		for i := len(h.Entries) - 1; i >= 0; i-- {
			kinds += string(h.Entries[i].Kind) + " "
		}
		if kinds != "start redeem redeem allocate compensation status allocate " {
			t.Fatalf("history kinds: %s", kinds)
		}
		if im := license.Verify(h.Entries, map[license.Account]license.Holding{{Org: l.a.ID, Product: "acs-edge"}: holding(t, db, l.a.ID, "acs-edge")}); len(im) != 0 {
			t.Fatalf("imbalances: %v", im)
		}
	})
}

func holding(t *testing.T, db *store.DB, orgID, product string) license.Holding {
	t.Helper()
	var h license.Holding
	err := db.Read(context.Background(), func(tx *store.Tx) error {
		var err error
		if h.Lots, err = tx.LicenseLots(context.Background(), orgID, product); err != nil {
			return err
		}
		s, err := tx.LicenseSubscription(context.Background(), orgID, product)
		h.Years = s.Years
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// LIC-6: allocations at the same instant never take the same licenses:
// of twelve allocations of 3 from a wallet of 20, six succeed, the others
// are refused, and the wallet holds 2.
func TestLIC6_AllocateConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		if _, err := l.svc.Start(ctx, l.ownerA, l.a.ID, "acs-edge"); err != nil {
			t.Fatal(err)
		}
		l.redeem(t, l.ownerA, l.a.ID, "acs-edge", 8)
		l.redeem(t, l.ownerA, l.a.ID, "acs-edge", 12)
		var wg sync.WaitGroup
		start := make(chan struct{})
		errc := make(chan error, 12)
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := l.svc.Allocate(ctx, l.ownerA, l.a.ID, "acs-edge", 1, 3, true)
				errc <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errc)
		ok := 0
		for err := range errc {
			switch {
			case err == nil:
				ok++
			case !errs.Is(err, errs.Conflict):
				t.Fatalf("unexpected: %v", err)
			}
		}
		w, err := l.svc.Wallet(ctx, l.ownerA, l.a.ID, "acs-edge")
		if ok != 6 || err != nil || w.Available != 2 {
			t.Fatalf("%d succeeded, wallet %+v %v", ok, w, err)
		}
		if h := holding(t, db, l.a.ID, "acs-edge"); h.Years[1].Allocated != 18 {
			t.Fatalf("year 1: %+v", h.Years)
		}
	})
}
