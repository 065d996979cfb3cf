package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mysystems/internal/device"
	"mysystems/internal/fleet"
	"mysystems/internal/harness"
	"mysystems/internal/store/storetest"
)

// `mysystems vendor devices mint` writes identities that work: a device says
// hello with its secret, and an owner claims it with its OAK.
func TestVendorDevicesMint(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "m.db")
	file := filepath.Join(dir, "minted.csv")
	defer func(n int) { mintChunk = n }(mintChunk)
	mintChunk = 2 // 3 identities take two chunks: a progress line

	var out, errb bytes.Buffer
	args := []string{"vendor", "devices", "mint", "--database", dbPath, "--model", "AXIS M3086-V", "--count", "3", "--out", file}
	if code := run(ctx, args, nil, &out, &errb, env(nil)); code != 0 {
		t.Fatalf("vendor devices mint: %d %s", code, errb.String())
	}
	if out.Len() != 0 {
		t.Errorf("with --out, stdout is %q, want nothing", out.String())
	}
	if s := errb.String(); !strings.Contains(s, "minted 2 of 3") || !strings.Contains(s, "minted 3 AXIS M3086-V identities into "+file) {
		t.Errorf("stderr %q, want progress and a summary", s)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("minted file mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(file)
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) != 4 || strings.Join(rows[0], ",") != "serial,model,secret,oak" {
		t.Fatalf("minted CSV %q (%v), want the header and 3 rows", b, err)
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if len(r) != 4 || r[1] != "AXIS M3086-V" || r[2] == "" || r[3] == "" || seen[r[0]] {
			t.Fatalf("minted row %q", r)
		}
		if _, err := fleet.NormalizeSerial(r[0]); err != nil {
			t.Errorf("serial %q: %v", r[0], err)
		}
		seen[r[0]] = true
	}

	// Never over an existing file (it may hold earlier secrets), and the
	// check comes before anything is minted.
	errb.Reset()
	if code := run(ctx, args, nil, &out, &errb, env(nil)); code != 1 || !strings.Contains(errb.String(), "already exists: choose a new file") {
		t.Errorf("mint over an existing file: %d %q", code, errb.String())
	}
	if b2, _ := os.ReadFile(file); !bytes.Equal(b, b2) {
		t.Error("the existing file was changed")
	}
	// Standard output without --out; wrong usage.
	out.Reset()
	errb.Reset()
	if code := run(ctx, []string{"vendor", "devices", "mint", "--database", dbPath, "--model", "AXIS Q1656", "--count", "1"}, nil, &out, &errb, env(nil)); code != 0 {
		t.Fatalf("mint to stdout: %d %s", code, errb.String())
	}
	if rows, err := csv.NewReader(&out).ReadAll(); err != nil || len(rows) != 2 || rows[1][1] != "AXIS Q1656" {
		t.Errorf("mint to stdout: %q (%v)", out.String(), err)
	}
	for _, bad := range [][]string{
		{"--count", "0", "--model", "M"},
		{"--count", "2"},
		{"--count", "2", "--model", "!!"},
		{"--count", "2", "--model", "M", "extra"},
	} {
		errb.Reset()
		a := append([]string{"vendor", "devices", "mint", "--database", dbPath}, bad...)
		if code := run(ctx, a, nil, io.Discard, &errb, env(nil)); code != 1 || errb.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and a reason", bad, code, errb.String())
		}
	}
	if code := run(ctx, []string{"vendor", "devices"}, nil, io.Discard, &errb, env(nil)); code != 1 {
		t.Errorf("vendor devices without mint: exit %d", code)
	}

	// The identities work on a server over the same database.
	s := harness.New(t, storetest.Open(t, dbPath), harness.WallClock())
	dev := rows[1]
	sd := s.Device(fleet.Minted{Serial: dev[0], Model: dev[1], Secret: dev[2]})
	if w := sd.Hello(); w.Claimed {
		t.Fatalf("hello with a minted secret: %+v", w)
	}
	hello := device.Hello{Serial: dev[0], Secret: rows[2][2], Model: dev[1], Firmware: "11.11.0", PublicKey: sd.PublicKey()} // another device's secret
	if r := s.Call("POST", "/device/v1/hello", "", hello); r.Status != 401 {
		t.Errorf("hello with another device's secret: %d, want 401", r.Status)
	}

	owner := s.User("o@example.com")
	orgID, _ := s.Org(owner.Token, "Acme")
	var d struct{ Serial, Model, Firmware string }
	r := s.Call("POST", "/api/v1/orgs/"+orgID+"/devices", owner.Token, map[string]string{"serial": dev[0], "oak": dev[3]})
	if err := r.Decode(&d); err != nil || r.Status != 201 || d.Serial != dev[0] || d.Model != "AXIS M3086-V" || d.Firmware != "11.11.0" {
		t.Fatalf("claim with the minted OAK: %d %+v", r.Status, d)
	}
	if r := s.Call("POST", "/api/v1/orgs/"+orgID+"/devices", owner.Token, map[string]string{"serial": rows[2][0], "oak": dev[3]}); r.Status != 400 {
		t.Errorf("claim with another device's OAK: %d, want 400", r.Status)
	}
}
