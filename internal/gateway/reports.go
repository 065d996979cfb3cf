package gateway

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
)

func (g *Gateway) heartbeat(c *call) (any, error) {
	var in device.Heartbeat
	if c.r.ContentLength != 0 {
		if err := decode(c.r, c.w, &in); err != nil {
			return nil, err
		}
	}
	in, err := device.CheckHeartbeat(in)
	if err != nil {
		return nil, g.refused(c.serial, c.r.URL.Path, err)
	}
	now := g.clock.Now()
	g.presence.seen(c.serial, now)
	known, _ := g.known.get(c.serial)
	// Devices repeat what they are in every heartbeat; only a change costs
	// a database round trip.
	fwChanged := in.Firmware != "" && in.Firmware != known.firmware
	acChanged := in.Accounts != nil && accountsPrint(in.Accounts) != known.accounts
	if fwChanged || acChanged {
		ctx := c.r.Context()
		var rep fleet.Reported
		err := g.store.Read(ctx, func(tx fleet.DeviceTx) error {
			var err error
			rep, err = tx.Reported(ctx, c.serial)
			return err
		})
		if err != nil {
			return nil, err
		}
		rep = rep.AfterHeartbeat(in)
		if err := g.saveReport(ctx, rep); err != nil {
			return nil, err
		}
		known = knownOf(rep)
		g.known.put(c.serial, known)
	}
	// The organization the hub holds is newer than the report's when a
	// claim or a removal woke the device since.
	claimed := known.claimed
	if org, ok, _ := g.hub.org(c.serial); ok {
		claimed = org != ""
	}
	return device.HeartbeatReply{HeartbeatSeconds: int(g.cfg.Heartbeat / time.Second), Claimed: claimed}, nil
}

// knownState is what this instance last knew of a device's report.
type knownState struct {
	firmware string
	accounts string // accountsPrint of the account list
	claimed  bool
}

func knownOf(rep fleet.Reported) knownState {
	return knownState{firmware: rep.Firmware, accounts: accountsPrint(rep.Accounts), claimed: rep.OrgID != ""}
}

// accountsPrint summarises an account list to spot a change cheaply.
func accountsPrint(accounts []device.Account) string {
	h := sha256.New()
	for _, a := range accounts {
		fmt.Fprintf(h, "%s\x00%s\x00%t\x00", a.Username, a.Role, a.Service)
	}
	return string(h.Sum(nil)[:12])
}

// Flush writes the pending device reports, then the presence seen since
// the last flush, each in one transaction.
func (g *Gateway) Flush(ctx context.Context) error {
	g.flushReports(ctx)
	seen := g.presence.drain(g.clock.Now())
	// Small transactions, so a command being issued or delivered waits for
	// one of them at most, not for the whole flush (SQLite has one writer).
	var chunks []map[string]time.Time
	chunk := map[string]time.Time{}
	for k, v := range seen {
		chunk[k] = v
		if len(chunk) == presenceChunk {
			chunks = append(chunks, chunk)
			chunk = map[string]time.Time{}
		}
	}
	if len(chunk) > 0 {
		chunks = append(chunks, chunk)
	}
	for i, c := range chunks {
		keys, err := g.presenceKeys(ctx, c)
		if err == nil && len(keys) > 0 {
			err = g.store.Write(ctx, func(tx fleet.DeviceTx) error { return tx.TouchDevices(ctx, keys) })
		}
		if err != nil {
			for _, rest := range chunks[i:] {
				g.presence.restore(rest)
			}
			return err
		}
		g.presence.wrote(c)
	}
	g.forgetSilent(g.clock.Now())
	return nil
}

// presenceKeys names each device of seen by its organization, as kept in
// its state; the devices whose organization is unknown or none (unclaimed
// at their hello, or removed since) have their claim read in one query.
// Unclaimed devices have no record to touch and are left out.
func (g *Gateway) presenceKeys(ctx context.Context, seen map[string]time.Time) (map[fleet.DeviceKey]time.Time, error) {
	keys := make(map[fleet.DeviceKey]time.Time, len(seen))
	var unknown []string
	var gens []uint32
	for serial, at := range seen {
		if org, known, gen := g.hub.org(serial); known && org != "" {
			keys[fleet.DeviceKey{OrgID: org, Serial: serial}] = at
		} else {
			unknown, gens = append(unknown, serial), append(gens, gen)
		}
	}
	if len(unknown) == 0 {
		return keys, nil
	}
	var claims map[string]string
	err := g.store.Read(ctx, func(tx fleet.DeviceTx) error {
		var err error
		claims, err = tx.Claims(ctx, unknown)
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, serial := range unknown {
		org := claims[serial]
		g.hub.resolved(serial, org, gens[i])
		if org != "" {
			keys[fleet.DeviceKey{OrgID: org, Serial: serial}] = seen[serial]
		}
	}
	return keys, nil
}

// forgetAfter is how long a device may be silent before this instance drops
// it from its in-memory maps (forget): an hour, or twice the online window
// for long heartbeat intervals.
func (g *Gateway) forgetAfter() time.Duration {
	return max(time.Hour, 2*fleet.OnlineWindow(g.cfg.Heartbeat))
}

// forgetSilent runs forget at most every sixth of forgetAfter.
func (g *Gateway) forgetSilent(now time.Time) {
	last := g.forgotAt.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < g.forgetAfter()/6 {
		return
	}
	if !g.forgotAt.CompareAndSwap(last, now.UnixNano()) {
		return // another flush is at it
	}
	if n := g.forget(now.Add(-g.forgetAfter())); n > 0 {
		g.log.Debug("gateway forgot silent devices", "count", n, "silent_for", g.forgetAfter())
	}
}

// presenceChunk is how many devices' presence one transaction writes.
const presenceChunk = 200

// reports batches device reports into group commits: each hello that
// changed something waits for the transaction that writes it, and all the
// hellos arriving meanwhile share the next one.
type reports struct {
	mu      sync.Mutex
	m       map[string]fleet.Reported
	waiters []chan error
	kick    chan struct{}
	running atomic.Bool
}

func (g *Gateway) saveReport(ctx context.Context, rep fleet.Reported) error {
	if !g.reports.running.Load() {
		return g.store.Write(ctx, func(tx fleet.DeviceTx) error { return tx.SetReported(ctx, rep) })
	}
	done := make(chan error, 1)
	g.reports.mu.Lock()
	g.reports.m[rep.Serial] = rep
	g.reports.waiters = append(g.reports.waiters, done)
	g.reports.mu.Unlock()
	select {
	case g.reports.kick <- struct{}{}:
	default:
	}
	t := time.NewTimer(30 * time.Second) // a writer far behind, or the gateway stopping in between
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errs.E(errs.Internal, "device report not written within 30 s: the database is that far behind, or the gateway is stopping")
	}
}

// flushReports writes the pending reports in one transaction and answers
// their waiters.
func (g *Gateway) flushReports(ctx context.Context) {
	g.reports.mu.Lock()
	m, waiters := g.reports.m, g.reports.waiters
	g.reports.m, g.reports.waiters = map[string]fleet.Reported{}, nil
	g.reports.mu.Unlock()
	if len(m) == 0 {
		return
	}
	batch := make([]fleet.Reported, 0, len(m))
	for _, r := range m {
		batch = append(batch, r)
	}
	err := g.store.Write(ctx, func(tx fleet.DeviceTx) error { return tx.SetReportedBatch(ctx, batch) })
	for _, w := range waiters {
		w <- err
	}
}
