// Package sim plays a fleet of simulated devices against the device gateway
// (GW-4): each device says hello with its factory credential, heartbeats,
// holds a long-poll for commands, applies reboot, identify, local account
// commands (DEV-6) and AXIS OS upgrades (GW-3: ranged, resumable download,
// SHA-256 and signature checks, install on the portal's yes, reboot) at most
// once, and posts their results. Faults can be injected: dropped
// connections, devices offline for a while or through a window, refused
// account changes, cut downloads, corrupted images, failed installs. It is
// both the demo fleet and the load generator.
//
// Cost per device: one goroutine (hello, long-poll, commands), one heap
// entry in the fleet's single scheduler for its next heartbeat, and, when
// it has its own connection, that connection's HTTP/2 read loop. An
// upgrading device has one more goroutine while the upgrade lasts, and a
// running SHA-256 of its download (never the image). Devices either each
// have one TCP connection (HTTP/2 cleartext, or HTTP/1.1 with --http1) or
// share one HTTP/2 cleartext connection per site; downloads go on it too.
//
// It speaks only the protocol (internal/device) and knows nothing else of
// the portal. Files: sim.go the fleet, device.go one device's state,
// session.go its hello, heartbeats and run loop, commands.go long-polls and
// results, accounts.go its local accounts, upgrade.go its AXIS OS upgrades,
// faults.go injected faults, request.go one exchange with the gateway,
// transport.go connections, step.go a device a test steps itself.
package sim

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mysystems/internal/device"
)

// Identity is a device's factory identity, as minted by the vendor.
type Identity struct {
	Serial string
	Model  string
	Secret string
	// Firmware is the version this device reports; empty is
	// Config.Firmware.
	Firmware string
}

// FaultKind names an injectable fault.
type FaultKind string

// The faults.
const (
	// FaultDrop cuts the device's connection (a site's devices: resets its
	// streams) mid-poll; the device reconnects with backoff.
	FaultDrop FaultKind = "drop"
	// FaultOffline makes the device silent (no heartbeat, no poll) for For,
	// then it says hello again.
	FaultOffline FaultKind = "offline"
	// FaultRefuseAccounts makes the device refuse account changes for For
	// (or, with For zero, the next one) with Message as its reason.
	FaultRefuseAccounts FaultKind = "refuse-accounts"
	// FaultCorruptImage makes the device corrupt the next AXIS OS image it
	// downloads, so its verification refuses it (GW-3).
	FaultCorruptImage FaultKind = "corrupt-image"
	// FaultFailInstall makes the device's next install fail (Message its
	// reason, a default if empty): it comes back on the version it ran.
	FaultFailInstall FaultKind = "fail-install"
)

// Fault is a scripted fault: Kind hits the device Serial After the fleet
// started.
type Fault struct {
	Serial  string
	After   time.Duration
	Kind    FaultKind
	For     time.Duration
	Message string
}

