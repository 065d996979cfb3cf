package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/upgrade"
)

// defaultZone is the maintenance window's time zone when nothing better is
// known: the browser's replaces it (app.js).
const defaultZone = "Europe/Paris"

// weekdays are the window's days in week order, as the form names them.
var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// zones are the time zones the window's zone field suggests; any IANA name
// is accepted.
var zones = []string{"Europe/Paris", "Europe/London", "Europe/Berlin", "Europe/Brussels", "Europe/Madrid", "Europe/Rome",
	"Europe/Zurich", "Europe/Amsterdam", "Europe/Stockholm", "Europe/Lisbon", "Europe/Warsaw", "Europe/Helsinki",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto", "America/Montreal",
	"America/Sao_Paulo", "America/Mexico_City", "Asia/Tokyo", "Asia/Shanghai", "Asia/Singapore", "Asia/Dubai",
	"Asia/Kolkata", "Australia/Sydney", "Pacific/Auckland", "Africa/Casablanca", "Africa/Johannesburg", "UTC"}

// scheduleRow is a selected device's current schedule.
type scheduleRow struct {
	Device     deviceRow
	Mode, Text string // the mode in words; the window in words
	Next       string
}

// dayChoice is a weekday checkbox.
type dayChoice struct {
	Value, Label string
	Checked      bool
}

// schedulePage is the data of the Software scheduling page.
type schedulePage struct {
	Selection *selection
	Current   []scheduleRow
	Modes     []option
	Days      []dayChoice
	Zones     []string
	// ZoneGuessed: the zone field holds the default, which the browser's
	// zone may replace.
	ZoneGuessed bool
	Next        string // the preview of the window's next occurrence
	Preview     string // the preview's URL
	CanManage   bool
	Back        string
}

// dayNames is the window's days in words.
func (c *call) dayNames(w firmware.Window) string {
	var out []string
	for _, d := range w.Days.DayNames() {
		out = append(out, c.t("schedule.day."+d))
	}
	return strings.Join(out, ", ")
}

// windowText is a window in words: its days, start, duration and zone.
func (c *call) windowText(w firmware.Window) string {
	return c.t("schedule.window.text", c.dayNames(w), w.Start.String(), c.duration(w.Duration), w.Zone.String())
}

func (c *call) duration(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return c.t("schedule.duration.m", m)
	case m == 0:
		return c.t("schedule.duration.h", h)
	}
	return c.t("schedule.duration.hm", h, m)
}

// inZone is a time in a window's zone, with its weekday in words.
func (c *call) inZone(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return c.t("schedule.day."+weekdays[(int(t.Weekday())+6)%7]) + " " + t.Format("2006-01-02 15:04")
}

// nextText says when a window next opens and closes, in its zone.
func (c *call) nextText(w firmware.Window) string {
	now := c.now()
	start, end := w.Next(now)
	if !start.After(now) {
		return c.t("schedule.next.open", c.inZone(end, w.Zone), w.Zone.String())
	}
	return c.t("schedule.next", c.inZone(start, w.Zone), c.inZone(end, w.Zone), w.Zone.String())
}

// formWindow reads the window editor's fields (days, start, duration_hours,
// duration_minutes, time_zone) into a window; errors name those fields.
func formWindow(get func(string) string, days []string) (firmware.Window, error) {
	if len(days) == 0 {
		return firmware.Window{}, errs.InvalidField("days", "err.window.days_required")
	}
	num := func(field string) (int, error) {
		s := strings.TrimSpace(get(field))
		if s == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, errs.InvalidField("duration", "upgrades.err.number")
		}
		return n, nil
	}
	h, err := num("duration_hours")
	if err != nil {
		return firmware.Window{}, err
	}
	m, err := num("duration_minutes")
	if err != nil {
		return firmware.Window{}, err
	}
	w, err := firmware.WindowOf(days, get("start"), h*60+m, strings.TrimSpace(get("time_zone")))
	if e, ok := errs.As(err); ok {
		switch e.Field {
		case "window.days", "weekdays":
			e.Field = "days"
		case "window.start", "start":
			e.Field = "start"
		case "window.duration_minutes", "duration":
			e.Field = "duration"
		default:
			e.Field = "time_zone"
		}
	}
	return w, err
}

