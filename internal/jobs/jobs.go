// Package jobs is the product's durable background-job runner: a queue of
// one-shot jobs in the database, enqueued in the same transaction as the
// change that causes them and worked by every instance, and periodic tasks
// of which one instance at a time runs each (a lease in the database decides
// which). It works the same on SQLite and PostgreSQL; docs/ARCHITECTURE.md
// says why it is ours rather than River.
//
// Delivery is at least once: a job whose worker dies is run again once its
// lease expires, so handlers must be idempotent.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"mysystems/internal/errs"
)

// State is where a job is in its life.
type State string

// The states of a job.
const (
	Available State = "available" // waiting for run_at
	Running   State = "running"   // claimed by a worker until locked_until
	Done      State = "done"
	Failed    State = "failed" // gave up after max attempts (or a permanent error)
)

// DefaultMaxAttempts is how often a job is tried before it is failed.
const DefaultMaxAttempts = 25

// Job is one unit of background work.
type Job struct {
	ID          string
	Kind        string // selects the handler
	Payload     string // JSON
	RunAt       time.Time
	Attempts    int // runs started, including the current one
	MaxAttempts int
	State       State
	LockedUntil *time.Time
	LockedBy    string
	LastError   string
	CreatedAt   time.Time
	DoneAt      *time.Time
}

// New makes a job of kind, due now, with payload encoded as JSON.
func New(kind string, payload any, now time.Time) (Job, error) {
	if kind == "" {
		return Job{}, errs.E(errs.Internal, "job without kind")
	}
	p := "{}"
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			return Job{}, errs.Wrap(err, "job payload")
		}
		p = string(b)
	}
	return Job{ID: newID("job_"), Kind: kind, Payload: p, RunAt: now, MaxAttempts: DefaultMaxAttempts,
		State: Available, CreatedAt: now}, nil
}

// Decode unmarshals the payload into dst.
func (j Job) Decode(dst any) error {
	if err := json.Unmarshal([]byte(j.Payload), dst); err != nil {
		return errs.Wrap(err, "job "+j.Kind+" payload")
	}
	return nil
}

// Tx is what a domain transaction needs to enqueue a job with its change.
type Tx interface {
	EnqueueJob(ctx context.Context, j Job) error
}

// QueueTx is the runner's view of a store transaction. Each method is one
// statement; the store makes claims safe between instances (row locks with
// SKIP LOCKED on PostgreSQL, the single writer on SQLite).
type QueueTx interface {
	Tx
	// Job reads one job.
	Job(ctx context.Context, id string) (Job, error)
	// ClaimJobs marks up to limit available jobs of the given kinds due at
	// now as running by worker until until, counting an attempt, and returns
	// them.
	ClaimJobs(ctx context.Context, kinds []string, worker string, now, until time.Time, limit int) ([]Job, error)
	// CompleteJob marks a job the worker still holds as done.
	CompleteJob(ctx context.Context, id, worker string, now time.Time) error
	// RetryJob makes a job the worker holds available again at runAt.
	RetryJob(ctx context.Context, id, worker string, runAt time.Time, lastError string) error
	// FailJob gives up on a job the worker holds.
	FailJob(ctx context.Context, id, worker string, now time.Time, lastError string) error
	// ReclaimJobs makes running jobs whose lease expired before now
	// available again (or failed when out of attempts): their worker died.
	ReclaimJobs(ctx context.Context, now time.Time) (int, error)
	// PruneJobs deletes done and failed jobs finished before before.
	PruneJobs(ctx context.Context, before time.Time) (int, error)
	// AcquireLease takes or renews the named lease for holder until until if
	// it is free, expired at now, or already held by holder. It returns
	// whether holder now holds it and when the current holder's lease ends.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, time.Time, error)
}

// Store runs queue transactions.
type Store interface {
	Read(ctx context.Context, fn func(QueueTx) error) error
	Write(ctx context.Context, fn func(QueueTx) error) error
}

// Backoff is the delay before retry number attempt (1 for the first retry):
// base doubled per attempt, capped at max. No jitter: retries of different
// rows already spread out, and tests can predict the schedule.
func Backoff(attempt int, base, max time.Duration) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := base
	for i := 1; i < attempt; i++ {
		d *= 2
		if d >= max || d <= 0 {
			return max
		}
	}
	if d > max {
		return max
	}
	return d
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that the runner fails the job at once instead of
// retrying it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

func newID(prefix string) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
