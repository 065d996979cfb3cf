package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/upgrade"
)

// Upgrades returns the AXIS OS upgrades' store.
func (db *DB) Upgrades() upgrade.Store {
	return runner[upgrade.Tx]{db, func(t *Tx) upgrade.Tx { return t }}
}

// chunk is how many values one IN list carries.
const chunk = 500

// inChunks runs fn over ids in slices of at most chunk.
func inChunks(ids []string, fn func(part []string, args []any) error) error {
	for i := 0; i < len(ids); i += chunk {
		part := ids[i:min(i+chunk, len(ids))]
		args := make([]any, len(part))
		for j, id := range part {
			args[j] = id
		}
		if err := fn(part, args); err != nil {
			return err
		}
	}
	return nil
}

const upgradeDeviceCols = `id, serial, model, firmware, folder_id, name, last_seen_at`

func scanUpgradeDevice(sc interface{ Scan(...any) error }, d *upgrade.DeviceInfo) error {
	var seen sql.NullInt64
	if err := sc.Scan(&d.ID, &d.Serial, &d.Model, &d.Firmware, &d.FolderID, &d.Name, &seen); err != nil {
		return err
	}
	d.LastSeenAt = fromNullMicros(seen)
	return nil
}

// UpgradeDevices returns the organization's devices with these ids, or
// (without ids) of model in these folders (nil: every folder).
func (t *Tx) UpgradeDevices(ctx context.Context, orgID string, ids []string, model string, folders []string) ([]upgrade.DeviceInfo, error) {
	var out []upgrade.DeviceInfo
	scan := func(q string, args ...any) error {
		rows, err := t.query(ctx, q, args...)
		if err != nil {
			return errs.Wrap(err, "upgrade devices")
		}
		defer rows.Close()
		for rows.Next() {
			var d upgrade.DeviceInfo
			if err := scanUpgradeDevice(rows, &d); err != nil {
				return errs.Wrap(err, "scan upgrade device")
			}
			out = append(out, d)
		}
		return errs.Wrap(rows.Err(), "upgrade devices")
	}
	if len(ids) > 0 {
		err := inChunks(ids, func(part []string, args []any) error {
			return scan(`SELECT `+upgradeDeviceCols+` FROM devices WHERE org_id = ? AND id IN (`+marks(len(part))+`)`,
				append([]any{orgID}, args...)...)
		})
		return out, err
	}
	if folders == nil {
		return out, scan(`SELECT `+upgradeDeviceCols+` FROM devices WHERE org_id = ? AND model = ? ORDER BY folder_id, name, id`, orgID, model)
	}
	err := inChunks(folders, func(part []string, args []any) error {
		return scan(`SELECT `+upgradeDeviceCols+` FROM devices WHERE org_id = ? AND model = ? AND folder_id IN (`+marks(len(part))+`) ORDER BY folder_id, name, id`,
			append([]any{orgID, model}, args...)...)
	})
	return out, err
}

const taskCols = `org_id, id, device_id, serial, model, folder_id, from_version, to_version, release_id, state, stage,
	percent, reason, command_id, rollout_id, ring, origin, created_by, created_label, retry_of, not_before, not_after,
	created_at, updated_at, scheduled_at, started_at, installing_at, finished_at, rev`

