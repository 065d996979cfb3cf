package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mysystems/internal/sim"
	"mysystems/internal/store/storetest"
)

// serveProc is a `mysystems serve` child process (the test binary acting as
// the command, see TestMain) on a database and data directory that outlive
// it: it can be killed and started again on the same port.
type serveProc struct {
	t       *testing.T
	dbURL   string
	dataDir string
	port    int
	base    string
	logs    *syncBuffer
	cmd     *exec.Cmd
}

func newServeProc(t *testing.T, dbURL, dataDir string) *serveProc {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return &serveProc{t: t, dbURL: dbURL, dataDir: dataDir, port: port,
		base: "http://127.0.0.1:" + strconv.Itoa(port), logs: &syncBuffer{}}
}

// start starts the server and waits until it is ready.
func (p *serveProc) start() {
	p.t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--database", p.dbURL, "--data-dir", p.dataDir,
		"--listen", "127.0.0.1:"+strconv.Itoa(p.port), "--log-level", "warn", "--rate-limit", "0")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd = cmd
	p.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := waitReady(ctx, p.base); err != nil {
		p.t.Fatalf("server not ready: %v\n%s", err, p.logs.String())
	}
}

// logTail is the end of what the server processes logged.
func (p *serveProc) logTail() string {
	s := p.logs.String()
	if len(s) > 8000 {
		s = "…" + s[len(s)-8000:]
	}
	return s
}

