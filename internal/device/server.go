package device

// The ACS Pro servers' protocol, /server/v1 (SPEC §8): a server registers
// once with an enrolment token an Admin created and receives its own
// long-lived token; it then polls every PollSeconds with its version and
// health, and the answer carries an upgrade it should install, if one was
// requested (SRV-2). Picking an upgrade up starts it: from then on it can
// no longer be canceled (SRV-3). The server reports the outcome when done.

// ServerRegister is a server's first message.
type ServerRegister struct {
	EnrollmentToken string `json:"enrollment_token"`
	Name            string `json:"name"`
	Version         string `json:"version"`
}

// ServerRegistered answers a registration: the server's id and its token
// (send it as a Bearer token from then on; it is shown only this once), and
// the poll interval.
type ServerRegistered struct {
	ServerID    string `json:"server_id"`
	Token       string `json:"token"`
	PollSeconds int    `json:"poll_seconds"`
}

// ServerHealth is what a server reports of itself at each poll (SRV-1):
// percentages from 0 to 100, whether it is recording, how many cameras it
// records, and its last error, if any.
type ServerHealth struct {
	CPUPercent     float64 `json:"cpu_percent"`
	MemoryPercent  float64 `json:"memory_percent"`
	StoragePercent float64 `json:"storage_percent"`
	Recording      bool    `json:"recording"`
	Cameras        int     `json:"cameras"`
	LastError      string  `json:"last_error,omitempty"`
}

// ServerPoll is a server's periodic report.
type ServerPoll struct {
	Version string       `json:"version"`
	Health  ServerHealth `json:"health"`
}

// ServerUpgrade is an upgrade the server is to download (from URL) and
// install, then report with ServerUpgradeResult to
// /server/v1/upgrades/{id}/result.
type ServerUpgrade struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	URL     string `json:"url"`
}

// ServerPollReply answers a poll: when to poll next and, if one is
// waiting, the upgrade to install. A poll during an upgrade the server
// already picked up answers the same upgrade again.
type ServerPollReply struct {
	PollSeconds int            `json:"poll_seconds"`
	Upgrade     *ServerUpgrade `json:"upgrade,omitempty"`
}

// ServerUpgradeResult is the outcome of an upgrade: succeeded (OK) with the
// version the server now runs, or failed with the reason (and the version
// it still runs, if it knows).
type ServerUpgradeResult struct {
	OK      bool   `json:"ok"`
	Version string `json:"version,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// ServerResultReply answers a result with the recorded outcome; a repeated
// result answers the first one.
type ServerResultReply struct {
	State      string `json:"state"`
	NewVersion string `json:"new_version,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// The states of a server upgrade as a result reply names them.
const (
	ServerUpgradeSucceeded = "succeeded"
	ServerUpgradeFailed    = "failed"
)
