package fleet

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"

	"mysystems/internal/device"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/i18n"
	"mysystems/internal/license"
	"mysystems/internal/org"
)

func errNoDevice(id string) error { return errs.NotFoundf("err.device.not_found", id) }

// ImportLine is one line's outcome in a bulk onboarding report.
type ImportLine struct {
	Line   int    `json:"line"`
	Serial string `json:"serial"`
	Error  string `json:"error,omitempty"`
	// Err is the line's error, for its message in the reader's language
	// (Error is its English text).
	Err *errs.Error `json:"-"`
}

// fail records err as the line's error.
func (l *ImportLine) fail(err error) {
	l.Error = message(err)
	l.Err, _ = errs.As(err)
}

// ImportReport is the detail of a refused import: every line with its
// error, if any; in JSON {"lines": [...]}.
type ImportReport struct {
	Lines []ImportLine `json:"lines"`
}

// Localized returns the report with each line's error in lang.
func (r ImportReport) Localized(lang string) ImportReport {
	lines := make([]ImportLine, len(r.Lines))
	for i, l := range r.Lines {
		if l.Err != nil {
			l.Error = l.Err.In(lang)
		}
		lines[i] = l
	}
	return ImportReport{Lines: lines}
}

// DetailsIn is Localized, for the API's answer in the request's language
// (errs.LocalDetails).
func (r ImportReport) DetailsIn(lang string) any { return r.Localized(lang) }

// MaxImportLines bounds one CSV import.
const MaxImportLines = 10000

// Import claims devices from a CSV of serial,oak,folder path (DEV-3), all or
// nothing: if any line fails none is claimed, and the error's Details carry
// the per-line report. A header line is optional. Folder paths are names
// from below the root joined by "/" (empty: the root folder).
func (s *Service) Import(ctx context.Context, actor audit.Actor, orgID string, r io.Reader) ([]Device, error) {
	rows, err := readImport(r)
	if err != nil {
		return nil, err
	}
	var out []Device
	bad := 0
	// An import counts as one failed claim in advance (see reserveClaim);
	// its other wrong rows are counted after it.
	hits, err := s.reserveClaim(ctx, orgID, actor.ClientAddr)
	if err != nil {
		return nil, err
	}
	err = s.store.Write(ctx, func(tx Tx) error {
		_, _, t, err := Enter(ctx, tx, actor, orgID, access.ManageFleet)
		if err != nil {
			return err
		}
		var report []ImportLine
		failed := false
		seen := map[string]int{}
		out = out[:0]
		for _, row := range rows {
			line := ImportLine{Line: row.line, Serial: row.serial}
			folder, ferr := folderByPath(t, row.folder)
			serial, serr := NormalizeSerial(row.serial)
			switch {
			case serr != nil:
				line.fail(serr)
			case seen[serial] != 0:
				line.fail(errs.E(errs.Invalid, "err.import.repeated", seen[serial]))
			case ferr != nil:
				line.fail(ferr)
			default:
				seen[serial] = row.line
				d, err := s.claim(ctx, tx, actor, t, ClaimInput{Serial: serial, OAK: row.oak, FolderID: folder})
				if err != nil {
					if errs.CodeOf(err) == errs.Internal {
						return err
					}
					if errors.Is(err, errBadClaim) {
						bad++
					}
					line.fail(err)
				} else {
					out = append(out, d)
				}
			}
			failed = failed || line.Error != ""
			report = append(report, line)
		}
		if failed {
			n := 0
			for _, l := range report {
				if l.Error != "" {
					n++
				}
			}
			e := errs.InvalidField("csv", "err.import.refused", n, len(report))
			e.Details = ImportReport{Lines: report}
			return e
		}
		return nil
	})
	switch {
	case bad == 0:
		s.takeBackClaim(ctx, hits)
	case bad > 1:
		s.countBadClaims(ctx, orgID, actor.ClientAddr, bad-1)
	}
	if err != nil {
		return nil, err
	}
	for _, d := range out {
		s.wake(orgID, d.Serial) // as Claim does
	}
	return out, nil
}

func message(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Message
	}
	return err.Error()
}

// csvProblem is a CSV syntax error shown in the reader's language: the
// reader's own words in English, the kind of mistake in other languages.
type csvProblem struct{ err error }

