package upgrade_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/api"
	"mysystems/internal/device"
	"mysystems/internal/fleet"
	"mysystems/internal/harness"
	"mysystems/internal/sim"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// fleetOf is a server with an organization, its owner, and n claimed devices
// that said hello (online), on harness.Firmware, and a newer release of
// their model in the catalogue.
type fleetOf struct {
	s       *harness.Server
	owner   harness.User
	org     string
	root    string
	devices []*harness.Device
	ids     []string
	minted  []fleet.Minted
}

func newFleet(t *testing.T, db *store.DB, n int) *fleetOf {
	t.Helper()
	s := harness.New(t, db, harness.NoRateLimit())
	f := &fleetOf{s: s, owner: s.User("owner@example.com")}
	f.org, f.root = s.Org(f.owner.Token, "Acme")
	s.Publish(harness.Model, "12.2.35", "active", nil)
	f.minted = s.Mint(n)
	for _, m := range f.minted {
		f.ids = append(f.ids, s.Claim(f.owner.Token, f.org, m, f.root).Str("id"))
		d := s.Device(m)
		d.Hello()
		f.devices = append(f.devices, d)
	}
	if err := s.App.Gateway.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fleetOf) upgrade(body any) api.UpgradeStartedJSON {
	f.s.T.Helper()
	r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/upgrades", f.owner.Token, body)
	if r.Status != 202 {
		f.s.T.Fatalf("upgrade: %d %s", r.Status, r.Body)
	}
	var out api.UpgradeStartedJSON
	if err := r.Decode(&out); err != nil {
		f.s.T.Fatal(err)
	}
	return out
}

func (f *fleetOf) task(id string) api.TaskJSON {
	f.s.T.Helper()
	r := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/tasks/"+id, f.owner.Token, nil)
	if r.Status != 200 {
		f.s.T.Fatalf("task %s: %d %s", id, r.Status, r.Body)
	}
	var out api.TaskJSON
	if err := r.Decode(&out); err != nil {
		f.s.T.Fatal(err)
	}
	return out
}

func (f *fleetOf) dispatch() {
	f.s.T.Helper()
	if err := f.s.App.Upgrades.Dispatch(context.Background()); err != nil {
		f.s.T.Fatal(err)
	}
}

func (f *fleetOf) sweep() {
	f.s.T.Helper()
	if err := f.s.App.Upgrades.Sweep(context.Background()); err != nil {
		f.s.T.Fatal(err)
	}
}

// upgradeCommand polls d and returns its upgrade command.
func upgradeCommand(t *testing.T, d *harness.Device) (sim.Command, device.UpgradeArgs) {
	t.Helper()
	for _, c := range d.Poll(0) {
		if c.Type == device.CmdUpgrade {
			var a device.UpgradeArgs
			if err := json.Unmarshal(c.Args, &a); err != nil {
				t.Fatal(err)
			}
			return c, a
		}
	}
	t.Fatalf("%s got no upgrade command", d.Serial())
	return sim.Command{}, device.UpgradeArgs{}
}

func wantState(t *testing.T, got api.TaskJSON, state string) {
	t.Helper()
	if got.State != state {
		t.Fatalf("task %s is %s (%s), want %s", got.ID, got.State, got.Reason, state)
	}
}

