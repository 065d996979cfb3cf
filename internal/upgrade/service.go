package upgrade

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/i18n"
	"mysystems/internal/license"
	"mysystems/internal/org"
)

// Catalogue returns the AXIS OS releases with their images' sizes and
// signatures (the firmware service's Published).
type Catalogue func(ctx context.Context) ([]firmware.Published, error)

// Config tunes upgrades.
type Config struct {
	// Heartbeat is the devices' heartbeat interval (who counts as online).
	Heartbeat time.Duration
	// Limits are the pacing limits of an organization that set none.
	Limits Limits
	// MaxDevices bounds the devices of one upgrade request.
	MaxDevices int
}

// DefaultConfig is the production configuration.
func DefaultConfig() Config {
	return Config{Heartbeat: device.DefaultHeartbeat, Limits: DefaultLimits, MaxDevices: 200000}
}

// Service implements upgrades: the use cases of members, the device side's
// reports, and the background work (dispatch, sweep, schedules).
type Service struct {
	store     Store
	clock     clock.Clock
	log       *slog.Logger
	cfg       Config
	catalogue Catalogue
	notify    fleet.Notifier
	gate      license.Gater
}

// NewService returns the upgrade service.
func NewService(s Store, c clock.Clock, log *slog.Logger, cfg Config, cat Catalogue, n fleet.Notifier) *Service {
	if log == nil {
		log = slog.Default()
	}
	d := DefaultConfig()
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = d.Heartbeat
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = d.Limits
	}
	if cfg.MaxDevices <= 0 {
		cfg.MaxDevices = d.MaxDevices
	}
	return &Service{store: s, clock: c, log: log, cfg: cfg, catalogue: cat, notify: n}
}

// SetGate wires the license gate of upgrades and schedules (LIC-14):
// starting, retrying and canceling upgrades and acting on rollouts need
// the feature axis-os-upgrades, changing schedules upgrade-schedules.
// Without a gate they are free; viewing never needs one.
func (s *Service) SetGate(g license.Gater) { s.gate = g }

// gated refuses feature f in the organization when its product is not
// usable there (see SetGate).
func (s *Service) gated(ctx context.Context, orgID string, f license.Feature) error {
	if s.gate == nil {
		return nil
	}
	return s.gate.Gate(ctx, orgID, f)
}

// Request is an upgrade now (FW-3): devices by id, or a model within a folder
// subtree (FolderID "" is the whole organization); Version "" is the
// recommended version of each device's track.
type Request struct {
	DeviceIDs []string
	Model     string
	FolderID  string
	Version   string
	Force     bool
	Rollout   *RingSpec
}

// Skip is a device an upgrade request left alone, and why.
type Skip struct {
	DeviceID, Serial string
	Reason           Reason
}

// Started is what an upgrade request did.
type Started struct {
	Tasks   []Task
	Skipped []Skip
	Rollout *Rollout
}

// MaxIDs bounds the device ids of one request.
const MaxIDs = 10000

