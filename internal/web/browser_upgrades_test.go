package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mysystems/internal/access"
	"mysystems/internal/device"
	"mysystems/internal/firmware"
	"mysystems/internal/harness"
)

// upgradeFleet is a started server (background jobs dispatching upgrades)
// with an Owner, an organization and n claimed simulated devices that said
// hello on harness.Firmware, and a newer release of their model.
type upgradeFleet struct {
	a       *harness.Server
	owner   harness.User
	org     string
	root    string
	ids     []string
	devices []*harness.Device
}

func newUpgradeFleet(t *testing.T, n int) *upgradeFleet {
	t.Helper()
	a := harness.New(t, nil, harness.WallClock(), harness.Started(), harness.NoRateLimit())
	f := &upgradeFleet{a: a, owner: a.User("upgrades.owner@example.com")}
	f.org, f.root = a.Org(f.owner.Token, "Upgrade Org")
	a.Publish(harness.Model, "12.2.35", "active", nil)
	for _, m := range a.Mint(n) {
		f.ids = append(f.ids, a.Claim(f.owner.Token, f.org, m, f.root).Str("id"))
		d := a.Device(m)
		d.Hello()
		f.devices = append(f.devices, d)
	}
	if err := a.App.Gateway.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f
}

// signIn signs the browser in as the fleet's Owner.
func (f *upgradeFleet) signIn(b *browser) {
	b.t.Helper()
	b.step("sign in",
		chromedp.Navigate(f.a.URL+"/login"),
		chromedp.WaitVisible("#login-submit"),
		chromedp.SendKeys("#email", f.owner.Email),
		chromedp.SendKeys("#password", harness.Password),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#org-switcher"),
	)
}

func (f *upgradeFleet) page(p string) string { return f.a.URL + "/orgs/" + f.org + p }

// start starts an upgrade through the API and returns its tasks' ids.
func (f *upgradeFleet) start(body any) []string {
	f.a.T.Helper()
	r := f.a.Call("POST", "/api/v1/orgs/"+f.org+"/upgrades", f.owner.Token, body)
	if r.Status != 202 {
		f.a.T.Fatalf("upgrade: %d %s", r.Status, r.Body)
	}
	var out struct {
		Tasks []struct {
			ID string `json:"id"`
		} `json:"tasks"`
	}
	if err := r.Decode(&out); err != nil {
		f.a.T.Fatal(err)
	}
	var ids []string
	for _, tk := range out.Tasks {
		ids = append(ids, tk.ID)
	}
	return ids
}