func taskColsOf(alias string) string {
	parts := strings.Split(taskCols, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

func scanTask(sc interface{ Scan(...any) error }, extra ...any) (upgrade.Task, int, error) {
	var tk upgrade.Task
	var state, reason, origin string
	var notBefore, notAfter, scheduled, started, installing, finished sql.NullInt64
	var created, updated int64
	var rev int
	dst := []any{&tk.OrgID, &tk.ID, &tk.DeviceID, &tk.Serial, &tk.Model, &tk.FolderID, &tk.From, &tk.To, &tk.ReleaseID,
		&state, &tk.Stage, &tk.Percent, &reason, &tk.CommandID, &tk.RolloutID, &tk.Ring, &origin, &tk.CreatedBy,
		&tk.CreatedLabel, &tk.RetryOf, &notBefore, &notAfter, &created, &updated, &scheduled, &started, &installing,
		&finished, &rev}
	if err := sc.Scan(append(dst, extra...)...); err != nil {
		return tk, 0, err
	}
	tk.State, tk.Origin, tk.Reason = upgrade.State(state), upgrade.Origin(origin), upgrade.DecodeReason(reason)
	tk.NotBefore, tk.NotAfter = fromNullMicros(notBefore), fromNullMicros(notAfter)
	tk.CreatedAt, tk.UpdatedAt = fromMicros(created), fromMicros(updated)
	tk.ScheduledAt, tk.StartedAt = fromNullMicros(scheduled), fromNullMicros(started)
	tk.InstallingAt, tk.FinishedAt = fromNullMicros(installing), fromNullMicros(finished)
	return tk, rev, nil
}

func taskArgs(tk upgrade.Task) []any {
	return []any{tk.OrgID, tk.ID, tk.DeviceID, tk.Serial, tk.Model, tk.FolderID, tk.From, tk.To, tk.ReleaseID,
		string(tk.State), tk.Stage, tk.Percent, tk.Reason.Encode(), tk.CommandID, tk.RolloutID, tk.Ring,
		string(tk.Origin), tk.CreatedBy, tk.CreatedLabel, tk.RetryOf, nullMicros(tk.NotBefore), nullMicros(tk.NotAfter),
		micros(tk.CreatedAt), micros(tk.UpdatedAt), nullMicros(tk.ScheduledAt), nullMicros(tk.StartedAt),
		nullMicros(tk.InstallingAt), nullMicros(tk.FinishedAt)}
}

// CreateTasks stores new tasks, in the order of their ids: the table's
// indexes by id then grow at one end, page after page, instead of taking
// each row on a page of its own (a request for 100,000 devices).
func (t *Tx) CreateTasks(ctx context.Context, ts []upgrade.Task) error {
	const per = 100
	row := "(" + marks(29) + ")"
	ts = slices.Clone(ts)
	slices.SortFunc(ts, func(a, b upgrade.Task) int { return strings.Compare(a.ID, b.ID) })
	for i := 0; i < len(ts); i += per {
		part := ts[i:min(i+per, len(ts))]
		var args []any
		for _, tk := range part {
			args = append(args, append(taskArgs(tk), 0)...)
		}
		q := `INSERT INTO upgrade_tasks (` + taskCols + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+",", len(part)), ",")
		if _, err := t.exec(ctx, q, args...); err != nil {
			return conflictOr(err, errs.E(errs.Conflict, "err.upgrade.in_progress_race"), "insert tasks")
		}
	}
	return nil
}

// SaveTask writes a task if it is still at revision rev.
func (t *Tx) SaveTask(ctx context.Context, tk upgrade.Task, rev int) error {
	res, err := t.exec(ctx, `UPDATE upgrade_tasks SET to_version = ?, release_id = ?, state = ?, stage = ?, percent = ?,
		reason = ?, command_id = ?, not_before = ?, not_after = ?, updated_at = ?, scheduled_at = ?, started_at = ?,
		installing_at = ?, finished_at = ?, rev = rev + 1 WHERE org_id = ? AND id = ? AND rev = ?`,
		tk.To, tk.ReleaseID, string(tk.State), tk.Stage, tk.Percent, tk.Reason.Encode(), tk.CommandID,
		nullMicros(tk.NotBefore), nullMicros(tk.NotAfter), micros(tk.UpdatedAt), nullMicros(tk.ScheduledAt),
		nullMicros(tk.StartedAt), nullMicros(tk.InstallingAt), nullMicros(tk.FinishedAt), tk.OrgID, tk.ID, rev)
	if err != nil {
		return errs.Wrap(err, "save task")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "err.upgrade.changed", tk.ID)
	}
	return nil
}

// saveTasksRow is one task of SaveTasks: org_id, id, rev, then the columns
// SaveTask writes (integers cast: VALUES columns are otherwise untyped). The
// revision is text, cast where it is compared: typed in the VALUES, SQLite
// planned the update as a scan of every task probing the VALUES by revision
// (3.4 s a statement of 500 rows among 20,000 tasks, against 57 ms by key).
const saveTasksRow = `(?, ?, ?, ?, ?, ?, ?, CAST(? AS BIGINT), ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT),
	CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))`