// Start starts upgrades now (FW-3), for Owners and Admins. A device already
// on the target, or with an upgrade under way, is reported and left alone; a
// target a device's model does not have is reported for that device. The
// tasks start as the pacing limits allow; an offline device's waits for it.
func (s *Service) Start(ctx context.Context, actor audit.Actor, orgID string, in Request) (Started, error) {
	if err := checkRequest(&in); err != nil {
		return Started{}, err
	}
	releases, err := s.releases(ctx)
	if err != nil {
		return Started{}, err
	}
	plain := plainOf(releases)
	var out Started
	var woken []fleet.Command
	err = s.store.Write(ctx, func(tx Tx) error {
		_, m, t, err := fleet.Enter(ctx, tx, actor, orgID, access.ManageUpgrades)
		if err != nil {
			return err
		}
		if err := s.gated(ctx, orgID, license.FeatureUpgrades); err != nil {
			return err
		}
		var folders []string
		if len(in.DeviceIDs) == 0 && in.FolderID != "" {
			if _, ok := t.ByID[in.FolderID]; !ok {
				return errs.NotFoundf("err.folder.not_found", in.FolderID)
			}
			folders = t.Subtree(in.FolderID)
		}
		if in.Rollout != nil && in.Rollout.Folder != "" {
			if _, ok := t.ByID[in.Rollout.Folder]; !ok {
				return errs.NotFoundf("err.folder.not_found", in.Rollout.Folder)
			}
		}
		ds, err := tx.UpgradeDevices(ctx, orgID, in.DeviceIDs, in.Model, folders)
		if err != nil {
			return err
		}
		if len(in.DeviceIDs) > 0 {
			if missing := missingIDs(in.DeviceIDs, ds); missing != "" {
				return errs.NotFoundf("err.device.not_found", missing)
			}
		}
		if len(ds) == 0 {
			return errs.E(errs.Invalid, "err.upgrade.no_devices")
		}
		if len(ds) > s.cfg.MaxDevices {
			return errs.E(errs.Invalid, "err.upgrade.too_many", s.cfg.MaxDevices)
		}
		ids := make([]string, len(ds))
		for i, d := range ds {
			ids[i] = d.ID
		}
		open, err := tx.OpenTasks(ctx, orgID, ids)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		var tasks []*Task
		var firstErr error
		for _, d := range ds {
			if ot, ok := open[d.ID]; ok {
				out.Skipped = append(out.Skipped, Skip{d.ID, d.Serial, Because("upgrade.skip.in_progress", ot.To, ot.ID)})
				continue
			}
			target, err := firmware.CheckTarget(plain, d.Model, d.Firmware, in.Version, in.Force, m.Role)
			if err != nil {
				if errs.CodeOf(err) == errs.Forbidden || len(ds) == 1 {
					return err // the request itself is refused
				}
				if firstErr == nil {
					firstErr = err
				}
				out.Skipped = append(out.Skipped, Skip{d.ID, d.Serial, reasonOf(err)})
				continue
			}
			if target.Outcome == firmware.AlreadyCurrent {
				out.Skipped = append(out.Skipped, Skip{d.ID, d.Serial, Because("upgrade.skip.current", d.Firmware)})
				continue
			}
			rel := publishedOf(releases, target.Release)
			tk := newTask(orgID, d, rel, ByPerson, actor, now)
			tasks = append(tasks, &tk)
		}
		orderIDs(tasks)
		if len(tasks) == 0 {
			if firstErr != nil && len(out.Skipped) == len(ds) && allSameReason(out.Skipped) {
				return firstErr
			}
			out.Tasks = []Task{}
			return nil
		}
		if in.Rollout != nil {
			r, err := s.newRollout(t, actor, orgID, tasks, *in.Rollout, now)
			if err != nil {
				return err
			}
			if err := tx.CreateRollout(ctx, r); err != nil {
				return err
			}
			out.Rollout = &r
		}
		// What may start now starts in this transaction, as the dispatcher
		// would start it (online devices, inside the pacing limits, a
		// rollout's first ring): written once as scheduled, with its
		// command, instead of queued and then read back.
		cmds, err := s.startAtOnce(ctx, tx, orgID, t, tasks, ds, out.Rollout, releases, now)
		if err != nil {
			return err
		}
		out.Tasks = make([]Task, len(tasks))
		for i, tk := range tasks {
			out.Tasks[i] = *tk
		}
		if err := tx.CreateTasks(ctx, out.Tasks); err != nil {
			return err
		}
		if err := tx.CreateCommands(ctx, cmds); err != nil {
			return err
		}
		woken = cmds
		details := map[string]any{"tasks": len(out.Tasks), "skipped": len(out.Skipped)}
		if in.Version != "" {
			details["version"] = in.Version
		}
		if in.Model != "" {
			details["model"] = in.Model
		}
		if in.Force {
			details["force"] = true
		}
		typ, id := "org", orgID
		if len(out.Tasks) == 1 {
			typ, id = "device", out.Tasks[0].DeviceID
			details["version"] = out.Tasks[0].To
		}
		if out.Rollout != nil {
			details["rollout"] = out.Rollout.ID
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.UpgradeStart,
			TargetType: typ, TargetID: id, Details: details})
	})
	if err != nil {
		return Started{}, err
	}
	s.notifyCommands(woken)
	return out, nil
}