// TestFW5_UpgradeEndToEnd: an upgrade now through the API and the gateway,
// every state the device reports, until the device is back on the target.
func TestFW5_UpgradeEndToEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 1)
		d := f.devices[0]
		st := f.upgrade(map[string]any{"device_ids": f.ids})
		if len(st.Tasks) != 1 || len(st.Skipped) != 0 {
			t.Fatalf("started %+v", st)
		}
		tk := st.Tasks[0]
		// The device is online and nothing holds the task back: it starts
		// with the request.
		if tk.State != "scheduled" || tk.From != harness.Firmware || tk.To != "12.2.35" || tk.StartedBy != "owner@example.com" {
			t.Fatalf("task %+v", tk)
		}
		f.dispatch()
		wantState(t, f.task(tk.ID), "scheduled")
		cmd, args := upgradeCommand(t, d)
		if args.Task != tk.ID || args.Version != "12.2.35" || args.Model != harness.Model {
			t.Fatalf("args %+v", args)
		}
		// The device downloads with ranges and checks the image.
		st1, part1 := d.Get(args.URL, "bytes=0-9")
		st2, part2 := d.Get(args.URL, "bytes=10-")
		if st1 != 206 || st2 != 206 {
			t.Fatalf("ranged downloads: %d %d", st1, st2)
		}
		img := append(part1, part2...)
		sum := sha256.Sum256(img)
		var key device.FirmwareKey
		if code, b := d.Get("/device/v1/firmware-key", ""); code != 200 || json.Unmarshal(b, &key) != nil {
			t.Fatalf("firmware key: %d", code)
		}
		if hex.EncodeToString(sum[:]) != args.SHA256 || int64(len(img)) != args.Size ||
			!device.VerifyFirmware(key.PublicKey, args.Signature, args.Release, args.Model, args.Version, args.SHA256, args.Size) {
			t.Fatal("the image does not verify")
		}
		if r := d.Progress(cmd.ID, device.StageDownloading, 40); !r.Proceed {
			t.Fatalf("downloading: %+v", r)
		}
		got := f.task(tk.ID)
		wantState(t, got, "downloading")
		if got.Percent != 40 || got.StartedAt == nil {
			t.Fatalf("progress %+v", got)
		}
		if r := d.Progress(cmd.ID, device.StageInstalling, 0); !r.Proceed {
			t.Fatalf("installing: %+v", r)
		}
		wantState(t, f.task(tk.ID), "installing")
		// FW-5: once installing it cannot be canceled.
		if r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/tasks/"+tk.ID+"/cancel", f.owner.Token, nil); r.Status != 409 {
			t.Fatalf("cancel while installing: %d %s", r.Status, r.Body)
		}
		// A repeated ask to install is answered yes and changes nothing.
		if r := d.Progress(cmd.ID, device.StageInstalling, 0); !r.Proceed {
			t.Fatalf("installing again: %+v", r)
		}
		if r := d.Progress(cmd.ID, device.StageRebooting, 0); !r.Proceed {
			t.Fatalf("rebooting: %+v", r)
		}
		d.Result(cmd.ID, device.Result{OK: true, Firmware: "12.2.35"})
		got = f.task(tk.ID)
		wantState(t, got, "succeeded")
		if got.FinishedAt == nil || got.InstallingAt == nil {
			t.Fatalf("timestamps %+v", got)
		}
		// A repeated result changes nothing; the device's stale reports are
		// told to stop.
		d.Result(cmd.ID, device.Result{OK: false, Message: "late"})
		wantState(t, f.task(tk.ID), "succeeded")
		if r := d.Progress(cmd.ID, device.StageDownloading, 10); r.Proceed {
			t.Fatal("a finished task's device is told to go on")
		}
		if n := len(f.s.Audited(f.org, "upgrade.start")); n != 1 {
			t.Fatalf("%d audit lines for the start", n)
		}
	})
}

// TestFW3_UpgradeNowRules: what an upgrade request leaves alone and refuses.
func TestFW3_UpgradeNowRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 3)
		f.s.Publish(harness.Model, "11.0.1", "active", nil)
		t.Run("FW-3/downgrade refused without force", func(t *testing.T) {
			r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/upgrades", f.owner.Token, map[string]any{"device_ids": f.ids[:1], "version": "11.0.1"})
			f.s.Want(r, 409, "conflict")
			if !strings.Contains(r.ErrMessage(), "downgrade") {
				t.Fatalf("message %q", r.ErrMessage())
			}
		})
		t.Run("FW-3/forced downgrade by an owner", func(t *testing.T) {
			st := f.upgrade(map[string]any{"device_ids": f.ids[:1], "version": "11.0.1", "force": true})
			if len(st.Tasks) != 1 || st.Tasks[0].To != "11.0.1" {
				t.Fatalf("%+v", st)
			}
		})
		t.Run("FW-3/an upgrade under way is reported, not doubled", func(t *testing.T) {
			st := f.upgrade(map[string]any{"model": harness.Model})
			if len(st.Tasks) != 2 || len(st.Skipped) != 1 || st.Skipped[0].DeviceID != f.ids[0] || st.Skipped[0].ReasonKey != "upgrade.skip.in_progress" {
				t.Fatalf("%+v", st)
			}
		})
		t.Run("FW-3/a device on the target is reported", func(t *testing.T) {
			ms := f.s.Mint(1)
			id := f.s.Claim(f.owner.Token, f.org, ms[0], f.root).Str("id")
			if err := db.Write(context.Background(), func(tx *store.Tx) error {
				return ignoreNoRows(tx.QueryRowForTest(context.Background(), "UPDATE devices SET firmware = '12.2.35' WHERE id = ?", id).Scan())
			}); err != nil {
				t.Fatal(err)
			}
			r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/upgrades", f.owner.Token, map[string]any{"device_ids": []string{id, f.ids[1]}})
			var st api.UpgradeStartedJSON
			_ = r.Decode(&st)
			if r.Status != 202 || len(st.Tasks) != 0 || len(st.Skipped) != 2 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
		t.Run("FW-3/an admin may, an operator may not", func(t *testing.T) {
			op := f.s.Member(f.org, "op@example.com", access.Operator, f.root)
			r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/upgrades", op.Token, map[string]any{"device_ids": f.ids[2:]})
			f.s.Want(r, 403, "forbidden")
		})
	})
}

