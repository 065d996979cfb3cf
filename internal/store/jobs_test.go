package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"mysystems/internal/errs"
	"mysystems/internal/jobs"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

func enqueue(t *testing.T, db *store.DB, kind string, runAt time.Time) jobs.Job {
	t.Helper()
	j, err := jobs.New(kind, map[string]string{"k": "v"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	j.RunAt = runAt
	if err := db.Write(context.Background(), func(tx *store.Tx) error { return tx.EnqueueJob(context.Background(), j) }); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return j
}

func claim(t *testing.T, db *store.DB, kinds []string, worker string, now time.Time, limit int) []jobs.Job {
	t.Helper()
	var got []jobs.Job
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		var err error
		got, err = tx.ClaimJobs(context.Background(), kinds, worker, now, now.Add(time.Minute), limit)
		return err
	})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return got
}

func readJob(t *testing.T, db *store.DB, id string) jobs.Job {
	t.Helper()
	var j jobs.Job
	if err := db.Read(context.Background(), func(tx *store.Tx) error {
		var err error
		j, err = tx.Job(context.Background(), id)
		return err
	}); err != nil {
		t.Fatalf("read job: %v", err)
	}
	return j
}

func TestJobQueue(t *testing.T) {
	ctx := context.Background()
	// Each case gets fresh databases: the queue is global, and counts must
	// not see another case's jobs.
	each := func(name string, fn func(t *testing.T, db *store.DB)) {
		t.Run(name, func(t *testing.T) { storetest.Each(t, fn) })
	}
	each("EnqueueIsTransactional", func(t *testing.T, db *store.DB) {
		j, _ := jobs.New("tx.kind", nil, t0)
		boom := errors.New("boom")
		err := db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.EnqueueJob(ctx, j); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want boom", err)
		}
		if got := claim(t, db, []string{"tx.kind"}, "w1", t0, 10); len(got) != 0 {
			t.Fatalf("got %d jobs from a rolled-back transaction, want 0", len(got))
		}
		err = db.Read(ctx, func(tx *store.Tx) error { _, err := tx.Job(ctx, j.ID); return err })
		if !errs.Is(err, errs.NotFound) {
			t.Fatalf("got %v, want not_found", err)
		}
	})
	each("ClaimDueOfKind", func(t *testing.T, db *store.DB) {
		due := enqueue(t, db, "claim.a", t0)
		later := enqueue(t, db, "claim.a", t0.Add(time.Hour))
		enqueue(t, db, "claim.other", t0)
		got := claim(t, db, []string{"claim.a"}, "w1", t0, 10)
		if len(got) != 1 || got[0].ID != due.ID {
			t.Fatalf("got %+v, want only %s", got, due.ID)
		}
		g := got[0]
		if g.State != jobs.Running || g.Attempts != 1 || g.LockedBy != "w1" || g.LockedUntil == nil ||
			!g.LockedUntil.Equal(t0.Add(time.Minute)) || g.Payload != `{"k":"v"}` || g.MaxAttempts != jobs.DefaultMaxAttempts {
			t.Fatalf("claimed job %+v", g)
		}
		if got := claim(t, db, []string{"claim.a"}, "w2", t0, 10); len(got) != 0 {
			t.Fatalf("a running job was claimed again: %+v", got)
		}
		got = claim(t, db, []string{"claim.a"}, "w2", t0.Add(time.Hour), 10)
		if len(got) != 1 || got[0].ID != later.ID {
			t.Fatalf("got %+v, want %s once due", got, later.ID)
		}
	})
	// A job's error may quote what a client sent: it is kept as text the
	// database holds, cut between two characters.
	each("LastErrorKeptAsText", func(t *testing.T, db *store.DB) {
		a := enqueue(t, db, "err.a", t0)
		claim(t, db, []string{"err.a"}, "w1", t0, 10)
		msg := "refused \x00 caf\xc3 " + strings.Repeat("é", 3000)
		must(t, db.Write(ctx, func(tx *store.Tx) error { return tx.RetryJob(ctx, a.ID, "w1", t0, msg) }))
		j := readJob(t, db, a.ID)
		if !utf8.ValidString(j.LastError) || !strings.HasPrefix(j.LastError, "refused \uFFFD caf\uFFFD éé") ||
			!strings.HasSuffix(j.LastError, "é…") || utf8.RuneCountInString(j.LastError) != 2001 {
			t.Fatalf("last error %q… (%d characters)", j.LastError[:30], utf8.RuneCountInString(j.LastError))
		}
	})
	each("CompleteRetryFail", func(t *testing.T, db *store.DB) {
		a := enqueue(t, db, "out.a", t0)
		b := enqueue(t, db, "out.b", t0)
		c := enqueue(t, db, "out.c", t0)
		claim(t, db, []string{"out.a", "out.b", "out.c"}, "w1", t0, 10)
		err := db.Write(ctx, func(tx *store.Tx) error { return tx.CompleteJob(ctx, a.ID, "intruder", t0) })
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("complete by another worker: got %v, want conflict", err)
		}
		must(t, db.Write(ctx, func(tx *store.Tx) error { return tx.CompleteJob(ctx, a.ID, "w1", t0.Add(time.Second)) }))
		must(t, db.Write(ctx, func(tx *store.Tx) error { return tx.RetryJob(ctx, b.ID, "w1", t0.Add(time.Hour), "try later") }))
		must(t, db.Write(ctx, func(tx *store.Tx) error { return tx.FailJob(ctx, c.ID, "w1", t0, "hopeless") }))
		if j := readJob(t, db, a.ID); j.State != jobs.Done || j.DoneAt == nil || j.LockedUntil != nil {
			t.Fatalf("completed job %+v", j)
		}
		if j := readJob(t, db, b.ID); j.State != jobs.Available || !j.RunAt.Equal(t0.Add(time.Hour)) || j.LastError != "try later" || j.Attempts != 1 {
			t.Fatalf("retried job %+v", j)
		}
		if j := readJob(t, db, c.ID); j.State != jobs.Failed || j.LastError != "hopeless" || j.DoneAt == nil {
			t.Fatalf("failed job %+v", j)
		}
		err = db.Write(ctx, func(tx *store.Tx) error { return tx.CompleteJob(ctx, a.ID, "w1", t0) })
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("completing twice: got %v, want conflict", err)
		}
	})
	each("ReclaimExpired", func(t *testing.T, db *store.DB) {
		a := enqueue(t, db, "reclaim.a", t0)
		enqueue(t, db, "reclaim.a", t0)
		claim(t, db, []string{"reclaim.a"}, "dead", t0, 10)
		var n int
		reclaim := func(now time.Time) {
			must(t, db.Write(ctx, func(tx *store.Tx) error {
				var err error
				n, err = tx.ReclaimJobs(ctx, now)
				return err
			}))
		}
		reclaim(t0.Add(30 * time.Second))
		if n != 0 {
			t.Fatalf("reclaimed %d jobs before their lease expired", n)
		}
		reclaim(t0.Add(time.Minute))
		if n != 2 {
			t.Fatalf("reclaimed %d, want 2", n)
		}
		if j := readJob(t, db, a.ID); j.State != jobs.Available || j.LockedUntil != nil || j.LastError == "" {
			t.Fatalf("reclaimed job %+v", j)
		}
		got := claim(t, db, []string{"reclaim.a"}, "alive", t0.Add(time.Minute), 10)
		if len(got) != 2 || got[0].Attempts != 2 {
			t.Fatalf("after reclaim got %+v, want both jobs again on attempt 2", got)
		}
	})
	each("ReclaimOutOfAttempts", func(t *testing.T, db *store.DB) {
		j, _ := jobs.New("reclaim.last", nil, t0)
		j.MaxAttempts = 1
		must(t, db.Write(ctx, func(tx *store.Tx) error { return tx.EnqueueJob(ctx, j) }))
		claim(t, db, []string{"reclaim.last"}, "dead", t0, 1)
		must(t, db.Write(ctx, func(tx *store.Tx) error { _, err := tx.ReclaimJobs(ctx, t0.Add(time.Hour)); return err }))
		if got := readJob(t, db, j.ID); got.State != jobs.Failed {
			t.Fatalf("got state %s, want failed after its last attempt's worker died", got.State)
		}
	})
	each("Prune", func(t *testing.T, db *store.DB) {
		a := enqueue(t, db, "prune.a", t0)
		b := enqueue(t, db, "prune.a", t0)
		claim(t, db, []string{"prune.a"}, "w", t0, 10)
		must(t, db.Write(ctx, func(tx *store.Tx) error { return tx.CompleteJob(ctx, a.ID, "w", t0) }))
		must(t, db.Write(ctx, func(tx *store.Tx) error {
			n, err := tx.PruneJobs(ctx, t0.Add(time.Second))
			if n != 1 {
				return fmt.Errorf("pruned %d, want 1", n)
			}
			return err
		}))
		readJob(t, db, b.ID) // still running: kept
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Workers racing for the same queue each get distinct jobs (SKIP LOCKED on
// PostgreSQL, the single writer on SQLite).
func TestJobClaimConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 40
		for i := 0; i < n; i++ {
			enqueue(t, db, "race", t0)
		}
		var mu sync.Mutex
		seen := map[string]string{}
		var wg sync.WaitGroup
		errc := make(chan error, 4)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(worker string) {
				defer wg.Done()
				for {
					var got []jobs.Job
					err := db.Write(context.Background(), func(tx *store.Tx) error {
						var err error
						got, err = tx.ClaimJobs(context.Background(), []string{"race"}, worker, t0, t0.Add(time.Minute), 3)
						return err
					})
					if err != nil {
						errc <- err
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, j := range got {
						if prev, dup := seen[j.ID]; dup {
							errc <- fmt.Errorf("job %s claimed by %s and %s", j.ID, prev, worker)
						}
						seen[j.ID] = worker
					}
					mu.Unlock()
				}
			}(fmt.Sprintf("w%d", w))
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Error(err)
		}
		if len(seen) != n {
			t.Fatalf("claimed %d distinct jobs, want %d", len(seen), n)
		}
	})
}

func TestLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acquire := func(name, holder string, now time.Time, ttl time.Duration) (bool, time.Time) {
			t.Helper()
			var ok bool
			var until time.Time
			must(t, db.Write(ctx, func(tx *store.Tx) error {
				var err error
				ok, until, err = tx.AcquireLease(ctx, name, holder, now, now.Add(ttl))
				return err
			}))
			return ok, until
		}
		t.Run("OK", func(t *testing.T) {
			if ok, until := acquire("l1", "a", t0, time.Minute); !ok || !until.Equal(t0.Add(time.Minute)) {
				t.Fatalf("free lease: got %v until %v", ok, until)
			}
			if ok, until := acquire("l1", "b", t0.Add(30*time.Second), time.Minute); ok || !until.Equal(t0.Add(time.Minute)) {
				t.Fatalf("held lease taken by another: got %v until %v", ok, until)
			}
			if ok, until := acquire("l1", "a", t0.Add(30*time.Second), time.Minute); !ok || !until.Equal(t0.Add(90*time.Second)) {
				t.Fatalf("renewal by holder: got %v until %v", ok, until)
			}
			if ok, _ := acquire("l1", "b", t0.Add(90*time.Second), time.Minute); !ok {
				t.Fatal("expired lease not taken over")
			}
			if ok, _ := acquire("l2", "a", t0, time.Minute); !ok {
				t.Fatal("leases of different names are independent")
			}
		})
		t.Run("Concurrent", func(t *testing.T) {
			var wins sync.WaitGroup
			var mu sync.Mutex
			winners := 0
			for i := 0; i < 8; i++ {
				wins.Add(1)
				go func(holder string) {
					defer wins.Done()
					var ok bool
					err := db.Write(ctx, func(tx *store.Tx) error {
						var err error
						ok, _, err = tx.AcquireLease(ctx, "race", holder, t0, t0.Add(time.Minute))
						return err
					})
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						winners++
						mu.Unlock()
					}
				}(fmt.Sprintf("h%d", i))
			}
			wins.Wait()
			if winners != 1 {
				t.Fatalf("got %d holders of one lease, want 1", winners)
			}
		})
	})
}
