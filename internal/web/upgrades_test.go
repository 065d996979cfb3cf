package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/clock"
	"mysystems/internal/harness"
)

// upgradeOrg is an organization with two folders, a device in each (online),
// a newer release of their model, and an Owner and a Viewer of the hall.
type upgradeOrg struct {
	a             *harness.Server
	owner, viewer *client
	org, hall     string
	dev, other    string
}

func newUpgradeOrg(t *testing.T) *upgradeOrg {
	t.Helper()
	srv, a := server(t)
	u := &upgradeOrg{a: a}
	var root string
	u.owner, u.org, root = ownOrg(t, srv, "up.owner@example.com", "Upgrades")
	u.hall = createFolder(t, u.owner, u.org, root, "Hall")
	a.Publish(harness.Model, "12.2.35", "active", nil)
	ms := a.Mint(2)
	u.dev = claim(t, u.owner, u.org, ms[0], u.hall, "Door")
	u.other = claim(t, u.owner, u.org, ms[1], root, "Gate")
	for _, m := range ms {
		a.Device(m).Hello()
	}
	if err := a.App.Gateway.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	u.viewer = member(t, a, u.owner, u.org, "up.viewer@example.com", access.Viewer, u.hall)
	return u
}

func (u *upgradeOrg) path(p string) string { return "/orgs/" + u.org + p }

var taskRowID = regexp.MustCompile(`data-task-id="(upg_[a-z0-9]+)"`)

// TestFW3_UpgradeFormSteps: the upgrade form reviews what will happen
// before anything starts, shows its input errors next to their fields,
// and once confirmed reports the tasks made and the devices left alone.
func TestFW3_UpgradeFormSteps(t *testing.T) {
	u := newUpgradeOrg(t)
	sel := url.Values{"device": {u.dev, u.other}}
	form := u.owner.get(u.path("/upgrades/new?" + sel.Encode()))
	wantStatus(t, "form", form, http.StatusOK)
	wantBody(t, "form", form, "2 devices selected", `value="12.2.35"`, "12.2.35 (Active track)")

	post := func(extra url.Values) response {
		v := url.Values{"device": {u.dev, u.other}}
		for k, vs := range extra {
			v[k] = vs
		}
		return u.owner.post(u.path("/upgrades/new"), v)
	}
	bad := post(url.Values{"step": {"review"}, "phased": {"percent"}, "ring_percent": {"150"}, "soak_minutes": {"60"}})
	wantStatus(t, "bad percent", bad, http.StatusBadRequest)
	wantBody(t, "bad percent", bad, `id="ring_percent-error"`, "between 1 and 99")

	review := post(url.Values{"step": {"review"}, "phased": {"count"}, "ring_count": {"1"}, "soak_minutes": {"30"}, "failure_percent": {"20"}})
	wantStatus(t, "review", review, http.StatusOK)
	wantBody(t, "review", review, "2 devices will be upgraded", "first a ring of 1 device", "30 minutes after", "more than 20 %", `id="upgrade-confirm"`)
	wantNoBody(t, "nothing started", u.owner.get(u.path("/tasks")), "data-task-id")

	done := post(url.Values{"step": {"confirm"}, "phased": {"count"}, "ring_count": {"1"}, "soak_minutes": {"30"}, "failure_percent": {"20"}})
	wantStatus(t, "confirm", done, http.StatusOK)
	wantBody(t, "confirm", done, "2 upgrade tasks were made.", `id="result-rollout"`)

	again := post(url.Values{"step": {"confirm"}})
	wantStatus(t, "again", again, http.StatusOK)
	wantBody(t, "again", again, "0 upgrade tasks were made.", "2 devices left alone", "already under way")
}

