package upgrade_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"mysystems/internal/api"
	"mysystems/internal/device"
	"mysystems/internal/firmware"
	"mysystems/internal/harness"
	"mysystems/internal/sim"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// windowDevice is one device of TestFW4_WindowNeverOutside: its daily
// window and how it behaves.
type windowDevice struct {
	name     string
	start    firmware.TimeOfDay
	minutes  int
	behavior string // normal, offline (silent through its window), install-at-close, scheduled-at-close, downloading-at-close

	w          firmware.Window
	d          *harness.Device
	id         string
	cmd        *sim.Command // the upgrade command it carries out now
	installing bool         // told to install cmd
	seen       map[string]bool
	received   []time.Time // first receipt of each upgrade command
	want       []time.Time // the window starts it should receive them at
}

// TestFW4_WindowNeverOutside: devices with daily maintenance windows, on the
// spring-forward and fall-back nights of Europe/Paris and America/New_York,
// the fake clock stepped every ten minutes and minute by minute around each
// window's edges and the clock change, the background work (Scheduler,
// Dispatch, Sweep) run at each step as the job runner would. Every upgrade
// command a device receives comes inside [start, end) of its window as
// firmware.Window computes it, at its start; a device offline through its
// window gets it at the next one; one installing at the close finishes,
// while one whose command is out or downloading at the close is put back
// for the next window and told to stop.
func TestFW4_WindowNeverOutside(t *testing.T) {
	nights := []struct {
		name, zone string
		sunday     string // the night of the change
	}{
		{"Paris spring forward", "Europe/Paris", "2026-03-29"},
		{"Paris fall back", "Europe/Paris", "2026-10-25"},
		{"New York spring forward", "America/New_York", "2026-03-08"},
		{"New York fall back", "America/New_York", "2026-11-01"},
	}
	for _, kind := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run(kind.name, func(t *testing.T) {
			for _, n := range nights {
				t.Run("FW-4/"+n.name, func(t *testing.T) { windowNight(t, kind.open(t), n.zone, n.sunday) })
			}
		})
	}
}

