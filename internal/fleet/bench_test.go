package fleet_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/fleet"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// BenchmarkListFolderSubtree measures DEV-4's list: one page of 50 devices
// in an organization of 100,000 (override with MYSYSTEMS_BENCH_DEVICES),
// filtered by a folder subtree, as an Admin and as a Viewer granted one site.
// It reports the median and p99 of one List call (membership, folder tree
// and the page query, in one read transaction).
//
//	go test -run '^$' -bench ListFolderSubtree -benchtime 2000x ./internal/fleet/
func BenchmarkListFolderSubtree(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			var db *store.DB
			if kind == "sqlite" {
				db = storetest.SQLite(b)
			} else {
				db = storetest.Postgres(b)
			}
			n := 100000
			if s := os.Getenv("MYSYSTEMS_BENCH_DEVICES"); s != "" {
				n, _ = strconv.Atoi(s)
			}
			fx := seedFleet(b, db, n)
			svc := fleet.NewService(db.Fleet(), clock.Real{}, fleet.DefaultConfig(), nil)
			for _, who := range []struct {
				name  string
				actor audit.Actor
			}{{"admin", fx.admin}, {"viewer", fx.viewer}} {
				b.Run(who.name, func(b *testing.B) {
					ctx := context.Background()
					lat := make([]time.Duration, 0, b.N)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						folder := fx.sites[i%len(fx.sites)]
						if who.name == "viewer" {
							folder = fx.sites[0]
						}
						start := time.Now()
						ds, _, _, err := svc.List(ctx, who.actor, fx.org, fleet.Filter{FolderID: folder}, fleet.Page{Limit: 50})
						lat = append(lat, time.Since(start))
						if err != nil || len(ds) != 50 {
							b.Fatalf("list: %d devices, %v", len(ds), err)
						}
					}
					b.StopTimer()
					sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				})
			}
		})
	}
}

type fleetFixture struct {
	org           string
	admin, viewer audit.Actor
	sites         []string
}

// seedFleet makes an organization with 10 sites of 20 folders each and n
// devices spread over them, writing rows in large transactions.
func seedFleet(b *testing.B, db *store.DB, n int) fleetFixture {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	orgs := org.NewService(db.Orgs(), clock.Real{}, org.Config{})
	mk := func(email string) audit.Actor {
		u := account.User{ID: account.NewID("usr_"), Email: email, Name: email, Lang: "en", CreatedAt: now}
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateUser(ctx, u, "h") }); err != nil {
			b.Fatal(err)
		}
		return audit.Actor{Kind: audit.KindUser, ID: u.ID, Email: email}
	}
	fx := fleetFixture{admin: mk("admin@example.com"), viewer: mk("viewer@example.com")}
	o, err := orgs.Create(ctx, fx.admin, "Big", "")
	if err != nil {
		b.Fatal(err)
	}
	fx.org = o.ID
	var leaves []string
	for s := 0; s < 10; s++ {
		site, err := orgs.CreateFolder(ctx, fx.admin, o.ID, "", fmt.Sprintf("Site %02d", s))
		if err != nil {
			b.Fatal(err)
		}
		fx.sites = append(fx.sites, site.ID)
		for f := 0; f < 20; f++ {
			sub, err := orgs.CreateFolder(ctx, fx.admin, o.ID, site.ID, fmt.Sprintf("Area %02d", f))
			if err != nil {
				b.Fatal(err)
			}
			leaves = append(leaves, sub.ID)
		}
	}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		return tx.AddMemberForTest(ctx, o.ID, fx.viewer.ID, string(access.Viewer), []string{fx.sites[0]})
	}); err != nil {
		b.Fatal(err)
	}
	const batch = 5000
	for start := 0; start < n; start += batch {
		err := db.Write(ctx, func(tx *store.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				serial := fmt.Sprintf("ACCC8E%08X", i)
				if err := tx.CreateIdentity(ctx, fleet.Identity{Serial: serial, Model: "AXIS M3086-V", CreatedAt: now}, fleet.Secrets{SecretHash: "x", OAKHash: "y"}); err != nil {
					return err
				}
				d := fleet.Device{ID: fmt.Sprintf("dev_%08d", i), OrgID: o.ID, FolderID: leaves[i%len(leaves)], Serial: serial,
					Model: "AXIS M3086-V", Firmware: "11.11.0", Name: fmt.Sprintf("Camera %06d", i), ClaimedAt: now}
				if err := tx.CreateDevice(ctx, d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.AnalyzeForTest(ctx); err != nil {
		b.Fatal(err)
	}
	return fx
}
