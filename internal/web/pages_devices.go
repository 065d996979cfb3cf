package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/device"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/org"
)

// devicesPageSize is the number of devices on one page of the list.
const devicesPageSize = 50

// deviceQuery is the Devices page's filters, as in its URL (DEV-4).
type deviceQuery struct {
	Folder, Model, Firmware, Status, Q, Sort, Upgrade string
}

func (c *call) deviceQuery() deviceQuery {
	f := fleet.ParseFilter(c.r.URL.Query())
	return deviceQuery{Folder: f.FolderID, Model: f.Model, Firmware: f.Firmware, Status: f.Status, Q: f.Query, Sort: f.Sort,
		Upgrade: f.Upgrade}
}

// values are the filters that are set, for links that keep them.
func (q deviceQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"folder": q.Folder, "model": q.Model, "firmware": q.Firmware,
		"status": q.Status, "q": q.Q, "sort": q.Sort, "upgrade": q.Upgrade} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

func (q deviceQuery) filter() fleet.Filter {
	return fleet.Filter{FolderID: q.Folder, Model: q.Model, Firmware: q.Firmware, Status: q.Status, Query: q.Q, Sort: q.Sort,
		Upgrade: q.Upgrade}
}

// href is path with the filters of q, plus extra parameters.
func (q deviceQuery) href(path string, extra ...string) string {
	v := q.values()
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if enc := v.Encode(); enc != "" {
		return path + "?" + enc
	}
	return path
}

// deviceRow is a device as the list and the device page show it.
type deviceRow struct {
	ID, Name, Serial, Model, Firmware string
	FolderID, Folder                  string // the folder's id and path
	Online                            bool
	// Rebooting: the device is away for the restart a reboot command asked
	// (fleet.Rebooting); its status says so instead of online or offline.
	Rebooting bool
	LastSeen  *time.Time
	ClaimedAt time.Time
	Href      string
	// UpgradeTo is the recommended version when an upgrade is recommended
	// (FW-2).
	UpgradeTo string
}

func (c *call) deviceRow(d fleet.Device, t org.Tree) deviceRow {
	fw := d.Firmware
	if fw == fleet.FirmwareUnknown {
		fw = c.t("devices.firmware.unknown")
	}
	return deviceRow{ID: d.ID, Name: d.Name, Serial: d.Serial, Model: d.Model, Firmware: fw,
		FolderID: d.FolderID, Folder: t.Path(d.FolderID), Online: d.Online(c.now(), c.u.d.Fleet.Heartbeat()),
		LastSeen: d.LastSeenAt, ClaimedAt: d.ClaimedAt, Href: c.deviceURL(d.ID), UpgradeTo: d.UpgradeTo}
}

func (c *call) deviceURL(id string) string { return c.orgURL("devices/" + url.PathEscape(id)) }

// option is a choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

func (c *call) options(selected string, pairs ...string) []option {
	var out []option
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, option{Value: pairs[i], Label: c.t(pairs[i+1]), Selected: pairs[i] == selected})
	}
	return out
}

// devicesPage is the data of the Devices page: the folder tree on the
// left, the filtered device list on the right.
type devicesPage struct {
	Tree     []*folderNode
	All      string // the list without a folder filter
	Selected *org.FolderView
	Devices  []deviceRow
	// Count is how many devices match the filters, on every page.
	Count int
	// Models and Firmwares are the values present in the folder shown, with
	// their counts, for the filters (DEV-4).
	Models    []option
	Firmwares []option
	Statuses  []option
	Upgrades  []option
	// Summary is, per model, the devices the member sees and their AXIS OS
	// recommendations (FW-2).
	Summary  []modelSummaryRow
	Sorts    []option
	Filtered bool
	// Next, Prev and First are the pages around this one (empty: none).
	Next, Prev, First string
	Export            string
	Clear             string
	ManageFolders     string
	CanManage         bool
	// Actions is the action menu above the list; Selection the hidden
	// fields that carry the list's filters to it ("select all N
	// matching").
	Actions   []bulkAction
	Selection []hiddenField
}

// modelSummaryRow is one model's line of the Devices page's AXIS OS
// summary, with a link to its devices that have a recommended upgrade.
type modelSummaryRow struct {
	firmware.ModelSummary
	Href string
}

