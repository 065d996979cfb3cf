package sim

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"mysystems/internal/device"
	"mysystems/internal/errs"
)

// appliedMemory is how many command outcomes a device remembers to answer
// redeliveries with (GW-2: applied at most once).
const appliedMemory = 256

// requestTimeout bounds hello, heartbeat and result requests.
const requestTimeout = 30 * time.Second

// errAway reports that the device is rebooting or offline.
var errAway = errors.New("device is unreachable (rebooting or offline)")

// Device is one simulated device. Its methods are safe for concurrent use.
type Device struct {
	f      *Fleet
	serial string
	model  string
	secret string
	link   *link
	priv   *ecdh.PrivateKey
	pub    string

	helloMu sync.Mutex // one hello at a time

	mu        sync.Mutex
	token     string
	refreshAt time.Time // say hello again from then on (token near expiry)
	expires   time.Time
	every     time.Duration // heartbeat interval
	claimed   bool
	gen       uint64    // heartbeat chain: a new session starts a new one
	nextBeat  time.Time // HTTP/1.1 mode: when the next heartbeat is due
	online    bool
	away      time.Time // unreachable until then (reboot, offline fault)
	firmware  string
	accounts  []device.Account
	passwords map[string]string
	accVer    uint64 // account list version
	accSent   uint64 // version the gateway has
	applied   map[string]device.Result
	order     []string // applied ids, oldest first
	cancel    context.CancelFunc
	refuseN   int
	refuseTil time.Time
	refuseMsg string
}

func newDevice(f *Fleet, id Identity, l *link, key *ecdh.PrivateKey) *Device {
	model := id.Model
	if model == "" {
		model = DefaultModel
	}
	return &Device{
		f: f, serial: id.Serial, model: model, secret: id.Secret, link: l,
		priv: key, pub: publicKey(key),
		firmware: f.cfg.Firmware,
		accounts: []device.Account{
			{Username: device.RootAccount, Role: device.RoleAdministrator},
			{Username: "acs-service", Role: device.RoleAdministrator, Service: true},
			{Username: "adm-service", Role: device.RoleOperator, Service: true},
		},
		applied: map[string]device.Result{},
	}
}

// Serial is the device's serial number.
func (d *Device) Serial() string { return d.serial }

// PublicKey is the device's X25519 public key (base64), as sent in Hello.
func (d *Device) PublicKey() string { return d.pub }

// Online reports whether the device holds a session and its last exchange
// with the gateway succeeded.
func (d *Device) Online() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.online
}

// Accounts returns the device's local accounts.
func (d *Device) Accounts() []device.Account {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.accounts)
}

// CheckPassword reports whether username's password is password (only for
// accounts whose password the simulator set).
func (d *Device) CheckPassword(username, password string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.passwords[username]
	return ok && p == password
}

// Applied returns the outcome the device recorded for a command id.
func (d *Device) Applied(id string) (device.Result, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.applied[id]
	return r, ok
}

// Drop cuts the device's connection mid-request (on a site, resets its own
// streams: the site's connection carries on for the others). The device
// reconnects with backoff.
func (d *Device) Drop() {
	d.f.st.drops.Add(1)
	d.mu.Lock()
	cancel := d.cancel
	d.mu.Unlock()
	if d.link.shared {
		if cancel != nil {
			cancel()
		}
		return
	}
	d.link.closeConns()
}

// GoOffline makes the device silent for dur (no heartbeat, no poll, its
// connection closed); then it says hello again.
func (d *Device) GoOffline(dur time.Duration) {
	d.f.st.offlines.Add(1)
	d.goAway(dur)
}

// RefuseAccountChanges makes the device refuse its next n valid account
// changes with reason (a default reason if empty).
func (d *Device) RefuseAccountChanges(n int, reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refuseN, d.refuseMsg = n, reason
}

func (d *Device) inject(ft Fault) {
	switch ft.Kind {
	case FaultDrop:
		d.Drop()
	case FaultOffline:
		d.GoOffline(ft.For)
	case FaultRefuseAccounts:
		d.mu.Lock()
		if ft.For > 0 {
			d.refuseTil = time.Now().Add(ft.For)
		} else {
			d.refuseN++
		}
		d.refuseMsg = ft.Message
		d.mu.Unlock()
	}
}

