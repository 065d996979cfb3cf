package api

import "time"

// UpgradeRequest starts upgrades now (FW-3): DeviceIDs, or Model within
// FolderID's subtree (the whole organization without FolderID). Version
// empty is each device's recommended version; a downgrade needs Force (Owners
// and Admins). Rollout phases the upgrade (FW-7).
type UpgradeRequest struct {
	DeviceIDs []string        `json:"device_ids,omitempty"`
	Model     string          `json:"model,omitempty"`
	FolderID  string          `json:"folder_id,omitempty"`
	Version   string          `json:"version,omitempty"`
	Force     bool            `json:"force,omitempty"`
	Rollout   *RolloutRequest `json:"rollout,omitempty"`
}

// RolloutRequest phases an upgrade: the first ring is RingCount devices,
// RingPercent of them, or those in RingFolder (give one); the rest start
// SoakMinutes after the first ring is done (default 60); the rollout pauses
// when more than FailurePercent of a ring failed (default 10).
type RolloutRequest struct {
	RingCount      int    `json:"ring_count,omitempty"`
	RingPercent    int    `json:"ring_percent,omitempty"`
	RingFolder     string `json:"ring_folder,omitempty"`
	SoakMinutes    *int   `json:"soak_minutes,omitempty"`
	FailurePercent int    `json:"failure_percent,omitempty"`
}

// SkippedJSON is a device an upgrade request left alone, and why.
type SkippedJSON struct {
	DeviceID  string `json:"device_id"`
	Serial    string `json:"serial"`
	Reason    string `json:"reason"`
	ReasonKey string `json:"reason_key"`
}

// UpgradeStartedJSON answers an upgrade request: the tasks made, the devices
// left alone, and the rollout if one was asked for.
type UpgradeStartedJSON struct {
	Tasks   []TaskJSON    `json:"tasks"`
	Skipped []SkippedJSON `json:"skipped"`
	Rollout *RolloutJSON  `json:"rollout,omitempty"`
}

// TaskJSON is an upgrade task (FW-5). Stage and Percent are the device's
// last report; Reason says why it failed or was canceled, in the caller's
// language (ReasonKey is its stable key).
type TaskJSON struct {
	ID           string     `json:"id"`
	DeviceID     string     `json:"device_id"`
	Serial       string     `json:"serial"`
	Model        string     `json:"model"`
	FolderID     string     `json:"folder_id"`
	FolderPath   string     `json:"folder_path"`
	From         string     `json:"from_version"`
	To           string     `json:"to_version"`
	State        string     `json:"state"`
	Stage        string     `json:"stage,omitempty"`
	Percent      int        `json:"percent"`
	Reason       string     `json:"reason,omitempty"`
	ReasonKey    string     `json:"reason_key,omitempty"`
	Origin       string     `json:"origin"`
	StartedBy    string     `json:"started_by"`
	RolloutID    string     `json:"rollout_id,omitempty"`
	Ring         int        `json:"ring,omitempty"`
	RetryOf      string     `json:"retry_of,omitempty"`
	NotBefore    *time.Time `json:"not_before,omitempty"`
	NotAfter     *time.Time `json:"not_after,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	ScheduledAt  *time.Time `json:"scheduled_at,omitempty"`
	StartedAt    *time.Time `json:"started_at,omitempty"`
	InstallingAt *time.Time `json:"installing_at,omitempty"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
}

// RingJSON is the tally of one ring of a rollout.
type RingJSON struct {
	Ring   int `json:"ring"`
	Total  int `json:"total"`
	Done   int `json:"done"`
	Failed int `json:"failed"`
}

// RolloutJSON is a phased rollout (FW-7).
type RolloutJSON struct {
	ID             string     `json:"id"`
	State          string     `json:"state"`
	Phase          int        `json:"phase"`
	RingCount      int        `json:"ring_count,omitempty"`
	RingPercent    int        `json:"ring_percent,omitempty"`
	RingFolder     string     `json:"ring_folder,omitempty"`
	SoakMinutes    int        `json:"soak_minutes"`
	FailurePercent int        `json:"failure_percent"`
	Reason         string     `json:"reason,omitempty"`
	SoakUntil      *time.Time `json:"soak_until,omitempty"`
	StartedBy      string     `json:"started_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	FinishedAt     *time.Time `json:"finished_at,omitempty"`
	Rings          []RingJSON `json:"rings"`
}

// WindowJSON is a maintenance window (FW-4): days ("mon"…"sun"), start
// "HH:MM" in TimeZone (IANA), lasting DurationMinutes (at most a day).
type WindowJSON struct {
	Days            []string `json:"days"`
	Start           string   `json:"start"`
	DurationMinutes int      `json:"duration_minutes"`
	TimeZone        string   `json:"time_zone"`
}

// ScheduleRequest sets the upgrade schedule of devices: mode none, asap or
// window, with the window as an object (Window) or in its text form
// (WindowText, "mon-fri 22:00 3h Europe/Paris"; give one of the two).
type ScheduleRequest struct {
	DeviceIDs  []string    `json:"device_ids"`
	Mode       string      `json:"mode"`
	Window     *WindowJSON `json:"window,omitempty"`
	WindowText string      `json:"window_text,omitempty"`
}

// ScheduleJSON is one device's schedule; NextStart and NextEnd are its
// window's next (or current) occurrence.
type ScheduleJSON struct {
	DeviceID  string      `json:"device_id"`
	Mode      string      `json:"mode"`
	Window    *WindowJSON `json:"window,omitempty"`
	NextStart *time.Time  `json:"next_start,omitempty"`
	NextEnd   *time.Time  `json:"next_end,omitempty"`
}

// ScheduleSetJSON answers a schedule change.
type ScheduleSetJSON struct {
	Devices int `json:"devices"`
}

// UpgradeLimitsJSON are an organization's pacing limits (FW-7).
type UpgradeLimitsJSON struct {
	MaxConcurrent int `json:"max_concurrent"`
	MaxPerSite    int `json:"max_per_site"`
}