// devicesView builds the Devices page around q. A folder the caller does
// not see is not found (ACC-2).
func (c *call) devicesView(q deviceQuery) (*view, *devicesPage, error) {
	fs, err := c.folders()
	if err != nil {
		return nil, nil, err
	}
	base := c.orgURL("devices")
	page := &devicesPage{CanManage: c.can(access.ManageFleet), Export: q.href(c.orgURL("devices/export.csv")),
		Clear: base, ManageFolders: c.orgURL("folders")}
	tree, byID := folderTree(fs)
	page.Tree = tree
	all := q
	all.Folder = ""
	page.All = all.href(base)
	if q.Folder != "" {
		n, ok := byID[q.Folder]
		if !ok {
			return nil, nil, errFolderNotFound(q.Folder)
		}
		n.Selected = true
		for i := range fs {
			if fs[i].ID == q.Folder {
				page.Selected = &fs[i]
			}
		}
		page.ManageFolders += "?folder=" + url.QueryEscape(q.Folder)
		page.Clear += "?folder=" + url.QueryEscape(q.Folder)
	}
	for _, n := range byID {
		in := q
		in.Folder = n.ID
		n.Href = in.href(base)
		n.Base = c.orgURL("folders/" + n.ID)
		n.Manage = page.CanManage
	}
	page.Filtered = q.Model != "" || q.Firmware != "" || q.Status != "" || q.Q != "" || q.Upgrade != ""
	page.Upgrades = c.options(q.Upgrade, "", "devices.upgrade.any", "yes", "devices.upgrade.yes", "no", "devices.upgrade.no")
	page.Statuses = c.options(q.Status, "", "devices.status.any", "online", "devices.online", "offline", "devices.offline")
	page.Sorts = c.options(q.Sort, "", "devices.sort.name", "-name", "devices.sort.name.desc", "serial", "devices.sort.serial",
		"model", "devices.sort.model", "firmware", "devices.sort.firmware", "-last_seen", "devices.sort.lastseen",
		"last_seen", "devices.sort.lastseen.asc", "-claimed", "devices.sort.claimed")
	v := c.view("devices.title", "devices")
	for k, s := range map[string]string{"model": q.Model, "firmware": q.Firmware, "status": q.Status, "q": q.Q, "sort": q.Sort} {
		v.Form[k] = s
	}
	v.Data = page
	return v, page, nil
}

// deviceList is the Devices page (DEV-4, ACC-1): the member's folders,
// and one page of the devices they see, filtered and sorted.
func (u *UI) deviceList(c *call) {
	q := c.deviceQuery()
	v, page, err := c.devicesView(q)
	if err != nil {
		c.fail(err)
		return
	}
	p, err := audit.ParsePage(c.r.URL.Query())
	cursor := p.Cursor
	if err != nil {
		c.listFailed("devices", v, err)
		return
	}
	page.Actions = c.bulkActions()
	base := c.orgURL("devices")
	ds, next, t, err := u.d.Fleet.List(c.r.Context(), c.actor, c.org.ID, q.filter(), fleet.Page{Limit: devicesPageSize, Cursor: cursor})
	if err != nil {
		c.listFailed("devices", v, err)
		return
	}
	summary, err := u.d.Fleet.Recommendations(c.r.Context(), c.actor, c.org.ID)
	if err != nil {
		c.listFailed("devices", v, err)
		return
	}
	for _, m := range summary {
		row := modelSummaryRow{ModelSummary: m}
		if m.UpgradeAvailable > 0 {
			row.Href = (deviceQuery{Model: m.Model, Upgrade: "yes"}).href(base)
		}
		page.Summary = append(page.Summary, row)
	}
	rebooting, err := u.d.Fleet.Rebooting(c.r.Context(), c.actor, c.org.ID, ds)
	if err != nil {
		c.fail(err)
		return
	}
	for _, d := range ds {
		row := c.deviceRow(d, t)
		row.Rebooting = rebooting[d.ID]
		page.Devices = append(page.Devices, row)
	}
	if page.Count, err = u.d.Fleet.Count(c.r.Context(), c.actor, c.org.ID, q.filter()); err != nil {
		c.listFailed("devices", v, err)
		return
	}
	values, err := u.d.Fleet.PropertyValues(c.r.Context(), c.actor, c.org.ID, q.Folder)
	if err != nil {
		c.listFailed("devices", v, err)
		return
	}
	page.Models = c.valueOptions(q.Model, values.Models)
	page.Firmwares = c.valueOptions(q.Firmware, values.Firmwares)
	page.Next, page.Prev, page.First = c.pageLinks(q, base, cursor, next)
	page.Selection = q.hidden()
	c.render(http.StatusOK, "devices", v)
}

