package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/org"
	"mysystems/internal/upgrade"
)

// trackLabel is a track as people read it: "LTS 2024" (AXIS OS's name, the
// same in every language), or the active track in words.
func (c *call) trackLabel(t firmware.Track) string {
	if t == firmware.Active {
		return c.t("upgrades.track.active")
	}
	return t.Label()
}

// modelRow is one model of the Device software upgrade page.
type modelRow struct {
	firmware.ModelSummary
	Tracks      []trackRow
	Upgrade     string // the upgrade form for this model (in the current folder)
	DevicesHref string // the device list of this model
}

type trackRow struct{ Label, Version string }

// upgradesPage is the data of the Device software upgrade page.
type upgradesPage struct {
	Models    []modelRow
	Folders   []folderOption
	Folder    string // the folder the per-model upgrades are limited to
	Selection *selection
	// SelectionUpgrade and SelectionSchedule act on the selection.
	SelectionUpgrade, SelectionSchedule string
	CanManage                           bool
	Tasks, Rollouts                     string
}

// upgradesView is the Device software upgrade page (FW-2, FW-3): per model,
// its devices, how many are on the recommended version, how many have an
// upgrade available and the recommended version of each track, with an
// Upgrade action per model (in the chosen folder), and one for the
// selection the device list links with.
func (u *UI) upgradesView(c *call) {
	v := c.view("upgrades.title", "devices")
	sel := c.readSelection()
	folder := strings.TrimSpace(c.r.URL.Query().Get("folder"))
	page := &upgradesPage{CanManage: c.can(access.ManageUpgrades), Folder: folder, Tasks: c.orgURL("tasks"),
		Rollouts: c.orgURL("rollouts")}
	v.Data = page
	fs, err := c.folders()
	if err != nil {
		c.fail(err)
		return
	}
	if folder != "" && !slices.ContainsFunc(fs, func(f org.FolderView) bool { return f.ID == folder }) {
		c.fail(errFolderNotFound(folder))
		return
	}
	page.Folders = folderOptions(fs, folder, "")
	// A selection other than a folder alone is shown with its own actions.
	q := sel.Query
	if len(sel.IDs) > 0 || q.Model+q.Firmware+q.Status+q.Q+q.Upgrade != "" {
		if err := c.resolveSample(sel); err != nil {
			c.listFailed("upgrades", v, err)
			return
		}
		page.Selection = sel
		page.SelectionUpgrade = c.orgURL("upgrades/new") + sel.Href
		page.SelectionSchedule = c.orgURL("upgrade-schedule") + sel.Href
	}
	summary, err := u.d.Fleet.Recommendations(c.r.Context(), c.actor, c.org.ID)
	if err != nil {
		c.fail(err)
		return
	}
	cat, err := u.d.Firmware.Catalogue(c.r.Context())
	if err != nil {
		c.fail(err)
		return
	}
	for _, m := range summary {
		row := modelRow{ModelSummary: m}
		for _, mt := range cat.Models {
			if mt.Model != m.Model {
				continue
			}
			for _, tp := range mt.Tracks {
				if tp.Recommended != nil {
					row.Tracks = append(row.Tracks, trackRow{Label: c.trackLabel(tp.Track), Version: tp.Recommended.Version.String()})
				}
			}
		}
		q := deviceQuery{Model: m.Model, Folder: folder}
		row.Upgrade = q.href(c.orgURL("upgrades/new"))
		row.DevicesHref = q.href(c.orgURL("devices"))
		page.Models = append(page.Models, row)
	}
	c.render(http.StatusOK, "upgrades", v)
}

// versionOption is a version the upgrade form offers.
type versionOption struct {
	Value, Label string
	Selected     bool
}

// upgradeForm is the data of the upgrade form, its confirmation and its
// result.
type upgradeForm struct {
	Selection *selection
	Versions  []versionOption
	Folders   []folderOption // the first ring's folder
	Phased    []option
	// The confirmation: what will happen.
	Version     string // "" for the recommended
	VersionText string
	Rollout     *upgrade.RingSpec
	RolloutText []string
	Back        string
	// The result.
	Started *upgradeResult
}

// upgradeResult is what an upgrade request did.
type upgradeResult struct {
	Tasks      int
	Skipped    []skipRow
	TasksHref  string
	RolloutURL string
}

type skipRow struct{ Serial, Reason, Href string }

