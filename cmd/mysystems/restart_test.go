package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/harness"
	"mysystems/internal/sim"
	"mysystems/internal/store/storetest"
)

// childEnv makes the test binary act as the mysystems command (TestMain),
// so a test can run a real server process and kill it.
const childEnv = "MYSYSTEMS_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// syncBuffer collects a child process's output for a failure message.
type syncBuffer = harness.Logs

// GW-1, GW-2 across a crash: the server process is killed (SIGKILL) while
// simulated devices are connected, some behind site controllers sharing an
// HTTP/2 connection, some on HTTP/1.1 connections of their own. They
// reconnect by themselves to the restarted server; a command waiting in the
// database at the kill is delivered afterwards; every command is delivered
// and applied once.
func TestKillServerWhileDevicesConnected(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) { killServerWhileDevicesConnected(t, kind) })
	}
}

func killServerWhileDevicesConnected(t *testing.T, kind string) {
	ctx := context.Background()
	dbURL := storetest.URL(t, kind)
	seed, err := benchSeed(ctx, dbURL, 12, 2)
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	logs := &syncBuffer{}
	dataDir := t.TempDir()
	start := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command(os.Args[0], "serve", "--database", dbURL, "--data-dir", dataDir,
			"--listen", "127.0.0.1:"+strconv.Itoa(port), "--log-level", "warn", "--rate-limit", "0")
		cmd.Env = append(os.Environ(), childEnv+"=1")
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := waitReady(rctx, base); err != nil {
			t.Fatalf("server not ready: %v\n%s", err, logs.String())
		}
		return cmd
	}
	server := start()
	token, err := benchLogin(base)
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	deliveries := map[string]int{}
	cfg := sim.Config{Server: base, Speed: 1000, HeartbeatEvery: 50 * time.Millisecond, PollWait: 1,
		OnCommand: func(_, id string, _ time.Time) { mu.Lock(); deliveries[id]++; mu.Unlock() }}
	behindSites, ownConns := cfg, cfg
	behindSites.Sites = 2
	ownConns.HTTP1 = true
	var fleets []*sim.Fleet
	for _, f := range []struct {
		cfg sim.Config
		ids []sim.Identity
	}{{behindSites, seed.ids[:8]}, {ownConns, seed.ids[8:]}} {
		fl, err := sim.New(f.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := fl.Start(ctx, f.ids); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fl.Stop)
		fleets = append(fleets, fl)
	}
	stats := func() (online, applied, redelivered int) {
		for _, fl := range fleets {
			s := fl.Stats()
			online += s.Online
			applied += int(s.Applied)
			redelivered += int(s.Redelivered)
		}
		return
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\nserver log:\n%s", what, logs.String())
			}
			time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
		}
	}
	waitUntil("all 12 devices online", func() bool { n, _, _ := stats(); return n == 12 })

	client := &http.Client{Timeout: 10 * time.Second}
	issue := func(i int) string {
		t.Helper()
		var c struct{ ID string }
		if err := apiJSON(client, "POST", base+"/api/v1/orgs/"+seed.org+"/devices/"+seed.deviceIDs[i]+"/actions", token,
			`{"type":"identify"}`, &c); err != nil || c.ID == "" {
			t.Fatalf("issue a command to device %d: %v", i, err)
		}
		return c.ID
	}
	state := func(id string) string {
		var c struct{ State string }
		if err := apiJSON(client, "GET", base+"/api/v1/orgs/"+seed.org+"/commands/"+id, token, "", &c); err != nil {
			return err.Error()
		}
		return c.State
	}
	applied := func(id string) func() bool { return func() bool { return state(id) == "applied" } }

	before := issue(0)
	waitUntil("the first command applied", applied(before))

	if err := server.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = server.Wait()
	waitUntil("every device to notice the server is gone", func() bool { n, _, _ := stats(); return n == 0 })
	// A command committed and not delivered when the server died: written
	// here, while no server runs, it is in the state a command issued just
	// before the kill would be in.
	pending := issueOffline(t, dbURL, token, seed.org, seed.deviceIDs[3])
	start()

	// One command right after the restart, to a device on its own
	// connection, one once everything is back, to a device behind a site.
	afterOwn := issue(9)
	waitUntil("every device back online by itself", func() bool { n, _, _ := stats(); return n == 12 })
	afterSite := issue(5)
	for _, id := range []string{pending, afterOwn, afterSite} {
		waitUntil("command "+id+" applied", applied(id))
	}
	if _, ok := fleets[0].Device(seed.ids[3].Serial).Applied(pending); !ok {
		t.Fatal("the device has not applied the command pending at the kill")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range []string{before, pending, afterOwn, afterSite} {
		if deliveries[id] != 1 {
			t.Errorf("command %s delivered %d times, want once", id, deliveries[id])
		}
	}
	if _, n, re := stats(); n != 4 || re != 0 {
		t.Errorf("devices applied %d commands with %d redeliveries, want 4 and 0", n, re)
	}
	var audit struct {
		Items []struct{ Details map[string]any }
	}
	if err := apiJSON(client, "GET", base+"/api/v1/orgs/"+seed.org+"/audit?action=device.command_result", token, "", &audit); err != nil {
		t.Fatal(err)
	}
	results := map[string]int{}
	for _, it := range audit.Items {
		results[fmt.Sprint(it.Details["command"])]++
	}
	for _, id := range []string{before, pending, afterOwn, afterSite} {
		if results[id] != 1 {
			t.Errorf("command %s has %d results recorded, want 1 (%v)", id, results[id], results)
		}
	}
}

// issueOffline issues an identify command as the user of token straight
// through the fleet service, with no server process running: the harness
// builds the application over the same database in this process, with no
// device connected to it.
func issueOffline(t *testing.T, dbURL, token, org, deviceID string) string {
	t.Helper()
	ctx := context.Background()
	a := harness.New(t, storetest.Open(t, dbURL), harness.WallClock()).App
	p, err := a.Accounts.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Fleet.Action(ctx, audit.Actor{Kind: audit.KindUser, ID: p.User.ID, Email: p.User.Email}, org, deviceID, "identify")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != "pending" {
		t.Fatalf("command issued with no server running is %s", c.State)
	}
	return c.ID
}
