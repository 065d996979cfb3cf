package api

import "time"

// DeviceJSON is a device as members see it.
type DeviceJSON struct {
	ID         string     `json:"id"`
	Serial     string     `json:"serial"`
	Name       string     `json:"name"`
	Model      string     `json:"model"`
	Firmware   string     `json:"firmware"`
	FolderID   string     `json:"folder_id"`
	FolderPath string     `json:"folder_path"`
	Online     bool       `json:"online"`
	LastSeenAt *time.Time `json:"last_seen_at"`
	ClaimedAt  time.Time  `json:"claimed_at"`
	// RecommendedVersion is the AXIS OS version an upgrade is recommended
	// to (FW-2), present only when one is.
	RecommendedVersion string `json:"recommended_version,omitempty"`
}

// ClaimRequest claims a device with its serial and OAK (DEV-3).
type ClaimRequest struct {
	Serial   string `json:"serial"`
	OAK      string `json:"oak"`
	FolderID string `json:"folder_id,omitempty"`
	Name     string `json:"name,omitempty"`
}

// DevicePatch renames or moves a device.
type DevicePatch struct {
	Name     *string `json:"name,omitempty"`
	FolderID *string `json:"folder_id,omitempty"`
}

// MoveRequest moves several devices into a folder.
type MoveRequest struct {
	DeviceIDs []string `json:"device_ids"`
	FolderID  string   `json:"folder_id"`
}

// ActionRequest sends reboot or identify.
type ActionRequest struct {
	Type string `json:"type"`
}

// CommandJSON is a device command's state (pending, delivered, applied,
// failed with the device's reason).
type CommandJSON struct {
	ID          string     `json:"id"`
	DeviceID    string     `json:"device_id"`
	Type        string     `json:"type"`
	State       string     `json:"state"`
	Result      string     `json:"result,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	DoneAt      *time.Time `json:"done_at,omitempty"`
}

// DeviceAccountJSON is a local account of a device.
type DeviceAccountJSON struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Service  bool   `json:"service"`
}

// AccountCreate creates a device account. The password goes to the device
// only (DEV-6).
type AccountCreate struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// AccountPassword changes a device account's password.
type AccountPassword struct {
	Password string `json:"password"`
}
