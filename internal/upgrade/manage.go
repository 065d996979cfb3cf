package upgrade

import (
	"context"
	"strings"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/license"
)

// ScheduleRequest sets the schedule of devices (FW-4).
type ScheduleRequest struct {
	DeviceIDs []string
	Mode      Mode
	Window    *firmware.Window
}

// SetSchedule sets the upgrade schedule of devices, in bulk (Owners and
// Admins). Tasks a previous schedule queued for them and that have not
// started are canceled; the new schedule makes its own at its next pass.
func (s *Service) SetSchedule(ctx context.Context, actor audit.Actor, orgID string, in ScheduleRequest) (int, error) {
	seen := map[string]bool{}
	var ids []string
	for _, id := range in.DeviceIDs {
		if id = strings.TrimSpace(id); id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) == 0:
		return 0, errs.InvalidField("device_ids", "err.schedule.devices")
	case len(ids) > MaxIDs:
		return 0, errs.InvalidField("device_ids", "err.upgrade.ids_many", MaxIDs)
	case in.Mode == InWindow && in.Window == nil:
		return 0, errs.InvalidField("window", "err.schedule.window_required")
	case in.Mode != InWindow && in.Window != nil:
		return 0, errs.InvalidField("window", "err.schedule.window_only")
	}
	if _, err := ParseMode(string(in.Mode)); err != nil {
		return 0, err
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		if _, _, _, err := fleet.Enter(ctx, tx, actor, orgID, access.ManageUpgrades); err != nil {
			return err
		}
		ds, err := tx.UpgradeDevices(ctx, orgID, ids, "", nil)
		if err != nil {
			return err
		}
		if missing := missingIDs(ids, ds); missing != "" {
			return errs.NotFoundf("err.device.not_found", missing)
		}
		if err := s.gated(ctx, orgID, license.FeatureSchedules); err != nil {
			return err
		}
		now := s.clock.Now()
		open, err := tx.OpenTasks(ctx, orgID, ids)
		if err != nil {
			return err
		}
		for _, ot := range open {
			if ot.Origin != BySchedule {
				continue
			}
			t, rev, err := tx.Task(ctx, orgID, ot.ID)
			if err != nil {
				return err
			}
			if ot.State != Queued {
				// Under way: as soon as available lets it finish whenever;
				// another schedule decides when its window closes.
				if in.Mode == ASAP && t.NotAfter != nil && t.State.Cancelable() {
					t.NotBefore, t.NotAfter, t.UpdatedAt = nil, nil, now
					if err := tx.SaveTask(ctx, t, rev); err != nil {
						return err
					}
				}
				continue
			}
			if err := t.Cancel(Because(ReasonScheduleNone), now); err != nil {
				continue
			}
			if err := tx.SaveTask(ctx, t, rev); err != nil {
				return err
			}
		}
		if in.Mode == None {
			if err := tx.DeleteSchedules(ctx, orgID, ids); err != nil {
				return err
			}
		} else {
			ss := make([]Schedule, len(ids))
			for i, id := range ids {
				ss[i] = Schedule{DeviceID: id, Mode: in.Mode, UpdatedAt: now, UpdatedBy: actor.ID}
				if in.Window != nil {
					ss[i].Window = *in.Window
				}
			}
			if err := tx.SetSchedules(ctx, orgID, ss); err != nil {
				return err
			}
		}
		details := map[string]any{"devices": len(ids), "mode": string(in.Mode)}
		if in.Window != nil {
			details["window"] = in.Window.Format()
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.UpgradeSchedule,
			TargetType: "org", TargetID: orgID, Details: details})
	})
	return len(ids), err
}

// Schedules returns the schedules of these devices the actor sees (none
// when a device has no row).
func (s *Service) Schedules(ctx context.Context, actor audit.Actor, orgID string, ids []string) (map[string]Schedule, error) {
	out := map[string]Schedule{}
	if len(ids) > MaxIDs {
		return nil, errs.InvalidField("device", "err.upgrade.ids_many", MaxIDs)
	}
	err := s.store.Read(ctx, func(tx Tx) error {
		_, m, t, err := fleet.Enter(ctx, tx, actor, orgID, access.ViewDevices)
		if err != nil || len(ids) == 0 {
			return err
		}
		// Only devices the actor sees: another is not found (ACC-2).
		ds, err := tx.UpgradeDevices(ctx, orgID, ids, "", nil)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, d := range ds {
			if t.Sees(m.Role, m.Granted(), d.FolderID) {
				seen[d.ID] = true
			}
		}
		for _, id := range ids {
			if !seen[id] {
				return errs.NotFoundf("err.device.not_found", id)
			}
		}
		out, err = tx.Schedules(ctx, orgID, ids)
		return err
	})
	return out, err
}

