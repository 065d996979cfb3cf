package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/license"
	"mysystems/internal/org"
	"mysystems/internal/store"
)

// TestLIC3_VendorProductsAndKeys: `mysystems vendor products add|list`
// and `mysystems vendor keys issue` work on the database as the API's
// vendor routes do: refusals name what is wrong, keys are printed once and
// parse.
func TestLIC3_VendorProductsAndKeys(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "m.db")
	vendor := func(want int, args ...string) (string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		args = append(append([]string{"vendor"}, args...), "--database", dbPath)
		if code := run(ctx, args, nil, &out, &errb, env(nil)); code != want {
			t.Fatalf("%v: exit %d, want %d: %s %s", args, code, want, out.String(), errb.String())
		}
		return out.String(), errb.String()
	}
	if out, _ := vendor(0, "products", "list"); !strings.Contains(out, "no products") {
		t.Fatalf("empty list: %q", out)
	}
	out, _ := vendor(0, "products", "add", "--id", "acs-edge", "--name", "AXIS Camera Station Edge", "--licensing", "subscription",
		"--covers", "AXIS M*, AXIS P*", "--covers", "AXIS Q*")
	if !strings.Contains(out, "product acs-edge (AXIS Camera Station Edge) added") {
		t.Fatalf("add: %q", out)
	}
	vendor(0, "products", "add", "--id", "adm-extend", "--name", "AXIS Device Manager Extend", "--licensing", "subscription",
		"--covers", "*", "--gates", "axis-os-upgrades,upgrade-schedules,device-accounts")
	if _, e := vendor(1, "products", "add", "--id", "acs-edge", "--name", "Again", "--licensing", "both", "--covers", "*"); !strings.Contains(e, "already has a product") {
		t.Fatalf("duplicate: %q", e)
	}
	if _, e := vendor(1, "products", "add", "--id", "x", "--name", "X", "--licensing", "forever", "--covers", "*"); !strings.Contains(e, "licensing must be") {
		t.Fatalf("bad licensing: %q", e)
	}
	vendor(1, "products")
	vendor(1, "products", "remove")
	out, _ = vendor(0, "products", "list")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[0], "AXIS M*, AXIS P*, AXIS Q*") ||
		!strings.Contains(lines[1], "gates axis-os-upgrades, upgrade-schedules, device-accounts") {
		t.Fatalf("list: %q", out)
	}

	out, e := vendor(0, "keys", "issue", "--product", "acs-edge", "--quantity", "25", "--count", "3")
	keys := strings.Fields(out)
	if len(keys) != 3 || !strings.Contains(e, "3 keys of 25 licenses of acs-edge issued") {
		t.Fatalf("issue: %q %q", out, e)
	}
	for _, k := range keys {
		if p, err := license.ParseKey(k); err != nil || p.String() != k {
			t.Fatalf("issued %q: %v", k, err)
		}
	}
	if _, e := vendor(1, "keys", "issue", "--product", "acs-edge", "--quantity", "1", "--count", "1001"); !strings.Contains(e, "count must be") {
		t.Fatalf("too many: %q", e)
	}
	if _, e := vendor(1, "keys", "issue", "--product", "nope", "--quantity", "1"); !strings.Contains(e, `no product "nope"`) {
		t.Fatalf("unknown product: %q", e)
	}
	vendor(1, "keys", "issue", "--quantity", "1")
	vendor(1, "keys", "issue", "--product", "acs-edge")
	vendor(1, "keys")

	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, k := range keys {
		if n, err := db.ScanForTest(ctx, k); err != nil || n != 0 {
			t.Fatalf("key %s stored in %d cells (%v)", k, n, err)
		}
	}
}

