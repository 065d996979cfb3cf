package upgrade

import (
	"testing"
	"time"

	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func queued() Task {
	return Task{ID: "upg_1", From: "11.11.0", To: "12.2.35", State: Queued, CreatedAt: t0, UpdatedAt: t0}
}

func TestFW5_Lifecycle(t *testing.T) {
	tk := queued()
	tk.Dispatch("cmd_1", t0)
	if tk.State != Scheduled || tk.CommandID != "cmd_1" || tk.ScheduledAt == nil {
		t.Fatalf("dispatched: %+v", tk)
	}
	t.Run("FW-5/a report for another command is told to stop", func(t *testing.T) {
		c := tk
		if r, ch := c.Report("cmd_old", device.Progress{Stage: device.StageInstalling}, t0); r.Proceed || ch {
			t.Fatalf("%+v %v", r, ch)
		}
	})
	r, ch := tk.Report("cmd_1", device.Progress{Stage: device.StageDownloading, Percent: 130}, t0.Add(time.Second))
	if !r.Proceed || !ch || tk.State != Downloading || tk.Percent != 100 || tk.StartedAt == nil {
		t.Fatalf("downloading: %+v %+v", r, tk)
	}
	r, ch = tk.Report("cmd_1", device.Progress{Stage: device.StageInstalling}, t0.Add(2*time.Second))
	if !r.Proceed || !ch || tk.State != Installing {
		t.Fatalf("installing: %+v %+v", r, tk)
	}
	t.Run("FW-6/asking twice installs once", func(t *testing.T) {
		c := tk
		if r, ch := c.Report("cmd_1", device.Progress{Stage: device.StageInstalling}, t0.Add(3*time.Second)); !r.Proceed || ch {
			t.Fatalf("%+v %v", r, ch)
		}
		if !c.InstallingAt.Equal(t0.Add(2 * time.Second)) {
			t.Fatal("the second ask moved the install time")
		}
	})
	if err := tk.Cancel(Because(ReasonCanceledBy, "x"), t0); !errs.Is(err, errs.Conflict) {
		t.Fatalf("cancel while installing: %v", err)
	}
	t.Run("FW-5/back on the old version fails", func(t *testing.T) {
		c := tk
		if !c.Finish("cmd_1", device.Result{OK: true, Firmware: "11.11.0"}, t0) || c.State != Failed || c.Reason.Key != ReasonOldVersion {
			t.Fatalf("%+v", c)
		}
	})
	t.Run("FW-5/the device's failure is its reason", func(t *testing.T) {
		c := tk
		if !c.Finish("cmd_1", device.Result{OK: false, Message: "flash write error"}, t0) || c.State != Failed ||
			c.Reason.In("en") != "the device says: flash write error" {
			t.Fatalf("%+v %q", c, c.Reason.In("en"))
		}
		if c.Finish("cmd_1", device.Result{OK: true, Firmware: "12.2.35"}, t0) {
			t.Fatal("a second result changed a finished task")
		}
	})
	if !tk.Finish("cmd_1", device.Result{OK: true, Firmware: "12.2.35"}, t0.Add(time.Minute)) || tk.State != Succeeded || tk.FinishedAt == nil {
		t.Fatalf("succeeded: %+v", tk)
	}
}

func TestFW5_SuccessBeforeInstallIsNone(t *testing.T) {
	tk := queued()
	tk.Dispatch("cmd_1", t0)
	if tk.Finish("cmd_1", device.Result{OK: true, Firmware: "12.2.35"}, t0) {
		t.Fatal("a success before the device asked to install ended the task")
	}
	if !tk.Finish("cmd_1", device.Result{OK: false, Message: "signature does not verify"}, t0) || tk.State != Failed {
		t.Fatalf("refused image: %+v", tk)
	}
}

func TestFW5_CameBackAndTimeouts(t *testing.T) {
	tk := queued()
	tk.Dispatch("cmd_1", t0)
	tk.Report("cmd_1", device.Progress{Stage: device.StageInstalling}, t0)
	if tk.CameBack("11.11.0", true, t0.Add(time.Minute)) {
		t.Fatal("failed before the time-out")
	}
	t.Run("FW-5/came back on another version", func(t *testing.T) {
		c := tk
		if !c.CameBack("11.11.0", true, t0.Add(device.InstallSilence)) || c.State != Failed || c.Reason.Key != ReasonOldVersion {
			t.Fatalf("%+v", c)
		}
	})
	t.Run("FW-5/silent", func(t *testing.T) {
		c := tk
		if !c.CameBack("11.11.0", false, t0.Add(device.InstallSilence)) || c.Reason.Key != ReasonSilentInstall {
			t.Fatalf("%+v", c)
		}
		if got := c.Reason.In("fr"); got == "" || got == c.Reason.Key {
			t.Fatalf("French reason %q", got)
		}
	})
	if !tk.CameBack("12.2.35", true, t0.Add(time.Minute)) || tk.State != Succeeded {
		t.Fatalf("on target: %+v", tk)
	}
	d := queued()
	d.Dispatch("cmd_2", t0)
	if ch, drop := d.Stalled(t0.Add(device.DownloadSilence)); !ch || !drop || d.State != Queued || d.CommandID != "" {
		t.Fatalf("a scheduled task whose device never started is queued again: %+v", d)
	}
	d.Dispatch("cmd_3", t0)
	d.Report("cmd_3", device.Progress{Stage: device.StageDownloading, Percent: 5}, t0)
	if ch, _ := d.Stalled(t0.Add(time.Minute)); ch {
		t.Fatal("stalled too early")
	}
	if ch, drop := d.Stalled(t0.Add(device.DownloadSilence)); !ch || !drop || d.State != Failed || d.Reason.Key != ReasonSilentDownload {
		t.Fatalf("silent download: %+v", d)
	}
}

func TestFW4_WindowClosesBeforeInstall(t *testing.T) {
	w, err := firmware.ParseWindow("daily 22:00 2h Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	s := Schedule{Mode: InWindow, Window: w}
	now := time.Date(2026, 3, 2, 20, 30, 0, 0, time.UTC) // 21:30 in Paris: before the window
	nb, na := s.Slot(now)
	tk := queued()
	tk.NotBefore, tk.NotAfter = nb, na
	if tk.InWindow(now) {
		t.Fatal("in the window before it opens")
	}
	open := nb.Add(time.Minute)
	tk.Dispatch("cmd_1", open)
	tk.Report("cmd_1", device.Progress{Stage: device.StageDownloading, Percent: 50}, open)
	closed := *na
	t.Run("FW-4/no install asked after the close", func(t *testing.T) {
		c := tk
		if r, ch := c.Report("cmd_1", device.Progress{Stage: device.StageInstalling}, closed); r.Proceed || ch {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("FW-4/an install under way finishes", func(t *testing.T) {
		c := tk
		c.Report("cmd_1", device.Progress{Stage: device.StageInstalling}, closed.Add(-time.Second))
		if ch, _ := c.WindowClosed(closed, closed, closed); ch || c.State != Installing {
			t.Fatalf("%+v", c)
		}
	})
	start, end := w.Next(closed)
	if ch, drop := tk.WindowClosed(closed, start, end); !ch || !drop || tk.State != Queued || !tk.NotBefore.Equal(start) {
		t.Fatalf("missed window: %+v", tk)
	}
	if !start.After(closed) || start.Sub(closed) != 22*time.Hour {
		t.Fatalf("next window %v after %v", start, closed)
	}
}

func TestFW7_Pick(t *testing.T) {
	mk := func(site string, online bool) Candidate {
		tk := queued()
		return Candidate{Task: &tk, Site: site, Online: online}
	}
	cands := []Candidate{mk("a", true), mk("a", true), mk("a", true), mk("b", false), mk("b", true), mk("c", true)}
	t.Run("FW-7/site limit", func(t *testing.T) {
		got := Pick(cands, Limits{Org: 10, Site: 2}, 0, map[string]int{})
		if len(got) != 4 {
			t.Fatalf("picked %d, want 4 (2 of a, 1 of b online, 1 of c)", len(got))
		}
	})
	t.Run("FW-7/organization limit counts the running ones", func(t *testing.T) {
		got := Pick(cands, Limits{Org: 3, Site: 2}, 2, map[string]int{"a": 1})
		if len(got) != 1 {
			t.Fatalf("picked %d, want 1", len(got))
		}
	})
	t.Run("FW-3/offline devices wait", func(t *testing.T) {
		got := Pick([]Candidate{mk("b", false)}, Limits{}, 0, map[string]int{})
		if len(got) != 0 {
			t.Fatal("an offline device was started")
		}
	})
	if SiteOf([]string{"root", "paris", "floor1"}) != "paris" || SiteOf([]string{"root"}) != "root" {
		t.Fatal("site of a folder")
	}
}

func TestFW7_Rings(t *testing.T) {
	var tasks []*Task
	sites := map[*Task]string{}
	for i := range 10 {
		tk := queued()
		tasks = append(tasks, &tk)
		sites[&tk] = []string{"a", "b"}[i%2]
	}
	siteOf := func(tk *Task) string { return sites[tk] }
	t.Run("FW-7/a percentage rounds up and samples every site", func(t *testing.T) {
		if err := AssignRings(tasks, siteOf, RingSpec{Percent: 15}, nil); err != nil {
			t.Fatal(err)
		}
		n, seen := 0, map[string]bool{}
		for _, tk := range tasks {
			if tk.Ring == 1 {
				n++
				seen[sites[tk]] = true
			}
		}
		if n != 2 || len(seen) != 2 {
			t.Fatalf("ring 1 has %d tasks over %d sites", n, len(seen))
		}
	})
	t.Run("FW-7/a ring of everything is refused", func(t *testing.T) {
		if err := AssignRings(tasks, siteOf, RingSpec{Count: 10}, nil); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("FW-7/one way to give the ring", func(t *testing.T) {
		s := RingSpec{Count: 2, Percent: 10}
		if err := s.Check(); err == nil {
			t.Fatal("accepted two ways")
		}
		s = RingSpec{Count: 2}
		if err := s.Check(); err != nil || s.FailurePercent != DefaultFailurePercent {
			t.Fatalf("%v %+v", err, s)
		}
	})
}

func TestFW7_RolloutAdvance(t *testing.T) {
	r := Rollout{State: RolloutRunning, Phase: 1, Ring: RingSpec{Count: 2, Soak: time.Hour, FailurePercent: 10}}
	rings := [3]RingCount{{}, {Total: 10, Done: 5}, {Total: 90}}
	if r.Advance(rings, t0) {
		t.Fatal("moved while the first ring runs")
	}
	if r.Starts(2) || !r.Starts(1) {
		t.Fatal("the rest starts with the first ring")
	}
	t.Run("FW-7/paused when the failure rate passes the threshold", func(t *testing.T) {
		c := r
		if !c.Advance([3]RingCount{{}, {Total: 10, Done: 5, Failed: 2}, {Total: 90}}, t0) || c.State != RolloutPaused {
			t.Fatalf("%+v", c)
		}
		if c.Starts(1) {
			t.Fatal("a paused rollout starts tasks")
		}
		if err := c.Resume(t0); err != nil || c.State != RolloutRunning {
			t.Fatalf("resume: %v %+v", err, c)
		}
		if c.Advance([3]RingCount{{}, {Total: 10, Done: 6, Failed: 3}, {Total: 90}}, t0) {
			t.Fatal("paused again in the phase a person resumed")
		}
	})
	rings[1].Done = 10
	if !r.Advance(rings, t0) || r.State != RolloutSoaking {
		t.Fatalf("soaking: %+v", r)
	}
	if r.Advance(rings, t0.Add(30*time.Minute)) {
		t.Fatal("the rest started before the soak ended")
	}
	if !r.Advance(rings, t0.Add(time.Hour)) || r.State != RolloutRunning || r.Phase != 2 || !r.Starts(2) {
		t.Fatalf("the rest: %+v", r)
	}
	rings[2].Done = 90
	if !r.Advance(rings, t0.Add(2*time.Hour)) || r.State != RolloutDone {
		t.Fatalf("done: %+v", r)
	}
	if err := r.Abort("x", t0); err == nil {
		t.Fatal("a finished rollout aborted")
	}
}
