package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/acs"
	"mysystems/internal/errs"
)

// The "ACS Pro Servers" pages under AXIS DEVICE MANAGER (SPEC §8): the list
// with health now, versions and the upgrade queue; a server's page with
// its last 24 hours as an inline SVG chart and its alert settings; the
// confirmations of Upgrade server and of canceling a queued upgrade; and
// the enrolment of a new server, whose token is shown once. The routes are
// in web.go's Register.

// serverRow is a server as the pages show it.
type serverRow struct {
	acs.View
	Href        string
	Status      string // online, offline, upgrading
	StatusLabel string
	Recommended string
	// Upgrade is the open request in words ("Queued: 6.5.2"), if any.
	Upgrade    string
	CanUpgrade bool // a recommended upgrade, none open, and the caller may
	CanCancel  bool // a queued request the caller may cancel
	Recording  string
	LastError  string
}

func (c *call) serverRow(v acs.View) serverRow {
	r := serverRow{View: v, Href: c.orgURL("servers/" + v.ID), Status: string(v.Status),
		StatusLabel: c.t("servers.status." + string(v.Status))}
	if v.Recommended != nil {
		r.Recommended = v.Recommended.Version.String()
	}
	if v.Upgrade != nil {
		r.Upgrade = c.t("servers.upgrade.open."+string(v.Upgrade.State), v.Upgrade.Version.String())
	}
	mayUpgrade := c.can(access.ManageUpgrades)
	r.CanUpgrade = mayUpgrade && v.Recommended != nil && v.Upgrade == nil
	r.CanCancel = mayUpgrade && v.Upgrade != nil && v.Upgrade.State == acs.Queued
	r.Recording = c.t("servers.recording.no")
	if v.Health.Recording {
		r.Recording = c.t("servers.recording.yes")
	}
	r.LastError = v.Health.LastError
	return r
}

type serverListPage struct {
	Servers    []serverRow
	CanEnrol   bool
	CanUpgrade bool
}

func (u *UI) serverList(c *call) {
	if !c.allowed(access.ManageServers) {
		return
	}
	vs, err := u.d.ACS.List(c.r.Context(), c.actor, c.org.ID)
	if err != nil {
		c.fail(err)
		return
	}
	p := serverListPage{CanEnrol: c.can(access.ManageFleet), CanUpgrade: c.can(access.ManageUpgrades)}
	for _, v := range vs {
		p.Servers = append(p.Servers, c.serverRow(v))
	}
	v := c.view("servers.title", "servers")
	v.Data = p
	c.render(http.StatusOK, "servers", v)
}

// serverPageData is a server's page.
type serverPageData struct {
	Server   serverRow
	Chart    chart
	Samples  []sampleRow
	Upgrades []upgradeRow
	// Recipients is the alert recipients as typed in the form.
	Recipients string
	Back       string
}

type sampleRow struct {
	At                   time.Time
	CPU, Memory, Storage string
	Recording            string
	Cameras              int
}

type upgradeRow struct {
	ID, From, To, State, Outcome string
	Reason                       string // the server's own words, not translated
	CreatedAt                    time.Time
	DoneAt                       *time.Time
}

func pct(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + " %" }

// server loads the server of the path for a page; ok is false when the
// answer was already written.
func (c *call) server(titleKey string, action access.Action) (*view, *serverPageData, bool) {
	if !c.allowed(action) {
		return nil, nil, false
	}
	sv, err := c.u.d.ACS.Server(c.r.Context(), c.actor, c.org.ID, c.r.PathValue("id"))
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	p := &serverPageData{Server: c.serverRow(sv), Back: c.orgURL("servers/" + sv.ID)}
	p.Chart = c.healthChart(sv.History, c.now())
	for _, s := range sv.History {
		rec := c.t("servers.recording.no")
		if s.Recording {
			rec = c.t("servers.recording.yes")
		}
		p.Samples = append(p.Samples, sampleRow{At: s.At, CPU: pct(s.CPUPercent), Memory: pct(s.MemoryPercent), Storage: pct(s.StoragePercent),
			Recording: rec, Cameras: s.Cameras})
	}
	for _, up := range sv.Upgrades {
		r := upgradeRow{ID: up.ID, From: up.FromVersion.String(), To: up.Version.String(), State: c.t("server.upgrade.state." + string(up.State)),
			CreatedAt: up.CreatedAt, DoneAt: up.DoneAt}
		switch up.State {
		case acs.Succeeded:
			r.Outcome = c.t("servers.outcome.succeeded", up.NewVersion.String())
		case acs.Failed:
			if up.ReasonKey != "" {
				r.Outcome = c.t(up.ReasonKey, int(acs.MaxInstall.Hours()))
			} else {
				r.Reason = up.Reason
			}
		}
		p.Upgrades = append(p.Upgrades, r)
	}
	p.Recipients = strings.Join(sv.Alerts.Recipients, ", ")
	v := c.view(titleKey, "servers")
	v.Data = p
	if v.Form["recipients"] == "" {
		v.Form["recipients"] = p.Recipients
	}
	return v, p, true
}

