package sim

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mysystems/internal/device"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// testConfig is fast: heartbeats every 20 ms, 1 s polls, and device-side
// times (reboot 20–40 s, backoff) a thousand times shorter.
// assertOneConnAtATime checks that no link ever held two connections.
func assertOneConnAtATime(t *testing.T, f *Fleet) {
	t.Helper()
	for i, l := range f.links {
		l.mu.Lock()
		peak := l.peak
		l.mu.Unlock()
		if peak != 1 {
			t.Fatalf("link %d held %d connections at once", i, peak)
		}
	}
}

func testConfig(g *fakeGW) Config {
	return Config{
		Server:         g.ts.URL,
		Speed:          1000,
		HeartbeatEvery: 20 * time.Millisecond,
		PollWait:       1,
	}
}

func startFleet(t *testing.T, cfg Config, ids ...Identity) *Fleet {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(context.Background(), ids); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	return f
}

func resultOf(t *testing.T, g *fakeGW, id string) device.Result {
	t.Helper()
	waitFor(t, "result of "+id, func() bool { return len(g.resultsOf(id)) > 0 })
	return g.resultsOf(id)[0]
}

func TestGW4_HelloHeartbeatPollResult(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E000001")
	var mu sync.Mutex
	seen := map[string]time.Time{}
	cfg := testConfig(g)
	cfg.OnCommand = func(serial, cmd string, at time.Time) {
		mu.Lock()
		seen[serial+"/"+cmd] = at
		mu.Unlock()
	}
	f := startFleet(t, cfg, id)

	waitFor(t, "hello and heartbeats", func() bool { return g.hellos(id.Serial) == 1 && g.heartbeats(id.Serial) >= 3 })
	waitFor(t, "online", func() bool { return f.Stats().Online == 1 })
	dev := g.dev(id.Serial)
	if key, err := base64.StdEncoding.DecodeString(dev.pub); err != nil || len(key) != 32 {
		t.Fatalf("hello public key %q: %v", dev.pub, err)
	}
	if dev.pub != f.Device(id.Serial).PublicKey() || dev.model != "AXIS Q1615" || dev.firmware == "" {
		t.Fatalf("hello = %+v", dev)
	}
	want := []device.Account{
		{Username: "root", Role: device.RoleAdministrator},
		{Username: "acs-service", Role: device.RoleAdministrator, Service: true},
		{Username: "adm-service", Role: device.RoleOperator, Service: true},
	}
	if !slices.Equal(dev.accounts, want) {
		t.Fatalf("hello accounts = %+v", dev.accounts)
	}

	cmd := g.send(id.Serial, device.CmdIdentify, nil, 0)
	if r := resultOf(t, g, cmd); !r.OK {
		t.Fatalf("identify: %+v", r)
	}
	mu.Lock()
	_, hooked := seen[id.Serial+"/"+cmd]
	mu.Unlock()
	if !hooked {
		t.Fatal("OnCommand was not called")
	}
	unknown := g.send(id.Serial, "self-destruct", nil, 0)
	if r := resultOf(t, g, unknown); r.OK || !strings.Contains(r.Message, "does not support") {
		t.Fatalf("unknown command: %+v", r)
	}
	waitFor(t, "stats", func() bool {
		s := f.Stats()
		return s.Received == 2 && s.Applied == 1 && s.Failed == 1 && s.Results == 2 && s.IssueSamples == 2 && s.HeartbeatSamples > 0
	})
	s := f.Stats()
	if s.HeartbeatP50 <= 0 || s.HeartbeatP99 < s.HeartbeatP50 || s.Connections != 1 || s.Dials != 1 {
		t.Fatalf("stats = %+v", s)
	}
	if p := g.protoCounts(); p[1] != 0 || p[2] == 0 {
		t.Fatalf("requests by protocol = %v, want HTTP/2 only", p)
	}
	if !strings.Contains(s.String(), "online 1/1") {
		t.Fatalf("stats line %q", s.String())
	}
}

