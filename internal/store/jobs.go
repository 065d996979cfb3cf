package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"mysystems/internal/errs"
	"mysystems/internal/jobs"
	"mysystems/internal/text"
)

// Jobs is the job runner's store.
func (db *DB) Jobs() jobs.Store {
	return runner[jobs.QueueTx]{db, func(t *Tx) jobs.QueueTx { return t }}
}

const jobColumns = `id, kind, payload, run_at, attempts, max_attempts, state, locked_until, locked_by, last_error, created_at, done_at`

// EnqueueJob adds a job in the caller's transaction: it exists if and only
// if the change that caused it commits.
func (t *Tx) EnqueueJob(ctx context.Context, j jobs.Job) error {
	if j.ID == "" || j.Kind == "" {
		return errs.E(errs.Internal, "job without id or kind (use jobs.New)")
	}
	if j.Payload == "" {
		j.Payload = "{}"
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = jobs.DefaultMaxAttempts
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = j.RunAt
	}
	if j.RunAt.IsZero() {
		j.RunAt = j.CreatedAt
	}
	_, err := t.exec(ctx, `INSERT INTO jobs (id, kind, payload, run_at, max_attempts, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, j.ID, j.Kind, j.Payload, micros(j.RunAt), j.MaxAttempts, jobs.Available, micros(j.CreatedAt))
	return conflictOr(err, errs.E(errs.Conflict, "err.job.exists"), "enqueue job")
}

func scanJob(sc interface{ Scan(...any) error }) (jobs.Job, error) {
	var j jobs.Job
	var runAt, createdAt int64
	var lockedUntil, doneAt sql.NullInt64
	var state string
	if err := sc.Scan(&j.ID, &j.Kind, &j.Payload, &runAt, &j.Attempts, &j.MaxAttempts, &state, &lockedUntil,
		&j.LockedBy, &j.LastError, &createdAt, &doneAt); err != nil {
		return j, err
	}
	j.State = jobs.State(state)
	j.RunAt, j.CreatedAt = fromMicros(runAt), fromMicros(createdAt)
	j.LockedUntil, j.DoneAt = fromNullMicros(lockedUntil), fromNullMicros(doneAt)
	return j, nil
}

// Job reads one job.
func (t *Tx) Job(ctx context.Context, id string) (jobs.Job, error) {
	j, err := scanJob(t.queryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, errs.NotFoundf("err.job.not_found", id)
	}
	return j, errs.Wrap(err, "read job")
}

// ClaimJobs implements jobs.QueueTx.
func (t *Tx) ClaimJobs(ctx context.Context, kinds []string, worker string, now, until time.Time, limit int) ([]jobs.Job, error) {
	if len(kinds) == 0 || limit <= 0 {
		return nil, nil
	}
	args := []any{worker, micros(until), jobs.Running, jobs.Available, micros(now)}
	for _, k := range kinds {
		args = append(args, k)
	}
	args = append(args, limit)
	rows, err := t.query(ctx, `UPDATE jobs SET locked_by = ?, locked_until = ?, state = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM jobs WHERE state = ? AND run_at <= ? AND kind IN (?`+strings.Repeat(", ?", len(kinds)-1)+`)
			ORDER BY run_at, id LIMIT ?`+t.d.skipLocked()+`)
		RETURNING `+jobColumns, args...)
	if err != nil {
		return nil, errs.Wrap(err, "claim jobs")
	}
	defer rows.Close()
	var out []jobs.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, errs.Wrap(err, "scan job")
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "claim jobs")
	}
	return out, nil
}

var errJobLost = errs.E(errs.Conflict, "err.job.lost")

// CompleteJob implements jobs.QueueTx.
func (t *Tx) CompleteJob(ctx context.Context, id, worker string, now time.Time) error {
	return t.execOne(ctx, errJobLost, `UPDATE jobs SET state = ?, done_at = ?, locked_until = NULL, last_error = ''
		WHERE id = ? AND locked_by = ? AND state = ?`, jobs.Done, micros(now), id, worker, jobs.Running)
}

// RetryJob implements jobs.QueueTx.
func (t *Tx) RetryJob(ctx context.Context, id, worker string, runAt time.Time, lastError string) error {
	return t.execOne(ctx, errJobLost, `UPDATE jobs SET state = ?, run_at = ?, locked_until = NULL, last_error = ?
		WHERE id = ? AND locked_by = ? AND state = ?`, jobs.Available, micros(runAt), clip(lastError), id, worker, jobs.Running)
}

// FailJob implements jobs.QueueTx.
func (t *Tx) FailJob(ctx context.Context, id, worker string, now time.Time, lastError string) error {
	return t.execOne(ctx, errJobLost, `UPDATE jobs SET state = ?, done_at = ?, locked_until = NULL, last_error = ?
		WHERE id = ? AND locked_by = ? AND state = ?`, jobs.Failed, micros(now), clip(lastError), id, worker, jobs.Running)
}

// ReclaimJobs implements jobs.QueueTx.
func (t *Tx) ReclaimJobs(ctx context.Context, now time.Time) (int, error) {
	n := micros(now)
	res, err := t.exec(ctx, `UPDATE jobs SET
			state = CASE WHEN attempts >= max_attempts THEN ? ELSE ? END,
			done_at = CASE WHEN attempts >= max_attempts THEN CAST(? AS BIGINT) ELSE NULL END,
			run_at = ?, locked_until = NULL,
			last_error = 'the worker stopped before finishing (lease expired)'
		WHERE state = ? AND locked_until <= ?`, jobs.Failed, jobs.Available, n, n, jobs.Running, n)
	if err != nil {
		return 0, errs.Wrap(err, "reclaim jobs")
	}
	c, err := res.RowsAffected()
	return int(c), errs.Wrap(err, "reclaim jobs")
}

// PruneJobs implements jobs.QueueTx.
func (t *Tx) PruneJobs(ctx context.Context, before time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM jobs WHERE state IN (?, ?) AND done_at < ?`, jobs.Done, jobs.Failed, micros(before))
	if err != nil {
		return 0, errs.Wrap(err, "prune jobs")
	}
	c, err := res.RowsAffected()
	return int(c), errs.Wrap(err, "prune jobs")
}

// AcquireLease implements jobs.QueueTx with one atomic upsert: the row is
// taken over only when it is ours already or expired.
func (t *Tx) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, time.Time, error) {
	var got string
	var exp int64
	err := t.queryRow(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
		RETURNING holder, expires_at`, name, holder, micros(until), micros(now)).Scan(&got, &exp)
	if err == nil {
		return true, fromMicros(exp), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, time.Time{}, errs.Wrap(err, "acquire lease")
	}
	if err := t.queryRow(ctx, `SELECT holder, expires_at FROM leases WHERE name = ?`, name).Scan(&got, &exp); err != nil {
		return false, time.Time{}, errs.Wrap(err, "read lease")
	}
	return false, fromMicros(exp), nil
}

// clip bounds an error message kept in a row, as text the database holds
// (an error may quote what a client sent).
func clip(s string) string {
	const max = 2000
	s = text.Clean(s)
	if c := text.Cut(s, max); c != s {
		return c + "…"
	}
	return s
}
