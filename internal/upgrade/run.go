package upgrade

import (
	"context"
	"encoding/json"
	"maps"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/org"
)

// maxScan bounds the queued tasks one dispatch transaction reads looking
// for tasks that may start.
const maxScan = 20000

// dispatchBatch bounds the tasks one dispatch transaction starts.
const dispatchBatch = 2000

// Dispatch starts queued tasks that may start now (FW-5, FW-7): for each
// organization, as many as its pacing limits allow, online devices only, a
// rollout's tasks as its phase allows, window tasks inside their window. A
// started task is scheduled: its command is written in the same transaction
// and its device woken. It runs on one instance at a time (a periodic job);
// the task's revision guards against a person canceling it meanwhile.
func (s *Service) Dispatch(ctx context.Context) error {
	var orgs []string
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		orgs, err = tx.QueuedOrgs(ctx)
		return err
	})
	if err != nil {
		return err
	}
	releases, err := s.releases(ctx)
	if err != nil {
		return err
	}
	byID := map[string]firmware.Published{}
	for _, p := range releases {
		byID[p.ID] = p
	}
	for _, orgID := range orgs {
		for {
			n, more, err := s.dispatchOrg(ctx, orgID, byID)
			if err != nil {
				return err
			}
			if n == 0 || !more {
				break
			}
		}
	}
	return nil
}

