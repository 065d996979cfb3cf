package gateway

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"mysystems/internal/fleet"
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
	// waiting counts the long-polls of the device waiting on this instance.
	waiting int
	// wake is closed to wake them (made on demand, so a waiting poll
	// allocates nothing of its own here).
	wake chan struct{}
	// dirty: a command may be waiting (new command, new connection, or
	// never checked since this process started): the next check reads the
	// device's open commands.
	dirty bool
	// carried are new commands this instance made for the device, handed
	// over with their wake-up (carry): while the state is not dirty, the
	// next check sends them without reading the database. Any wake-up that
	// is not a carried one drops them (the read finds them).
	carried []fleet.Command
	// recheck: a delivered command falls due for redelivery then.
	recheck time.Time
	// org is the device's organization ("" if unclaimed) when orgKnown;
	// every command read or write and the presence flush use it. It comes
	// from the hello, a command's wake-up, or the database (resolve) when
	// unknown: a new state, or a wake-up saying it changed. orgGen counts
	// its changes, so a value read from the database does not overwrite a
	// newer one.
	org      string
	orgKnown bool
	orgGen   uint32
}

// setOrgLocked records the device's organization ("" with known false:
// unknown, read it again).
func (st *devState) setOrgLocked(org string, known bool) {
	st.org, st.orgKnown = org, known
	st.orgGen++
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

// enter counts a long-poll of the device as waiting; leave ends that.
func (h *hub) enter(serial string) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	h.state(sh, serial).waiting++
	sh.mu.Unlock()
}

func (h *hub) leave(serial string) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	if st := sh.m[serial]; st != nil && st.waiting > 0 {
		st.waiting--
	}
	sh.mu.Unlock()
}

// check reports whether the device should be checked now, clearing the
// reason: with carried, the commands its wake-up carried, to send without
// reading its open commands; with none, a read is due. If not due, it
// returns the channel that a wake-up closes. All under one lock, so a
// wake-up in between cannot be missed.
func (h *hub) check(serial string, now time.Time) (due bool, carried []fleet.Command, wake <-chan struct{}) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st := h.state(sh, serial)
	if st.dirty || (!st.recheck.IsZero() && !now.Before(st.recheck)) {
		st.dirty = false
		st.recheck = time.Time{}
		st.carried = nil // the read finds them
		return true, nil, nil
	}
	if len(st.carried) > 0 {
		carried, st.carried = st.carried, nil
		return true, carried, nil
	}
	if st.wake == nil {
		st.wake = make(chan struct{})
	}
	return false, nil, st.wake
}

// again marks the device as possibly having commands, without waking its
// polls: a check that did not complete is to be done again.
func (h *hub) again(serial string) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	st := h.state(sh, serial)
	st.dirty, st.carried = true, nil
	sh.mu.Unlock()
}

// wakeLocked marks the device as possibly having commands and wakes its
// waiting polls.
func (st *devState) wakeLocked() {
	st.dirty, st.carried = true, nil
	st.signalLocked()
}

// signalLocked wakes the device's waiting polls.
func (st *devState) signalLocked() {
	if st.wake != nil {
		close(st.wake)
		st.wake = nil
	}
}

// carry wakes the devices of cmds, new commands committed by this
// instance, handing each its commands: the woken poll sends them without
// reading the database. A device this instance has no state for (it does
// not talk to this instance, or not yet), or whose next check reads anyway,
// is woken as wake does: the read finds them. Each shard is locked once
// for all its devices (an upgrade wakes thousands at once, and each woken
// poll takes its shard's lock at once).
func (h *hub) carry(cmds []fleet.Command) {
	var byShard [shards][]int
	for i, c := range cmds {
		k := shardOf(c.Serial)
		byShard[k] = append(byShard[k], i)
	}
	for k, idx := range byShard {
		if len(idx) == 0 {
			continue
		}
		sh := &h.s[k]
		sh.mu.Lock()
		for _, i := range idx {
			h.carryLocked(sh, cmds[i])
		}
		sh.mu.Unlock()
	}
}

func (h *hub) carryLocked(sh *hubShard, c fleet.Command) {
	st, ok := sh.m[c.Serial]
	if !ok || st.dirty || len(st.carried) >= maxBatch {
		st = h.state(sh, c.Serial)
		st.setOrgLocked(c.OrgID, true)
		st.wakeLocked()
		return
	}
	if !st.orgKnown || st.org != c.OrgID {
		st.setOrgLocked(c.OrgID, true)
	}
	st.carried = append(st.carried, c)
	st.signalLocked()
}

