package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mysystems/internal/device"
)

// ACS Pro servers (SPEC §8), played over /server/v1 only: a server
// registers with an enrolment token, polls every poll_seconds with its
// version and a health that drifts over time, takes an upgrade when one is
// offered, is silent for its install time, then reports the outcome. Faults:
// a share of upgrades fail, and a server may go silent for a while.

// ServerConfig configures simulated servers.
type ServerConfig struct {
	// Server is the gateway's base URL.
	Server string
	// Client sends the requests (nil: a client of its own).
	Client *http.Client
	// Version is what a server reports before any upgrade (default 6.3.1).
	Version string
	// InstallTime is how long an upgrade keeps a server silent (default 8
	// minutes divided by Speed).
	InstallTime time.Duration
	// Speed divides the install time and the silence of offline faults.
	Speed float64
	// FailUpgrades is the share of upgrades that fail.
	FailUpgrades float64
	// Offline is the probability, per poll, that a server goes silent for
	// OfflineFor (default 10 poll intervals).
	Offline    float64
	OfflineFor time.Duration
	// PollEvery overrides the interval the gateway gives (0: the gateway's).
	PollEvery time.Duration
	// StartSpread spreads the first polls of a fleet over this duration.
	StartSpread time.Duration
	// StatsWindow is the span of the poll latency percentiles (a minute if
	// 0).
	StatsWindow time.Duration
	// Seed makes health drift and faults reproducible (0: random).
	Seed uint64
	Log  *slog.Logger
}

// DefaultServerVersion is the version a simulated server starts on.
const DefaultServerVersion = "6.3.1"

// Server is one simulated ACS Pro server.
type Server struct {
	cfg  ServerConfig
	Name string

	mu      sync.Mutex
	id      string
	token   string
	version string
	poll    time.Duration
	health  device.ServerHealth
	rng     *mrand.Rand
	stats   *serverStats
}

// NewServer returns a server named name, not yet registered.
func NewServer(cfg ServerConfig, name string) *Server {
	if cfg.Version == "" {
		cfg.Version = DefaultServerVersion
	}
	if cfg.Speed <= 0 {
		cfg.Speed = 1
	}
	if cfg.InstallTime <= 0 {
		cfg.InstallTime = time.Duration(float64(8*time.Minute) / cfg.Speed)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: requestTimeout}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = mrand.Uint64()
	}
	h := fnv(name)
	rng := mrand.New(mrand.NewPCG(seed, h))
	s := &Server{cfg: cfg, Name: name, version: cfg.Version, rng: rng, poll: 60 * time.Second, stats: &serverStats{lat: newWindow(time.Minute)}}
	s.health = device.ServerHealth{CPUPercent: 10 + 30*rng.Float64(), MemoryPercent: 30 + 30*rng.Float64(),
		StoragePercent: 20 + 60*rng.Float64(), Recording: true, Cameras: 4 + rng.IntN(60)}
	return s
}

func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// ID is the server's id once registered.
func (s *Server) ID() string { s.mu.Lock(); defer s.mu.Unlock(); return s.id }

// Restore gives the server the id and token of an earlier registration
// (a simulator run that picks up servers it registered before).
func (s *Server) Restore(id, token string) { s.mu.Lock(); s.id, s.token = id, token; s.mu.Unlock() }

// Token is the server's own token once registered.
func (s *Server) Token() string { s.mu.Lock(); defer s.mu.Unlock(); return s.token }

// Version is the version the server runs.
func (s *Server) Version() string { s.mu.Lock(); defer s.mu.Unlock(); return s.version }

// Health is the health the server reports next.
func (s *Server) Health() device.ServerHealth { s.mu.Lock(); defer s.mu.Unlock(); return s.health }

// SetHealth sets the health the server reports next.
func (s *Server) SetHealth(h device.ServerHealth) { s.mu.Lock(); s.health = h; s.mu.Unlock() }

// PollEvery is the interval the server polls at.
func (s *Server) PollEvery() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.PollEvery > 0 {
		return s.cfg.PollEvery
	}
	return s.poll
}

// Status is the HTTP status of a gateway's refusal (0 for any other
// error or none).
func Status(err error) int { return status(err) }

