package httpapi

import (
	"net/http"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/org"
)

// FolderJSON is a folder; Path is its names from the root.
type FolderJSON struct {
	ID        string    `json:"id"`
	ParentID  *string   `json:"parent_id"`
	Name      string    `json:"name"`
	Path      string    `json:"path"`
	CreatedAt time.Time `json:"created_at"`
}

func folderJSON(f org.FolderView) FolderJSON {
	out := FolderJSON{ID: f.ID, Name: f.Name, Path: f.Path, CreatedAt: f.CreatedAt}
	if f.ParentID != "" {
		p := f.ParentID
		out.ParentID = &p
	}
	return out
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

func memberJSON(m org.Member) MemberJSON {
	f := m.Folders
	if f == nil {
		f = []string{}
	}
	return MemberJSON{UserID: m.UserID, Email: m.Email, Name: m.Name, Role: string(m.Role), Folders: f, JoinedAt: m.JoinedAt}
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

func invitationJSON(i org.Invitation, status string) InvitationJSON {
	return InvitationJSON{ID: i.ID, Email: i.Email, Role: string(i.Role), Folders: i.Folders, InvitedBy: i.InvitedBy,
		Status: status, CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}
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

func (a *API) memberRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/orgs/{org}/folders", Tag: "folders", Summary: "The folders I can see, in tree order (DEV-1, ACC-1)",
			Auth: AuthUser, Response: List[FolderJSON]{}, handle: func(c *Call) (any, error) {
				fs, err := a.d.Orgs.Folders(c.R.Context(), c.Actor, c.Org.ID)
				if err != nil {
					return nil, err
				}
				out := List[FolderJSON]{Items: []FolderJSON{}}
				for _, f := range fs {
					out.Items = append(out.Items, folderJSON(f))
				}
				return out, nil
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/folders", Tag: "folders", Summary: "Create a folder (DEV-1)",
			Auth: AuthUser, Request: FolderCreate{}, Response: FolderJSON{}, Status: http.StatusCreated,
			handle: func(c *Call) (any, error) {
				var in FolderCreate
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				f, err := a.d.Orgs.CreateFolder(c.R.Context(), c.Actor, c.Org.ID, in.ParentID, in.Name)
				if err != nil {
					return nil, err
				}
				return folderJSON(f), nil
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/folders/{id}", Tag: "folders", Summary: "Read a folder",
			Auth: AuthUser, Response: FolderJSON{}, handle: func(c *Call) (any, error) {
				f, err := a.d.Orgs.Folder(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
				if err != nil {
					return nil, err
				}
				return folderJSON(f), nil
			}},
		{Method: "PATCH", Path: "/api/v1/orgs/{org}/folders/{id}", Tag: "folders", Summary: "Rename or move a folder (DEV-1)",
			Auth: AuthUser, Request: FolderPatch{}, Response: FolderJSON{}, handle: func(c *Call) (any, error) {
				var in FolderPatch
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				f, err := a.d.Orgs.UpdateFolder(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"), in.Name, in.ParentID)
				if err != nil {
					return nil, err
				}
				return folderJSON(f), nil
			}},
		{Method: "DELETE", Path: "/api/v1/orgs/{org}/folders/{id}", Tag: "folders", Summary: "Delete an empty folder; needs ?confirm=true (DEV-2)",
			Auth: AuthUser, Query: []Param{{"confirm", "must be true"}}, handle: func(c *Call) (any, error) {
				confirm := c.R.URL.Query().Get("confirm") == "true"
				return nil, a.d.Orgs.DeleteFolder(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"), confirm)
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/members", Tag: "members", Summary: "Members with role and folder grants (USR-2)",
			Auth: AuthUser, Response: List[MemberJSON]{}, Query: pageParams, handle: func(c *Call) (any, error) {
				p, err := page(c.R)
				if err != nil {
					return nil, err
				}
				ms, next, err := a.d.Orgs.Members(c.R.Context(), c.Actor, c.Org.ID, p)
				if err != nil {
					return nil, err
				}
				out := List[MemberJSON]{Items: []MemberJSON{}, NextCursor: next}
				for _, m := range ms {
					out.Items = append(out.Items, memberJSON(m))
				}
				return out, nil
			}},
		{Method: "PATCH", Path: "/api/v1/orgs/{org}/members/{user}", Tag: "members", Summary: "Change a member's role or folder grants (USR-2, ACC-3)",
			Auth: AuthUser, Request: MemberPatch{}, Response: MemberJSON{}, handle: func(c *Call) (any, error) {
				var in MemberPatch
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				var p org.MemberPatch
				if in.Role != nil {
					r, err := access.ParseRole(*in.Role)
					if err != nil {
						return nil, err
					}
					p.Role = &r
				}
				p.Folders = in.Folders
				m, err := a.d.Orgs.UpdateMember(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("user"), p)
				if err != nil {
					return nil, err
				}
				return memberJSON(m), nil
			}},
		{Method: "DELETE", Path: "/api/v1/orgs/{org}/members/{user}", Tag: "members", Summary: "Remove a member (USR-3)",
			Auth: AuthUser, handle: func(c *Call) (any, error) {
				return nil, a.d.Orgs.RemoveMembers(c.R.Context(), c.Actor, c.Org.ID, []string{c.R.PathValue("user")})
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/members/remove", Tag: "members", Summary: "Remove several members, all or nothing (USR-3)",
			Auth: AuthUser, Request: RemoveMembersRequest{}, handle: func(c *Call) (any, error) {
				var in RemoveMembersRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				return nil, a.d.Orgs.RemoveMembers(c.R.Context(), c.Actor, c.Org.ID, in.UserIDs)
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/invitations", Tag: "members", Summary: "Pending invitations (USR-1)",
			Auth: AuthUser, Response: List[InvitationJSON]{}, Query: pageParams, handle: func(c *Call) (any, error) {
				p, err := page(c.R)
				if err != nil {
					return nil, err
				}
				invs, next, err := a.d.Orgs.Invitations(c.R.Context(), c.Actor, c.Org.ID, p)
				if err != nil {
					return nil, err
				}
				out := List[InvitationJSON]{Items: []InvitationJSON{}, NextCursor: next}
				for _, i := range invs {
					out.Items = append(out.Items, invitationJSON(i, org.InvitePending))
				}
				return out, nil
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/invitations", Tag: "members", Summary: "Invite a person by e-mail as a Viewer of some folders (USR-1)",
			Auth: AuthUser, Request: InviteRequest{}, Response: InvitationJSON{}, Status: http.StatusCreated,
			handle: func(c *Call) (any, error) {
				var in InviteRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				inv, err := a.d.Orgs.Invite(c.R.Context(), c.Actor, c.Org.ID, org.InviteInput{Email: in.Email, Folders: in.Folders, Role: access.Role(in.Role)})
				if err != nil {
					return nil, err
				}
				return invitationJSON(inv, org.InvitePending), nil
			}},
		{Method: "DELETE", Path: "/api/v1/orgs/{org}/invitations/{id}", Tag: "members", Summary: "Revoke a pending invitation",
			Auth: AuthUser, handle: func(c *Call) (any, error) {
				return nil, a.d.Orgs.RevokeInvitation(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
			}},
		{Method: "POST", Path: "/api/v1/invitations/accept", Tag: "members", Summary: "Accept an invitation as the signed-in user (USR-1)",
			Auth: AuthUser, Request: AcceptRequest{}, Response: OrgJSON{}, handle: func(c *Call) (any, error) {
				var in AcceptRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				o, err := a.d.Orgs.AcceptInvitation(c.R.Context(), c.Actor, in.Token)
				if err != nil {
					return nil, err
				}
				return orgJSON(o, string(access.Viewer)), nil
			}},
		{Method: "POST", Path: "/api/v1/invitations/preview", Tag: "members", Summary: "What an invitation link is for, before accepting it",
			Auth: AuthNone, Request: AcceptRequest{}, Response: InvitationPreviewJSON{}, handle: func(c *Call) (any, error) {
				var in AcceptRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				p, err := a.d.Orgs.PreviewInvitation(c.R.Context(), in.Token)
				if err != nil {
					return nil, err
				}
				return InvitationPreviewJSON{OrgName: p.OrgName, Email: p.Email, Status: p.Status, ExpiresAt: p.Invitation.ExpiresAt}, nil
			}},
	}
}