func ignoreNoRows(err error) error {
	if err != nil && strings.Contains(err.Error(), "no rows") {
		return nil
	}
	return err
}

// TestFW3_OfflineDeviceWaits: a task for an offline device is not started
// until it comes back.
func TestFW3_OfflineDeviceWaits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 1)
		f.s.Clock.Advance(10 * time.Minute) // silent: offline
		tk := f.upgrade(map[string]any{"device_ids": f.ids}).Tasks[0]
		if tk.State != "queued" {
			t.Fatalf("task for an offline device is %s at the request, want queued", tk.State)
		}
		f.dispatch()
		wantState(t, f.task(tk.ID), "queued")
		f.devices[0].Hello()
		if err := f.s.App.Gateway.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.dispatch()
		wantState(t, f.task(tk.ID), "scheduled")
	})
}

// TestFW7_Pacing: no more tasks run at once than the organization's and the
// site's limits.
func TestFW7_Pacing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 5)
		if r := f.s.Call("PUT", "/api/v1/orgs/"+f.org+"/upgrade-limits", f.owner.Token, map[string]int{"max_concurrent": 3, "max_per_site": 2}); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		st := f.upgrade(map[string]any{"device_ids": f.ids})
		// The request starts what the limits allow at once, and no more.
		atOnce := 0
		for _, tk := range st.Tasks {
			if tk.State == "scheduled" {
				atOnce++
			}
		}
		if atOnce != 2 {
			t.Fatalf("the request started %d tasks, want 2 (the site's limit)", atOnce)
		}
		f.dispatch()
		count := func() (running int) {
			for _, tk := range st.Tasks {
				if s := f.task(tk.ID).State; s == "scheduled" {
					running++
				}
			}
			return running
		}
		// Every device is in the root folder: one site, at most 2.
		if n := count(); n != 2 {
			t.Fatalf("%d running, want 2 (the site's limit)", n)
		}
		f.dispatch()
		if n := count(); n != 2 {
			t.Fatalf("%d running after another pass, want 2", n)
		}
	})
}

// TestFW5_CancelAndRetry: a queued task can be canceled; a failed one
// retried as a new task.
func TestFW5_CancelAndRetry(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 2)
		st := f.upgrade(map[string]any{"device_ids": f.ids})
		a, b := st.Tasks[0], st.Tasks[1]
		if r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/tasks/"+a.ID+"/cancel", f.owner.Token, nil); r.Status != 200 {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		got := f.task(a.ID)
		wantState(t, got, "canceled")
		if !strings.Contains(got.Reason, "owner@example.com") {
			t.Fatalf("reason %q", got.Reason)
		}
		f.dispatch()
		var d *harness.Device
		for i, id := range f.ids {
			if id == b.DeviceID {
				d = f.devices[i]
			}
		}
		cmd, _ := upgradeCommand(t, d)
		// The device refuses the image: the task fails with its words.
		d.Result(cmd.ID, device.Result{OK: false, Message: "the image's SHA-256 does not match: not installed"})
		got = f.task(b.ID)
		wantState(t, got, "failed")
		if !strings.Contains(got.Reason, "SHA-256") {
			t.Fatalf("reason %q", got.Reason)
		}
		if r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/tasks/"+a.ID+"/retry", f.owner.Token, nil); r.Status != 409 {
			t.Fatalf("retry of a canceled task: %d", r.Status)
		}
		r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/tasks/"+b.ID+"/retry", f.owner.Token, nil)
		if r.Status != 202 || r.Str("retry_of") != b.ID || r.Str("state") != "queued" {
			t.Fatalf("retry: %d %s", r.Status, r.Body)
		}
		// The list shows both, newest first, filtered by state.
		lr := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/tasks?state=failed,canceled", f.owner.Token, nil)
		var list api.List[api.TaskJSON]
		if err := lr.Decode(&list); err != nil || len(list.Items) != 2 {
			t.Fatalf("list: %s", lr.Body)
		}
	})
}

