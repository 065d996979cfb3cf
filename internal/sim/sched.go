package sim

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// scheduler is the fleet's one timer: a min-heap of due times served by a
// single goroutine, so 100,000 devices cost 100,000 heap entries rather than
// 100,000 tickers. A due function runs on its own short-lived goroutine
// (spawn), so a slow heartbeat never delays the others.
type scheduler struct {
	mu    sync.Mutex
	items schedHeap
	next  time.Time // when the loop plans to wake up
	wake  chan struct{}
}

type schedItem struct {
	at time.Time
	fn func()
}

type schedHeap []schedItem

func (h schedHeap) Len() int           { return len(h) }
func (h schedHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h schedHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *schedHeap) Push(x any)        { *h = append(*h, x.(schedItem)) }
func (h *schedHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = schedItem{}
	*h = old[:len(old)-1]
	return it
}

func newScheduler() *scheduler {
	return &scheduler{wake: make(chan struct{}, 1)}
}

// at runs fn at t (or soon after).
func (s *scheduler) at(t time.Time, fn func()) {
	s.mu.Lock()
	heap.Push(&s.items, schedItem{at: t, fn: fn})
	early := s.next.IsZero() || t.Before(s.next)
	s.mu.Unlock()
	if early {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// after runs fn after d.
func (s *scheduler) after(d time.Duration, fn func()) { s.at(time.Now().Add(d), fn) }

// run serves the heap until ctx ends; spawn starts a due function.
func (s *scheduler) run(ctx context.Context, spawn func(func())) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var due []func()
	for {
		s.mu.Lock()
		now := time.Now()
		due = due[:0]
		for len(s.items) > 0 && !s.items[0].at.After(now) {
			due = append(due, heap.Pop(&s.items).(schedItem).fn)
		}
		wait := time.Hour
		if len(s.items) > 0 {
			wait = s.items[0].at.Sub(now)
		}
		s.next = now.Add(wait)
		s.mu.Unlock()
		for i, fn := range due {
			spawn(fn)
			due[i] = nil
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
		}
	}
}
