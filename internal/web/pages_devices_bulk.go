package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"mysystems/internal/access"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
)

// valueOptions are the choices of a filter over the values present: any,
// then each value with its number of devices. A value asked for that no
// device has (any more) stays offered, with none, so the page says what it
// filters by.
func (c *call) valueOptions(selected string, vs []fleet.Value) []option {
	out := []option{{Value: "", Label: c.t("devices.value.any"), Selected: selected == ""}}
	found := selected == ""
	for _, v := range vs {
		label := v.Value
		if v.Value == fleet.FirmwareUnknown {
			label = c.t("devices.firmware.unknown")
		}
		out = append(out, option{Value: v.Value, Label: c.t("devices.value.count", label, v.Devices), Selected: v.Value == selected})
		found = found || v.Value == selected
	}
	if !found {
		out = append(out, option{Value: selected, Label: c.t("devices.value.count", selected, 0), Selected: true})
	}
	return out
}

// The list's previous pages are carried in its links: "prev" holds the
// cursors of the pages before this one after the first, oldest first. The
// store's cursors are base64url, so a dot separates them.
const cursorSep = "."

func splitCursors(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, cursorSep)
}

// pageLinks are the next, previous and first pages around the page at
// cursor ("" for the first), whose following page starts at next.
func (c *call) pageLinks(q deviceQuery, base, cursor, next string) (nextURL, prevURL, firstURL string) {
	prevs := splitCursors(c.r.URL.Query().Get("prev"))
	link := func(cursor string, before []string) string {
		var extra []string
		if cursor != "" {
			extra = append(extra, "cursor", cursor)
		}
		if len(before) > 0 {
			extra = append(extra, "prev", strings.Join(before, cursorSep))
		}
		return q.href(base, extra...)
	}
	if next != "" {
		before := prevs
		if cursor != "" {
			before = append(slices.Clip(prevs), cursor)
		}
		nextURL = link(next, before)
	}
	if cursor != "" {
		firstURL = q.href(base)
		if n := len(prevs); n > 0 {
			prevURL = link(prevs[n-1], prevs[:n-1])
		} else {
			prevURL = firstURL
		}
	}
	return nextURL, prevURL, firstURL
}

// bulkAction is an item of the action menu above the device list: a
// page that acts on the devices checked in the list, or on every device
// matching its filters. The page receives, as query parameters, "device"
// (each checked id) or "all=matching" with the list's filters (folder,
// model, firmware, status, q, upgrade).
type bulkAction struct {
	ID, Label string
	Href      string
	// Link: a plain link, which needs no selection (Tasks).
	Link bool
}

// bulkActions are the action menu's items the caller's role allows.
func (c *call) bulkActions() []bulkAction {
	var out []bulkAction
	if c.can(access.ManageFleet) {
		out = append(out, bulkAction{ID: "bulk-move", Label: c.t("devices.bulk.move"), Href: c.orgURL("devices/move")})
	}
	if c.can(access.ManageUpgrades) {
		out = append(out,
			bulkAction{ID: "bulk-upgrade", Label: c.t("devices.bulk.upgrade"), Href: c.orgURL("upgrades/new")},
			bulkAction{ID: "bulk-schedule", Label: c.t("devices.bulk.schedule"), Href: c.orgURL("upgrade-schedule")},
			bulkAction{ID: "bulk-tasks", Label: c.t("devices.bulk.tasks"), Href: c.orgURL("tasks"), Link: true})
	}
	return out
}

// hiddenField is a name and value a form carries along.
type hiddenField struct{ Name, Value string }

