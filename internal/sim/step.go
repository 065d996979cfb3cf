package sim

import (
	"context"
	"net/http"
	"net/url"
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
type Stepped struct {
	*Device
	client *http.Client

	mu   sync.Mutex
	fail map[string]string // command type → the reason it fails with
}

// Command is a command as delivered to a device.
type Command = device.WireCommand

// NewStepped makes a stepped device for id. cfg.Server is the gateway's
// base URL; the device speaks HTTP/1.1 (or whatever the server offers to a
// plain client) on a client of its own.
func NewStepped(cfg Config, id Identity) (*Stepped, error) {
	cfg.HTTP1, cfg.Sites, cfg.NoSourceBind = true, 0, true
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
	return &Stepped{Device: d, client: client, fail: map[string]string{}}, nil
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
func (s *Stepped) Apply(ctx context.Context, c Command) (device.ResultReply, error) {
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