// upgradeFormView opens the upgrade form for Owners and Admins, with the
// selection resolved.
func (c *call) upgradeFormView() (*view, *upgradeForm, bool) {
	if !c.allowed(access.ManageUpgrades) {
		return nil, nil, false
	}
	v := c.view("upgrades.new.title", "devices")
	sel := c.readSelection()
	page := &upgradeForm{Selection: sel, Back: c.orgURL("upgrades")}
	v.Data = page
	if sel.empty() {
		c.failedTo("form.error.upgrade.start", "upgrade_new", v, errs.InvalidField("device", "upgrades.err.nothing"))
		return nil, nil, false
	}
	if err := c.resolveSample(sel); err != nil {
		c.failedTo("form.error.upgrade.start", "upgrade_new", v, err)
		return nil, nil, false
	}
	if sel.Count() == 0 {
		c.failedTo("form.error.upgrade.start", "upgrade_new", v, errs.InvalidField("device", "upgrades.err.none"))
		return nil, nil, false
	}
	fs, err := c.folders()
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	form := c.r.Form
	page.Folders = folderOptions(fs, form.Get("ring_folder"), "")
	cat, err := c.u.d.Firmware.Catalogue(c.r.Context())
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	version := strings.TrimSpace(form.Get("version"))
	page.Version = version
	page.Versions = []versionOption{{Value: "", Label: c.t("upgrades.version.recommended"), Selected: version == ""}}
	models := sel.Models()
	type vinfo struct {
		track  firmware.Track
		models []string
	}
	// A version is offered when it is newer than the version of one of the
	// devices of its model (a downgrade is for the API, with force).
	oldest := map[string]firmware.Version{}
	for _, d := range sel.Devices {
		if v, err := firmware.ParseVersion(d.Firmware); err == nil {
			if o, ok := oldest[d.Model]; !ok || v.Less(o) {
				oldest[d.Model] = v
			}
		}
	}
	byVersion := map[string]*vinfo{}
	var order []firmware.Version
	for _, r := range cat.Releases {
		if r.Withdrawn || !slices.Contains(models, r.Model) {
			continue
		}
		if o, ok := oldest[r.Model]; ok && !o.Less(r.Version) {
			continue
		}
		s := r.Version.String()
		if byVersion[s] == nil {
			byVersion[s] = &vinfo{track: r.Track}
			order = append(order, r.Version)
		}
		byVersion[s].models = append(byVersion[s].models, r.Model)
	}
	slices.SortFunc(order, func(a, b firmware.Version) int { return b.Compare(a) })
	for _, ver := range order {
		s := ver.String()
		vi := byVersion[s]
		label := s + " (" + c.trackLabel(vi.track) + ")"
		if len(models) > 1 {
			label += " · " + strings.Join(vi.models, ", ")
		}
		page.Versions = append(page.Versions, versionOption{Value: s, Label: label, Selected: s == version})
	}
	for _, k := range []string{"phased", "ring_count", "ring_percent", "soak_minutes", "failure_percent"} {
		v.Form[k] = form.Get(k)
	}
	if v.Form["soak_minutes"] == "" {
		v.Form["soak_minutes"] = strconv.Itoa(int(upgrade.DefaultSoak / time.Minute))
	}
	if v.Form["failure_percent"] == "" {
		v.Form["failure_percent"] = strconv.Itoa(upgrade.DefaultFailurePercent)
	}
	page.Phased = c.options(v.Form["phased"], "", "upgrades.phased.none", "count", "upgrades.phased.count",
		"percent", "upgrades.phased.percent", "folder", "upgrades.phased.folder")
	return v, page, true
}

func (u *UI) upgradeNewForm(c *call) {
	if v, _, ok := c.upgradeFormView(); ok {
		c.render(http.StatusOK, "upgrade_new", v)
	}
}

