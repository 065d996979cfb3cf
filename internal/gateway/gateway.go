// Package gateway serves /device/v1, the protocol devices speak with the
// portal (SPEC §6): hello with the factory credential for a short-lived
// device token, heartbeats, long-polls for commands and idempotent results.
//
// Presence is kept in memory and flushed to the database in batches, so
// 100,000 devices heartbeating do not mean 100,000 single-row writes a
// minute. A command is written to the database first; the long-poll of its
// device is woken in-process or, for a device polling another instance,
// through PostgreSQL NOTIFY.
package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/device"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
)

// Tx is what the gateway needs of a store transaction.
type Tx interface {
	Reported(ctx context.Context, serial string) (fleet.Reported, error)
	SetReported(ctx context.Context, r fleet.Reported) error
	SetReportedBatch(ctx context.Context, reps []fleet.Reported) error
	SettingOrInit(ctx context.Context, name, value string) (string, error)
	OpenCommands(ctx context.Context, serial string, limit int) ([]fleet.Command, error)
	OpenCommandSerials(ctx context.Context) ([]string, error)
	CommandByID(ctx context.Context, serial, id string) (fleet.Command, error)
	MarkDelivered(ctx context.Context, ids []string, at time.Time) error
	SaveCommandOutcome(ctx context.Context, c fleet.Command) error
	TouchDevices(ctx context.Context, seen map[string]time.Time) error
	RecordAudit(ctx context.Context, e audit.Entry) error
}

// Store runs transactions, and answers a hello's read in one round trip.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
	HelloView(ctx context.Context, serial string) (secretHash string, rep fleet.Reported, err error)
}

// Bus carries wake-ups between instances (PostgreSQL LISTEN/NOTIFY).
type Bus interface {
	Notify(ctx context.Context, channel, payload string) error
	Listen(ctx context.Context, channel string, ready func(), fn func(payload string)) error
}

// Config configures the gateway.
type Config struct {
	Heartbeat time.Duration
	TokenTTL  time.Duration
	// MaxWait bounds a long-poll's ?wait.
	MaxWait time.Duration
	// Redeliver is how long a delivered command waits for its result before
	// it is delivered again (at-least-once).
	Redeliver time.Duration
	// Flush is how often presence is written to the database, at most
	// fleet.PresenceFlush.
	Flush time.Duration
	// DataDir holds firmware images under firmware/.
	DataDir string
	// MaxHellos bounds the hellos handled at once; up to HelloQueue more
	// wait at most HelloWait for their turn, and the rest are answered 429
	// with Retry-After.
	MaxHellos  int
	HelloQueue int
	HelloWait  time.Duration
}

// DefaultConfig is the production configuration.
func DefaultConfig() Config {
	return Config{Heartbeat: device.DefaultHeartbeat, TokenTTL: time.Hour, MaxWait: 60 * time.Second,
		Redeliver: 60 * time.Second, Flush: 5 * time.Second}
}

const channel = "mysystems_device_commands"

// Gateway serves the device protocol.
type Gateway struct {
	store Store
	bus   Bus
	clock clock.Clock
	log   *slog.Logger
	cfg   Config

	tokens      signer
	helloSlots  chan struct{}
	helloQueued atomic.Int64
	hub         hub
	deadlines   deadlines
	presence    presence
	reports     reports
	known       knownMap
	forgotAt    atomic.Int64 // when forgetSilent last ran, Unix nanoseconds
	polls       sync.WaitGroup
}

// New returns a gateway. bus may be nil (single instance).
func New(s Store, bus Bus, clk clock.Clock, log *slog.Logger, cfg Config) *Gateway {
	d := DefaultConfig()
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = d.Heartbeat
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = d.TokenTTL
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = d.MaxWait
	}
	if cfg.Redeliver <= 0 {
		cfg.Redeliver = d.Redeliver
	}
	if cfg.Flush <= 0 || cfg.Flush > fleet.PresenceFlush {
		cfg.Flush = d.Flush
	}
	if cfg.MaxHellos <= 0 {
		cfg.MaxHellos = 256
	}
	if cfg.HelloQueue <= 0 {
		cfg.HelloQueue = 20000
	}
	if cfg.HelloWait <= 0 {
		cfg.HelloWait = 10 * time.Second
	}
	g := &Gateway{store: s, bus: bus, clock: clk, log: log, cfg: cfg, helloSlots: make(chan struct{}, cfg.MaxHellos)}
	g.hub.init()
	g.presence.init(fleet.PresenceResolution(cfg.Heartbeat))
	g.known.init()
	g.reports.m = map[string]fleet.Reported{}
	g.reports.kick = make(chan struct{}, 1)
	return g
}