// LIC-5: the demo's catalogue is valid, can be added twice (a demo run
// again reuses its data), and counts the devices the demo plays: AXIS
// Device Manager Extend every one, AXIS Camera Station Edge the cameras.
func TestLIC5_DemoCatalogue(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a := app.New(app.DefaultConfig(), db, nil, nil)
	for range 2 {
		if err := seedProducts(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := a.Licenses.Products(ctx)
	if err != nil || len(ps) != 3 {
		t.Fatalf("products: %+v %v", ps, err)
	}
	byID := map[string]license.Product{}
	for _, p := range ps {
		byID[p.ID] = p
	}
	adm, edge, entry := byID["adm-extend"], byID["acs-edge"], byID["secure-entry"]
	if len(adm.Gates) != len(license.Features) || len(edge.Gates) != 0 || len(entry.Gates) != 0 {
		t.Fatalf("gates: %v, %v, %v", adm.Gates, edge.Gates, entry.Gates)
	}
	cameras := map[string]bool{"AXIS P3265-LVE": true, "AXIS M3086-V": true, "AXIS Q6135-LE": true, "AXIS I8116-E": false}
	for _, m := range demoModels {
		want, known := cameras[m]
		if !known {
			t.Fatalf("the demo plays %s: say whether it is a camera", m)
		}
		if !adm.CoversModel(m) || edge.CoversModel(m) != want || entry.CoversModel(m) == want {
			t.Errorf("%s: ADM Extend covers it %v, ACS Edge %v (want %v), Secure Entry %v (want %v)", m, adm.CoversModel(m), edge.CoversModel(m), want, entry.CoversModel(m), !want)
		}
	}
}

// LIC-13: `mysystems vendor licenses verify` passes on a database whose
// licenses balance and fails, naming the organization, the product and the
// terms, once a lot's quantity is tampered with.
func TestLIC13_VendorLicensesVerify(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "m.db")
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a := app.New(app.DefaultConfig(), db, nil, nil)
	u := account.User{ID: account.NewID("usr_"), Email: "owner@example.com", Name: "Owner", Lang: "en", CreatedAt: time.Now()}
	o := org.Org{ID: account.NewID("org_"), Name: "Acme", Status: org.Active, CreatedAt: time.Now()}
	root := org.Folder{ID: account.NewID("fld_"), OrgID: o.ID, Name: org.RootFolderName, CreatedAt: time.Now()}
	o.RootFolderID = root.ID
	err = db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateUser(ctx, u, "hash"); err != nil {
			return err
		}
		if err := tx.CreateOrg(ctx, o); err != nil {
			return err
		}
		if err := tx.CreateFolder(ctx, root); err != nil {
			return err
		}
		return tx.AddMember(ctx, org.Membership{OrgID: o.ID, UserID: u.ID, Role: access.Owner, CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	owner := audit.Actor{Kind: audit.KindUser, ID: u.ID, Email: u.Email}
	if err := seedProducts(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Licenses.Start(ctx, owner, o.ID, "acs-edge"); err != nil {
		t.Fatal(err)
	}
	ks, err := a.Licenses.IssueKeys(ctx, shellVendor, "acs-edge", 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Licenses.Redeem(ctx, owner, o.ID, ks[0].Key.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Licenses.Allocate(ctx, owner, o.ID, "acs-edge", 1, 3, true); err != nil {
		t.Fatal(err)
	}
	verify := func(want int) (string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(ctx, []string{"vendor", "licenses", "verify", "--database", dbPath}, nil, &out, &errb, env(nil)); code != want {
			t.Fatalf("verify: exit %d, want %d: %s %s", code, want, out.String(), errb.String())
		}
		return out.String(), errb.String()
	}
	if out, _ := verify(0); !strings.Contains(out, "licenses balance: 1 accounts of 1 organizations checked") {
		t.Fatalf("clean: %q", out)
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecForTest(ctx, `UPDATE license_lots SET quantity = quantity + 2 WHERE org_id = ?`, o.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out, e := verify(1)
	if !strings.Contains(out, o.ID+" acs-edge conservation: history 10, tables 12") || !strings.Contains(out, "Wallet:9") ||
		!strings.Contains(e, "1 imbalances") || !strings.Contains(e, "do not balance") {
		t.Fatalf("tampered: %q %q", out, e)
	}
	var help bytes.Buffer
	if code := run(ctx, []string{"vendor", "licenses"}, nil, &help, &help, env(nil)); code == 0 || !strings.Contains(help.String(), "verify") {
		t.Fatalf("no subcommand: %d %q", code, help.String())
	}
}
