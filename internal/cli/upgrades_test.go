package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"mysystems/internal/api"
	proto "mysystems/internal/device"
	hs "mysystems/internal/harness"
)

// upgradeFleet is the signed-in user's only organization with n claimed
// devices online on hs.Firmware, and 12.2.35 recommended for their model.
type upgradeFleet struct {
	*harness
	org     string
	ids     []string
	devices []*hs.Device
}

func newUpgradeFleet(t *testing.T, n int) *upgradeFleet {
	t.Helper()
	h, orgID := withOrg(t)
	h.srv.Publish(hs.Model, "12.2.35", "active", nil)
	f := &upgradeFleet{harness: h, org: orgID}
	for _, m := range h.mint(n) {
		d := h.device(m)
		d.Hello()
		f.ids = append(f.ids, h.claim(orgID, m))
		f.devices = append(f.devices, d)
	}
	if err := h.app.Gateway.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *upgradeFleet) dispatch() {
	f.t.Helper()
	if err := f.app.Upgrades.Dispatch(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

// upgradeCmd polls device i for its upgrade command and returns its id.
func (f *upgradeFleet) upgradeCmd(i int) string {
	f.t.Helper()
	for _, c := range f.devices[i].Poll(0) {
		if c.Type == proto.CmdUpgrade {
			return c.ID
		}
	}
	f.t.Fatalf("device %d got no upgrade command", i)
	return ""
}

// started runs upgrade --json with args and returns its answer.
func (f *upgradeFleet) started(args ...string) api.UpgradeStartedJSON {
	f.t.Helper()
	r := f.ok("", append([]string{"upgrade", "--json"}, args...)...)
	var st api.UpgradeStartedJSON
	if err := json.Unmarshal([]byte(r.out), &st); err != nil {
		f.t.Fatalf("upgrade --json: %q (%v)", r.out, err)
	}
	return st
}

func (f *upgradeFleet) tasks(args ...string) []api.TaskJSON {
	f.t.Helper()
	r := f.ok("", append([]string{"tasks", "list", "--all", "--json"}, args...)...)
	var p api.List[api.TaskJSON]
	if err := json.Unmarshal([]byte(r.out), &p); err != nil {
		f.t.Fatalf("tasks list --json: %q (%v)", r.out, err)
	}
	return p.Items
}

// TestFW3_CLIUpgrade: upgrade now from the command line, the tasks made and
// the devices left alone with why, in the user's language.
func TestFW3_CLIUpgrade(t *testing.T) {
	f := newUpgradeFleet(t, 3)
	t.Run("FW-3/usage", func(t *testing.T) {
		f.fail(2, "say which devices: --device ID (repeat it) or --model M", "upgrade")
		f.fail(2, "give --device or --model, not both", "upgrade", "--device", f.ids[0], "--model", hs.Model)
		f.fail(2, "--folder goes with --model", "upgrade", "--device", f.ids[0], "--folder", "fld_x")
		f.fail(2, "give one of --ring-count, --ring-percent and --ring-folder", "upgrade", "--model", hs.Model, "--ring-count", "1", "--ring-percent", "10")
		f.fail(2, "--soak and --failure-percent phase an upgrade", "upgrade", "--model", hs.Model, "--soak", "2h")
		f.fail(2, "--soak must be a whole number of minutes", "upgrade", "--model", hs.Model, "--ring-count", "1", "--soak", "90s")
		f.fail(2, "--ring-percent must be between 1 and 99", "upgrade", "--model", hs.Model, "--ring-percent", "100")
	})
	t.Run("FW-3/devices by id", func(t *testing.T) {
		r := f.ok("", "upgrade", "--device", f.ids[0])
		contains(t, "upgrade --device", r.out, "Started 1 upgrade task:", "TASK", f.ids[0], hs.Firmware, "12.2.35", "scheduled") // online: started at once
		contains(t, "upgrade --device hint", r.stderr, "Follow them with: mysystems tasks watch --org "+f.org+" upg_")
		if strings.Contains(r.out, "Left alone") {
			t.Errorf("nothing was left alone: %q", r.out)
		}
	})
	t.Run("FW-3/a model, one device left alone with why", func(t *testing.T) {
		r := f.ok("", "upgrade", "--model", hs.Model)
		contains(t, "upgrade --model", r.out, "Started 2 upgrade tasks:", f.ids[1], f.ids[2], "Left alone 1 device:", "WHY",
			f.ids[0], "an upgrade to 12.2.35 is already under way")
	})
	t.Run("FW-3/reasons in French", func(t *testing.T) {
		f.env["LANG"] = "fr_FR.UTF-8"
		defer delete(f.env, "LANG")
		r := f.ok("", "upgrade", "--model", hs.Model)
		contains(t, "upgrade in French", r.out, "No upgrade task was made.", "Left alone 3 devices:",
			"une mise à niveau vers 12.2.35 est déjà en cours")
		f.fail(1, "introuvable", "upgrade", "--device", "dev_nope")
	})
	t.Run("FW-3/json", func(t *testing.T) {
		st := f.started("--model", hs.Model)
		if len(st.Tasks) != 0 || len(st.Skipped) != 3 || st.Skipped[0].ReasonKey != "upgrade.skip.in_progress" {
			t.Errorf("upgrade --json: %+v", st)
		}
	})
	t.Run("--org is needed with several organizations", func(t *testing.T) {
		other := f.createOrg("Other")
		f.fail(2, "you belong to 2 organizations: say which with --org ORG", "tasks", "list")
		if ts := f.tasks("--org", f.org); len(ts) != 3 {
			t.Errorf("tasks list --org: %d tasks", len(ts))
		}
		f.env["MYSYSTEMS_ORG"] = other
		defer delete(f.env, "MYSYSTEMS_ORG")
		if ts := f.tasks(); len(ts) != 0 {
			t.Errorf("tasks list with MYSYSTEMS_ORG: %d tasks", len(ts))
		}
	})
}

// TestFW4_CLISchedule: software scheduling from the command line, the
// window in its text form.
func TestFW4_CLISchedule(t *testing.T) {
	f := newUpgradeFleet(t, 2)
	f.fail(2, "say which devices: --device ID", "schedule", "set", "--asap")
	f.fail(2, "give one of --none, --asap and --window", "schedule", "set", "--device", f.ids[0])
	f.fail(2, "give one of --none, --asap and --window", "schedule", "set", "--device", f.ids[0], "--asap", "--none")
	f.fail(2, "say which devices", "schedule", "show")

	r := f.ok("", "schedule", "set", "--device", f.ids[0], "--device", f.ids[1], "--window", "mon-fri 22:00 3h Europe/Paris")
	contains(t, "schedule set --window", r.out, "Software scheduling of 2 devices: upgraded in the maintenance window mon-fri 22:00 3h Europe/Paris.")
	r = f.ok("", "schedule", "show", "--device", f.ids[0], "--device", f.ids[1])
	got := lines(r.out)
	if len(got) != 3 {
		t.Fatalf("schedule show:\n%s", r.out)
	}
	contains(t, "schedule show header", got[0], "DEVICE", "MODE", "WINDOW", "NEXT START", "NEXT END")
	contains(t, "schedule show", got[1], f.ids[0], "window", "mon-fri 22:00 3h Europe/Paris", "Z")

	f.ok("", "schedule", "set", "--device", f.ids[1], "--window", "sat,sun 02:30 1h30m America/New_York")
	r = f.ok("", "schedule", "show", "--device", f.ids[1])
	contains(t, "a weekend window", r.out, "sat,sun 02:30 1h30m America/New_York")
	f.ok("", "schedule", "set", "--device", f.ids[1], "--window", "daily 01:00 24h UTC")
	r = f.ok("", "schedule", "show", "--device", f.ids[1], "--json")
	var l api.List[api.ScheduleJSON]
	if err := json.Unmarshal([]byte(r.out), &l); err != nil || len(l.Items) != 1 || l.Items[0].Window == nil ||
		l.Items[0].Window.DurationMinutes != 24*60 || windowText(*l.Items[0].Window) != "daily 01:00 24h UTC" {
		t.Errorf("schedule show --json: %q (%v)", r.out, err)
	}

	r = f.ok("", "schedule", "set", "--device", f.ids[0], "--asap")
	contains(t, "schedule set --asap", r.out, "Software scheduling of 1 device: upgraded as soon as a newer version is recommended.")
	r = f.ok("", "schedule", "set", "--device", f.ids[1], "--none")
	contains(t, "schedule set --none", r.out, "no automatic upgrade")
	r = f.ok("", "schedule", "show", "--device", f.ids[0], "--device", f.ids[1])
	got = lines(r.out)
	contains(t, "asap", got[1], "asap", "-")
	contains(t, "none", got[2], "none", "-")

	// The server checks the window, in the user's language.
	f.fail(1, "write the window as mon-fri 22:00 3h Europe/Paris (invalid)", "schedule", "set", "--device", f.ids[0], "--window", "mon-fri 22:00 180m Europe/Paris")
	f.env["LANG"] = "fr_FR.UTF-8"
	r = f.run("", "schedule", "set", "--device", f.ids[0], "--window", "mon-fri 22:00 3h Mars/Olympus")
	if r.code != 1 || strings.Contains(r.stderr, "time zone") || !strings.Contains(r.stderr, "Mars/Olympus") {
		t.Errorf("a wrong zone in French: exit %d, stderr %q", r.code, r.stderr)
	}
	delete(f.env, "LANG")

	// The API takes the window as an object or as text, not both.
	c := f.apiClient()
	err := c.do(context.Background(), http.MethodPut, "/api/v1/orgs/"+f.org+"/upgrade-schedule", api.ScheduleRequest{DeviceIDs: f.ids[:1], Mode: "window",
		Window:     &api.WindowJSON{Days: []string{"mon"}, Start: "22:00", DurationMinutes: 60, TimeZone: "UTC"},
		WindowText: "mon 22:00 1h UTC"}, nil)
	if ae, ok := err.(*APIError); !ok || ae.Status != 400 || ae.Field != "window_text" {
		t.Errorf("window and window_text: %v", err)
	}
	if err := c.do(context.Background(), http.MethodPut, "/api/v1/orgs/"+f.org+"/upgrade-schedule", api.ScheduleRequest{DeviceIDs: f.ids[:1], Mode: "window",
		Window: &api.WindowJSON{Days: []string{"mon", "tue", "wed"}, Start: "22:00", DurationMinutes: 60, TimeZone: "UTC"}}, nil); err != nil {
		t.Errorf("a window object: %v", err)
	}
	r = f.ok("", "schedule", "show", "--device", f.ids[0])
	contains(t, "a window set as an object", r.out, "mon-wed 22:00 1h UTC")
}

// apiClient is a client with the signed-in user's token.
func (h *harness) apiClient() *Client {
	h.t.Helper()
	creds, _, err := newEnv(nil, nil, nil, h.getenv).loadCredentials()
	if err != nil {
		h.t.Fatal(err)
	}
	return NewClient(h.env["MYSYSTEMS_SERVER"], creds.Token)
}

// TestFW5_CLITasks: tasks list (filters, CSV), cancel and retry.
func TestFW5_CLITasks(t *testing.T) {
	f := newUpgradeFleet(t, 3)
	f.ok("", "tasks", "list")
	r := f.run("", "tasks", "list")
	contains(t, "no task", r.stderr, "No upgrade task yet: start one with 'mysystems upgrade'.")
	st := f.started("--model", hs.Model)
	if len(st.Tasks) != 3 {
		t.Fatalf("started %+v", st)
	}
	byDevice := map[string]string{}
	for _, tk := range st.Tasks {
		byDevice[tk.DeviceID] = tk.ID
	}
	f.dispatch()
	cmd0 := f.upgradeCmd(0)
	f.devices[0].Progress(cmd0, proto.StageDownloading, 40)
	cmd1 := f.upgradeCmd(1)
	f.devices[1].Result(cmd1, proto.Result{OK: false, Message: "disk full"})

	r = f.ok("", "tasks", "list")
	contains(t, "tasks list", r.out, "TASK", "FOLDER", "FROM", "TO", "STATE", "WHY", "downloading 40%", "failed",
		"the device says: disk full", "scheduled")
	if ts := f.tasks("--state", "failed"); len(ts) != 1 || ts[0].DeviceID != f.ids[1] {
		t.Errorf("--state failed: %+v", ts)
	}
	if ts := f.tasks("--state", "downloading,scheduled"); len(ts) != 2 {
		t.Errorf("--state downloading,scheduled: %d", len(ts))
	}
	if ts := f.tasks("--device", f.ids[2], "--model", hs.Model); len(ts) != 1 || ts[0].ID != byDevice[f.ids[2]] {
		t.Errorf("--device: %+v", ts)
	}
	if ts := f.tasks("--since", "2000-01-01", "--until", "2000-01-02"); len(ts) != 0 {
		t.Errorf("--since/--until: %d", len(ts))
	}
	r = f.run("", "tasks", "list", "--state", "failed", "--device", "dev_none")
	contains(t, "nothing matches", r.stderr, "No task matches.")
	f.fail(2, `--state: "done" is no task state`, "tasks", "list", "--state", "queued,done")
	f.fail(1, "(invalid)", "tasks", "list", "--since", "yesterday")
	r = f.ok("", "tasks", "list", "--limit", "1")
	contains(t, "one page", r.stderr, "More tasks: add --all, or --cursor ")

	r = f.ok("", "tasks", "list", "--csv")
	rows, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("tasks list --csv: %q (%v)", r.out, err)
	}

	// Retry the failed one; cancel one not installing; one installing
	// cannot be canceled.
	r = f.ok("", "tasks", "retry", byDevice[f.ids[1]])
	contains(t, "tasks retry", r.out, "Retrying: task upg_", "upgrades device "+f.ids[1]+" to 12.2.35 (it is queued).")
	f.fail(1, "(conflict)", "tasks", "retry", byDevice[f.ids[0]])
	r = f.ok("", "tasks", "cancel", byDevice[f.ids[2]])
	contains(t, "tasks cancel", r.out, "Canceled task "+byDevice[f.ids[2]]+" (device "+f.ids[2]+").")
	f.devices[0].Progress(cmd0, proto.StageInstalling, 0)
	f.fail(1, "(conflict)", "tasks", "cancel", byDevice[f.ids[0]])
	f.fail(1, "(not_found)", "tasks", "cancel", "upg_nope")
	f.fail(2, "missing argument", "tasks", "retry")
	if ts := f.tasks("--state", "canceled"); len(ts) != 1 || ts[0].Reason == "" {
		t.Errorf("canceled: %+v", ts)
	}
}

// stepWatch makes tasks watch wait for the test between its readings: each
// reading is followed by a value on read, and the watch goes on when the test
// sends on next.
func stepWatch(t *testing.T) (read chan struct{}, next chan struct{}) {
	read, next = make(chan struct{}), make(chan struct{})
	old := watchWait
	watchWait = func(ctx context.Context) error {
		read <- struct{}{}
		select {
		case <-next:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	t.Cleanup(func() { watchWait = old })
	return read, next
}

// TestFW5_CLITasksWatch: tasks watch follows tasks live until every one is
// done, and fails when one failed.
func TestFW5_CLITasksWatch(t *testing.T) {
	f := newUpgradeFleet(t, 3)
	f.fail(2, "say which tasks", "tasks", "watch")
	f.fail(2, "--rollout goes alone", "tasks", "watch", "--rollout", "rol_x", "upg_1")
	f.fail(2, "give task ids or filters, not both", "tasks", "watch", "--model", hs.Model, "upg_1")
	r := f.run("", "tasks", "watch", "--model", hs.Model)
	if r.code != 0 || !strings.Contains(r.stderr, "No task to watch.") {
		t.Errorf("watch with nothing under way: exit %d, stderr %q", r.code, r.stderr)
	}

	st := f.started("--device", f.ids[0], "--device", f.ids[1])
	task := map[string]string{} // by device
	for _, tk := range st.Tasks {
		task[tk.DeviceID] = tk.ID
	}
	read, next := stepWatch(t)
	done := make(chan result, 1)
	// reading waits for the watch's next reading; a watch that ends first
	// fails the test rather than hang it.
	reading := func() {
		t.Helper()
		select {
		case <-read:
		case r := <-done:
			t.Fatalf("tasks watch ended early: exit %d, stderr %q", r.code, r.stderr)
		}
	}
	go func() { done <- f.run("", "tasks", "watch", task[f.ids[0]], task[f.ids[1]]) }()
	reading() // both queued
	f.dispatch()
	cmd0, cmd1 := f.upgradeCmd(0), f.upgradeCmd(1)
	f.devices[0].Progress(cmd0, proto.StageDownloading, 50)
	f.devices[1].Progress(cmd1, proto.StageDownloading, 100)
	f.devices[1].Progress(cmd1, proto.StageInstalling, 0)
	next <- struct{}{}
	reading() // downloading, installing
	f.devices[0].Result(cmd0, proto.Result{OK: false, Message: "no space left"})
	f.devices[1].Progress(cmd1, proto.StageRebooting, 0)
	f.devices[1].Result(cmd1, proto.Result{OK: true, Firmware: "12.2.35"})
	next <- struct{}{}
	r = <-done
	if r.code != 1 || !strings.Contains(r.stderr, "error: 1 of 2 upgrades failed") {
		t.Fatalf("tasks watch: exit %d, stderr %q; want 1 and the failure", r.code, r.stderr)
	}
	got := lines(r.out)
	// Online, the devices' tasks started with the request.
	want := []string{"[--------------------]  scheduled", "[--------------------]  scheduled",
		"[#####---------------]  downloading 50%", "[##########----------]  installing",
		"[--------------------]  failed", "[####################]  succeeded"}
	if len(got) != len(want) {
		t.Fatalf("tasks watch printed:\n%s", r.out)
	}
	for i, w := range want {
		contains(t, "watch line", got[i], w)
	}
	contains(t, "the failure's reason", got[4], "the device says: no space left", "("+task[f.ids[0]]+")")
	contains(t, "versions", got[5], hs.Firmware+" -> 12.2.35")

	// On a terminal the bars are redrawn in place; filters select the tasks
	// not done yet; all succeeding exits 0.
	st = f.started("--device", f.ids[2])
	var out, errw strings.Builder
	go func() {
		e := newEnv(strings.NewReader(""), &out, &errw, f.getenv)
		e.outTerminal = true
		done <- result{code: e.exit(t.Context(), []string{"tasks", "watch", "--model", hs.Model}), stderr: errw.String()}
	}()
	reading()
	f.dispatch()
	cmd2 := f.upgradeCmd(2)
	f.devices[2].Progress(cmd2, proto.StageDownloading, 100)
	f.devices[2].Progress(cmd2, proto.StageInstalling, 0)
	f.devices[2].Progress(cmd2, proto.StageRebooting, 0)
	f.devices[2].Result(cmd2, proto.Result{OK: true, Firmware: "12.2.35"})
	next <- struct{}{}
	if r := <-done; r.code != 0 {
		t.Fatalf("tasks watch on a terminal: exit %d, stderr %q", r.code, errw.String())
	}
	if s := out.String(); strings.Count(s, "\x1b[2K") != 2 || strings.Count(s, "\x1b[1A") != 1 || !strings.Contains(s, "succeeded") ||
		!strings.Contains(s, st.Tasks[0].ID) || strings.Contains(s, f.devices[0].Serial()) {
		t.Errorf("terminal output %q", s)
	}
	contains(t, "all done", errw.String(), "All 1 upgrade done.")
}

// TestFW7_CLIRollouts: a phased upgrade from the command line, and its
// rollout listed, shown, paused, resumed and aborted.
func TestFW7_CLIRollouts(t *testing.T) {
	f := newUpgradeFleet(t, 4)
	r := f.run("", "rollouts", "list")
	contains(t, "no rollout", r.stderr, "No rollout yet")
	r = f.ok("", "upgrade", "--model", hs.Model, "--ring-count", "1", "--soak", "30m", "--failure-percent", "20")
	contains(t, "upgrade with a ring", r.out, "Started 4 upgrade tasks:", "RING", "Rollout rol_",
		"the first ring (1 device) goes first, the other 3 devices 30m after it is done;", "more than 20% of a ring failed")
	contains(t, "hint", r.stderr, "Follow it with: mysystems tasks watch --org "+f.org+" --rollout rol_")
	var rs api.List[api.RolloutJSON]
	if err := json.Unmarshal([]byte(f.ok("", "rollouts", "list", "--json").out), &rs); err != nil || len(rs.Items) != 1 {
		t.Fatalf("rollouts list --json: %v %+v", err, rs)
	}
	id := rs.Items[0].ID
	r = f.ok("", "rollouts", "list")
	contains(t, "rollouts list", r.out, "ROLLOUT", "FIRST RING", id, "running", "1 device", "30m", "0/1, 0/3", testEmail)
	r = f.ok("", "rollouts", "show", id)
	contains(t, "rollouts show", r.out, "state", "running", "soak", "30m", "pauses above", "20% failed", "ring 1", "0 of 1 done, 0 failed", "ring 2", "0 of 3 done")

	r = f.ok("", "rollouts", "pause", id)
	contains(t, "pause", r.out, "Paused rollout "+id+": it is paused.")
	f.fail(1, "(conflict)", "rollouts", "pause", id)
	r = f.ok("", "rollouts", "resume", id)
	contains(t, "resume", r.out, "Resumed rollout "+id+": it is running.")

	f.fail(2, "refusing to abort rollout "+id+" without confirmation: pass --yes", "rollouts", "abort", id)
	r = f.interactive("n\n", "", "rollouts", "abort", id)
	if r.code != 1 || !strings.Contains(r.stderr, "Abort rollout "+id+" (running; rings 0/1, 0/3)?") || !strings.Contains(r.stderr, "cancelled: did not abort") {
		t.Errorf("abort answered no: exit %d, stderr %q", r.code, r.stderr)
	}
	r = f.interactive("y\n", "", "rollouts", "abort", id)
	if r.code != 0 || !strings.Contains(r.out, "Aborted rollout "+id+": it is aborted.") {
		t.Errorf("abort answered yes: exit %d, out %q, stderr %q", r.code, r.out, r.stderr)
	}
	if ts := f.tasks("--rollout", id, "--state", "canceled"); len(ts) != 4 {
		t.Errorf("the aborted rollout's tasks: %d canceled", len(ts))
	}
	f.fail(1, "(conflict)", "rollouts", "abort", id, "--yes")
	f.fail(1, "(not_found)", "rollouts", "show", "rol_nope")

	// The rollout's tasks are all done: watching it ends at once.
	r = f.run("", "tasks", "watch", "--rollout", id)
	if r.code != 0 || len(lines(r.out)) != 4 || !strings.Contains(r.out, "canceled") {
		t.Errorf("watch an aborted rollout: exit %d, out %q, stderr %q", r.code, r.out, r.stderr)
	}
}

// TestFW7_CLIUpgradeLimits: the pacing limits shown and set.
func TestFW7_CLIUpgradeLimits(t *testing.T) {
	h, _ := withOrg(t)
	r := h.ok("", "upgrade-limits", "show")
	contains(t, "defaults", r.out, "max concurrent", "200", "max per site", "20")
	h.fail(2, "give --max-concurrent N, --max-per-site N or both", "upgrade-limits", "set")
	r = h.ok("", "upgrade-limits", "set", "--max-per-site", "5")
	contains(t, "set one", r.out, "Upgrade limits set:", "200", "5")
	r = h.ok("", "upgrade-limits", "show", "--json")
	var l api.UpgradeLimitsJSON
	if err := json.Unmarshal([]byte(r.out), &l); err != nil || l.MaxConcurrent != 200 || l.MaxPerSite != 5 {
		t.Errorf("upgrade-limits show --json: %q (%v)", r.out, err)
	}
	h.fail(1, "(invalid)", "upgrade-limits", "set", "--max-concurrent", "0")
}

// TestFW7_CLIRolloutRings: the first ring as a percentage or a folder.
func TestFW7_CLIRolloutRings(t *testing.T) {
	f := newUpgradeFleet(t, 4)
	r := f.ok("", "folders", "create", f.org, "Pilot", "--json")
	var fld struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(r.out), &fld); err != nil || fld.ID == "" {
		t.Fatalf("folders create --json: %q (%v)", r.out, err)
	}
	f.ok("", "devices", "move", f.org, "--to", fld.ID, f.ids[0])
	r = f.ok("", "upgrade", "--device", f.ids[0], "--device", f.ids[1], "--ring-folder", fld.ID, "--soak", "0m")
	contains(t, "a folder ring", r.out, "the first ring (1 device) goes first, the other 1 device 0m after it is done;", "more than 10% of a ring failed")
	r = f.ok("", "upgrade", "--device", f.ids[2], "--device", f.ids[3], "--ring-percent", "50", "--soak", "1h30m", "--failure-percent", "1")
	contains(t, "a percentage ring", r.out, "the first ring (1 device) goes first, the other 1 device 1h30m after it is done;", "more than 1% of a ring failed")
	r = f.ok("", "rollouts", "list")
	contains(t, "rollouts list", r.out, "50%", "1h30m", "folder "+fld.ID, "0m")
	f.fail(2, "--ring-count must be a positive number", "upgrade", "--model", hs.Model, "--ring-count", "0")
	f.fail(2, "--failure-percent must be between 1 and 100", "upgrade", "--model", hs.Model, "--ring-count", "1", "--failure-percent", "0")
}
