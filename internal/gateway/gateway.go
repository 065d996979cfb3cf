// Package gateway serves /device/v1, the protocol of internal/device
// (SPEC §6): hello with the factory credential for a short-lived device
// token, heartbeats, long-polls for commands and idempotent results. It
// holds the transport, the admission of hellos and presence; what a result
// does is the fleet's use case (fleet.RecordResult).
//
// Files: gateway.go the server and its loop, hello.go hellos and their
// admission, reports.go heartbeats, device reports and the presence
// flush, commands.go long-polls and results, firmware.go downloads,
// state.go the in-memory per-device state, token.go device tokens;
// servers.go serves /server/v1, the ACS Pro servers' protocol (SPEC §8),
// whose use cases are the acs service's.
//
// Presence is kept in memory and flushed to the database in batches, so
// 100,000 devices heartbeating do not mean 100,000 single-row writes a
// minute. A command is written to the database first; the long-poll of its
// device is woken in-process or, for a device polling another instance,
// through PostgreSQL NOTIFY.
package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/device"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
)

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
	store fleet.DeviceStore
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
	marks       deliveryMarks
	outbox      outbox
	known       knownMap
	forgotAt    atomic.Int64 // when forgetSilent last ran, Unix nanoseconds
	polls       sync.WaitGroup
	// instance names this process in its messages to other instances.
	instance string
	images   Firmware
	upgrades Upgrades
	servers  Servers
}

// New returns a gateway. bus may be nil (single instance).
func New(s fleet.DeviceStore, bus Bus, clk clock.Clock, log *slog.Logger, cfg Config) *Gateway {
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
	g := &Gateway{store: s, bus: bus, clock: clk, log: log, cfg: cfg, helloSlots: make(chan struct{}, cfg.MaxHellos),
		instance: rand.Text()}
	g.hub.init()
	g.presence.init(fleet.PresenceResolution(cfg.Heartbeat))
	g.known.init()
	g.reports.m = map[string]fleet.Reported{}
	g.reports.kick = make(chan struct{}, 1)
	g.marks.kick = make(chan struct{}, 1)
	g.outbox.kick = make(chan struct{}, 1)
	return g
}

// Register mounts /device/v1 on mux.
func (g *Gateway) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /device/v1/hello", g.handle(g.hello, false))
	mux.HandleFunc("POST /device/v1/heartbeat", g.handle(g.heartbeat, true))
	mux.HandleFunc("GET /device/v1/commands", g.handle(g.poll, true))
	mux.HandleFunc("POST /device/v1/commands/{id}/result", g.handle(g.result, true))
	mux.HandleFunc("POST /device/v1/commands/{id}/progress", g.handle(g.progress, true))
	mux.HandleFunc("GET /device/v1/firmware/{release}", g.handle(g.firmware, true))
	mux.HandleFunc("GET /device/v1/firmware-key", g.handle(g.firmwareKey, true))
	g.registerServers(mux)
	mux.HandleFunc("/device/", func(w http.ResponseWriter, r *http.Request) {
		g.fail(w, r, errs.NotFoundf("err.gateway.no_endpoint", r.Method, r.URL.Path))
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
		if err := edge.CheckRequest(r); err != nil {
			g.fail(w, r, err)
			return
		}
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

// decode reads a device's JSON body into dst: sent as application/json
// (415 otherwise), at most 256 KiB, and what edge.CheckJSON refuses (null,
// a NUL character in a string) is refused.
func decode(r *http.Request, w http.ResponseWriter, dst any) error {
	const max = 256 << 10
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errs.E(errs.Invalid, "err.gateway.body_large", tooBig.Limit)
		}
		return errs.E(errs.Invalid, "err.gateway.body_json", err)
	}
	if len(raw) > 0 {
		if err := edge.CheckJSONType(r); err != nil {
			return err
		}
	}
	if err := edge.CheckJSON(raw, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) {
			return errs.E(errs.Invalid, "err.gateway.body_empty")
		}
		return errs.E(errs.Invalid, "err.gateway.body_json", err)
	}
	return nil
}

// Notify wakes the long-poll of a device of organization orgID on this
// instance and, through the bus, on every other instance. Called after the
// command is committed; orgID "" says the device's organization changed
// (it was removed), so every instance reads it again.
func (g *Gateway) Notify(orgID, serial string) {
	g.hub.wake(orgID, serial)
	g.broadcast([]string{wakePayload(orgID, serial)})
}

// NotifyMany is Notify for many devices of one organization, as an upgrade
// dispatch wakes thousands at once: the wake-ups to other instances go in a
// few messages of many lines (a PostgreSQL notification carries up to 8,000
// bytes), not one message per device.
func (g *Gateway) NotifyMany(orgID string, serials []string) {
	for _, s := range serials {
		g.hub.wake(orgID, s)
	}
	g.broadcastDevices(orgID, serials)
}