func (p csvProblem) In(lang string) string {
	if lang == i18n.Default {
		return p.err.Error()
	}
	key, col := "err.csv.syntax", 0
	var pe *csv.ParseError
	if errors.As(p.err, &pe) {
		col = pe.Column
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			key = "err.csv.bare_quote"
		case errors.Is(pe.Err, csv.ErrQuote):
			key = "err.csv.quote"
		}
	}
	return i18n.T(lang, key, col)
}

type importRow struct {
	line                int
	serial, oak, folder string
}

func readImport(r io.Reader) ([]importRow, error) {
	cr := csv.NewReader(io.LimitReader(r, 4<<20))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var rows []importRow
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errs.InvalidField("csv", "err.import.csv", line, csvProblem{err})
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if line == 1 && strings.EqualFold(strings.TrimSpace(rec[0]), "serial") {
			continue
		}
		if len(rec) < 2 || len(rec) > 3 {
			return nil, errs.InvalidField("csv", "err.import.columns", line, len(rec))
		}
		row := importRow{line: line, serial: strings.TrimSpace(rec[0]), oak: strings.TrimSpace(rec[1])}
		if len(rec) == 3 {
			row.folder = strings.TrimSpace(rec[2])
		}
		rows = append(rows, row)
		if len(rows) > MaxImportLines {
			return nil, errs.InvalidField("csv", "err.import.too_many", MaxImportLines)
		}
	}
	if len(rows) == 0 {
		return nil, errs.InvalidField("csv", "err.import.no_lines")
	}
	return rows, nil
}

// folderByPath resolves "Site A/Lobby" (below the root; the root's own name
// may lead) to a folder id.
func folderByPath(t org.Tree, path string) (string, error) {
	id := t.RootID
	parts := strings.Split(strings.Trim(path, "/ "), "/")
	if len(parts) > 0 && strings.EqualFold(strings.TrimSpace(parts[0]), t.ByID[t.RootID].Name) {
		parts = parts[1:]
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		next := ""
		for _, c := range t.Children[id] {
			if strings.EqualFold(t.ByID[c].Name, p) {
				next = c
				break
			}
		}
		if next == "" {
			return "", errs.InvalidField("folder", "err.import.folder", i18n.Quoted(p), t.Path(id))
		}
		id = next
	}
	return id, nil
}

// VisibleFolders turns the member's access and a folder filter into the set
// of folders to list (nil: all).
func VisibleFolders(t org.Tree, m org.Membership, folder string) ([]string, error) {
	var base []string // nil = everything
	if !m.Role.SeesAllFolders() {
		base = []string{}
		for _, f := range t.Visible(m.Role, m.Granted()) {
			base = append(base, f.ID)
		}
	}
	if folder == "" {
		return base, nil
	}
	if !t.Sees(m.Role, m.Granted(), folder) {
		return nil, errs.NotFoundf("err.folder.not_found", folder)
	}
	return t.Subtree(folder), nil
}

// List returns one page of the devices the actor sees (DEV-4, ACC-1), and
// the folder tree to name their folders.
func (s *Service) List(ctx context.Context, actor audit.Actor, orgID string, f Filter, p Page) ([]Device, string, org.Tree, error) {
	if err := checkFilter(&f); err != nil {
		return nil, "", org.Tree{}, err
	}
	releases, err := s.releases(ctx)
	if err != nil {
		return nil, "", org.Tree{}, err
	}
	var out []Device
	var next string
	var t org.Tree
	err = s.store.Read(ctx, func(tx Tx) error {
		var err error
		if t, err = s.resolveFilter(ctx, tx, actor, orgID, releases, &f); err != nil {
			return err
		}
		if f.Folders != nil && len(f.Folders) == 0 {
			out = []Device{}
			return nil
		}
		out, next, err = tx.Devices(ctx, orgID, f, p.Normalize(50, 1000))
		return err
	})
	advise(releases, out)
	return out, next, t, err
}