// devicesCSV streams every device of the filtered list as CSV, the same
// export as the API's (DEV-4).
func (u *UI) devicesCSV(c *call) {
	out := edge.NewCSV(c.w, "devices-"+c.org.ID+".csv")
	if err := out.End(u.d.Log, c.r, u.d.Fleet.Export(c.r.Context(), c.actor, c.org.ID, c.deviceQuery().filter(), out)); err != nil {
		c.fail(err)
	}
}

// onboardPage is the data of the Add device and CSV import pages.
type onboardPage struct {
	Folders []folderOption
	Back    string
	// Import: the refused file's per-line report.
	Report  []fleet.ImportLine
	Refused string
	Max     int
}

// onboardView opens an onboarding page, for Owners and Admins (DEV-3).
func (c *call) onboardView(titleKey, folder string) (*view, bool) {
	if !c.allowed(access.ManageFleet) {
		return nil, false
	}
	fs, err := c.folders()
	if err != nil {
		c.fail(err)
		return nil, false
	}
	v := c.view(titleKey, "devices")
	back := c.orgURL("devices")
	if folder != "" {
		back += "?folder=" + url.QueryEscape(folder)
	}
	v.Data = &onboardPage{Folders: folderOptions(fs, folder, ""), Back: back, Max: fleet.MaxImportLines}
	return v, true
}

func (u *UI) addDeviceForm(c *call) {
	if v, ok := c.onboardView("devices.add.title", c.r.URL.Query().Get("folder")); ok {
		c.render(http.StatusOK, "device_add", v)
	}
}

// addDevice claims one device with its serial number and OAK (DEV-3). A
// wrong OAK reads exactly like an unknown serial: the service says so.
func (u *UI) addDevice(c *call) {
	in := fleet.ClaimInput{Serial: c.r.PostFormValue("serial"), OAK: c.r.PostFormValue("oak"),
		FolderID: c.r.PostFormValue("folder_id"), Name: c.r.PostFormValue("name")}
	v, ok := c.onboardView("devices.add.title", in.FolderID)
	if !ok {
		return
	}
	v.Form["serial"], v.Form["oak"], v.Form["name"] = in.Serial, in.OAK, in.Name
	d, err := u.d.Fleet.Claim(c.r.Context(), c.actor, c.org.ID, in)
	if err != nil {
		c.failedTo("form.error.device.add", "device_add", v, err)
		return
	}
	c.flash("flash.device.added", d.Name)
	c.redirect(c.deviceURL(d.ID))
}

func (u *UI) importForm(c *call) {
	if v, ok := c.onboardView("devices.import.title", ""); ok {
		c.render(http.StatusOK, "device_import", v)
	}
}

// importDevices claims the devices of a CSV file or of the text box, all
// or nothing (DEV-3). A refused file comes back with its per-line report.
func (u *UI) importDevices(c *call) {
	v, ok := c.onboardView("devices.import.title", "")
	if !ok {
		return
	}
	page := v.Data.(*onboardPage)
	text := c.r.PostFormValue("csv")
	var body io.Reader
	if f, hdr, err := c.r.FormFile("file"); err == nil {
		defer f.Close()
		if hdr.Size > 0 {
			body = f
		}
	}
	if body == nil {
		v.Form["csv"] = text // a file would have to be chosen again anyway
		if strings.TrimSpace(text) == "" {
			c.failedTo("form.error.device.import", "device_import", v, errs.InvalidField("csv", "devices.import.empty"))
			return
		}
		body = strings.NewReader(text)
	}
	ds, err := u.d.Fleet.Import(c.r.Context(), c.actor, c.org.ID, body)
	if err != nil {
		if rep, ok := errs.DetailsAs[fleet.ImportReport](err); ok {
			e, _ := errs.As(err)
			page.Report, page.Refused = rep.Localized(c.lang).Lines, e.In(c.lang)
			c.render(edge.Status(err), "device_import", v)
			return
		}
		c.failedTo("form.error.device.import", "device_import", v, err)
		return
	}
	c.flash("flash.devices.imported", strconv.Itoa(len(ds)))
	c.redirect(c.orgURL("devices") + "?sort=-claimed")
}

// commandView is a device command as the pages show it, refreshed live by
// app.js from its JSON (GW-2, DEV-6).
type commandView struct {
	ID, Type   string
	What       string // "Reboot", "Change the password of “x”"
	State      string
	StateLabel string
	Result     string
	Done       bool
	URL        string // its JSON
	Refresh    string // a page to reload once it is done, if any
}

