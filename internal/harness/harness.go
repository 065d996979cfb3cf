// Package harness runs the whole server for tests: the production object
// graph from app.New behind an httptest server, over a real test database
// (see storetest), with a fake clock. It has helpers for what tests of every
// layer need: people with a role in an organization, minted and claimed
// devices played by the simulator (internal/sim), the mail outbox and the
// audit log. Every JSON answer of /api/v1 it sees is checked against the
// server's own OpenAPI document.
//
// Only tests import it.
package harness

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers"

	"mysystems/internal/account"
	"mysystems/internal/app"
	"mysystems/internal/clock"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// T0 is when the fake clock starts unless At says otherwise.
var T0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// Option changes how New builds the server.
type Option func(*options)

type options struct {
	tweak   []func(*app.Config)
	at      time.Time
	clock   *clock.Fake
	wall    bool
	started bool
}

// Config edits the configuration the app is built with (after the test
// defaults: cheap password hashing).
func Config(f func(*app.Config)) Option { return func(o *options) { o.tweak = append(o.tweak, f) } }

// NoRateLimit turns the per-address request rate limit off.
func NoRateLimit() Option { return Config(func(c *app.Config) { c.RateLimit = 0 }) }

// At starts the fake clock at t.
func At(t time.Time) Option { return func(o *options) { o.at = t } }

// SharedClock gives the app an existing fake clock (a second instance over
// the same database).
func SharedClock(c *clock.Fake) Option { return func(o *options) { o.clock = c } }

// WallClock gives the app the real clock instead of a fake one (tests with
// a real browser or timings measured outside the process).
func WallClock() Option { return func(o *options) { o.wall = true } }

// Started runs the app's background work (the gateway's presence and
// wake-ups, the job runner), as a process does.
func Started() Option { return func(o *options) { o.started = true } }

// Server is a running server and what tests read behind it.
type Server struct {
	T     testing.TB
	DB    *store.DB
	App   *app.App
	HTTP  *httptest.Server
	URL   string
	Clock *clock.Fake // nil with WallClock
	Logs  *Logs
	// DataDir is the server's data directory (firmware images), kept
	// across Restart.
	DataDir string

	opts    options
	handler atomic.Pointer[http.Handler]
	stop    func()

	routerOnce sync.Once
	router     routers.Router
}

// New starts a server over db (nil: a fresh SQLite database). The HTTP
// server speaks HTTP/1.1 and cleartext HTTP/2, as cmd/mysystems does.
func New(t testing.TB, db *store.DB, opts ...Option) *Server {
	t.Helper()
	s := &Server{T: t, DB: db, Logs: &Logs{}, opts: options{at: T0}, DataDir: t.TempDir()}
	for _, o := range opts {
		o(&s.opts)
	}
	if s.DB == nil {
		s.DB = storetest.SQLite(t)
	}
	switch {
	case s.opts.clock != nil:
		s.Clock = s.opts.clock
	case !s.opts.wall:
		s.Clock = clock.NewFake(s.opts.at)
	}
	s.HTTP = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*s.handler.Load()).ServeHTTP(w, r)
	}))
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	s.HTTP.Config.Protocols = p
	s.start()
	s.HTTP.Start()
	s.URL = s.HTTP.URL
	t.Cleanup(func() {
		s.HTTP.CloseClientConnections()
		s.HTTP.Close()
		s.stop()
	})
	return s
}

// start builds the app over the database, as a process start would.
func (s *Server) start() {
	cfg := app.DefaultConfig()
	cfg.Account.Hash = account.TestHashParams
	cfg.Firmware.DataDir = s.DataDir
	for _, f := range s.opts.tweak {
		f(&cfg)
	}
	var clk clock.Clock
	if s.Clock != nil {
		clk = s.Clock
	}
	log := slog.New(slog.NewTextHandler(s.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := app.New(cfg, s.DB, clk, log)
	s.App = a
	h := a.Handler
	s.handler.Store(&h)
	ctx, cancel := context.WithCancel(context.Background())
	if s.opts.started {
		if err := a.Start(ctx); err != nil {
			s.T.Fatal(err)
		}
	}
	s.stop = func() {
		cancel()
		_ = a.Shutdown(context.Background())
	}
}

// Restart stops the app abruptly (open connections cut) and starts another
// over the same database at the same address.
func (s *Server) Restart() {
	s.T.Helper()
	s.HTTP.CloseClientConnections()
	s.stop()
	s.start()
}

// Logs collects the server's log lines (debug and up).
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Now is the server's time: its fake clock's, or the wall clock's with
// WallClock.
func (s *Server) Now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}
