package gateway

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
)

// maxBatch bounds the commands one poll returns.
const maxBatch = 20

func (g *Gateway) poll(c *call) (any, error) {
	wait := 30 * time.Second
	if s, _ := queryValue(c.r.URL.RawQuery, "wait"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, errs.InvalidField("wait", "err.gateway.wait")
		}
		wait = min(time.Duration(n)*time.Second, g.cfg.MaxWait)
	}
	g.polls.Add(1)
	defer g.polls.Done()
	g.presence.seen(c.serial, g.clock.Now())
	ctx := c.r.Context()
	deadline := g.deadlines.after(wait)
	g.hub.enter(c.serial)
	defer g.hub.leave(c.serial)
	for {
		due, carried, w := g.hub.check(c.serial, g.clock.Now())
		if due {
			var cmds []device.WireCommand
			var recheck time.Time
			var err error
			if carried != nil {
				cmds, err = g.deliverCarried(ctx, c.serial, carried)
			} else {
				cmds, recheck, err = g.deliver(ctx, c.serial)
			}
			if err != nil {
				// The commands are still open (the poll gave up waiting for
				// the database, or the write failed): the device's next poll
				// looks again instead of waiting for a wake-up that came.
				g.hub.again(c.serial)
				return nil, err
			}
			if len(cmds) > 0 {
				return device.Commands{Commands: cmds}, nil
			}
			if !recheck.IsZero() {
				g.hub.recheckAt(c.serial, recheck)
			}
			continue
		}
		var again <-chan time.Time
		var t *time.Timer
		if at := g.hub.nextCheck(c.serial); !at.IsZero() {
			t = time.NewTimer(max(at.Sub(g.clock.Now()), time.Millisecond))
			again = t.C
		}
		var timedOut, gone bool
		select {
		case <-w:
		case <-again:
		case <-deadline:
			timedOut = true
		case <-ctx.Done():
			gone = true
		}
		if t != nil {
			t.Stop() // one timer per wait, not one per wake-up for the poll's life
		}
		if timedOut {
			return device.Commands{Commands: []device.WireCommand{}}, nil
		}
		if gone {
			return nil, nil
		}
	}
}

// deliver returns the device's open commands that are due (never delivered,
// or delivered long enough ago without a result) and marks them delivered.
// recheck is when a delivered command falls due again, if any.
func (g *Gateway) deliver(ctx context.Context, serial string) ([]device.WireCommand, time.Time, error) {
	now := g.clock.Now()
	var due []fleet.Command
	var recheck time.Time
	err := g.store.Read(ctx, func(tx fleet.DeviceTx) error {
		org, _, err := g.orgOf(ctx, tx, serial, false)
		if err != nil || org == "" {
			return err // an unclaimed device has no commands
		}
		cmds, err := tx.OpenCommands(ctx, org, serial, maxBatch)
		if err != nil {
			return err
		}
		due, recheck = fleet.Due(cmds, now, g.cfg.Redeliver)
		return nil
	})
	if err != nil || len(due) == 0 {
		return nil, recheck, err
	}
	return g.markDelivered(ctx, serial, due, recheck, now)
}

// deliverCarried is deliver for the commands a wake-up carried: new
// commands of this instance, sent without reading the database. Their
// deliveries are written in batches beside (see deliveryMarks), not before
// the poll answers: a delivery whose write is lost leaves its command
// pending, and the command is sent again (at least once; the device answers
// a repeated command by its id).
func (g *Gateway) deliverCarried(ctx context.Context, serial string, carried []fleet.Command) ([]device.WireCommand, error) {
	now := g.clock.Now()
	if !g.marks.add(serial, carried, now) {
		cmds, _, err := g.markDelivered(ctx, serial, carried, time.Time{}, now)
		return cmds, err
	}
	out := make([]device.WireCommand, len(carried))
	for i, c := range carried {
		out[i] = c.Wire()
	}
	g.hub.recheckAt(serial, now.Add(g.cfg.Redeliver))
	return out, nil
}