// SaveTasks writes each task still at its revision, as SaveTask does, a few
// hundred per statement (the dispatcher starts thousands at a time), and
// returns the ids written.
func (t *Tx) SaveTasks(ctx context.Context, ts []upgrade.Task, revs []int) (map[string]bool, error) {
	const per = 500
	saved := make(map[string]bool, len(ts))
	for i := 0; i < len(ts); i += per {
		part := ts[i:min(i+per, len(ts))]
		args := make([]any, 0, 17*len(part))
		for j, tk := range part {
			args = append(args, tk.OrgID, tk.ID, strconv.Itoa(revs[i+j]), tk.To, tk.ReleaseID, string(tk.State), tk.Stage, tk.Percent,
				tk.Reason.Encode(), tk.CommandID, nullMicros(tk.NotBefore), nullMicros(tk.NotAfter), micros(tk.UpdatedAt),
				nullMicros(tk.ScheduledAt), nullMicros(tk.StartedAt), nullMicros(tk.InstallingAt), nullMicros(tk.FinishedAt))
		}
		rows, err := t.query(ctx, `UPDATE upgrade_tasks SET to_version = v.column4, release_id = v.column5, state = v.column6,
			stage = v.column7, percent = v.column8, reason = v.column9, command_id = v.column10, not_before = v.column11,
			not_after = v.column12, updated_at = v.column13, scheduled_at = v.column14, started_at = v.column15,
			installing_at = v.column16, finished_at = v.column17, rev = rev + 1
			FROM (VALUES `+strings.TrimSuffix(strings.Repeat(saveTasksRow+", ", len(part)), ", ")+`) AS v
			WHERE upgrade_tasks.org_id = v.column1 AND upgrade_tasks.id = v.column2 AND upgrade_tasks.rev = CAST(v.column3 AS BIGINT)
			RETURNING upgrade_tasks.id`, args...)
		if err != nil {
			return nil, errs.Wrap(err, "save tasks")
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, errs.Wrap(err, "scan saved task")
			}
			saved[id] = true
		}
		if err := rows.Close(); err != nil {
			return nil, errs.Wrap(err, "save tasks")
		}
		if err := rows.Err(); err != nil {
			return nil, errs.Wrap(err, "save tasks")
		}
	}
	return saved, nil
}

// CreateCommands stores commands, a few hundred per statement, in the order
// of their ids (see CreateTasks).
func (t *Tx) CreateCommands(ctx context.Context, cs []fleet.Command) error {
	const per = 500
	cs = slices.Clone(cs)
	slices.SortFunc(cs, func(a, b fleet.Command) int { return strings.Compare(a.ID, b.ID) })
	for i := 0; i < len(cs); i += per {
		part := cs[i:min(i+per, len(cs))]
		args := make([]any, 0, 13*len(part))
		for _, c := range part {
			a := string(c.Args)
			if a == "" {
				a = "{}"
			}
			args = append(args, c.OrgID, c.ID, c.DeviceID, c.Serial, c.Type, a, c.State, c.Result, c.CreatedBy,
				micros(c.CreatedAt), nullMicros(c.DeliveredAt), nullMicros(c.DoneAt), c.Deliveries)
		}
		if _, err := t.exec(ctx, `INSERT INTO device_commands (`+cmdCols+`) VALUES `+valuesList(len(part), 13), args...); err != nil {
			return errs.Wrap(err, "insert commands")
		}
	}
	return nil
}

