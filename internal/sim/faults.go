package sim

import "time"

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
	case FaultCorruptImage:
		d.TamperNextImage()
	case FaultFailInstall:
		d.FailNextInstall(ft.Message)
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
