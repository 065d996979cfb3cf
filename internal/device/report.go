package device

import (
	"regexp"
	"strings"

	"mysystems/internal/errs"
	"mysystems/internal/text"
)

// What a device reports of itself (GW-2) is checked by the same rules as
// what people send: a model and a firmware version by the formats a vendor
// mints and publishes them in, an account list by DEV-6 (CheckAccounts),
// a public key by what sealing needs (CheckPublicKey). A report that breaks
// one is refused whole, naming the field; nothing of it is recorded. A
// device's free text (a result's message) is not refused but shortened to
// MaxMessage characters: its outcome must be recorded even when its reason
// runs long.

// MaxMessage is the most characters of a device's message (a command's
// result, an upgrade's failure) the portal keeps.
const MaxMessage = 500

var modelRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._/+-]{0,63}$`)

// CheckModel validates a model name: 1 to 64 letters, digits, spaces or
// ._/+-, starting with a letter or digit; surrounding spaces are trimmed.
// Vendors mint devices and publish AXIS OS releases under such names.
func CheckModel(m string) (string, error) {
	m = strings.TrimSpace(m)
	if !modelRe.MatchString(m) {
		return "", errs.InvalidField("model", "err.device.model")
	}
	return m, nil
}

var firmwareRe = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$`)

// CheckFirmware validates a firmware version as a device reports it: 1 to
// 32 letters, digits or .+_-, starting with a letter or digit; surrounding
// spaces are trimmed.
func CheckFirmware(v string) (string, error) {
	v = strings.TrimSpace(v)
	if !firmwareRe.MatchString(v) {
		return "", errs.InvalidField("firmware", "err.device.firmware")
	}
	return v, nil
}

// CheckHello checks what a hello reports and returns it tidied (trimmed
// model and firmware). An empty model, firmware or public key and an
// absent account list report nothing of them; the credential (serial,
// secret) is the gateway's to check. The model is checked but not
// recorded: the vendor's identity of the device holds it.
func CheckHello(in Hello) (Hello, error) {
	var err error
	if in.Model != "" {
		if in.Model, err = CheckModel(in.Model); err != nil {
			return in, err
		}
	}
	if in.PublicKey != "" {
		if err := CheckPublicKey(in.PublicKey); err != nil {
			return in, err
		}
	}
	if in.Firmware, err = checkCommon(in.Firmware, in.Accounts); err != nil {
		return in, err
	}
	return in, nil
}

// CheckHeartbeat checks what a heartbeat reports (CheckHello's rules for
// its firmware and accounts).
func CheckHeartbeat(in Heartbeat) (Heartbeat, error) {
	var err error
	if in.Firmware, err = checkCommon(in.Firmware, in.Accounts); err != nil {
		return in, err
	}
	return in, nil
}

// CheckResult checks a command's result: its firmware and accounts by
// CheckHello's rules; its message is trimmed and cut to MaxMessage
// characters, never refused.
func CheckResult(in Result) (Result, error) {
	in.Message = text.Cut(strings.TrimSpace(in.Message), MaxMessage)
	var err error
	if in.Firmware, err = checkCommon(in.Firmware, in.Accounts); err != nil {
		return in, err
	}
	return in, nil
}

// checkCommon checks what every report may carry: a firmware version ("":
// none reported) and an account list (nil: none reported). It returns the
// firmware tidied.
func checkCommon(firmware string, accounts []Account) (string, error) {
	if firmware != "" {
		var err error
		if firmware, err = CheckFirmware(firmware); err != nil {
			return firmware, err
		}
	}
	if accounts != nil {
		if err := CheckAccounts(accounts); err != nil {
			return firmware, err
		}
	}
	return firmware, nil
}