// Count is how many devices the actor sees match f: the size of the whole
// filtered list that List pages through (DEV-4).
func (s *Service) Count(ctx context.Context, actor audit.Actor, orgID string, f Filter) (int, error) {
	if err := checkFilter(&f); err != nil {
		return 0, err
	}
	releases, err := s.releases(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.store.Read(ctx, func(tx Tx) error {
		if _, err := s.resolveFilter(ctx, tx, actor, orgID, releases, &f); err != nil || f.Folders != nil && len(f.Folders) == 0 {
			return err
		}
		var err error
		n, err = tx.CountDevices(ctx, orgID, f)
		return err
	})
	return n, err
}

// resolveFilter sets what the store needs of f from the actor's access
// (Folders), the clock (OnlineSince) and the catalogue (Upgradable). It
// returns the organization's folder tree.
func (s *Service) resolveFilter(ctx context.Context, tx Tx, actor audit.Actor, orgID string, releases []firmware.Release, f *Filter) (org.Tree, error) {
	_, m, t, err := Enter(ctx, tx, actor, orgID, access.ViewDevices)
	if err != nil {
		return t, err
	}
	if f.Folders, err = VisibleFolders(t, m, f.FolderID); err != nil {
		return t, err
	}
	if f.Folders != nil && len(f.Folders) == 0 {
		return t, nil
	}
	f.OnlineSince = s.clock.Now().Add(-OnlineWindow(s.cfg.Heartbeat))
	if f.Upgrade != "" {
		vs, err := tx.DeviceVersions(ctx, orgID, f.Folders)
		if err != nil {
			return t, err
		}
		installed := make([]firmware.Installed, len(vs))
		for i, v := range vs {
			installed[i] = v.Installed
		}
		f.Upgradable = firmware.Upgradable(releases, installed)
	}
	return t, nil
}

// Value is one value of a device property with how many devices have it.
type Value struct {
	Value   string
	Devices int
}

// Values are the models and firmware versions present among devices, for
// the list's filters to offer.
type Values struct {
	Models, Firmwares []Value
}

// ValuesOf groups counted (model, firmware) pairs into the models and the
// firmware versions present, each sorted, with their device counts.
func ValuesOf(vs []firmware.Counted) Values {
	models, firmwares := map[string]int{}, map[string]int{}
	for _, v := range vs {
		models[v.Model] += v.Devices
		firmwares[v.Firmware] += v.Devices
	}
	sorted := func(m map[string]int) []Value {
		out := make([]Value, 0, len(m))
		for k, n := range m {
			out = append(out, Value{Value: k, Devices: n})
		}
		slices.SortFunc(out, func(a, b Value) int { return strings.Compare(a.Value, b.Value) })
		return out
	}
	return Values{Models: sorted(models), Firmwares: sorted(firmwares)}
}

// PropertyValues are the models and firmware versions of the devices the
// actor sees in folder and below (every visible folder when folder is
// ""), with their counts, read as one grouped query (DEV-4).
func (s *Service) PropertyValues(ctx context.Context, actor audit.Actor, orgID, folder string) (Values, error) {
	var vs []firmware.Counted
	err := s.store.Read(ctx, func(tx Tx) error {
		_, m, t, err := Enter(ctx, tx, actor, orgID, access.ViewDevices)
		if err != nil {
			return err
		}
		folders, err := VisibleFolders(t, m, folder)
		if err != nil || folders != nil && len(folders) == 0 {
			return err
		}
		vs, err = tx.DeviceVersions(ctx, orgID, folders)
		return err
	})
	if err != nil {
		return Values{}, err
	}
	return ValuesOf(vs), nil
}

// advise sets the recommended upgrade of each device (FW-2).
func advise(releases []firmware.Release, ds []Device) {
	for i := range ds {
		if a := firmware.Recommendation(releases, ds[i].Model, ds[i].Firmware); a.Upgrade {
			ds[i].UpgradeTo = a.Recommended.String()
		}
	}
}

// Recommendations summarizes, per model, the devices the actor sees: how
// many, how many on the recommended version of their track, how many with
// an upgrade available (FW-2), counted in the actor's visible folders.
func (s *Service) Recommendations(ctx context.Context, actor audit.Actor, orgID string) ([]firmware.ModelSummary, error) {
	releases, err := s.releases(ctx)
	if err != nil {
		return nil, err
	}
	var vs []firmware.Counted
	err = s.store.Read(ctx, func(tx Tx) error {
		_, m, t, err := Enter(ctx, tx, actor, orgID, access.ViewDevices)
		if err != nil {
			return err
		}
		folders, err := VisibleFolders(t, m, "")
		if err != nil || folders != nil && len(folders) == 0 {
			return err
		}
		vs, err = tx.DeviceVersions(ctx, orgID, folders)
		return err
	})
	if err != nil {
		return nil, err
	}
	return firmware.SummarizeCounted(releases, vs), nil
}

var sorts = map[string]bool{"name": true, "serial": true, "model": true, "firmware": true, "last_seen": true, "claimed": true}

func checkFilter(f *Filter) error {
	key := strings.TrimPrefix(f.Sort, "-")
	if f.Sort != "" && !sorts[key] {
		return errs.InvalidField("sort", "err.devices.sort")
	}
	switch f.Status {
	case "", "online", "offline":
	default:
		return errs.InvalidField("status", "err.devices.status")
	}
	switch f.Upgrade {
	case "", "yes", "no":
	default:
		return errs.InvalidField("upgrade", "err.devices.upgrade_filter")
	}
	if len(f.Query) > 100 {
		return errs.InvalidField("q", "err.devices.q_too_long")
	}
	return nil
}

// Device returns one device the actor sees; others are not found (ACC-2).
func (s *Service) Device(ctx context.Context, actor audit.Actor, orgID, id string) (Device, org.Tree, error) {
	var d Device
	var tree org.Tree
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		d, tree, _, err = s.visibleDevice(ctx, tx, actor, orgID, id, access.ViewDevices)
		return err
	})
	if err != nil {
		return d, tree, err
	}
	releases, err := s.releases(ctx)
	ds := []Device{d}
	advise(releases, ds)
	return ds[0], tree, err
}