func (c *call) commandView(cmd fleet.Command, refresh string) *commandView {
	cv := &commandView{ID: cmd.ID, Type: cmd.Type, State: cmd.State, StateLabel: c.t("command.state." + cmd.State),
		Result: cmd.Result, Done: cmd.Done(), URL: c.orgURL("commands/" + url.PathEscape(cmd.ID) + ".json"), Refresh: refresh}
	switch cmd.Type {
	case device.CmdReboot, device.CmdIdentify:
		cv.What = c.t("command.what." + cmd.Type)
	case device.CmdAccountCreate, device.CmdAccountPassword, device.CmdAccountDelete:
		var a device.AccountArgs
		_ = json.Unmarshal(cmd.Args, &a)
		cv.What = c.t("command.what."+cmd.Type, a.Username)
	default:
		cv.What = cmd.Type
	}
	if !hasKey("command.state." + cmd.State) {
		cv.StateLabel = cmd.State
	}
	return cv
}

// shownCommand loads the command named by ?cmd= when it is one of this
// device's; anything else shows no command.
func (c *call) shownCommand(deviceID, refresh string) *commandView {
	id := c.r.URL.Query().Get("cmd")
	if id == "" || len(id) > 100 {
		return nil
	}
	cmd, err := c.u.d.Fleet.Command(c.r.Context(), c.actor, c.org.ID, id)
	if err != nil || cmd.DeviceID != deviceID {
		return nil
	}
	return c.commandView(cmd, refresh)
}

// commandJSON is what the command endpoint answers.
type commandJSON struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	State      string `json:"state"`
	StateLabel string `json:"state_label"`
	Result     string `json:"result"`
	Done       bool   `json:"done"`
}

// commandState answers GET /orgs/{org}/commands/{id}.json with a command's
// state, for the pages that follow it live. Commands of devices the caller
// does not see are not found (ACC-2).
func (u *UI) commandState(c *call) {
	id, ok := strings.CutSuffix(c.r.PathValue("file"), ".json")
	if !ok || id == "" {
		c.notFound()
		return
	}
	cmd, err := u.d.Fleet.Command(c.r.Context(), c.actor, c.org.ID, id)
	if err != nil {
		c.jsonError(err)
		return
	}
	cv := c.commandView(cmd, "")
	c.writeJSON(http.StatusOK, commandJSON{ID: cv.ID, Type: cv.Type, State: cv.State, StateLabel: cv.StateLabel,
		Result: cv.Result, Done: cv.Done})
}

func (c *call) writeJSON(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.plainError()
		return
	}
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(append(b, '\n'))
}

// jsonError answers a JSON request that failed, with the status
// edge.Status gives and no internal detail.
func (c *call) jsonError(err error) {
	status := edge.Status(err)
	msg := c.t("error.notfound.body")
	if e, ok := errs.As(err); ok && status < 500 && status != http.StatusNotFound {
		msg = e.In(c.lang)
	}
	if status >= 500 {
		c.u.d.Log.ErrorContext(c.r.Context(), "web: internal error", "err", err, "path", c.r.URL.Path,
			"request_id", edge.RequestID(c.r.Context()))
		msg = c.t("error.internal.body")
	}
	c.writeJSON(status, map[string]string{"error": msg})
}

// devicePage is the data of a device's pages.
type devicePage struct {
	Device     deviceRow
	Command    *commandView
	CanControl bool
	CanManage  bool
	Folders    []folderOption // the Move page
	Accounts   []accountRow   // the accounts page
	Account    *accountRow    // an account's pages
	Roles      []option       // the new account's role
	Back       string         // the device page
}

// deviceView loads the device of the path: not found unless the caller
// sees it (ACC-2), then refused unless the caller's role allows action
// (empty: just seeing it).
func (c *call) deviceView(titleKey string, action access.Action) (*view, *devicePage, bool) {
	d, t, err := c.u.d.Fleet.Device(c.r.Context(), c.actor, c.org.ID, c.r.PathValue("id"))
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	if action != "" {
		if !c.allowed(action) {
			return nil, nil, false
		}
	}
	row := c.deviceRow(d, t)
	rebooting, err := c.u.d.Fleet.Rebooting(c.r.Context(), c.actor, c.org.ID, []fleet.Device{d})
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	row.Rebooting = rebooting[d.ID]
	page := &devicePage{Device: row, CanControl: c.can(access.ControlDevices), CanManage: c.can(access.ManageFleet),
		Back: row.Href}
	v := c.view(titleKey, "devices")
	v.Data = page
	return v, page, true
}

