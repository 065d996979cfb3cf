package store_test

import (
	"context"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func mkUser(t *testing.T, db *store.DB, email string) account.User {
	t.Helper()
	u := account.User{ID: account.NewID("usr_"), Email: email, Name: email, Lang: "en", CreatedAt: t0}
	if err := db.Write(context.Background(), func(tx *store.Tx) error { return tx.CreateUser(context.Background(), u, "hash") }); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u
}

func mkOrg(t *testing.T, db *store.DB, name string, owner account.User) org.Org {
	t.Helper()
	ctx := context.Background()
	o := org.Org{ID: account.NewID("org_"), Name: name, Status: org.Active, CreatedAt: t0}
	root := org.Folder{ID: account.NewID("fld_"), OrgID: o.ID, Name: org.RootFolderName, CreatedAt: t0}
	o.RootFolderID = root.ID
	err := db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateOrg(ctx, o); err != nil {
			return err
		}
		if err := tx.CreateFolder(ctx, root); err != nil {
			return err
		}
		if err := tx.AddMember(ctx, org.Membership{OrgID: o.ID, UserID: owner.ID, Role: access.Owner, CreatedAt: t0}); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: o.ID, At: t0, Actor: audit.Actor{Kind: audit.KindUser, ID: owner.ID},
			Action: "org.create", TargetType: "org", TargetID: o.ID})
	})
	if err != nil {
		t.Fatalf("create org: %v", err)
	}
	return o
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u := mkUser(t, db, "Alice@Example.com")
		t.Run("OK", func(t *testing.T) {
			err := db.Read(ctx, func(tx *store.Tx) error {
				got, hash, err := tx.UserByEmail(ctx, "alice@example.com")
				if err != nil {
					return err
				}
				if got.ID != u.ID || got.Email != "Alice@Example.com" || hash != "hash" || !got.CreatedAt.Equal(t0) {
					t.Errorf("got %+v %q, want %+v", got, hash, u)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
		t.Run("ErrConflict", func(t *testing.T) { // ID-1: e-mail unique, case-insensitive
			dup := account.User{ID: account.NewID("usr_"), Email: "ALICE@example.COM", Name: "x", Lang: "en", CreatedAt: t0}
			err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateUser(ctx, dup, "h") })
			if !errs.Is(err, errs.Conflict) {
				t.Fatalf("got %v, want conflict", err)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			err := db.Read(ctx, func(tx *store.Tx) error { _, err := tx.UserByID(ctx, "usr_nope"); return err })
			if !errs.Is(err, errs.NotFound) {
				t.Fatalf("got %v, want not_found", err)
			}
		})
	})
}

// ORG-5: two organizations never see each other's rows.
func TestORG5_OrgIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := mkUser(t, db, "a@example.com"), mkUser(t, db, "b@example.com")
		oa, ob := mkOrg(t, db, "Org A", a), mkOrg(t, db, "Org B", b)
		err := db.Read(ctx, func(tx *store.Tx) error {
			if _, err := tx.Membership(ctx, oa.ID, b.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("b's membership in A: got %v, want not_found", err)
			}
			mine, _, err := tx.MyOrgs(ctx, a.ID, org.Page{Limit: 10})
			if err != nil {
				return err
			}
			if len(mine) != 1 || mine[0].Org.ID != oa.ID || mine[0].Role != access.Owner {
				t.Errorf("a's orgs = %+v, want only A as owner", mine)
			}
			ea, _, err := tx.AuditEntries(ctx, oa.ID, audit.Filter{}, audit.Page{Limit: 10})
			if err != nil {
				return err
			}
			if len(ea) != 1 || ea[0].OrgID != oa.ID {
				t.Errorf("A's audit = %+v, want one entry of A", ea)
			}
			eb, _, err := tx.AuditEntries(ctx, ob.ID, audit.Filter{}, audit.Page{Limit: 10})
			if err != nil {
				return err
			}
			if len(eb) != 1 || eb[0].OrgID != ob.ID {
				t.Errorf("B's audit = %+v, want one entry of B", eb)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestFolderSiblingNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := mkUser(t, db, "a@example.com")
		oa := mkOrg(t, db, "A", a)
		ob := mkOrg(t, db, "B", a)
		mk := func(o org.Org, name string) error {
			return db.Write(ctx, func(tx *store.Tx) error {
				return tx.CreateFolder(ctx, org.Folder{ID: account.NewID("fld_"), OrgID: o.ID, ParentID: o.RootFolderID, Name: name, CreatedAt: t0})
			})
		}
		if err := mk(oa, "Lobby"); err != nil {
			t.Fatal(err)
		}
		if err := mk(oa, "lobby"); !errs.Is(err, errs.Conflict) { // DEV-1
			t.Errorf("same name under same parent: got %v, want conflict", err)
		}
		if err := mk(ob, "Lobby"); err != nil {
			t.Errorf("same name in another org: %v", err)
		}
		err := db.Write(ctx, func(tx *store.Tx) error {
			return tx.CreateFolder(ctx, org.Folder{ID: account.NewID("fld_"), OrgID: ob.ID, ParentID: oa.RootFolderID, Name: "x", CreatedAt: t0})
		})
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("parent from another org: got %v, want invalid", err)
		}
	})
}

func TestAUD1_AuditPagination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := mkUser(t, db, "a@example.com")
		oa := mkOrg(t, db, "A", a)
		for i := 0; i < 24; i++ {
			err := db.Write(ctx, func(tx *store.Tx) error {
				return tx.RecordAudit(ctx, audit.Entry{OrgID: oa.ID, At: t0.Add(time.Duration(i) * time.Minute),
					Actor: audit.Actor{Kind: audit.KindUser, ID: a.ID}, Action: "org.update", Details: map[string]any{"i": i}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		var seen []int64
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
			var page []audit.Entry
			err := db.Read(ctx, func(tx *store.Tx) error {
				var err error
				page, cursor, err = tx.AuditEntries(ctx, oa.ID, audit.Filter{Action: "org."}, audit.Page{Limit: 10, Cursor: cursor})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				seen = append(seen, e.Seq)
			}
			if cursor == "" {
				break
			}
		}
		if len(seen) != 25 {
			t.Fatalf("got %d entries, want 25", len(seen))
		}
		for i := 1; i < len(seen); i++ {
			if seen[i] >= seen[i-1] {
				t.Fatalf("not newest first: %v", seen)
			}
		}
		err := db.Read(ctx, func(tx *store.Tx) error {
			_, _, err := tx.AuditEntries(ctx, oa.ID, audit.Filter{}, audit.Page{Limit: 10, Cursor: "garbage!"})
			return err
		})
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("bad cursor: got %v, want invalid", err)
		}
	})
}

func TestRateCounter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := 15 * time.Minute
		err := db.Write(ctx, func(tx *store.Tx) error {
			for i := 1; i <= 3; i++ {
				n, _, err := tx.HitRate(ctx, "k", t0, w)
				if err != nil || n != i {
					t.Errorf("hit %d: got %d, %v", i, n, err)
				}
			}
			n, _, err := tx.HitRate(ctx, "k", t0.Add(w), w)
			if err != nil || n != 1 {
				t.Errorf("new window: got %d, %v, want 1", n, err)
			}
			n, _, err = tx.RateCount(ctx, "k", t0.Add(w), w)
			if err != nil || n != 1 {
				t.Errorf("count: got %d, %v, want 1", n, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestMigrateIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate: applied %v, %v; want nothing", applied, err)
		}
		v, err := db.SchemaVersion(context.Background())
		if err != nil || v < 1 {
			t.Fatalf("schema version %d, %v", v, err)
		}
	})
}