func (s *Service) dispatchOrg(ctx context.Context, orgID string, releases map[string]firmware.Published) (started int, more bool, err error) {
	var woken []fleet.Command
	err = s.store.Write(ctx, func(tx Tx) error {
		now := s.clock.Now()
		folders, err := tx.Folders(ctx, orgID)
		if err != nil {
			return err
		}
		t := org.NewTree(folders)
		lim, running, perSite, err := s.running(ctx, tx, orgID, t)
		if err != nil {
			return err
		}
		if lim.Org > 0 && running >= lim.Org {
			return nil
		}
		room := dispatchBatch
		if lim.Org > 0 {
			room = min(room, lim.Org-running)
		}
		// The queue is read a window at a time, past the tasks that cannot
		// start now (offline devices, full sites, paused rollouts), until
		// the room is filled or the queue is read to its end: tasks that
		// wait at its head never hold back the others.
		window := max(room+room/4, 200)
		limits := Limits{Org: min(lim.Org, running+room), Site: lim.Site}
		rollouts := map[string]*Rollout{}
		var queued []Live
		var cands []Candidate
		var picked []*Task
		var after *QueueKey
		for scanned := 0; scanned < maxScan; {
			part, err := tx.QueuedTasks(ctx, orgID, now, after, window)
			if err != nil {
				return err
			}
			queued = append(queued, part...)
			scanned += len(part)
			for i := range part {
				l := &part[i]
				if l.Gone {
					continue // the sweep cancels it
				}
				if id := l.Task.RolloutID; id != "" {
					r, ok := rollouts[id]
					if !ok {
						rr, err := tx.Rollout(ctx, orgID, id)
						if err != nil {
							return err
						}
						r, rollouts[id] = &rr, &rr
					}
					if !r.Starts(l.Task.Ring) {
						continue
					}
				}
				cands = append(cands, Candidate{Task: &l.Task, Site: SiteOf(t.Ancestry(l.Device.FolderID)), Online: l.Device.Online(now, s.cfg.Heartbeat)})
			}
			picked = Pick(cands, limits, running, maps.Clone(perSite))
			more = len(part) == window
			if !more || len(picked) >= room {
				break
			}
			last := part[len(part)-1].Task
			after = &QueueKey{Ring: last.Ring, CreatedAt: last.CreatedAt, ID: last.ID}
		}
		if lim.Org == 0 && len(picked) > room {
			picked = picked[:room]
		}
		// A full batch leaves more to start now: the next batch follows at
		// once, not at the next run (seconds later), even when all the
		// queue was read.
		more = more || len(picked) >= room
		revs := map[string]int{}
		for _, l := range queued {
			revs[l.Task.ID] = l.Rev
		}
		// The batch's tasks and commands are written a few hundred rows per
		// statement: one statement per task held SQLite's one writer for
		// seconds per batch, with the devices' reports waiting behind it.
		picked, cmds, err := dispatchTasks(orgID, picked, releases, now)
		if err != nil {
			return err
		}
		tasks, taskRevs := make([]Task, len(picked)), make([]int, len(picked))
		for i, tk := range picked {
			tasks[i], taskRevs[i] = *tk, revs[tk.ID]
		}
		saved, err := tx.SaveTasks(ctx, tasks, taskRevs)
		if err != nil {
			return err
		}
		var created []fleet.Command
		for i, tk := range tasks {
			if !saved[tk.ID] {
				continue // changed meanwhile (canceled): the next pass sees it
			}
			created = append(created, cmds[i])
		}
		if err := tx.CreateCommands(ctx, created); err != nil {
			return err
		}
		started, woken = len(created), created
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	s.notifyCommands(woken)
	return started, more && started > 0, nil
}

// Progress applies a device's progress report on one of its commands
// (GW-3) and tells it whether to go on. A command that carries no task is
// told to stop.
func (s *Service) Progress(ctx context.Context, orgID, serial, command string, p device.Progress) (device.ProgressReply, error) {
	switch p.Stage {
	case device.StageDownloading, device.StageInstalling, device.StageRebooting:
	default:
		return device.ProgressReply{}, errs.InvalidField("stage", "err.upgrade.stage")
	}
	if p.Percent < 0 || p.Percent > 100 {
		return device.ProgressReply{}, errs.InvalidField("percent", "err.upgrade.percent")
	}
	var reply device.ProgressReply
	// A fleet upgrading reports all at once: the reports share transactions.
	err := s.store.WriteGrouped(ctx, func(tx Tx) error {
		tk, rev, err := tx.TaskByCommand(ctx, orgID, command)
		if errs.Is(err, errs.NotFound) || err == nil && tk.Serial != serial {
			reply = device.ProgressReply{Reason: stopUnknown}
			return nil
		}
		if err != nil {
			return err
		}
		now := s.clock.Now()
		var changed bool
		was := tk.State
		reply, changed = tk.Report(command, p, now)
		if !reply.Proceed {
			return nil
		}
		// A device at work on its command has it; once the task is
		// downloading or installing (saved below), the command is not sent
		// again: the task's time-outs decide if the device goes silent.
		if err := tx.HoldCommand(ctx, orgID, command, now); err != nil {
			return err
		}
		switch {
		case changed && tk.State == was:
			return tx.SaveTaskProgress(ctx, tk, rev) // stage and percent only
		case changed:
			return tx.SaveTask(ctx, tk, rev)
		}
		return nil
	})
	if errs.Is(err, errs.Conflict) {
		return s.Progress(ctx, orgID, serial, command, p) // changed meanwhile: decide on the new state
	}
	return reply, err
}

// Result applies the result a device posted for one of its commands, if it
// carries a task (the gateway has recorded the command's outcome).
func (s *Service) Result(ctx context.Context, orgID, serial, command string, res device.Result) error {
	err := s.store.WriteGrouped(ctx, func(tx Tx) error {
		tk, rev, err := tx.TaskByCommand(ctx, orgID, command)
		if errs.Is(err, errs.NotFound) || err == nil && tk.Serial != serial {
			return nil
		}
		if err != nil {
			return err
		}
		if tk.Finish(command, res, s.clock.Now()) {
			return tx.SaveTask(ctx, tk, rev)
		}
		return nil
	})
	if errs.Is(err, errs.Conflict) {
		return s.Result(ctx, orgID, serial, command, res)
	}
	return err
}

// Sweep looks at every unfinished task the devices do not move themselves
// (FW-5, FW-6): a device back on the target succeeded; one silent past the
// time-outs failed; a scheduled task whose device never started is queued
// again; a task whose window closed before it installed waits for the next
// one (FW-4); a task whose device left the organization is canceled. Then it
// moves rollouts on (FW-7). It runs on one instance at a time.
func (s *Service) Sweep(ctx context.Context) error {
	var live []Live
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		live, err = tx.LiveTasks(ctx, s.clock.Now())
		return err
	})
	if err != nil {
		return err
	}
	var schedules map[string]map[string]Schedule // org → device → schedule, read when needed
	for i := 0; i < len(live); i += dispatchBatch {
		batch := live[i:min(i+dispatchBatch, len(live))]
		err := s.store.Write(ctx, func(tx Tx) error {
			now := s.clock.Now()
			for _, l := range batch {
				tk := l.Task
				cmd := tk.CommandID
				var changed, drop bool
				switch {
				case l.Gone:
					if tk.State.Cancelable() || tk.State == Installing {
						tk.end(Canceled, Because(ReasonDeviceRemoved), now)
						changed, drop = true, cmd != ""
					}
				case tk.State == Installing:
					seen := l.Device.LastSeenAt != nil && tk.InstallingAt != nil && l.Device.LastSeenAt.After(*tk.InstallingAt)
					changed = tk.CameBack(l.Device.Firmware, seen, now)
				case tk.NotAfter != nil && !now.Before(*tk.NotAfter):
					if schedules == nil {
						schedules = map[string]map[string]Schedule{}
					}
					if _, ok := schedules[tk.OrgID]; !ok {
						ss, err := tx.Schedules(ctx, tk.OrgID, nil)
						if err != nil {
							return err
						}
						schedules[tk.OrgID] = ss
					}
					sc, ok := schedules[tk.OrgID][tk.DeviceID]
					if !ok || sc.Mode != InWindow {
						changed, drop = true, cmd != ""
						tk.end(Canceled, Because(ReasonScheduleNone), now)
						break
					}
					start, end := sc.Window.Next(now)
					changed, drop = tk.WindowClosed(now, start, end)
				default:
					changed, drop = tk.Stalled(now)
				}
				if !changed {
					continue
				}
				if !drop {
					cmd = ""
				}
				err := s.saveDropping(ctx, tx, tk, l.Rev, cmd, "superseded", now)
				if errs.Is(err, errs.Conflict) {
					continue // changed meanwhile: the next sweep sees it
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return s.advanceRollouts(ctx)
}

func (s *Service) advanceRollouts(ctx context.Context) error {
	var rs []Rollout
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		rs, err = tx.ActiveRollouts(ctx)
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range rs {
		err := s.store.Write(ctx, func(tx Tx) error {
			r, err := tx.Rollout(ctx, r.OrgID, r.ID)
			if err != nil {
				return err
			}
			counts, err := tx.RingCounts(ctx, r.OrgID, r.ID, nil)
			if err != nil {
				return err
			}
			if !r.Advance(counts, s.clock.Now()) {
				return nil
			}
			return tx.SaveRollout(ctx, r)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Withdrawn cancels the tasks to a withdrawn release that have not started
// installing, in every organization, with the vendor's reason (FW-1).
func (s *Service) Withdrawn(ctx context.Context, releaseID, version, reason string) (int, error) {
	n := 0
	var woken [][2]string
	err := s.store.Write(ctx, func(tx Tx) error {
		ts, revs, err := tx.ReleaseTasks(ctx, releaseID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		for i, tk := range ts {
			if !tk.State.Cancelable() {
				continue
			}
			cmd := tk.CommandID
			if err := tk.Cancel(Because(ReasonWithdrawn, version, reason), now); err != nil {
				continue
			}
			if err := s.saveDropping(ctx, tx, tk, revs[i], cmd, "withdrawn", now); err != nil {
				return err
			}
			if cmd != "" {
				woken = append(woken, [2]string{tk.OrgID, tk.Serial})
			}
			n++
		}
		return nil
	})
	for _, w := range woken {
		s.notifyDevice(w[0], w[1])
	}
	return n, err
}

// Scheduler creates the tasks of devices with a schedule (FW-4): each one
// with a recommended upgrade and no task under way gets one, to start at
// once (as soon as available) or inside its next window. A queued
// scheduled task whose target is no longer the recommendation follows it. A
// version that already failed on a device is not tried again by the
// schedule: a person retries it. It runs on one instance at a time, and
// right after a release is published.
func (s *Service) Scheduler(ctx context.Context) error {
	releases, err := s.releases(ctx)
	if err != nil {
		return err
	}
	plain := plainOf(releases)
	var sds []ScheduledDevice
	err = s.store.Read(ctx, func(tx Tx) error {
		var err error
		sds, err = tx.ScheduledDevices(ctx)
		return err
	})
	if err != nil || len(sds) == 0 {
		return err
	}
	byOrg := map[string][]ScheduledDevice{}
	var orgs []string
	for _, sd := range sds {
		if _, ok := byOrg[sd.OrgID]; !ok {
			orgs = append(orgs, sd.OrgID)
		}
		byOrg[sd.OrgID] = append(byOrg[sd.OrgID], sd)
	}
	created := 0
	for _, orgID := range orgs {
		list := byOrg[orgID]
		for i := 0; i < len(list); i += dispatchBatch {
			batch := list[i:min(i+dispatchBatch, len(list))]
			err := s.store.Write(ctx, func(tx Tx) error {
				now := s.clock.Now()
				ids := make([]string, len(batch))
				for i, sd := range batch {
					ids[i] = sd.Device.ID
				}
				open, err := tx.OpenTasks(ctx, orgID, ids)
				if err != nil {
					return err
				}
				failed, err := tx.FailedTargets(ctx, orgID, ids)
				if err != nil {
					return err
				}
				var tasks []Task
				for _, sd := range batch {
					a := firmware.Recommendation(plain, sd.Device.Model, sd.Device.Firmware)
					if !a.Upgrade {
						continue
					}
					rel := publishedOf(releases, firmware.Release{Model: sd.Device.Model, Version: a.Recommended})
					if ot, ok := open[sd.Device.ID]; ok {
						if ot.State == Queued && ot.Origin == BySchedule && ot.To != rel.Version.String() {
							t, rev, err := tx.Task(ctx, orgID, ot.ID)
							if err != nil {
								return err
							}
							t.To, t.ReleaseID, t.UpdatedAt = rel.Version.String(), rel.ID, now
							if err := tx.SaveTask(ctx, t, rev); err != nil && !errs.Is(err, errs.Conflict) {
								return err
							}
						}
						continue
					}
					if failed[sd.Device.ID+"\x00"+rel.Version.String()] {
						continue
					}
					tk := newTask(orgID, sd.Device, rel, BySchedule, audit.System("schedule"), now)
					tk.NotBefore, tk.NotAfter = sd.Schedule.Slot(now)
					tasks = append(tasks, tk)
				}
				created += len(tasks)
				return tx.CreateTasks(ctx, tasks)
			})
			if errs.Is(err, errs.Conflict) {
				continue // a task was made meanwhile by another: the next pass sees it
			}
			if err != nil {
				return err
			}
		}
	}
	if created > 0 {
		s.log.Info("scheduled upgrades", "tasks", created)
	}
	return nil
}

// DefaultEvery are the periods of the background work: dispatch soon after
// tasks appear (a maintenance window's upgrades start within seconds of its
// opening), sweep for time-outs and rollouts, and the schedules.
const (
	DispatchEvery  = 2 * time.Second
	SweepEvery     = 10 * time.Second
	SchedulerEvery = time.Minute
)

// running returns an organization's pacing limits and how many of its
// tasks run now, in all and per site folder (FW-7). It takes the pacing lock
// first: what it counts holds until the transaction ends.
func (s *Service) running(ctx context.Context, tx Tx, orgID string, t org.Tree) (Limits, int, map[string]int, error) {
	if err := tx.LockPacing(ctx, orgID); err != nil {
		return Limits{}, 0, nil, err
	}
	lim, err := s.limits(ctx, tx, orgID)
	if err != nil {
		return Limits{}, 0, nil, err
	}
	byFolder, err := tx.RunningByFolder(ctx, orgID)
	if err != nil {
		return Limits{}, 0, nil, err
	}
	running, perSite := 0, map[string]int{}
	for f, n := range byFolder {
		running += n
		perSite[SiteOf(t.Ancestry(f))] += n
	}
	return lim, running, perSite, nil
}

// dispatchTasks starts the picked tasks at now: each is scheduled with the
// upgrade command its device is to be sent. A task whose release is gone
// (withdrawn meanwhile) is left as it is. It returns the tasks started and
// their commands, in the same order.
func dispatchTasks(orgID string, picked []*Task, releases map[string]firmware.Published, now time.Time) ([]*Task, []fleet.Command, error) {
	var started []*Task
	var cmds []fleet.Command
	for _, tk := range picked {
		rel, ok := releases[tk.ReleaseID]
		if !ok {
			continue
		}
		args, err := json.Marshal(device.UpgradeArgs{Task: tk.ID, Release: rel.ID, Model: rel.Model,
			Version: rel.Version.String(), URL: "/device/v1/firmware/" + rel.ID, SHA256: rel.SHA256,
			Size: rel.Size, Signature: rel.Signature})
		if err != nil {
			return nil, nil, errs.Wrap(err, "upgrade args")
		}
		cmd := fleet.Command{ID: account.NewID("cmd_"), OrgID: orgID, DeviceID: tk.DeviceID, Serial: tk.Serial,
			Type: device.CmdUpgrade, Args: args, State: device.StatePending, CreatedBy: tk.CreatedBy, CreatedAt: now}
		tk.Dispatch(cmd.ID, now)
		started, cmds = append(started, tk), append(cmds, cmd)
	}
	return started, cmds, nil
}
