package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"mysystems/internal/acs"
	"mysystems/internal/app"
	"mysystems/internal/errs"
	"mysystems/internal/sim"
)

// The demo's ACS Pro servers (SPEC §8): a few published ACS Pro versions and
// three simulated servers in the demo organization: one up to date, one
// with a recommended upgrade (its upgrades take two minutes), and one that
// reported once and went silent, so it shows offline and its alert e-mail
// waits in the outbox.

// demoServersFile keeps the demo servers' ids and tokens, so a later demo
// run plays the same servers.
const demoServersFile = "demo-servers.json"

// demoACSVersions are the ACS Pro versions the demo publishes.
var demoACSVersions = []acs.PublishInput{
	{Version: "6.3.1", ReleasedAt: "2025-06-16"},
	{Version: "6.4", ReleasedAt: "2025-10-06"},
	{Version: "6.5.2", ReleasedAt: "2026-01-19"},
}

// demoServer is one of the demo's servers.
type demoServer struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Silent servers register, report once and then say nothing more.
	Silent bool   `json:"silent"`
	ID     string `json:"id"`
	Token  string `json:"token"`
}

var demoServers = []demoServer{
	{Name: "Recorder HQ", Version: "6.5.2"},
	{Name: "Recorder Warehouse", Version: "6.3.1"},
	{Name: "Recorder Parking", Version: "6.4", Silent: true},
}

// startDemoServers publishes the demo's ACS Pro versions and enrols its
// servers on the first run, then plays them against the server at url.
func startDemoServers(ctx context.Context, a *app.App, dataDir, url string, log *slog.Logger) (stop func(), err error) {
	path := filepath.Join(dataDir, demoServersFile)
	servers, err := loadDemoServers(path)
	if errors.Is(err, fs.ErrNotExist) {
		servers, err = enrolDemoServers(ctx, a, url, path)
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var n int
	for _, d := range servers {
		if d.Silent {
			continue
		}
		s := sim.NewServer(sim.ServerConfig{Server: url, Version: d.Version, InstallTime: 2 * time.Minute, FailUpgrades: 0, Log: log}, d.Name)
		s.Restore(d.ID, d.Token)
		n++
		go func() {
			defer func() { done <- struct{}{} }()
			s.Run(ctx)
		}()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			for range n {
				<-done
			}
		})
	}, nil
}

func loadDemoServers(path string) ([]demoServer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []demoServer
	return out, json.Unmarshal(b, &out)
}

// enrolDemoServers publishes the versions, creates an enrolment token per
// server as the demo user, registers each server over /server/v1 and has
// it report once, and keeps their credentials in path.
func enrolDemoServers(ctx context.Context, a *app.App, url, path string) ([]demoServer, error) {
	for _, v := range demoACSVersions {
		// A run stopped before it saved its servers published them already.
		if _, err := a.ACS.PublishVersion(ctx, demoVendor, v); err != nil && !errs.Is(err, errs.Conflict) {
			return nil, fmt.Errorf("demo ACS Pro %s: %w", v.Version, err)
		}
	}
	actor, orgID, err := demoOwner(ctx, a)
	if err != nil {
		return nil, err
	}
	out := append([]demoServer(nil), demoServers...)
	for i := range out {
		tok, _, err := a.ACS.CreateEnrollment(ctx, actor, orgID)
		if err != nil {
			return nil, err
		}
		s := sim.NewServer(sim.ServerConfig{Server: url, Version: out[i].Version}, out[i].Name)
		if err := s.Register(ctx, tok); err != nil {
			return nil, fmt.Errorf("demo server %s: %w", out[i].Name, err)
		}
		if _, err := s.Poll(ctx); err != nil {
			return nil, fmt.Errorf("demo server %s: %w", out[i].Name, err)
		}
		out[i].ID, out[i].Token = s.ID(), s.Token()
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	return out, nil
}