// scheduleView builds the Software scheduling page for the selection:
// each device's current schedule, and for Owners and Admins the form.
func (c *call) scheduleView() (*view, *schedulePage, error) {
	v := c.view("schedule.title", "devices")
	sel := c.readSelection()
	page := &schedulePage{Selection: sel, Zones: zones, CanManage: c.can(access.ManageUpgrades),
		Preview: c.orgURL("upgrade-schedule/next"), Back: c.orgURL("devices")}
	v.Data = page
	if sel.empty() {
		return v, page, errs.InvalidField("device", "schedule.err.nothing")
	}
	if err := c.resolve(sel); err != nil {
		return v, page, err
	}
	if sel.Count() == 0 {
		return v, page, errs.InvalidField("device", "upgrades.err.none")
	}
	ss, err := c.u.d.Upgrades.Schedules(c.r.Context(), c.actor, c.org.ID, sel.ids())
	if err != nil {
		return v, page, err
	}
	var known *firmware.Window
	for _, d := range sel.Devices {
		row := scheduleRow{Device: d, Mode: c.t("schedule.mode.none")}
		if s, ok := ss[d.ID]; ok {
			row.Mode = c.t("schedule.mode." + string(s.Mode))
			if s.Mode == upgrade.InWindow {
				row.Text = c.windowText(s.Window)
				row.Next = c.nextText(s.Window)
				if known == nil {
					w := s.Window
					known = &w
				}
			}
		}
		page.Current = append(page.Current, row)
	}
	form := c.r.Form
	if c.r.Method == http.MethodGet {
		// The form starts from the first device's schedule, if any.
		mode := upgrade.None
		if s, ok := ss[sel.Devices[0].ID]; ok {
			mode = s.Mode
		}
		v.Form["mode"] = string(mode)
		if known != nil {
			for _, d := range known.Days.DayNames() {
				v.Form["day."+d] = "yes"
			}
			v.Form["start"] = known.Start.String()
			v.Form["duration_hours"] = strconv.Itoa(int(known.Duration / time.Hour))
			v.Form["duration_minutes"] = strconv.Itoa(int(known.Duration % time.Hour / time.Minute))
			v.Form["time_zone"] = known.Zone.String()
		} else {
			v.Form["start"], v.Form["duration_hours"], v.Form["duration_minutes"] = "22:00", "3", "0"
			v.Form["time_zone"], page.ZoneGuessed = defaultZone, true
		}
	} else {
		for _, k := range []string{"mode", "start", "duration_hours", "duration_minutes", "time_zone"} {
			v.Form[k] = form.Get(k)
		}
		for _, d := range form["days"] {
			v.Form["day."+d] = "yes"
		}
	}
	page.Modes = c.options(v.Form["mode"], "none", "schedule.mode.none", "asap", "schedule.mode.asap", "window", "schedule.mode.set")
	for _, d := range weekdays {
		page.Days = append(page.Days, dayChoice{Value: d, Label: c.t("schedule.day." + d), Checked: v.Form["day."+d] == "yes"})
	}
	if w, err := formWindow(func(k string) string { return v.Form[k] }, c.checkedDays(v)); err == nil {
		page.Next = c.nextText(w)
	}
	return v, page, nil
}

func (c *call) checkedDays(v *view) []string {
	var out []string
	for _, d := range weekdays {
		if v.Form["day."+d] == "yes" {
			out = append(out, d)
		}
	}
	return out
}

func (u *UI) scheduleForm(c *call) {
	v, _, err := c.scheduleView()
	if err != nil {
		c.listFailed("schedule", v, err)
		return
	}
	c.render(http.StatusOK, "schedule", v)
}

// applySchedule sets the software scheduling of the selected devices (FW-4),
// for Owners and Admins; "preview" only shows the window's next occurrence.
func (u *UI) applySchedule(c *call) {
	if !c.allowed(access.ManageUpgrades) {
		return
	}
	v, page, err := c.scheduleView()
	if err != nil {
		c.failedTo("form.error.schedule", "schedule", v, err)
		return
	}
	mode, err := upgrade.ParseMode(v.Form["mode"])
	if err != nil {
		c.failedTo("form.error.schedule", "schedule", v, errs.InvalidField("mode", "schedule.err.mode"))
		return
	}
	req := upgrade.ScheduleRequest{DeviceIDs: page.Selection.ids(), Mode: mode}
	if mode == upgrade.InWindow {
		w, err := formWindow(func(k string) string { return v.Form[k] }, c.checkedDays(v))
		if err != nil {
			c.failedTo("form.error.schedule", "schedule", v, err)
			return
		}
		req.Window = &w
	}
	if c.r.PostFormValue("step") == "preview" {
		c.render(http.StatusOK, "schedule", v)
		return
	}
	n, err := u.d.Upgrades.SetSchedule(c.r.Context(), c.actor, c.org.ID, req)
	if err != nil {
		c.failedTo("form.error.schedule", "schedule", v, err)
		return
	}
	c.flash("flash.schedule.applied", strconv.Itoa(n))
	c.redirect(c.orgURL("upgrade-schedule") + page.Selection.Href)
}

// windowNext answers GET /orgs/{org}/upgrade-schedule/next: the next
// occurrence of the window the editor's fields describe, for its live
// preview.
func (u *UI) windowNext(c *call) {
	q := c.r.URL.Query()
	var days []string
	for _, d := range q["days"] {
		if slices.Contains(weekdays, d) {
			days = append(days, d)
		}
	}
	w, err := formWindow(q.Get, days)
	if err != nil {
		c.jsonError(err)
		return
	}
	c.writeJSON(http.StatusOK, map[string]string{"next": c.nextText(w)})
}