// goAway makes the device unreachable for dur: its session ends (it says
// hello when it comes back), heartbeats stop, its poll is cancelled and its
// own connection closed.
func (d *Device) goAway(dur time.Duration) {
	d.mu.Lock()
	if until := time.Now().Add(dur); until.After(d.away) {
		d.away = until
	}
	d.token = ""
	d.gen++
	d.setOnlineLocked(false)
	cancel := d.cancel
	d.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if !d.link.shared {
		d.link.closeConns()
	}
}

func (d *Device) awayFor() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return time.Until(d.away)
}

func (d *Device) setOnline(on bool) {
	d.mu.Lock()
	d.setOnlineLocked(on)
	d.mu.Unlock()
}

func (d *Device) setOnlineLocked(on bool) {
	if on && (d.token == "" || time.Now().Before(d.away)) {
		return
	}
	if d.online != on {
		d.online = on
		if on {
			d.f.st.online.Add(1)
		} else {
			d.f.st.online.Add(-1)
		}
	}
}

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

// poll holds a long-poll for commands. Faults cancel it through d.cancel.
func (d *Device) poll(ctx context.Context, tok string, wait int) ([]device.WireCommand, error) {
	pctx, cancel := context.WithTimeout(ctx, time.Duration(wait)*time.Second+requestTimeout)
	defer cancel()
	d.mu.Lock()
	d.cancel = cancel
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.cancel = nil
		d.mu.Unlock()
	}()
	if p := d.f.cfg.Drop; p > 0 && mrand.Float64() < p {
		d.f.sched.after(mrand.N(time.Duration(wait)*time.Second), func() {
			if pctx.Err() == nil {
				d.Drop()
			}
		})
	}
	var body device.Commands
	d.f.st.polls.Add(1)
	err := d.do(pctx, http.MethodGet, "/device/v1/commands?wait="+strconv.Itoa(wait), tok, nil, &body)
	return body.Commands, err
}

// handle applies a delivered command at most once and posts its result; it
// reports whether the device is now rebooting.
func (d *Device) handle(ctx context.Context, c device.WireCommand) (rebooting bool) {
	now := time.Now()
	d.f.st.received.Add(1)
	if !c.IssuedAt.IsZero() {
		d.f.cmdLat.add(now.Sub(c.IssuedAt))
	}
	if d.f.cfg.OnCommand != nil {
		d.f.cfg.OnCommand(d.serial, c.ID, now)
	}
	if c.ID == "" {
		return false
	}
	if res, seen := d.Applied(c.ID); seen {
		d.f.st.redelivered.Add(1)
		d.postResult(ctx, c.ID, res)
		return false
	}
	res, reboot := d.apply(c)
	d.remember(c.ID, res) // before posting: a lost result must not re-apply
	if res.OK {
		d.f.st.applied.Add(1)
	} else {
		d.f.st.failed.Add(1)
	}
	d.postResult(ctx, c.ID, res)
	if reboot {
		d.f.st.reboots.Add(1)
		d.goAway(d.f.rebootTime())
	}
	return reboot
}

func (d *Device) remember(id string, res device.Result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.applied[id] = res
	d.order = append(d.order, id)
	if len(d.order) > appliedMemory {
		delete(d.applied, d.order[0])
		d.order = slices.Delete(d.order, 0, 1)
	}
}

// apply carries out a command on the device.
func (d *Device) apply(c device.WireCommand) (res device.Result, reboot bool) {
	switch c.Type {
	case device.CmdReboot:
		return device.Result{OK: true, Message: "rebooting"}, true
	case device.CmdIdentify:
		return device.Result{OK: true, Message: "identifying: the status LED flashes"}, false
	case device.CmdAccountCreate, device.CmdAccountPassword, device.CmdAccountDelete:
		return d.applyAccount(c), false
	}
	return device.Result{OK: false, Message: fmt.Sprintf("this device does not support %q commands", c.Type)}, false
}

