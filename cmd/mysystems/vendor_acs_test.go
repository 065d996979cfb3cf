package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"mysystems/internal/app"
	"mysystems/internal/store"
)

// TestSRV2_VendorACSPublish: `mysystems vendor acs publish` adds an ACS Pro
// version to the database; a version published already is refused.
func TestSRV2_VendorACSPublish(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "m.db")
	vendor := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args = append(append([]string{"vendor", "acs"}, args...), "--database", dbPath)
		if code := run(ctx, args, nil, &out, &errb, env(nil)); code != want {
			t.Fatalf("%v: exit %d, want %d: %s %s", args, code, want, out.String(), errb.String())
		}
		return out.String() + errb.String()
	}
	if out := vendor(0, "publish", "--version", "6.5.2", "--released", "2026-02-01"); !strings.Contains(out, "ACS Pro 6.5.2 published (released 2026-02-01)") {
		t.Fatalf("publish said %q", out)
	}
	if out := vendor(1, "publish", "--version", "6.5.2.0"); !strings.Contains(out, "already published") {
		t.Fatalf("duplicate: %q", out)
	}
	vendor(1, "publish")
	vendor(1, "publish", "--version", "six")
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	vs, err := app.New(app.DefaultConfig(), db, nil, nil).ACS.Versions(ctx)
	if err != nil || len(vs) != 1 || vs[0].Version.String() != "6.5.2" {
		t.Fatalf("versions: %v %v", vs, err)
	}
}