func checkRequest(in *Request) error {
	in.Model, in.Version = strings.TrimSpace(in.Model), strings.TrimSpace(in.Version)
	switch {
	case len(in.DeviceIDs) > MaxIDs:
		return errs.InvalidField("device_ids", "err.upgrade.ids_many", MaxIDs)
	case len(in.DeviceIDs) > 0 && (in.Model != "" || in.FolderID != ""):
		return errs.InvalidField("device_ids", "err.upgrade.ids_or_model")
	case len(in.DeviceIDs) == 0 && in.Model == "":
		return errs.InvalidField("device_ids", "err.upgrade.what")
	case len(in.Model) > 100:
		return errs.InvalidField("model", "err.upgrade.model")
	}
	if in.Version != "" {
		if _, err := firmware.ParseVersion(in.Version); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	ids := in.DeviceIDs[:0]
	for _, id := range in.DeviceIDs {
		if id = strings.TrimSpace(id); id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	in.DeviceIDs = ids
	if in.Rollout != nil {
		return in.Rollout.Check()
	}
	return nil
}

func missingIDs(ids []string, ds []DeviceInfo) string {
	have := make(map[string]bool, len(ds))
	for _, d := range ds {
		have[d.ID] = true
	}
	for _, id := range ids {
		if !have[id] {
			return id
		}
	}
	return ""
}

func allSameReason(ss []Skip) bool {
	for _, s := range ss[1:] {
		if s.Reason.Key != ss[0].Reason.Key {
			return false
		}
	}
	return true
}

// reasonOf turns a refusal of CheckTarget into a device's skip reason.
func reasonOf(err error) Reason {
	if e, ok := errs.As(err); ok && e.Key != "" {
		return Reason{Key: e.Key, Args: stringArgs(e.Args)}
	}
	return Because(ReasonDevice, err.Error())
}

// stringArgs keeps a message's arguments as strings (they are stored as
// JSON), with translatable keys as their key.
func stringArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = v
		case int:
			out[i] = strconv.Itoa(v)
		case i18n.Key:
			out[i] = keyArg + string(v)
		default:
			b, _ := json.Marshal(v)
			out[i] = string(b)
		}
	}
	return out
}

func newTask(orgID string, d DeviceInfo, rel firmware.Published, origin Origin, actor audit.Actor, now time.Time) Task {
	return Task{ID: account.NewID("upg_"), OrgID: orgID, DeviceID: d.ID, Serial: d.Serial, Model: d.Model,
		FolderID: d.FolderID, From: d.Firmware, To: rel.Version.String(), ReleaseID: rel.ID, State: Queued,
		Origin: origin, CreatedBy: actor.ID, CreatedLabel: labelOf(actor), CreatedAt: now, UpdatedAt: now}
}

func (s *Service) newRollout(t org.Tree, actor audit.Actor, orgID string, tasks []*Task, spec RingSpec, now time.Time) (Rollout, error) {
	var sub map[string]bool
	if spec.Folder != "" {
		sub = map[string]bool{}
		for _, id := range t.Subtree(spec.Folder) {
			sub[id] = true
		}
	}
	err := AssignRings(tasks, func(tk *Task) string { return SiteOf(t.Ancestry(tk.FolderID)) }, spec,
		func(tk *Task) bool { return sub[tk.FolderID] })
	if err != nil {
		return Rollout{}, err
	}
	r := Rollout{ID: account.NewID("rol_"), OrgID: orgID, State: RolloutRunning, Phase: 1, Ring: spec,
		CreatedBy: actor.ID, CreatedLabel: labelOf(actor), CreatedAt: now, UpdatedAt: now}
	for _, tk := range tasks {
		tk.RolloutID = r.ID
	}
	return r, nil
}