// visibleDevice loads a device the actor sees, then checks the action: a
// device outside the actor's folders is not found whatever the action. It
// also returns the folder tree and the actor's membership.
func (s *Service) visibleDevice(ctx context.Context, tx Tx, actor audit.Actor, orgID, id string, action access.Action) (Device, org.Tree, org.Membership, error) {
	return s.findDevice(ctx, tx, actor, orgID, id, action, true)
}

// seesDevice is visibleDevice for callers that need no folder tree: a
// member who sees every folder is checked without loading it (issuing a
// command in a 1,200-folder organization then holds the writer for the
// insert, not for reading and building the tree).
func (s *Service) seesDevice(ctx context.Context, tx Tx, actor audit.Actor, orgID, id string, action access.Action) (Device, error) {
	d, _, _, err := s.findDevice(ctx, tx, actor, orgID, id, action, false)
	return d, err
}

func (s *Service) findDevice(ctx context.Context, tx Tx, actor audit.Actor, orgID, id string, action access.Action, withTree bool) (Device, org.Tree, org.Membership, error) {
	_, m, err := org.EnterTx(ctx, tx, actor, orgID)
	if err != nil {
		return Device{}, org.Tree{}, m, err
	}
	var t org.Tree
	// A member who sees every folder sees every device of the
	// organization: the tree is needed only to check anyone else.
	checkFolders := !m.Role.SeesAllFolders()
	if withTree || checkFolders {
		folders, err := tx.Folders(ctx, orgID)
		if err != nil {
			return Device{}, t, m, err
		}
		t = org.NewTree(folders)
	}
	d, err := tx.Device(ctx, orgID, id)
	if errs.Is(err, errs.NotFound) || err == nil && checkFolders && !t.Sees(m.Role, m.Granted(), d.FolderID) {
		return Device{}, t, m, errNoDevice(id)
	}
	if err != nil {
		return Device{}, t, m, err
	}
	return d, t, m, access.Check(m.Role, action)
}

// DevicePatch renames or moves a device; nil is unchanged.
type DevicePatch struct {
	Name     *string
	FolderID *string
}

// Update renames and/or moves a device (DEV-4).
func (s *Service) Update(ctx context.Context, actor audit.Actor, orgID, id string, p DevicePatch) (Device, error) {
	var d Device
	err := s.store.Write(ctx, func(tx Tx) error {
		var t org.Tree
		var err error
		d, t, _, err = s.visibleDevice(ctx, tx, actor, orgID, id, access.ManageFleet)
		if err != nil {
			return err
		}
		details := map[string]any{}
		if p.Name != nil {
			n, err := account.CheckName("name", *p.Name)
			if err != nil {
				return err
			}
			if n != d.Name {
				details["name"] = map[string]string{"from": d.Name, "to": n}
				d.Name = n
			}
		}
		if p.FolderID != nil && *p.FolderID != d.FolderID {
			if _, ok := t.ByID[*p.FolderID]; !ok {
				return errs.InvalidField("folder_id", "err.folder.not_found", *p.FolderID)
			}
			details["folder"] = map[string]string{"from": t.Path(d.FolderID), "to": t.Path(*p.FolderID)}
			d.FolderID = *p.FolderID
		}
		if len(details) == 0 {
			return nil
		}
		if err := tx.UpdateDevice(ctx, d); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: s.clock.Now(), Actor: actor, Action: audit.DeviceUpdate,
			TargetType: "device", TargetID: d.ID, Details: details})
	})
	return d, err
}