// wake marks the device as possibly having commands in organization org
// and wakes its waiting polls; org "" means its organization changed and
// is read again.
func (h *hub) wake(org, serial string) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	st := h.state(sh, serial)
	st.setOrgLocked(org, org != "")
	st.wakeLocked()
	sh.mu.Unlock()
}

// wakeAll marks every device as possibly having commands, and its
// organization as unknown (after the bus reconnected and may have missed
// notifications).
func (h *hub) wakeAll() {
	for i := range h.s {
		sh := &h.s[i]
		sh.mu.Lock()
		for _, st := range sh.m {
			st.setOrgLocked("", false)
			st.wakeLocked()
		}
		sh.mu.Unlock()
	}
}

// echo applies this instance's own wake-up of the device in org, come back
// through the bus: it was applied here when it was made, so it only gives
// back the device's organization if it became unknown since (the bus
// reconnected: wakeAll), not newer news of it. Nothing is woken.
func (h *hub) echo(org, serial string) {
	if org == "" {
		return
	}
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	if st := sh.m[serial]; st != nil && !st.orgKnown {
		st.setOrgLocked(org, true)
	}
	sh.mu.Unlock()
}

// maybe marks a device of org as possibly having commands (start-up).
func (h *hub) maybe(org, serial string) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	st := h.state(sh, serial)
	st.dirty = true
	st.setOrgLocked(org, true)
	sh.mu.Unlock()
}

// setOrg records the device's organization as read at its hello.
func (h *hub) setOrg(serial, org string) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	h.state(sh, serial).setOrgLocked(org, true)
	sh.mu.Unlock()
}

// org returns the device's organization if known, and the generation to
// pass to resolved.
func (h *hub) org(serial string) (org string, known bool, gen uint32) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if st := sh.m[serial]; st != nil {
		return st.org, st.orgKnown, st.orgGen
	}
	return "", false, 0
}

// resolved records the organization read from the database for a device
// whose state was at generation gen, unless it changed meanwhile.
func (h *hub) resolved(serial, org string, gen uint32) {
	sh := &h.s[shardOf(serial)]
	sh.mu.Lock()
	if st := h.state(sh, serial); st.orgGen == gen {
		st.setOrgLocked(org, true)
	}
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
			n += st.waiting
		}
		sh.mu.Unlock()
	}
	return n
}

// presence holds the devices' last contact not yet written to the
// database. A live device's contact is written at most once per resolution
// (the heartbeat interval): a device polling and heartbeating several times
// a minute costs one row write a minute, not three. A contact within the
// resolution of the written one waits in quiet, and is written once the
// device has been silent for a resolution: a silent device's database row
// then holds its exact last contact, so it turns offline exactly
// fleet.OnlineWindow after it (DEV-7).
type presence struct {
	resolution time.Duration
	s          [shards]presenceShard
}

type presenceShard struct {
	mu      sync.Mutex
	pending map[string]time.Time
	// written is the last contact time written for each device by this
	// instance.
	written map[string]time.Time
	// quiet is each device's latest contact held back because it came
	// within the resolution of the written one.
	quiet map[string]time.Time
}

func (p *presence) init(resolution time.Duration) {
	p.resolution = resolution
	for i := range p.s {
		p.s[i].pending = map[string]time.Time{}
		p.s[i].written = map[string]time.Time{}
		p.s[i].quiet = map[string]time.Time{}
	}
}

func (p *presence) seen(serial string, at time.Time) {
	sh := &p.s[shardOf(serial)]
	sh.mu.Lock()
	w, ok := sh.written[serial]
	switch {
	case !ok || at.Sub(w) >= p.resolution:
		if at.After(sh.pending[serial]) {
			sh.pending[serial] = at
		}
		delete(sh.quiet, serial)
	case at.After(w) && at.After(sh.quiet[serial]):
		sh.quiet[serial] = at
	}
	sh.mu.Unlock()
}

// drain takes the pending contacts, and the held-back ones of devices
// silent for a resolution at now; the caller writes them, then calls wrote
// (or restore if the write failed).
func (p *presence) drain(now time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for i := range p.s {
		sh := &p.s[i]
		sh.mu.Lock()
		for k, v := range sh.pending {
			out[k] = v
		}
		if len(sh.pending) > 0 {
			sh.pending = map[string]time.Time{}
		}
		for k, v := range sh.quiet {
			if now.Sub(v) >= p.resolution {
				if v.After(out[k]) {
					out[k] = v
				}
				delete(sh.quiet, k)
			}
		}
		sh.mu.Unlock()
	}
	return out
}

