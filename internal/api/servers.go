package api

import "time"

// The wire types of ACS Pro servers (SPEC §8) in /api/v1.

// EnrollmentTokenJSON answers POST /api/v1/orgs/{org}/servers/enrollment-tokens:
// a single-use token a new server registers with, shown only this once.
type EnrollmentTokenJSON struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ServerHealthJSON is a server's health (SRV-1).
type ServerHealthJSON struct {
	CPUPercent     float64 `json:"cpu_percent"`
	MemoryPercent  float64 `json:"memory_percent"`
	StoragePercent float64 `json:"storage_percent"`
	Recording      bool    `json:"recording"`
	Cameras        int     `json:"cameras"`
	LastError      string  `json:"last_error,omitempty"`
}

// ServerSampleJSON is the health at one moment of the last 24 hours.
type ServerSampleJSON struct {
	At             time.Time `json:"at"`
	CPUPercent     float64   `json:"cpu_percent"`
	MemoryPercent  float64   `json:"memory_percent"`
	StoragePercent float64   `json:"storage_percent"`
	Recording      bool      `json:"recording"`
	Cameras        int       `json:"cameras"`
}

// ServerAlertsJSON are a server's alert settings: e-mails when it goes
// offline and when it comes back, to Recipients (empty: the
// organization's Owners and Admins).
type ServerAlertsJSON struct {
	Offline    bool     `json:"offline"`
	Online     bool     `json:"online"`
	Recipients []string `json:"recipients"`
}

// ServerUpgradeJSON is an upgrade request (SRV-2, SRV-3). State is queued,
// started (picked up by the server: no longer cancelable), succeeded,
// failed or canceled.
type ServerUpgradeJSON struct {
	ID          string     `json:"id"`
	ServerID    string     `json:"server_id"`
	Version     string     `json:"version"`
	FromVersion string     `json:"from_version"`
	State       string     `json:"state"`
	Reason      string     `json:"reason,omitempty"`
	ReasonKey   string     `json:"reason_key,omitempty"` // set when the portal gave the reason
	NewVersion  string     `json:"new_version,omitempty"`
	RequestedBy string     `json:"requested_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	DoneAt      *time.Time `json:"done_at,omitempty"`
}

// ServerJSON is an ACS Pro server as monitoring shows it. Status is
// online, offline (silent for 3 poll intervals) or upgrading (installing
// an upgrade it picked up). History (the last 24 hours) and Upgrades (the
// latest requests) are in GET …/servers/{id} only.
type ServerJSON struct {
	ID                 string              `json:"id"`
	Name               string              `json:"name"`
	Version            string              `json:"version"`
	Status             string              `json:"status"`
	PollSeconds        int                 `json:"poll_seconds"`
	EnrolledAt         time.Time           `json:"enrolled_at"`
	LastPollAt         time.Time           `json:"last_poll_at"`
	Health             ServerHealthJSON    `json:"health"`
	HealthAt           *time.Time          `json:"health_at,omitempty"`
	RecommendedVersion string              `json:"recommended_version,omitempty"`
	Upgrade            *ServerUpgradeJSON  `json:"upgrade,omitempty"`
	Alerts             ServerAlertsJSON    `json:"alerts"`
	History            []ServerSampleJSON  `json:"history,omitempty"`
	Upgrades           []ServerUpgradeJSON `json:"upgrades,omitempty"`
}

// ServerPatch changes a server's alert settings; absent fields are kept.
type ServerPatch struct {
	AlertOffline    *bool     `json:"alert_offline,omitempty"`
	AlertOnline     *bool     `json:"alert_online,omitempty"`
	AlertRecipients *[]string `json:"alert_recipients,omitempty"`
}

// ServerUpgradeRequest queues an upgrade; Version empty is the recommended
// one.
type ServerUpgradeRequest struct {
	Version string `json:"version,omitempty"`
}

// ACSVersionRequest publishes an ACS Pro version (vendor). ReleasedAt is
// YYYY-MM-DD or RFC 3339 (empty: now); URL is where servers download it
// (empty: the vendor's usual download address for the version).
type ACSVersionRequest struct {
	Version    string `json:"version"`
	ReleasedAt string `json:"released_at,omitempty"`
	URL        string `json:"url,omitempty"`
}

// ACSVersionJSON is a published ACS Pro version.
type ACSVersionJSON struct {
	Version    string    `json:"version"`
	ReleasedAt time.Time `json:"released_at"`
	URL        string    `json:"url,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}