// Move moves several devices into one folder, all or nothing.
func (s *Service) Move(ctx context.Context, actor audit.Actor, orgID string, ids []string, folderID string) error {
	if len(ids) == 0 || len(ids) > 1000 {
		return errs.InvalidField("device_ids", "err.devices.move_count")
	}
	return s.store.Write(ctx, func(tx Tx) error {
		_, _, t, err := Enter(ctx, tx, actor, orgID, access.ManageFleet)
		if err != nil {
			return err
		}
		if _, ok := t.ByID[folderID]; !ok {
			return errs.InvalidField("folder_id", "err.folder.not_found", folderID)
		}
		now := s.clock.Now()
		for _, id := range ids {
			d, err := tx.Device(ctx, orgID, id)
			if errs.Is(err, errs.NotFound) {
				return errNoDevice(id)
			}
			if err != nil {
				return err
			}
			if d.FolderID == folderID {
				continue
			}
			from := d.FolderID
			d.FolderID = folderID
			if err := tx.UpdateDevice(ctx, d); err != nil {
				return err
			}
			if err := tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.DeviceUpdate,
				TargetType: "device", TargetID: d.ID, Details: map[string]any{"folder": map[string]string{"from": t.Path(from), "to": t.Path(folderID)}}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Remove removes a device from the organization (DEV-5) after explicit
// confirmation. Its history stays in the audit log; to come back it must be
// claimed again and becomes a new record. The gateway is told the device's
// organization changed.
func (s *Service) Remove(ctx context.Context, actor audit.Actor, orgID, id string, confirm bool) error {
	var serial string
	err := s.store.Write(ctx, func(tx Tx) error {
		d, err := s.seesDevice(ctx, tx, actor, orgID, id, access.ManageFleet)
		if err != nil {
			return err
		}
		if !confirm {
			return errs.InvalidField("confirm", "err.device.remove_confirm")
		}
		if err := tx.DeleteDevice(ctx, orgID, id); err != nil {
			return err
		}
		if err := tx.SetClaim(ctx, d.Serial, "", ""); err != nil {
			return err
		}
		if err := tx.FailOpenCommands(ctx, orgID, d.Serial, "the device was removed from the organization", s.clock.Now()); err != nil {
			return err
		}
		serial = d.Serial
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: s.clock.Now(), Actor: actor, Action: audit.DeviceRemove,
			TargetType: "device", TargetID: d.ID, Details: map[string]any{"serial": d.Serial, "model": d.Model, "name": d.Name}})
	})
	if err == nil {
		s.wake("", serial)
	}
	return err
}

// command writes a command for a device and wakes its long-poll after the
// commit.
func (s *Service) command(ctx context.Context, tx Tx, actor audit.Actor, d Device, typ string, args any, auditDetails map[string]any) (Command, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return Command{}, errs.Wrap(err, "command args")
	}
	now := s.clock.Now()
	c := Command{ID: account.NewID("cmd_"), OrgID: d.OrgID, DeviceID: d.ID, Serial: d.Serial, Type: typ, Args: raw,
		State: device.StatePending, CreatedBy: actor.ID, CreatedAt: now}
	if err := tx.CreateCommand(ctx, c); err != nil {
		return Command{}, err
	}
	if auditDetails == nil {
		auditDetails = map[string]any{}
	}
	auditDetails["command"] = c.ID
	return c, tx.RecordAudit(ctx, audit.Entry{OrgID: d.OrgID, At: now, Actor: actor, Action: "device." + typ,
		TargetType: "device", TargetID: d.ID, Details: auditDetails})
}

func (s *Service) wake(orgID, serial string) {
	if s.notify != nil {
		s.notify.Notify(orgID, serial)
	}
}

// Action sends reboot or identify to a device (Operators and up).
func (s *Service) Action(ctx context.Context, actor audit.Actor, orgID, id, typ string) (Command, error) {
	if err := device.CheckAction(typ); err != nil {
		return Command{}, err
	}
	var c Command
	err := s.store.Write(ctx, func(tx Tx) error {
		d, err := s.seesDevice(ctx, tx, actor, orgID, id, access.ControlDevices)
		if err != nil {
			return err
		}
		c, err = s.command(ctx, tx, actor, d, typ, struct{}{}, nil)
		return err
	})
	if err == nil {
		s.wake(c.OrgID, c.Serial)
	}
	return c, err
}

// Rebooting reports which of ds, devices of the organization that the
// actor was shown, are restarting after a reboot command (see the rule
// Rebooting), by device id.
func (s *Service) Rebooting(ctx context.Context, actor audit.Actor, orgID string, ds []Device) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ds) == 0 {
		return out, nil
	}
	now := s.clock.Now()
	serials := make([]string, 0, len(ds))
	for _, d := range ds {
		serials = append(serials, d.Serial)
	}
	var last map[string]Command
	err := s.store.Read(ctx, func(tx Tx) error {
		if _, _, _, err := Enter(ctx, tx, actor, orgID, access.ViewDevices); err != nil {
			return err
		}
		var err error
		last, err = tx.LatestCommands(ctx, orgID, device.CmdReboot, serials, now.Add(-rebootLookback))
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if c, ok := last[d.ID]; ok && Rebooting(d, &c, now, s.cfg.Heartbeat) {
			out[d.ID] = true
		}
	}
	return out, nil
}