// Task returns one of an organization's tasks with its revision.
func (t *Tx) Task(ctx context.Context, orgID, id string) (upgrade.Task, int, error) {
	tk, rev, err := scanTask(t.queryRow(ctx, `SELECT `+taskCols+` FROM upgrade_tasks WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return tk, 0, notFoundOr(err, errs.NotFoundf("err.upgrade.task_not_found", id), "task")
	}
	return tk, rev, nil
}

// TaskByCommand returns the task a command carries.
func (t *Tx) TaskByCommand(ctx context.Context, orgID, command string) (upgrade.Task, int, error) {
	tk, rev, err := scanTask(t.queryRow(ctx, `SELECT `+taskCols+` FROM upgrade_tasks WHERE command_id = ? AND org_id = ?`, command, orgID))
	if err != nil {
		return tk, 0, notFoundOr(err, errs.NotFoundf("err.upgrade.task_not_found", command), "task by command")
	}
	return tk, rev, nil
}

func (t *Tx) tasks(ctx context.Context, q string, args ...any) ([]upgrade.Task, []int, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, nil, errs.Wrap(err, "tasks")
	}
	defer rows.Close()
	var out []upgrade.Task
	var revs []int
	for rows.Next() {
		tk, rev, err := scanTask(rows)
		if err != nil {
			return nil, nil, errs.Wrap(err, "scan task")
		}
		out, revs = append(out, tk), append(revs, rev)
	}
	return out, revs, errs.Wrap(rows.Err(), "tasks")
}

// Tasks returns one page of an organization's tasks, newest first.
func (t *Tx) Tasks(ctx context.Context, orgID string, f upgrade.TaskFilter, p upgrade.Page) ([]upgrade.Task, string, error) {
	where := []string{"org_id = ?"}
	args := []any{orgID}
	if len(f.States) > 0 {
		where = append(where, "state IN ("+marks(len(f.States))+")")
		for _, s := range f.States {
			args = append(args, string(s))
		}
	}
	if f.DeviceID != "" {
		where, args = append(where, "device_id = ?"), append(args, f.DeviceID)
	}
	if f.Model != "" {
		where, args = append(where, "model = ?"), append(args, f.Model)
	}
	if f.Rollout != "" {
		where, args = append(where, "rollout_id = ?"), append(args, f.Rollout)
	}
	if f.Folders != nil {
		where = append(where, "folder_id IN ("+marks(len(f.Folders))+")")
		for _, id := range f.Folders {
			args = append(args, id)
		}
	}
	if !f.Since.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, micros(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, micros(f.Until))
	}
	if p.Cursor != "" {
		var at int64
		var id string
		if err := decodeCursor(p.Cursor, &at, &id); err != nil {
			return nil, "", err
		}
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, at, at, id)
	}
	args = append(args, p.Limit+1)
	out, _, err := t.tasks(ctx, `SELECT `+taskCols+` FROM upgrade_tasks WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		last := out[len(out)-1]
		next = encodeCursor(micros(last.CreatedAt), last.ID)
	}
	if out == nil {
		out = []upgrade.Task{}
	}
	return out, next, nil
}

const openStates = `('queued', 'scheduled', 'downloading', 'installing')`

// OpenTasks returns the unfinished task of each of these devices.
func (t *Tx) OpenTasks(ctx context.Context, orgID string, deviceIDs []string) (map[string]upgrade.Task, error) {
	out := map[string]upgrade.Task{}
	err := inChunks(deviceIDs, func(part []string, args []any) error {
		ts, _, err := t.tasks(ctx, `SELECT `+taskCols+` FROM upgrade_tasks WHERE org_id = ? AND device_id IN (`+marks(len(part))+
			`) AND state IN `+openStates, append([]any{orgID}, args...)...)
		for _, tk := range ts {
			out[tk.DeviceID] = tk
		}
		return err
	})
	return out, err
}

// FailedTargets names the (device, version) pairs of these devices' failed
// tasks.
func (t *Tx) FailedTargets(ctx context.Context, orgID string, deviceIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := inChunks(deviceIDs, func(part []string, args []any) error {
		rows, err := t.query(ctx, `SELECT device_id, to_version FROM upgrade_tasks WHERE org_id = ? AND device_id IN (`+
			marks(len(part))+`) AND state = 'failed'`, append([]any{orgID}, args...)...)
		if err != nil {
			return errs.Wrap(err, "failed targets")
		}
		defer rows.Close()
		for rows.Next() {
			var d, v string
			if err := rows.Scan(&d, &v); err != nil {
				return errs.Wrap(err, "scan failed target")
			}
			out[d+"\x00"+v] = true
		}
		return errs.Wrap(rows.Err(), "failed targets")
	})
	return out, err
}

// QueuedOrgs lists the organizations with queued tasks.
func (t *Tx) QueuedOrgs(ctx context.Context) ([]string, error) {
	rows, err := t.query(ctx, `SELECT DISTINCT org_id FROM upgrade_tasks WHERE state = 'queued'`)
	if err != nil {
		return nil, errs.Wrap(err, "queued orgs")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "scan queued org")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "queued orgs")
}