// markDelivered marks cmds, commands of the device, delivered at now, and
// returns those still open, in their order, with the time of the next
// check.
func (g *Gateway) markDelivered(ctx context.Context, serial string, cmds []fleet.Command, recheck, now time.Time) ([]device.WireCommand, time.Time, error) {
	ids := map[string][]string{} // by organization
	for _, c := range cmds {
		ids[c.OrgID] = append(ids[c.OrgID], c.ID)
	}
	taken := make(map[string]bool, len(cmds))
	// Every long-poll that takes a command writes it: the deliveries share
	// transactions.
	err := g.store.WriteGrouped(ctx, func(tx fleet.DeviceTx) error {
		clear(taken)
		for orgID, ids := range ids {
			got, err := tx.MarkDelivered(ctx, orgID, ids, now)
			if err != nil {
				return err
			}
			for _, id := range got {
				taken[orgID+" "+id] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, recheck, err
	}
	out := make([]device.WireCommand, 0, len(taken))
	for _, c := range cmds {
		if taken[c.OrgID+" "+c.ID] {
			out = append(out, c.Wire())
		}
	}
	if len(out) == 0 {
		return nil, recheck, nil
	}
	// Delivered commands come again if no result arrives in time.
	if again := now.Add(g.cfg.Redeliver); recheck.IsZero() || again.Before(recheck) {
		recheck = again
	}
	g.hub.recheckAt(serial, recheck)
	return out, recheck, nil
}

// deliveryMarks holds the deliveries of carried commands not yet written.
// Thousands of devices woken at once take their commands at once: their
// deliveries are written a few hundred per statement by one writer
// (Gateway.flushMarks), instead of each poll waiting for a write of its
// own behind the devices' reports.
type deliveryMarks struct {
	mu      sync.Mutex
	pending []mark
	kick    chan struct{}
	running atomic.Bool
}

type mark struct {
	serial, orgID, id string
	at                time.Time
}

// add queues the deliveries of cmds to serial at now, unless no writer
// runs (then it returns false: the caller writes them).
func (m *deliveryMarks) add(serial string, cmds []fleet.Command, now time.Time) bool {
	if !m.running.Load() {
		return false
	}
	m.mu.Lock()
	for _, c := range cmds {
		m.pending = append(m.pending, mark{serial: serial, orgID: c.OrgID, id: c.ID, at: now})
	}
	m.mu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
	return true
}

func (m *deliveryMarks) take() []mark {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.pending
	m.pending = nil
	return out
}

// runMarks writes the queued deliveries as they come, until ctx ends.
func (g *Gateway) runMarks(ctx context.Context) {
	g.marks.running.Store(true)
	for {
		select {
		case <-g.marks.kick:
			g.flushMarks(ctx)
		case <-ctx.Done():
			g.marks.running.Store(false)
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			g.flushMarks(fctx)
			cancel()
			return
		}
	}
}

// flushMarks writes the queued deliveries, each organization's a few
// hundred per statement, at the time of the first (a command falls due
// again from its delivery: no later than it should). If the write fails,
// their devices' next polls read their open commands, and send again
// those left pending.
func (g *Gateway) flushMarks(ctx context.Context) {
	batch := g.marks.take()
	if len(batch) == 0 {
		return
	}
	ids := map[string][]string{}
	at := map[string]time.Time{}
	for _, m := range batch {
		ids[m.orgID] = append(ids[m.orgID], m.id)
		if t, ok := at[m.orgID]; !ok || m.at.Before(t) {
			at[m.orgID] = m.at
		}
	}
	err := g.store.WriteGrouped(ctx, func(tx fleet.DeviceTx) error {
		for orgID, ids := range ids {
			if _, err := tx.MarkDelivered(ctx, orgID, ids, at[orgID]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		g.log.Warn("write command deliveries: their devices' next polls look again", "commands", len(batch), "err", err)
		for _, m := range batch {
			g.hub.again(m.serial)
		}
	}
}

func (g *Gateway) result(c *call) (any, error) {
	var in device.Result
	if err := decode(c.r, c.w, &in); err != nil {
		return nil, err
	}
	in, err := device.CheckResult(in)
	if err != nil {
		return nil, g.refused(c.serial, c.r.URL.Path, err)
	}
	id := c.r.PathValue("id")
	now := g.clock.Now()
	var reply device.ResultReply
	var resOrg string
	ctx := c.r.Context()
	err = g.store.WriteGrouped(ctx, func(tx fleet.DeviceTx) error {
		org, kept, err := g.orgOf(ctx, tx, c.serial, false)
		if err != nil {
			return err
		}
		resOrg = org
		reply, err = fleet.RecordResult(ctx, tx, org, c.serial, id, in, now)
		if errs.Is(err, errs.NotFound) && kept {
			// The organization kept in memory may be out of date (a
			// wake-up missed): the database's claim decides.
			fresh, _, ferr := g.orgOf(ctx, tx, c.serial, true)
			if ferr != nil {
				return ferr
			}
			if fresh != org {
				resOrg = fresh
				reply, err = fleet.RecordResult(ctx, tx, fresh, c.serial, id, in, now)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if g.upgrades != nil {
		// An upgrade's result ends its task (the command's outcome is
		// recorded: a device that does not hear back posts it again, and
		// the task takes it once).
		if err := g.upgrades.Result(ctx, resOrg, c.serial, id, in); err != nil {
			return nil, err
		}
	}
	g.presence.seen(c.serial, now)
	return reply, nil
}

// orgOf returns the organization of the device for a command read or write
// in tx: the one kept in its state (kept), or, when that is unknown or
// fresh is set, its claim read from the database, which the state then
// keeps.
func (g *Gateway) orgOf(ctx context.Context, tx fleet.DeviceTx, serial string, fresh bool) (org string, kept bool, err error) {
	org, known, gen := g.hub.org(serial)
	if known && !fresh {
		return org, true, nil
	}
	claims, err := tx.Claims(ctx, []string{serial})
	if err != nil {
		return "", false, err
	}
	org = claims[serial]
	g.hub.resolved(serial, org, gen)
	return org, false, nil
}

// queryValue returns the first value of key in a raw query, without
// building the whole url.Values map (a long-poll's only parameter).
func queryValue(raw, key string) (string, bool) {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			if u, err := url.QueryUnescape(v); err == nil {
				return u, true
			}
			return v, true
		}
	}
	return "", false
}
