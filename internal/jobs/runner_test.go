package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/jobs"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newRunner(db *store.DB, clk clock.Clock, worker string) *jobs.Runner {
	return jobs.NewRunner(db.Jobs(), clk, quiet(), jobs.Options{Worker: worker,
		Backoff: func(n int) time.Duration { return jobs.Backoff(n, time.Minute, time.Hour) }})
}

func job(t *testing.T, db *store.DB, id string) jobs.Job {
	t.Helper()
	var j jobs.Job
	err := db.Jobs().Read(context.Background(), func(tx jobs.QueueTx) error {
		var err error
		j, err = tx.Job(context.Background(), id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func runDue(t *testing.T, r *jobs.Runner) {
	t.Helper()
	if err := r.RunDue(context.Background()); err != nil {
		t.Fatalf("RunDue: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		attempt int
		want    time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {6, 32 * time.Second},
		{7, time.Minute}, {100, time.Minute}} {
		if got := jobs.Backoff(c.attempt, time.Second, time.Minute); got != c.want {
			t.Errorf("Backoff(%d): got %v, want %v", c.attempt, got, c.want)
		}
	}
}

func TestRunnerJobs(t *testing.T) {
	ctx := context.Background()
	each := func(name string, fn func(t *testing.T, db *store.DB)) {
		t.Run(name, func(t *testing.T) { storetest.Each(t, fn) })
	}
	each("OK", func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(t0)
		r := newRunner(db, clk, "w1")
		var got []string
		r.Handle("greet", func(ctx context.Context, j jobs.Job) error {
			var p struct{ Name string }
			if err := j.Decode(&p); err != nil {
				return err
			}
			got = append(got, p.Name)
			return nil
		})
		j, err := jobs.New("greet", map[string]string{"Name": "Ada"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		// Enqueued in a domain transaction: it runs only if that commits.
		rolledBack, _ := jobs.New("greet", map[string]string{"Name": "never"}, t0)
		_ = db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.EnqueueJob(ctx, rolledBack); err != nil {
				return err
			}
			return errors.New("the change failed")
		})
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.EnqueueJob(ctx, j) }); err != nil {
			t.Fatal(err)
		}
		runDue(t, r)
		runDue(t, r)
		if len(got) != 1 || got[0] != "Ada" {
			t.Fatalf("handler saw %v, want [Ada] once", got)
		}
		if s := job(t, db, j.ID).State; s != jobs.Done {
			t.Fatalf("state %s, want done", s)
		}
	})
	each("RetryWithBackoff", func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(t0)
		r := newRunner(db, clk, "w1")
		calls := 0
		r.Handle("flaky", func(ctx context.Context, j jobs.Job) error {
			calls++
			if calls < 3 {
				return errors.New("not yet")
			}
			return nil
		})
		j, _ := jobs.New("flaky", nil, t0)
		if err := r.Enqueue(ctx, j); err != nil {
			t.Fatal(err)
		}
		runDue(t, r) // attempt 1 fails: retry in 1 min
		if got := job(t, db, j.ID); got.State != jobs.Available || got.LastError != "not yet" || !got.RunAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("after a failure: %+v", got)
		}
		clk.Advance(59 * time.Second)
		runDue(t, r)
		if calls != 1 {
			t.Fatalf("retried after %d calls before the backoff ended", calls)
		}
		clk.Advance(time.Second)
		runDue(t, r) // attempt 2 fails: retry in 2 min
		clk.Advance(119 * time.Second)
		runDue(t, r)
		if calls != 2 {
			t.Fatalf("got %d calls, want 2 before the second backoff ended", calls)
		}
		clk.Advance(time.Second)
		runDue(t, r)
		if got := job(t, db, j.ID); calls != 3 || got.State != jobs.Done || got.Attempts != 3 {
			t.Fatalf("after %d calls: %+v, want done on attempt 3", calls, got)
		}
	})
	each("ErrGiveUp", func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(t0)
		r := newRunner(db, clk, "w1")
		r.Handle("doomed", func(ctx context.Context, j jobs.Job) error { return errors.New("always") })
		r.Handle("invalid", func(ctx context.Context, j jobs.Job) error { return jobs.Permanent(errors.New("bad payload")) })
		r.Handle("panics", func(ctx context.Context, j jobs.Job) error { panic("oops") })
		doomed, _ := jobs.New("doomed", nil, t0)
		doomed.MaxAttempts = 2
		invalid, _ := jobs.New("invalid", nil, t0)
		panics, _ := jobs.New("panics", nil, t0)
		for _, j := range []jobs.Job{doomed, invalid, panics} {
			if err := r.Enqueue(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		runDue(t, r)
		clk.Advance(time.Hour)
		runDue(t, r)
		if got := job(t, db, doomed.ID); got.State != jobs.Failed || got.Attempts != 2 {
			t.Fatalf("out of attempts: %+v", got)
		}
		if got := job(t, db, invalid.ID); got.State != jobs.Failed || got.Attempts != 1 || got.LastError != "bad payload" {
			t.Fatalf("permanent error: %+v", got)
		}
		if got := job(t, db, panics.ID); got.State != jobs.Available || got.LastError != "panic: oops" {
			t.Fatalf("a panic is an error, retried: %+v", got)
		}
	})
	each("DeadWorkerReclaimed", func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(t0)
		j, _ := jobs.New("work", nil, t0)
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.EnqueueJob(ctx, j) }); err != nil {
			t.Fatal(err)
		}
		// A worker claims it and dies (its process is gone: nothing records
		// an outcome).
		err := db.Jobs().Write(ctx, func(tx jobs.QueueTx) error {
			_, err := tx.ClaimJobs(ctx, []string{"work"}, "dead", t0, t0.Add(6*time.Minute), 1)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		r := newRunner(db, clk, "alive")
		ran := 0
		r.Handle("work", func(ctx context.Context, j jobs.Job) error { ran++; return nil })
		runDue(t, r)
		if ran != 0 {
			t.Fatal("a job held by a live lease ran elsewhere")
		}
		clk.Advance(6 * time.Minute)
		runDue(t, r)
		if got := job(t, db, j.ID); ran != 1 || got.State != jobs.Done || got.Attempts != 2 {
			t.Fatalf("ran %d; job %+v, want done on attempt 2", ran, got)
		}
	})
}