func (t *Tx) live(ctx context.Context, q string, args ...any) ([]upgrade.Live, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, errs.Wrap(err, "live tasks")
	}
	defer rows.Close()
	var out []upgrade.Live
	for rows.Next() {
		var l upgrade.Live
		var id, serial, model, fw, folder, name sql.NullString
		var seen sql.NullInt64
		tk, rev, err := scanTask(rows, &id, &serial, &model, &fw, &folder, &name, &seen)
		if err != nil {
			return nil, errs.Wrap(err, "scan live task")
		}
		l.Task, l.Rev = tk, rev
		// The device is the task's while it is claimed by the same
		// organization under the same id.
		l.Gone = !id.Valid || serial.String != tk.Serial
		l.Device = upgrade.DeviceInfo{ID: id.String, Serial: serial.String, Model: model.String, Firmware: fw.String,
			FolderID: folder.String, Name: name.String, LastSeenAt: fromNullMicros(seen)}
		out = append(out, l)
	}
	return out, errs.Wrap(rows.Err(), "live tasks")
}

const liveJoin = ` FROM upgrade_tasks u LEFT JOIN devices d ON d.org_id = u.org_id AND d.id = u.device_id `
const liveDeviceCols = `, d.id, d.serial, d.model, d.firmware, d.folder_id, d.name, d.last_seen_at`

// QueuedTasks returns the queued tasks that may start at now, with their
// devices: a rollout's first ring first, then oldest first.
func (t *Tx) QueuedTasks(ctx context.Context, orgID string, now time.Time, after *upgrade.QueueKey, limit int) ([]upgrade.Live, error) {
	at := micros(now)
	q := `SELECT ` + taskColsOf("u") + liveDeviceCols + liveJoin + `WHERE u.org_id = ? AND u.state = 'queued'
		AND (u.not_before IS NULL OR u.not_before <= ?) AND (u.not_after IS NULL OR u.not_after > ?)`
	args := []any{orgID, at, at}
	if after != nil {
		c := micros(after.CreatedAt)
		q += ` AND (u.ring > ? OR (u.ring = ? AND (u.created_at > ? OR (u.created_at = ? AND u.id > ?))))`
		args = append(args, after.Ring, after.Ring, c, c, after.ID)
	}
	return t.live(ctx, q+` ORDER BY u.ring, u.created_at, u.id LIMIT ?`, append(args, limit)...)
}

// RunningByFolder counts an organization's running tasks by folder.
func (t *Tx) RunningByFolder(ctx context.Context, orgID string) (map[string]int, error) {
	rows, err := t.query(ctx, `SELECT folder_id, COUNT(*) FROM upgrade_tasks WHERE org_id = ?
		AND state IN ('scheduled', 'downloading', 'installing') GROUP BY folder_id`, orgID)
	if err != nil {
		return nil, errs.Wrap(err, "running tasks")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var f string
		var n int
		if err := rows.Scan(&f, &n); err != nil {
			return nil, errs.Wrap(err, "scan running")
		}
		out[f] = n
	}
	return out, errs.Wrap(rows.Err(), "running tasks")
}

// LiveTasks returns every running task, and every queued task whose window
// closed or whose device left, across organizations.
func (t *Tx) LiveTasks(ctx context.Context, now time.Time) ([]upgrade.Live, error) {
	return t.live(ctx, `SELECT `+taskColsOf("u")+liveDeviceCols+liveJoin+`WHERE u.state IN ('scheduled', 'downloading', 'installing')
		OR (u.state = 'queued' AND (u.not_after <= ? OR d.id IS NULL))`, micros(now))
}

// ReleaseTasks returns the unfinished tasks to a release.
func (t *Tx) ReleaseTasks(ctx context.Context, releaseID string) ([]upgrade.Task, []int, error) {
	return t.tasks(ctx, `SELECT `+taskCols+` FROM upgrade_tasks WHERE state IN `+openStates+` AND release_id = ?`, releaseID)
}

// RolloutTasks returns a rollout's unfinished tasks.
func (t *Tx) RolloutTasks(ctx context.Context, orgID, rolloutID string) ([]upgrade.Task, []int, error) {
	return t.tasks(ctx, `SELECT `+taskCols+` FROM upgrade_tasks WHERE org_id = ? AND rollout_id = ? AND state IN `+openStates, orgID, rolloutID)
}

const rolloutCols = `org_id, id, state, phase, ring_count, ring_percent, ring_folder, soak_seconds, failure_percent,
	reason, soak_until, resumed_phase, created_by, created_label, created_at, updated_at, finished_at`

