package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/license"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

var vendorActor = audit.Actor{Kind: audit.KindVendor, ID: "plt_test", Email: "vendor:test"}

// licenseOrgs are two organizations, each with its owner, and a catalogue
// of two products.
type licenseOrgs struct {
	a, b     org.Org
	ownerA   audit.Actor
	ownerB   audit.Actor
	svc      *license.Service
	clk      *clock.Fake
	products []license.Product
}

func mkLicenseOrgs(t *testing.T, db *store.DB) licenseOrgs {
	t.Helper()
	ua, ub := mkUser(t, db, "a@example.com"), mkUser(t, db, "b@example.com")
	l := licenseOrgs{a: mkOrg(t, db, "Org A", ua), b: mkOrg(t, db, "Org B", ub),
		ownerA: audit.Actor{Kind: audit.KindUser, ID: ua.ID, Email: ua.Email},
		ownerB: audit.Actor{Kind: audit.KindUser, ID: ub.ID, Email: ub.Email},
		clk:    clock.NewFake(t0)}
	l.svc = license.NewService(db.Licenses(), l.clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, p := range []license.Product{
		{ID: "adm-extend", Name: "AXIS Device Manager Extend", Licensing: license.Subscription, Covers: []string{"*"},
			Gates: license.Features},
		{ID: "acs-edge", Name: "AXIS Camera Station Edge", Licensing: license.Subscription, Covers: []string{"AXIS P*", "AXIS M*"}},
	} {
		p, err := l.svc.AddProduct(context.Background(), vendorActor, p)
		if err != nil {
			t.Fatalf("add product %s: %v", p.ID, err)
		}
		l.products = append(l.products, p)
	}
	return l
}

func wantCode(t *testing.T, err error, code errs.Code, what string) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

// The catalogue: products stored with their patterns and gates, listed by
// name; an id taken is a conflict, an unknown id not found.
func TestLIC1_StoreProducts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		ps, err := l.svc.Products(ctx)
		if err != nil || len(ps) != 2 || ps[0].ID != "acs-edge" || ps[1].ID != "adm-extend" { // by name
			t.Fatalf("products: %+v %v", ps, err)
		}
		if len(ps[1].Gates) != 3 || len(ps[0].Covers) != 2 || ps[0].Covers[1] != "AXIS M*" || len(ps[0].Gates) != 0 ||
			!ps[1].CreatedAt.Equal(t0) || ps[1].CreatedBy != "plt_test" || ps[1].Licensing != license.Subscription {
			t.Fatalf("stored products: %+v", ps)
		}
		err = db.Write(ctx, func(tx *store.Tx) error { return tx.CreateLicenseProduct(ctx, ps[1]) })
		wantCode(t, err, errs.Conflict, "the same id twice")
		_, err = l.svc.AddProduct(ctx, vendorActor, license.Product{ID: "adm-extend", Name: "Again", Licensing: license.Both, Covers: []string{"*"}})
		wantCode(t, err, errs.Conflict, "the same id through the service")
		_, err = l.svc.AddProduct(ctx, vendorActor, license.Product{ID: "other", Name: "Other", Licensing: license.Subscription,
			Covers: []string{"*"}, Gates: []license.Feature{license.FeatureSchedules}})
		wantCode(t, err, errs.Conflict, "a feature gated twice")
		_, err = l.svc.AddProduct(ctx, l.ownerA, license.Product{ID: "mine", Name: "Mine", Licensing: license.Subscription, Covers: []string{"*"}})
		wantCode(t, err, errs.Forbidden, "a member adds a product")
		err = db.Read(ctx, func(tx *store.Tx) error { _, err := tx.LicenseProduct(ctx, "nope"); return err })
		wantCode(t, err, errs.NotFound, "unknown product")
	})
}