// Two runners over one database: a periodic task runs once per period,
// whichever runner gets there first.
func TestRunnerPeriodicOneInstance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(t0)
		const every = 10 * time.Second
		var mu sync.Mutex
		var runs []time.Time
		var by []string
		task := func(name string) jobs.Task {
			return func(ctx context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				runs = append(runs, clk.Now())
				by = append(by, name)
				return nil
			}
		}
		a, b := newRunner(db, clk, "a"), newRunner(db, clk, "b")
		a.Every("report", every, task("a"))
		b.Every("report", every, task("b"))

		// In lockstep: each period, both runners try, one runs.
		for i := 0; i < 5; i++ {
			runDue(t, a)
			runDue(t, b)
			runDue(t, a)
			clk.Advance(every)
		}
		if len(runs) != 5 {
			t.Fatalf("got %d runs in 5 periods, want 5 (%v)", len(runs), by)
		}

		// Racing: both runners tick concurrently while time moves in
		// uneven steps. Runs of the task, by anyone, stay a period apart.
		runs, by = nil, nil
		var wg sync.WaitGroup
		var stop atomic.Bool
		var ticks [2]atomic.Int64
		for i, r := range []*jobs.Runner{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					if err := r.RunDue(context.Background()); err != nil {
						t.Error(err)
						return
					}
					ticks[i].Add(1)
				}
			}()
		}
		for i := 0; i < 60; i++ {
			clk.Advance(time.Duration(1+i%7) * time.Second)
			// Both runners must finish a whole RunDue that began after this
			// step before time moves again.
			wantA, wantB := ticks[0].Load()+2, ticks[1].Load()+2
			deadline := time.Now().Add(10 * time.Second)
			for ticks[0].Load() < wantA || ticks[1].Load() < wantB {
				if time.Now().After(deadline) {
					t.Fatal("runners stopped ticking")
				}
				runtime.Gosched()
			}
		}
		stop.Store(true)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(runs) < 5 {
			t.Fatalf("only %d runs while time moved %v", len(runs), 60*4*time.Second)
		}
		sorted := append([]time.Time(nil), runs...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
		for i := 1; i < len(sorted); i++ {
			if d := sorted[i].Sub(sorted[i-1]); d < every {
				t.Fatalf("runs %d and %d only %v apart (by %v): two instances ran in one period", i-1, i, d, by)
			}
		}
	})
}

// Start works jobs in the background and wakes on Enqueue; Stop waits for
// the running job.
func TestRunnerStartStop(t *testing.T) {
	db := storetest.SQLite(t)
	r := jobs.NewRunner(db.Jobs(), clock.Real{}, quiet(), jobs.Options{Poll: time.Hour, Concurrency: 1})
	started := make(chan string, 1)
	release := make(chan struct{})
	r.Handle("slow", func(ctx context.Context, j jobs.Job) error {
		started <- j.ID
		<-release
		return nil
	})
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err == nil {
		t.Fatal("started twice")
	}
	j, _ := jobs.New("slow", nil, time.Now())
	if err := r.Enqueue(ctx, j); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-started:
		if id != j.ID {
			t.Fatalf("ran %s, want %s", id, j.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the woken worker did not run the job (Poll is an hour: only Wake can start it)")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- r.Stop(ctx) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a job was running", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return after the job finished")
	}
	if got := job(t, db, j.ID); got.State != jobs.Done {
		t.Fatalf("state %s after a graceful stop, want done", got.State)
	}
}