func TestGW2_RedeliveredCommandAppliedOnce(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E000002")
	f := startFleet(t, testConfig(g), id)
	waitFor(t, "hello", func() bool { return g.hellos(id.Serial) == 1 })

	sealed, err := device.Seal(g.dev(id.Serial).pub, []byte("first-pass"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := g.send(id.Serial, device.CmdAccountCreate, device.AccountArgs{Username: "alice", Role: device.RoleViewer, SealedPassword: sealed}, 1)
	waitFor(t, "two results", func() bool { return len(g.resultsOf(cmd)) == 2 })
	rs := g.resultsOf(cmd)
	if !rs[0].OK || rs[0].Message != rs[1].Message || !slices.Equal(rs[0].Accounts, rs[1].Accounts) {
		t.Fatalf("results = %+v, want the same result twice", rs)
	}
	n := 0
	for _, a := range f.Device(id.Serial).Accounts() {
		if a.Username == "alice" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("alice appears %d times", n)
	}
	s := f.Stats()
	if s.Received != 2 || s.Redelivered != 1 || s.Applied != 1 || s.Failed != 0 {
		t.Fatalf("stats = %+v", s)
	}

	// A result lost twice is posted again; the command still applies once.
	g.mu.Lock()
	g.failRes["cmd-2"] = 2
	g.mu.Unlock()
	cmd2 := g.sendAccount(id.Serial, device.CmdAccountPassword, "alice", "", "second-pass")
	if cmd2 != "cmd-2" {
		t.Fatalf("command id %s", cmd2)
	}
	if r := resultOf(t, g, cmd2); !r.OK {
		t.Fatalf("password: %+v", r)
	}
	if !f.Device(id.Serial).CheckPassword("alice", "second-pass") {
		t.Fatal("password not changed")
	}
	if s := f.Stats(); s.Applied != 2 {
		t.Fatalf("applied = %d", s.Applied)
	}
}

func TestAccountCommands(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E000003")
	f := startFleet(t, testConfig(g), id)
	d := f.Device(id.Serial)
	waitFor(t, "hello", func() bool { return g.hellos(id.Serial) == 1 })

	ok := func(typ, user, role, pw string) device.Result {
		t.Helper()
		r := resultOf(t, g, g.sendAccount(id.Serial, typ, user, role, pw))
		if !r.OK {
			t.Fatalf("%s %s: %+v", typ, user, r)
		}
		return r
	}
	refused := func(typ, user, role, pw, reason string) {
		t.Helper()
		r := resultOf(t, g, g.sendAccount(id.Serial, typ, user, role, pw))
		if r.OK || !strings.Contains(r.Message, reason) {
			t.Fatalf("%s %s = %+v, want refused with %q", typ, user, r, reason)
		}
		if len(r.Accounts) == 0 {
			t.Fatalf("a refusal still reports the account list: %+v", r)
		}
	}

	r := ok(device.CmdAccountCreate, "alice", device.RoleOperator, "s3cret pass!")
	if !slices.Contains(r.Accounts, device.Account{Username: "alice", Role: device.RoleOperator}) {
		t.Fatalf("result accounts = %+v", r.Accounts)
	}
	if !slices.Equal(g.dev(id.Serial).accounts, d.Accounts()) {
		t.Fatalf("gateway has %+v, device %+v", g.dev(id.Serial).accounts, d.Accounts())
	}
	if !d.CheckPassword("alice", "s3cret pass!") {
		t.Fatal("password not set")
	}
	ok(device.CmdAccountPassword, "alice", "", "n3w-pass")
	if !d.CheckPassword("alice", "n3w-pass") {
		t.Fatal("password not changed")
	}
	refused(device.CmdAccountCreate, "alice", device.RoleViewer, "x", "already has an account named alice")
	refused(device.CmdAccountCreate, "bob", device.RoleViewer, "pässword", "printable ASCII")
	refused(device.CmdAccountCreate, "bob", "superuser", "pw", "role must be")
	refused(device.CmdAccountPassword, "acs-service", "", "pw", "service account")
	refused(device.CmdAccountDelete, "adm-service", "", "", "service account")
	refused(device.CmdAccountDelete, "root", "", "", "root account cannot be deleted")
	refused(device.CmdAccountDelete, "nobody", "", "", "no account named nobody")

	// A password sealed for another device's key does not open.
	other, _ := ecdh.X25519().GenerateKey(rand.Reader)
	sealed, _ := device.Seal(publicKey(other), []byte("pw"))
	cmd := g.send(id.Serial, device.CmdAccountCreate, device.AccountArgs{Username: "carol", Role: device.RoleViewer, SealedPassword: sealed}, 0)
	if r := resultOf(t, g, cmd); r.OK || !strings.Contains(r.Message, "not sealed for this device") {
		t.Fatalf("foreign seal: %+v", r)
	}

	// Injected refusal: the next valid change fails with the device's reason.
	d.RefuseAccountChanges(1, "flash storage is read-only")
	refused(device.CmdAccountCreate, "bob", device.RoleViewer, "pw", "flash storage is read-only")
	ok(device.CmdAccountCreate, "bob", device.RoleViewer, "pw")

	ok(device.CmdAccountDelete, "alice", "", "")
	names := []string{}
	for _, a := range d.Accounts() {
		names = append(names, a.Username)
	}
	if strings.Join(names, ",") != "root,acs-service,adm-service,bob" {
		t.Fatalf("accounts = %v", names)
	}
	if s := f.Stats(); s.Applied != 4 || s.Failed != 9 {
		t.Fatalf("applied %d failed %d", s.Applied, s.Failed)
	}
}

func TestGW4_ProbabilisticAndScriptedAccountRefusal(t *testing.T) {
	g := newFakeGW(t)
	a, b := g.add("ACCC8E000004"), g.add("ACCC8E000005")
	cfg := testConfig(g)
	cfg.Faults = []Fault{{Serial: b.Serial, Kind: FaultRefuseAccounts, For: time.Hour, Message: "maintenance mode"}}
	f := startFleet(t, cfg, a, b)
	waitFor(t, "hellos", func() bool { return g.hellos(a.Serial) == 1 && g.hellos(b.Serial) == 1 })

	if r := resultOf(t, g, g.sendAccount(b.Serial, device.CmdAccountCreate, "eve", device.RoleViewer, "pw")); r.OK || r.Message != "maintenance mode" {
		t.Fatalf("scripted refusal: %+v", r)
	}
	if r := resultOf(t, g, g.sendAccount(a.Serial, device.CmdAccountCreate, "eve", device.RoleViewer, "pw")); !r.OK {
		t.Fatalf("unscripted device: %+v", r)
	}
	f.Stop()

	g2 := newFakeGW(t)
	c := g2.add("ACCC8E000006")
	cfg = testConfig(g2)
	cfg.FailAccounts = 1
	startFleet(t, cfg, c)
	waitFor(t, "hello", func() bool { return g2.hellos(c.Serial) == 1 })
	if r := resultOf(t, g2, g2.sendAccount(c.Serial, device.CmdAccountCreate, "eve", device.RoleViewer, "pw")); r.OK || !strings.Contains(r.Message, "simulated fault") {
		t.Fatalf("probabilistic refusal: %+v", r)
	}
}

func TestRebootGoesAwayAndComesBack(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E000007")
	f := startFleet(t, testConfig(g), id)
	waitFor(t, "hello", func() bool { return g.hellos(id.Serial) == 1 })

	cmd := g.send(id.Serial, device.CmdReboot, nil, 1) // delivered again after the reboot
	if r := resultOf(t, g, cmd); !r.OK {
		t.Fatalf("reboot: %+v", r)
	}
	waitFor(t, "connection closed by the reboot", func() bool { return g.closedConns.Load() >= 1 })
	waitFor(t, "hello after reboot", func() bool { return g.hellos(id.Serial) == 2 })
	waitFor(t, "redelivered reboot answered", func() bool { return len(g.resultsOf(cmd)) == 2 })
	waitFor(t, "online again", func() bool { return f.Device(id.Serial).Online() })
	s := f.Stats()
	if s.Reboots != 1 || s.Redelivered != 1 || s.Applied != 1 {
		t.Fatalf("stats = %+v", s)
	}
	if g.newConns.Load() < 2 {
		t.Fatalf("connections = %d, want a new one after the reboot", g.newConns.Load())
	}
	assertOneConnAtATime(t, f)
	// Heartbeats resume.
	n := g.heartbeats(id.Serial)
	waitFor(t, "heartbeats after reboot", func() bool { return g.heartbeats(id.Serial) >= n+3 })
}

func TestReHelloOn401(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E000008")
	f := startFleet(t, testConfig(g), id)
	waitFor(t, "hello", func() bool { return g.hellos(id.Serial) == 1 && g.heartbeats(id.Serial) >= 1 })
	g.expire(id.Serial)
	waitFor(t, "hello again", func() bool { return g.hellos(id.Serial) >= 2 })
	n := g.heartbeats(id.Serial)
	waitFor(t, "heartbeats with the new token", func() bool { return g.heartbeats(id.Serial) >= n+3 })
	waitFor(t, "online", func() bool { return f.Stats().Online == 1 })
	cmd := g.send(id.Serial, device.CmdIdentify, nil, 0)
	if r := resultOf(t, g, cmd); !r.OK {
		t.Fatalf("identify: %+v", r)
	}
}

func TestWrongSecretRetriesWithBackoff(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E000009")
	id.Secret = "not-the-secret"
	f := startFleet(t, testConfig(g), id)
	waitFor(t, "failed hellos", func() bool { return g.dev(id.Serial).badHellos >= 3 && f.Stats().HelloErrors >= 3 })
	s := f.Stats()
	if s.Online != 0 || s.Hellos != s.HelloErrors || s.Polls != 0 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestSitesShareOneConnectionEach(t *testing.T) {
	g := newFakeGW(t)
	ids := g.addSeries("ACCC8E1000", 12)
	cfg := testConfig(g)
	cfg.Sites = 3
	f := startFleet(t, cfg, ids...)
	waitFor(t, "all online and heartbeating", func() bool { return g.allHeartbeated(ids, 3) && f.Stats().Online == len(ids) })
	var cmds []string
	for _, id := range ids {
		cmds = append(cmds, g.send(id.Serial, device.CmdIdentify, nil, 0))
	}
	for _, c := range cmds {
		if r := resultOf(t, g, c); !r.OK {
			t.Fatalf("%s: %+v", c, r)
		}
	}
	if n := g.newConns.Load(); n != 3 {
		t.Fatalf("gateway accepted %d connections, want one per site (3)", n)
	}
	if s := f.Stats(); s.Dials != 3 || s.Connections != 3 {
		t.Fatalf("stats = %+v", s)
	}
	if p := g.protoCounts(); p[1] != 0 {
		t.Fatalf("requests by protocol = %v, want HTTP/2 only", p)
	}
	if f.bindLoopback.Load() {
		if n := g.distinctRemotes(); n != 3 {
			t.Fatalf("%d source addresses, want one per site", n)
		}
	}

	// A device's dropped poll resets its own streams, not the site's
	// connection.
	d := f.Device(ids[0].Serial)
	d.Drop()
	cmd := g.send(ids[0].Serial, device.CmdIdentify, nil, 0)
	if r := resultOf(t, g, cmd); !r.OK {
		t.Fatalf("after drop: %+v", r)
	}
	if n := g.newConns.Load(); n != 3 {
		t.Fatalf("connections after a device drop = %d, want still 3", n)
	}
	assertOneConnAtATime(t, f)
}

func TestOneConnectionPerDevice(t *testing.T) {
	g := newFakeGW(t)
	ids := g.addSeries("ACCC8E2000", 4)
	f := startFleet(t, testConfig(g), ids...)
	waitFor(t, "heartbeats", func() bool { return g.allHeartbeated(ids, 3) })
	for _, id := range ids {
		if r := resultOf(t, g, g.send(id.Serial, device.CmdIdentify, nil, 0)); !r.OK {
			t.Fatal(r)
		}
	}
	if n := g.newConns.Load(); n != 4 {
		t.Fatalf("gateway accepted %d connections, want 4", n)
	}
	if f.bindLoopback.Load() {
		if n := g.distinctRemotes(); n != 4 {
			t.Fatalf("%d source addresses, want 4", n)
		}
	}

	// Dropping a device's connection: it reconnects and gets commands.
	f.Device(ids[1].Serial).Drop()
	waitFor(t, "reconnect", func() bool { return g.newConns.Load() >= 5 })
	if r := resultOf(t, g, g.send(ids[1].Serial, device.CmdIdentify, nil, 0)); !r.OK {
		t.Fatal(r)
	}
	if n := g.newConns.Load(); n != 5 {
		t.Fatalf("gateway accepted %d connections, want 5 (one new after the drop)", n)
	}
	assertOneConnAtATime(t, f)
	if s := f.Stats(); s.Drops != 1 || s.Dials != 5 || s.Connections != 4 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestHTTP1OneConnectionPerDevice(t *testing.T) {
	g := newFakeGW(t)
	ids := g.addSeries("ACCC8E3000", 3)
	cfg := testConfig(g)
	cfg.HTTP1 = true
	cfg.HeartbeatEvery = 300 * time.Millisecond
	f := startFleet(t, cfg, ids...)
	waitFor(t, "heartbeats between polls", func() bool { return g.allHeartbeated(ids, 2) })
	for _, id := range ids {
		if r := resultOf(t, g, g.sendAccount(id.Serial, device.CmdAccountCreate, "op", device.RoleOperator, "pw")); !r.OK {
			t.Fatal(r)
		}
	}
	if n := g.newConns.Load(); n != 3 {
		t.Fatalf("gateway accepted %d connections, want 3", n)
	}
	if p := g.protoCounts(); p[2] != 0 || p[1] == 0 {
		t.Fatalf("requests by protocol = %v, want HTTP/1.1 only", p)
	}
	assertOneConnAtATime(t, f)
	if s := f.Stats(); s.Online != 3 {
		t.Fatalf("stats = %+v", s)
	}
	if _, err := New(Config{Server: g.ts.URL, HTTP1: true, Sites: 2}); err == nil {
		t.Fatal("HTTP/1.1 with sites accepted")
	}
}

func TestGW4_OfflineWindow(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E000010")
	f := startFleet(t, testConfig(g), id)
	d := f.Device(id.Serial)
	waitFor(t, "online", func() bool { return d.Online() && g.heartbeats(id.Serial) >= 2 })
	d.GoOffline(200 * time.Millisecond)
	if d.Online() {
		t.Fatal("still online")
	}
	if f.Stats().Online != 0 {
		t.Fatal("fleet counts it online")
	}
	waitFor(t, "back with a hello", func() bool { return g.hellos(id.Serial) == 2 && d.Online() })
	n := g.heartbeats(id.Serial)
	waitFor(t, "heartbeats", func() bool { return g.heartbeats(id.Serial) >= n+2 })
	if s := f.Stats(); s.Offlines != 1 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestProbabilisticOfflineAndDrop(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E000011")
	cfg := testConfig(g)
	cfg.Offline = 0.5
	cfg.OfflineFor = 30 * time.Millisecond
	cfg.Drop = 1
	cfg.PollWait = 1
	f := startFleet(t, cfg, id)
	waitFor(t, "offline windows and drops", func() bool {
		s := f.Stats()
		return s.Offlines >= 2 && s.Drops >= 1 && g.hellos(id.Serial) >= 3
	})
}

func TestReadIdentities(t *testing.T) {
	in := "serial,model,secret,oak\nACCC8E000001,AXIS P3265-LVE,S1,OAK1\n\nACCC8E000002,,S2,OAK2\n"
	ids, err := ReadIdentities(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Identity{{Serial: "ACCC8E000001", Model: "AXIS P3265-LVE", Secret: "S1"}, {Serial: "ACCC8E000002", Model: DefaultModel, Secret: "S2"}}
	if !slices.Equal(ids, want) {
		t.Fatalf("ids = %+v", ids)
	}
	ids, err = ReadIdentities(strings.NewReader("OAK,Secret,Serial\nk,s,X1\n"))
	if err != nil || len(ids) != 1 || ids[0].Serial != "X1" || ids[0].Secret != "s" {
		t.Fatalf("reordered: %+v %v", ids, err)
	}
	for _, bad := range []string{"", "serial,model\nA,B\n", "serial,secret\nA,\n", "serial,secret\nA,s\nA,t\n"} {
		if _, err := ReadIdentities(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestScheduler(t *testing.T) {
	s := newScheduler()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.run(ctx, func(fn func()) { fn() }) })
	got := make(chan int, 3)
	now := time.Now()
	s.at(now.Add(30*time.Millisecond), func() { got <- 3 })
	s.at(now.Add(10*time.Millisecond), func() { got <- 1 })
	s.at(now.Add(20*time.Millisecond), func() { got <- 2 })
	for want := 1; want <= 3; want++ {
		select {
		case n := <-got:
			if n != want {
				t.Fatalf("got %d, want %d", n, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("scheduler stuck")
		}
	}
	cancel()
	wg.Wait()
}

func TestLoopbackSource(t *testing.T) {
	seen := map[string]bool{}
	for i := range 200000 {
		ip := loopbackSource(i)
		if !ip.IsLoopback() || ip[15] == 0 || ip[15] == 255 || seen[ip.String()] {
			t.Fatalf("source %d = %s", i, ip)
		}
		seen[ip.String()] = true
	}
}

// GW-2, GW-4: the simulator reports only what the gateway takes: a
// firmware version or model the device protocol's rules refuse stops it
// before any device starts, with the reason.
func TestGW4_SimulatorReportsWithinTheRules(t *testing.T) {
	if _, err := New(Config{Server: "http://127.0.0.1:1", Firmware: "12.2 beta"}); err == nil || !strings.Contains(err.Error(), "firmware") {
		t.Errorf("a firmware with a space: %v, want refused", err)
	}
	if _, err := New(Config{Server: "http://127.0.0.1:1", Firmware: strings.Repeat("1", 33)}); err == nil {
		t.Error("a 33-character firmware accepted")
	}
	for _, id := range []Identity{
		{Serial: "ACCC8E000001", Secret: "s", Model: strings.Repeat("M", 2000)},
		{Serial: "ACCC8E000001", Secret: "s", Model: "AXIS <P3265>"},
		{Serial: "ACCC8E000001", Secret: "s", Firmware: "11.11 beta"},
	} {
		f, err := New(Config{Server: "http://127.0.0.1:1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Start(context.Background(), []Identity{id}); err == nil {
			f.Stop()
			t.Errorf("Start with %.40v accepted", id)
		}
		if s, err := NewStepped(Config{Server: "http://127.0.0.1:1"}, id); err == nil {
			s.Close()
			t.Errorf("NewStepped with %.40v accepted", id)
		}
	}
}
