package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mysystems/internal/api"
	"mysystems/internal/app"
	"mysystems/internal/harness"
	"mysystems/internal/store"
)

// TestFW1_VendorFirmwareCommands: `mysystems vendor firmware publish` stores
// the image in the data directory and the release in the database;
// `withdraw` takes it out of the recommendations.
func TestFW1_VendorFirmwareCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath, data, image := filepath.Join(dir, "m.db"), filepath.Join(dir, "data"), filepath.Join(dir, "axis.bin")
	if err := os.WriteFile(image, bytes.Repeat([]byte("AXIS"), 1024), 0o600); err != nil {
		t.Fatal(err)
	}
	vendor := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args = append(append([]string{"vendor", "firmware"}, args...), "--database", dbPath, "--data-dir", data)
		if code := run(ctx, args, nil, &out, &errb, env(nil)); code != want {
			t.Fatalf("%v: exit %d, want %d: %s %s", args, code, want, out.String(), errb.String())
		}
		return out.String() + errb.String()
	}
	out := vendor(0, "publish", "--model", "AXIS P3265-LVE", "--version", "12.2.35", "--track", "active", "--file", image, "--released", "2026-01-15")
	if !strings.Contains(out, "published: AXIS P3265-LVE 12.2.35 on Active, 4096 bytes") {
		t.Fatalf("publish said %q", out)
	}
	id := strings.Fields(out)[1]
	if got := vendor(1, "publish", "--model", "AXIS P3265-LVE", "--version", "12.2.35", "--track", "lts-2024", "--file", image); !strings.Contains(got, "already published") {
		t.Fatalf("duplicate: %q", got)
	}
	if got := vendor(1, "publish", "--model", "AXIS P3265-LVE", "--version", "12.3.0", "--track", "beta", "--file", image); !strings.Contains(got, "track") {
		t.Fatalf("bad track: %q", got)
	}
	vendor(1, "publish", "--model", "AXIS P3265-LVE", "--version", "12.3.0", "--track", "active")
	if got := vendor(0, "withdraw", id, "--reason", "boot loop"); !strings.Contains(got, "withdrawn") {
		t.Fatalf("withdraw said %q", got)
	}
	vendor(1, "withdraw", id)

	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := app.DefaultConfig()
	cfg.Firmware.DataDir = data
	cat, err := app.New(cfg, db, nil, nil).Firmware.Catalogue(ctx)
	if err != nil || len(cat.Releases) != 1 || !cat.Releases[0].Withdrawn || len(cat.Recommended) != 0 {
		t.Fatalf("catalogue %+v %v", cat, err)
	}
	if _, err := os.Stat(filepath.Join(data, "firmware", cat.Releases[0].SHA256)); err != nil {
		t.Fatal(err)
	}
}

// TestFW1_DemoCatalogue: the demo publishes a small catalogue, which
// GET /api/v1/firmware shows to the demo login.
func TestFW1_DemoCatalogue(t *testing.T) {
	s := harness.New(t, nil)
	seed, err := seedDemo(context.Background(), s.App, t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	r := s.Call("POST", "/api/v1/auth/login", "", map[string]string{"email": seed.Owner.Email, "password": seed.Owner.Password})
	tok := r.Str("token")
	r = s.Call("GET", "/api/v1/firmware", tok, nil)
	var cat api.FirmwareCatalogueJSON
	if err := r.Decode(&cat); err != nil || r.Status != 200 || len(cat.Models) != 2 || len(cat.Releases) != len(demoReleases) {
		t.Fatalf("catalogue %d %s", r.Status, r.Body)
	}
	for _, m := range cat.Models {
		if len(m.Tracks) != 2 || m.Tracks[0].Recommended != "12.2.35" || m.Tracks[1].Recommended != "10.12.252" {
			t.Errorf("%s: %+v", m.Model, m.Tracks)
		}
	}
}