func (s *Server) do(ctx context.Context, path, token string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(s.cfg.Server, "/")+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		e := &apiError{Status: res.StatusCode}
		var eb struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(body, &eb) == nil {
			e.Code, e.Message = eb.Error.Code, eb.Error.Message
		}
		return e
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

// Register enrols the server with an enrolment token.
func (s *Server) Register(ctx context.Context, enrollmentToken string) error {
	var out device.ServerRegistered
	if err := s.do(ctx, "/server/v1/register", "", device.ServerRegister{EnrollmentToken: enrollmentToken, Name: s.Name, Version: s.Version()}, &out); err != nil {
		return err
	}
	s.mu.Lock()
	s.id, s.token = out.ServerID, out.Token
	if out.PollSeconds > 0 {
		s.poll = time.Duration(out.PollSeconds) * time.Second
	}
	s.mu.Unlock()
	return nil
}

// Poll reports the server's version and health once, then lets the health
// drift; it returns the gateway's answer (an upgrade to install, maybe).
func (s *Server) Poll(ctx context.Context) (device.ServerPollReply, error) {
	s.mu.Lock()
	in, tok := device.ServerPoll{Version: s.version, Health: s.health}, s.token
	s.mu.Unlock()
	var out device.ServerPollReply
	start := time.Now()
	err := s.do(ctx, "/server/v1/poll", tok, in, &out)
	s.stats.lat.add(time.Since(start))
	if err != nil {
		s.stats.errors.Add(1)
		return out, err
	}
	s.stats.polls.Add(1)
	s.mu.Lock()
	if out.PollSeconds > 0 {
		s.poll = time.Duration(out.PollSeconds) * time.Second
	}
	s.drift()
	s.mu.Unlock()
	return out, nil
}

// drift moves the health a little, as a real server's load moves.
func (s *Server) drift() {
	h := &s.health
	walk := func(v, step, lo, hi float64) float64 {
		v += (s.rng.Float64()*2 - 1) * step
		return math.Round(math.Min(hi, math.Max(lo, v))*10) / 10
	}
	h.CPUPercent = walk(h.CPUPercent, 6, 2, 98)
	h.MemoryPercent = walk(h.MemoryPercent, 2, 10, 95)
	h.StoragePercent = walk(h.StoragePercent, 0.3, 1, 99.5)
	if s.rng.Float64() < 0.02 {
		h.Cameras = max(0, h.Cameras+s.rng.IntN(3)-1)
	}
	h.Recording = h.Cameras > 0 && s.rng.Float64() > 0.01
	h.LastError = ""
	if !h.Recording && h.Cameras > 0 {
		h.LastError = "recording stopped on storage " + fmt.Sprint(1+s.rng.IntN(3))
	}
}

// Report posts the outcome of an upgrade.
func (s *Server) Report(ctx context.Context, id string, r device.ServerUpgradeResult) (device.ServerResultReply, error) {
	s.mu.Lock()
	tok := s.token
	s.mu.Unlock()
	var out device.ServerResultReply
	err := s.do(ctx, "/server/v1/upgrades/"+id+"/result", tok, r, &out)
	return out, err
}

// Install plays an upgrade: the server is silent for its install time (or
// until ctx ends), then succeeds and runs the new version, or fails (a share
// FailUpgrades of upgrades) and keeps its version; it reports the outcome.
func (s *Server) Install(ctx context.Context, u device.ServerUpgrade) (device.ServerResultReply, error) {
	t := time.NewTimer(s.cfg.InstallTime)
	select {
	case <-ctx.Done():
		t.Stop()
		return device.ServerResultReply{}, ctx.Err()
	case <-t.C:
	}
	s.mu.Lock()
	fail := s.rng.Float64() < s.cfg.FailUpgrades
	r := device.ServerUpgradeResult{OK: true, Version: u.Version}
	if fail {
		r = device.ServerUpgradeResult{OK: false, Version: s.version, Reason: "installer exited with code 1603: the database service did not stop in time"}
	} else {
		s.version = u.Version
	}
	s.mu.Unlock()
	out, err := s.Report(ctx, u.ID, r)
	if err == nil {
		if fail {
			s.stats.failed.Add(1)
		} else {
			s.stats.upgraded.Add(1)
		}
	}
	return out, err
}

// Run polls until ctx ends, taking upgrades and playing faults. A server
// not registered yet must be registered first.
func (s *Server) Run(ctx context.Context) {
	for {
		reply, err := s.Poll(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.cfg.Log.Debug("server poll", "server", s.Name, "err", err)
		}
		if err == nil && reply.Upgrade != nil {
			if _, err := s.Install(ctx, *reply.Upgrade); err != nil && ctx.Err() == nil {
				s.cfg.Log.Debug("server upgrade result", "server", s.Name, "err", err)
			}
			continue
		}
		wait := s.PollEvery()
		s.mu.Lock()
		if s.cfg.Offline > 0 && s.rng.Float64() < s.cfg.Offline {
			off := s.cfg.OfflineFor
			if off <= 0 {
				off = 10 * wait
			}
			wait = time.Duration(float64(off) / s.cfg.Speed)
			s.stats.offline.Add(1)
		}
		s.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

type serverStats struct {
	polls, errors, upgraded, failed, offline atomic.Int64
	lat                                      *window
}

// ServerFleet is a set of simulated servers sharing one client and stats.
type ServerFleet struct {
	cfg     ServerConfig
	Servers []*Server
	stats   *serverStats
	wg      sync.WaitGroup
	cancel  context.CancelFunc
}

// NewServerFleet returns n servers named prefix-1 … prefix-n.
func NewServerFleet(cfg ServerConfig, prefix string, n int) *ServerFleet {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: requestTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0}}
	}
	win := cfg.StatsWindow
	if win <= 0 {
		win = time.Minute
	}
	f := &ServerFleet{cfg: cfg, stats: &serverStats{lat: newWindow(win)}}
	for i := 1; i <= n; i++ {
		s := NewServer(cfg, fmt.Sprintf("%s-%d", prefix, i))
		s.stats = f.stats
		f.Servers = append(f.Servers, s)
	}
	return f
}