// TestFW5_UpgradePagesByRole: a Viewer reads the tasks, rollouts, the
// per-model view and the devices' schedules of their folders, without any
// action; the actions' pages and posts refuse them (FW-5, ACC-2).
func TestFW5_UpgradePagesByRole(t *testing.T) {
	u := newUpgradeOrg(t)
	r := u.owner.post(u.path("/upgrades/new"), url.Values{"device": {u.dev, u.other}, "step": {"confirm"}})
	wantBody(t, "start", r, "2 upgrade tasks were made.")
	tasks := u.owner.get(u.path("/tasks"))
	wantBody(t, "owner tasks", tasks, "task-cancel", "limits-edit")
	ids := taskRowID.FindAllStringSubmatch(tasks.body, -1)
	if len(ids) != 2 {
		t.Fatalf("the owner sees %d tasks", len(ids))
	}

	v := u.viewer.get(u.path("/tasks"))
	wantStatus(t, "viewer tasks", v, http.StatusOK)
	if n := len(taskRowID.FindAllString(v.body, -1)); n != 1 {
		t.Fatalf("the Viewer of the hall sees %d tasks, want 1", n)
	}
	wantNoBody(t, "viewer tasks", v, "task-cancel", "task-retry", "limits-edit")
	wantBody(t, "viewer limits", v, "At most 200 devices")
	wantNoBody(t, "viewer per-model view", u.viewer.get(u.path("/upgrades")), "model-upgrade")
	sched := u.viewer.get(u.path("/upgrade-schedule?device=" + u.dev))
	wantStatus(t, "viewer schedule", sched, http.StatusOK)
	wantBody(t, "viewer schedule", sched, "schedules-table", "schedule-readonly")
	wantNoBody(t, "viewer schedule", sched, `id="schedule-form"`)
	wantStatus(t, "viewer, a device of another folder", u.viewer.get(u.path("/upgrade-schedule?device="+u.other)), http.StatusNotFound)

	for _, p := range []string{"/upgrades/new?device=" + u.dev, "/tasks/" + ids[0][1] + "/cancel", "/upgrade-limits"} {
		wantStatus(t, "viewer GET "+p, u.viewer.get(u.path(p)), http.StatusForbidden)
	}
	for _, p := range []string{"/upgrades/new", "/tasks/" + ids[0][1] + "/cancel", "/upgrade-limits", "/upgrade-schedule"} {
		wantStatus(t, "viewer POST "+p, u.viewer.post(u.path(p), url.Values{"device": {u.dev}, "step": {"confirm"},
			"max_concurrent": {"1"}, "max_per_site": {"1"}, "mode": {"asap"}}), http.StatusForbidden)
	}

	// The Owner cancels one, and changes the limits.
	cancel := u.owner.post(u.path("/tasks/"+ids[0][1]+"/cancel"), url.Values{"back": {u.path("/tasks?state=canceled")}})
	wantRedirect(t, "cancel", cancel, u.path("/tasks?state=canceled"))
	wantBody(t, "canceled", u.owner.get(u.path("/tasks?state=canceled")), ids[0][1])
	wantStatus(t, "bad limits", u.owner.post(u.path("/upgrade-limits"), url.Values{"max_concurrent": {"0"}, "max_per_site": {"5"}}), http.StatusBadRequest)
	wantRedirect(t, "limits", u.owner.post(u.path("/upgrade-limits"), url.Values{"max_concurrent": {"50"}, "max_per_site": {"5"}}), u.path("/tasks"))
	wantBody(t, "limits", u.owner.get(u.path("/tasks")), "At most 50 devices upgrade at once in the organization, and 5 in any one site.")
	// AUD-1: the audit log reads the upgrades as sentences, counts included.
	wantBody(t, "audit", u.owner.get(u.path("/audit")), "started AXIS OS upgrades of 2 devices in", "canceled the upgrade of")
}