func (s *Service) releases(ctx context.Context) ([]firmware.Published, error) {
	if s.catalogue == nil {
		return nil, nil
	}
	return s.catalogue(ctx)
}

func plainOf(ps []firmware.Published) []firmware.Release {
	out := make([]firmware.Release, len(ps))
	for i, p := range ps {
		out[i] = p.Release
	}
	return out
}

func publishedOf(ps []firmware.Published, r firmware.Release) firmware.Published {
	for _, p := range ps {
		if p.Model == r.Model && p.Version == r.Version {
			return p
		}
	}
	return firmware.Published{Release: r}
}

// Tasks lists the tasks of devices the actor sees (FW-5), newest first.
func (s *Service) Tasks(ctx context.Context, actor audit.Actor, orgID string, f TaskFilter, p Page) ([]Task, string, org.Tree, error) {
	var out []Task
	var next string
	var t org.Tree
	err := s.store.Read(ctx, func(tx Tx) error {
		var m org.Membership
		var err error
		_, m, t, err = fleet.Enter(ctx, tx, actor, orgID, access.ViewDevices)
		if err != nil {
			return err
		}
		if f.Folders, err = fleet.VisibleFolders(t, m, f.FolderID); err != nil {
			return err
		}
		if f.Folders != nil && len(f.Folders) == 0 {
			out = []Task{}
			return nil
		}
		out, next, err = tx.Tasks(ctx, orgID, f, p.Normalize(50, 1000))
		return err
	})
	return out, next, t, err
}

// Task returns one task of a device the actor sees.
func (s *Service) Task(ctx context.Context, actor audit.Actor, orgID, id string) (Task, error) {
	var tk Task
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		tk, _, err = s.visibleTask(ctx, tx, actor, orgID, id, access.ViewDevices)
		return err
	})
	return tk, err
}

func (s *Service) visibleTask(ctx context.Context, tx Tx, actor audit.Actor, orgID, id string, action access.Action) (Task, int, error) {
	_, m, t, err := fleet.Enter(ctx, tx, actor, orgID, "")
	if err != nil {
		return Task{}, 0, err
	}
	tk, rev, err := tx.Task(ctx, orgID, id)
	if err == nil && !t.Sees(m.Role, m.Granted(), tk.FolderID) {
		err = errs.NotFoundf("err.upgrade.task_not_found", id)
	}
	if err != nil {
		return Task{}, 0, err
	}
	if action != "" {
		if err := access.Check(m.Role, action); err != nil {
			return Task{}, 0, err
		}
	}
	return tk, rev, nil
}

// Cancel stops a task that has not started installing (FW-5).
func (s *Service) Cancel(ctx context.Context, actor audit.Actor, orgID, id string) (Task, error) {
	var tk Task
	err := s.store.Write(ctx, func(tx Tx) error {
		var rev int
		var err error
		if tk, rev, err = s.visibleTask(ctx, tx, actor, orgID, id, access.ManageUpgrades); err != nil {
			return err
		}
		if err := s.gated(ctx, orgID, license.FeatureUpgrades); err != nil {
			return err
		}
		now := s.clock.Now()
		cmd := tk.CommandID
		if err := tk.Cancel(Because(ReasonCanceledBy, labelOf(actor)), now); err != nil {
			return err
		}
		if err := s.saveDropping(ctx, tx, tk, rev, cmd, "canceled", now); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.UpgradeCancel,
			TargetType: "device", TargetID: tk.DeviceID, Details: map[string]any{"task": tk.ID, "version": tk.To}})
	})
	if err == nil && tk.CommandID != "" {
		s.notifyDevice(orgID, tk.Serial)
	}
	return tk, err
}