// wrote records that seen is in the database.
func (p *presence) wrote(seen map[string]time.Time) {
	p.raise(seen, func(sh *presenceShard) map[string]time.Time { return sh.written })
}

// restore puts back contacts whose write failed.
func (p *presence) restore(seen map[string]time.Time) {
	p.raise(seen, func(sh *presenceShard) map[string]time.Time { return sh.pending })
}

// raise moves each device's time in the map m picks forward to seen's. A
// contact held back that seen's covers needs no writing of its own (it is
// written, or pending again).
func (p *presence) raise(seen map[string]time.Time, m func(*presenceShard) map[string]time.Time) {
	for k, v := range seen {
		sh := &p.s[shardOf(k)]
		sh.mu.Lock()
		if mm := m(sh); v.After(mm[k]) {
			mm[k] = v
		}
		if q, ok := sh.quiet[k]; ok && !q.After(v) {
			delete(sh.quiet, k)
		}
		sh.mu.Unlock()
	}
}

// forget drops, from this instance's per-device maps, the devices last in
// contact before cutoff: the written contact time, the last known report
// and the long-poll state, unless a poll is waiting, a command may be
// waiting (dirty; commands carried by a wake-up are dropped, for the
// device's next poll to read) or a redelivery is due. Devices that were removed, or
// that moved to another instance, no longer hold memory here for ever. A
// forgotten device that comes back is recorded anew: its next contact is
// written and its next report compared with the database's.
func (g *Gateway) forget(cutoff time.Time) int {
	n := 0
	for i := range g.presence.s {
		ps := &g.presence.s[i]
		var gone []string
		ps.mu.Lock()
		for serial, at := range ps.written {
			_, pending := ps.pending[serial]
			_, quiet := ps.quiet[serial]
			if !pending && !quiet && at.Before(cutoff) {
				delete(ps.written, serial)
				gone = append(gone, serial)
			}
		}
		ps.mu.Unlock()
		if len(gone) == 0 {
			continue
		}
		n += len(gone)
		ks := &g.known.s[i]
		ks.mu.Lock()
		for _, serial := range gone {
			delete(ks.m, serial)
		}
		ks.mu.Unlock()
		hs := &g.hub.s[i]
		hs.mu.Lock()
		for _, serial := range gone {
			st := hs.m[serial]
			if st == nil || st.waiting > 0 {
				continue
			}
			if len(st.carried) > 0 {
				// Commands for a device gone silent are not kept in
				// memory: its next poll reads them.
				st.dirty, st.carried = true, nil
			}
			if !st.dirty && st.recheck.IsZero() {
				delete(hs.m, serial)
			}
		}
		hs.mu.Unlock()
	}
	return n
}

// remembered counts the devices in each per-device map (tests).
func (g *Gateway) remembered() (written, known, hub int) {
	for i := range g.presence.s {
		g.presence.s[i].mu.Lock()
		written += len(g.presence.s[i].written)
		g.presence.s[i].mu.Unlock()
		g.known.s[i].mu.Lock()
		known += len(g.known.s[i].m)
		g.known.s[i].mu.Unlock()
		g.hub.s[i].mu.Lock()
		hub += len(g.hub.s[i].m)
		g.hub.s[i].mu.Unlock()
	}
	return written, known, hub
}

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

// deadlines hands out channels closed when a long-poll's wait is over,
// shared by every poll ending in the same quarter second: 100,000 waiting
// polls hold at most a few hundred timers, not one each.
type deadlines struct {
	mu sync.Mutex
	m  map[int64]chan struct{}
}

const deadlineGrain = 250 * time.Millisecond

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// after returns a channel closed d from now, rounded up to the grain.
func (dl *deadlines) after(d time.Duration) <-chan struct{} {
	if d <= 0 {
		return closedChan
	}
	at := time.Now().Add(d)
	slot := (at.UnixNano() + int64(deadlineGrain) - 1) / int64(deadlineGrain)
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if c, ok := dl.m[slot]; ok {
		return c
	}
	if dl.m == nil {
		dl.m = map[int64]chan struct{}{}
	}
	c := make(chan struct{})
	dl.m[slot] = c
	time.AfterFunc(time.Until(time.Unix(0, slot*int64(deadlineGrain))), func() {
		dl.mu.Lock()
		delete(dl.m, slot)
		dl.mu.Unlock()
		close(c)
	})
	return c
}
