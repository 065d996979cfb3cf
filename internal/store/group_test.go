package store_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// settingOf reads a platform setting, "" when there is none.
func settingOf(t *testing.T, db *store.DB, name string) string {
	t.Helper()
	var v string
	err := db.Read(context.Background(), func(tx *store.Tx) error {
		err := tx.QueryRowForTest(context.Background(), `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
		if err != nil && err.Error() == "sql: no rows in result set" {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Grouped writes (the devices' deliveries, progress reports and results,
// GW-2, GW-3) share transactions: each call's writes commit, or are undone
// alone when the call fails or panics, whatever the others in its group do.
func TestGW3_GroupedWritesKeptOrUndoneAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		errOwn := errors.New("this call fails")
		const n = 300
		var wg sync.WaitGroup
		results := make([]error, n)
		panics := make([]any, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { panics[i] = recover() }()
				results[i] = db.WriteGrouped(ctx, func(tx *store.Tx) error {
					if _, err := tx.SettingOrInit(ctx, fmt.Sprintf("g-%d", i), "v"); err != nil {
						return err
					}
					switch {
					case i%10 == 0:
						return fmt.Errorf("call %d: %w", i, errOwn)
					case i == 7:
						panic("call 7 panics")
					}
					return nil
				})
			}()
		}
		wg.Wait()
		for i := range n {
			got := settingOf(t, db, fmt.Sprintf("g-%d", i))
			switch {
			case i%10 == 0:
				if !errors.Is(results[i], errOwn) || got != "" {
					t.Errorf("call %d failed: got error %v and setting %q, want its own error and nothing written", i, results[i], got)
				}
			case i == 7:
				if panics[i] != "call 7 panics" || got != "" {
					t.Errorf("call 7 panicked: caller saw panic %v, setting %q; want the panic and nothing written", panics[i], got)
				}
			default:
				if results[i] != nil || panics[i] != nil || got != "v" {
					t.Errorf("call %d: error %v, panic %v, setting %q; want it written", i, results[i], panics[i], got)
				}
			}
		}
	})
}

// A grouped call whose context ended before its turn is not run; one whose
// context ends while it runs still has its statements run (they belong to a
// transaction others share) and commits.
func TestGW3_GroupedWritesAndContexts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		gone, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err := db.WriteGrouped(gone, func(tx *store.Tx) error { ran = true; return nil })
		if !errors.Is(err, context.Canceled) || ran {
			t.Fatalf("canceled call: error %v, ran %v; want context.Canceled, not run", err, ran)
		}

		ctx, cancel := context.WithCancel(context.Background())
		err = db.WriteGrouped(ctx, func(tx *store.Tx) error {
			cancel()
			_, err := tx.SettingOrInit(ctx, "late", "v")
			return err
		})
		if err != nil {
			t.Fatalf("call canceled midway: %v", err)
		}
		if got := settingOf(t, db, "late"); got != "v" {
			t.Fatalf("setting written by a call canceled midway: %q", got)
		}
	})
}

// SQLite's statements are prepared once and reused; what they do is the
// same.
func TestGW3_SQLiteStatementsReused(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	for i := range 5 {
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.SettingOrInit(ctx, fmt.Sprintf("s-%d", i), "v")
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if db.CachedStatementsForTest() == 0 {
		t.Fatal("no statement kept prepared after five identical transactions")
	}
	for i := range 5 {
		if got := settingOf(t, db, fmt.Sprintf("s-%d", i)); got != "v" {
			t.Fatalf("s-%d = %q", i, got)
		}
	}
}

// A grouped call given up while it waits (its request timed out) leaves
// at once and is never run: calls do not pile up behind a busy writer.
func TestGW3_GroupedCallGivenUpWhileQueued(t *testing.T) {
	db := storetest.SQLite(t) // one writer: a transaction holds it
	ctx := context.Background()
	hold, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = db.Write(ctx, func(tx *store.Tx) error { close(held); <-hold; return nil })
	}()
	<-held
	gone, cancel := context.WithCancel(ctx)
	ran := make(chan struct{}, 1)
	res := make(chan error, 1)
	go func() {
		res <- db.WriteGrouped(gone, func(tx *store.Tx) error { ran <- struct{}{}; return nil })
	}()
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("given up while queued: %v, want context.Canceled", err)
	}
	close(hold)
	// The next grouped call runs; the dropped one never did.
	if err := db.WriteGrouped(ctx, func(tx *store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
		t.Fatal("a call given up while queued was run")
	default:
	}
}

// A grouped call that ends the goroutine running it (runtime.Goexit, as a
// test's t.Fatal would) is not taken for a success, and later calls run.
func TestGW3_GroupedCallEndingItsGoroutine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.WriteGrouped(ctx, func(tx *store.Tx) error {
			if _, err := tx.SettingOrInit(ctx, "goexit", "v"); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
		if err == nil || settingOf(t, db, "goexit") != "" {
			t.Fatalf("a call that ended its goroutine: error %v, setting %q; want an error and nothing written", err, settingOf(t, db, "goexit"))
		}
		if err := db.WriteGrouped(ctx, func(tx *store.Tx) error { _, err := tx.SettingOrInit(ctx, "after", "v"); return err }); err != nil || settingOf(t, db, "after") != "v" {
			t.Fatalf("the next call: %v", err)
		}
	})
}
