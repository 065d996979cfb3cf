package upgrade

import (
	"context"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/fleet"
	"mysystems/internal/org"
)

// DeviceInfo is what an upgrade needs of a device.
type DeviceInfo struct {
	ID, Serial, Model, Firmware, FolderID, Name string
	LastSeenAt                                  *time.Time
}

// Online reports whether the device counts as online at now.
func (d DeviceInfo) Online(now time.Time, heartbeat time.Duration) bool {
	return d.LastSeenAt != nil && now.Sub(*d.LastSeenAt) < fleet.OnlineWindow(heartbeat)
}

// TaskFilter narrows the task list (FW-5). Zero values do not filter.
type TaskFilter struct {
	States   []State
	DeviceID string
	Model    string
	FolderID string   // the folder and everything below it
	Folders  []string // expanded by the service from FolderID and the member's access; nil: every folder
	Since    time.Time
	Until    time.Time
	Rollout  string
}

// Page asks for one page of a list.
type Page = audit.Page

// Live is an unfinished task with its device as the portal knows it now
// (what the background work decides on). Gone: the device left the
// organization.
type Live struct {
	Task   Task
	Rev    int
	Device DeviceInfo
	Gone   bool
}

// Tx is what upgrades need of a store transaction.
type Tx interface {
	org.Tx

	UpgradeDevices(ctx context.Context, orgID string, ids []string, model string, folders []string) ([]DeviceInfo, error)
	CreateTasks(ctx context.Context, ts []Task) error
	// SaveTask writes t if it is still at revision rev (the one read): it
	// fails with errs.Conflict when another writer changed it since.
	SaveTask(ctx context.Context, t Task, rev int) error
	// SaveTaskProgress writes only a task's stage, percent and update time,
	// its state unchanged, if it is still at revision rev.
	SaveTaskProgress(ctx context.Context, t Task, rev int) error
	// SaveTasks writes each of ts[i] if it is still at revision revs[i], in
	// a few statements; it returns the ids of the tasks written (the others
	// changed since).
	SaveTasks(ctx context.Context, ts []Task, revs []int) (map[string]bool, error)
	Task(ctx context.Context, orgID, id string) (Task, int, error)
	TaskByCommand(ctx context.Context, orgID, command string) (Task, int, error)
	Tasks(ctx context.Context, orgID string, f TaskFilter, p Page) ([]Task, string, error)
	// OpenTasks returns, by device, the unfinished task of each of these
	// devices of the organization.
	OpenTasks(ctx context.Context, orgID string, deviceIDs []string) (map[string]Task, error)
	// QueuedOrgs lists the organizations with queued tasks.
	QueuedOrgs(ctx context.Context) ([]string, error)
	// QueuedTasks returns the organization's queued tasks that may start at
	// now (inside their window), oldest first, with their devices.
	QueuedTasks(ctx context.Context, orgID string, now time.Time, after *QueueKey, limit int) ([]Live, error)
	// RunningByFolder counts the organization's running tasks by folder.
	RunningByFolder(ctx context.Context, orgID string) (map[string]int, error)
	// LockPacing makes the transactions that count an organization's running
	// tasks and start more run one after the other, on any instance.
	LockPacing(ctx context.Context, orgID string) error
	// LiveTasks returns every running task, and every queued task whose
	// window has closed, across organizations, with its device.
	LiveTasks(ctx context.Context, now time.Time) ([]Live, error)
	// FailedTargets names the (device, version) pairs, as device id + "\x00" +
	// version, of these devices' failed tasks.
	FailedTargets(ctx context.Context, orgID string, deviceIDs []string) (map[string]bool, error)
	// ReleaseTasks returns the unfinished tasks to a release, across
	// organizations, with their revisions.
	ReleaseTasks(ctx context.Context, releaseID string) ([]Task, []int, error)
	// RolloutTasks returns a rollout's unfinished tasks with their revisions.
	RolloutTasks(ctx context.Context, orgID, rolloutID string) ([]Task, []int, error)

	CreateRollout(ctx context.Context, r Rollout) error
	Rollout(ctx context.Context, orgID, id string) (Rollout, error)
	SaveRollout(ctx context.Context, r Rollout) error
	Rollouts(ctx context.Context, orgID string, p Page) ([]Rollout, string, error)
	// ActiveRollouts lists the running, soaking and paused rollouts of
	// every organization.
	ActiveRollouts(ctx context.Context) ([]Rollout, error)
	// RingCounts tallies a rollout's tasks by ring (index 1 and 2).
	RingCounts(ctx context.Context, orgID, rolloutID string, folders []string) ([3]RingCount, error)

	SetSchedules(ctx context.Context, orgID string, ss []Schedule) error
	DeleteSchedules(ctx context.Context, orgID string, deviceIDs []string) error
	Schedules(ctx context.Context, orgID string, deviceIDs []string) (map[string]Schedule, error)
	// ScheduledDevices returns the devices with a schedule (asap or
	// window) across organizations, with their devices.
	ScheduledDevices(ctx context.Context) ([]ScheduledDevice, error)

	UpgradeLimits(ctx context.Context, orgID string) (Limits, bool, error)
	SetUpgradeLimits(ctx context.Context, orgID string, l Limits, at time.Time) error

	CreateCommand(ctx context.Context, c fleet.Command) error
	// CreateCommands stores commands in a few statements.
	CreateCommands(ctx context.Context, cs []fleet.Command) error
	// DropCommand ends an open command that no longer carries a task.
	DropCommand(ctx context.Context, orgID, id, reason string, at time.Time) error
	// HoldCommand records that the device has a command it reports on: a
	// command still pending is delivered (one delivered stays as it is; the
	// task it carries, downloading or installing, says the device is at work
	// on it, and the gateway does not send it again).
	HoldCommand(ctx context.Context, orgID, id string, at time.Time) error
	RecordAudit(ctx context.Context, e audit.Entry) error
}

// QueueKey is a queued task's place in the queue: the tasks after it come
// next (a rollout's first ring first, then oldest first).
type QueueKey struct {
	Ring      int
	CreatedAt time.Time
	ID        string
}

// ScheduledDevice is a device with a schedule.
type ScheduledDevice struct {
	OrgID    string
	Schedule Schedule
	Device   DeviceInfo
}

// Store runs transactions.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
	// WriteGrouped is Write for the devices' small, frequent writes: fn
	// shares one transaction with the calls made meanwhile, undone alone
	// if it fails, committed with them.
	WriteGrouped(ctx context.Context, fn func(Tx) error) error
}
