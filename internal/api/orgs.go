package api

import "time"

// OrgJSON is an organization; Role is the caller's role in it.
type OrgJSON struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Notes        string     `json:"notes"`
	RequireMFA   bool       `json:"require_mfa"`
	Status       string     `json:"status"`
	RootFolderID string     `json:"root_folder_id"`
	CreatedAt    time.Time  `json:"created_at"`
	ArchivedAt   *time.Time `json:"archived_at,omitempty"`
	Role         string     `json:"role,omitempty"`
}

// OrgCreate creates an organization.
type OrgCreate struct {
	Name  string `json:"name"`
	Notes string `json:"notes,omitempty"`
}

// OrgPatch edits an organization; absent fields are unchanged.
type OrgPatch struct {
	Name       *string `json:"name,omitempty"`
	Notes      *string `json:"notes,omitempty"`
	RequireMFA *bool   `json:"require_mfa,omitempty"`
}

// ArchiveRequest confirms archiving (ORG-4).
type ArchiveRequest struct {
	ConfirmID   string `json:"confirm_id"`
	Acknowledge bool   `json:"acknowledge"`
}

// ActorJSON is who made a change.
type ActorJSON struct {
	Kind  string `json:"kind"`
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
}

// AuditJSON is one audit-log entry.
type AuditJSON struct {
	ID         string         `json:"id"`
	At         time.Time      `json:"at"`
	Actor      ActorJSON      `json:"actor"`
	ClientAddr string         `json:"client_addr"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	Details    map[string]any `json:"details,omitempty"`
}