// Register enrols every server, one enrolment token each.
func (f *ServerFleet) Register(ctx context.Context, tokens []string) error {
	if len(tokens) < len(f.Servers) {
		return fmt.Errorf("sim: %d servers need %d enrolment tokens, got %d", len(f.Servers), len(f.Servers), len(tokens))
	}
	sem := make(chan struct{}, 32)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for i, s := range f.Servers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := s.Register(ctx, tokens[i]); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("register %s: %w", s.Name, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// Start runs every server until Stop, their first polls spread over
// StartSpread.
func (f *ServerFleet) Start(ctx context.Context) {
	ctx, f.cancel = context.WithCancel(ctx)
	for i, s := range f.Servers {
		delay := time.Duration(0)
		if f.cfg.StartSpread > 0 && len(f.Servers) > 1 {
			delay = f.cfg.StartSpread * time.Duration(i) / time.Duration(len(f.Servers))
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			s.Run(ctx)
		}()
	}
}

// Stop stops the servers and waits for them.
func (f *ServerFleet) Stop() {
	if f.cancel != nil {
		f.cancel()
	}
	f.wg.Wait()
}

// ServerStats are a fleet's counters and its poll latency over the last
// minute.
type ServerStats struct {
	Servers                         int
	Polls, Errors, Upgraded, Failed int64
	Offline                         int64
	PollP50, PollP99                time.Duration
	Samples                         int
}

// Stats returns the fleet's counters.
func (f *ServerFleet) Stats() ServerStats {
	p50, p99, n := f.stats.lat.percentiles()
	return ServerStats{Servers: len(f.Servers), Polls: f.stats.polls.Load(), Errors: f.stats.errors.Load(),
		Upgraded: f.stats.upgraded.Load(), Failed: f.stats.failed.Load(), Offline: f.stats.offline.Load(),
		PollP50: p50, PollP99: p99, Samples: n}
}

func (s ServerStats) String() string {
	return fmt.Sprintf("servers=%d polls=%d errors=%d upgraded=%d failed=%d offline-faults=%d poll p50=%s p99=%s (%d timed)",
		s.Servers, s.Polls, s.Errors, s.Upgraded, s.Failed, s.Offline, fmtDur(s.PollP50), fmtDur(s.PollP99), s.Samples)
}
