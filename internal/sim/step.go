package sim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"mysystems/internal/device"
)

// Stepped is a simulated device that does nothing by itself: a test drives
// each exchange with the gateway (hello, poll, apply a command) and sees
// every answer, so it needs no waiting. It applies commands as a running
// device does (the account rules of DEV-6, sealed passwords, at most once
// per command id: GW-2), except that it reboots instantly, and it can be
// told to fail a type of command.
//
// An AXIS OS upgrade (device.CmdUpgrade, GW-3) goes in two steps, or one
// with Apply: Prepare downloads the image (range requests, progress every
// tenth), verifies it and asks to install; Finish installs at once, reboots
// instantly, says hello with the version it now runs and posts the result.
// Fail(device.CmdUpgrade, reason) makes the installs fail (the device stays
// on its version), TamperNextImage corrupts the next download so its
// verification refuses it, and FailNextInstall fails the next install only.
// A stepped device does not retry: a failed exchange is returned.
type Stepped struct {
	*Device
	client *http.Client

	mu       sync.Mutex
	fail     map[string]string // command type → the reason it fails with
	prepared map[string]*steppedUpgrade
}

// steppedUpgrade is an upgrade Prepare left for Finish.
type steppedUpgrade struct {
	run *upgradeRun
	p   prepared
}

// Prepared is where a stepped upgrade stands after Prepare.
type Prepared struct {
	// Proceed: the portal answered the install request with proceed;
	// Finish installs.
	Proceed bool
	// Reason is the portal's reason to stop (Proceed false, no Refusal):
	// the upgrade is over and the device posts nothing for it.
	Reason string
	// Refusal is the failure the device reports when the image was bad
	// (size, SHA-256 or signature) or could not be had; Finish posts it.
	Refusal *device.Result
	// Percents are the download shares the device reported, 0 first.
	Percents []int
}

// Command is a command as delivered to a device.
type Command = device.WireCommand

// NewStepped makes a stepped device for id. cfg.Server is the gateway's
// base URL; the device speaks HTTP/1.1 (or whatever the server offers to a
// plain client) on a client of its own.
func NewStepped(cfg Config, id Identity) (*Stepped, error) {
	cfg.HTTP1, cfg.Sites, cfg.NoSourceBind = true, 0, true
	if err := id.check(); err != nil {
		return nil, err
	}
	f, err := New(cfg)
	if err != nil {
		return nil, err
	}
	key, err := generateKeys(1)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Transport: &http.Transport{}}
	l := &link{f: f, conns: map[*trackedConn]struct{}{}, sem: make(chan struct{}, 1), client: client}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	d := newDevice(f, id, l, key[0])
	f.devices, f.serials = []*Device{d}, map[string]*Device{id.Serial: d}
	return &Stepped{Device: d, client: client, fail: map[string]string{}, prepared: map[string]*steppedUpgrade{}}, nil
}

// Close releases the device's connections.
func (s *Stepped) Close() {
	s.f.cancel()
	s.client.CloseIdleConnections()
}

// Hello presents the factory credential and starts a session.
func (s *Stepped) Hello(ctx context.Context) (device.Welcome, error) {
	if _, err := s.hello(ctx); err != nil {
		return device.Welcome{}, err
	}
	d := s.Device
	d.mu.Lock()
	defer d.mu.Unlock()
	return device.Welcome{Token: d.token, ExpiresAt: d.expires, HeartbeatSeconds: int(d.every / time.Second), Claimed: d.claimed}, nil
}

// Token is the device's current session token ("" before Hello).
func (s *Stepped) Token() string {
	s.Device.mu.Lock()
	defer s.Device.mu.Unlock()
	return s.token
}

// Poll asks for commands, holding the request up to wait seconds.
func (s *Stepped) Poll(ctx context.Context, wait int) ([]Command, error) {
	var body device.Commands
	if err := s.do(ctx, http.MethodGet, "/device/v1/commands?wait="+strconv.Itoa(wait), s.Token(), nil, &body); err != nil {
		return nil, err
	}
	return body.Commands, nil
}

// Fail makes the device answer every later command of type typ with a
// failure, reason being the device's own words.
func (s *Stepped) Fail(typ, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[typ] = reason
}

