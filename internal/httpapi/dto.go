package httpapi

import (
	"time"

	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/org"
)

// The JSON shapes of the API. They are separate from domain types so the
// contract changes only on purpose.

// UserJSON is a person's public profile.
type UserJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Lang      string    `json:"lang"`
	CreatedAt time.Time `json:"created_at"`
}

func userJSON(u account.User) UserJSON {
	return UserJSON{ID: u.ID, Email: u.Email, Name: u.Name, Lang: u.Lang, CreatedAt: u.CreatedAt}
}

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

func orgJSON(o org.Org, role string) OrgJSON {
	return OrgJSON{ID: o.ID, Name: o.Name, Notes: o.Notes, RequireMFA: o.RequireMFA, Status: o.Status,
		RootFolderID: o.RootFolderID, CreatedAt: o.CreatedAt, ArchivedAt: o.ArchivedAt, Role: role}
}

// TokenJSON is a personal API token, without its secret.
type TokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func tokenJSON(t account.Token) TokenJSON {
	return TokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
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

func auditJSON(e audit.Entry) AuditJSON {
	return AuditJSON{ID: itoa(e.Seq), At: e.At, Actor: ActorJSON{Kind: e.Actor.Kind, ID: e.Actor.ID, Email: e.Actor.Email},
		ClientAddr: e.Actor.ClientAddr, Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, Details: e.Details}
}