// LIC-3: keys are stored by their hash only; a key is redeemed once, by a
// conditional update; an unknown key is not found.
func TestLIC3_StoreKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		issued, err := l.svc.IssueKeys(ctx, vendorActor, "acs-edge", 10, 250) // more than one INSERT's chunk
		if err != nil || len(issued) != 250 {
			t.Fatalf("issue: %d %v", len(issued), err)
		}
		for _, k := range issued[:3] {
			if n, err := db.ScanForTest(ctx, k.Key.String()); err != nil || n != 0 {
				t.Fatalf("key %s found in %d cells (%v): only its hash may be stored", k.Key, n, err)
			}
		}
		h := issued[0].Key.Hash()
		err = db.Write(ctx, func(tx *store.Tx) error {
			k, err := tx.LicenseKey(ctx, h)
			if err != nil {
				return err
			}
			if k.Product != "acs-edge" || k.Quantity != 10 || !k.IssuedAt.Equal(t0) || k.IssuedBy != "plt_test" || k.RedeemedOrg != "" || k.RedeemedAt != nil {
				return fmt.Errorf("stored key %+v", k)
			}
			if err := tx.RedeemLicenseKey(ctx, h, l.a.ID, "usr_a", t0); err != nil {
				return err
			}
			wantCode(t, tx.RedeemLicenseKey(ctx, h, l.b.ID, "usr_b", t0), errs.Conflict, "a second redemption")
			wantCode(t, tx.RedeemLicenseKey(ctx, h, l.a.ID, "usr_a", t0), errs.Conflict, "the same organization again")
			k, err = tx.LicenseKey(ctx, h)
			if err != nil || k.RedeemedOrg != l.a.ID || k.RedeemedAt == nil || !k.RedeemedAt.Equal(t0) || k.RedeemedBy != "usr_a" {
				return fmt.Errorf("redeemed key %+v %v", k, err)
			}
			unknown := "00" + h[2:] // a hash of no key issued (the key is random)
			if unknown == h {
				unknown = "ff" + h[2:]
			}
			_, err = tx.LicenseKey(ctx, unknown)
			wantCode(t, err, errs.NotFound, "an unknown hash")
			wantCode(t, tx.RedeemLicenseKey(ctx, unknown, l.a.ID, "usr_a", t0), errs.Conflict, "redeeming no key changes nothing")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			return tx.CreateLicenseKeys(ctx, []license.KeyRecord{{Hash: "x", Product: "nope", Quantity: 1, IssuedAt: t0}})
		})
		wantCode(t, err, errs.NotFound, "a key of an unknown product")
		_, err = l.svc.IssueKeys(ctx, vendorActor, "nope", 1, 1)
		wantCode(t, err, errs.NotFound, "issuing keys of an unknown product")
	})
}

func lot(id, product string, q int, entered string) license.Lot {
	d, _ := license.ParseDate(entered)
	return license.Lot{ID: id, Product: product, Quantity: q, Original: q, Entered: d, Expires: d.AddDays(5 * 365), Source: license.FromKey}
}

