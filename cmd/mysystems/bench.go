package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/fleet"
	"mysystems/internal/sim"
	"mysystems/internal/store"
)

const benchUsage = `usage: mysystems bench fleet [flags]
       mysystems bench servers [flags]      (ACS Pro servers polling: see bench servers -h)
       mysystems bench upgrades dispatch|cycle|download|window [flags]   (AXIS OS upgrades: see -h)
       mysystems bench licenses [flags]     (license status and operations: see bench licenses -h)

Measures the device gateway under a simulated fleet: it
seeds a database with N claimed devices, starts 'mysystems serve' as a child
process (so its CPU and memory are its own), plays the devices from this
process with the simulator, then reports heartbeat latency, server CPU and
RSS, the time from the API call that issues a command to the device
receiving it, and the latency of listing one page of 50 devices filtered by
a folder subtree. Long: not part of the test suite.

`

// cmdBench runs `mysystems bench fleet`: it reads the flags, seeds the
// database, starts the server and the simulated fleet, measures and
// reports.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && args[0] == "client" {
		return cmdBenchClient(ctx, os.Stdin, stdout) // started by bench fleet
	}
	if len(args) > 0 && args[0] == "servers" {
		return cmdBenchServers(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "serve-file" {
		return cmdBenchServeFile(args[1:]) // started by bench upgrades download
	}
	if len(args) > 0 && args[0] == "upgrades" {
		return cmdBenchUpgrades(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "licenses" {
		return cmdBenchLicenses(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stderr, benchUsage)
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] != "fleet" {
		fmt.Fprint(stderr, benchUsage)
		return errors.New("bench: say what to measure: fleet, servers, licenses, or upgrades dispatch|cycle|download|window")
	}
	cfg, err := benchFlags(args[1:], stderr)
	if err != nil {
		return err
	}
	dir, dbURL, cleanup, err := benchDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer cleanup()
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }

	say("seeding %d devices in %s", cfg.devices, redactURL(dbURL))
	t0 := time.Now()
	seed, err := benchSeed(ctx, dbURL, cfg.devices, max(cfg.sites, 10))
	if err != nil {
		return err
	}
	say("seeded in %v", time.Since(t0).Round(time.Second))

	srv, err := startBenchServer(ctx, cfg, dir, dbURL, stderr)
	if err != nil {
		return err
	}
	defer srv.stop()
	say("server pid %d at %s", srv.pid, srv.base)

	// The list on its own first, with no device connected: the server
	// holds the 100,000-device organization and does nothing else.
	idle, err := runBenchClient(ctx, srv.exe, benchClientWork{Base: srv.base, Token: srv.token, Org: seed.org, Lists: cfg.lists, Sites: seed.sites})
	if err != nil {
		return err
	}
	say("list 50 in a subtree, no device connected: p50 %v, p99 %v", ms(pct(idle.Lists, 50)), ms(pct(idle.Lists, 99)))

	benchGC()
	if cfg.simPprof != "" {
		if err := startPprof(cfg.simPprof, slog.New(slog.NewTextHandler(stderr, nil))); err != nil {
			return err
		}
	}
	fl, err := startBenchFleet(ctx, cfg, srv, seed, say)
	if err != nil {
		return err
	}
	defer fl.Stop()
	if err := sleepCtx(ctx, cfg.settle); err != nil {
		return err
	}

	say("measuring for %v", cfg.measure)
	m, err := benchMeasure(ctx, cfg, srv, seed, fl)
	if err != nil {
		return err
	}
	m.idleLists = idle.Lists
	m.report(stdout, cfg, dbURL, fl.Stats())
	return nil
}

// benchConfig is what the flags of bench fleet ask for.
type benchConfig struct {
	devices, sites     int
	http1              bool
	database           string
	ramp, settle       time.Duration
	measure, heartbeat time.Duration
	commands, lists    int
	keep               bool
	pprofAddr          string
	simPprof           string
	serverEnv          string
}

func benchFlags(args []string, stderr io.Writer) (benchConfig, error) {
	var c benchConfig
	fs := flag.NewFlagSet("bench fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	fs.IntVar(&c.devices, "devices", 100000, "simulated devices")
	fs.IntVar(&c.sites, "sites", 200, "sites, one HTTP/2 connection each (0: one TCP connection per device)")
	fs.BoolVar(&c.http1, "http1", false, "with --sites 0: HTTP/1.1 instead of cleartext HTTP/2 per device")
	fs.StringVar(&c.database, "database", "", "postgres:// URL of an empty database to use (default: a SQLite file in a temporary directory)")
	fs.DurationVar(&c.ramp, "ramp", 60*time.Second, "spread the devices' first hellos over this duration")
	fs.DurationVar(&c.settle, "settle", 30*time.Second, "wait after every device is online before measuring")
	fs.DurationVar(&c.measure, "measure", 120*time.Second, "measurement window (heartbeats, CPU, RSS)")
	fs.IntVar(&c.commands, "commands", 300, "commands to issue (identify to random devices), one every 100 ms")
	fs.IntVar(&c.lists, "lists", 500, "device-list requests (a page of 50 in one site's subtree)")
	fs.DurationVar(&c.heartbeat, "heartbeat", 60*time.Second, "heartbeat interval")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory")
	fs.StringVar(&c.pprofAddr, "pprof", "127.0.0.1:0", "the server's profiling listener (go tool pprof http://ADDR/debug/pprof/profile)")
	fs.StringVar(&c.simPprof, "sim-pprof", "", "profiling listener of this process, the simulator (off by default)")
	fs.StringVar(&c.serverEnv, "server-env", "", "extra environment for the server, comma-separated KEY=VALUE (diagnostics, e.g. GOGC=200)")
	return c, fs.Parse(args)
}

// benchDatabase makes the temporary directory and the database the bench
// runs on: a SQLite file in the directory, or a throwaway schema in the
// PostgreSQL database of --database. cleanup removes what the run leaves.
func benchDatabase(ctx context.Context, cfg benchConfig) (dir, dbURL string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "mysystems-bench-")
	if err != nil {
		return "", "", nil, err
	}
	removeDir := func() {
		if !cfg.keep {
			os.RemoveAll(dir)
		}
	}
	dbURL = filepath.Join(dir, "bench.db")
	if cfg.database == "" {
		return dir, dbURL, removeDir, nil
	}
	dbURL, drop, err := benchSchema(ctx, cfg.database)
	if err != nil {
		removeDir()
		return "", "", nil, err
	}
	return dir, dbURL, func() { drop(); removeDir() }, nil
}

// benchServer is the server under measurement: 'mysystems serve' in a child
// process, with the bench account signed in.
type benchServer struct {
	exe   string // this program, also started as the bench client
	base  string
	pid   int
	token string
	cmd   *exec.Cmd
}

func startBenchServer(ctx context.Context, cfg benchConfig, dir, dbURL string, stderr io.Writer) (*benchServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "serve", "--database", dbURL, "--data-dir", dir, "--listen", "127.0.0.1:"+strconv.Itoa(port),
		"--log-level", "warn", "--rate-limit", "0", "--heartbeat", cfg.heartbeat.String(), "--pprof", cfg.pprofAddr)
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if cfg.serverEnv != "" {
		cmd.Env = append(os.Environ(), strings.Split(cfg.serverEnv, ",")...)
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &benchServer{exe: exe, base: base, pid: cmd.Process.Pid, cmd: cmd}
	if err := waitReady(ctx, base); err != nil {
		s.stop()
		return nil, err
	}
	if s.token, err = benchLogin(base); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *benchServer) stop() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() }

// benchFleet is the simulated fleet, all online.
type benchFleet struct {
	*sim.Fleet
	received    *sync.Map // command id → time the device got it
	onlineAfter time.Duration
}

// startBenchFleet plays the seeded devices and waits until all are online,
// saying how far they are every 10 s.
func startBenchFleet(ctx context.Context, cfg benchConfig, srv *benchServer, seed benchSeeded, say func(string, ...any)) (*benchFleet, error) {
	fl := &benchFleet{received: &sync.Map{}}
	f, err := sim.New(sim.Config{Server: srv.base, Sites: cfg.sites, HTTP1: cfg.http1, StartSpread: cfg.ramp,
		HeartbeatJitter: 5 * time.Second, StatsWindow: cfg.measure,
		OnCommand: func(_, id string, at time.Time) { fl.received.LoadOrStore(id, at) }})
	if err != nil {
		return nil, err
	}
	if err := f.Start(ctx, seed.ids); err != nil {
		return nil, err
	}
	fl.Fleet = f
	t0 := time.Now()
	deadline := time.Now().Add(cfg.ramp + 5*time.Minute)
	tick := 0
	for {
		s := f.Stats()
		if s.Online == cfg.devices {
			fl.onlineAfter = time.Since(t0).Round(time.Second)
			say("all %d devices online after %v (%d connections)", s.Online, fl.onlineAfter, s.Connections)
			return fl, nil
		}
		if time.Now().After(deadline) {
			f.Stop()
			return nil, fmt.Errorf("only %d of %d devices online (hello errors %d)", s.Online, cfg.devices, s.HelloErrors)
		}
		if err := sleepCtx(ctx, 2*time.Second); err != nil {
			f.Stop()
			return nil, err
		}
		if tick++; tick%5 == 0 {
			say("%d online, %d hellos (%d errors), %d heartbeats (%d errors), %d polls (%d errors), %d connections; server CPU %.0f s, RSS %.2f GB",
				s.Online, s.Hellos, s.HelloErrors, s.Heartbeats, s.HeartbeatErrors, s.Polls, s.PollErrors, s.Connections, procCPU(srv.pid), float64(procRSS(srv.pid))/1e9)
		}
	}
}

// benchMeasured is what one measurement window found.
type benchMeasured struct {
	onlineAfter      time.Duration
	wall0, wall1     time.Time       // the window
	cpu0, cpu1       float64         // the server's CPU seconds at its start and end
	simCPU0, simCPU1 float64         // this process's, the simulator's
	rssMax, rssEnd   int64           // the server's RSS: the largest in the window, and at the end
	cmdLat           []time.Duration // a command's issue to its device receiving it
	missing          int             // commands not received
	apiLat           []time.Duration // the API call that issues a command
	toCreated        []time.Duration // the call to the command's creation
	srvLat           []time.Duration // the command's creation to its delivery
	toDevice         []time.Duration // its delivery to the device receiving it
	listLat          []time.Duration // list requests, the fleet connected
	idleLists        []time.Duration // list requests, before any device connected
}

// benchMeasure issues the commands and list requests from a client process
// while the fleet heartbeats, sampling the server's CPU and RSS over the
// window, then works out each command's way to its device.
func benchMeasure(ctx context.Context, cfg benchConfig, srv *benchServer, seed benchSeeded, fl *benchFleet) (benchMeasured, error) {
	m := benchMeasured{onlineAfter: fl.onlineAfter}
	pid := srv.pid
	m.cpu0, m.simCPU0, m.wall0 = procCPU(pid), procCPU(os.Getpid()), time.Now()
	stopRSS := sampleRSS(pid)

	// The API calls (commands, one every 100 ms while heartbeats go on,
	// then list pages) come from a client process of their own, as an
	// operator's browser or script would: made from this process they
	// waited for the simulator's 100,000 goroutines to be scheduled.
	work := benchClientWork{Base: srv.base, Token: srv.token, Org: seed.org, Commands: cfg.commands, Lists: cfg.lists, Sites: seed.sites}
	for range cfg.commands {
		work.Devices = append(work.Devices, seed.deviceIDs[mrand.IntN(len(seed.deviceIDs))])
	}
	res, err := runBenchClient(ctx, srv.exe, work)
	if err != nil {
		stopRSS()
		return m, err
	}
	issued := map[string]time.Time{}
	for _, c := range res.Issued {
		issued[c.ID] = c.Start
		m.apiLat = append(m.apiLat, c.Took)
	}
	m.listLat = res.Lists
	if rest := cfg.measure - time.Since(m.wall0); rest > 0 {
		if err := sleepCtx(ctx, rest); err != nil {
			stopRSS()
			return m, err
		}
	}
	m.cpu1, m.simCPU1, m.wall1 = procCPU(pid), procCPU(os.Getpid()), time.Now()
	m.rssMax = stopRSS()
	// Wait a little for the last commands to arrive.
	for end := time.Now().Add(10 * time.Second); ; {
		m.cmdLat, m.missing = m.cmdLat[:0], 0
		for id, start := range issued {
			if at, ok := fl.received.Load(id); ok {
				m.cmdLat = append(m.cmdLat, at.(time.Time).Sub(start))
			} else {
				m.missing++
			}
		}
		if m.missing == 0 || time.Now().After(end) {
			break
		}
		_ = sleepCtx(ctx, 200*time.Millisecond)
	}
	// The server's own share: from the command's creation to its delivery
	// to the long-poll (the rest is the response's way to the device and
	// the simulator's own scheduling).
	client := &http.Client{Timeout: 30 * time.Second}
	for id, start := range issued {
		var c struct {
			CreatedAt   time.Time  `json:"created_at"`
			DeliveredAt *time.Time `json:"delivered_at"`
		}
		if err := apiJSON(client, "GET", srv.base+"/api/v1/orgs/"+seed.org+"/commands/"+id, srv.token, "", &c); err != nil {
			return m, err
		}
		m.toCreated = append(m.toCreated, c.CreatedAt.Sub(start))
		if c.DeliveredAt != nil {
			m.srvLat = append(m.srvLat, c.DeliveredAt.Sub(c.CreatedAt))
			if at, ok := fl.received.Load(id); ok {
				m.toDevice = append(m.toDevice, at.(time.Time).Sub(*c.DeliveredAt))
			}
		}
	}
	m.rssEnd = procRSS(pid)
	return m, nil
}

// sampleRSS reads a process's RSS every second until the returned stop is
// called, which returns the largest seen.
func sampleRSS(pid int) (stop func() int64) {
	var rssMax int64
	stopRSS := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			if r := procRSS(pid); r > rssMax {
				rssMax = r
			}
			select {
			case <-stopRSS:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(stopRSS)
		wg.Wait()
		return rssMax
	}
}

// report prints the figures of a run.
func (m benchMeasured) report(stdout io.Writer, cfg benchConfig, dbURL string, s sim.Stats) {
	mode := fmt.Sprintf("%d sites (HTTP/2, one connection per site)", cfg.sites)
	if cfg.sites == 0 {
		mode = "one TCP connection per device (HTTP/2 cleartext)"
		if cfg.http1 {
			mode = "one TCP connection per device (HTTP/1.1)"
		}
	}
	dialect := "sqlite"
	if store.IsPostgres(dbURL) {
		dialect = "postgres"
	}
	window := m.wall1.Sub(m.wall0)
	fmt.Fprintf(stdout, "devices %d, %s, database %s, heartbeat %v\n", cfg.devices, mode, dialect, cfg.heartbeat)
	fmt.Fprintf(stdout, "  online                 all %d after %v from the first hello (%d hellos refused or failed)\n", cfg.devices, m.onlineAfter, s.HelloErrors)
	fmt.Fprintf(stdout, "  heartbeat latency      p50 %v  p99 %v  (%d samples in %v)\n", ms(s.HeartbeatP50), ms(s.HeartbeatP99), s.HeartbeatSamples, cfg.measure)
	fmt.Fprintf(stdout, "  server CPU             %.0f%% of one core (mean over %v)\n", 100*(m.cpu1-m.cpu0)/window.Seconds(), window.Round(time.Second))
	fmt.Fprintf(stdout, "  simulator CPU          %.0f%% of one core (same machine, same window)\n", 100*(m.simCPU1-m.simCPU0)/window.Seconds())
	fmt.Fprintf(stdout, "  server RSS             %.2f GB max (%.2f GB at the end)\n", float64(m.rssMax)/1e9, float64(m.rssEnd)/1e9)
	slow := 0
	for _, d := range m.cmdLat {
		if d > 100*time.Millisecond {
			slow++
		}
	}
	fmt.Fprintf(stdout, "  command issue→receive  p50 %v  p99 %v  max %v  (%d commands, %d over 100 ms, %d not received)\n",
		ms(pct(m.cmdLat, 50)), ms(pct(m.cmdLat, 99)), ms(pct(m.cmdLat, 100)), len(m.cmdLat), slow, m.missing)
	fmt.Fprintf(stdout, "    the API call         p50 %v  p99 %v  max %v  (POST …/actions, answered after the command is committed)\n",
		ms(pct(m.apiLat, 50)), ms(pct(m.apiLat, 99)), ms(pct(m.apiLat, 100)))
	fmt.Fprintf(stdout, "    call → created       p50 %v  p99 %v  max %v  (from the call to the server stamping the command, inside its write transaction)\n",
		ms(pct(m.toCreated, 50)), ms(pct(m.toCreated, 99)), ms(pct(m.toCreated, 100)))
	fmt.Fprintf(stdout, "    created → delivered  p50 %v  p99 %v  max %v  (in the server: the command's creation to its hand-over to the waiting poll)\n",
		ms(pct(m.srvLat, 50)), ms(pct(m.srvLat, 99)), ms(pct(m.srvLat, 100)))
	fmt.Fprintf(stdout, "    delivered → device   p50 %v  p99 %v  max %v  (the poll's answer on its way, and the simulator receiving it)\n",
		ms(pct(m.toDevice, 50)), ms(pct(m.toDevice, 99)), ms(pct(m.toDevice, 100)))
	fmt.Fprintf(stdout, "  list 50 in a subtree   p50 %v  p99 %v  (%d requests over HTTP, the fleet connected)\n", ms(pct(m.listLat, 50)), ms(pct(m.listLat, 99)), len(m.listLat))
	fmt.Fprintf(stdout, "                         p50 %v  p99 %v  (%d requests over HTTP, before any device connected)\n", ms(pct(m.idleLists, 50)), ms(pct(m.idleLists, 99)), len(m.idleLists))
	fmt.Fprintf(stdout, "  errors                 hello %d, heartbeat %d, poll %d; connections %d\n", s.HelloErrors, s.HeartbeatErrors, s.PollErrors, s.Connections)
}

type benchSeeded struct {
	org       string
	sites     []string
	deviceIDs []string
	ids       []sim.Identity
}

// benchSeed creates the bench account, an organization with sites of 5
// areas each, and n devices claimed into the areas, writing rows directly in
// large transactions.
func benchSeed(ctx context.Context, dbURL string, n, sites int) (benchSeeded, error) {
	var out benchSeeded
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return out, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return out, err
	}
	cfg := app.DefaultConfig()
	a := app.New(cfg, db, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	u, err := a.Accounts.Register(ctx, account.RegisterInput{Email: benchEmail, Name: "Bench", Password: benchPassword}, "bench")
	if err != nil {
		return out, err
	}
	actor := audit.Actor{Kind: audit.KindUser, ID: u.ID, Email: u.Email}
	o, err := a.Orgs.Create(ctx, actor, "Bench", "")
	if err != nil {
		return out, err
	}
	out.org = o.ID
	var areas []string
	for s := 0; s < sites; s++ {
		site, err := a.Orgs.CreateFolder(ctx, actor, o.ID, "", fmt.Sprintf("Site %03d", s))
		if err != nil {
			return out, err
		}
		out.sites = append(out.sites, site.ID)
		for f := 0; f < 5; f++ {
			area, err := a.Orgs.CreateFolder(ctx, actor, o.ID, site.ID, fmt.Sprintf("Area %d", f))
			if err != nil {
				return out, err
			}
			areas = append(areas, area.ID)
		}
	}
	ms, err := a.Fleet.Mint(ctx, audit.Actor{Kind: audit.KindVendor, ID: "bench"}, "AXIS M3086-V", n)
	if err != nil {
		return out, err
	}
	now := time.Now().UTC()
	const batch = 5000
	for start := 0; start < n; start += batch {
		err := db.Write(ctx, func(tx *store.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				m := ms[i]
				d := fleet.Device{ID: account.NewID("dev_"), OrgID: o.ID, FolderID: areas[i%len(areas)], Serial: m.Serial,
					Model: m.Model, Firmware: "12.2.54", Name: fmt.Sprintf("Camera %06d", i), ClaimedAt: now}
				if err := tx.CreateDevice(ctx, d); err != nil {
					return err
				}
				if err := tx.SetClaim(ctx, m.Serial, o.ID, d.ID); err != nil {
					return err
				}
				out.deviceIDs = append(out.deviceIDs, d.ID)
			}
			return nil
		})
		if err != nil {
			return out, err
		}
	}
	for _, m := range ms {
		out.ids = append(out.ids, sim.Identity{Serial: m.Serial, Model: m.Model, Secret: m.Secret})
	}
	return out, db.AnalyzeForTest(ctx)
}