// waitFor polls a JavaScript condition of the page until it holds (the
// page's own polling and the background jobs take a few seconds).
func (b *browser) waitFor(what, js string) {
	b.t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		// The page may be reloading (a rollout whose state changed): an
		// evaluation that fails is tried again.
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.screenshot(what)
			b.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fits checks that the page needs no sideways scrolling at 1280 and 768 px.
func (b *browser) fits(what string) {
	b.t.Helper()
	for _, w := range []int64{768, 1280} {
		b.step("viewport", chromedp.EmulateViewport(w, 900))
		ok := value(b, what, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= document.documentElement.clientWidth`))
		b.check(what, ok, "the page scrolls sideways at %d px", w)
	}
}

func rowState(task string) string {
	return fmt.Sprintf(`(document.querySelector('tr[data-task-id="%s"]') || {dataset: {}}).dataset.state`, task)
}

// TestFW3_FW5_BrowserUpgradeFollowedLive: an Owner reads the per-model
// view, upgrades a model's devices from it through the confirmation, gets
// the result, and watches the tasks reach "succeeded" on the task list
// without reloading the page, while the simulated devices carry them out
// (FW-2, FW-3, FW-5, GW-3).
func TestFW3_FW5_BrowserUpgradeFollowedLive(t *testing.T) {
	b := newBrowser(t)
	f := newUpgradeFleet(t, 2)
	f.signIn(b)

	row := `tr[data-model="` + harness.Model + `"]`
	b.step("per-model view", chromedp.Navigate(f.page("/upgrades")), chromedp.WaitVisible(row))
	b.shot("upgrades")
	b.fits("per-model view")
	counts := value(b, "counts", chromedp.Evaluate[string](`(() => { const r = document.querySelector('`+row+`');
		return [".devices", ".current", ".upgrade", ".tracks"].map(s => r.querySelector(s).textContent.trim()).join("|") })()`))
	b.check("per-model view", counts == "2|0|2|Active track: 12.2.35", "the model's row reads %q", counts)

	b.submit("upgrade form", row+" a.model-upgrade", "#upgrade-review")
	shown := value(b, "phased fields", chromedp.Evaluate[bool](`document.querySelector("#ring_count").offsetParent === null`))
	b.check("phased fields", shown, "the first ring's size shows without a phased rollout")
	b.step("phased count", chromedp.Click("#phased-count"), chromedp.WaitVisible("#ring_count"), chromedp.WaitNotVisible("#ring_percent"),
		chromedp.Click("#phased-none"), chromedp.WaitNotVisible("#ring_count"))
	b.step("review", chromedp.Click("#upgrade-review"), chromedp.WaitVisible("#upgrade-confirm"))
	b.shot("upgrade-confirm")
	b.fits("confirmation")
	what := value(b, "what", chromedp.Text("#upgrade-effects"))
	b.check("review", strings.Contains(what, "2 devices will be upgraded") && strings.Contains(what, "recommended version"),
		"the confirmation says %q", what)
	b.submit("upgrade result", "#upgrade-confirm", "#upgrade-result")
	made := value(b, "result", chromedp.Text("#result-tasks"))
	b.check("result", made == "2 upgrade tasks were made.", "the result says %q", made)

	b.submit("task list", "#result-tasks-link", "#tasks-table")
	tasks := value(b, "tasks", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#tasks-table tr[data-task-id]")].map(r => r.dataset.state)`))
	b.check("task list", len(tasks) == 2, "the task list shows %v", tasks)
	for _, s := range tasks {
		b.check("task list", s == "queued" || s == "scheduled", "a task is %q before the devices do anything", s)
	}
	// The devices start answering only now: the page follows them live.
	value(b, "mark the page", chromedp.Evaluate[bool](`window.notReloaded = true`))
	for _, d := range f.devices {
		d.Serve()
	}
	b.waitFor("tasks succeeded", `[...document.querySelectorAll("#tasks-table tr[data-task-id]")].every(r => r.dataset.state === "succeeded")`)
	b.shot("tasks-succeeded")
	b.fits("task list")
	same := value(b, "same page", chromedp.Evaluate[bool](`window.notReloaded === true`))
	labels := value(b, "labels", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#tasks-table .badge.state")].map(b => b.textContent)`))
	b.check("live", same && len(labels) == 2 && labels[0] == "Succeeded" && labels[1] == "Succeeded",
		"reloaded: %v; states %v", !same, labels)
	for _, d := range f.devices {
		waitUntil(t, "the device on 12.2.35", func() bool { return d.Firmware() == "12.2.35" })
	}

	b.step("French", chromedp.Click("#lang-fr"), chromedp.WaitVisible(`html[lang="fr"] #tasks-table`))
	fr := value(b, "French label", chromedp.Text("#tasks-table .badge.state"))
	b.check("French", fr == "Réussie", "the French state reads %q", fr)
}

// TestFW4_BrowserSoftwareScheduling: an Owner opens Software scheduling
// for two devices, sees their current schedule, sets a maintenance window
// whose next occurrence the page shows in the window's time zone as it is
// edited, applies it, and finds it on both devices (FW-4).
func TestFW4_BrowserSoftwareScheduling(t *testing.T) {
	b := newBrowser(t)
	f := newUpgradeFleet(t, 2)
	f.signIn(b)
	q := url.Values{"device": f.ids}
	b.step("schedule page", chromedp.Navigate(f.page("/upgrade-schedule?"+q.Encode())), chromedp.WaitVisible("#schedules-table"))
	modes := value(b, "modes", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#schedules-table td.mode")].map(c => c.textContent)`))
	b.check("current", len(modes) == 2 && modes[0] == "None" && modes[1] == "None", "current schedules %v", modes)
	hidden := value(b, "editor hidden", chromedp.Evaluate[bool](`document.querySelector("#window-editor").hidden`))
	b.check("editor hidden", hidden, "the window editor shows for the mode None")

	b.step("a window", chromedp.Click("#mode-window"), chromedp.WaitVisible("#window-editor"))
	value(b, "fill the window", chromedp.Evaluate[bool](`(() => {
			document.querySelectorAll("input[name=days]").forEach(d => { d.checked = d.value === "tue" || d.value === "sat"; });
			const set = (id, v) => { const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event("input", {bubbles: true})); };
			set("start", "23:30"); set("duration_hours", "2"); set("duration_minutes", "15"); set("time_zone", "America/New_York");
			return true })()`))
	w, err := firmware.WindowOf([]string{"tue", "sat"}, "23:30", 135, "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	start, end := w.Next(time.Now())
	want := start.In(w.Zone).Format("2006-01-02 15:04")
	if !start.After(time.Now()) { // open now: the preview says until when
		want = end.In(w.Zone).Format("2006-01-02 15:04")
	}
	b.waitFor("next occurrence", `document.querySelector("#window-next").textContent.includes("`+want+`")`)
	b.shot("schedule-window")
	b.fits("software scheduling")
	next := value(b, "next", chromedp.Text("#window-next"))
	b.check("next occurrence", strings.Contains(next, end.In(w.Zone).Format("2006-01-02 15:04")) && strings.Contains(next, "America/New_York"),
		"the preview says %q, want %s to %s", next, want, end.In(w.Zone))

	b.step("apply", chromedp.Click("#schedule-apply"), chromedp.WaitVisible("#flash"))
	flash := value(b, "flash", chromedp.Text("#flash"))
	b.check("apply", flash == "Software scheduling applied to 2 devices.", "flash %q", flash)
	windows := value(b, "windows", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#schedules-table td.window")].map(c => c.textContent)`))
	b.check("applied", len(windows) == 2 && strings.Contains(windows[1], "Tuesday, Saturday, from 23:30 for 2 h 15 min (America/New_York)"),
		"the schedules read %v", windows)
	r := f.a.Call("GET", "/api/v1/orgs/"+f.org+"/upgrade-schedule?"+q.Encode(), f.owner.Token, nil)
	for _, id := range f.ids {
		b.check("stored", r.Status == 200 && strings.Contains(string(r.Body), `"device_id":"`+id+`","mode":"window","window":{"days":["tue","sat"],"start":"23:30","duration_minutes":135,"time_zone":"America/New_York"}`),
			"the API reads %s", r.Body)
	}
}

// TestFW5_FW6_BrowserCancelAndRetry: on the task list an Owner cancels an
// upgrade that has not started installing and retries one that failed,
// each behind its confirmation; the retry's new task is followed live to
// "succeeded" (FW-5, FW-6).
func TestFW5_FW6_BrowserCancelAndRetry(t *testing.T) {
	b := newBrowser(t)
	f := newUpgradeFleet(t, 2)
	failing, silent := f.devices[0], f.devices[1]
	failing.Fail(device.CmdUpgrade, "flash write error")
	failing.Serve()
	failed := f.start(map[string]any{"device_ids": f.ids[:1]})[0]
	waiting := f.start(map[string]any{"device_ids": f.ids[1:]})[0]
	f.signIn(b)
	b.step("task list", chromedp.Navigate(f.page("/tasks")), chromedp.WaitVisible("#tasks-table"))
	b.waitFor("the failure", rowState(failed)+` === "failed"`)
	b.shot("tasks-failed")
	b.fits("task list with actions")
	reason := value(b, "reason", chromedp.Text(`tr[data-task-id="`+failed+`"] .reason`))
	b.check("reason", strings.Contains(reason, "flash write error"), "the failed task says %q", reason)
	shown := value(b, "actions", chromedp.Evaluate[string](`["`+failed+`", "`+waiting+`"].map(id => {
		const r = document.querySelector('tr[data-task-id="' + id + '"]');
		return [".task-cancel", ".task-retry"].map(s => r.querySelector(s).hidden ? "-" : s).join(" ") }).join("|")`))
	b.check("actions", shown == "- .task-retry|.task-cancel -", "the rows' actions are %q", shown)

	// Cancel the task of the device that never polls.
	b.step("cancel confirmation", chromedp.Click(`tr[data-task-id="`+waiting+`"] .task-cancel`), chromedp.WaitVisible("#task-cancel-submit"))
	b.shot("task-cancel")
	summary := value(b, "summary", chromedp.Text("#task-summary"))
	b.check("cancel confirmation", strings.Contains(summary, silent.Serial()) && strings.Contains(summary, "12.2.35"), "it asks %q", summary)
	b.step("cancel", chromedp.Click("#task-cancel-submit"), chromedp.WaitVisible("#flash"), chromedp.WaitVisible("#tasks-table"))
	b.check("canceled", value(b, "state", chromedp.Evaluate[string](rowState(waiting))) == "canceled", "the task is not canceled")

	// Retry the failed one, the device now installing fine.
	failing.Fail(device.CmdUpgrade, "")
	b.step("retry confirmation", chromedp.Click(`tr[data-task-id="`+failed+`"] .task-retry`), chromedp.WaitVisible("#task-retry-submit"))
	b.shot("task-retry")
	b.step("retry", chromedp.Click("#task-retry-submit"), chromedp.WaitVisible("#flash"), chromedp.WaitVisible("#tasks-table"))
	rows := value(b, "rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#tasks-table tr[data-task-id]")].map(r => r.dataset.taskId)`))
	b.check("retried", len(rows) == 3 && rows[0] != failed && rows[0] != waiting, "the list after the retry: %v", rows)
	b.waitFor("the retry succeeded", rowState(rows[0])+` === "succeeded"`)
	b.check("retry kept", value(b, "old", chromedp.Evaluate[string](rowState(failed))) == "failed", "the failed task changed")
}

// TestFW7_BrowserRolloutPauseResumeAbort: a phased rollout's page shows
// its rings; an Owner pauses and resumes it, watches the first ring finish
// live and the rollout soak, then aborts it behind "I understand the
// risks", its waiting tasks canceled; a Viewer sees the page without its
// actions (FW-7).
func TestFW7_BrowserRolloutPauseResumeAbort(t *testing.T) {
	b := newBrowser(t)
	f := newUpgradeFleet(t, 3)
	f.start(map[string]any{"device_ids": f.ids, "rollout": map[string]any{"ring_count": 1, "soak_minutes": 5}})
	f.signIn(b)
	b.step("rollouts", chromedp.Navigate(f.page("/rollouts")), chromedp.WaitVisible("#rollouts-table"))
	b.shot("rollouts")
	b.step("rollout", chromedp.Click("#rollouts-table tr[data-rollout-id] a"), chromedp.WaitVisible("#rings"))
	b.shot("rollout")
	b.fits("rollout")
	rings := value(b, "rings", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#rings .ring-text")].map(p => p.textContent)`))
	b.check("rings", len(rings) == 2 && rings[0] == "Ring 1: 0 of 1 done, 0 failed" && rings[1] == "Ring 2: 0 of 2 done, 0 failed", "rings %v", rings)
	rollout := value(b, "location", chromedp.Location())

	b.step("pause", chromedp.Click("#rollout-pause"), chromedp.WaitVisible(`#rollout-state[data-state="paused"]`))
	b.shot("rollout-paused")
	reason := value(b, "reason", chromedp.Text("#rollout-reason"))
	b.check("paused", strings.Contains(reason, f.owner.Email), "the pause reads %q", reason)
	b.step("resume", chromedp.Click("#rollout-resume"), chromedp.WaitVisible(`#rollout-state[data-state="running"]`))
	// The first ring's device upgrades: its ring's progress follows live.
	f.devices[0].Serve()
	f.devices[1].Serve()
	f.devices[2].Serve()
	b.waitFor("the first ring done", `document.querySelector('#rings li[data-ring="1"] .ring-text')?.textContent === "Ring 1: 1 of 1 done, 0 failed"`)
	b.step("soaking", chromedp.WaitVisible(`#rollout-state[data-state="soaking"]`))

	b.step("abort confirmation", chromedp.Click("#rollout-abort"), chromedp.WaitVisible("#abort-effects"))
	b.shot("rollout-abort")
	b.acknowledgeRisk("abort", "#rollout-abort-submit", "aborted")
	b.step("aborted", chromedp.WaitVisible(`#rollout-state[data-state="aborted"]`))
	rings = value(b, "rings after", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#rings .ring-text")].map(p => p.textContent)`))
	b.check("aborted rings", rings[0] == "Ring 1: 1 of 1 done, 0 failed" && rings[1] == "Ring 2: 2 of 2 done, 0 failed", "rings %v", rings)
	r := f.a.Call("GET", "/api/v1/orgs/"+f.org+"/tasks?state=queued,scheduled", f.owner.Token, nil)
	b.check("aborted", r.Status == 200 && strings.Contains(string(r.Body), `"items":[]`), "tasks left running: %s", r.Body)

	viewer := f.a.Member(f.org, "upgrades.viewer@example.com", access.Viewer, f.root)
	v := b.fresh()
	v.step("viewer", chromedp.Navigate(f.a.URL+"/login"), chromedp.WaitVisible("#login-submit"),
		chromedp.SendKeys("#email", viewer.Email), chromedp.SendKeys("#password", harness.Password),
		chromedp.Click("#login-submit"), chromedp.WaitVisible("#org-switcher"),
		chromedp.Navigate(rollout), chromedp.WaitVisible("#rings"))
	none := value(v, "no actions", chromedp.Evaluate[bool](`document.querySelector("#rollout-actions") === null`))
	v.check("viewer", none, "a Viewer is offered the rollout's actions")
}