// RolloutView is a rollout with its rings' tallies.
type RolloutView struct {
	Rollout
	Rings [3]RingCount
}

// Rollouts lists the organization's rollouts, newest first (any member who
// sees devices).
func (s *Service) Rollouts(ctx context.Context, actor audit.Actor, orgID string, p Page) ([]RolloutView, string, error) {
	var out []RolloutView
	var next string
	err := s.store.Read(ctx, func(tx Tx) error {
		_, m, t, err := fleet.Enter(ctx, tx, actor, orgID, access.ViewDevices)
		if err != nil {
			return err
		}
		folders, err := fleet.VisibleFolders(t, m, "")
		if err != nil {
			return err
		}
		rs, n, err := tx.Rollouts(ctx, orgID, p.Normalize(20, 200))
		if err != nil {
			return err
		}
		next = n
		out = []RolloutView{}
		for _, r := range rs {
			v := RolloutView{Rollout: r}
			if v.Rings, err = tx.RingCounts(ctx, orgID, r.ID, folders); err != nil {
				return err
			}
			// A member limited to some folders sees the rollouts of their
			// devices only, counted over those devices (ACC-1).
			if folders == nil || v.Rings[1].Total+v.Rings[2].Total > 0 {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, next, err
}

// RolloutByID returns one rollout with its rings.
func (s *Service) RolloutByID(ctx context.Context, actor audit.Actor, orgID, id string) (RolloutView, error) {
	var v RolloutView
	err := s.store.Read(ctx, func(tx Tx) error {
		_, m, t, err := fleet.Enter(ctx, tx, actor, orgID, access.ViewDevices)
		if err != nil {
			return err
		}
		folders, err := fleet.VisibleFolders(t, m, "")
		if err != nil {
			return err
		}
		if v.Rollout, err = tx.Rollout(ctx, orgID, id); err != nil {
			return err
		}
		if v.Rings, err = tx.RingCounts(ctx, orgID, id, folders); err != nil {
			return err
		}
		if folders != nil && v.Rings[1].Total+v.Rings[2].Total == 0 {
			return errs.NotFoundf("err.rollout.not_found", id)
		}
		return nil
	})
	return v, err
}

// Pause, Resume and Abort act on a rollout (Owners and Admins, FW-7). Abort
// cancels its tasks that have not started installing.
func (s *Service) Pause(ctx context.Context, actor audit.Actor, orgID, id string) (RolloutView, error) {
	return s.actOn(ctx, actor, orgID, id, audit.RolloutPause, func(r *Rollout) error { return r.Pause(labelOf(actor), s.clock.Now()) })
}

// Resume lets a paused rollout go on.
func (s *Service) Resume(ctx context.Context, actor audit.Actor, orgID, id string) (RolloutView, error) {
	return s.actOn(ctx, actor, orgID, id, audit.RolloutResume, func(r *Rollout) error { return r.Resume(s.clock.Now()) })
}

// Abort ends a rollout.
func (s *Service) Abort(ctx context.Context, actor audit.Actor, orgID, id string) (RolloutView, error) {
	return s.actOn(ctx, actor, orgID, id, audit.RolloutAbort, func(r *Rollout) error { return r.Abort(labelOf(actor), s.clock.Now()) })
}

func (s *Service) actOn(ctx context.Context, actor audit.Actor, orgID, id, action string, fn func(*Rollout) error) (RolloutView, error) {
	var v RolloutView
	var woken []string
	err := s.store.Write(ctx, func(tx Tx) error {
		if _, _, _, err := fleet.Enter(ctx, tx, actor, orgID, access.ManageUpgrades); err != nil {
			return err
		}
		r, err := tx.Rollout(ctx, orgID, id)
		if err != nil {
			return err
		}
		if err := s.gated(ctx, orgID, license.FeatureUpgrades); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		if err := tx.SaveRollout(ctx, r); err != nil {
			return err
		}
		now := s.clock.Now()
		if r.State == RolloutAborted {
			ts, revs, err := tx.RolloutTasks(ctx, orgID, id)
			if err != nil {
				return err
			}
			for i, t := range ts {
				cmd := t.CommandID
				if t.Cancel(Because(ReasonRolloutAborted, labelOf(actor)), now) != nil {
					continue
				}
				if err := s.saveDropping(ctx, tx, t, revs[i], cmd, "aborted", now); err != nil {
					return err
				}
				if cmd != "" {
					woken = append(woken, t.Serial)
				}
			}
		}
		v.Rollout = r
		if v.Rings, err = tx.RingCounts(ctx, orgID, id, nil); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: action,
			TargetType: "org", TargetID: orgID, Details: map[string]any{"rollout": id}})
	})
	for _, serial := range woken {
		s.notifyDevice(orgID, serial)
	}
	return v, err
}
