package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"mysystems/internal/app"
	"mysystems/internal/license"
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