// ringSpec reads the phased rollout of the form, nil for none.
func (c *call) ringSpec(v *view) (*upgrade.RingSpec, error) {
	num := func(field string) (int, error) {
		s := strings.TrimSpace(v.Form[field])
		if s == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, errs.InvalidField(field, "upgrades.err.number")
		}
		return n, nil
	}
	var spec upgrade.RingSpec
	switch v.Form["phased"] {
	case "":
		return nil, nil
	case "count":
		n, err := num("ring_count")
		if err != nil {
			return nil, err
		}
		if n < 1 {
			return nil, errs.InvalidField("ring_count", "err.rollout.count")
		}
		spec.Count = n
	case "percent":
		n, err := num("ring_percent")
		if err != nil {
			return nil, err
		}
		if n < 1 || n > 99 {
			return nil, errs.InvalidField("ring_percent", "err.rollout.percent")
		}
		spec.Percent = n
	case "folder":
		spec.Folder = strings.TrimSpace(c.r.Form.Get("ring_folder"))
		if spec.Folder == "" {
			return nil, errs.InvalidField("ring_folder", "upgrades.err.ring_folder")
		}
	default:
		return nil, errs.InvalidField("phased", "upgrades.err.phased")
	}
	soak, err := num("soak_minutes")
	if err != nil {
		return nil, err
	}
	spec.Soak = time.Duration(soak) * time.Minute
	if spec.FailurePercent, err = num("failure_percent"); err != nil {
		return nil, err
	}
	if err := spec.Check(); err != nil {
		// The service names the API's fields; the form has its own.
		if e, ok := errs.As(err); ok {
			e.Field = strings.TrimPrefix(e.Field, "rollout.")
		}
		return nil, err
	}
	return &spec, nil
}

// upgradeStart reviews the upgrade (step "review": what will happen, to
// confirm), goes back to the form ("edit"), or starts it ("confirm") and
// shows what it did (FW-3, FW-7).
func (u *UI) upgradeStart(c *call) {
	v, page, ok := c.upgradeFormView()
	if !ok {
		return
	}
	step := c.r.PostFormValue("step")
	if step == "edit" {
		c.render(http.StatusOK, "upgrade_new", v)
		return
	}
	spec, err := c.ringSpec(v)
	if err != nil {
		c.failedTo("form.error.upgrade.start", "upgrade_new", v, err)
		return
	}
	if page.Version != "" && !slices.ContainsFunc(page.Versions, func(o versionOption) bool { return o.Value == page.Version }) {
		c.failedTo("form.error.upgrade.start", "upgrade_new", v, errs.InvalidField("version", "upgrades.err.version"))
		return
	}
	page.Rollout = spec
	page.VersionText = c.t("upgrades.confirm.recommended")
	if page.Version != "" {
		page.VersionText = c.t("upgrades.confirm.version", page.Version)
	}
	if spec != nil {
		switch {
		case spec.Count > 0:
			page.RolloutText = append(page.RolloutText, c.t("upgrades.confirm.ring.count", spec.Count))
		case spec.Percent > 0:
			page.RolloutText = append(page.RolloutText, c.t("upgrades.confirm.ring.percent", spec.Percent))
		default:
			path := spec.Folder
			for _, f := range page.Folders {
				if f.ID == spec.Folder {
					path = f.Path
				}
			}
			page.RolloutText = append(page.RolloutText, c.t("upgrades.confirm.ring.folder", path))
		}
		page.RolloutText = append(page.RolloutText, c.t("upgrades.confirm.soak", int(spec.Soak/time.Minute)),
			c.t("upgrades.confirm.threshold", spec.FailurePercent))
	}
	if step != "confirm" {
		c.render(http.StatusOK, "upgrade_confirm", v)
		return
	}
	req := upgrade.Request{Version: page.Version, Rollout: spec}
	sel := page.Selection
	if sel.Model != "" {
		req.Model, req.FolderID = sel.Model, sel.Folder
	} else {
		req.DeviceIDs = sel.ids()
	}
	st, err := u.d.Upgrades.Start(c.r.Context(), c.actor, c.org.ID, req)
	if e, ok := errs.As(err); ok {
		e.Field = strings.TrimPrefix(e.Field, "rollout.")
	}
	if err != nil {
		c.failedTo("form.error.upgrade.start", "upgrade_new", v, err)
		return
	}
	res := &upgradeResult{Tasks: len(st.Tasks), TasksHref: c.orgURL("tasks")}
	if st.Rollout != nil {
		res.RolloutURL = c.orgURL("rollouts/" + url.PathEscape(st.Rollout.ID))
		res.TasksHref = c.orgURL("tasks") + "?rollout=" + url.QueryEscape(st.Rollout.ID)
	}
	for _, s := range st.Skipped {
		res.Skipped = append(res.Skipped, skipRow{Serial: s.Serial, Reason: s.Reason.In(c.lang), Href: c.deviceURL(s.DeviceID)})
	}
	page.Started = res
	v.Title = c.t("upgrades.result.title")
	c.render(http.StatusOK, "upgrade_result", v)
}
