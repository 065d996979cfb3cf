package gateway

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/errs"
)

// A hello beyond MaxHellos waits for a slot rather than being refused at
// once; beyond HelloQueue waiting, or after HelloWait, it is answered 429
// with Retry-After.
func TestHelloAdmission(t *testing.T) {
	g := New(nil, nil, clock.NewFake(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)),
		slog.New(slog.NewTextHandler(io.Discard, nil)),
		Config{MaxHellos: 1, HelloQueue: 1, HelloWait: time.Hour})
	ctx := context.Background()
	if err := g.admitHello(ctx); err != nil {
		t.Fatalf("first hello: %v", err)
	}
	// The slot is taken: the next hello waits, and gets it when freed.
	admitted := make(chan error, 1)
	go func() { admitted <- g.admitHello(ctx) }()
	for g.helloQueued.Load() != 1 {
		runtime.Gosched() // until the waiting hello has queued
	}
	// The queue is full: a third is refused at once.
	err := g.admitHello(ctx)
	if e, ok := errs.As(err); !ok || e.Code != errs.RateLimited || e.RetryAfterSeconds < 1 {
		t.Fatalf("hello beyond the queue: %v", err)
	}
	<-g.helloSlots // the first hello ends
	if err := <-admitted; err != nil {
		t.Fatalf("queued hello: %v", err)
	}
	// A queued hello that waits too long is refused.
	g.cfg.HelloWait = 10 * time.Millisecond
	if err := g.admitHello(ctx); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("hello after waiting HelloWait: %v", err)
	}
	if n := g.helloQueued.Load(); n != 0 {
		t.Fatalf("%d hellos still counted as queued", n)
	}
	// A caller that goes away stops waiting.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	g.cfg.HelloWait = time.Hour
	if err := g.admitHello(cctx); err == nil {
		t.Fatal("hello of a caller gone was admitted")
	}
}

// Long-polls ending in the same quarter second share one timer.
func TestDeadlinesShared(t *testing.T) {
	var dl deadlines
	select {
	case <-dl.after(0):
	default:
		t.Fatal("a wait of 0 is not over at once")
	}
	a, b := dl.after(time.Hour), dl.after(time.Hour)
	if a != b {
		// The two calls may straddle a grain boundary; a third lands
		// with one of them.
		if c := dl.after(time.Hour); c != a && c != b {
			t.Fatal("polls ending in the same quarter second got separate timers")
		}
	}
	select {
	case <-dl.after(time.Millisecond):
	case <-time.After(10 * time.Second):
		t.Fatal("a 1 ms deadline did not pass")
	}
	dl.mu.Lock()
	n := len(dl.m)
	dl.mu.Unlock()
	if n > 2 {
		t.Fatalf("%d timers outstanding, want the one-hour ones only", n)
	}
}