// Register mounts /device/v1 on mux.
func (g *Gateway) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /device/v1/hello", g.handle(g.hello, false))
	mux.HandleFunc("POST /device/v1/heartbeat", g.handle(g.heartbeat, true))
	mux.HandleFunc("GET /device/v1/commands", g.handle(g.poll, true))
	mux.HandleFunc("POST /device/v1/commands/{id}/result", g.handle(g.result, true))
	mux.HandleFunc("GET /device/v1/firmware/{release}", g.handle(g.firmware, true))
	mux.HandleFunc("/device/", func(w http.ResponseWriter, r *http.Request) {
		g.fail(w, r, errs.NotFoundf("no device endpoint %s %s", r.Method, r.URL.Path))
	})
}

type call struct {
	w      http.ResponseWriter
	r      *http.Request
	serial string
}

func (g *Gateway) handle(fn func(*call) (any, error), auth bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r}
		if auth {
			serial, err := g.authenticate(r)
			if err != nil {
				g.fail(w, r, err)
				return
			}
			c.serial = serial
		}
		out, err := fn(c)
		if err != nil {
			g.fail(w, r, err)
			return
		}
		if out == nil {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}
}

func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, err error) {
	edge.WriteError(g.log, w, r, err)
}

func decode(r *http.Request, w http.ResponseWriter, dst any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<10))
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) {
			return errs.E(errs.Invalid, "request body is empty")
		}
		return errs.E(errs.Invalid, "request body is not valid JSON: %v", err)
	}
	return nil
}

var errBadDevice = errs.E(errs.Unauthenticated, "unknown serial or wrong device secret")

func (g *Gateway) hello(c *call) (any, error) {
	var in device.Hello
	if err := decode(c.r, c.w, &in); err != nil {
		return nil, err
	}
	serial, err := fleet.NormalizeSerial(in.Serial)
	if err != nil {
		return nil, errBadDevice
	}
	now := g.clock.Now()
	ctx := c.r.Context()
	// Hellos come in waves (a site or the whole fleet reconnecting): a
	// bounded number are handled at once, the next ones wait their turn
	// for a while, and beyond that they are told to retry later, rather
	// than queueing without end or being refused in a storm of retries.
	if err := g.admitHello(ctx); err != nil {
		return nil, err
	}
	defer func() { <-g.helloSlots }()
	hash, rep, err := g.store.HelloView(ctx, serial)
	if errs.Is(err, errs.NotFound) {
		return nil, errBadDevice
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(account.HashSecret(in.Secret)), []byte(hash)) != 1 {
		return nil, errBadDevice
	}
	// Most hellos change nothing; what changed (a first hello's key, new
	// firmware) is written behind, with the next presence flush, so a fleet
	// reconnecting costs reads, not a queue of single-row writes.
	merged, changed := reportedAfterHello(rep, in, now)
	if changed {
		if err := g.saveReport(ctx, merged); err != nil {
			return nil, err
		}
	}
	g.known.put(serial, knownOf(merged))
	token, exp, err := g.tokens.issue(ctx, g, serial, now)
	if err != nil {
		return nil, err
	}
	claimed := rep.OrgID != ""
	g.presence.seen(serial, now)
	return device.Welcome{Token: token, ExpiresAt: exp, HeartbeatSeconds: int(g.cfg.Heartbeat / time.Second), Claimed: claimed}, nil
}