func windowNight(t *testing.T, db *store.DB, zone, sunday string) {
	ctx := context.Background()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	day, err := time.ParseInLocation("2006-01-02", sunday, loc)
	if err != nil {
		t.Fatal(err)
	}
	// From Saturday 20:00 to Monday 06:00, local time.
	from := time.Date(day.Year(), day.Month(), day.Day()-1, 20, 0, 0, 0, loc)
	to := time.Date(day.Year(), day.Month(), day.Day()+1, 6, 0, 0, 0, loc)
	back := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, loc) // the offline device comes back

	devs := []*windowDevice{
		{name: "crosses midnight and the change", start: firmware.TimeOfDay{Hour: 23, Minute: 30}, minutes: 180, behavior: "normal"},
		{name: "opens before the change", start: firmware.TimeOfDay{Hour: 1, Minute: 30}, minutes: 120, behavior: "normal"},
		{name: "opens in the changed hour", start: firmware.TimeOfDay{Hour: 2, Minute: 30}, minutes: 60, behavior: "normal"},
		{name: "offline through its window", start: firmware.TimeOfDay{Hour: 3, Minute: 30}, minutes: 60, behavior: "offline"},
		{name: "installing at the close", start: firmware.TimeOfDay{Hour: 4, Minute: 0}, minutes: 30, behavior: "install-at-close"},
		{name: "command out at the close", start: firmware.TimeOfDay{Hour: 5, Minute: 0}, minutes: 10, behavior: "scheduled-at-close"},
		{name: "downloading at the close", start: firmware.TimeOfDay{Hour: 5, Minute: 30}, minutes: 20, behavior: "downloading-at-close"},
	}

	s := harness.New(t, db, harness.NoRateLimit(), harness.At(from.UTC()))
	owner := s.User("owner@example.com")
	orgID, root := s.Org(owner.Token, "Acme")
	s.Publish(harness.Model, "12.2.35", "active", nil)
	for i, m := range s.Mint(len(devs)) {
		dv := devs[i]
		dv.id = s.Claim(owner.Token, orgID, m, root).Str("id")
		dv.d = s.Device(m)
		dv.d.Hello()
		dv.seen = map[string]bool{}
		if dv.w, err = firmware.NewWindow(firmware.AllWeekdays, dv.start, time.Duration(dv.minutes)*time.Minute, zone); err != nil {
			t.Fatal(err)
		}
		body := api.ScheduleRequest{DeviceIDs: []string{dv.id}, Mode: "window", Window: &api.WindowJSON{
			Days: dv.w.Days.DayNames(), Start: dv.start.String(), DurationMinutes: dv.minutes, TimeZone: zone}}
		if r := s.Call("PUT", "/api/v1/orgs/"+orgID+"/upgrade-schedule", owner.Token, body); r.Status != 200 {
			t.Fatalf("schedule %s: %d %s", dv.name, r.Status, r.Body)
		}
		// Where it should get its command: its first window, the next one
		// for a device offline through it (or back after it), both for one
		// put back at the close.
		s1, e1 := dv.w.Next(from)
		switch dv.behavior {
		case "offline":
			if !back.After(e1) {
				t.Fatalf("%s: the device comes back before its window %v–%v ends", dv.name, s1, e1)
			}
			s2, _ := dv.w.Next(back)
			dv.want = []time.Time{s2}
		case "scheduled-at-close", "downloading-at-close":
			s2, _ := dv.w.Next(e1)
			dv.want = []time.Time{s1, s2}
		default:
			dv.want = []time.Time{s1}
		}
		for _, w := range dv.want {
			if w.After(to) {
				t.Fatalf("%s: window start %v after the end of the walk", dv.name, w)
			}
		}
	}
	if err := s.App.Gateway.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	// The instants: every hour, a minute before, at and after each
	// window's start and end and each change of the zone's offset, and
	// every ten minutes inside the windows of the devices that download
	// slowly (they report at each step, well within DownloadSilence).
	var steps []time.Time
	add := func(at time.Time) {
		for _, d := range []time.Duration{-time.Minute, 0, time.Minute} {
			if x := at.Add(d); !x.Before(from) && !x.After(to) {
				steps = append(steps, x)
			}
		}
	}
	for at := from; !at.After(to); at = at.Add(time.Hour) {
		steps = append(steps, at)
	}
	changes := 0
	for at := from; at.Before(to); at = at.Add(time.Minute) {
		_, off := at.Zone()
		if _, next := at.Add(time.Minute).Zone(); next != off {
			add(at.Add(time.Minute))
			changes++
		}
	}
	if changes != 1 {
		t.Fatalf("%d changes of %s's offset from %v to %v, want the one of the night", changes, zone, from, to)
	}
	for _, dv := range devs {
		for at := from; at.Before(to); {
			st, end := dv.w.Next(at)
			add(st)
			add(end)
			if dv.behavior == "install-at-close" || dv.behavior == "downloading-at-close" {
				for x := st; x.Before(end); x = x.Add(10 * time.Minute) {
					steps = append(steps, x)
				}
			}
			at = end
		}
	}
	add(back)
	slices.SortFunc(steps, func(a, b time.Time) int { return a.Compare(b) })
	steps = slices.CompactFunc(steps, func(a, b time.Time) bool { return a.Equal(b) })

	task := func(dv *windowDevice) api.TaskJSON {
		t.Helper()
		r := s.Call("GET", "/api/v1/orgs/"+orgID+"/tasks?device="+dv.id, owner.Token, nil)
		var l api.List[api.TaskJSON]
		if err := r.Decode(&l); err != nil || len(l.Items) == 0 {
			t.Fatalf("tasks of %s: %d %s", dv.name, r.Status, r.Body)
		}
		return l.Items[0]
	}
	run := func(name string, f func(context.Context) error) {
		t.Helper()
		if err := f(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	inWindow := func(dv *windowDevice, at time.Time) bool {
		st, end := dv.w.Next(at)
		return !at.Before(st) && at.Before(end)
	}
	finish := func(dv *windowDevice, now time.Time) {
		t.Helper()
		p, err := dv.d.Prepare(ctx, *dv.cmd)
		if err != nil || !p.Proceed {
			t.Fatalf("%s at %v: prepared %+v %v, want to install", dv.name, now.In(loc), p, err)
		}
		if _, _, err := dv.d.Finish(ctx, *dv.cmd); err != nil {
			t.Fatal(err)
		}
		dv.cmd = nil
	}

	for _, now := range steps {
		s.Clock.Set(now)
		// A device is silent while offline, and once upgraded (nothing
		// more is due to it: the checks at the end see to that).
		online := func(dv *windowDevice) bool {
			upgraded := dv.cmd == nil && len(dv.received) == len(dv.want) && dv.d.Firmware() == "12.2.35"
			return (dv.behavior != "offline" || !now.Before(back)) && !upgraded
		}
		// The devices heartbeat (presence), then the background work runs.
		for _, dv := range devs {
			if online(dv) {
				st := dv.d.Post("/device/v1/heartbeat", device.Heartbeat{Firmware: dv.d.Firmware()}, nil)
				if st == 401 { // its session expired while the clock went on: hello again
					dv.d.Hello()
					st = dv.d.Post("/device/v1/heartbeat", device.Heartbeat{Firmware: dv.d.Firmware()}, nil)
				}
				if st != 200 {
					t.Fatalf("heartbeat of %s: %d", dv.name, st)
				}
			}
		}
		run("flush", s.App.Gateway.Flush)
		run("scheduler", s.App.Upgrades.Scheduler)
		run("dispatch", s.App.Upgrades.Dispatch)
		run("sweep", s.App.Upgrades.Sweep)
		for _, dv := range devs {
			if !online(dv) {
				if dv.behavior != "offline" {
					continue
				}
				// Offline through its window: at the close its task is
				// put back for the next one.
				if _, e1 := dv.w.Next(from); now.Equal(e1) {
					got := task(dv)
					next, _ := dv.w.Next(now)
					if got.State != "queued" || got.NotBefore == nil || !got.NotBefore.Equal(next) {
						t.Fatalf("%s at its window's close: task %s not before %v, want queued for %v", dv.name, got.State, got.NotBefore, next.In(loc))
					}
				}
				continue
			}
			// What happens to an upgrade under way at its window's close.
			if dv.cmd != nil {
				_, end := dv.w.Next(dv.received[len(dv.received)-1])
				switch {
				case dv.behavior == "install-at-close" && now.Before(end.Add(-time.Minute)):
					// A slow download reports on.
					if r := dv.d.Progress(dv.cmd.ID, device.StageDownloading, 30); !r.Proceed {
						t.Fatalf("%s told to stop downloading inside its window: %+v", dv.name, r)
					}
				case dv.behavior == "install-at-close" && now.Equal(end.Add(-time.Minute)):
					p, err := dv.d.Prepare(ctx, *dv.cmd)
					if err != nil || !p.Proceed {
						t.Fatalf("%s a minute before the close: %+v %v, want to install", dv.name, p, err)
					}
					dv.installing = true
				case dv.behavior == "install-at-close" && now.Equal(end):
					if got := task(dv); got.State != "installing" {
						t.Fatalf("%s at the close: task %s, want installing", dv.name, got.State)
					}
				case dv.behavior == "install-at-close" && now.After(end):
					if got := task(dv); got.State != "installing" {
						t.Fatalf("%s after the close: task %s, want installing", dv.name, got.State)
					}
					if _, _, err := dv.d.Finish(ctx, *dv.cmd); err != nil {
						t.Fatal(err)
					}
					dv.cmd, dv.installing = nil, false
					if got := task(dv); got.State != "succeeded" {
						t.Fatalf("%s: task %s (%s) after installing at the close, want succeeded", dv.name, got.State, got.Reason)
					}
				case dv.behavior == "downloading-at-close" && now.Before(end):
					if r := dv.d.Progress(dv.cmd.ID, device.StageDownloading, 50); !r.Proceed {
						t.Fatalf("%s inside its window told to stop: %+v", dv.name, r)
					}
				case (dv.behavior == "downloading-at-close" || dv.behavior == "scheduled-at-close") && !now.Before(end):
					got := task(dv)
					next, _ := dv.w.Next(now)
					if got.State != "queued" || got.NotBefore == nil || !got.NotBefore.Equal(next) {
						t.Fatalf("%s after the close: task %s not before %v, want queued for %v", dv.name, got.State, got.NotBefore, next.In(loc))
					}
					if r := dv.d.Progress(dv.cmd.ID, device.StageInstalling, 0); r.Proceed {
						t.Fatalf("%s may install after its window closed", dv.name)
					}
					dv.cmd = nil
				}
			}
			for _, c := range dv.d.Poll(0) {
				if c.Type != device.CmdUpgrade {
					continue
				}
				// Outside the window, only the command the device is
				// installing may come again (delivered at least once, GW-2:
				// the device knows it and goes on).
				installing := dv.cmd != nil && dv.cmd.ID == c.ID && dv.installing
				if !inWindow(dv, now) && !installing {
					st, end := dv.w.Next(now)
					t.Fatalf("%s received upgrade command %s at %v, outside its window (next %v–%v)", dv.name, c.ID, now.In(loc), st.In(loc), end.In(loc))
				}
				if dv.seen[c.ID] {
					continue // a redelivery
				}
				dv.seen[c.ID] = true
				dv.received = append(dv.received, now)
				if dv.cmd != nil {
					t.Fatalf("%s received %s while %s is under way", dv.name, c.ID, dv.cmd.ID)
				}
				cmd := c
				dv.cmd = &cmd
				last := len(dv.received) == len(dv.want)
				switch {
				case dv.behavior == "install-at-close":
					if r := dv.d.Progress(c.ID, device.StageDownloading, 0); !r.Proceed {
						t.Fatalf("%s: %+v", dv.name, r)
					}
				case (dv.behavior == "downloading-at-close" || dv.behavior == "scheduled-at-close") && !last:
					// Left under way until the close.
				default:
					finish(dv, now)
				}
			}
		}
	}

	for _, dv := range devs {
		if !slices.EqualFunc(dv.received, dv.want, time.Time.Equal) {
			t.Errorf("%s (%s) received its upgrade commands at %v, want %v", dv.name, dv.w, inLoc(dv.received, loc), inLoc(dv.want, loc))
		}
		if got := task(dv); got.State != "succeeded" || dv.d.Firmware() != "12.2.35" {
			t.Errorf("%s: task %s (%s), device on %s; want succeeded on 12.2.35", dv.name, got.State, got.Reason, dv.d.Firmware())
		}
		for id, n := range dv.d.Installs() {
			if n != 1 {
				t.Errorf("%s installed task %s %d times", dv.name, id, n)
			}
		}
	}
}

func inLoc(ts []time.Time, loc *time.Location) []string {
	out := make([]string, len(ts))
	for i, x := range ts {
		out[i] = x.In(loc).Format("Mon 15:04 MST")
	}
	return out
}