// Retry starts a failed task again as a new task to the same version
// (FW-6), unless the device has another upgrade under way or the release was
// withdrawn meanwhile.
func (s *Service) Retry(ctx context.Context, actor audit.Actor, orgID, id string) (Task, error) {
	releases, err := s.releases(ctx)
	if err != nil {
		return Task{}, err
	}
	var nt Task
	err = s.store.Write(ctx, func(tx Tx) error {
		old, _, err := s.visibleTask(ctx, tx, actor, orgID, id, access.ManageUpgrades)
		if err != nil {
			return err
		}
		if err := s.gated(ctx, orgID, license.FeatureUpgrades); err != nil {
			return err
		}
		if err := old.CheckRetry(); err != nil {
			return err
		}
		ds, err := tx.UpgradeDevices(ctx, orgID, []string{old.DeviceID}, "", nil)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return errs.E(errs.Conflict, "err.upgrade.retry_gone")
		}
		open, err := tx.OpenTasks(ctx, orgID, []string{old.DeviceID})
		if err != nil {
			return err
		}
		if ot, ok := open[old.DeviceID]; ok {
			return errs.E(errs.Conflict, "err.upgrade.in_progress", ot.ID)
		}
		var rel firmware.Published
		for _, p := range releases {
			if p.ID == old.ReleaseID {
				rel = p
			}
		}
		if rel.ID == "" || rel.Withdrawn {
			return errs.E(errs.Conflict, "err.upgrade.retry_withdrawn", old.To)
		}
		// The device may have moved since: a retry is never a second install
		// of the version it runs, nor an unforced downgrade (FW-3).
		target, err := firmware.CheckTarget(plainOf(releases), ds[0].Model, ds[0].Firmware, old.To, false, access.Admin)
		if err != nil {
			return err
		}
		if target.Outcome == firmware.AlreadyCurrent {
			return errs.E(errs.Conflict, "err.upgrade.retry_current", old.To)
		}
		now := s.clock.Now()
		nt = newTask(orgID, ds[0], rel, ByRetry, actor, now)
		nt.RetryOf = old.ID
		if err := tx.CreateTasks(ctx, []Task{nt}); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.UpgradeRetry,
			TargetType: "device", TargetID: nt.DeviceID, Details: map[string]any{"task": nt.ID, "retry_of": old.ID, "version": nt.To}})
	})
	return nt, err
}

// orderIDs deals the new tasks' ids out again in the order of their
// devices' ids: each id is still random, and the store writes the tasks in
// the order of their ids (store.CreateTasks), so the indexes by task and by
// device both grow at one end instead of taking a row on a page of their
// own each (100,000 tasks in one request's transaction).
func orderIDs(tasks []*Task) {
	ids := make([]string, len(tasks))
	for i, tk := range tasks {
		ids[i] = tk.ID
	}
	slices.Sort(ids)
	byDevice := slices.Clone(tasks)
	slices.SortFunc(byDevice, func(a, b *Task) int { return strings.Compare(a.DeviceID, b.DeviceID) })
	for i, tk := range byDevice {
		tk.ID = ids[i]
	}
}

func labelOf(a audit.Actor) string {
	if a.Email != "" {
		return a.Email
	}
	return a.ID
}

// saveDropping saves a task and ends the command that carried it, if any.
func (s *Service) saveDropping(ctx context.Context, tx Tx, tk Task, rev int, cmd, why string, now time.Time) error {
	if err := tx.SaveTask(ctx, tk, rev); err != nil {
		return err
	}
	if cmd != "" {
		return tx.DropCommand(ctx, tk.OrgID, cmd, why, now)
	}
	return nil
}

func (s *Service) notifyDevice(orgID, serial string) {
	if s.notify != nil {
		s.notify.Notify(orgID, serial)
	}
}

// Limits returns the organization's pacing limits (FW-7).
func (s *Service) Limits(ctx context.Context, actor audit.Actor, orgID string) (Limits, error) {
	var l Limits
	err := s.store.Read(ctx, func(tx Tx) error {
		if _, _, _, err := fleet.Enter(ctx, tx, actor, orgID, access.ViewDevices); err != nil {
			return err
		}
		var err error
		l, err = s.limits(ctx, tx, orgID)
		return err
	})
	return l, err
}

