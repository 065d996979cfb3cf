package store_test

import (
	"context"
	"sync"
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

// ID-4: rate limits count the attempts of a sliding window. Three failures
// just before a quarter hour and three just after are not allowed under
// a limit of three per 15 minutes, and the next attempt is allowed exactly
// when the oldest counted one leaves the window.
func TestID4_SlidingWindowAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := 15 * time.Minute
		edge := t0.Truncate(w) // a quarter hour
		err := db.Write(ctx, func(tx *store.Tx) error {
			for _, d := range []time.Duration{-5 * time.Minute, -3 * time.Minute, -time.Minute} {
				if _, err := tx.RateHit(ctx, "k", edge.Add(d), w); err != nil {
					return err
				}
			}
			if _, err := tx.RateHit(ctx, "other", edge, w); err != nil {
				return err
			}
			for _, c := range []struct {
				at       time.Duration
				max      int
				n        int
				next     time.Duration // from edge; 0: none (allowed)
				describe string
			}{
				{time.Minute, 3, 3, 10 * time.Minute, "just after the quarter hour, the three before it still count"},
				{time.Minute, 2, 3, 12 * time.Minute, "over a limit of 2, the second oldest must leave"},
				{time.Minute, 4, 3, 0, "under the limit"},
				{10*time.Minute - time.Microsecond, 3, 3, 10 * time.Minute, "a moment before the oldest leaves"},
				{10 * time.Minute, 3, 2, 0, "the oldest has left"},
				{14 * time.Minute, 1, 0, 0, "all have left"},
			} {
				n, next, err := tx.RateCount(ctx, "k", edge.Add(c.at), w, c.max)
				if err != nil {
					return err
				}
				want := time.Time{}
				if c.next != 0 {
					want = edge.Add(c.next)
				}
				if n != c.n || !next.Equal(want) {
					t.Errorf("%s: got %d, next %v; want %d, next %v", c.describe, n, next, c.n, want)
				}
			}
			id, err := tx.RateHit(ctx, "k", edge.Add(2*time.Minute), w)
			if err != nil {
				return err
			}
			if n, _, _ := tx.RateCount(ctx, "k", edge.Add(2*time.Minute), w, 10); n != 4 {
				t.Errorf("after a hit: got %d, want 4", n)
			}
			if err := tx.TakeBackRate(ctx, id); err != nil {
				return err
			}
			if n, _, _ := tx.RateCount(ctx, "k", edge.Add(2*time.Minute), w, 10); n != 3 {
				t.Errorf("after taking it back: got %d, want 3", n)
			}
			if n, err := tx.PruneRate(ctx, edge.Add(13*time.Minute)); err != nil || n != 2 {
				t.Errorf("prune: got %d, %v; want the 2 oldest", n, err)
			}
			if err := tx.ResetRate(ctx, "k"); err != nil {
				return err
			}
			if n, _, _ := tx.RateCount(ctx, "k", edge, w, 10); n != 0 {
				t.Errorf("after a reset: got %d, want 0", n)
			}
			if n, _, _ := tx.RateCount(ctx, "other", edge, w, 10); n != 1 {
				t.Errorf("another key after the reset: got %d, want 1", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// ID-4: two instances on one database checking and counting attempts of
// one key at once never let more than the limit through.
func TestID4_LimitAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		other := storetest.Open(t, db.DSN())
		const limit, tries = 5, 24
		var mu sync.Mutex
		allowed := 0
		var wg sync.WaitGroup
		for i := range tries {
			inst := db
			if i%2 == 1 {
				inst = other
			}
			wg.Go(func() {
				err := inst.Write(ctx, func(tx *store.Tx) error {
					n, _, err := tx.RateCount(ctx, "login:acct:x@example.com", t0, 15*time.Minute, limit)
					if err != nil || n >= limit {
						return err
					}
					if _, err := tx.RateHit(ctx, "login:acct:x@example.com", t0, 15*time.Minute); err != nil {
						return err
					}
					mu.Lock()
					allowed++
					mu.Unlock()
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if allowed != limit {
			t.Errorf("%d attempts allowed, want %d", allowed, limit)
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
