package sim

import (
	"context"
	"crypto/ecdh"
	"errors"
	"slices"
	"sync"
	"time"

	"mysystems/internal/device"
)

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
	upgrading string // the upgrade command under way
	tamperN   int    // downloads still to corrupt
	failN     int    // installs still to fail
	failMsg   string
}

func newDevice(f *Fleet, id Identity, l *link, key *ecdh.PrivateKey) *Device {
	model := id.Model
	if model == "" {
		model = DefaultModel
	}
	fw := id.Firmware
	if fw == "" {
		fw = f.cfg.Firmware
	}
	return &Device{
		f: f, serial: id.Serial, model: model, secret: id.Secret, link: l,
		priv: key, pub: publicKey(key),
		firmware: fw,
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
