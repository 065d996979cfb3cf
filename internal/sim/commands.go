package sim

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"mysystems/internal/device"
)

// appliedMemory is how many command outcomes a device remembers to answer
// redeliveries with (GW-2: applied at most once).
const appliedMemory = 256

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
	if c.Type == device.CmdUpgrade {
		d.startUpgrade(ctx, c)
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