// Config tunes a fleet. Zero values take the documented defaults.
type Config struct {
	// Server is the gateway's base URL, http://host:port (cleartext: the
	// simulator speaks HTTP/2 with prior knowledge, or HTTP/1.1).
	Server string
	// Sites spreads the devices over this many sites, each one HTTP/2
	// cleartext connection carrying its devices as concurrent streams.
	// Zero: one connection per device.
	Sites int
	// HTTP1 gives each device one HTTP/1.1 keep-alive connection instead
	// (Sites must be zero): heartbeats then go between polls on the same
	// connection, each poll waiting at most until the next heartbeat.
	HTTP1 bool

	// Speed divides device-side times (reboot, reconnect backoff): 10 makes
	// a 30 s reboot take 3 s. Default 1. Heartbeats follow the gateway.
	Speed float64
	// StartSpread spreads the first hellos uniformly over this duration.
	StartSpread time.Duration
	// HeartbeatJitter moves each heartbeat by up to ± this much.
	HeartbeatJitter time.Duration
	// HeartbeatEvery overrides the interval the gateway asks for (tests,
	// heavier load). Zero: the gateway's.
	HeartbeatEvery time.Duration
	// PollWait is the long-poll's wait in seconds. Default 55: just under
	// the gateway's bound of 60 and the usual heartbeat, so a waiting device
	// costs one poll a minute.
	PollWait int
	// Firmware is the version devices report. Default "12.2.54".
	Firmware string
	// RebootMin and RebootMax bound a reboot's unreachable time (before
	// Speed). Default 20 s and 40 s.
	RebootMin, RebootMax time.Duration
	// BackoffMin and BackoffMax bound the reconnect backoff (before Speed).
	// Default 1 s and 60 s.
	BackoffMin, BackoffMax time.Duration

	// FailAccounts is the probability that a device refuses a valid
	// account change.
	FailAccounts float64
	// Drop is the probability, per long-poll, that the connection is cut
	// during that poll.
	Drop float64
	// Offline is the probability, per heartbeat, that the device goes
	// silent for OfflineFor (default 4 heartbeat intervals, so the portal
	// sees it offline).
	Offline    float64
	OfflineFor time.Duration
	// OfflineShare is the share of the devices (picked at random, 0–1)
	// that go silent OfflineAt after the start for OfflineDuring: a window
	// of wall-clock time (not divided by Speed), e.g. to keep them offline
	// through a maintenance window so they miss it (FW-4).
	OfflineShare  float64
	OfflineAt     time.Duration
	OfflineDuring time.Duration
	// Faults are scripted faults.
	Faults []Fault

	// AXIS OS upgrades (GW-3). InstallMin and InstallMax bound an install's
	// time (before Speed; default 60 s and 120 s); the reboot that follows
	// takes RebootMin–RebootMax. ChunkSize is the size of a download's
	// range requests (default 256 KiB).
	InstallMin, InstallMax time.Duration
	ChunkSize              int64
	// FailInstall is the share of installs that fail: the device comes
	// back on the version it ran and says so in the result.
	FailInstall float64
	// DropDownload is the probability, per range request of a download,
	// that the connection is cut halfway through it; the device resumes
	// from the byte it has after a backoff.
	DropDownload float64
	// Tamper is the probability that a download is corrupted (one byte
	// flipped), so the device refuses the image.
	Tamper float64

	// StatsWindow is the span of the latency percentiles. Default 30 s.
	StatsWindow time.Duration
	// OnCommand, if set, is called on every delivery of a command (with
	// the time the device received it), redeliveries included. It runs on
	// the device's goroutine: keep it short.
	OnCommand func(serial, id string, at time.Time)
	// Log receives the simulator's diagnostics. Default: discarded.
	Log *slog.Logger
	// NoSourceBind keeps the default source address even when the gateway
	// is on loopback.
	NoSourceBind bool
}

// check applies to an identity what the gateway checks of a hello, so a
// device that would be refused is refused before it starts: a serial and
// a secret, and a model and firmware version, when given, of the
// protocol's formats.
func (id Identity) check() error {
	if id.Serial == "" || id.Secret == "" {
		return errors.New("every device needs a serial and a secret")
	}
	if id.Model != "" {
		if _, err := device.CheckModel(id.Model); err != nil {
			return fmt.Errorf("device %s: model %q: %s", id.Serial, id.Model, errMessage(err))
		}
	}
	if id.Firmware != "" {
		if _, err := device.CheckFirmware(id.Firmware); err != nil {
			return fmt.Errorf("device %s: firmware %q: %s", id.Serial, id.Firmware, errMessage(err))
		}
	}
	return nil
}

// Fleet is a running set of simulated devices.
type Fleet struct {
	cfg          Config
	base         string
	hostport     string
	log          *slog.Logger
	bindLoopback atomic.Bool

	sched   *scheduler
	devices []*Device
	serials map[string]*Device
	links   []*link

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	start  time.Time
	once   sync.Once

	st     counters
	hbLat  *window
	cmdLat *window

	keyMu sync.Mutex // one fetch of the firmware key at a time
	fwKey string     // the platform's firmware key, once fetched

	instMu   sync.Mutex
	installs map[installKey]int
}