// hidden are the filters of q as hidden fields, in a stable order.
func (q deviceQuery) hidden() []hiddenField {
	var out []hiddenField
	for _, f := range []hiddenField{{"folder", q.Folder}, {"model", q.Model}, {"firmware", q.Firmware}, {"status", q.Status},
		{"q", q.Q}, {"upgrade", q.Upgrade}} {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}

// selectAll is the value of "all" that selects every device matching the
// list's filters.
const selectAll = "matching"

// deviceSelection is the devices chosen on the list: the checked ids, or
// every device matching the list's filters, kept as the filters so that it
// means the matching devices when the action runs, not those of one page.
type deviceSelection struct {
	All   bool
	IDs   []string
	Query deviceQuery
}

func selectionOf(form url.Values) deviceSelection {
	f := fleet.ParseFilter(form)
	s := deviceSelection{All: form.Get("all") == selectAll, Query: deviceQuery{Folder: f.FolderID, Model: f.Model,
		Firmware: f.Firmware, Status: f.Status, Q: f.Query, Upgrade: f.Upgrade}}
	if !s.All {
		for _, id := range form["device"] {
			if id != "" && !slices.Contains(s.IDs, id) {
				s.IDs = append(s.IDs, id)
			}
		}
	}
	return s
}

// fields carry the selection to the next form.
func (s deviceSelection) fields() []hiddenField {
	out := s.Query.hidden()
	if s.All {
		return append(out, hiddenField{"all", selectAll})
	}
	for _, id := range s.IDs {
		out = append(out, hiddenField{"device", id})
	}
	return out
}

// maxBulk is the most devices one bulk action takes, as fleet.Move does.
const maxBulk = 1000

// count is how many devices the selection holds.
func (c *call) selectionCount(s deviceSelection) (int, error) {
	if !s.All {
		return len(s.IDs), nil
	}
	return c.u.d.Fleet.Count(c.r.Context(), c.actor, c.org.ID, s.Query.filter())
}

// ids resolves the selection into device ids: every device that matches
// its filters now, page after page, at most maxBulk.
func (c *call) selectionIDs(s deviceSelection) ([]string, error) {
	if !s.All {
		return s.IDs, nil
	}
	var ids []string
	cursor := ""
	for {
		ds, next, _, err := c.u.d.Fleet.List(c.r.Context(), c.actor, c.org.ID, s.Query.filter(), fleet.Page{Limit: maxBulk, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		if len(ids) > maxBulk {
			return nil, errs.InvalidField("device_ids", "err.devices.move_count")
		}
		if next == "" {
			return ids, nil
		}
		cursor = next
	}
}

// bulkMovePage is the data of the page that moves the selected devices.
type bulkMovePage struct {
	Count     int
	Selection []hiddenField
	Folders   []folderOption
	Back      string
}

// bulkMoveView opens the move of the devices selected on the list (DEV-4),
// for Owners and Admins. No selection goes back to the list, saying so.
func (c *call) bulkMoveView(form url.Values) (*view, *bulkMovePage, deviceSelection, bool) {
	s := selectionOf(form)
	if !c.allowed(access.ManageFleet) {
		return nil, nil, s, false
	}
	back := s.Query.href(c.orgURL("devices"))
	if !s.All && len(s.IDs) == 0 {
		c.flash("flash.devices.noselection", "")
		c.redirect(back)
		return nil, nil, s, false
	}
	if len(s.IDs) > maxBulk {
		c.fail(errs.InvalidField("device_ids", "err.devices.move_count"))
		return nil, nil, s, false
	}
	n, err := c.selectionCount(s)
	if err != nil {
		c.fail(err)
		return nil, nil, s, false
	}
	fs, err := c.folders()
	if err != nil {
		c.fail(err)
		return nil, nil, s, false
	}
	folder := form.Get("folder_id")
	if folder == "" {
		folder = s.Query.Folder
	}
	v := c.view("devices.bulk.move.title", "devices")
	page := &bulkMovePage{Count: n, Selection: s.fields(), Folders: folderOptions(fs, folder, ""), Back: back}
	v.Data = page
	return v, page, s, true
}

func (u *UI) bulkMoveForm(c *call) {
	if v, _, _, ok := c.bulkMoveView(c.r.URL.Query()); ok {
		c.render(http.StatusOK, "devices_move", v)
	}
}

// bulkMove moves the selected devices into one folder, all or nothing
// (DEV-4), then shows the list of that folder.
func (u *UI) bulkMove(c *call) {
	v, _, s, ok := c.bulkMoveView(c.r.PostForm)
	if !ok {
		return
	}
	folder := c.r.PostFormValue("folder_id")
	ids, err := c.selectionIDs(s)
	if err == nil && len(ids) == 0 {
		err = errs.InvalidField("device_ids", "err.devices.move_count")
	}
	if err == nil {
		err = u.d.Fleet.Move(c.r.Context(), c.actor, c.org.ID, ids, folder)
	}
	if err != nil {
		c.failedTo("form.error.devices.move", "devices_move", v, err)
		return
	}
	c.flash("flash.devices.moved", strconv.Itoa(len(ids)))
	c.redirect(c.orgURL("devices") + "?folder=" + url.QueryEscape(folder))
}