func (s *Service) limits(ctx context.Context, tx Tx, orgID string) (Limits, error) {
	l, ok, err := tx.UpgradeLimits(ctx, orgID)
	if err != nil || !ok {
		return s.cfg.Limits, err
	}
	return l, nil
}

// SetLimits changes the organization's pacing limits (Owners and Admins).
func (s *Service) SetLimits(ctx context.Context, actor audit.Actor, orgID string, l Limits) (Limits, error) {
	if err := l.Check(); err != nil {
		return Limits{}, err
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		if _, _, _, err := fleet.Enter(ctx, tx, actor, orgID, access.ManageUpgrades); err != nil {
			return err
		}
		now := s.clock.Now()
		if err := tx.SetUpgradeLimits(ctx, orgID, l, now); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.UpgradeLimits,
			TargetType: "org", TargetID: orgID, Details: map[string]any{"max_concurrent": l.Org, "max_per_site": l.Site}})
	})
	return l, err
}

// Tree returns the organization's folder tree, to name tasks' folders.
func (s *Service) Tree(ctx context.Context, actor audit.Actor, orgID string) (org.Tree, error) {
	var t org.Tree
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		_, _, t, err = fleet.Enter(ctx, tx, actor, orgID, access.ViewDevices)
		return err
	})
	return t, err
}

// manyNotifier wakes many devices of one organization at once (the
// gateway's NotifyMany: a few messages between instances, not one per
// device).
type manyNotifier interface {
	NotifyMany(orgID string, serials []string)
}

// commandNotifier wakes the devices of new commands handing them the
// commands (the gateway's NotifyCommands: a woken long-poll sends its
// command without reading the database).
type commandNotifier interface {
	NotifyCommands(cmds []fleet.Command)
}

func (s *Service) notifyDevices(orgID string, serials []string) {
	if len(serials) == 0 || s.notify == nil {
		return
	}
	if m, ok := s.notify.(manyNotifier); ok {
		m.NotifyMany(orgID, serials)
		return
	}
	for _, serial := range serials {
		s.notify.Notify(orgID, serial)
	}
}

// notifyCommands wakes the devices of cmds, new commands of one
// organization, committed.
func (s *Service) notifyCommands(cmds []fleet.Command) {
	if len(cmds) == 0 || s.notify == nil {
		return
	}
	if m, ok := s.notify.(commandNotifier); ok {
		m.NotifyCommands(cmds)
		return
	}
	serials := make([]string, len(cmds))
	for i, c := range cmds {
		serials[i] = c.Serial
	}
	s.notifyDevices(cmds[0].OrgID, serials)
}

// startAtOnce starts the new tasks that may start now (see Dispatch) and
// returns their commands.
func (s *Service) startAtOnce(ctx context.Context, tx Tx, orgID string, t org.Tree, tasks []*Task, ds []DeviceInfo,
	r *Rollout, releases []firmware.Published, now time.Time) ([]fleet.Command, error) {
	lim, running, perSite, err := s.running(ctx, tx, orgID, t)
	if err != nil {
		return nil, err
	}
	online := make(map[string]bool, len(ds))
	for _, d := range ds {
		online[d.ID] = d.Online(now, s.cfg.Heartbeat)
	}
	cands := make([]Candidate, 0, len(tasks))
	for _, tk := range tasks {
		if r != nil && !r.Starts(tk.Ring) || !tk.InWindow(now) {
			continue
		}
		cands = append(cands, Candidate{Task: tk, Site: SiteOf(t.Ancestry(tk.FolderID)), Online: online[tk.DeviceID]})
	}
	byID := make(map[string]firmware.Published, len(releases))
	for _, p := range releases {
		byID[p.ID] = p
	}
	// At most a dispatch batch starts with the request (its transaction
	// holds SQLite's one writer, and its devices wake at once); the
	// dispatcher starts the rest, a batch at a time.
	picked := Pick(cands, lim, running, perSite)
	picked = picked[:min(len(picked), dispatchBatch)]
	_, cmds, err := dispatchTasks(orgID, picked, byID, now)
	return cmds, err
}
