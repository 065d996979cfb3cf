package fleet

import (
	"slices"
	"time"

	"mysystems/internal/device"
)

// helloAtResolution is how stale a device's recorded hello time may get
// before a hello is worth writing for it alone (presence keeps the exact
// last contact).
const helloAtResolution = time.Hour

// AfterHello merges what a hello reports into what the portal knows of the
// device, and says whether anything worth writing changed.
func (r Reported) AfterHello(in device.Hello, now time.Time) (Reported, bool) {
	changed := false
	if fw, err := device.CheckFirmware(in.Firmware); err == nil && fw != r.Firmware {
		r.Firmware, changed = fw, true
	}
	if in.Accounts != nil && !slices.Equal(in.Accounts, r.Accounts) {
		r.Accounts, changed = in.Accounts, true
	}
	if in.PublicKey != "" && in.PublicKey != r.PublicKey {
		r.PublicKey, changed = in.PublicKey, true
	}
	if r.HelloAt == nil || now.Sub(*r.HelloAt) > helloAtResolution {
		changed = true
	}
	if changed {
		r.HelloAt = &now
	}
	return r, changed
}

// AfterHeartbeat merges what a heartbeat reports (firmware, accounts, when
// they changed) into what the portal knows of the device.
func (r Reported) AfterHeartbeat(in device.Heartbeat) Reported {
	if fw, err := device.CheckFirmware(in.Firmware); err == nil {
		r.Firmware = fw
	}
	if in.Accounts != nil {
		r.Accounts = in.Accounts
	}
	return r
}