// TestFW5_Timeouts: a device silent while downloading, or that does not
// come back after installing, fails its task with a reason.
func TestFW5_Timeouts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 2)
		st := f.upgrade(map[string]any{"device_ids": f.ids})
		f.dispatch()
		byDevice := map[string]string{}
		for _, tk := range st.Tasks {
			byDevice[tk.DeviceID] = tk.ID
		}
		c0, _ := upgradeCommand(t, f.devices[0])
		c1, _ := upgradeCommand(t, f.devices[1])
		f.devices[0].Progress(c0.ID, device.StageDownloading, 10)
		f.devices[1].Progress(c1.ID, device.StageInstalling, 0)
		f.s.Clock.Advance(device.DownloadSilence + time.Second)
		f.sweep()
		got := f.task(byDevice[f.ids[0]])
		wantState(t, got, "failed")
		if got.ReasonKey != "upgrade.reason.silent_download" {
			t.Fatalf("reason %+v", got)
		}
		wantState(t, f.task(byDevice[f.ids[1]]), "installing")
		f.s.Clock.Advance(device.InstallSilence)
		f.sweep()
		got = f.task(byDevice[f.ids[1]])
		wantState(t, got, "failed")
		if got.ReasonKey != "upgrade.reason.silent_install" {
			t.Fatalf("reason %+v", got)
		}
	})
}

// TestFW5_CameBackOnTarget: a device that says it runs the target succeeds
// even when its result is lost.
func TestFW5_CameBackOnTarget(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 1)
		tk := f.upgrade(map[string]any{"device_ids": f.ids}).Tasks[0]
		f.dispatch()
		d := f.devices[0]
		cmd, _ := upgradeCommand(t, d)
		d.Progress(cmd.ID, device.StageInstalling, 0)
		if st := d.Post("/device/v1/heartbeat", device.Heartbeat{Firmware: "12.2.35"}, nil); st != 200 {
			t.Fatalf("heartbeat %d", st)
		}
		if err := f.s.App.Gateway.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.sweep()
		wantState(t, f.task(tk.ID), "succeeded")
	})
}

// TestFW1_WithdrawCancelsTasks: withdrawing a release cancels its tasks
// that have not started installing, with the vendor's reason.
func TestFW1_WithdrawCancelsTasks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 2)
		st := f.upgrade(map[string]any{"device_ids": f.ids})
		f.dispatch()
		c1, _ := upgradeCommand(t, f.devices[1])
		f.devices[1].Progress(c1.ID, device.StageInstalling, 0)
		rel := st.Tasks[0]
		var releaseID string
		for _, p := range mustPublished(t, f) {
			if p == rel.To {
				releaseID = p
			}
		}
		_ = releaseID
		ps, err := f.s.App.Firmware.Published(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.App.Firmware.Withdraw(context.Background(), harness.Vendor, ps[0].ID, "boot loop on some units"); err != nil {
			t.Fatal(err)
		}
		for _, tk := range st.Tasks {
			got := f.task(tk.ID)
			if tk.DeviceID == f.ids[1] {
				wantState(t, got, "installing")
				continue
			}
			wantState(t, got, "canceled")
			if !strings.Contains(got.Reason, "boot loop") {
				t.Fatalf("reason %q", got.Reason)
			}
		}
		// The device that had not started is told to stop.
		c0, _ := upgradeCommandOrNone(t, f.devices[0])
		if c0.ID != "" {
			t.Fatalf("the canceled task's command is still delivered")
		}
	})
}

func mustPublished(t *testing.T, f *fleetOf) []string {
	ps, err := f.s.App.Firmware.Published(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Version.String())
	}
	return out
}

func upgradeCommandOrNone(t *testing.T, d *harness.Device) (sim.Command, bool) {
	for _, c := range d.Poll(0) {
		if c.Type == device.CmdUpgrade {
			return c, true
		}
	}
	return sim.Command{}, false
}