func (u *UI) serverPage(c *call) {
	v, p, ok := c.server("servers.title", access.ManageServers)
	if !ok {
		return
	}
	v.Title = p.Server.Name
	c.render(http.StatusOK, "server", v)
}

// saveAlerts changes the server's alert settings (SRV-1: Operators and
// up).
func (u *UI) saveAlerts(c *call) {
	v, p, ok := c.server("servers.title", access.ManageServers)
	if !ok {
		return
	}
	v.Title = p.Server.Name
	off, on := c.r.PostFormValue("alert_offline") == "yes", c.r.PostFormValue("alert_online") == "yes"
	raw := c.r.PostFormValue("recipients")
	v.Form["recipients"] = raw
	list := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == ' ' })
	if _, err := u.d.ACS.UpdateAlerts(c.r.Context(), c.actor, c.org.ID, p.Server.ID, acs.AlertsPatch{Offline: &off, Online: &on, Recipients: &list}); err != nil {
		if e, ok := errs.As(err); ok && e.Field == "alert_recipients" {
			e.Field = "recipients"
		}
		c.formFailed("server", v, err)
		return
	}
	c.flash("flash.server.alerts", p.Server.Name)
	c.redirect(p.Back)
}

// upgradeServerForm is the confirmation of Upgrade server (SRV-2: Admins
// and up), with the versions it may go to, the recommended one first.
func (u *UI) upgradeServerForm(c *call) {
	v, p, ok := c.server("servers.upgrade.title", access.ManageUpgrades)
	if !ok {
		return
	}
	c.upgradeOptions(v, p)
	c.render(http.StatusOK, "server_upgrade", v)
}

type upgradePage struct {
	*serverPageData
	Versions []option
}

func (c *call) upgradeOptions(v *view, p *serverPageData) {
	up := upgradePage{serverPageData: p}
	vs, err := c.u.d.ACS.Versions(c.r.Context())
	if err == nil {
		want := v.Form["version"]
		if want == "" {
			want = p.Server.Recommended
		}
		for _, pv := range vs {
			if pv.Version.Compare(p.Server.Version) <= 0 {
				continue
			}
			label := pv.Version.String()
			if label == p.Server.Recommended {
				label = c.t("servers.upgrade.recommended", label)
			}
			up.Versions = append(up.Versions, option{Value: pv.Version.String(), Label: label, Selected: pv.Version.String() == want})
		}
	}
	v.Data = up
}

func (u *UI) upgradeServer(c *call) {
	v, p, ok := c.server("servers.upgrade.title", access.ManageUpgrades)
	if !ok {
		return
	}
	version := c.r.PostFormValue("version")
	v.Form["version"] = version
	up, err := u.d.ACS.RequestUpgrade(c.r.Context(), c.actor, c.org.ID, p.Server.ID, version)
	if err != nil {
		c.upgradeOptions(v, p)
		c.failedTo("form.error.server.upgrade", "server_upgrade", v, err)
		return
	}
	c.flash("flash.server.upgrade", c.t("servers.flash.upgrade", p.Server.Name, up.Version.String()))
	c.redirect(c.orgURL("servers"))
}

func (u *UI) cancelUpgradeForm(c *call) {
	v, _, ok := c.server("servers.cancel.title", access.ManageUpgrades)
	if !ok {
		return
	}
	c.render(http.StatusOK, "server_cancel", v)
}

// cancelUpgrade cancels the queued upgrade (SRV-3): refused with the reason
// once the server picked it up.
func (u *UI) cancelUpgrade(c *call) {
	v, p, ok := c.server("servers.cancel.title", access.ManageUpgrades)
	if !ok {
		return
	}
	up, err := u.d.ACS.CancelUpgrade(c.r.Context(), c.actor, c.org.ID, p.Server.ID)
	if err != nil {
		c.failedTo("form.error.server.cancel", "server_cancel", v, err)
		return
	}
	c.flash("flash.server.cancel", c.t("servers.flash.cancel", p.Server.Name, up.Version.String()))
	c.redirect(c.orgURL("servers"))
}

type enrolPage struct {
	Token   string
	Expires time.Time
}

func (u *UI) enrolForm(c *call) {
	if !c.allowed(access.ManageFleet) {
		return
	}
	v := c.view("servers.enrol.title", "servers")
	v.Data = enrolPage{}
	c.render(http.StatusOK, "server_enrol", v)
}