// New checks cfg and makes a fleet; Start runs it.
func New(cfg Config) (*Fleet, error) {
	u, err := url.Parse(cfg.Server)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("server %q: expected a URL like http://127.0.0.1:8080", cfg.Server)
	}
	if u.Scheme == "https" {
		return nil, errors.New("server: the simulator speaks cleartext HTTP/2 (h2c) or HTTP/1.1: give an http:// URL")
	}
	if cfg.Sites < 0 {
		return nil, errors.New("sites must be zero (one connection per device) or more")
	}
	if cfg.HTTP1 && cfg.Sites > 0 {
		return nil, errors.New("sites share one HTTP/2 connection each: they cannot be used with HTTP/1.1")
	}
	for _, p := range []float64{cfg.FailAccounts, cfg.Drop, cfg.Offline, cfg.OfflineShare, cfg.FailInstall, cfg.DropDownload, cfg.Tamper} {
		if p < 0 || p > 1 {
			return nil, errors.New("fault probabilities are between 0 and 1")
		}
	}
	if cfg.Speed <= 0 {
		cfg.Speed = 1
	}
	if cfg.PollWait <= 0 {
		cfg.PollWait = 55
	}
	if cfg.Firmware == "" {
		cfg.Firmware = "12.2.54"
	}
	if _, err := device.CheckFirmware(cfg.Firmware); err != nil {
		return nil, fmt.Errorf("firmware %q: %s", cfg.Firmware, errMessage(err))
	}
	if cfg.RebootMin <= 0 {
		cfg.RebootMin = 20 * time.Second
	}
	if cfg.RebootMax < cfg.RebootMin {
		cfg.RebootMax = max(cfg.RebootMin, 40*time.Second)
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = time.Second
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		cfg.BackoffMax = max(cfg.BackoffMin, time.Minute)
	}
	if cfg.OfflineShare > 0 && cfg.OfflineDuring <= 0 {
		return nil, errors.New("an offline window needs a duration (OfflineDuring)")
	}
	if cfg.OfflineAt < 0 {
		return nil, errors.New("the offline window starts after the start: OfflineAt cannot be negative")
	}
	if cfg.InstallMin <= 0 {
		cfg.InstallMin = defaultInstallMin
	}
	if cfg.InstallMax < cfg.InstallMin {
		cfg.InstallMax = max(cfg.InstallMin, defaultInstallMax)
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = defaultChunk
	}
	if cfg.StatsWindow <= 0 {
		cfg.StatsWindow = 30 * time.Second
	}
	f := &Fleet{
		cfg:      cfg,
		base:     strings.TrimRight(u.String(), "/"),
		hostport: u.Host,
		log:      cfg.Log,
		sched:    newScheduler(),
		serials:  map[string]*Device{},
		hbLat:    newWindow(cfg.StatsWindow),
		cmdLat:   newWindow(cfg.StatsWindow),
	}
	if f.log == nil {
		f.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if u.Port() == "" {
		f.hostport = net.JoinHostPort(u.Hostname(), "80")
	}
	f.bindLoopback.Store(!cfg.NoSourceBind && isLoopbackHost(u.Hostname()))
	return f, nil
}

// Start runs one simulated device per identity until ctx ends or Stop.
func (f *Fleet) Start(ctx context.Context, ids []Identity) error {
	if len(ids) == 0 {
		return errors.New("no devices to simulate")
	}
	if f.ctx != nil {
		return errors.New("fleet already started")
	}
	for _, id := range ids {
		if err := id.check(); err != nil {
			return err
		}
		if _, dup := f.serials[id.Serial]; dup {
			return fmt.Errorf("serial %s appears twice", id.Serial)
		}
		f.serials[id.Serial] = nil
	}
	keys, err := generateKeys(len(ids))
	if err != nil {
		return err
	}
	if f.cfg.Sites > 0 {
		f.links = make([]*link, min(f.cfg.Sites, len(ids)))
		for i := range f.links {
			f.links[i] = newLink(f, i, true)
		}
	}
	f.devices = make([]*Device, len(ids))
	for i, id := range ids {
		var l *link
		if f.cfg.Sites > 0 {
			l = f.links[i%len(f.links)]
		} else {
			l = newLink(f, i, false)
			f.links = append(f.links, l)
		}
		d := newDevice(f, id, l, keys[i])
		f.devices[i] = d
		f.serials[id.Serial] = d
	}

	f.ctx, f.cancel = context.WithCancel(ctx)
	f.start = time.Now()
	f.wg.Go(func() { f.sched.run(f.ctx, f.spawn) })
	for _, ft := range f.cfg.Faults {
		d := f.serials[ft.Serial]
		if d == nil {
			continue
		}
		f.sched.at(f.start.Add(ft.After), func() { d.inject(ft) })
	}
	if f.cfg.OfflineShare > 0 {
		for _, d := range f.devices {
			if mrand.Float64() < f.cfg.OfflineShare {
				f.sched.at(f.start.Add(f.cfg.OfflineAt), func() { d.GoOffline(f.cfg.OfflineDuring) })
			}
		}
	}
	for _, d := range f.devices {
		var delay time.Duration
		if f.cfg.StartSpread > 0 {
			delay = mrand.N(f.cfg.StartSpread)
		}
		f.wg.Go(func() { d.run(f.ctx, delay) })
	}
	return nil
}

// spawn runs a scheduled function on its own goroutine, counted so Stop
// waits for it.
func (f *Fleet) spawn(fn func()) {
	if f.ctx.Err() != nil {
		return
	}
	f.wg.Go(fn)
}