// kill stops the server with SIGKILL: nothing of it runs after.
func (p *serveProc) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		p.t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// publishFirmware publishes an AXIS OS release of the bench devices' model
// with `mysystems vendor firmware publish`, its image in dataDir.
func publishFirmware(t *testing.T, dbURL, dataDir, version string, size int) {
	t.Helper()
	image := filepath.Join(t.TempDir(), "axis-"+version+".bin")
	b := bytes.Repeat([]byte("AXIS OS "+version+" "), size/10+1)[:size]
	if err := os.WriteFile(image, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	args := []string{"vendor", "firmware", "publish", "--model", "AXIS M3086-V", "--version", version, "--track", "active",
		"--file", image, "--database", dbURL, "--data-dir", dataDir}
	if code := run(context.Background(), args, nil, &out, &errb, env(nil)); code != 0 {
		t.Fatalf("publish: %d %s %s", code, out.String(), errb.String())
	}
}

// taskRow is one task of the CSV export of GET …/tasks?format=csv.
type taskRow struct{ id, device, folder, state, reason, ring string }

// tasksCSV reads every task of the organization (the CSV export has them
// all in one answer).
func tasksCSV(c *http.Client, base, org, token, query string) ([]taskRow, error) {
	req, err := http.NewRequest("GET", base+"/api/v1/orgs/"+org+"/tasks?format=csv"+query, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		return nil, fmt.Errorf("tasks: %d %s", res.StatusCode, b)
	}
	recs, err := csv.NewReader(res.Body).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, fmt.Errorf("tasks CSV: %v", err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	for _, k := range []string{"id", "device_id", "folder", "state", "reason", "ring"} {
		if _, ok := col[k]; !ok {
			return nil, fmt.Errorf("tasks CSV has no column %q: %v", k, recs[0])
		}
	}
	out := make([]taskRow, 0, len(recs)-1)
	for _, r := range recs[1:] {
		out = append(out, taskRow{id: r[col["id"]], device: r[col["device_id"]], folder: r[col["folder"]],
			state: r[col["state"]], reason: r[col["reason"]], ring: r[col["ring"]]})
	}
	return out, nil
}

func countStates(rows []taskRow) map[string]int {
	n := map[string]int{}
	for _, r := range rows {
		n[r.state]++
	}
	return n
}

func finished(n map[string]int) int { return n["succeeded"] + n["failed"] + n["canceled"] }

// TestFW6_SIGKILLDuringRollout: a fleet of 2,000 simulated devices over four
// sites, and a phased rollout to a quarter of them (every site has some)
// started through the API of a real `mysystems serve` process on SQLite. The
// process is killed with SIGKILL at random points of the rollout, three times
// (in the first ring, around the soak, in the rest), and started again on
// the same database and data directory. The rollout resumes each time; in
// the end every task succeeded, or failed with a reason (2 % of the installs
// fail), none is left under way, no device installed any task twice, and
// no other device was upgraded (FW-6, FW-7). TestFW7_TwoInstancesOnePostgres
// runs processes on PostgreSQL.
func TestFW6_SIGKILLDuringRollout(t *testing.T) {
	const devices, sites = 2000, 4
	ctx := context.Background()
	dbURL := storetest.URL(t, "sqlite")
	seed, err := benchSeed(ctx, dbURL, devices, sites)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	publishFirmware(t, dbURL, dataDir, "12.3.1", 64<<10)
	srv := newServeProc(t, dbURL, dataDir)
	srv.start()
	token, err := benchLogin(srv.base)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := sim.New(sim.Config{Server: srv.base, Sites: sites, Speed: 20, StartSpread: 2 * time.Second,
		InstallMin: 20 * time.Second, InstallMax: 40 * time.Second, ChunkSize: 64 << 10, FailInstall: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	if err := fl.Start(ctx, seed.ids); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fl.Stop)
	client := &http.Client{Timeout: 30 * time.Second}
	waitUntil := func(what string, within time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out after %v waiting for %s\nfleet: %s\nserver log:\n%s", within, what, fl.Stats(), srv.logTail())
			}
			time.Sleep(500 * time.Millisecond) // polling a condition with a deadline
		}
	}
	waitUntil("every device online", 60*time.Second, func() bool { return fl.Stats().Online == devices })

	api := func(method, path, body string, out any) {
		t.Helper()
		if err := apiJSON(client, method, srv.base+"/api/v1/orgs/"+seed.org+path, token, body, out); err != nil {
			t.Fatal(err)
		}
	}
	var lim map[string]any
	api("PUT", "/upgrade-limits", `{"max_concurrent":150,"max_per_site":50}`, &lim)
	// The rollout: every fourth device, so every site has some; the
	// others go on heartbeating and polling beside it.
	// MYSYSTEMS_FW6_ALL=1 rolls out to all 2,000 (docs/BENCHMARKS.md: a
	// longer run, best without -race).
	step := 4
	if os.Getenv("MYSYSTEMS_FW6_ALL") == "1" {
		step = 1
	}
	var picked []string
	for i := 0; i < devices; i += step {
		picked = append(picked, seed.deviceIDs[i])
	}
	body, _ := json.Marshal(map[string]any{"device_ids": picked,
		"rollout": map[string]int{"ring_percent": 10, "soak_minutes": 0, "failure_percent": 40}})
	var started struct {
		Tasks   []struct{ ID string }
		Rollout struct{ ID string }
	}
	api("POST", "/upgrades", string(body), &started)
	if len(started.Tasks) != len(picked) || started.Rollout.ID == "" {
		t.Fatalf("%d tasks, rollout %q; want %d and a rollout", len(started.Tasks), started.Rollout.ID, len(picked))
	}
	total := len(picked)
	t0 := time.Now()
	var rows []taskRow
	// states reads the tasks; a read the busy server does not answer in
	// time counts as nothing finished yet (the wait's deadline bounds it).
	states := func() map[string]int {
		t.Helper()
		got, err := tasksCSV(client, srv.base, seed.org, token, "")
		if err != nil {
			t.Logf("tasks: %v", err)
			return nil
		}
		rows = got
		return countStates(rows)
	}

	// Three kills at random points: during the first ring, around the
	// soak and the start of the rest, and well into the rest; each once
	// as many tasks as drawn finished, a random moment later.
	marks := []int{5 + mrand.IntN(40), 45 + mrand.IntN(100), 200 + mrand.IntN(200)}
	for i, mark := range marks {
		waitUntil(fmt.Sprintf("%d tasks finished before kill %d", mark, i+1), 90*time.Second, func() bool { return finished(states()) >= mark })
		time.Sleep(time.Duration(mrand.IntN(1000)) * time.Millisecond) // a random point of the rollout, not a wait for anything
		at := countStates(rows)
		srv.kill()
		t.Logf("%v: kill %d at %v", time.Since(t0).Round(time.Second), i+1, at)
		srv.start()
	}

	// Every task ends, within a bound: none stays under way.
	waitUntil("every task finished", 90*time.Second, func() bool { return finished(states()) == total })
	n := countStates(rows)
	t.Logf("%v: after the kills: %v; fleet: %s", time.Since(t0).Round(time.Second), n, fl.Stats())
	if n["succeeded"]+n["failed"] != total {
		t.Fatalf("tasks %v: want all succeeded or failed", n)
	}
	if n["failed"] == 0 {
		t.Error("no task failed, though 2 % of the installs fail")
	}
	installs := fl.Installs()
	for _, r := range rows {
		switch {
		case r.state == "failed" && strings.TrimSpace(r.reason) == "":
			t.Errorf("task %s failed with no reason", r.id)
		case r.state == "succeeded" && installs[r.id] != 1:
			t.Errorf("task %s succeeded after %d installs, want 1", r.id, installs[r.id])
		case installs[r.id] > 1:
			t.Errorf("task %s installed %d times", r.id, installs[r.id])
		}
	}
	// Every failed install failed its task, in the device's words (a
	// download given up while the server was down would fail one too,
	// with its own reason).
	failedInstalls := 0
	for _, r := range rows {
		if r.state == "failed" && strings.Contains(r.reason, "rolled back") {
			failedInstalls++
		} else if r.state == "failed" {
			t.Logf("task %s failed: %s", r.id, r.reason)
		}
	}
	if s := fl.Stats(); s.DoubleInstalls != 0 || uint64(failedInstalls) != s.InstallFailures {
		t.Errorf("%d double installs; %d tasks failed for a failed install, the devices had %d", s.DoubleInstalls, failedInstalls, s.InstallFailures)
	}
	var ro struct {
		State string
		Rings []struct{ Ring, Total, Done, Failed int }
	}
	waitUntil("the rollout done", 30*time.Second, func() bool {
		api("GET", "/rollouts/"+started.Rollout.ID, "", &ro)
		return ro.State == "done"
	})
	if len(ro.Rings) != 2 || ro.Rings[0].Total+ro.Rings[1].Total != total || ro.Rings[0].Done+ro.Rings[1].Done != total {
		t.Errorf("rollout %+v, want done over %d tasks", ro, total)
	}
	// Only the rollout's devices were upgraded.
	if s := fl.Stats(); s.Upgrades != uint64(total) || s.Installs != uint64(total) {
		t.Errorf("the fleet started %d upgrades and installed %d times, want %d", s.Upgrades, s.Installs, total)
	}
}

// TestFW7_TwoInstancesOnePostgres: two `mysystems serve` processes on one
// PostgreSQL database. A phased rollout started through instance A reaches
// devices that long-poll instance B only; the organization's pacing limits
// (5 at once, 2 per site) hold across both instances, sampled through the
// API all along; every task succeeds and no device installs a task twice
// (FW-7, FW-6).
func TestFW7_TwoInstancesOnePostgres(t *testing.T) {
	const devices, sites, maxAll, maxSite = 40, 3, 5, 2
	ctx := context.Background()
	dbURL := storetest.URL(t, "postgres")
	seed, err := benchSeed(ctx, dbURL, devices, sites)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir() // the images, shared by both instances
	publishFirmware(t, dbURL, dataDir, "12.3.1", 64<<10)
	a, b := newServeProc(t, dbURL, dataDir), newServeProc(t, dbURL, dataDir)
	a.start()
	b.start()
	token, err := benchLogin(a.base)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := sim.New(sim.Config{Server: b.base, Sites: 2, Speed: 20, InstallMin: 20 * time.Second, InstallMax: 40 * time.Second,
		ChunkSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := fl.Start(ctx, seed.ids); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fl.Stop)
	client := &http.Client{Timeout: 30 * time.Second}
	waitUntil := func(what string, within time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out after %v waiting for %s\nfleet: %s\ninstance A:\n%s\ninstance B:\n%s", within, what, fl.Stats(), a.logTail(), b.logTail())
			}
			time.Sleep(50 * time.Millisecond) // polling a condition with a deadline
		}
	}
	waitUntil("every device online on B", 30*time.Second, func() bool { return fl.Stats().Online == devices })
	api := func(method, path, body string, out any) {
		t.Helper()
		if err := apiJSON(client, method, a.base+"/api/v1/orgs/"+seed.org+path, token, body, out); err != nil {
			t.Fatal(err)
		}
	}
	var lim map[string]any
	api("PUT", "/upgrade-limits", fmt.Sprintf(`{"max_concurrent":%d,"max_per_site":%d}`, maxAll, maxSite), &lim)
	var started struct {
		Tasks   []struct{ ID string }
		Rollout struct{ ID string }
	}
	api("POST", "/upgrades", `{"model":"AXIS M3086-V","rollout":{"ring_percent":10,"soak_minutes":0}}`, &started)
	if len(started.Tasks) != devices || started.Rollout.ID == "" {
		t.Fatalf("%d tasks, rollout %q; want %d and a rollout", len(started.Tasks), started.Rollout.ID, devices)
	}

	// Sample the tasks under way through both instances in turn until
	// every task is done.
	most, samples := 0, 0
	var rows []taskRow
	waitUntil("every task finished", 100*time.Second, func() bool {
		base := []string{a.base, b.base}[samples%2]
		samples++
		var err error
		if rows, err = tasksCSV(client, base, seed.org, token, ""); err != nil {
			t.Fatal(err)
		}
		running, perSite := 0, map[string]int{}
		for _, r := range rows {
			if r.state == "scheduled" || r.state == "downloading" || r.state == "installing" {
				running++
				// The folder's path from the root: the site is below it.
				parts := strings.Split(r.folder, "/")
				if len(parts) < 2 || !strings.HasPrefix(strings.TrimSpace(parts[1]), "Site ") {
					t.Fatalf("task %s in folder %q, not in a site", r.id, r.folder)
				}
				perSite[strings.TrimSpace(parts[1])]++
			}
		}
		if running > maxAll {
			t.Fatalf("%d upgrades under way at once, the limit is %d", running, maxAll)
		}
		for site, n := range perSite {
			if n > maxSite {
				t.Fatalf("%d upgrades under way in site %q at once, the limit is %d", n, site, maxSite)
			}
		}
		most = max(most, running)
		return finished(countStates(rows)) == devices
	})
	t.Logf("%d samples, at most %d under way; fleet: %s", samples, most, fl.Stats())
	if n := countStates(rows); n["succeeded"] != devices {
		t.Fatalf("tasks %v, want all %d succeeded", n, devices)
	}
	if most < 3 {
		t.Errorf("at most %d upgrades were seen under way at once: the limits were not put to the test", most)
	}
	installs := fl.Installs()
	for _, r := range rows {
		if installs[r.id] != 1 {
			t.Errorf("task %s installed %d times, want once", r.id, installs[r.id])
		}
	}
	if s := fl.Stats(); s.DoubleInstalls != 0 || s.Upgrades != devices {
		t.Errorf("%d upgrades started, %d double installs; want %d and 0", s.Upgrades, s.DoubleInstalls, devices)
	}
}
