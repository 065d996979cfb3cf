package api

import "time"

// FolderJSON is a folder; Path is its names from the root.
type FolderJSON struct {
	ID        string    `json:"id"`
	ParentID  *string   `json:"parent_id"`
	Name      string    `json:"name"`
	Path      string    `json:"path"`
	CreatedAt time.Time `json:"created_at"`
}

// FolderCreate creates a folder; no parent_id means under the root.
type FolderCreate struct {
	Name     string `json:"name"`
	ParentID string `json:"parent_id,omitempty"`
}

// FolderPatch renames and/or moves a folder.
type FolderPatch struct {
	Name     *string `json:"name,omitempty"`
	ParentID *string `json:"parent_id,omitempty"`
}

// MemberJSON is a member with role and folder grants.
type MemberJSON struct {
	UserID   string    `json:"user_id"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	Folders  []string  `json:"folders"`
	JoinedAt time.Time `json:"joined_at"`
}

// MemberPatch changes a member's role and/or folder grants.
type MemberPatch struct {
	Role    *string   `json:"role,omitempty"`
	Folders *[]string `json:"folders,omitempty"`
}

// RemoveMembersRequest removes several members, all or nothing.
type RemoveMembersRequest struct {
	UserIDs []string `json:"user_ids"`
}

// InviteRequest invites a person as a Viewer of some folders. Role may be
// omitted; anything but "viewer" is refused (USR-1).
type InviteRequest struct {
	Email   string   `json:"email"`
	Folders []string `json:"folders"`
	Role    string   `json:"role,omitempty"`
}

// InvitationJSON is a pending invitation.
type InvitationJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	Folders   []string  `json:"folders"`
	InvitedBy string    `json:"invited_by"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AcceptRequest accepts an invitation with the token from its link.
type AcceptRequest struct {
	Token string `json:"token"`
}

// InvitationPreviewJSON is what an invitation link shows before accepting.
type InvitationPreviewJSON struct {
	OrgName   string    `json:"org_name"`
	Email     string    `json:"email"`
	Status    string    `json:"status"`
	ExpiresAt time.Time `json:"expires_at"`
}