// NotifyCommands wakes the long-polls of the devices of new commands,
// committed, carrying the commands to them on this instance: a woken poll
// sends its device's command without reading the database (100,000 devices
// woken at once by an upgrade would otherwise each wait for a read). Other
// instances are woken as NotifyMany wakes them, and read.
func (g *Gateway) NotifyCommands(cmds []fleet.Command) {
	g.hub.carry(cmds)
	byOrg := map[string][]string{}
	var orgs []string
	for _, c := range cmds {
		if _, ok := byOrg[c.OrgID]; !ok {
			orgs = append(orgs, c.OrgID)
		}
		byOrg[c.OrgID] = append(byOrg[c.OrgID], c.Serial)
	}
	for _, org := range orgs {
		g.broadcastDevices(org, byOrg[org])
	}
}

func (g *Gateway) broadcastDevices(orgID string, serials []string) {
	if g.bus == nil {
		return
	}
	lines := make([]string, len(serials))
	for i, s := range serials {
		lines[i] = wakePayload(orgID, s)
	}
	g.broadcast(lines)
}

// broadcast sends wake-ups to the other instances: queued for the sender
// (runSender) while Run runs, so a dispatch of thousands of commands does
// not wait for their messages (one round trip to PostgreSQL each), in the
// order they were made; sent at once otherwise.
func (g *Gateway) broadcast(lines []string) {
	if g.bus == nil || len(lines) == 0 {
		return
	}
	q := &g.outbox
	q.mu.Lock()
	if q.running {
		q.lines = append(q.lines, lines...)
		q.mu.Unlock()
		select {
		case q.kick <- struct{}{}:
		default:
		}
		return
	}
	q.mu.Unlock()
	g.send(lines)
}

// outbox holds the wake-ups waiting for the sender.
type outbox struct {
	mu      sync.Mutex
	running bool
	lines   []string
	kick    chan struct{}
}

func (q *outbox) take(stop bool) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if stop {
		q.running = false
	}
	out := q.lines
	q.lines = nil
	return out
}

// runSender sends the queued wake-ups until ctx ends, then the last ones.
func (g *Gateway) runSender(ctx context.Context) {
	g.outbox.mu.Lock()
	g.outbox.running = true
	g.outbox.mu.Unlock()
	for {
		select {
		case <-g.outbox.kick:
			g.send(g.outbox.take(false))
		case <-ctx.Done():
			g.send(g.outbox.take(true))
			return
		}
	}
}

// send sends wake-ups to the other instances, in messages of at most
// 7,000 bytes, each starting with this instance's line (fromLine): an
// instance skips its own messages, whose wake-ups it has made already.
func (g *Gateway) send(lines []string) {
	if len(lines) == 0 {
		return
	}
	const max = 7000
	var b strings.Builder
	flush := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := g.bus.Notify(ctx, channel, b.String()); err != nil {
			g.log.Warn("notify other instances", "err", err)
		}
		b.Reset()
	}
	from := g.fromLine()
	for _, p := range lines {
		if b.Len() > 0 && b.Len()+len(p)+1 > max {
			flush()
		}
		if b.Len() == 0 {
			b.WriteString(from)
		}
		b.WriteByte('\n')
		b.WriteString(p)
	}
	flush()
}

// fromLine is the first line of this instance's wake-up messages. A serial
// never starts with fromMark, so an instance that reads the line as a
// wake-up wakes no device.
func (g *Gateway) fromLine() string { return fromMark + g.instance }

const fromMark = "@"

// wakePayload is a wake-up between instances: "serial org", or the serial
// alone when the organization changed.
func wakePayload(orgID, serial string) string {
	if orgID == "" {
		return serial
	}
	return serial + " " + orgID
}

func parseWake(payload string) (orgID, serial string) {
	serial, orgID, _ = strings.Cut(payload, " ")
	return orgID, serial
}

// received applies a message of wake-ups from the bus: those of another
// instance wake their devices here. This instance's own were made here
// already and wake nothing (a poll handed its command would read it
// again); they only give back a device's organization that a reconnection
// of the bus made unknown meanwhile (see hub.echo).
func (g *Gateway) received(payload string) {
	lines := strings.Split(payload, "\n")
	own := lines[0] == g.fromLine()
	for _, line := range lines {
		if line == "" || strings.HasPrefix(line, fromMark) {
			continue
		}
		if own {
			g.hub.echo(parseWake(line))
			continue
		}
		g.hub.wake(parseWake(line))
	}
}

// Run flushes presence, writes the deliveries of carried commands and
// listens for other instances' wake-ups until ctx ends, then flushes once
// more.
func (g *Gateway) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		g.runMarks(ctx)
	}()
	go func() {
		defer wg.Done()
		if g.bus != nil {
			g.runSender(ctx)
		}
	}()
	listening := make(chan struct{})
	if g.bus != nil {
		var once sync.Once
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = g.bus.Listen(ctx, channel, func() {
				once.Do(func() { close(listening) })
				g.hub.wakeAll()
			}, g.received)
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
	var open []fleet.DeviceKey
	err := g.store.Read(ctx, func(tx fleet.DeviceTx) error {
		var err error
		open, err = tx.OpenCommandDevices(ctx)
		return err
	})
	if err != nil {
		return err
	}
	for _, k := range open {
		g.hub.maybe(k.OrgID, k.Serial)
	}
	g.hub.settled.Store(true)
	return nil
}

// Waiting reports how many long-polls are open on this instance.
func (g *Gateway) Waiting() int { return g.hub.count() }
