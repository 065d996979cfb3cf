// Package fleet holds devices (SPEC §5) and the protocol they speak with the
// portal (§6): vendor identities, claiming with the owner authentication key,
// folders, online status, commands and device local accounts.
package fleet

import (
	"regexp"
	"strings"
	"time"

	"mysystems/internal/errs"
)

// OfflineAfter is how many heartbeat intervals a device may stay silent
// before it is offline (DEV-7).
const OfflineAfter = 3

// Identity is a device as the vendor made it: serial, model, and the hashes
// of its factory secret and owner authentication key (OAK).
type Identity struct {
	Serial    string
	Model     string
	CreatedAt time.Time
}

// Device is a device claimed into an organization. A device removed and
// claimed again is a new record with a new id (DEV-5).
type Device struct {
	ID         string
	OrgID      string
	FolderID   string
	Serial     string
	Model      string
	Firmware   string
	Name       string
	ClaimedAt  time.Time
	LastSeenAt *time.Time
	// UpgradeTo is the recommended version when the catalogue recommends
	// this device an upgrade (FW-2), "" otherwise. The service sets it; the
	// store does not keep it.
	UpgradeTo string
}

// PresenceFlush bounds how long the gateway keeps a device's contact in
// memory before writing it.
const PresenceFlush = 10 * time.Second

// OnlineWindow is how long after its recorded last contact a device still
// counts as online: OfflineAfter heartbeat intervals (DEV-7). The gateway
// records a live device's contact at most once per interval (PresenceResolution)
// and writes it behind within PresenceFlush, which keeps a live device well
// inside the window; once a device falls silent, its exact last contact is
// written within one resolution plus PresenceFlush, before the window can
// end (docs/ARCHITECTURE.md, "Presence"). Intervals under 5 s (tests) get
// at least one interval plus PresenceFlush, the most a live device's
// recorded contact can lag.
func OnlineWindow(heartbeat time.Duration) time.Duration {
	return max(OfflineAfter*heartbeat, heartbeat+PresenceFlush)
}

// PresenceResolution is the gateway's presence resolution for a heartbeat
// interval: a contact within it of the written one is not written at once.
// Two resolutions plus PresenceFlush must stay under OnlineWindow for a
// silent device's exact last contact to be written in time, so short
// intervals (tests, demos) write every contact.
func PresenceResolution(heartbeat time.Duration) time.Duration {
	if heartbeat <= 2*PresenceFlush {
		return 0
	}
	return heartbeat
}

// Online reports whether the device counts as online at now (DEV-7, see
// OnlineWindow).
func (d Device) Online(now time.Time, heartbeat time.Duration) bool {
	return d.LastSeenAt != nil && now.Sub(*d.LastSeenAt) < OnlineWindow(heartbeat)
}

var serialRe = regexp.MustCompile(`^[A-Z0-9]{6,32}$`)

// NormalizeSerial upper-cases and validates a serial number (hex-like
// uppercase letters and digits, as printed on devices).
func NormalizeSerial(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, ":", "")
	if !serialRe.MatchString(s) {
		return "", errs.InvalidField("serial", "err.device.serial")
	}
	return s, nil
}

// NormalizeOAK removes the grouping a person may type (spaces, dashes) and
// upper-cases the owner authentication key.
func NormalizeOAK(oak string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(oak)))
}
