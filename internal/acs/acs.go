// Package acs holds the rules and use cases of ACS Pro servers (SPEC §8):
// enrolment with a single-use token (SRV-1), server monitoring (health now
// and over the last 24 hours, offline detection and its alert e-mails), the
// ACS Pro versions the vendor publishes and the recommended upgrade
// (SRV-2), and the upgrade queue a server checks when it polls, whose
// requests can be canceled only until the server picks them up (SRV-3).
//
// The rules are plain functions over values (this file); service.go runs
// the use cases of members and vendor operators, server.go those of the
// servers themselves (the gateway's /server/v1), monitor.go the periodic
// offline detection.
package acs

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// DefaultPoll is how often a server polls unless configured otherwise
// (SRV-1: every 60 s).
const DefaultPoll = 60 * time.Second

// OfflineAfter is how many poll intervals a server may stay silent before
// it counts as offline.
const OfflineAfter = 3

// Limits of what a server reports and members write.
const (
	MaxName       = 100
	MaxLastError  = 1000
	MaxReason     = 1000
	MaxCameras    = 100000
	MaxRecipients = 20
	MaxURL        = 2000
)

// Status is what monitoring says of a server.
type Status string

// The statuses of a server.
const (
	Online  Status = "online"
	Offline Status = "offline"
	// Upgrading: the server picked up an upgrade and is installing it, so
	// its silence is expected (SRV-2: unavailable meanwhile).
	Upgrading Status = "upgrading"
)

// State is where an upgrade request is (SRV-2, SRV-3).
type State string

// The states of an upgrade request.
const (
	Queued    State = "queued"
	Started   State = "started" // the server picked it up: it can no longer be canceled
	Succeeded State = "succeeded"
	Failed    State = "failed"
	Canceled  State = "canceled"
)

// Open reports whether a request in state s still waits for an outcome.
func (s State) Open() bool { return s == Queued || s == Started }

// Health is what a server reports of itself at each poll (SRV-1).
type Health struct {
	CPUPercent     float64
	MemoryPercent  float64
	StoragePercent float64
	Recording      bool
	Cameras        int
	LastError      string
}

// Sample is the health at one moment, for the 24-hour chart.
type Sample struct {
	At time.Time
	Health
}

// Alerts are a server's alert settings: an e-mail when it goes offline,
// one when it comes back, to Recipients (none: the organization's Owners
// and Admins).
type Alerts struct {
	Offline    bool
	Online     bool
	Recipients []string
}

// Server is an enrolled ACS Pro server.
type Server struct {
	OrgID      string
	ID         string
	Name       string
	Version    Version
	TokenHash  string
	PollEvery  time.Duration
	EnrolledAt time.Time
	LastPollAt time.Time
	Health     Health
	HealthAt   *time.Time // the last poll that reported health, if any
	SampledAt  *time.Time // the newest sample kept for the chart
	OfflineAt  *time.Time // the offline alert went out then; cleared by a poll
	Alerts     Alerts
}

// Upgrade is a request to upgrade a server (SRV-2, SRV-3).
type Upgrade struct {
	OrgID       string
	ID          string
	ServerID    string
	Version     Version // the version requested
	FromVersion Version // the server's version when requested
	State       State
	Reason      string // why it failed or was canceled, in the server's words
	// ReasonKey is the catalogue key of a reason the portal gives instead
	// (ReasonSilent: the server never reported the outcome).
	ReasonKey   string
	NewVersion  Version // the version the server reported after it
	RequestedBy string  // user id
	CreatedAt   time.Time
	StartedAt   *time.Time
	DoneAt      *time.Time
}

// Published is an ACS Pro version in the vendor's list.
type Published struct {
	Version    Version
	ReleasedAt time.Time
	URL        string // where servers download it
	CreatedAt  time.Time
	CreatedBy  string
}

// Enrollment is an enrolment token (its hash) for one new server.
type Enrollment struct {
	OrgID     string
	ID        string
	TokenHash string
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	ServerID  string
}

// Recommended is the recommended upgrade of a server on version current:
// the newest published version newer than it, if any (SRV-2).
func Recommended(published []Published, current Version) (Published, bool) {
	var best Published
	found := false
	for _, p := range published {
		if p.Version.Compare(current) <= 0 {
			continue
		}
		if !found || p.Version.Compare(best.Version) > 0 {
			best, found = p, true
		}
	}
	return best, found
}

// Target picks the version of an upgrade request of a server on version
// current: the requested one ("" for the recommended one), which must be
// published and newer than current; with none recommended the request is
// refused (SRV-2).
func Target(published []Published, current Version, requested string) (Published, error) {
	rec, ok := Recommended(published, current)
	if !ok {
		return Published{}, errs.E(errs.Conflict, "err.server.no_upgrade", current.String())
	}
	if strings.TrimSpace(requested) == "" {
		return rec, nil
	}
	v, err := ParseVersion(requested)
	if err != nil {
		return Published{}, err
	}
	i := slices.IndexFunc(published, func(p Published) bool { return p.Version.Compare(v) == 0 })
	if i < 0 {
		return Published{}, errs.InvalidField("version", "err.server.version_unknown", v.String())
	}
	if v.Compare(current) <= 0 {
		return Published{}, errs.InvalidField("version", "err.server.version_not_newer", v.String(), current.String())
	}
	return published[i], nil
}