// devicePage shows a device: status, model, firmware, serial, folder,
// last seen (DEV-7), and the actions the caller's role allows.
func (u *UI) devicePage(c *call) {
	v, page, ok := c.deviceView("devices.device.title", "")
	if !ok {
		return
	}
	v.Title = page.Device.Name
	page.Command = c.shownCommand(page.Device.ID, "")
	if page.Command != nil && !page.Command.Done {
		v.Refresh = 3
	}
	c.render(http.StatusOK, "device", v)
}

// deviceAction sends reboot or identify (Operators and up) and shows the
// command on the device page. The device page asks to confirm a reboot
// first (rebootForm).
func (u *UI) deviceAction(c *call) {
	u.sendAction(c, c.r.PostFormValue("type"))
}

func (u *UI) sendAction(c *call, typ string) {
	cmd, err := u.d.Fleet.Action(c.r.Context(), c.actor, c.org.ID, c.r.PathValue("id"), typ)
	if err != nil {
		c.fail(err)
		return
	}
	c.redirect(c.deviceURL(cmd.DeviceID) + "?cmd=" + url.QueryEscape(cmd.ID))
}

// rebootForm says what a reboot does before the device is sent it
// (Operators and up).
func (u *UI) rebootForm(c *call) {
	if v, _, ok := c.deviceView("devices.reboot.title", access.ControlDevices); ok {
		c.render(http.StatusOK, "device_reboot", v)
	}
}

// reboot sends the confirmed reboot.
func (u *UI) reboot(c *call) { u.sendAction(c, device.CmdReboot) }

func (u *UI) renameDeviceForm(c *call) {
	v, page, ok := c.deviceView("devices.rename.title", access.ManageFleet)
	if !ok {
		return
	}
	v.Form["name"] = page.Device.Name
	c.render(http.StatusOK, "device_rename", v)
}

func (u *UI) renameDevice(c *call) {
	v, page, ok := c.deviceView("devices.rename.title", access.ManageFleet)
	if !ok {
		return
	}
	name := c.r.PostFormValue("name")
	v.Form["name"] = name
	d, err := u.d.Fleet.Update(c.r.Context(), c.actor, c.org.ID, page.Device.ID, fleet.DevicePatch{Name: &name})
	if err != nil {
		c.formFailed("device_rename", v, err)
		return
	}
	c.flash("flash.device.renamed", d.Name)
	c.redirect(page.Back)
}

func (c *call) moveDeviceView(folder string) (*view, *devicePage, bool) {
	v, page, ok := c.deviceView("devices.move.title", access.ManageFleet)
	if !ok {
		return nil, nil, false
	}
	fs, err := c.folders()
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	if folder == "" {
		folder = page.Device.FolderID
	}
	page.Folders = folderOptions(fs, folder, "")
	return v, page, true
}

func (u *UI) moveDeviceForm(c *call) {
	if v, _, ok := c.moveDeviceView(""); ok {
		c.render(http.StatusOK, "device_move", v)
	}
}

// moveDevice moves a device into another folder (DEV-4).
func (u *UI) moveDevice(c *call) {
	folder := c.r.PostFormValue("folder_id")
	v, page, ok := c.moveDeviceView(folder)
	if !ok {
		return
	}
	if _, err := u.d.Fleet.Update(c.r.Context(), c.actor, c.org.ID, page.Device.ID, fleet.DevicePatch{FolderID: &folder}); err != nil {
		c.failedTo("form.error.device.move", "device_move", v, err)
		return
	}
	path := folder
	for _, f := range page.Folders {
		if f.ID == folder {
			path = f.Path
		}
	}
	c.flash("flash.device.moved", path)
	c.redirect(page.Back)
}

func (u *UI) removeDeviceForm(c *call) {
	if v, _, ok := c.deviceView("devices.remove.title", access.ManageFleet); ok {
		c.render(http.StatusOK, "device_remove", v)
	}
}

// removeDevice removes a device from the organization once the risk is
// acknowledged (DEV-5).
func (u *UI) removeDevice(c *call) {
	v, page, ok := c.deviceView("devices.remove.title", access.ManageFleet)
	if !ok {
		return
	}
	if !c.acknowledged("device_remove", v) {
		return
	}
	if err := u.d.Fleet.Remove(c.r.Context(), c.actor, c.org.ID, page.Device.ID, true); err != nil {
		c.failedTo("form.error.device.remove", "device_remove", v, err)
		return
	}
	c.flash("flash.device.removed", page.Device.Name)
	c.redirect(c.orgURL("devices") + "?folder=" + url.QueryEscape(page.Device.FolderID))
}