// TestFW4_ScheduleWithoutJavaScript: the window editor's Preview button
// shows the next occurrence from the server, and Apply sets the schedule;
// the JSON preview answers the same, and an unknown zone is refused by
// name (FW-4).
func TestFW4_ScheduleWithoutJavaScript(t *testing.T) {
	u := newUpgradeOrg(t)
	fields := url.Values{"device": {u.dev}, "mode": {"window"}, "days": {"mon", "thu"}, "start": {"01:30"},
		"duration_hours": {"1"}, "duration_minutes": {"30"}, "time_zone": {"Europe/Paris"}}
	preview := u.owner.post(u.path("/upgrade-schedule"), withStep(fields, "preview"))
	wantStatus(t, "preview", preview, http.StatusOK)
	wantBody(t, "preview", preview, "(Europe/Paris)")
	if !strings.Contains(preview.body, "Next window: from ") && !strings.Contains(preview.body, "The window is open now, until ") {
		t.Fatalf("the preview shows no occurrence:\n%s", preview.body)
	}
	json := u.owner.get(u.path("/upgrade-schedule/next?days=mon&days=thu&start=01:30&duration_hours=1&duration_minutes=30&time_zone=Europe/Paris"))
	wantStatus(t, "json", json, http.StatusOK)
	wantBody(t, "json", json, `"next":"`, "(Europe/Paris)")
	wrong := u.owner.get(u.path("/upgrade-schedule/next?days=mon&start=01:30&duration_hours=1&time_zone=Mars/Olympus"))
	wantStatus(t, "zone", wrong, http.StatusBadRequest)
	wantBody(t, "zone", wrong, "Mars/Olympus")

	applied := u.owner.post(u.path("/upgrade-schedule"), withStep(fields, "apply"))
	wantRedirect(t, "apply", applied, u.path("/upgrade-schedule?device="+u.dev))
	page := u.owner.get(u.path("/upgrade-schedule?device=" + u.dev))
	wantBody(t, "applied", page, "Software scheduling applied to 1 device.", "Monday, Thursday, from 01:30 for 1 h 30 min (Europe/Paris)")
	none := u.owner.post(u.path("/upgrade-schedule"), url.Values{"device": {u.dev}, "mode": {"none"}, "step": {"apply"}})
	wantRedirect(t, "none", none, u.path("/upgrade-schedule?device="+u.dev))
	if strings.Contains(u.owner.get(u.path("/upgrade-schedule?device="+u.dev)).body, "Europe/Paris)") {
		t.Fatal("the window is still shown after None")
	}
}

func withStep(v url.Values, step string) url.Values {
	out := url.Values{"step": {step}}
	for k, vs := range v {
		out[k] = vs
	}
	return out
}

// TestFW4_WindowPreviewAcrossTheSpringForward: the preview answers the
// window's next occurrence in its zone, as firmware.Window.Next computes
// it: a start the clock skips begins at the end of the gap, and an open
// window says when it closes (FW-4).
func TestFW4_WindowPreviewAcrossTheSpringForward(t *testing.T) {
	// Next year's spring-forward night in Paris: the last Sunday of March,
	// when 02:00 becomes 03:00 (a future date, so sessions hold).
	y := time.Now().Year() + 1
	end := time.Date(y, 3, 31, 12, 0, 0, 0, time.UTC)
	sunday := end.AddDate(0, 0, -int(end.Weekday()))
	day := sunday.Format("2006-01-02")
	clk := clock.NewFake(sunday.Add(-24 * time.Hour))
	srv, _ := serverAt(t, clk)
	owner, org, _ := ownOrg(t, srv, "window.owner@example.com", "Windows")
	next := func(q string) string {
		r := owner.get("/orgs/" + org + "/upgrade-schedule/next?" + q)
		wantStatus(t, "preview "+q, r, http.StatusOK)
		return r.body
	}
	got := next("days=sun&start=02:30&duration_hours=1&time_zone=Europe/Paris")
	if !strings.Contains(got, "Next window: from Sunday "+day+" 03:00 to Sunday "+day+" 04:00 (Europe/Paris)") {
		t.Fatalf("spring forward: %s", got)
	}
	clk.Set(time.Date(y, 3, sunday.Day(), 1, 30, 0, 0, time.UTC)) // 03:30 in Paris
	got = next("days=sun&start=02:30&duration_hours=1&time_zone=Europe/Paris")
	if !strings.Contains(got, "The window is open now, until Sunday "+day+" 04:00 (Europe/Paris)") {
		t.Fatalf("open window: %s", got)
	}
}

