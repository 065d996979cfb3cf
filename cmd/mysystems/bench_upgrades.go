package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/firmware"
	"mysystems/internal/sim"
	"mysystems/internal/store"
)

const benchUpgradesUsage = `usage: mysystems bench upgrades dispatch|cycle|download|window [flags]

Measures AXIS OS upgrades (FW-3..FW-7, GW-3) against 'mysystems serve' started
as a child process on a freshly seeded database, with simulated devices played
from this process:

  dispatch  N online, long-polling devices (default 100,000 over 200 sites)
            are upgraded by one API request (pacing limits lifted): the time
            from the request to every device having its upgrade command.
  cycle     N devices (default 10,000) download the image (default 256 KiB),
            verify, install, reboot and report the new version: the time
            until every task succeeded, with the server's CPU and RSS.
  download  D concurrent ranged downloads (default 1,000) of an image
            (default 8 MiB) from the gateway, against a bare
            http.ServeContent server on the same machine, alternately.
  window    N devices (default 10,000) whose maintenance window opens at the
            same minute: the time from the window's start to the last
            upgrade command received.

Long: not part of the test suite.

`

// benchUpConfig is what the flags of bench upgrades ask for.
type benchUpConfig struct {
	what       string
	devices    int
	sites      int
	database   string
	ramp       time.Duration
	image      int64
	speed      float64
	chunk      int64
	rounds     int
	timeout    time.Duration
	keep       bool
	cpuProfile string
	simPprof   string
	serverEnv  string
	limits     string
}

func benchUpFlags(what string, args []string, stderr io.Writer) (benchUpConfig, error) {
	c := benchUpConfig{what: what}
	defDevices, defImage := 10000, int64(256<<10)
	switch what {
	case "dispatch":
		defDevices, defImage = 100000, 16<<10
	case "download":
		defDevices, defImage = 1000, 8<<20
	}
	fs := flag.NewFlagSet("bench upgrades "+what, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, strings.Replace(benchUpgradesUsage, "dispatch|cycle|download|window", what, 1))
		fs.PrintDefaults()
	}
	fs.IntVar(&c.devices, "devices", defDevices, "simulated devices (download: the concurrent downloads, one device each)")
	fs.IntVar(&c.sites, "sites", 200, "sites, one HTTP/2 connection each (0: one TCP connection per device)")
	fs.StringVar(&c.database, "database", "", "postgres:// URL of a database to make a throwaway schema in (default: a SQLite file in a temporary directory)")
	fs.DurationVar(&c.ramp, "ramp", 0, "spread the devices' first hellos over this duration (default: 60 s per 100,000 devices, at least 5 s)")
	fs.Int64Var(&c.image, "image", defImage, "the image's size in bytes")
	fs.Float64Var(&c.speed, "speed", 60, "cycle, window: the simulator's Speed, dividing install, reboot and backoff times")
	fs.Int64Var(&c.chunk, "chunk", 256<<10, "download: the range requests' size in bytes")
	fs.IntVar(&c.rounds, "rounds", 3, "download: rounds of each server, alternating")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Minute, "give up after this long")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write the server's CPU profile over the measurement to this file (go tool pprof FILE)")
	fs.StringVar(&c.simPprof, "sim-pprof", "", "profiling listener of this process, the simulator (off by default)")
	fs.StringVar(&c.serverEnv, "server-env", "", "extra environment for the server, comma-separated KEY=VALUE")
	fs.StringVar(&c.limits, "limits", "100000/100000", "the organization's pacing limits, MAX_CONCURRENT/MAX_PER_SITE (default: lifted)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.ramp == 0 {
		c.ramp = max(5*time.Second, time.Duration(c.devices)*60*time.Second/100000)
	}
	if c.devices <= 0 || c.image <= 0 || c.chunk <= 0 || c.rounds <= 0 || c.speed <= 0 {
		return c, errors.New("bench upgrades: --devices, --image, --chunk, --rounds and --speed must be positive")
	}
	return c, nil
}

// benchUpModel and benchUpTarget are the seeded devices' model and the
// release they are upgraded to (benchSeed's devices run 12.2.54).
const (
	benchUpModel  = "AXIS M3086-V"
	benchUpTarget = "12.3.1"
)

