package upgrade_test

import (
	"context"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/api"
	"mysystems/internal/device"
	"mysystems/internal/harness"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// finish carries out d's upgrade command through the gateway: download
// report, install, and a result saying whether it came back on version.
func finish(t *testing.T, d *harness.Device, ok bool, version string) {
	t.Helper()
	cmd, _ := upgradeCommand(t, d)
	d.Progress(cmd.ID, device.StageDownloading, 100)
	if r := d.Progress(cmd.ID, device.StageInstalling, 0); !r.Proceed {
		t.Fatalf("install refused: %+v", r)
	}
	res := device.Result{OK: ok, Firmware: version}
	if !ok {
		res.Message = "install failed: flash write error"
	}
	d.Result(cmd.ID, res)
}

func (f *fleetOf) rollout(id string) api.RolloutJSON {
	f.s.T.Helper()
	r := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/rollouts/"+id, f.owner.Token, nil)
	var out api.RolloutJSON
	if r.Status != 200 || r.Decode(&out) != nil {
		f.s.T.Fatalf("rollout: %d %s", r.Status, r.Body)
	}
	return out
}

func (f *fleetOf) deviceOf(taskDevice string) *harness.Device {
	for i, id := range f.ids {
		if id == taskDevice {
			return f.devices[i]
		}
	}
	return nil
}

// TestFW7_PhasedRollout: the first ring, the soak, the rest; an automatic
// pause on failures, resumed by an owner; the rings' progress.
func TestFW7_PhasedRollout(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 6)
		st := f.upgrade(map[string]any{"device_ids": f.ids, "rollout": map[string]any{"ring_count": 2, "soak_minutes": 30, "failure_percent": 40}})
		if st.Rollout == nil || st.Rollout.Rings[0].Total != 2 || st.Rollout.Rings[1].Total != 4 {
			t.Fatalf("rollout %+v", st.Rollout)
		}
		ro := st.Rollout.ID
		f.dispatch()
		var ring1, ring2 []api.TaskJSON
		for _, tk := range st.Tasks {
			got := f.task(tk.ID)
			if got.Ring == 1 {
				ring1 = append(ring1, got)
				wantState(t, got, "scheduled")
			} else {
				ring2 = append(ring2, got)
				wantState(t, got, "queued")
			}
		}
		// The first ring: one succeeds, one fails (50 % > 40 %): paused.
		finish(t, f.deviceOf(ring1[0].DeviceID), true, "12.2.35")
		finish(t, f.deviceOf(ring1[1].DeviceID), false, harness.Firmware)
		f.sweep()
		got := f.rollout(ro)
		if got.State != "paused" || got.Reason == "" || got.Rings[0].Failed != 1 || got.Rings[0].Done != 2 {
			t.Fatalf("after the first ring: %+v", got)
		}
		// An operator may not resume; an owner may.
		op := f.s.Member(f.org, "op@example.com", access.Operator, f.root)
		if r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/rollouts/"+ro+"/resume", op.Token, nil); r.Status != 403 {
			t.Fatalf("operator resume: %d", r.Status)
		}
		if r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/rollouts/"+ro+"/resume", f.owner.Token, nil); r.Status != 200 {
			t.Fatalf("resume: %d %s", r.Status, r.Body)
		}
		f.sweep()
		if got := f.rollout(ro); got.State != "soaking" || got.SoakUntil == nil {
			t.Fatalf("after resume: %+v", got)
		}
		f.dispatch()
		wantState(t, f.task(ring2[0].ID), "queued")
		f.s.Clock.Advance(31 * time.Minute)
		// Keep the devices online across the soak.
		for _, d := range f.devices {
			d.Hello()
		}
		if err := f.s.App.Gateway.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.sweep()
		if got := f.rollout(ro); got.State != "running" || got.Phase != 2 {
			t.Fatalf("after the soak: %+v", got)
		}
		f.dispatch()
		for _, tk := range ring2 {
			wantState(t, f.task(tk.ID), "scheduled")
			finish(t, f.deviceOf(tk.DeviceID), true, "12.2.35")
		}
		f.sweep()
		if got := f.rollout(ro); got.State != "done" || got.Rings[1].Done != 4 || got.FinishedAt == nil {
			t.Fatalf("done: %+v", got)
		}
	})
}

// TestFW7_AbortCancelsTheRest: aborting a rollout cancels its tasks that have
// not started installing.
func TestFW7_AbortCancelsTheRest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 4)
		st := f.upgrade(map[string]any{"device_ids": f.ids, "rollout": map[string]any{"ring_percent": 50}})
		f.dispatch()
		var installing string
		for _, tk := range st.Tasks {
			if tk.Ring == 1 && installing == "" {
				cmd, _ := upgradeCommand(t, f.deviceOf(tk.DeviceID))
				f.deviceOf(tk.DeviceID).Progress(cmd.ID, device.StageInstalling, 0)
				installing = tk.ID
			}
		}
		r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/rollouts/"+st.Rollout.ID+"/abort", f.owner.Token, nil)
		if r.Status != 200 || r.Str("state") != "aborted" {
			t.Fatalf("abort: %d %s", r.Status, r.Body)
		}
		for _, tk := range st.Tasks {
			got := f.task(tk.ID)
			if tk.ID == installing {
				wantState(t, got, "installing")
				continue
			}
			wantState(t, got, "canceled")
			if got.ReasonKey != "upgrade.reason.rollout_aborted" {
				t.Fatalf("reason %+v", got)
			}
		}
	})
}