// enrol creates an enrolment token and shows it once (SRV-1).
func (u *UI) enrol(c *call) {
	if !c.allowed(access.ManageFleet) {
		return
	}
	v := c.view("servers.enrol.title", "servers")
	tok, exp, err := u.d.ACS.CreateEnrollment(c.r.Context(), c.actor, c.org.ID)
	if err != nil {
		v.Data = enrolPage{}
		c.failedTo("form.error.server.enrol", "server_enrol", v, err)
		return
	}
	v.Data = enrolPage{Token: tok, Expires: exp}
	c.w.Header().Set("Cache-Control", "no-store")
	c.render(http.StatusOK, "server_enrol", v)
}

// chart is the 24-hour health chart, drawn as inline SVG by the server.
type chart struct {
	Width, Height    int
	Left, Right, Top int
	Bottom           int // y of the time axis
	Series           []series
	YTicks           []tick
	XTicks           []tick
	CamTicks         []tick
	MidX, MidY       int // where "no data" is written
	Empty            bool
	Title, Desc      string
}

type series struct {
	Label  string
	Class  string
	Points string
	Latest string
	// LastX, LastY mark the latest sample (a line of one sample is a dot).
	LastX, LastY string
}

type tick struct {
	Pos   int
	Label string
}

// healthChart lays the samples of the last 24 hours before now out on a
// chart: CPU, memory and storage in percent on the left axis, the cameras
// recording on the right one.
func (c *call) healthChart(samples []acs.Sample, now time.Time) chart {
	ch := chart{Width: 720, Height: 260, Left: 48, Right: 672, Top: 16, Bottom: 220,
		Title: c.t("servers.chart.title"), Desc: c.t("servers.chart.desc")}
	ch.MidX, ch.MidY = (ch.Left+ch.Right)/2, (ch.Top+ch.Bottom)/2
	start := now.Add(-24 * time.Hour)
	x := func(t time.Time) float64 {
		f := float64(t.Sub(start)) / float64(24*time.Hour)
		return float64(ch.Left) + f*float64(ch.Right-ch.Left)
	}
	y := func(pctv float64) float64 {
		return float64(ch.Bottom) - pctv/100*float64(ch.Bottom-ch.Top)
	}
	for _, p := range []int{0, 25, 50, 75, 100} {
		ch.YTicks = append(ch.YTicks, tick{Pos: int(y(float64(p))), Label: strconv.Itoa(p) + " %"})
	}
	for h := 0; h <= 24; h += 6 {
		label := c.t("servers.chart.hoursago", 24-h)
		if h == 24 {
			label = c.t("servers.chart.now")
		}
		ch.XTicks = append(ch.XTicks, tick{Pos: int(x(start.Add(time.Duration(h) * time.Hour))), Label: label})
	}
	if len(samples) == 0 {
		ch.Empty = true
		return ch
	}
	maxCam := 1
	for _, s := range samples {
		maxCam = max(maxCam, s.Cameras)
	}
	for _, p := range []int{0, maxCam / 2, maxCam} {
		ch.CamTicks = append(ch.CamTicks, tick{Pos: int(y(float64(p) * 100 / float64(maxCam))), Label: strconv.Itoa(p)})
	}
	line := func(label, class string, val func(acs.Sample) float64, latest string) series {
		var b strings.Builder
		for i, s := range samples {
			if s.At.Before(start) {
				continue
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%.1f,%.1f", x(s.At), y(val(s)))
		}
		l := samples[len(samples)-1]
		return series{Label: label, Class: class, Points: b.String(), Latest: latest,
			LastX: fmt.Sprintf("%.1f", x(l.At)), LastY: fmt.Sprintf("%.1f", y(val(l)))}
	}
	last := samples[len(samples)-1]
	recording := func(s acs.Sample) float64 {
		if !s.Recording {
			return 0
		}
		return float64(s.Cameras) * 100 / float64(maxCam)
	}
	lastRec := 0
	if last.Recording {
		lastRec = last.Cameras
	}
	ch.Series = []series{
		line(c.t("servers.health.cpu"), "cpu", func(s acs.Sample) float64 { return s.CPUPercent }, pct(last.CPUPercent)),
		line(c.t("servers.health.memory"), "memory", func(s acs.Sample) float64 { return s.MemoryPercent }, pct(last.MemoryPercent)),
		line(c.t("servers.health.storage"), "storage", func(s acs.Sample) float64 { return s.StoragePercent }, pct(last.StoragePercent)),
		line(c.t("servers.health.recording"), "cameras", recording, strconv.Itoa(lastRec)),
	}
	return ch
}