// applyAccount applies an account command with the rules of DEV-6, as a
// device would enforce them itself.
func (d *Device) applyAccount(c device.WireCommand) device.Result {
	var a device.AccountArgs
	if err := json.Unmarshal(c.Args, &a); err != nil {
		return d.accountResult(false, "the command's arguments are malformed")
	}
	var password string
	if c.Type != device.CmdAccountDelete {
		if a.SealedPassword == "" {
			return d.accountResult(false, "the command carries no password")
		}
		p, err := device.Open(d.priv, a.SealedPassword)
		if err != nil {
			return d.accountResult(false, "the password was not sealed for this device's key")
		}
		password = string(p)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var err error
	switch c.Type {
	case device.CmdAccountCreate:
		err = device.CheckCreateAccount(d.accounts, a.Username, a.Role, password)
	case device.CmdAccountPassword:
		err = device.CheckChangePassword(d.accounts, a.Username, password)
	case device.CmdAccountDelete:
		err = device.CheckDeleteAccount(d.accounts, a.Username)
	}
	if err != nil {
		return d.accountResultLocked(false, errMessage(err))
	}
	if reason, refuse := d.refuseLocked(); refuse {
		return d.accountResultLocked(false, reason)
	}
	if d.passwords == nil {
		d.passwords = map[string]string{}
	}
	var msg string
	switch c.Type {
	case device.CmdAccountCreate:
		d.accounts = append(d.accounts, device.Account{Username: a.Username, Role: a.Role})
		d.passwords[a.Username] = password
		msg = fmt.Sprintf("account %s created", a.Username)
	case device.CmdAccountPassword:
		d.passwords[a.Username] = password
		msg = fmt.Sprintf("password of %s changed", a.Username)
	case device.CmdAccountDelete:
		d.accounts = slices.DeleteFunc(d.accounts, func(x device.Account) bool { return x.Username == a.Username })
		delete(d.passwords, a.Username)
		msg = fmt.Sprintf("account %s deleted", a.Username)
	}
	d.accVer++
	return d.accountResultLocked(true, msg)
}

// refuseLocked decides whether an injected fault refuses this account change.
func (d *Device) refuseLocked() (string, bool) {
	refuse := false
	switch {
	case d.refuseN > 0:
		d.refuseN--
		refuse = true
	case time.Now().Before(d.refuseTil):
		refuse = true
	case d.f.cfg.FailAccounts > 0 && mrand.Float64() < d.f.cfg.FailAccounts:
		refuse = true
	}
	if !refuse {
		return "", false
	}
	if d.refuseMsg != "" {
		return d.refuseMsg, true
	}
	return "the device could not write its account database (simulated fault)", true
}

func (d *Device) accountResult(ok bool, msg string) device.Result {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.accountResultLocked(ok, msg)
}

func (d *Device) accountResultLocked(ok bool, msg string) device.Result {
	return device.Result{OK: ok, Message: msg, Accounts: slices.Clone(d.accounts)}
}

// errMessage is the reason a device gives: the product error's message
// without its code.
func errMessage(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// postResult posts a command's outcome, retrying network failures a few
// times; if it still fails the gateway delivers the command again and the
// device answers with the same result.
func (d *Device) postResult(ctx context.Context, id string, res device.Result) {
	path := "/device/v1/commands/" + url.PathEscape(id) + "/result"
	for attempt := 1; ; attempt++ {
		tok, err := d.session(ctx)
		if err == nil {
			rctx, cancel := context.WithTimeout(ctx, requestTimeout)
			var reply device.ResultReply
			err = d.do(rctx, http.MethodPost, path, tok, res, &reply)
			cancel()
			if err == nil {
				d.f.st.results.Add(1)
				return
			}
			if isStatus(err, http.StatusUnauthorized) {
				d.dropToken(tok)
			} else if status(err) >= 400 && status(err) < 500 {
				d.f.st.resultErrors.Add(1)
				d.f.log.Warn("result refused", "serial", d.serial, "command", id, "err", err)
				return
			}
		}
		if ctx.Err() != nil || attempt >= 5 || d.awayFor() > 0 {
			d.f.st.resultErrors.Add(1)
			return
		}
		sleep(ctx, d.f.backoff(attempt))
	}
}

// apiError is a gateway's non-2xx answer.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("gateway answered %d %s: %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("gateway answered %d", e.Status)
}

func status(err error) int {
	var e *apiError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func isStatus(err error, code int) bool { return status(err) == code }

// do sends one JSON request on the device's link.
func (d *Device) do(ctx context.Context, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.f.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := d.link.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out != nil {
		if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(out); err != nil {
			return fmt.Errorf("%s %s: bad answer: %w", method, path, err)
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}

// sleep waits d or until ctx ends, and reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