// admitHello takes one of the MaxHellos slots, waiting at most HelloWait
// with at most HelloQueue others; otherwise the hello is answered 429 with
// Retry-After.
func (g *Gateway) admitHello(ctx context.Context) error {
	select {
	case g.helloSlots <- struct{}{}:
		return nil
	default:
	}
	busy := &errs.Error{Code: errs.RateLimited, RetryAfterSeconds: 2 + int(g.clock.Now().UnixNano()%5),
		Message: "too many devices saying hello at once; retry later"}
	if g.helloQueued.Add(1) > int64(g.cfg.HelloQueue) {
		g.helloQueued.Add(-1)
		return busy
	}
	defer g.helloQueued.Add(-1)
	t := time.NewTimer(g.cfg.HelloWait)
	defer t.Stop()
	select {
	case g.helloSlots <- struct{}{}:
		return nil
	case <-t.C:
		return busy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Gateway) authenticate(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if len(h) < 8 || !strings.EqualFold(h[:7], "bearer ") {
		return "", errs.E(errs.Unauthenticated, "send Authorization: Bearer <device token> (from hello)")
	}
	return g.tokens.verify(r.Context(), g, strings.TrimSpace(h[7:]), g.clock.Now())
}

// reportedAfterHello merges what a hello reports into what the portal
// knows, and says whether anything worth writing changed.
func reportedAfterHello(rep fleet.Reported, in device.Hello, now time.Time) (fleet.Reported, bool) {
	changed := false
	if fw, err := fleet.CheckFirmware(in.Firmware); err == nil && fw != rep.Firmware {
		rep.Firmware, changed = fw, true
	}
	if in.Accounts != nil && !sameAccounts(in.Accounts, rep.Accounts) {
		rep.Accounts, changed = in.Accounts, true
	}
	if in.PublicKey != "" && in.PublicKey != rep.PublicKey {
		rep.PublicKey, changed = in.PublicKey, true
	}
	// hello_at is kept roughly (presence has the exact last-seen time).
	if rep.HelloAt == nil || now.Sub(*rep.HelloAt) > time.Hour {
		changed = true
	}
	if changed {
		rep.HelloAt = &now
	}
	return rep, changed
}

func sameAccounts(a, b []device.Account) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (g *Gateway) heartbeat(c *call) (any, error) {
	var in device.Heartbeat
	if c.r.ContentLength != 0 {
		if err := decode(c.r, c.w, &in); err != nil {
			return nil, err
		}
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
		err := g.store.Read(ctx, func(tx Tx) error {
			var err error
			rep, err = tx.Reported(ctx, c.serial)
			return err
		})
		if err != nil {
			return nil, err
		}
		if fw, err := fleet.CheckFirmware(in.Firmware); err == nil {
			rep.Firmware = fw
		}
		if in.Accounts != nil {
			rep.Accounts = in.Accounts
		}
		if err := g.saveReport(ctx, rep); err != nil {
			return nil, err
		}
		known = knownOf(rep)
		g.known.put(c.serial, known)
	}
	return device.HeartbeatReply{HeartbeatSeconds: int(g.cfg.Heartbeat / time.Second), Claimed: known.claimed}, nil
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

// maxBatch bounds the commands one poll returns.
const maxBatch = 20

func (g *Gateway) poll(c *call) (any, error) {
	wait := 30 * time.Second
	if s, _ := queryValue(c.r.URL.RawQuery, "wait"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, errs.InvalidField("wait", "wait is a number of seconds")
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
		due, w := g.hub.check(c.serial, g.clock.Now())
		if due {
			cmds, recheck, err := g.deliver(ctx, c.serial)
			if err != nil {
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
		if at := g.hub.nextCheck(c.serial); !at.IsZero() {
			t := time.NewTimer(max(at.Sub(g.clock.Now()), time.Millisecond))
			defer t.Stop()
			again = t.C
		}
		select {
		case <-w:
		case <-again:
		case <-deadline:
			return device.Commands{Commands: []device.WireCommand{}}, nil
		case <-ctx.Done():
			return nil, nil
		}
	}
}

// deliver returns the device's open commands that are due (never delivered,
// or delivered long enough ago without a result) and marks them delivered.
// recheck is when a delivered command falls due again, if any.
func (g *Gateway) deliver(ctx context.Context, serial string) ([]device.WireCommand, time.Time, error) {
	now := g.clock.Now()
	var out []device.WireCommand
	var ids []string
	var recheck time.Time
	err := g.store.Read(ctx, func(tx Tx) error {
		cmds, err := tx.OpenCommands(ctx, serial, maxBatch)
		if err != nil {
			return err
		}
		for _, c := range cmds {
			if c.State == device.StateDelivered && c.DeliveredAt != nil && now.Sub(*c.DeliveredAt) < g.cfg.Redeliver {
				due := c.DeliveredAt.Add(g.cfg.Redeliver)
				if recheck.IsZero() || due.Before(recheck) {
					recheck = due
				}
				continue
			}
			out = append(out, device.WireCommand{ID: c.ID, Type: c.Type, Args: c.Args, IssuedAt: c.CreatedAt})
			ids = append(ids, c.ID)
		}
		return nil
	})
	if err != nil || len(ids) == 0 {
		return nil, recheck, err
	}
	if err := g.store.Write(ctx, func(tx Tx) error { return tx.MarkDelivered(ctx, ids, now) }); err != nil {
		return nil, recheck, err
	}
	// Delivered commands come again if no result arrives in time.
	due := now.Add(g.cfg.Redeliver)
	if recheck.IsZero() || due.Before(recheck) {
		recheck = due
	}
	g.hub.recheckAt(serial, recheck)
	return out, recheck, nil
}

func (g *Gateway) result(c *call) (any, error) {
	var in device.Result
	if err := decode(c.r, c.w, &in); err != nil {
		return nil, err
	}
	id := c.r.PathValue("id")
	now := g.clock.Now()
	var reply device.ResultReply
	err := g.store.Write(c.r.Context(), func(tx Tx) error {
		cmd, err := tx.CommandByID(c.r.Context(), c.serial, id)
		if err != nil {
			return err
		}
		if fleet.ApplyResult(&cmd, in.OK, in.Message, now) {
			if err := tx.SaveCommandOutcome(c.r.Context(), cmd); err != nil {
				return err
			}
			if in.Accounts != nil {
				rep, err := tx.Reported(c.r.Context(), c.serial)
				if err != nil {
					return err
				}
				rep.Accounts = in.Accounts
				if err := tx.SetReported(c.r.Context(), rep); err != nil {
					return err
				}
			}
			details := map[string]any{"command": cmd.ID, "type": cmd.Type, "state": cmd.State}
			if cmd.Result != "" {
				details["result"] = cmd.Result
			}
			if err := tx.RecordAudit(c.r.Context(), audit.Entry{OrgID: cmd.OrgID, At: now,
				Actor: audit.Actor{Kind: audit.KindSystem, ID: "device:" + c.serial}, Action: "device.command_result",
				TargetType: "device", TargetID: cmd.DeviceID, Details: details}); err != nil {
				return err
			}
		}
		reply = device.ResultReply{State: cmd.State, Result: cmd.Result}
		return nil
	})
	if err != nil {
		return nil, err
	}
	g.presence.seen(c.serial, now)
	return reply, nil
}

// Notify wakes the long-poll of a device on this instance and, through the
// bus, on every other instance. Called after the command is committed.
func (g *Gateway) Notify(serial string) {
	g.hub.wake(serial)
	if g.bus != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := g.bus.Notify(ctx, channel, serial); err != nil {
			g.log.Warn("notify other instances", "err", err)
		}
	}
}

// Run flushes presence and listens for other instances' wake-ups until ctx
// ends, then flushes once more.
func (g *Gateway) Run(ctx context.Context) {
	var wg sync.WaitGroup
	listening := make(chan struct{})
	if g.bus != nil {
		var once sync.Once
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = g.bus.Listen(ctx, channel, func() {
				once.Do(func() { close(listening) })
				g.hub.wakeAll()
			}, g.hub.wake)
		}()
	} else {
		close(listening)
	}
	// Once wake-ups from other instances flow, learn which devices have
	// commands waiting; from then on an idle device's poll needs no query.
	select {
	case <-listening:
		if err := g.loadOpen(ctx); err != nil && ctx.Err() == nil {
			g.log.Warn("load open commands: every device's first poll will check", "err", err)
		}
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		g.log.Warn("not listening for other instances yet: every device's first poll will check")
	}
	g.reports.running.Store(true)
	t := time.NewTicker(g.cfg.Flush)
	defer t.Stop()
	for {
		select {
		case <-g.reports.kick:
			g.flushReports(ctx)
		case <-ctx.Done():
			g.reports.running.Store(false)
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := g.Flush(fctx); err != nil {
				g.log.Warn("final presence flush", "err", err)
			}
			cancel()
			wg.Wait()
			return
		case <-t.C:
			if err := g.Flush(ctx); err != nil && ctx.Err() == nil {
				g.log.Warn("presence flush", "err", err)
			}
		}
	}
}

// loadOpen marks the devices with open commands, then lets every other
// device's state start clean.
func (g *Gateway) loadOpen(ctx context.Context) error {
	var serials []string
	err := g.store.Read(ctx, func(tx Tx) error {
		var err error
		serials, err = tx.OpenCommandSerials(ctx)
		return err
	})
	if err != nil {
		return err
	}
	for _, s := range serials {
		g.hub.maybe(s)
	}
	g.hub.settled.Store(true)
	return nil
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
		if err := g.store.Write(ctx, func(tx Tx) error { return tx.TouchDevices(ctx, c) }); err != nil {
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
		return g.store.Write(ctx, func(tx Tx) error { return tx.SetReported(ctx, rep) })
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
	t := time.NewTimer(30 * time.Second) // the gateway stopping in between
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errs.E(errs.Internal, "device report not written: the gateway is stopping")
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
	err := g.store.Write(ctx, func(tx Tx) error { return tx.SetReportedBatch(ctx, batch) })
	for _, w := range waiters {
		w <- err
	}
}

// Waiting reports how many long-polls are open on this instance.
func (g *Gateway) Waiting() int { return g.hub.count() }

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