// TestFW4_ScheduleAsapOnPublish: publishing a newer recommended version
// upgrades the devices set to "as soon as available" at once, and not the
// others; a window device gets a task that waits for its window.
func TestFW4_ScheduleAsapOnPublish(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 3)
		put := func(ids []string, body map[string]any) {
			body["device_ids"] = ids
			if r := f.s.Call("PUT", "/api/v1/orgs/"+f.org+"/upgrade-schedule", f.owner.Token, body); r.Status != 200 {
				t.Fatalf("schedule: %d %s", r.Status, r.Body)
			}
		}
		put(f.ids[:1], map[string]any{"mode": "asap"})
		put(f.ids[1:2], map[string]any{"mode": "window", "window": map[string]any{"days": []string{"sun"}, "start": "03:00", "duration_minutes": 120, "time_zone": "Europe/Paris"}})
		r := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/upgrade-schedule?device="+f.ids[1]+"&device="+f.ids[2], f.owner.Token, nil)
		var ss api.List[api.ScheduleJSON]
		if r.Decode(&ss) != nil || len(ss.Items) != 2 || ss.Items[0].Mode != "window" || ss.Items[0].NextStart == nil || ss.Items[1].Mode != "none" {
			t.Fatalf("schedules: %s", r.Body)
		}
		f.s.Publish(harness.Model, "12.3.1", "active", nil)
		list := func() map[string]api.TaskJSON {
			r := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/tasks", f.owner.Token, nil)
			var l api.List[api.TaskJSON]
			if r.Decode(&l) != nil {
				t.Fatal(r.Body)
			}
			out := map[string]api.TaskJSON{}
			for _, tk := range l.Items {
				out[tk.DeviceID] = tk
			}
			return out
		}
		ts := list()
		if len(ts) != 2 {
			t.Fatalf("%d tasks after publishing, want 2 (asap and window)", len(ts))
		}
		asap, win := ts[f.ids[0]], ts[f.ids[1]]
		if asap.To != "12.3.1" || asap.Origin != "schedule" || asap.NotBefore != nil {
			t.Fatalf("asap task %+v", asap)
		}
		if win.NotBefore == nil || win.NotBefore.In(mustZone(t, "Europe/Paris")).Hour() != 3 || win.NotBefore.Weekday() != time.Sunday {
			t.Fatalf("window task %+v", win)
		}
		f.dispatch()
		wantState(t, f.task(asap.ID), "scheduled")
		wantState(t, f.task(win.ID), "queued")
		// Back to none: the waiting window task is canceled.
		put(f.ids[1:2], map[string]any{"mode": "none"})
		wantState(t, f.task(win.ID), "canceled")
		// A failed version is not tried again by the schedule.
		finish(t, f.devices[0], false, harness.Firmware)
		if err := f.s.App.Upgrades.Scheduler(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(list()); n != 2 {
			t.Fatalf("%d tasks after a failure, want 2 (no automatic retry)", n)
		}
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestFW7_RolloutsFolderScoped: a member limited to some folders sees the
// rollouts of their devices only, with rings counted over those devices
// (ACC-1, ACC-2).
func TestFW7_RolloutsFolderScoped(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFleet(t, db, 4)
		in := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/folders", f.owner.Token, map[string]string{"name": "In"}).Str("id")
		for _, id := range f.ids[:1] {
			if r := f.s.Call("PATCH", "/api/v1/orgs/"+f.org+"/devices/"+id, f.owner.Token, map[string]string{"folder_id": in}); r.Status != 200 {
				t.Fatalf("move: %d", r.Status)
			}
		}
		mixed := f.upgrade(map[string]any{"device_ids": f.ids[:2], "rollout": map[string]any{"ring_count": 1}}).Rollout.ID
		outside := f.upgrade(map[string]any{"device_ids": f.ids[2:], "rollout": map[string]any{"ring_count": 1}}).Rollout.ID
		op := f.s.Member(f.org, "op@example.com", access.Operator, in)
		r := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/rollouts", op.Token, nil)
		var l api.List[api.RolloutJSON]
		if r.Decode(&l) != nil || len(l.Items) != 1 || l.Items[0].ID != mixed {
			t.Fatalf("operator's rollouts: %s", r.Body)
		}
		if got := l.Items[0].Rings[0].Total + l.Items[0].Rings[1].Total; got != 1 {
			t.Fatalf("the operator's view counts %d tasks, want 1 (their folder's)", got)
		}
		if r := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/rollouts/"+outside, op.Token, nil); r.Status != 404 {
			t.Fatalf("a rollout outside the operator's folders: %d", r.Status)
		}
		if r := f.s.Call("GET", "/api/v1/orgs/"+f.org+"/rollouts/"+outside, f.owner.Token, nil); r.Status != 200 {
			t.Fatalf("owner: %d", r.Status)
		}
	})
}
