package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/errs"
)

// Handler works one job. An error retries the job with backoff, or fails
// it when it is out of attempts or the error is Permanent.
type Handler func(ctx context.Context, j Job) error

// Task is one run of a periodic task.
type Task func(ctx context.Context) error

// Options tune a Runner; zero fields take the defaults.
type Options struct {
	// Worker names this runner in locked_by and in leases; default
	// host-pid-random, unique per process.
	Worker string
	// Poll is how often idle workers look for due work (1s).
	Poll time.Duration
	// Concurrency is how many jobs this runner works at once (4).
	Concurrency int
	// Timeout bounds one job or periodic run (5m). A claimed job's lease is
	// Timeout plus a minute, so a live worker never loses it.
	Timeout time.Duration
	// Retention is how long done and failed jobs are kept (30 days;
	// negative: for ever).
	Retention time.Duration
	// Backoff is the delay before retry number attempt; default
	// Backoff(attempt, 15s, 6h).
	Backoff func(attempt int) time.Duration
}

const (
	leaseMargin    = time.Minute
	maxJobsPerTick = 1000
	bookkeepingTTL = 10 * time.Second
)

type handler struct{ fn Handler }

type periodic struct {
	name  string
	every time.Duration
	fn    Task

	mu      sync.Mutex // one run at a time within this runner
	nextTry time.Time  // before this the lease is known to be taken: don't ask
}

// Runner works jobs and periodic tasks. Register handlers and tasks, then
// either Start it (production) or call RunDue (tests, deterministic).
type Runner struct {
	store Store
	clk   clock.Clock
	log   *slog.Logger
	opts  Options

	mu       sync.Mutex
	handlers map[string]handler
	periodic []*periodic
	started  bool
	stopped  bool

	wake      chan struct{}
	stop      chan struct{}
	wg        sync.WaitGroup
	cancelRun context.CancelFunc
}

// NewRunner returns a runner over store. It registers its own upkeep:
// reclaiming jobs of dead workers and pruning old finished jobs.
func NewRunner(store Store, clk clock.Clock, log *slog.Logger, o Options) *Runner {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.Default()
	}
	if o.Worker == "" {
		host, _ := os.Hostname()
		o.Worker = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), newID("")[:6])
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Retention == 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.Backoff == nil {
		o.Backoff = func(n int) time.Duration { return Backoff(n, 15*time.Second, 6*time.Hour) }
	}
	r := &Runner{store: store, clk: clk, log: log, opts: o, handlers: map[string]handler{},
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
	r.Every("jobs.reclaim", 30*time.Second, r.reclaim)
	if o.Retention > 0 {
		r.Every("jobs.prune", time.Hour, r.prune)
	}
	return r
}

// Worker is this runner's name in locks and leases.
func (r *Runner) Worker() string { return r.opts.Worker }

// Handle registers the handler of a job kind. Registering a kind twice is
// a programming error.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.handlers[kind]; dup {
		panic("jobs: handler for " + kind + " registered twice")
	}
	r.handlers[kind] = handler{fn: h}
}