func scanRollout(sc interface{ Scan(...any) error }) (upgrade.Rollout, error) {
	var r upgrade.Rollout
	var state, reason string
	var soak int64
	var soakUntil, finished sql.NullInt64
	var created, updated int64
	if err := sc.Scan(&r.OrgID, &r.ID, &state, &r.Phase, &r.Ring.Count, &r.Ring.Percent, &r.Ring.Folder, &soak,
		&r.Ring.FailurePercent, &reason, &soakUntil, &r.ResumedPhase, &r.CreatedBy, &r.CreatedLabel, &created,
		&updated, &finished); err != nil {
		return r, err
	}
	r.State, r.Reason, r.Ring.Soak = upgrade.RolloutState(state), upgrade.DecodeReason(reason), time.Duration(soak)*time.Second
	r.SoakEnd, r.FinishedAt = fromNullMicros(soakUntil), fromNullMicros(finished)
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return r, nil
}

// CreateRollout stores a new rollout.
func (t *Tx) CreateRollout(ctx context.Context, r upgrade.Rollout) error {
	_, err := t.exec(ctx, `INSERT INTO upgrade_rollouts (`+rolloutCols+`) VALUES (`+marks(17)+`)`,
		r.OrgID, r.ID, string(r.State), r.Phase, r.Ring.Count, r.Ring.Percent, r.Ring.Folder, int64(r.Ring.Soak/time.Second),
		r.Ring.FailurePercent, r.Reason.Encode(), nullMicros(r.SoakEnd), r.ResumedPhase, r.CreatedBy, r.CreatedLabel,
		micros(r.CreatedAt), micros(r.UpdatedAt), nullMicros(r.FinishedAt))
	return errs.Wrap(err, "insert rollout")
}