// TestFW5_TenantIsolation: another organization's member, and another
// organization's device, reach nothing of a task.
func TestFW5_TenantIsolation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 1)
		tk := f.upgrade(map[string]any{"device_ids": f.ids}).Tasks[0]
		f.dispatch()
		cmd, _ := upgradeCommand(t, f.devices[0])
		other := f.s.User("other@example.com")
		orgB, rootB := f.s.Org(other.Token, "Beta")
		for _, path := range []string{"/tasks/" + tk.ID, "/tasks/" + tk.ID + "/cancel"} {
			method := "GET"
			if strings.HasSuffix(path, "cancel") {
				method = "POST"
			}
			if r := f.s.Call(method, "/api/v1/orgs/"+orgB+path, other.Token, nil); r.Status != 404 {
				t.Fatalf("%s %s from another organization: %d", method, path, r.Status)
			}
		}
		if r := f.s.Call("GET", "/api/v1/orgs/"+orgB+"/tasks", other.Token, nil); strings.Contains(string(r.Body), tk.ID) {
			t.Fatal("another organization lists the task")
		}
		ms := f.s.Mint(1)
		f.s.Claim(other.Token, orgB, ms[0], rootB)
		intruder := f.s.Device(ms[0])
		intruder.Hello()
		if r := intruder.Progress(cmd.ID, device.StageInstalling, 0); r.Proceed {
			t.Fatal("another organization's device may install the task")
		}
		wantState(t, f.task(tk.ID), "scheduled")
	})
}

// TestFW5_TasksFolderScoped: an Operator sees the tasks of devices in the
// folders granted to them only, and may not act on them (ACC-1, ACC-2).
func TestFW5_TasksFolderScoped(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 2)
		in := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/folders", f.owner.Token, map[string]string{"name": "In"}).Str("id")
		out := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/folders", f.owner.Token, map[string]string{"name": "Out"}).Str("id")
		for i, folder := range []string{in, out} {
			if r := f.s.Call("PATCH", "/api/v1/orgs/"+f.org+"/devices/"+f.ids[i], f.owner.Token, map[string]string{"folder_id": folder}); r.Status != 200 {
				t.Fatalf("move: %d %s", r.Status, r.Body)
			}
		}
		st := f.upgrade(map[string]any{"device_ids": f.ids})
		byDevice := map[string]string{}
		for _, tk := range st.Tasks {
			byDevice[tk.DeviceID] = tk.ID
		}
		op := f.s.Member(f.org, "op@example.com", access.Operator, in)
		r := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/tasks", op.Token, nil)
		var l api.List[api.TaskJSON]
		if r.Decode(&l) != nil || len(l.Items) != 1 || l.Items[0].DeviceID != f.ids[0] {
			t.Fatalf("operator's tasks: %s", r.Body)
		}
		if r := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/tasks/"+byDevice[f.ids[1]], op.Token, nil); r.Status != 404 {
			t.Fatalf("a task outside the operator's folders: %d", r.Status)
		}
		if r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/tasks/"+byDevice[f.ids[0]]+"/cancel", op.Token, nil); r.Status != 403 {
			t.Fatalf("operator cancel: %d", r.Status)
		}
		if r := f.s.Call("PUT", "/api/v1/orgs/"+f.org+"/upgrade-schedule", op.Token, map[string]any{"device_ids": f.ids[:1], "mode": "asap"}); r.Status != 403 {
			t.Fatalf("operator schedule: %d", r.Status)
		}
	})
}

// TestFW4_SchedulesOfUnseenDevices: the schedule of a device that does not
// exist, or that the member does not see, is not found (ACC-2).
func TestFW4_SchedulesOfUnseenDevices(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 2)
		in := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/folders", f.owner.Token, map[string]string{"name": "In"}).Str("id")
		if r := f.s.Call("PATCH", "/api/v1/orgs/"+f.org+"/devices/"+f.ids[0], f.owner.Token, map[string]string{"folder_id": in}); r.Status != 200 {
			t.Fatalf("move: %d", r.Status)
		}
		base := "/api/v1/orgs/" + f.org + "/upgrade-schedule?device="
		if r := f.s.Call("GET", base+"dev_nope", f.owner.Token, nil); r.Status != 404 {
			t.Fatalf("unknown device: %d %s", r.Status, r.Body)
		}
		op := f.s.Member(f.org, "op@example.com", access.Operator, in)
		if r := f.s.Call("GET", base+f.ids[0], op.Token, nil); r.Status != 200 {
			t.Fatalf("a device the operator sees: %d %s", r.Status, r.Body)
		}
		if r := f.s.Call("GET", base+f.ids[1], op.Token, nil); r.Status != 404 {
			t.Fatalf("a device outside the operator's folders: %d %s", r.Status, r.Body)
		}
	})
}

