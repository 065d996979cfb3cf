package gateway

import (
	"hash/maphash"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"mysystems/internal/errs"
)

const shards = 64

var seed = maphash.MakeSeed()

func shardOf(key string) int { return int(maphash.String(seed, key) % shards) }

// hub tracks, per device, the long-polls waiting on this instance and
// whether the device may have commands to deliver, so an idle poll costs no
// database query.
type hub struct {
	s [shards]hubShard
	// settled: the devices with open commands are known (loadOpen); a
	// device seen for the first time after that has nothing waiting.
	settled atomic.Bool
}

type hubShard struct {
	mu sync.Mutex
	m  map[string]*devState
}

type devState struct {
	waiters []chan struct{}
	// dirty: a command may be waiting (new command, new connection, or
	// never checked since this process started).
	dirty bool
	// recheck: a delivered command falls due for redelivery then.
	recheck time.Time
}

func (h *hub) init() {
	for i := range h.s {
		h.s[i].m = map[string]*devState{}
	}
}

func (h *hub) state(sh *hubShard, serial string) *devState {
	st := sh.m[serial]
	if st == nil {
		st = &devState{dirty: !h.settled.Load()}
		sh.m[serial] = st
	}
	return st
}

func (h *hub) wait(serial string) chan struct{} {
	sh := &h.s[shardOf(serial)]
	ch := make(chan struct{}, 1)
	sh.mu.Lock()
	st := h.state(sh, serial)
	st.waiters = append(st.waiters, ch)
	sh.mu.Unlock()
	return ch
}

func (h *hub) done(serial string, ch chan struct{}) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	if st := sh.m[serial]; st != nil {
		for i, w := range st.waiters {
			if w == ch {
				st.waiters = append(st.waiters[:i], st.waiters[i+1:]...)
				break
			}
		}
	}
	sh.mu.Unlock()
}

// take reports whether the device should be checked now, and clears the
// reason.
func (h *hub) take(serial string, now time.Time) bool {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st := h.state(sh, serial)
	due := st.dirty || (!st.recheck.IsZero() && !now.Before(st.recheck))
	if due {
		st.dirty = false
		st.recheck = time.Time{}
	}
	return due
}

func (h *hub) wake(serial string) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	st := h.state(sh, serial)
	st.dirty = true
	for _, w := range st.waiters {
		select {
		case w <- struct{}{}:
		default:
		}
	}
	sh.mu.Unlock()
}

// wakeAll marks every device as possibly having commands (after the bus
// reconnected and may have missed notifications).
func (h *hub) wakeAll() {
	for i := range h.s {
		sh := &h.s[i]
		sh.mu.Lock()
		for _, st := range sh.m {
			st.dirty = true
			for _, w := range st.waiters {
				select {
				case w <- struct{}{}:
				default:
				}
			}
		}
		sh.mu.Unlock()
	}
}

func (h *hub) maybe(serial string) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	h.state(sh, serial).dirty = true
	sh.mu.Unlock()
}

func (h *hub) recheckAt(serial string, at time.Time) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	st := h.state(sh, serial)
	if st.recheck.IsZero() || at.Before(st.recheck) {
		st.recheck = at
	}
	sh.mu.Unlock()
}

func (h *hub) nextCheck(serial string) time.Time {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if st := sh.m[serial]; st != nil {
		return st.recheck
	}
	return time.Time{}
}

func (h *hub) count() int {
	n := 0
	for i := range h.s {
		sh := &h.s[i]
		sh.mu.Lock()
		for _, st := range sh.m {
			n += len(st.waiters)
		}
		sh.mu.Unlock()
	}
	return n
}

// presence holds last-seen times not yet written to the database.
type presence struct{ s [shards]presenceShard }

type presenceShard struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (p *presence) init() {
	for i := range p.s {
		p.s[i].m = map[string]time.Time{}
	}
}

func (p *presence) seen(serial string, at time.Time) {
	sh := &p.s[shardOf(serial)]
	sh.mu.Lock()
	if at.After(sh.m[serial]) {
		sh.m[serial] = at
	}
	sh.mu.Unlock()
}

func (p *presence) drain() map[string]time.Time {
	out := map[string]time.Time{}
	for i := range p.s {
		sh := &p.s[i]
		sh.mu.Lock()
		for k, v := range sh.m {
			out[k] = v
		}
		sh.m = map[string]time.Time{}
		sh.mu.Unlock()
	}
	return out
}

func (p *presence) restore(seen map[string]time.Time) {
	for k, v := range seen {
		p.seen(k, v)
	}
}

var releaseRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// firmware serves an AXIS OS image with HTTP ranges, so downloads resume
// (GW-3).
func (g *Gateway) firmware(c *call) (any, error) {
	rel := c.r.PathValue("release")
	if !releaseRe.MatchString(rel) || g.cfg.DataDir == "" {
		return nil, errs.NotFoundf("firmware %s not found", rel)
	}
	path := filepath.Join(g.cfg.DataDir, "firmware", rel)
	f, err := os.Open(path)
	if err != nil {
		return nil, errs.NotFoundf("firmware %s not found", rel)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		return nil, errs.NotFoundf("firmware %s not found", rel)
	}
	c.w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(c.w, c.r, rel, st.ModTime(), f)
	return nil, nil
}

// SetDataDirForTest points firmware downloads at dir.
func (g *Gateway) SetDataDirForTest(dir string) { g.cfg.DataDir = dir }

// knownMap holds, per device, what this instance last knew of its report.
type knownMap struct{ s [shards]knownShard }

type knownShard struct {
	mu sync.Mutex
	m  map[string]knownState
}

func (k *knownMap) init() {
	for i := range k.s {
		k.s[i].m = map[string]knownState{}
	}
}

func (k *knownMap) get(serial string) (knownState, bool) {
	sh := &k.s[shardOf(serial)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	v, ok := sh.m[serial]
	return v, ok
}

func (k *knownMap) put(serial string, v knownState) {
	sh := &k.s[shardOf(serial)]
	sh.mu.Lock()
	sh.m[serial] = v
	sh.mu.Unlock()
}