// Rollout returns one of an organization's rollouts.
func (t *Tx) Rollout(ctx context.Context, orgID, id string) (upgrade.Rollout, error) {
	r, err := scanRollout(t.queryRow(ctx, `SELECT `+rolloutCols+` FROM upgrade_rollouts WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return r, notFoundOr(err, errs.NotFoundf("err.rollout.not_found", id), "rollout")
	}
	return r, nil
}

// SaveRollout writes a rollout's state.
func (t *Tx) SaveRollout(ctx context.Context, r upgrade.Rollout) error {
	return t.execOne(ctx, errs.NotFoundf("err.rollout.not_found", r.ID), `UPDATE upgrade_rollouts SET state = ?, phase = ?,
		reason = ?, soak_until = ?, resumed_phase = ?, updated_at = ?, finished_at = ? WHERE org_id = ? AND id = ?`,
		string(r.State), r.Phase, r.Reason.Encode(), nullMicros(r.SoakEnd), r.ResumedPhase, micros(r.UpdatedAt),
		nullMicros(r.FinishedAt), r.OrgID, r.ID)
}

func (t *Tx) rollouts(ctx context.Context, q string, args ...any) ([]upgrade.Rollout, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, errs.Wrap(err, "rollouts")
	}
	defer rows.Close()
	var out []upgrade.Rollout
	for rows.Next() {
		r, err := scanRollout(rows)
		if err != nil {
			return nil, errs.Wrap(err, "scan rollout")
		}
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "rollouts")
}

// Rollouts returns one page of an organization's rollouts, newest first.
func (t *Tx) Rollouts(ctx context.Context, orgID string, p upgrade.Page) ([]upgrade.Rollout, string, error) {
	where, args := "org_id = ?", []any{orgID}
	if p.Cursor != "" {
		var at int64
		var id string
		if err := decodeCursor(p.Cursor, &at, &id); err != nil {
			return nil, "", err
		}
		where += " AND (created_at < ? OR (created_at = ? AND id < ?))"
		args = append(args, at, at, id)
	}
	out, err := t.rollouts(ctx, `SELECT `+rolloutCols+` FROM upgrade_rollouts WHERE `+where+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, p.Limit+1)...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		next = encodeCursor(micros(out[len(out)-1].CreatedAt), out[len(out)-1].ID)
	}
	return out, next, nil
}

// ActiveRollouts lists the unfinished rollouts of every organization.
func (t *Tx) ActiveRollouts(ctx context.Context) ([]upgrade.Rollout, error) {
	return t.rollouts(ctx, `SELECT `+rolloutCols+` FROM upgrade_rollouts WHERE state IN ('running', 'soaking', 'paused')`)
}

// RingCounts tallies a rollout's tasks by ring.
func (t *Tx) RingCounts(ctx context.Context, orgID, rolloutID string, folders []string) ([3]upgrade.RingCount, error) {
	var out [3]upgrade.RingCount
	q, args := `SELECT ring, state, COUNT(*) FROM upgrade_tasks WHERE org_id = ? AND rollout_id = ?`, []any{orgID, rolloutID}
	if folders != nil {
		if len(folders) == 0 {
			return out, nil
		}
		q += ` AND folder_id IN (` + marks(len(folders)) + `)`
		for _, f := range folders {
			args = append(args, f)
		}
	}
	rows, err := t.query(ctx, q+` GROUP BY ring, state`, args...)
	if err != nil {
		return out, errs.Wrap(err, "ring counts")
	}
	defer rows.Close()
	for rows.Next() {
		var ring, n int
		var state string
		if err := rows.Scan(&ring, &state, &n); err != nil {
			return out, errs.Wrap(err, "scan ring count")
		}
		if ring < 1 || ring > 2 {
			continue
		}
		out[ring].Total += n
		if upgrade.State(state).Done() {
			out[ring].Done += n
		}
		if state == string(upgrade.Failed) {
			out[ring].Failed += n
		}
	}
	return out, errs.Wrap(rows.Err(), "ring counts")
}

// SetSchedules stores devices' schedules, replacing theirs.
func (t *Tx) SetSchedules(ctx context.Context, orgID string, ss []upgrade.Schedule) error {
	ids := make([]string, len(ss))
	for i, s := range ss {
		ids[i] = s.DeviceID
	}
	if err := t.DeleteSchedules(ctx, orgID, ids); err != nil {
		return err
	}
	for _, s := range ss {
		win := ""
		if s.Mode == upgrade.InWindow {
			win = s.Window.Format()
		}
		if _, err := t.exec(ctx, `INSERT INTO upgrade_schedules (org_id, device_id, mode, win, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?)`, orgID, s.DeviceID, string(s.Mode), win, micros(s.UpdatedAt), s.UpdatedBy); err != nil {
			return errs.Wrap(err, "insert schedule")
		}
	}
	return nil
}

// DeleteSchedules removes devices' schedules (back to none).
func (t *Tx) DeleteSchedules(ctx context.Context, orgID string, deviceIDs []string) error {
	return inChunks(deviceIDs, func(part []string, args []any) error {
		_, err := t.exec(ctx, `DELETE FROM upgrade_schedules WHERE org_id = ? AND device_id IN (`+marks(len(part))+`)`,
			append([]any{orgID}, args...)...)
		return errs.Wrap(err, "delete schedules")
	})
}

func scanSchedule(sc interface{ Scan(...any) error }, extra ...any) (upgrade.Schedule, error) {
	var s upgrade.Schedule
	var mode, win string
	var at int64
	if err := sc.Scan(append([]any{&s.DeviceID, &mode, &win, &at, &s.UpdatedBy}, extra...)...); err != nil {
		return s, err
	}
	s.Mode, s.UpdatedAt = upgrade.Mode(mode), fromMicros(at)
	if s.Mode == upgrade.InWindow {
		w, err := firmware.ParseWindow(win)
		if err != nil {
			return s, errs.Wrap(err, "stored window "+win)
		}
		s.Window = w
	}
	return s, nil
}

// Schedules returns the schedules of these devices (nil: every device of
// the organization with one).
func (t *Tx) Schedules(ctx context.Context, orgID string, deviceIDs []string) (map[string]upgrade.Schedule, error) {
	out := map[string]upgrade.Schedule{}
	read := func(q string, args ...any) error {
		rows, err := t.query(ctx, q, args...)
		if err != nil {
			return errs.Wrap(err, "schedules")
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanSchedule(rows)
			if err != nil {
				return errs.Wrap(err, "scan schedule")
			}
			out[s.DeviceID] = s
		}
		return errs.Wrap(rows.Err(), "schedules")
	}
	const cols = `SELECT device_id, mode, win, updated_at, updated_by FROM upgrade_schedules WHERE org_id = ?`
	if deviceIDs == nil {
		return out, read(cols, orgID)
	}
	return out, inChunks(deviceIDs, func(part []string, args []any) error {
		return read(cols+` AND device_id IN (`+marks(len(part))+`)`, append([]any{orgID}, args...)...)
	})
}

// ScheduledDevices returns every device with a schedule, across
// organizations.
func (t *Tx) ScheduledDevices(ctx context.Context) ([]upgrade.ScheduledDevice, error) {
	rows, err := t.query(ctx, `SELECT s.device_id, s.mode, s.win, s.updated_at, s.updated_by, s.org_id,
		d.id, d.serial, d.model, d.firmware, d.folder_id, d.name, d.last_seen_at
		FROM upgrade_schedules s JOIN devices d ON d.org_id = s.org_id AND d.id = s.device_id ORDER BY s.org_id`)
	if err != nil {
		return nil, errs.Wrap(err, "scheduled devices")
	}
	defer rows.Close()
	var out []upgrade.ScheduledDevice
	for rows.Next() {
		var sd upgrade.ScheduledDevice
		var seen sql.NullInt64
		d := &sd.Device
		s, err := scanSchedule(rows, &sd.OrgID, &d.ID, &d.Serial, &d.Model, &d.Firmware, &d.FolderID, &d.Name, &seen)
		if err != nil {
			return nil, errs.Wrap(err, "scan scheduled device")
		}
		sd.Schedule, d.LastSeenAt = s, fromNullMicros(seen)
		out = append(out, sd)
	}
	return out, errs.Wrap(rows.Err(), "scheduled devices")
}

// UpgradeLimits returns an organization's pacing limits, if it set any.
func (t *Tx) UpgradeLimits(ctx context.Context, orgID string) (upgrade.Limits, bool, error) {
	var l upgrade.Limits
	err := t.queryRow(ctx, `SELECT max_org, max_site FROM upgrade_limits WHERE org_id = ?`, orgID).Scan(&l.Org, &l.Site)
	if err == sql.ErrNoRows {
		return l, false, nil
	}
	return l, err == nil, errs.Wrap(err, "upgrade limits")
}

// SetUpgradeLimits stores an organization's pacing limits.
func (t *Tx) SetUpgradeLimits(ctx context.Context, orgID string, l upgrade.Limits, at time.Time) error {
	if _, err := t.exec(ctx, `DELETE FROM upgrade_limits WHERE org_id = ?`, orgID); err != nil {
		return errs.Wrap(err, "set upgrade limits")
	}
	_, err := t.exec(ctx, `INSERT INTO upgrade_limits (org_id, max_org, max_site, updated_at) VALUES (?, ?, ?, ?)`,
		orgID, l.Org, l.Site, micros(at))
	return errs.Wrap(err, "set upgrade limits")
}

// DropCommand ends an open command that no longer carries a task.
func (t *Tx) DropCommand(ctx context.Context, orgID, id, reason string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE device_commands SET state = 'failed', result = ?, done_at = ?
		WHERE org_id = ? AND id = ? AND state IN ('pending', 'delivered')`, reason, micros(at), orgID, id)
	return errs.Wrap(err, "drop command")
}

// HoldCommand records that a device has a command it reports on: a pending
// one is delivered (see upgrade.Store). A delivered one is not rewritten:
// the device's reports do not write the command's row (nor its index).
func (t *Tx) HoldCommand(ctx context.Context, orgID, id string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE device_commands SET state = 'delivered', delivered_at = ?
		WHERE org_id = ? AND id = ? AND state = 'pending'`, micros(at), orgID, id)
	return errs.Wrap(err, "hold command")
}

// LockPacing takes the organization's pacing lock until the transaction
// ends (FW-7): the upgrade requests and dispatch passes of every instance
// count its running tasks and start more one at a time.
func (t *Tx) LockPacing(ctx context.Context, orgID string) error {
	return errs.Wrap(t.lockKey(ctx, "upgrade.pace:"+orgID), "lock pacing")
}

// SaveTaskProgress writes a task's progress (stage and percent) when its
// state is unchanged, if it is still at revision rev: the columns the
// task's indexes hold are not rewritten.
func (t *Tx) SaveTaskProgress(ctx context.Context, tk upgrade.Task, rev int) error {
	res, err := t.exec(ctx, `UPDATE upgrade_tasks SET stage = ?, percent = ?, updated_at = ?, rev = rev + 1
		WHERE org_id = ? AND id = ? AND rev = ? AND state = ?`,
		tk.Stage, tk.Percent, micros(tk.UpdatedAt), tk.OrgID, tk.ID, rev, string(tk.State))
	if err != nil {
		return errs.Wrap(err, "save task progress")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "err.upgrade.changed", tk.ID)
	}
	return nil
}