// cmdBenchUpgrades runs `mysystems bench upgrades WHAT`.
func cmdBenchUpgrades(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	what := ""
	if len(args) > 0 {
		what = args[0]
	}
	switch what {
	case "dispatch", "cycle", "download", "window":
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, benchUpgradesUsage)
		return flag.ErrHelp
	default:
		fmt.Fprint(stderr, benchUpgradesUsage)
		return errors.New("bench upgrades: say what to measure: dispatch, cycle, download or window")
	}
	cfg, err := benchUpFlags(what, args[1:], stderr)
	if err != nil {
		return err
	}
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	dir, dbURL, cleanup, err := benchDatabase(ctx, benchConfig{database: cfg.database, keep: cfg.keep})
	if err != nil {
		return err
	}
	defer cleanup()

	say("seeding %d devices in %s", cfg.devices, redactURL(dbURL))
	t0 := time.Now()
	seed, err := benchSeed(ctx, dbURL, cfg.devices, max(cfg.sites, 10))
	if err != nil {
		return err
	}
	rel, err := benchPublish(ctx, dbURL, dir, cfg.image)
	if err != nil {
		return err
	}
	say("seeded and published %s %s (%d bytes) in %v", benchUpModel, benchUpTarget, cfg.image, time.Since(t0).Round(time.Second))

	pprofPort, err := freePort()
	if err != nil {
		return err
	}
	srv, err := startBenchServer(ctx, benchConfig{heartbeat: 60 * time.Second, pprofAddr: "127.0.0.1:" + strconv.Itoa(pprofPort), serverEnv: cfg.serverEnv}, dir, dbURL, stderr)
	if err != nil {
		return err
	}
	defer srv.stop()
	say("server pid %d at %s", srv.pid, srv.base)
	prof := &serverProfile{addr: "127.0.0.1:" + strconv.Itoa(pprofPort), file: cfg.cpuProfile}

	dialect := "sqlite"
	if store.IsPostgres(dbURL) {
		dialect = "postgres"
	}
	benchGC()
	if cfg.simPprof != "" {
		if err := startPprof(cfg.simPprof, slog.New(slog.NewTextHandler(stderr, nil))); err != nil {
			return err
		}
	}
	if what == "download" {
		return benchDownloads(ctx, cfg, srv, seed, rel, dir, dialect, prof, stdout, say)
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	maxAll, maxSite, ok := strings.Cut(cfg.limits, "/")
	if !ok {
		return fmt.Errorf("bench upgrades: --limits %q: want MAX_CONCURRENT/MAX_PER_SITE", cfg.limits)
	}
	limits := fmt.Sprintf(`{"max_concurrent":%s,"max_per_site":%s}`, maxAll, maxSite)
	var out json.RawMessage
	if err := apiJSON(client, "PUT", srv.base+"/api/v1/orgs/"+seed.org+"/upgrade-limits", srv.token, limits, &out); err != nil {
		return err
	}

	received := &sync.Map{}
	var nReceived atomic.Int64
	scfg := sim.Config{Server: srv.base, Sites: cfg.sites, StartSpread: cfg.ramp, HeartbeatJitter: 5 * time.Second,
		OnCommand: func(_, id string, at time.Time) {
			if _, loaded := received.LoadOrStore(id, at); !loaded {
				nReceived.Add(1)
			}
		}}
	switch what {
	case "dispatch":
		// The devices get the command and download the small image, then
		// stay in an install that outlasts the run.
		scfg.InstallMin, scfg.InstallMax = 24*time.Hour, 24*time.Hour
	default:
		// A minute's install and the 20–40 s reboot, divided by Speed.
		scfg.Speed, scfg.InstallMin, scfg.InstallMax = cfg.speed, time.Minute, time.Minute
	}
	f, err := sim.New(scfg)
	if err != nil {
		return err
	}
	if err := f.Start(ctx, seed.ids); err != nil {
		return err
	}
	defer f.Stop()
	fl := &benchFleet{Fleet: f, received: received}
	if err := waitOnline(ctx, fl, cfg.devices, cfg.ramp, srv, say); err != nil {
		return err
	}
	db, err := openBenchReader(dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	w := benchUpRun{cfg: cfg, srv: srv, seed: seed, fl: fl, n: &nReceived, db: db, prof: prof, say: say, dialect: dialect}
	switch what {
	case "dispatch":
		return w.dispatch(ctx, stdout)
	case "cycle":
		return w.cycle(ctx, stdout)
	default:
		return w.window(ctx, stdout)
	}
}

// benchPublish publishes the release the devices are upgraded to, with an
// image of size random bytes, into the data directory the server uses.
func benchPublish(ctx context.Context, dbURL, dir string, size int64) (firmware.Published, error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return firmware.Published{}, err
	}
	defer db.Close()
	cfg := app.DefaultConfig()
	cfg.Firmware.DataDir = dir
	a := app.New(cfg, db, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	img := make([]byte, size)
	_, _ = crand.Read(img)
	return a.Firmware.Publish(ctx, audit.Actor{Kind: audit.KindVendor, ID: "bench"},
		firmware.PublishInput{Model: benchUpModel, Version: benchUpTarget, Track: "active"}, bytes.NewReader(img))
}

// waitOnline waits until every device of the fleet is online.
func waitOnline(ctx context.Context, fl *benchFleet, n int, ramp time.Duration, srv *benchServer, say func(string, ...any)) error {
	t0 := time.Now()
	deadline := t0.Add(ramp + 5*time.Minute)
	for tick := 1; ; tick++ {
		s := fl.Stats()
		if s.Online == n {
			fl.onlineAfter = time.Since(t0).Round(time.Second)
			say("all %d devices online after %v (%d connections)", n, fl.onlineAfter, s.Connections)
			// The gateway writes presence in batches: wait for a flush so
			// the dispatcher sees every device online.
			return sleepCtx(ctx, 10*time.Second)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d devices online (hello errors %d)", s.Online, n, s.HelloErrors)
		}
		if err := sleepCtx(ctx, 2*time.Second); err != nil {
			return err
		}
		if tick%5 == 0 {
			say("%d online, %d hellos (%d errors); server CPU %.0f s, RSS %.2f GB", s.Online, s.Hellos, s.HelloErrors, procCPU(srv.pid), float64(procRSS(srv.pid))/1e9)
		}
	}
}

// openBenchReader opens the bench's database for reading task counts.
func openBenchReader(dbURL string) (*sql.DB, error) {
	if store.IsPostgres(dbURL) {
		return sql.Open("pgx", dbURL)
	}
	return sql.Open("sqlite", "file:"+dbURL+"?_pragma=query_only(ON)&_pragma=busy_timeout(10000)")
}

// taskStates counts the organization's upgrade tasks by state.
func taskStates(ctx context.Context, db *sql.DB, orgID, dialect string) (map[string]int, error) {
	rows, err := db.QueryContext(ctx, "SELECT state, COUNT(*) FROM upgrade_tasks WHERE org_id = "+param(dialect)+" GROUP BY state", orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// param is the first query parameter in the dialect.
func param(dialect string) string {
	if dialect == "postgres" {
		return "$1"
	}
	return "?"
}

func fmtStates(m map[string]int) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	for i, k := range ks {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}

// serverProfile takes the server's CPU profile over a measurement, when
// asked.
type serverProfile struct {
	addr, file string
	done       chan error
}

func (p *serverProfile) start(d time.Duration) {
	if p.file == "" {
		return
	}
	p.done = make(chan error, 1)
	go func() {
		res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.addr, max(1, int(d.Seconds()))))
		if err != nil {
			p.done <- err
			return
		}
		defer res.Body.Close()
		f, err := os.Create(p.file)
		if err != nil {
			p.done <- err
			return
		}
		_, err = io.Copy(f, res.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		p.done <- err
	}()
}

func (p *serverProfile) wait() error {
	if p.done == nil {
		return nil
	}
	return <-p.done
}

// benchUpRun is a bench run with its fleet online.
type benchUpRun struct {
	cfg     benchUpConfig
	srv     *benchServer
	seed    benchSeeded
	fl      *benchFleet
	n       *atomic.Int64 // commands received
	db      *sql.DB
	prof    *serverProfile
	say     func(string, ...any)
	dialect string
}

// startUpgrade makes the API request that upgrades every device of the
// model, returning the number of tasks and the request's duration.
func (w benchUpRun) startUpgrade() (tasks int, took time.Duration, err error) {
	client := &http.Client{Timeout: 10 * time.Minute}
	var res struct {
		Tasks   []struct{ ID string }
		Skipped []json.RawMessage
	}
	t0 := time.Now()
	err = apiJSON(client, "POST", w.srv.base+"/api/v1/orgs/"+w.seed.org+"/upgrades", w.srv.token,
		fmt.Sprintf(`{"model":%q,"version":%q}`, benchUpModel, benchUpTarget), &res)
	if err == nil && len(res.Skipped) > 0 {
		err = fmt.Errorf("upgrade request skipped %d devices: %s", len(res.Skipped), res.Skipped[0])
	}
	return len(res.Tasks), time.Since(t0), err
}

// receipts returns the commands' receipt times after t0, sorted.
func (w benchUpRun) receipts(t0 time.Time) []time.Duration {
	var out []time.Duration
	w.fl.received.Range(func(_, v any) bool {
		out = append(out, v.(time.Time).Sub(t0))
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (w benchUpRun) header(stdout io.Writer) {
	mode := fmt.Sprintf("%d sites (HTTP/2, one connection per site)", w.cfg.sites)
	if w.cfg.sites == 0 {
		mode = "one TCP connection per device (HTTP/2 cleartext)"
	}
	fmt.Fprintf(stdout, "bench upgrades %s: devices %d, %s, database %s, image %d bytes\n", w.cfg.what, w.cfg.devices, mode, w.dialect, w.cfg.image)
	fmt.Fprintf(stdout, "  online                 all after %v from the first hello\n", w.fl.onlineAfter)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// dispatch measures the request that upgrades every device to every device
// having its command.
func (w benchUpRun) dispatch(ctx context.Context, stdout io.Writer) error {
	pid := w.srv.pid
	cpu0, sim0, t0 := procCPU(pid), procCPU(os.Getpid()), time.Now()
	stopRSS := sampleRSS(pid)
	w.prof.start(60 * time.Second)
	tasks, took, err := w.startUpgrade()
	if err != nil {
		stopRSS()
		return err
	}
	w.say("the upgrade request made %d tasks in %v", tasks, took.Round(time.Millisecond))
	done, err := w.waitReceived(ctx, t0, tasks)
	cpu1, sim1 := procCPU(pid), procCPU(os.Getpid())
	rssMax := stopRSS()
	if err != nil {
		return err
	}
	if err := w.prof.wait(); err != nil {
		w.say("profile: %v", err)
	}
	r := w.receipts(t0)
	states, err := taskStates(ctx, w.db, w.seed.org, w.dialect)
	if err != nil {
		return err
	}
	w.header(stdout)
	fmt.Fprintf(stdout, "  upgrade request        %s for %d tasks (POST …/upgrades, model %s, limits %s)\n", secs(took), tasks, benchUpModel, w.cfg.limits)
	fmt.Fprintf(stdout, "  request → received     first %s, p50 %s, p99 %s, last %s (%d commands received)\n",
		secs(r[0]), secs(r[len(r)/2]), secs(r[min(len(r)-1, len(r)*99/100)]), secs(done), len(r))
	fmt.Fprintf(stdout, "  server CPU             %.0f%% of one core (mean over %s); simulator %.0f%%\n", 100*(cpu1-cpu0)/done.Seconds(), secs(done), 100*(sim1-sim0)/done.Seconds())
	fmt.Fprintf(stdout, "  server RSS             %.2f GB max\n", float64(rssMax)/1e9)
	fmt.Fprintf(stdout, "  tasks at the end       %s\n", fmtStates(states))
	return nil
}

// waitReceived waits until n commands were received, saying how far every
// 5 s; it returns the time from t0 to the last receipt.
func (w benchUpRun) waitReceived(ctx context.Context, t0 time.Time, n int) (time.Duration, error) {
	deadline := time.Now().Add(w.cfg.timeout)
	for tick := 1; ; tick++ {
		if int(w.n.Load()) >= n {
			r := w.receipts(t0)
			return r[len(r)-1], nil
		}
		if time.Now().After(deadline) {
			states, _ := taskStates(ctx, w.db, w.seed.org, w.dialect)
			return 0, fmt.Errorf("only %d of %d upgrade commands received after %v (tasks: %s)", w.n.Load(), n, w.cfg.timeout, fmtStates(states))
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return 0, err
		}
		if tick%50 == 0 {
			w.say("%v: %d of %d commands received; server CPU %.0f s, RSS %.2f GB", time.Since(t0).Round(time.Second), w.n.Load(), n, procCPU(w.srv.pid), float64(procRSS(w.srv.pid))/1e9)
		}
	}
}

// cycle measures full upgrades: the request to every task succeeded.
func (w benchUpRun) cycle(ctx context.Context, stdout io.Writer) error {
	pid := w.srv.pid
	cpu0, sim0, t0 := procCPU(pid), procCPU(os.Getpid()), time.Now()
	stopRSS := sampleRSS(pid)
	w.prof.start(30 * time.Second)
	tasks, took, err := w.startUpgrade()
	if err != nil {
		stopRSS()
		return err
	}
	w.say("the upgrade request made %d tasks in %v", tasks, took.Round(time.Millisecond))
	var allReceived, done time.Duration
	var states map[string]int
	deadline := time.Now().Add(w.cfg.timeout)
	for tick := 1; ; tick++ {
		if allReceived == 0 && int(w.n.Load()) >= tasks {
			r := w.receipts(t0)
			allReceived = r[len(r)-1]
		}
		states, err = taskStates(ctx, w.db, w.seed.org, w.dialect)
		if err != nil {
			stopRSS()
			return err
		}
		if states["succeeded"]+states["failed"]+states["canceled"] >= tasks {
			done = time.Since(t0)
			break
		}
		if time.Now().After(deadline) {
			stopRSS()
			return fmt.Errorf("tasks after %v: %s", w.cfg.timeout, fmtStates(states))
		}
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			stopRSS()
			return err
		}
		if tick%20 == 0 {
			w.say("%v: %s; server CPU %.0f s, RSS %.2f GB", time.Since(t0).Round(time.Second), fmtStates(states), procCPU(pid), float64(procRSS(pid))/1e9)
		}
	}
	cpu1, sim1 := procCPU(pid), procCPU(os.Getpid())
	rssMax := stopRSS()
	if err := w.prof.wait(); err != nil {
		w.say("profile: %v", err)
	}
	s := w.fl.Stats()
	w.header(stdout)
	fmt.Fprintf(stdout, "  simulator              Speed %g: install 60 s → %s, reboot 20–40 s → %s–%s\n", w.cfg.speed,
		secs(time.Duration(float64(time.Minute)/w.cfg.speed)), secs(time.Duration(float64(20*time.Second)/w.cfg.speed)), secs(time.Duration(float64(40*time.Second)/w.cfg.speed)))
	fmt.Fprintf(stdout, "  upgrade request        %s for %d tasks (limits %s)\n", secs(took), tasks, w.cfg.limits)
	fmt.Fprintf(stdout, "  request → all commands received  %s\n", secs(allReceived))
	fmt.Fprintf(stdout, "  request → every task done        %s (%s)\n", secs(done), fmtStates(states))
	fmt.Fprintf(stdout, "  server CPU             %.0f%% of one core (mean over %s); simulator %.0f%%\n", 100*(cpu1-cpu0)/done.Seconds(), secs(done), 100*(sim1-sim0)/done.Seconds())
	fmt.Fprintf(stdout, "  server RSS             %.2f GB max\n", float64(rssMax)/1e9)
	fmt.Fprintf(stdout, "  devices                %d upgrades, %.1f MB downloaded, %d resumes, %d installs (%d failed), %d refused, %d stopped, %d progress errors\n",
		s.Upgrades, float64(s.DownloadBytes)/1e6, s.DownloadResumes, s.Installs, s.InstallFailures, s.Refusals, s.UpgradeStops, s.ProgressErrors)
	return nil
}

// window measures a maintenance window opening for every device at once.
func (w benchUpRun) window(ctx context.Context, stdout io.Writer) error {
	// The window opens at the start of a minute at least 100 s away, so
	// the scheduler (every minute) has made its tasks by then.
	start := time.Now().UTC().Add(100 * time.Second).Truncate(time.Minute).Add(time.Minute)
	day := strings.ToLower(start.Weekday().String()[:3])
	ids, _ := json.Marshal(w.seed.deviceIDs)
	body := fmt.Sprintf(`{"device_ids":%s,"mode":"window","window":{"days":[%q],"start":%q,"duration_minutes":60,"time_zone":"UTC"}}`,
		ids, day, start.Format("15:04"))
	client := &http.Client{Timeout: 5 * time.Minute}
	var out json.RawMessage
	if err := apiJSON(client, "PUT", w.srv.base+"/api/v1/orgs/"+w.seed.org+"/upgrade-schedule", w.srv.token, body, &out); err != nil {
		return err
	}
	w.say("window of %d devices opens at %s (%s)", len(w.seed.deviceIDs), start.Format(time.RFC3339), day)
	if err := sleepCtx(ctx, time.Until(start.Add(-2*time.Second))); err != nil {
		return err
	}
	before, err := taskStates(ctx, w.db, w.seed.org, w.dialect)
	if err != nil {
		return err
	}
	w.say("2 s before the window: %s", fmtStates(before))
	if err := sleepCtx(ctx, time.Until(start)); err != nil {
		return err
	}
	pid := w.srv.pid
	cpu0, t0 := procCPU(pid), time.Now()
	stopRSS := sampleRSS(pid)
	w.prof.start(20 * time.Second)
	last, err := w.waitReceived(ctx, start, len(w.seed.deviceIDs))
	cpu1 := procCPU(pid)
	rssMax := stopRSS()
	if err != nil {
		return err
	}
	if err := w.prof.wait(); err != nil {
		w.say("profile: %v", err)
	}
	r := w.receipts(start)
	sent, err := lastCommandCreated(ctx, w.db, w.seed.org, w.dialect)
	if err != nil {
		return err
	}
	w.header(stdout)
	fmt.Fprintf(stdout, "  tasks before the window %s (made ahead by the scheduler)\n", fmtStates(before))
	fmt.Fprintf(stdout, "  window start → last command sent      %s (the last upgrade command's created_at)\n", secs(sent.Sub(start)))
	fmt.Fprintf(stdout, "  window start → received  first %s, p50 %s, p99 %s, last %s (%d commands)\n",
		secs(r[0]), secs(r[len(r)/2]), secs(r[min(len(r)-1, len(r)*99/100)]), secs(last), len(r))
	el := time.Since(t0)
	fmt.Fprintf(stdout, "  server CPU             %.0f%% of one core (mean over %s); RSS %.2f GB max\n", 100*(cpu1-cpu0)/el.Seconds(), secs(el), float64(rssMax)/1e9)
	return nil
}

// lastCommandCreated is the creation time of the organization's last
// upgrade command.
func lastCommandCreated(ctx context.Context, db *sql.DB, orgID, dialect string) (time.Time, error) {
	var v int64
	err := db.QueryRowContext(ctx, "SELECT MAX(scheduled_at) FROM upgrade_tasks WHERE org_id = "+param(dialect), orgID).Scan(&v)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMicro(v), nil
}

// benchDownloads measures concurrent ranged downloads from the gateway
// against a bare http.ServeContent server of the same file, alternately.
func benchDownloads(ctx context.Context, cfg benchUpConfig, srv *benchServer, seed benchSeeded, rel firmware.Published, dir, dialect string,
	prof *serverProfile, stdout io.Writer, say func(string, ...any)) error {
	tokens := make([]string, len(seed.ids))
	errc := make(chan error, len(seed.ids))
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i, id := range seed.ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d, err := sim.NewStepped(sim.Config{Server: srv.base}, id)
			if err != nil {
				errc <- err
				return
			}
			defer d.Close()
			if _, err := d.Hello(ctx); err != nil {
				errc <- err
				return
			}
			tokens[i] = d.Token()
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	say("%d devices said hello", len(tokens))

	image := filepath.Join(dir, "firmware", rel.SHA256)
	port, err := freePort()
	if err != nil {
		return err
	}
	bare := exec.CommandContext(ctx, srv.exe, "bench", "serve-file", "127.0.0.1:"+strconv.Itoa(port), image)
	bare.Stderr = os.Stderr
	if err := bare.Start(); err != nil {
		return err
	}
	defer func() { _ = bare.Process.Kill(); _ = bare.Wait() }()
	bareBase := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitReady(ctx, bareBase); err != nil {
		return err
	}
	type round struct {
		name string
		mbps float64
		took time.Duration
		cpu  float64
	}
	var rounds []round
	for i := 0; i < cfg.rounds; i++ {
		for _, s := range []struct {
			name, url string
			pid       int
			tokens    []string
		}{
			{"bare", bareBase + "/image", bare.Process.Pid, nil},
			{"gateway", srv.base + "/device/v1/firmware/" + rel.ID, srv.pid, tokens},
		} {
			if s.name == "gateway" && i == cfg.rounds-1 {
				prof.start(5 * time.Second)
			}
			cpu0 := procCPU(s.pid)
			took, n, err := downloadAll(ctx, s.url, s.tokens, cfg.devices, rel.Size, cfg.chunk)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			r := round{s.name, float64(n) / took.Seconds() / (1 << 20), took, 100 * (procCPU(s.pid) - cpu0) / took.Seconds()}
			say("round %d %s: %.0f MiB/s (%v, server CPU %.0f%%)", i+1, r.name, r.mbps, took.Round(time.Millisecond), r.cpu)
			rounds = append(rounds, r)
		}
	}
	if err := prof.wait(); err != nil {
		say("profile: %v", err)
	}
	med := func(name string) (m float64, all []string) {
		var v []float64
		for _, r := range rounds {
			if r.name == name {
				v = append(v, r.mbps)
				all = append(all, fmt.Sprintf("%.0f", r.mbps))
			}
		}
		sort.Float64s(v)
		return v[len(v)/2], all
	}
	bm, ball := med("bare")
	gm, gall := med("gateway")
	fmt.Fprintf(stdout, "bench upgrades download: %d concurrent downloads of %d bytes in %d-byte ranges, one HTTP/1.1 connection each, database %s\n",
		cfg.devices, rel.Size, cfg.chunk, dialect)
	fmt.Fprintf(stdout, "  bare http.ServeContent  median %.0f MiB/s (rounds %s)\n", bm, strings.Join(ball, ", "))
	fmt.Fprintf(stdout, "  gateway                 median %.0f MiB/s (rounds %s)\n", gm, strings.Join(gall, ", "))
	fmt.Fprintf(stdout, "  ratio                   %.2f (gateway / bare, medians)\n", gm/bm)
	for _, r := range rounds {
		fmt.Fprintf(stdout, "    %-8s %s, server CPU %.0f%% of one core\n", r.name, secs(r.took), r.cpu)
	}
	return nil
}

// downloadAll runs n concurrent downloads of url (size bytes, in ranges
// of chunk bytes), each on its own connection, with tokens[i] as the i-th
// download's device token if given; it returns the time and the bytes.
func downloadAll(ctx context.Context, url string, tokens []string, n int, size, chunk int64) (time.Duration, int64, error) {
	var total atomic.Int64
	errc := make(chan error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 10 * time.Minute}
			buf := make([]byte, 32<<10)
			<-start
			for off := int64(0); off < size; off += chunk {
				req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
				if err != nil {
					errc <- err
					return
				}
				if tokens != nil {
					req.Header.Set("Authorization", "Bearer "+tokens[i])
				}
				req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, min(off+chunk, size)-1))
				res, err := c.Do(req)
				if err != nil {
					errc <- err
					return
				}
				m, err := io.CopyBuffer(io.Discard, res.Body, buf)
				res.Body.Close()
				if err == nil && res.StatusCode != http.StatusPartialContent {
					err = fmt.Errorf("status %d", res.StatusCode)
				}
				if err != nil {
					errc <- err
					return
				}
				total.Add(m)
			}
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(t0)
	close(errc)
	if err := <-errc; err != nil {
		return 0, 0, err
	}
	if want := int64(n) * size; total.Load() != want {
		return 0, 0, fmt.Errorf("downloaded %d bytes, want %d", total.Load(), want)
	}
	return took, total.Load(), nil
}

// cmdBenchServeFile is the bare server of bench upgrades download: the file
// with http.ServeContent at /image, and /readyz.
func cmdBenchServeFile(args []string) error {
	if len(args) != 2 {
		return errors.New("bench serve-file ADDR FILE")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("/image", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(args[1])
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "image", st.ModTime(), f)
	})
	return http.ListenAndServe(args[0], mux)
}
