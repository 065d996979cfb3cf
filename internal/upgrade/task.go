// Package upgrade holds AXIS OS upgrades (SPEC §7, FW-3..FW-7): one task per
// device upgrade and its life (queued → scheduled → downloading → installing
// → succeeded | failed | canceled), the pacing of concurrent upgrades, phased
// rollouts, and each device's upgrade schedule (none, as soon as available,
// or a maintenance window).
//
// A task is queued while it waits its turn (a pacing slot, its maintenance
// window, its device coming online, its rollout ring); scheduled once its
// command is out to the device; downloading and installing as the device
// reports; and it ends when the device comes back on the target version
// (succeeded), on another one or not at all (failed), or when someone or
// something stops it before it installs (canceled). Everything is in the
// database: a portal that stops and starts again resumes every task where it
// was, and a task moves to installing once, so no device installs one task
// twice.
package upgrade

import (
	"encoding/json"
	"strings"
	"time"

	"mysystems/internal/i18n"
)

// State is where a task is in its life (FW-5).
type State string

// The states.
const (
	Queued      State = "queued"
	Scheduled   State = "scheduled"
	Downloading State = "downloading"
	Installing  State = "installing"
	Succeeded   State = "succeeded"
	Failed      State = "failed"
	Canceled    State = "canceled"
)

// States lists every state in life order.
var States = []State{Queued, Scheduled, Downloading, Installing, Succeeded, Failed, Canceled}

// ParseState validates a state name.
func ParseState(s string) (State, bool) {
	for _, st := range States {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// Done reports whether the state is final.
func (s State) Done() bool { return s == Succeeded || s == Failed || s == Canceled }

// Running reports whether a task in this state holds a pacing slot: its
// command is out, or the device is downloading or installing.
func (s State) Running() bool { return s == Scheduled || s == Downloading || s == Installing }

// Cancelable reports whether a task in this state may still be stopped: it
// has not started installing.
func (s State) Cancelable() bool { return s == Queued || s == Scheduled || s == Downloading }

// Origin says what created a task.
type Origin string

// The origins.
const (
	ByPerson   Origin = "person"   // upgrade now
	BySchedule Origin = "schedule" // as soon as available, or a maintenance window
	ByRetry    Origin = "retry"    // a failed task retried
)

// Task is one device's upgrade (FW-5).
type Task struct {
	ID        string
	OrgID     string
	DeviceID  string
	Serial    string
	Model     string
	FolderID  string
	From, To  string // versions
	ReleaseID string
	State     State
	// Stage and Percent are the device's last report: downloading (with
	// the share downloaded), installing, rebooting.
	Stage   string
	Percent int
	// Reason is why the task failed or was canceled.
	Reason    Reason
	CommandID string
	RolloutID string
	Ring      int // 1: the rollout's first ring, 2: the rest; 0 without a rollout
	Origin    Origin
	// CreatedBy is the person's id (or the schedule); CreatedLabel what to
	// show of them (their e-mail at the time).
	CreatedBy, CreatedLabel string
	RetryOf                 string
	// NotBefore and NotAfter bound when the task may start: its
	// maintenance window (FW-4). Nil: any time.
	NotBefore, NotAfter *time.Time

	CreatedAt, UpdatedAt                             time.Time
	ScheduledAt, StartedAt, InstallingAt, FinishedAt *time.Time
}

// Reason is a translatable message: why a task failed or was canceled. A
// device's own words are an argument of the key upgrade.reason.device.
type Reason struct {
	Key  string `json:"key"`
	Args []any  `json:"args,omitempty"`
}

// Because makes a reason.
func Because(key string, args ...any) Reason { return Reason{Key: key, Args: args} }

// IsZero reports whether there is no reason.
func (r Reason) IsZero() bool { return r.Key == "" }

// In renders the reason in lang.
func (r Reason) In(lang string) string {
	if r.Key == "" {
		return ""
	}
	args := make([]any, len(r.Args))
	for i, a := range r.Args {
		if s, ok := a.(string); ok && strings.HasPrefix(s, keyArg) {
			a = i18n.Key(strings.TrimPrefix(s, keyArg))
		}
		args[i] = a
	}
	return i18n.Message{Key: r.Key, Args: args}.In(lang)
}

// keyArg marks an argument that is itself a catalogue key (translated with
// the message).
const keyArg = "i18n:"

// Encode is the reason as stored.
func (r Reason) Encode() string {
	if r.Key == "" {
		return ""
	}
	b, _ := json.Marshal(r)
	return string(b)
}

// DecodeReason reads a stored reason.
func DecodeReason(s string) Reason {
	var r Reason
	if s == "" || json.Unmarshal([]byte(s), &r) != nil {
		return Reason{}
	}
	return r
}

// Reason keys the portal gives (the catalogues hold their text).
const (
	ReasonDevice         = "upgrade.reason.device"          // %s: the device's words
	ReasonCanceledBy     = "upgrade.reason.canceled_by"     // %s: who
	ReasonWithdrawn      = "upgrade.reason.withdrawn"       // %s version, %s reason
	ReasonOldVersion     = "upgrade.reason.old_version"     // %s came back on, %s target
	ReasonSilentDownload = "upgrade.reason.silent_download" // %d minutes
	ReasonSilentInstall  = "upgrade.reason.silent_install"  // %d minutes
	ReasonRolloutAborted = "upgrade.reason.rollout_aborted" // %s who
	ReasonScheduleNone   = "upgrade.reason.schedule_changed"
	ReasonDeviceRemoved  = "upgrade.reason.device_removed"
)
