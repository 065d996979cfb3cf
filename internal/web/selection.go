package web

import (
	"net/url"
	"slices"
	"strings"

	"mysystems/internal/errs"
	"mysystems/internal/fleet"
	"mysystems/internal/upgrade"
)

// selectionParams are the device list's filters that select "every device
// that matches" when no device is named (?device=ID, repeated).
var selectionParams = []string{"folder", "model", "firmware", "status", "upgrade", "q"}

// maxShown bounds the devices a confirmation lists by name.
const maxShown = 20

// selection is the devices the upgrade and scheduling pages act on, as the
// device list's action menu links to them: ?device=ID repeated, or the
// list's filters, meaning every device that matches.
type selection struct {
	IDs     []string    // named devices
	Query   deviceQuery // the filters, when no device is named
	Devices []deviceRow // the devices, resolved
	// Model and Folder, when the filters are only those: an upgrade of a
	// model within a folder (the service then picks the devices itself).
	Model, Folder string
	Fields        []hiddenField // the selection, for forms
	Href          string        // the query string of the selection, "?…" or ""
	// total counts the matching devices when Devices holds only the first
	// ones (resolveSample).
	total int
}

// Count is the number of selected devices.
func (s *selection) Count() int { return max(s.total, len(s.Devices)) }

// Shown are the first devices, for a confirmation to name.
func (s *selection) Shown() []deviceRow {
	if len(s.Devices) > maxShown {
		return s.Devices[:maxShown]
	}
	return s.Devices
}

// More is how many devices Shown leaves out.
func (s *selection) More() int { return max(0, s.Count()-maxShown) }

// Models are the selected devices' models, sorted.
func (s *selection) Models() []string {
	if s.Model != "" {
		return []string{s.Model}
	}
	var out []string
	for _, d := range s.Devices {
		if !slices.Contains(out, d.Model) {
			out = append(out, d.Model)
		}
	}
	slices.Sort(out)
	return out
}

// readSelection reads the selection from the query string of a GET or the
// fields of a POST.
func (c *call) readSelection() *selection {
	_ = c.r.ParseForm()
	form := c.r.Form
	s := &selection{}
	seen := map[string]bool{}
	// From the device list's form: "all=matching" means every device
	// matching its filters (checked boxes then do not count), and nothing
	// checked is nothing selected (the form carries the list's filters
	// along). A link with filters alone means every matching device.
	all := form.Get("all") == selectAll
	fromList := form.Get("from") == "list"
	ids := form["device"]
	if all {
		ids = nil
	}
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !seen[id] {
			seen[id] = true
			s.IDs = append(s.IDs, id)
		}
	}
	v := url.Values{}
	switch {
	case len(s.IDs) > 0:
		v["device"] = s.IDs
	case fromList && !all:
		// nothing checked
	default:
		f := fleet.ParseFilter(form)
		s.Query = deviceQuery{Folder: f.FolderID, Model: f.Model, Firmware: f.Firmware, Status: f.Status, Q: f.Query, Upgrade: f.Upgrade}
		v = s.Query.values()
		if s.Query.Model != "" && s.Query.Firmware == "" && s.Query.Status == "" && s.Query.Q == "" && s.Query.Upgrade == "" {
			s.Model, s.Folder = s.Query.Model, s.Query.Folder
		}
		if all {
			v.Set("all", selectAll)
		}
	}
	for _, k := range append([]string{"device", "all"}, selectionParams...) {
		for _, val := range v[k] {
			s.Fields = append(s.Fields, hiddenField{Name: k, Value: val})
		}
	}
	if enc := v.Encode(); enc != "" {
		s.Href = "?" + enc
	}
	return s
}

// empty reports whether nothing at all was selected.
func (s *selection) empty() bool { return len(s.Fields) == 0 }

// resolve loads the selected devices the caller sees: each named device
// (one it does not see is not found, ACC-2), or every device matching the
// filters.
func (c *call) resolve(s *selection) error { return c.resolveSelection(s, false) }

// resolveSample is resolve for a page that needs only the number of
// devices and the first ones when the selection is a model in a folder (an
// upgrade of a model, which the service resolves itself, however many).
func (c *call) resolveSample(s *selection) error { return c.resolveSelection(s, s.Model != "") }

func (c *call) resolveSelection(s *selection, sample bool) error {
	if s.empty() {
		return nil
	}
	if len(s.IDs) > upgrade.MaxIDs {
		return errs.InvalidField("device", "err.upgrade.ids_many", upgrade.MaxIDs)
	}
	if len(s.IDs) > 0 {
		for _, id := range s.IDs {
			d, t, err := c.u.d.Fleet.Device(c.r.Context(), c.actor, c.org.ID, id)
			if err != nil {
				return err
			}
			s.Devices = append(s.Devices, c.deviceRow(d, t))
		}
		return nil
	}
	p := fleet.Page{Limit: 500}
	for {
		ds, next, t, err := c.u.d.Fleet.List(c.r.Context(), c.actor, c.org.ID, s.Query.filter(), p)
		if err != nil {
			return err
		}
		for _, d := range ds {
			s.total++
			if !sample || len(s.Devices) < maxShown {
				s.Devices = append(s.Devices, c.deviceRow(d, t))
			}
		}
		if !sample && len(s.Devices) > upgrade.MaxIDs {
			return errs.InvalidField("device", "err.upgrade.ids_many", upgrade.MaxIDs)
		}
		if next == "" {
			return nil
		}
		p.Cursor = next
	}
}

// ids are the selected devices' ids.
func (s *selection) ids() []string {
	out := make([]string, len(s.Devices))
	for i, d := range s.Devices {
		out[i] = d.ID
	}
	return out
}