// LIC-2: lots are an organization's, listed per product by expiry; what
// is left of one changes within what entered; another organization sees
// none of them and changes none.
func TestLIC2_StoreLotsTenant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		err := db.Write(ctx, func(tx *store.Tx) error {
			for _, x := range []struct {
				org string
				lot license.Lot
			}{
				{l.a.ID, lot("lot_late", "acs-edge", 5, "2026-05-01")},
				{l.a.ID, lot("lot_early", "acs-edge", 3, "2026-01-01")},
				{l.a.ID, lot("lot_other", "adm-extend", 7, "2026-01-01")},
				{l.b.ID, lot("lot_b", "acs-edge", 9, "2026-01-01")},
			} {
				if err := tx.AddLicenseLot(ctx, x.org, x.lot, "hash", t0); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		lots := func(orgID, product string) []license.Lot {
			t.Helper()
			var out []license.Lot
			if err := db.Read(ctx, func(tx *store.Tx) error {
				var err error
				out, err = tx.LicenseLots(ctx, orgID, product)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		a := lots(l.a.ID, "acs-edge")
		if len(a) != 2 || a[0].ID != "lot_early" || a[1].ID != "lot_late" || a[0].Quantity != 3 || a[0].Original != 3 ||
			a[0].Entered.String() != "2026-01-01" || a[0].Source != license.FromKey || a[0].Expired {
			t.Fatalf("org A's lots: %+v", a)
		}
		if b := lots(l.b.ID, "acs-edge"); len(b) != 1 || b[0].ID != "lot_b" {
			t.Fatalf("org B's lots: %+v", b)
		}
		if b := lots(l.b.ID, "adm-extend"); len(b) != 0 {
			t.Fatalf("org B sees %+v", b)
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.SetLicenseLotQuantity(ctx, l.a.ID, "lot_late", 2); err != nil {
				return err
			}
			wantCode(t, tx.SetLicenseLotQuantity(ctx, l.b.ID, "lot_late", 0), errs.NotFound, "org B changes org A's lot")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if a := lots(l.a.ID, "acs-edge"); a[1].Quantity != 2 || a[1].Original != 5 {
			t.Fatalf("after the change: %+v", a[1])
		}
		for _, q := range []int{-1, 6} {
			err = db.Write(ctx, func(tx *store.Tx) error { return tx.SetLicenseLotQuantity(ctx, l.a.ID, "lot_late", q) })
			if err == nil {
				t.Errorf("a lot of 5 was set to %d", q)
			}
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			return tx.AddLicenseLot(ctx, l.a.ID, lot("lot_x", "nope", 1, "2026-01-01"), "", t0)
		})
		wantCode(t, err, errs.NotFound, "a lot of an unknown product")
	})
}

// LIC-13: the history is appended to, read newest first by page with
// filters, once per event key; an organization reads only its own.
func TestLIC13_StoreHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		day := license.DateOf(t0)
		who := license.Actor{Kind: audit.KindUser, ID: "usr_a", Email: "a@example.com"}
		err := db.Write(ctx, func(tx *store.Tx) error {
			for i := range 5 {
				e := license.Entry{OrgID: l.a.ID, At: t0.Add(time.Duration(i) * time.Hour), Day: day, Actor: who, Product: "acs-edge",
					Kind: license.KindRedeem, Quantity: i + 1, Year: -1, Lot: fmt.Sprint("lot_", i), Details: map[string]string{"key_end": "ABCDE"}}
				if i == 4 {
					e.Product, e.Kind, e.Year, e.Quantity, e.EventKey = "adm-extend", license.KindRenewal, 1, 0, "renewal:1"
				}
				if ok, err := tx.AppendLicenseHistory(ctx, e); err != nil || !ok {
					return fmt.Errorf("append %d: %v %v", i, ok, err)
				}
			}
			again := license.Entry{OrgID: l.a.ID, At: t0.Add(9 * time.Hour), Day: day, Actor: who, Product: "adm-extend",
				Kind: license.KindRenewal, Year: 1, EventKey: "renewal:1"}
			if ok, err := tx.AppendLicenseHistory(ctx, again); err != nil || ok {
				return fmt.Errorf("the same event twice: %v %v", ok, err)
			}
			again.OrgID = l.b.ID // another organization's event of the same key
			if ok, err := tx.AppendLicenseHistory(ctx, again); err != nil || !ok {
				return fmt.Errorf("org B's event: %v %v", ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		read := func(orgID string, f license.HistoryFilter, p audit.Page) ([]license.Entry, string) {
			t.Helper()
			var es []license.Entry
			var next string
			if err := db.Read(ctx, func(tx *store.Tx) error {
				var err error
				es, next, err = tx.LicenseHistory(ctx, orgID, f, p)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return es, next
		}
		all, next := read(l.a.ID, license.HistoryFilter{}, audit.Page{Limit: 10})
		if len(all) != 5 || next != "" || all[0].Kind != license.KindRenewal || all[0].Year != 1 || all[0].EventKey != "renewal:1" ||
			all[4].Quantity != 1 || all[4].Year != -1 || all[4].Lot != "lot_0" || all[4].Details["key_end"] != "ABCDE" ||
			all[4].Actor != who || all[4].Day != day || !all[4].At.Equal(t0) || all[4].OrgID != l.a.ID {
			t.Fatalf("org A's history: %+v", all)
		}
		if b, _ := read(l.b.ID, license.HistoryFilter{}, audit.Page{Limit: 10}); len(b) != 1 || b[0].OrgID != l.b.ID {
			t.Fatalf("org B's history: %+v", b)
		}
		var seen []int64
		cursor := ""
		for {
			page, next := read(l.a.ID, license.HistoryFilter{}, audit.Page{Limit: 2, Cursor: cursor})
			for _, e := range page {
				seen = append(seen, e.Seq)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(seen) != 5 || seen[0] <= seen[1] {
			t.Fatalf("pages: %v", seen)
		}
		for f, n := range map[license.HistoryFilter]int{
			{Product: "acs-edge"}:                                    4,
			{Kind: license.KindRenewal}:                              1,
			{Product: "acs-edge", Kind: license.KindRenewal}:         0,
			{Since: t0.Add(2 * time.Hour)}:                           3,
			{Until: t0.Add(2 * time.Hour)}:                           2,
			{Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}: 2,
		} {
			if es, _ := read(l.a.ID, f, audit.Page{Limit: 10}); len(es) != n {
				t.Errorf("filter %+v: %d entries, want %d", f, len(es), n)
			}
		}
		err = db.Read(ctx, func(tx *store.Tx) error {
			_, _, err := tx.LicenseHistory(ctx, l.a.ID, license.HistoryFilter{}, audit.Page{Limit: 2, Cursor: "nonsense"})
			return err
		})
		if e, ok := errs.As(err); !ok || e.Field != "cursor" {
			t.Fatalf("a bad cursor: %v", err)
		}
	})
}

// LIC-13: the history is append-only in the database itself: an UPDATE
// or a DELETE of an entry is refused by a trigger, on both databases.
func TestLIC13_HistoryAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.AppendLicenseHistory(ctx, license.Entry{OrgID: l.a.ID, At: t0, Day: license.DateOf(t0),
				Actor: license.Actor{Kind: audit.KindUser, ID: "usr_a"}, Product: "acs-edge", Kind: license.KindRedeem, Quantity: 5, Year: -1})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`UPDATE license_history SET quantity = 500 RETURNING seq`,
			`DELETE FROM license_history RETURNING seq`,
		} {
			err := db.Write(ctx, func(tx *store.Tx) error {
				var seq int64
				return tx.QueryRowForTest(ctx, q).Scan(&seq)
			})
			if err == nil || errors.Is(err, context.Canceled) {
				t.Errorf("%s: accepted", q)
			}
		}
		if es, err := l.svc.History(ctx, l.ownerA, l.a.ID, license.HistoryFilter{}, audit.Page{}); err != nil || len(es.Entries) != 1 || es.Entries[0].Quantity != 5 {
			t.Fatalf("history after the attempts: %+v %v", es, err)
		}
	})
}

// LIC-3: the same key redeemed at the same instant from two organizations
// succeeds exactly once: the others are refused as a conflict, and one lot
// exists, in the organization that won.
func TestLIC3_RedeemOnceAtTheSameInstant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		issued, err := l.svc.IssueKeys(ctx, vendorActor, "acs-edge", 25, 1)
		if err != nil {
			t.Fatal(err)
		}
		key := issued[0].Key.String()
		const n = 12
		if db.Dialect() == "postgres" {
			warmWriters(t, db, n) // so that the redemptions start together, not one per new connection
		}
		var start, done sync.WaitGroup
		start.Add(1)
		errsOf := make([]error, n)
		for i := range n {
			done.Add(1)
			go func() {
				defer done.Done()
				actor, orgID := l.ownerA, l.a.ID
				if i%2 == 1 {
					actor, orgID = l.ownerB, l.b.ID
				}
				start.Wait()
				_, errsOf[i] = l.svc.Redeem(ctx, actor, orgID, key)
			}()
		}
		start.Done()
		done.Wait()
		won := -1
		for i, err := range errsOf {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("redemptions %d and %d both succeeded", won, i)
			case err == nil:
				won = i
			case !errs.Is(err, errs.Conflict):
				t.Fatalf("redemption %d: %v, want a conflict", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no redemption succeeded")
		}
		winner, loser := l.a, l.b
		if won%2 == 1 {
			winner, loser = l.b, l.a
		}
		lots := map[string]int{}
		for _, o := range []org.Org{l.a, l.b} {
			if err := db.Read(ctx, func(tx *store.Tx) error {
				ls, err := tx.LicenseLots(ctx, o.ID, "acs-edge")
				lots[o.ID] = len(ls)
				if o.ID == winner.ID && (len(ls) != 1 || ls[0].Quantity != 25) {
					return fmt.Errorf("the winner's lots: %+v", ls)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if lots[winner.ID] != 1 || lots[loser.ID] != 0 {
			t.Fatalf("lots: %v", lots)
		}
		for _, e := range errsOf {
			if e != nil {
				if m := errs.LocalMessage(e, "en"); strings.Contains(m, winner.ID) || strings.Contains(m, winner.Name) || strings.Contains(m, loser.Name) {
					t.Fatalf("the refusal names an organization: %q", m)
				}
			}
		}
	})
}

// warmWriters opens n write connections at once (PostgreSQL): n
// transactions each wait for the others to begin before they end.
func warmWriters(t *testing.T, db *store.DB, n int) {
	t.Helper()
	var inside sync.WaitGroup
	inside.Add(n)
	errc := make(chan error, n)
	for range n {
		go func() {
			errc <- db.Write(context.Background(), func(tx *store.Tx) error {
				inside.Done()
				inside.Wait()
				var one int
				return tx.QueryRowForTest(context.Background(), `SELECT 1`).Scan(&one)
			})
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

// LIC-3: redeeming through the service puts a lot into the wallet today,
// expiring LotYears later, with its history entry and audit line; a key
// is refused mistyped before any look-up, unknown, or redeemed already
// (here, or elsewhere without saying where); a Viewer may read but not
// redeem.
func TestLIC3_Redeem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		issued, err := l.svc.IssueKeys(ctx, vendorActor, "adm-extend", 40, 2)
		if err != nil {
			t.Fatal(err)
		}
		l.clk.Advance(48 * time.Hour)
		r, err := l.svc.Redeem(ctx, l.ownerA, l.a.ID, " "+issued[0].Key.String()+" ")
		if err != nil {
			t.Fatal(err)
		}
		today := license.DateOf(t0.Add(48 * time.Hour))
		if r.Product.ID != "adm-extend" || r.Lot.Quantity != 40 || r.Lot.Original != 40 || r.Lot.Entered != today ||
			r.Lot.Expires.String() != "2031-03-03" || r.Lot.Source != license.FromKey {
			t.Fatalf("redeemed %+v", r)
		}
		w, err := l.svc.Wallet(ctx, l.ownerA, l.a.ID, "adm-extend")
		if err != nil || w.Available != 40 || len(w.Lots) != 1 || w.Lots[0].ID != r.Lot.ID {
			t.Fatalf("wallet: %+v %v", w, err)
		}
		if w, err := l.svc.Wallet(ctx, l.ownerB, l.b.ID, "adm-extend"); err != nil || w.Available != 0 || len(w.Lots) != 0 {
			t.Fatalf("org B's wallet: %+v %v", w, err)
		}
		h, err := l.svc.History(ctx, l.ownerA, l.a.ID, license.HistoryFilter{}, audit.Page{})
		if err != nil || len(h.Entries) != 1 {
			t.Fatalf("history: %+v %v", h, err)
		}
		if e := h.Entries[0]; e.Kind != license.KindRedeem || e.Quantity != 40 || e.Lot != r.Lot.ID || e.Product != "adm-extend" ||
			e.Actor.ID != l.ownerA.ID || e.Day != today || e.Details["key_end"] != issued[0].Key.Last() {
			t.Fatalf("history entry %+v", e)
		}
		var action, target string
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRowForTest(ctx, `SELECT action, target_id FROM audit_log WHERE org_id = ? AND action LIKE 'license.%'`, l.a.ID).Scan(&action, &target)
		}); err != nil || action != audit.LicenseRedeem || target != "adm-extend" {
			t.Fatalf("audit: %s %s %v", action, target, err)
		}
		_, err = l.svc.Redeem(ctx, l.ownerA, l.a.ID, issued[0].Key.String())
		if e, ok := errs.As(err); !ok || e.Code != errs.Conflict || e.Key != "err.license.key_redeemed_here" {
			t.Fatalf("again here: %v", err)
		}
		_, err = l.svc.Redeem(ctx, l.ownerB, l.b.ID, issued[0].Key.String())
		if e, ok := errs.As(err); !ok || e.Code != errs.Conflict || e.Key != "err.license.key_redeemed" {
			t.Fatalf("elsewhere: %v", err)
		}
		unknown, _ := license.NewKey()
		_, err = l.svc.Redeem(ctx, l.ownerA, l.a.ID, unknown.String())
		wantCode(t, err, errs.NotFound, "an unknown key")
		raw := []byte(issued[1].Key.String())
		raw[0], raw[1] = raw[1], raw[0]
		if raw[0] == raw[1] {
			raw[0], raw[2] = raw[2], raw[0]
		}
		_, err = l.svc.Redeem(ctx, l.ownerA, "org_nowhere", string(raw))
		if e, ok := errs.As(err); !ok || e.Field != "key" || e.Key != "err.license.key_mistyped" {
			t.Fatalf("mistyped (refused before the organization is even entered): %v", err)
		}
		viewer := mkUser(t, db, "viewer@example.com")
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.AddMemberForTest(ctx, l.a.ID, viewer.ID, "viewer", nil) }); err != nil {
			t.Fatal(err)
		}
		va := audit.Actor{Kind: audit.KindUser, ID: viewer.ID}
		_, err = l.svc.Redeem(ctx, va, l.a.ID, issued[1].Key.String())
		wantCode(t, err, errs.Forbidden, "a Viewer redeems")
		if w, err := l.svc.Wallet(ctx, va, l.a.ID, "adm-extend"); err != nil || w.Available != 40 {
			t.Fatalf("a Viewer reads the wallet: %+v %v", w, err)
		}
		_, err = l.svc.Wallet(ctx, l.ownerB, l.a.ID, "adm-extend")
		wantCode(t, err, errs.NotFound, "org B's owner reads org A's wallet")
		_, err = l.svc.Wallet(ctx, l.ownerA, l.a.ID, "nope")
		wantCode(t, err, errs.NotFound, "an unknown product's wallet")
		// The lot leaves the wallet on its expiry day.
		l.clk.Set(r.Lot.Expires.Time())
		if w, err := l.svc.Wallet(ctx, l.ownerA, l.a.ID, "adm-extend"); err != nil || w.Available != 0 || len(w.Lots) != 0 {
			t.Fatalf("wallet on the expiry day: %+v %v", w, err)
		}
	})
}