// TestFW3_WaitingTasksDoNotHoldBackOthers: tasks of offline devices at the
// head of the queue (more than one read of it) do not keep an online
// device's later task from starting (FW-3, FW-7).
func TestFW3_WaitingTasksDoNotHoldBackOthers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := harness.New(t, db, harness.NoRateLimit())
		owner := s.User("owner@example.com")
		org, root := s.Org(owner.Token, "Acme")
		s.Publish(harness.Model, "12.2.35", "active", nil)
		var offline []string
		for _, m := range s.Mint(210) {
			offline = append(offline, s.Claim(owner.Token, org, m, root).Str("id"))
		}
		call := func(method, path string, body any) {
			t.Helper()
			if r := s.Call(method, "/api/v1/orgs/"+org+path, owner.Token, body); r.Status >= 300 {
				t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
			}
		}
		call("PUT", "/upgrade-limits", map[string]int{"max_concurrent": 1, "max_per_site": 1})
		call("POST", "/upgrades", map[string]any{"device_ids": offline})
		s.Clock.Advance(time.Second)
		m := s.Mint(1)[0]
		id := s.Claim(owner.Token, org, m, root).Str("id")
		d := s.Device(m)
		d.Hello()
		if err := s.App.Gateway.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		r := s.Call("POST", "/api/v1/orgs/"+org+"/upgrades", owner.Token, map[string]any{"device_ids": []string{id}})
		var st api.UpgradeStartedJSON
		if r.Status != 202 || r.Decode(&st) != nil || len(st.Tasks) != 1 {
			t.Fatalf("upgrade: %d %s", r.Status, r.Body)
		}
		if err := s.App.Upgrades.Dispatch(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := s.Call("GET", "/api/v1/orgs/"+org+"/tasks/"+st.Tasks[0].ID, owner.Token, nil)
		if got.Str("state") != "scheduled" {
			t.Fatalf("the online device's task is %s behind 210 waiting ones", got.Str("state"))
		}
	})
}

// TestFW6_RetryOfADeviceNowOnTheTarget: a failed task whose device came back
// on the target since is not retried into a second install (FW-3, FW-6).
func TestFW6_RetryOfADeviceNowOnTheTarget(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 1)
		tk := f.upgrade(map[string]any{"device_ids": f.ids}).Tasks[0]
		f.dispatch()
		d := f.devices[0]
		cmd, _ := upgradeCommand(t, d)
		d.Progress(cmd.ID, device.StageInstalling, 0)
		f.s.Clock.Advance(device.InstallSilence + time.Second)
		f.sweep()
		wantState(t, f.task(tk.ID), "failed")
		// It comes back late, on the target.
		if st := d.Post("/device/v1/heartbeat", device.Heartbeat{Firmware: "12.2.35"}, nil); st != 200 {
			t.Fatalf("heartbeat %d", st)
		}
		if err := f.s.App.Gateway.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/tasks/"+tk.ID+"/retry", f.owner.Token, nil)
		f.s.Want(r, 409, "conflict")
	})
}