// Every registers a periodic task (before Start). Across all runners sharing a database,
// runs of one name are at least every apart (measured from the end of the
// previous run): the runner that takes the lease named name runs it and
// holds the lease until a full period after the run ends.
func (r *Runner) Every(name string, every time.Duration, fn Task) {
	if every <= 0 {
		panic("jobs: periodic task " + name + " needs a positive interval")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.periodic {
		if p.name == name {
			panic("jobs: periodic task " + name + " registered twice")
		}
	}
	r.periodic = append(r.periodic, &periodic{name: name, every: every, fn: fn})
}

// Enqueue adds a job in a transaction of its own and wakes a worker. Inside
// a domain transaction use the store's EnqueueJob instead, so the job
// commits with the change.
func (r *Runner) Enqueue(ctx context.Context, j Job) error {
	if err := r.store.Write(ctx, func(tx QueueTx) error { return tx.EnqueueJob(ctx, j) }); err != nil {
		return err
	}
	r.Wake()
	return nil
}

// Wake tells an idle worker of this runner to look for work now, e.g. after
// a transaction that enqueued a job commits.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// RunDue runs, once, every periodic task this runner may run now and then
// every job due now, and returns. Tests drive the runner with it and a fake
// clock instead of starting it.
func (r *Runner) RunDue(ctx context.Context) error {
	var all []error
	for _, p := range r.periodicTasks() {
		if _, err := r.runPeriodic(ctx, p); err != nil {
			all = append(all, err)
		}
	}
	for i := 0; i < maxJobsPerTick; i++ {
		n, err := r.workOne(ctx)
		if err != nil {
			all = append(all, err)
			break
		}
		if n == 0 {
			break
		}
	}
	return errors.Join(all...)
}

// Start starts the workers and periodic loops in the background. They run
// until Stop: cancelling ctx does not stop them, so a shutdown signal lets
// running work finish through Stop.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return errs.E(errs.Internal, "job runner already started")
	}
	r.started = true
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancelRun = cancel
	for _, p := range r.periodic {
		r.wg.Add(1)
		go r.periodicLoop(runCtx, p)
	}
	for i := 0; i < r.opts.Concurrency; i++ {
		r.wg.Add(1)
		go r.workerLoop(runCtx)
	}
	r.log.Info("job runner started", "worker", r.opts.Worker, "periodic", len(r.periodic), "kinds", len(r.handlers))
	return nil
}

// Stop stops taking work and waits for running work to finish until ctx is
// done; then it cancels what still runs (those jobs are retried).
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	if !r.started || r.stopped {
		r.mu.Unlock()
		return nil
	}
	r.stopped = true
	close(r.stop)
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		r.cancelRun()
		return nil
	case <-ctx.Done():
	}
	r.cancelRun()
	t := time.NewTimer(bookkeepingTTL)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	return ctx.Err()
}

func (r *Runner) periodicTasks() []*periodic {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*periodic(nil), r.periodic...)
}

func (r *Runner) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// wait waits for d, a wake-up (if wake is not nil) or Stop; false on Stop.
func (r *Runner) wait(d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.stop:
		return false
	case <-t.C:
		return true
	case <-wake:
		return true
	}
}

func (r *Runner) stopping() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

func (r *Runner) periodicLoop(ctx context.Context, p *periodic) {
	defer r.wg.Done()
	for !r.stopping() {
		if _, err := r.runPeriodic(ctx, p); err != nil && ctx.Err() == nil {
			r.log.Warn("periodic task not run", "task", p.name, "err", err)
		}
		if !r.wait(r.opts.Poll, nil) {
			return
		}
	}
}

func (r *Runner) workerLoop(ctx context.Context) {
	defer r.wg.Done()
	for !r.stopping() {
		n, err := r.workOne(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("job worker: cannot claim work", "err", err)
		}
		if n == 0 || err != nil {
			if !r.wait(r.opts.Poll, r.wake) {
				return
			}
		}
	}
}

// bookkeeping is the context for recording an outcome: it survives the
// cancellation of the work itself, briefly.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTTL)
}

// runPeriodic runs p if its lease can be had now.
func (r *Runner) runPeriodic(ctx context.Context, p *periodic) (bool, error) {
	if !p.mu.TryLock() {
		return false, nil // already running in this runner
	}
	defer p.mu.Unlock()
	now := r.clk.Now()
	if now.Before(p.nextTry) {
		return false, nil
	}
	ok, until, err := r.lease(ctx, p.name, now, now.Add(p.every))
	if err != nil {
		return false, err
	}
	if !ok {
		p.nextTry = until
		return false, nil
	}
	tctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	stopBeat := r.heartbeat(tctx, cancel, p)
	err = safeTask(tctx, p.fn)
	stopBeat()
	cancel()
	end := r.clk.Now()
	p.nextTry = end.Add(p.every)
	// Hold the lease a full period past the end of the run, so the next run,
	// on whichever instance, starts a period later.
	bctx, bcancel := bookkeeping(ctx)
	defer bcancel()
	if _, _, lerr := r.lease(bctx, p.name, end, end.Add(p.every)); lerr != nil {
		r.log.Warn("periodic task: cannot renew lease", "task", p.name, "err", lerr)
	}
	if err != nil {
		r.log.Error("periodic task failed", "task", p.name, "err", err)
	}
	return true, nil
}