// TestFW3_UpgradeOfAModelNamesTheFirstDevices: an upgrade of a model in a
// folder counts every device it covers and names the first twenty.
func TestFW3_UpgradeOfAModelNamesTheFirstDevices(t *testing.T) {
	srv, a := server(t)
	owner := a.User("many.owner@example.com")
	org, root := a.Org(owner.Token, "Many")
	for _, m := range a.Mint(23) {
		a.Claim(owner.Token, org, m, root)
	}
	c := newClient(t, srv)
	c.get("/login")
	wantRedirect(t, "sign in", c.post("/login", url.Values{"email": {owner.Email}, "password": {harness.Password}}), "/")
	r := c.get("/orgs/" + org + "/upgrades/new?model=" + url.QueryEscape(harness.Model) + "&folder=" + root)
	wantStatus(t, "form", r, http.StatusOK)
	wantBody(t, "form", r, harness.Model+": 23 devices", "and 3 more devices", `name="model" value="`+harness.Model+`"`, `name="folder" value="`+root+`"`)
	if n := strings.Count(r.body, "<li data-device-id="); n != 20 {
		t.Fatalf("the form names %d devices, want 20", n)
	}
}

// TestFW3_UpgradeFormOffersNewerVersions: the version choice is the
// recommended one or a newer published release, never an older one or a
// withdrawn one.
func TestFW3_UpgradeFormOffersNewerVersions(t *testing.T) {
	u := newUpgradeOrg(t)
	u.a.Publish(harness.Model, "11.0.1", "active", nil)
	u.a.Publish(harness.Model, "12.3.0", "active", nil)
	bad := u.a.Publish(harness.Model, "12.3.1", "active", nil)
	if _, err := u.a.App.Firmware.Withdraw(context.Background(), harness.Vendor, bad.ID, "bricks the lens"); err != nil {
		t.Fatal(err)
	}
	r := u.owner.get(u.path("/upgrades/new?device=" + u.dev))
	wantBody(t, "form", r, `value="12.3.0"`, `value="12.2.35"`)
	wantNoBody(t, "form", r, `value="11.0.1"`, `value="12.3.1"`)
}

// TestFW3_DeviceListActionMenu: the device list's action menu holds Device
// software upgrade, Software scheduling and Tasks for Owners and Admins; the
// selection it submits is the checked devices, or every matching device,
// and nothing checked is nothing selected.
func TestFW3_DeviceListActionMenu(t *testing.T) {
	u := newUpgradeOrg(t)
	list := u.owner.get(u.path("/devices"))
	wantBody(t, "list", list, `id="bulk-upgrade"`, `id="bulk-schedule"`, `id="bulk-tasks"`, "Device software upgrade", "Software scheduling")
	if strings.Contains(u.viewer.get(u.path("/devices")).body, `id="bulk-upgrade"`) {
		t.Fatal("a Viewer is offered upgrades")
	}
	checked := u.owner.get(u.path("/upgrades/new?from=list&folder=" + u.hall + "&device=" + u.dev))
	wantStatus(t, "checked", checked, http.StatusOK)
	wantBody(t, "checked", checked, "1 device selected")
	all := u.owner.get(u.path("/upgrades/new?from=list&all=matching&device=" + u.dev))
	wantBody(t, "all matching", all, "2 devices selected")
	none := u.owner.get(u.path("/upgrade-schedule?from=list&folder=" + u.hall))
	if strings.Contains(none.body, "1 device selected") || strings.Contains(none.body, "2 devices selected") {
		t.Fatalf("nothing checked selected devices: %s", none.body)
	}
}
