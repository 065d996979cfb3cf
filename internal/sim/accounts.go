package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"time"

	"mysystems/internal/device"
	"mysystems/internal/errs"
)

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
	if err := device.CheckAccountChange(d.accounts, c.Type, a.Username, a.Role, password); err != nil {
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