// Apply applies c (once: a redelivered command is answered with its
// earlier outcome) and posts the result; it returns the gateway's reply.
// An upgrade is prepared and finished in one go (see Prepare); one the
// portal stopped returns an empty reply.
func (s *Stepped) Apply(ctx context.Context, c Command) (device.ResultReply, error) {
	if c.Type == device.CmdUpgrade {
		if _, seen := s.Applied(c.ID); !seen {
			p, err := s.Prepare(ctx, c)
			if err != nil || (!p.Proceed && p.Refusal == nil) {
				return device.ResultReply{}, err
			}
		}
		_, reply, err := s.Finish(ctx, c)
		return reply, err
	}
	res, seen := s.Applied(c.ID)
	if !seen {
		s.mu.Lock()
		reason, fail := s.fail[c.Type]
		s.mu.Unlock()
		if fail {
			res = device.Result{OK: false, Message: reason}
		} else {
			res, _ = s.apply(c)
		}
		s.remember(c.ID, res)
	}
	var reply device.ResultReply
	err := s.do(ctx, http.MethodPost, "/device/v1/commands/"+url.PathEscape(c.ID)+"/result", s.Token(), res, &reply)
	return reply, err
}

// Step polls once without waiting and applies what came; it returns the
// commands applied.
func (s *Stepped) Step(ctx context.Context) ([]Command, error) {
	cmds, err := s.Poll(ctx, 0)
	if err != nil {
		return nil, err
	}
	for _, c := range cmds {
		if _, err := s.Apply(ctx, c); err != nil {
			return nil, err
		}
	}
	return cmds, nil
}

// Run long-polls (wait seconds each) and applies commands until ctx ends;
// it returns the first error while ctx is alive.
func (s *Stepped) Run(ctx context.Context, wait int) error {
	for ctx.Err() == nil {
		cmds, err := s.Poll(ctx, wait)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, c := range cmds {
			if _, err := s.Apply(ctx, c); err != nil && ctx.Err() == nil {
				return err
			}
		}
	}
	return nil
}

// Prepare carries out the first steps of upgrade command c: it reports
// Progress{downloading, 0}, downloads the image with range requests
// (reporting every tenth), checks its size, SHA-256 and signature (the key
// of GET /device/v1/firmware-key, fetched once) and asks to install with
// Progress{installing}. Each step stops when the portal says so.
func (s *Stepped) Prepare(ctx context.Context, c Command) (Prepared, error) {
	if c.Type != device.CmdUpgrade {
		return Prepared{}, fmt.Errorf("command %s is a %q, not an upgrade", c.ID, c.Type)
	}
	if _, seen := s.Applied(c.ID); seen {
		return Prepared{}, fmt.Errorf("upgrade %s was already carried out: Finish posts its result again", c.ID)
	}
	u, res := s.newUpgradeRun(c, false)
	var p prepared
	if res != nil {
		p.refusal = res
	} else {
		var err error
		if p, err = u.prepare(ctx); err != nil {
			return Prepared{}, err
		}
	}
	out := Prepared{Proceed: p.proceed, Reason: p.reason, Refusal: p.refusal}
	if u != nil {
		out.Percents = slices.Clone(u.percents)
	}
	if p.proceed || p.refusal != nil {
		s.mu.Lock()
		s.prepared[c.ID] = &steppedUpgrade{run: u, p: p}
		s.mu.Unlock()
	} else {
		s.f.st.upgradeStops.Add(1)
	}
	return out, nil
}

// Finish ends a prepared upgrade: a refused image's failure is posted; an
// image the portal said to install is installed at once (or fails, see
// Fail), then Progress{rebooting}, an instant reboot, a hello with the
// version the device now runs, and the result {ok, firmware}. For an
// upgrade already finished it posts the same result again. It returns the
// result and the gateway's reply.
func (s *Stepped) Finish(ctx context.Context, c Command) (device.Result, device.ResultReply, error) {
	res, seen := s.Applied(c.ID)
	if !seen {
		s.mu.Lock()
		up := s.prepared[c.ID]
		reason := s.fail[device.CmdUpgrade]
		delete(s.prepared, c.ID)
		s.mu.Unlock()
		switch {
		case up == nil:
			return device.Result{}, device.ResultReply{}, fmt.Errorf("upgrade %s is not prepared to finish (Prepare it, or the portal stopped it)", c.ID)
		case up.p.refusal != nil:
			res = *up.p.refusal
		default:
			res = up.run.install(ctx, reason)
		}
		s.remember(c.ID, res)
		if res.OK {
			s.f.st.applied.Add(1)
		} else {
			s.f.st.failed.Add(1)
		}
		if up.p.refusal == nil {
			s.f.st.reboots.Add(1)
			s.dropToken(s.Token())
			if _, err := s.hello(ctx); err != nil {
				return res, device.ResultReply{}, err
			}
		}
	}
	var reply device.ResultReply
	err := s.do(ctx, http.MethodPost, "/device/v1/commands/"+url.PathEscape(c.ID)+"/result", s.Token(), res, &reply)
	return res, reply, err
}

// Installs returns how many times the device installed each upgrade task
// (see Fleet.Installs).
func (s *Stepped) Installs() map[string]int { return s.f.Installs() }
