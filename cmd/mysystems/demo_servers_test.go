package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/harness"
)

// TestSRV2_DemoServers: the demo publishes ACS Pro versions and enrols three
// servers in the demo organization: one up to date, one with a recommended
// upgrade, one silent (offline three poll intervals later). A second run
// plays the same servers.
func TestSRV2_DemoServers(t *testing.T) {
	ctx := context.Background()
	s := harness.New(t, nil, harness.NoRateLimit())
	dir := t.TempDir()
	if _, err := seedDemo(ctx, s.App, dir, 0); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	stop, err := startDemoServers(ctx, s.App, dir, s.URL, log)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	stop() // idempotent: the demo stops its fleet twice
	if _, err := os.Stat(filepath.Join(dir, demoServersFile)); err != nil {
		t.Fatal(err)
	}
	res, err := s.App.Accounts.Login(ctx, demo.Email, demo.Password, "t", "t")
	if err != nil {
		t.Fatal(err)
	}
	actor := audit.Actor{Kind: audit.KindUser, ID: res.User.ID}
	mine, _, _ := s.App.Orgs.Mine(ctx, res.User.ID, audit.Page{Limit: 10})
	var orgID string
	for _, m := range mine {
		if m.Org.Name == "Demo Company" {
			orgID = m.Org.ID
		}
	}
	s.Clock.Advance(3 * time.Minute)
	vs, err := s.App.ACS.List(ctx, actor, orgID)
	if err != nil || len(vs) != 3 {
		t.Fatalf("demo servers: %d, %v", len(vs), err)
	}
	byName := map[string]int{}
	for i, v := range vs {
		byName[v.Name] = i
	}
	if v := vs[byName["Recorder Warehouse"]]; v.Recommended == nil || v.Recommended.Version.String() != "6.5.2" {
		t.Errorf("Warehouse: want a recommended upgrade to 6.5.2, got %+v", v.Recommended)
	}
	if v := vs[byName["Recorder HQ"]]; v.Recommended != nil {
		t.Errorf("HQ: up to date, got a recommendation %v", v.Recommended.Version)
	}
	if v := vs[byName["Recorder Parking"]]; v.Status != "offline" {
		t.Errorf("Parking: status %s, want offline", v.Status)
	}
	again, err := startDemoServers(ctx, s.App, dir, s.URL, log)
	if err != nil {
		t.Fatal(err)
	}
	again()
	if vs, _ := s.App.ACS.List(ctx, actor, orgID); len(vs) != 3 {
		t.Errorf("a second run enrolled more servers: %d", len(vs))
	}
}