// IsSilent reports whether a server last heard from at last, polling every
// poll, has been silent for OfflineAfter intervals at now.
func IsSilent(last time.Time, poll time.Duration, now time.Time) bool {
	if poll <= 0 {
		poll = DefaultPoll
	}
	return now.Sub(last) >= OfflineAfter*poll
}

// MaxInstall is how long a server that picked up an upgrade may stay
// silent before monitoring calls it offline after all.
const MaxInstall = 2 * time.Hour

// ReasonSilent is why an upgrade failed when its server picked it up and
// then stayed silent for MaxInstall (%d: hours).
const ReasonSilent = "server.upgrade.reason.silent"

// StatusAt is a server's status at now; running is its started upgrade,
// if any.
func StatusAt(s Server, running *Upgrade, now time.Time) Status {
	if !IsSilent(s.LastPollAt, s.PollEvery, now) {
		return Online
	}
	if running != nil && running.State == Started && running.StartedAt != nil && now.Sub(*running.StartedAt) < MaxInstall {
		return Upgrading
	}
	return Offline
}

// CanCancel says whether an upgrade request can still be canceled: only
// while queued; once the server picked it up it runs to its end (SRV-3).
func CanCancel(u Upgrade) error {
	switch u.State {
	case Queued:
		return nil
	case Started:
		at := ""
		if u.StartedAt != nil {
			at = u.StartedAt.UTC().Format(time.RFC3339)
		}
		return errs.E(errs.Conflict, "err.server.cancel_started", u.Version.String(), at)
	}
	return errs.E(errs.Conflict, "err.server.cancel_done", i18n.Key("server.upgrade.state."+string(u.State)))
}

// CheckName checks a server's name as it registers.
func CheckName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errs.InvalidField("name", "err.server.name_required")
	case !utf8.ValidString(name):
		return "", errs.InvalidField("name", "err.server.utf8", "name")
	case utf8.RuneCountInString(name) > MaxName:
		return "", errs.InvalidField("name", "err.server.name_long", MaxName)
	case strings.ContainsFunc(name, isControl):
		return "", errs.InvalidField("name", "err.server.control", "name")
	}
	return name, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// CheckHealth checks a health report (SRV-1): percentages from 0 to 100, a
// camera count from 0 to MaxCameras, a last error of valid UTF-8 of at most
// MaxLastError characters.
func CheckHealth(h Health) (Health, error) {
	for _, f := range []struct {
		name string
		v    float64
	}{{"health.cpu_percent", h.CPUPercent}, {"health.memory_percent", h.MemoryPercent}, {"health.storage_percent", h.StoragePercent}} {
		if !(f.v >= 0 && f.v <= 100) { // NaN fails too
			return h, errs.InvalidField(f.name, "err.server.percent", f.name)
		}
	}
	if h.Cameras < 0 || h.Cameras > MaxCameras {
		return h, errs.InvalidField("health.cameras", "err.server.cameras", MaxCameras)
	}
	if !utf8.ValidString(h.LastError) {
		return h, errs.InvalidField("health.last_error", "err.server.utf8", "health.last_error")
	}
	h.LastError = strings.TrimSpace(h.LastError)
	if utf8.RuneCountInString(h.LastError) > MaxLastError {
		return h, errs.InvalidField("health.last_error", "err.server.last_error_long", MaxLastError)
	}
	return h, nil
}

// CheckReason checks the reason a server gives for a failed upgrade.
func CheckReason(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errs.InvalidField("reason", "err.server.utf8", "reason")
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxReason {
		return "", errs.InvalidField("reason", "err.server.reason_long", MaxReason)
	}
	return s, nil
}

// CheckRecipients checks the alert recipients: e-mail addresses, at most
// MaxRecipients, without repeats (compared case-insensitively).
func CheckRecipients(in []string) ([]string, error) {
	if len(in) > MaxRecipients {
		return nil, errs.InvalidField("alert_recipients", "err.server.recipients_many", MaxRecipients)
	}
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, r := range in {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		a, err := mail.ParseAddress(r)
		if err != nil || a.Address != r || len(r) > 254 || !strings.Contains(r, "@") {
			return nil, errs.InvalidField("alert_recipients", "err.server.recipient", r)
		}
		if k := strings.ToLower(r); !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// PruneBefore is the moment before which health samples are dropped: the
// chart shows the last 24 hours.
func PruneBefore(now time.Time) time.Time { return now.Add(-24*time.Hour - time.Hour) }