const (
	benchEmail    = "bench@example.com"
	benchPassword = "bench-password-2026"
)

func benchLogin(base string) (string, error) {
	var out struct{ Token string }
	err := apiJSON(http.DefaultClient, "POST", base+"/api/v1/auth/login", "",
		fmt.Sprintf(`{"email":%q,"password":%q}`, benchEmail, benchPassword), &out)
	return out.Token, err
}

func apiJSON(c *http.Client, method, url, token, body string, out any) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, url, res.StatusCode, bytes.TrimSpace(b))
	}
	return json.Unmarshal(b, out)
}

// benchSchema makes a throwaway schema in a PostgreSQL database.
func benchSchema(ctx context.Context, base string) (string, func(), error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(ctx context.Context, base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return errors.New("server not ready after 60 s")
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// procCPU returns a process's user+system CPU seconds (Linux /proc).
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(fields[11], 64)
	st, _ := strconv.ParseFloat(fields[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// procRSS returns a process's resident set size in bytes.
func procRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}

// benchGC keeps the simulator in this process from collecting garbage
// during a run (unless GOGC or GOMEMLIMIT say otherwise): it allocates
// ~20 MB/s, so a run of a few minutes stays far below the 12 GiB soft limit
// at which collection would start. Playing 100,000 devices holds ~1.1 GB
// of heap and stacks; each collection (the runtime forces one every two
// minutes) marked for ~9 s on this 2-core machine with seconds of GC
// assists, and the heartbeats and commands the simulator timed meanwhile
// showed its own stalls as gateway latency (p99 3.5 s against 0.4 s).
// The server is measured as it runs in production; its load generator is
// not what is being measured.
func benchGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(12 << 30)
	debug.SetGCPercent(-1)
}

// benchClientWork is what `mysystems bench client` does, read from its
// standard input (the token stays out of the command line).
type benchClientWork struct {
	Base, Token, Org string
	Commands, Lists  int
	Devices, Sites   []string
}

type benchClientResult struct {
	Issued []struct {
		ID    string
		Start time.Time
		Took  time.Duration
	}
	Lists []time.Duration
}

func runBenchClient(ctx context.Context, exe string, work benchClientWork) (benchClientResult, error) {
	var res benchClientResult
	in, err := json.Marshal(work)
	if err != nil {
		return res, err
	}
	cmd := exec.CommandContext(ctx, exe, "bench", "client")
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("bench client: %w", err)
	}
	return res, json.Unmarshal(out, &res)
}

// cmdBenchClient issues the bench's commands and list requests.
func cmdBenchClient(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	var w benchClientWork
	if err := json.NewDecoder(stdin).Decode(&w); err != nil {
		return fmt.Errorf("bench client: %w", err)
	}
	var res benchClientResult
	client := &http.Client{Timeout: 30 * time.Second}
	for _, d := range w.Devices {
		start := time.Now()
		var c struct{ ID string }
		if err := apiJSON(client, "POST", w.Base+"/api/v1/orgs/"+w.Org+"/devices/"+d+"/actions", w.Token, `{"type":"identify"}`, &c); err != nil {
			return err
		}
		res.Issued = append(res.Issued, struct {
			ID    string
			Start time.Time
			Took  time.Duration
		}{c.ID, start, time.Since(start)})
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	for i := 0; i < w.Lists; i++ {
		site := w.Sites[i%len(w.Sites)]
		start := time.Now()
		var page struct{ Items []json.RawMessage }
		if err := apiJSON(client, "GET", w.Base+"/api/v1/orgs/"+w.Org+"/devices?limit=50&folder="+site, w.Token, "", &page); err != nil {
			return err
		}
		res.Lists = append(res.Lists, time.Since(start))
		if len(page.Items) != 50 {
			return fmt.Errorf("list returned %d devices, want 50", len(page.Items))
		}
	}
	return json.NewEncoder(stdout).Encode(res)
}