// TestFW4_WindowTaskUnderWayKeepsGoingUnderAsap: a window task already
// downloading when its device is set to "as soon as available" is not
// stopped when the old window closes.
func TestFW4_WindowTaskUnderWayKeepsGoingUnderAsap(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 1)
		now := f.s.Clock.Now().UTC()
		win := map[string]any{"days": []string{"daily"}, "start": now.Format("15:04"), "duration_minutes": 30, "time_zone": "UTC"}
		put := func(body map[string]any) {
			t.Helper()
			body["device_ids"] = f.ids
			if r := f.s.Call("PUT", "/api/v1/orgs/"+f.org+"/upgrade-schedule", f.owner.Token, body); r.Status != 200 {
				t.Fatalf("schedule: %d %s", r.Status, r.Body)
			}
		}
		put(map[string]any{"mode": "window", "window": win})
		if err := f.s.App.Upgrades.Scheduler(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.dispatch()
		cmd, args := upgradeCommand(t, f.devices[0])
		f.devices[0].Progress(cmd.ID, device.StageDownloading, 10)
		put(map[string]any{"mode": "asap"})
		f.s.Clock.Advance(31 * time.Minute)
		f.devices[0].Progress(cmd.ID, device.StageDownloading, 60)
		f.sweep()
		wantState(t, f.task(args.Task), "downloading")
		if r := f.devices[0].Progress(cmd.ID, device.StageInstalling, 0); !r.Proceed {
			t.Fatalf("install refused after the old window: %+v", r)
		}
	})
}

// TestFW7_PacingHoldsAcrossConcurrentRequests: upgrade requests made at
// the same time (on PostgreSQL, each in its own transaction, from any
// instance) and the dispatcher together start no more than the limits.
func TestFW7_PacingHoldsAcrossConcurrentRequests(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 12
		f := newFleet(t, db, n)
		if r := f.s.Call("PUT", "/api/v1/orgs/"+f.org+"/upgrade-limits", f.owner.Token, map[string]int{"max_concurrent": 3, "max_per_site": 100}); r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = f.s.Call("POST", "/api/v1/orgs/"+f.org+"/upgrades", f.owner.Token, map[string]any{"device_ids": []string{f.ids[i]}}).Status
			}()
		}
		wg.Add(1)
		go func() { defer wg.Done(); f.dispatch() }()
		wg.Wait()
		for i, st := range statuses {
			if st != 202 {
				t.Fatalf("request %d: %d", i, st)
			}
		}
		var tasks api.List[api.TaskJSON]
		r := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/tasks?state=scheduled", f.owner.Token, nil)
		if err := r.Decode(&tasks); err != nil {
			t.Fatal(err)
		}
		if len(tasks.Items) != 3 {
			t.Fatalf("FW-7/%d tasks started by %d requests at once, want the limit, 3", len(tasks.Items), n)
		}
	})
}

// GW-2 with FW-5: an upgrade command reaches its waiting device with the
// request, marked delivered once; a device that reported it is at work on
// it is not sent it again (its task's time-outs watch it), while one that
// never acknowledged it is sent it again after the redelivery delay.
func TestGW2_UpgradeAtWorkNotSentAgain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 3)
		st := f.upgrade(map[string]any{"device_ids": f.ids})
		if len(st.Tasks) != 3 {
			t.Fatalf("started %+v", st)
		}
		var cmds []sim.Command
		for _, d := range f.devices {
			c, args := upgradeCommand(t, d)
			if tk := f.task(args.Task); tk.Serial != d.Serial() {
				t.Fatalf("%s got the command of %s's task", d.Serial(), tk.Serial)
			}
			var cj struct{ State string }
			if r := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/commands/"+c.ID, f.owner.Token, nil); r.Status != 200 || r.Decode(&cj) != nil || cj.State != device.StateDelivered {
				t.Fatalf("command %s after its delivery: %d %s", c.ID, r.Status, r.Body)
			}
			if again := d.Poll(0); len(again) != 0 {
				t.Fatalf("%s was sent %+v again at once", d.Serial(), again)
			}
			cmds = append(cmds, c)
		}
		downloading, installing, silent := f.devices[0], f.devices[1], f.devices[2]
		if r := downloading.Progress(cmds[0].ID, device.StageDownloading, 10); !r.Proceed {
			t.Fatalf("downloading: %+v", r)
		}
		if r := installing.Progress(cmds[1].ID, device.StageInstalling, 0); !r.Proceed {
			t.Fatalf("installing: %+v", r)
		}
		for range 3 {
			f.s.Clock.Advance(2 * time.Minute) // past the redelivery delay, within the time-outs
			for i, d := range []*harness.Device{downloading, installing} {
				if again := d.Poll(0); len(again) != 0 {
					t.Fatalf("device %d, at work on its upgrade, was sent %d commands again (%s)", i, len(again), again[0].ID)
				}
			}
			if again := silent.Poll(0); len(again) != 1 || again[0].ID != cmds[2].ID {
				t.Fatalf("the device that never acknowledged its command was sent %+v, want it again", again)
			}
		}
	})
}