// Stop ends every device and closes the connections. It waits for the
// devices' goroutines.
func (f *Fleet) Stop() {
	if f.ctx == nil {
		return
	}
	f.once.Do(func() {
		f.cancel()
		f.wg.Wait()
		for _, l := range f.links {
			l.closeConns()
		}
	})
}

// Device returns the simulated device with that serial, or nil.
func (f *Fleet) Device(serial string) *Device { return f.serials[serial] }

// Devices returns the simulated devices in the order they were given.
func (f *Fleet) Devices() []*Device { return f.devices }

// Stats returns a snapshot of the fleet's counters and latencies.
func (f *Fleet) Stats() Stats {
	s := Stats{
		Devices:         len(f.devices),
		Online:          int(f.st.online.Load()),
		Connections:     int(f.st.conns.Load()),
		Dials:           f.st.dials.Load(),
		Hellos:          f.st.hellos.Load(),
		HelloErrors:     f.st.helloErrors.Load(),
		Heartbeats:      f.st.heartbeats.Load(),
		HeartbeatErrors: f.st.heartbeatErrors.Load(),
		Polls:           f.st.polls.Load(),
		PollErrors:      f.st.pollErrors.Load(),
		Received:        f.st.received.Load(),
		Redelivered:     f.st.redelivered.Load(),
		Applied:         f.st.applied.Load(),
		Failed:          f.st.failed.Load(),
		Results:         f.st.results.Load(),
		ResultErrors:    f.st.resultErrors.Load(),
		Reboots:         f.st.reboots.Load(),
		Drops:           f.st.drops.Load(),
		Offlines:        f.st.offlines.Load(),

		Upgrades:        f.st.upgrades.Load(),
		DownloadBytes:   f.st.downloadBytes.Load(),
		DownloadResumes: f.st.downloadResumes.Load(),
		ProgressErrors:  f.st.progressErrors.Load(),
		Installs:        f.st.installs.Load(),
		InstallFailures: f.st.installFailures.Load(),
		DoubleInstalls:  f.st.doubleInstalls.Load(),
		Refusals:        f.st.upgradeRefusals.Load(),
		UpgradeStops:    f.st.upgradeStops.Load(),
	}
	s.HeartbeatP50, s.HeartbeatP99, s.HeartbeatSamples = f.hbLat.percentiles()
	s.IssueP50, s.IssueP99, s.IssueSamples = f.cmdLat.percentiles()
	return s
}

// scaled divides a device-side duration by the speed factor.
func (f *Fleet) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / f.cfg.Speed)
}

// backoff is the wait before reconnect attempt n (1, 2, …): exponential,
// capped, with jitter in [½, 1] of the step.
func (f *Fleet) backoff(n int) time.Duration {
	d := f.cfg.BackoffMin
	for i := 1; i < n && d < f.cfg.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, f.cfg.BackoffMax)
	d = d/2 + mrand.N(d/2+1)
	return f.scaled(d)
}

// rebootTime is how long a reboot keeps a device unreachable.
func (f *Fleet) rebootTime() time.Duration {
	d := f.cfg.RebootMin
	if span := f.cfg.RebootMax - f.cfg.RebootMin; span > 0 {
		d += mrand.N(span)
	}
	return f.scaled(d)
}

// offlineFor is how long an offline fault lasts for a device heartbeating
// every interval.
func (f *Fleet) offlineFor(interval time.Duration) time.Duration {
	if f.cfg.OfflineFor > 0 {
		return f.cfg.OfflineFor
	}
	return 4 * interval
}

// jittered moves an interval by up to ± HeartbeatJitter (never below a
// tenth of it).
func (f *Fleet) jittered(d time.Duration) time.Duration {
	j := f.cfg.HeartbeatJitter
	if j <= 0 {
		return d
	}
	return max(d+mrand.N(2*j+1)-j, d/10, time.Millisecond)
}

// generateKeys makes n X25519 key pairs on all cores.
func generateKeys(n int) ([]*ecdh.PrivateKey, error) {
	keys := make([]*ecdh.PrivateKey, n)
	workers := min(n, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	var fail atomic.Value
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				k, err := ecdh.X25519().GenerateKey(rand.Reader)
				if err != nil {
					fail.Store(err)
					return
				}
				keys[i] = k
			}
		})
	}
	wg.Wait()
	if err, ok := fail.Load().(error); ok {
		return nil, err
	}
	return keys, nil
}

func publicKey(k *ecdh.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(k.PublicKey().Bytes())
}
