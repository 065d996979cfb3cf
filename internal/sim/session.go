package sim

import (
	"context"
	"errors"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"time"

	"mysystems/internal/device"
)

// run is the device's goroutine: hello, then long-polls back to back,
// applying what they bring; reconnect with backoff after network errors.
func (d *Device) run(ctx context.Context, delay time.Duration) {
	defer d.setOnline(false)
	if !sleep(ctx, delay) {
		return
	}
	fails, refused := 0, 0
	for ctx.Err() == nil {
		if w := d.awayFor(); w > 0 {
			sleep(ctx, w)
			continue
		}
		tok, err := d.session(ctx)
		if err != nil {
			if errors.Is(err, errAway) || ctx.Err() != nil {
				continue
			}
			fails++
			d.setOnline(false)
			sleep(ctx, d.f.backoff(fails))
			continue
		}
		wait := d.f.cfg.PollWait
		if d.f.cfg.HTTP1 {
			var beat bool
			if wait, beat = d.http1Beat(ctx); beat {
				continue
			}
			if d.isUpgrading() {
				// The one HTTP/1.1 connection carries the download: a
				// held poll would stall it. Heartbeats go on.
				sleep(ctx, min(time.Duration(wait)*time.Second, 500*time.Millisecond))
				continue
			}
		}
		began := time.Now()
		cmds, err := d.poll(ctx, tok, wait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if isStatus(err, http.StatusUnauthorized) {
				// Say hello again; back off if the new token is refused
				// too, rather than loop on a confused gateway.
				d.dropToken(tok)
				if refused++; refused > 1 {
					sleep(ctx, d.f.backoff(refused-1))
				}
				continue
			}
			if d.awayFor() > 0 {
				continue
			}
			fails++
			d.f.st.pollErrors.Add(1)
			d.setOnline(false)
			d.f.log.Debug("poll failed", "serial", d.serial, "err", err)
			sleep(ctx, d.f.backoff(fails))
			continue
		}
		fails, refused = 0, 0
		d.setOnline(true)
		for _, c := range cmds {
			if d.handle(ctx, c) {
				break // rebooting: the rest comes again later
			}
		}
		if len(cmds) == 0 {
			// A gateway that answers an empty poll at once (an unclaimed
			// device, a restart) must not be polled in a tight loop.
			if el := time.Since(began); el < 500*time.Millisecond {
				sleep(ctx, 500*time.Millisecond-el)
			}
		}
	}
}

// http1Beat, in HTTP/1.1 mode, sends the heartbeat when due (beat true: go
// round again) or returns the poll wait that ends by the next heartbeat.
func (d *Device) http1Beat(ctx context.Context) (wait int, beat bool) {
	d.mu.Lock()
	gen, due, every := d.gen, d.nextBeat, d.every
	d.mu.Unlock()
	if now := time.Now(); !now.Before(due) {
		if d.beat(ctx, gen) {
			d.mu.Lock()
			if d.gen == gen {
				d.nextBeat = time.Now().Add(d.f.jittered(every))
			}
			d.mu.Unlock()
		}
		return 0, true
	}
	secs := int((time.Until(due) + time.Second - 1) / time.Second)
	return max(1, min(d.f.cfg.PollWait, secs)), false
}

// session returns the device's token, saying hello first when it has none
// or it is near expiry. A failed refresh keeps a token not yet expired.
func (d *Device) session(ctx context.Context) (string, error) {
	if tok, ok := d.current(); ok {
		return tok, nil
	}
	d.helloMu.Lock()
	defer d.helloMu.Unlock()
	if tok, ok := d.current(); ok {
		return tok, nil
	}
	if d.awayFor() > 0 {
		return "", errAway
	}
	tok, err := d.hello(ctx)
	if err != nil {
		d.mu.Lock()
		old, exp := d.token, d.expires
		d.mu.Unlock()
		if old != "" && (exp.IsZero() || time.Now().Before(exp)) {
			return old, nil
		}
		return "", err
	}
	return tok, nil
}

func (d *Device) current() (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ok := d.token != "" && (d.refreshAt.IsZero() || time.Now().Before(d.refreshAt))
	return d.token, ok
}

// dropToken forgets tok after the gateway refused it (401).
func (d *Device) dropToken(tok string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.token == tok {
		d.token = ""
		d.gen++
		d.setOnlineLocked(false)
	}
}