// Command returns a command's state; only for devices the actor sees.
func (s *Service) Command(ctx context.Context, actor audit.Actor, orgID, id string) (Command, error) {
	var c Command
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		c, err = tx.Command(ctx, orgID, id)
		if errs.Is(err, errs.NotFound) {
			return errs.NotFoundf("err.command.not_found", id)
		}
		if err != nil {
			return err
		}
		_, err = s.seesDevice(ctx, tx, actor, orgID, c.DeviceID, access.ViewDevices)
		if errs.Is(err, errs.NotFound) {
			return errs.NotFoundf("err.command.not_found", id)
		}
		return err
	})
	return c, err
}

// Accounts lists a device's local accounts as it last reported them
// (DEV-6; Admins and Owners).
func (s *Service) Accounts(ctx context.Context, actor audit.Actor, orgID, id string) ([]device.Account, error) {
	var out []device.Account
	err := s.store.Read(ctx, func(tx Tx) error {
		_, rep, err := s.accountsOf(ctx, tx, actor, orgID, id)
		if err != nil {
			return err
		}
		out = rep.Accounts
		if out == nil {
			out = []device.Account{}
		}
		return nil
	})
	return out, err
}

// accountsOf finds a device whose accounts the actor may manage (DEV-6)
// and what it last reported.
func (s *Service) accountsOf(ctx context.Context, tx Tx, actor audit.Actor, orgID, id string) (Device, Reported, error) {
	d, err := s.seesDevice(ctx, tx, actor, orgID, id, access.ManageFleet)
	if err != nil {
		return Device{}, Reported{}, err
	}
	rep, err := tx.Reported(ctx, d.Serial)
	return d, rep, err
}

// AccountChange is a device account operation.
type AccountChange struct {
	Op       string // account.create, account.password, account.delete
	Username string
	Role     string
	Password string
}

// ChangeAccount sends an account change to a device (DEV-6). The password
// is checked here, then sealed to the device's public key: the portal never
// stores or logs it.
func (s *Service) ChangeAccount(ctx context.Context, actor audit.Actor, orgID, id string, ch AccountChange) (Command, error) {
	var c Command
	err := s.store.Write(ctx, func(tx Tx) error {
		d, rep, err := s.accountsOf(ctx, tx, actor, orgID, id)
		if err != nil {
			return err
		}
		if s.gate != nil {
			if err := s.gate.Gate(ctx, orgID, license.FeatureDeviceAccounts); err != nil {
				return err
			}
		}
		if rep.HelloAt == nil && len(rep.Accounts) == 0 && rep.PublicKey == "" {
			return errs.E(errs.Conflict, "err.devaccount.never_connected")
		}
		if err := device.CheckAccountChange(rep.Accounts, ch.Op, ch.Username, ch.Role, ch.Password); err != nil {
			return err
		}
		args := device.AccountArgs{Username: ch.Username, Role: ch.Role}
		if ch.Op != device.CmdAccountDelete {
			if args.SealedPassword, err = device.Seal(rep.PublicKey, []byte(ch.Password)); err != nil {
				return err
			}
		}
		details := map[string]any{"username": ch.Username}
		if ch.Role != "" {
			details["role"] = ch.Role
		}
		c, err = s.command(ctx, tx, actor, d, ch.Op, args, details)
		return err
	})
	if err == nil {
		s.wake(c.OrgID, c.Serial)
	}
	return c, err
}