// heartbeat renews p's lease while a long run goes on, and cancels the run
// if another runner took the lease (this one was presumed dead).
func (r *Runner) heartbeat(ctx context.Context, cancel context.CancelFunc, p *periodic) (stop func()) {
	every := p.every / 2
	if every < time.Second {
		every = time.Second
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				now := r.clk.Now()
				ok, _, err := r.lease(ctx, p.name, now, now.Add(p.every))
				if err == nil && !ok {
					r.log.Error("periodic task lost its lease; cancelling the run", "task", p.name)
					cancel()
					return
				}
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

func (r *Runner) lease(ctx context.Context, name string, now, until time.Time) (ok bool, end time.Time, err error) {
	err = r.store.Write(ctx, func(tx QueueTx) error {
		ok, end, err = tx.AcquireLease(ctx, name, r.opts.Worker, now, until)
		return err
	})
	return ok, end, err
}

// workOne claims one due job and runs it; it returns how many it ran.
func (r *Runner) workOne(ctx context.Context) (int, error) {
	kinds := r.kinds()
	if len(kinds) == 0 {
		return 0, nil
	}
	now := r.clk.Now()
	var claimed []Job
	err := r.store.Write(ctx, func(tx QueueTx) error {
		var err error
		claimed, err = tx.ClaimJobs(ctx, kinds, r.opts.Worker, now, now.Add(r.opts.Timeout+leaseMargin), 1)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, j := range claimed {
		r.run(ctx, j)
	}
	return len(claimed), nil
}

func (r *Runner) run(ctx context.Context, j Job) {
	r.mu.Lock()
	h, ok := r.handlers[j.Kind]
	r.mu.Unlock()
	var err error
	if !ok {
		err = Permanent(fmt.Errorf("no handler for job kind %q", j.Kind))
	} else {
		jctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
		err = safeHandle(jctx, h.fn, j)
		cancel()
	}
	bctx, bcancel := bookkeeping(ctx)
	defer bcancel()
	now := r.clk.Now()
	var berr error
	switch {
	case err == nil:
		berr = r.store.Write(bctx, func(tx QueueTx) error { return tx.CompleteJob(bctx, j.ID, r.opts.Worker, now) })
	case isPermanent(err) || j.Attempts >= j.MaxAttempts:
		r.log.Error("job failed; giving up", "job", j.ID, "kind", j.Kind, "attempts", j.Attempts, "err", err)
		berr = r.store.Write(bctx, func(tx QueueTx) error {
			return tx.FailJob(bctx, j.ID, r.opts.Worker, now, err.Error())
		})
	default:
		next := now.Add(r.opts.Backoff(j.Attempts))
		r.log.Warn("job failed; will retry", "job", j.ID, "kind", j.Kind, "attempts", j.Attempts, "retry_at", next, "err", err)
		berr = r.store.Write(bctx, func(tx QueueTx) error {
			return tx.RetryJob(bctx, j.ID, r.opts.Worker, next, err.Error())
		})
	}
	if berr != nil {
		// Most likely the lease expired and another worker reclaimed the
		// job: it will run again (at least once, as documented).
		r.log.Warn("job outcome not recorded", "job", j.ID, "kind", j.Kind, "err", berr)
	}
}

func (r *Runner) reclaim(ctx context.Context) error {
	now := r.clk.Now()
	return r.store.Write(ctx, func(tx QueueTx) error {
		n, err := tx.ReclaimJobs(ctx, now)
		if n > 0 {
			r.log.Warn("reclaimed jobs of a stopped worker", "jobs", n)
		}
		return err
	})
}

func (r *Runner) prune(ctx context.Context) error {
	before := r.clk.Now().Add(-r.opts.Retention)
	return r.store.Write(ctx, func(tx QueueTx) error {
		_, err := tx.PruneJobs(ctx, before)
		return err
	})
}

func safeHandle(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return h(ctx, j)
}

func safeTask(ctx context.Context, t Task) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return t(ctx)
}