// hello presents the factory credential and starts a session: a token and
// a heartbeat chain.
func (d *Device) hello(ctx context.Context) (string, error) {
	d.mu.Lock()
	h := device.Hello{
		Serial: d.serial, Secret: d.secret, Model: d.model, Firmware: d.firmware,
		Accounts: slices.Clone(d.accounts), PublicKey: d.pub,
	}
	ver := d.accVer
	d.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var w device.Welcome
	err := d.do(rctx, http.MethodPost, "/device/v1/hello", "", h, &w)
	d.f.st.hellos.Add(1)
	if err == nil && w.Token == "" {
		err = errors.New("the gateway's welcome has no token")
	}
	if err != nil {
		d.f.st.helloErrors.Add(1)
		d.f.log.Debug("hello failed", "serial", d.serial, "err", err)
		return "", err
	}
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Before(d.away) {
		return "", errAway // went offline meanwhile
	}
	d.token, d.claimed, d.expires, d.refreshAt = w.Token, w.Claimed, w.ExpiresAt, time.Time{}
	if life := w.ExpiresAt.Sub(now); !w.ExpiresAt.IsZero() && life > 0 {
		d.refreshAt = now.Add(life * 9 / 10)
	}
	d.every = d.f.cfg.HeartbeatEvery
	if d.every <= 0 {
		d.every = time.Duration(w.HeartbeatSeconds) * time.Second
	}
	if d.every <= 0 {
		d.every = device.DefaultHeartbeat
	}
	d.accSent = ver
	d.gen++
	d.setOnlineLocked(true)
	next := d.f.jittered(d.every)
	if d.f.cfg.HTTP1 {
		d.nextBeat = now.Add(next)
	} else {
		d.scheduleLocked(next)
	}
	return w.Token, nil
}

// scheduleLocked puts the current heartbeat chain's next beat on the
// fleet's scheduler.
func (d *Device) scheduleLocked(after time.Duration) {
	gen := d.gen
	d.f.sched.after(after, func() { d.tick(gen) })
}

// tick is a scheduled heartbeat of chain gen.
func (d *Device) tick(gen uint64) {
	ctx := d.f.ctx
	if ctx.Err() != nil || !d.beat(ctx, gen) {
		return
	}
	d.mu.Lock()
	if d.gen == gen {
		d.scheduleLocked(d.f.jittered(d.every))
	}
	d.mu.Unlock()
}

// beat sends one heartbeat of chain gen and reports whether the chain goes
// on (a new session starts its own chain).
func (d *Device) beat(ctx context.Context, gen uint64) bool {
	d.mu.Lock()
	if d.gen != gen || d.token == "" {
		d.mu.Unlock()
		return false
	}
	tok, every := d.token, d.every
	hb := device.Heartbeat{Firmware: d.firmware}
	ver := d.accVer
	if d.accVer != d.accSent {
		hb.Accounts = slices.Clone(d.accounts)
	}
	d.mu.Unlock()

	if p := d.f.cfg.Offline; p > 0 && mrand.Float64() < p {
		d.GoOffline(d.f.offlineFor(every))
		return false
	}
	if cur, err := d.session(ctx); err != nil || cur != tok {
		return false // refreshed (a new chain) or lost
	}
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	began := time.Now()
	var reply device.HeartbeatReply
	err := d.do(rctx, http.MethodPost, "/device/v1/heartbeat", tok, hb, &reply)
	switch {
	case err == nil:
		d.f.hbLat.add(time.Since(began))
		d.f.st.heartbeats.Add(1)
		d.mu.Lock()
		if hb.Accounts != nil && d.accSent < ver {
			d.accSent = ver
		}
		if reply.HeartbeatSeconds > 0 && d.f.cfg.HeartbeatEvery <= 0 {
			d.every = time.Duration(reply.HeartbeatSeconds) * time.Second
		}
		d.claimed = reply.Claimed
		d.setOnlineLocked(true)
		d.mu.Unlock()
		return true
	case ctx.Err() != nil:
		return false
	case isStatus(err, http.StatusUnauthorized):
		d.f.st.heartbeatErrors.Add(1)
		d.dropToken(tok)
		_, _ = d.session(ctx) // hello again: a new chain
		return false
	default:
		d.f.st.heartbeatErrors.Add(1)
		d.f.log.Debug("heartbeat failed", "serial", d.serial, "err", err)
		d.setOnline(false)
		return true
	}
}
