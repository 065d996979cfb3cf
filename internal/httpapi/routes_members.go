package httpapi

import (
	"net/http"

	"mysystems/internal/access"
	"mysystems/internal/api"
	"mysystems/internal/org"
)

func folderJSON(f org.FolderView) api.FolderJSON {
	out := api.FolderJSON{ID: f.ID, Name: f.Name, Path: f.Path, CreatedAt: f.CreatedAt}
	if f.ParentID != "" {
		p := f.ParentID
		out.ParentID = &p
	}
	return out
}

func memberJSON(m org.Member) api.MemberJSON {
	f := m.Folders
	if f == nil {
		f = []string{}
	}
	return api.MemberJSON{UserID: m.UserID, Email: m.Email, Name: m.Name, Role: string(m.Role), Folders: f, JoinedAt: m.JoinedAt}
}

func invitationJSON(i org.Invitation, status string) api.InvitationJSON {
	return api.InvitationJSON{ID: i.ID, Email: i.Email, Role: string(i.Role), Folders: i.Folders, InvitedBy: i.InvitedBy,
		Status: status, CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}
}

func (a *API) memberRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/orgs/{org}/folders", Tag: "folders", Summary: "The folders I can see, in tree order (DEV-1, ACC-1)",
			Auth: AuthUser, Response: api.List[api.FolderJSON]{}, handle: func(c *Call) (any, error) {
				fs, err := a.d.Orgs.Folders(c.R.Context(), c.Actor, c.Org.ID)
				if err != nil {
					return nil, err
				}
				return listOf(fs, "", folderJSON), nil
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/folders", Tag: "folders", Summary: "Create a folder (DEV-1)",
			Auth: AuthUser, Request: api.FolderCreate{}, Response: api.FolderJSON{}, Status: http.StatusCreated,
			handle: withBody(func(c *Call, in api.FolderCreate) (any, error) {
				f, err := a.d.Orgs.CreateFolder(c.R.Context(), c.Actor, c.Org.ID, in.ParentID, in.Name)
				if err != nil {
					return nil, err
				}
				return folderJSON(f), nil
			})},
		{Method: "GET", Path: "/api/v1/orgs/{org}/folders/{id}", Tag: "folders", Summary: "Read a folder",
			Auth: AuthUser, Response: api.FolderJSON{}, handle: func(c *Call) (any, error) {
				f, err := a.d.Orgs.Folder(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
				if err != nil {
					return nil, err
				}
				return folderJSON(f), nil
			}},
		{Method: "PATCH", Path: "/api/v1/orgs/{org}/folders/{id}", Tag: "folders", Summary: "Rename or move a folder (DEV-1)",
			Auth: AuthUser, Request: api.FolderPatch{}, Response: api.FolderJSON{}, handle: withBody(func(c *Call, in api.FolderPatch) (any, error) {
				f, err := a.d.Orgs.UpdateFolder(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"), in.Name, in.ParentID)
				if err != nil {
					return nil, err
				}
				return folderJSON(f), nil
			})},
		{Method: "DELETE", Path: "/api/v1/orgs/{org}/folders/{id}", Tag: "folders", Summary: "Delete an empty folder; needs ?confirm=true (DEV-2)",
			Auth: AuthUser, Query: []Param{{"confirm", "must be true"}}, handle: func(c *Call) (any, error) {
				confirm := c.R.URL.Query().Get("confirm") == "true"
				return nil, a.d.Orgs.DeleteFolder(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"), confirm)
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/members", Tag: "members", Summary: "Members with role and folder grants (USR-2)",
			Auth: AuthUser, Response: api.List[api.MemberJSON]{}, Query: pageParams, handle: func(c *Call) (any, error) {
				p, err := page(c.R)
				if err != nil {
					return nil, err
				}
				ms, next, err := a.d.Orgs.Members(c.R.Context(), c.Actor, c.Org.ID, p)
				if err != nil {
					return nil, err
				}
				return listOf(ms, next, memberJSON), nil
			}},
		{Method: "PATCH", Path: "/api/v1/orgs/{org}/members/{user}", Tag: "members", Summary: "Change a member's role or folder grants (USR-2, ACC-3)",
			Auth: AuthUser, Request: api.MemberPatch{}, Response: api.MemberJSON{}, handle: withBody(func(c *Call, in api.MemberPatch) (any, error) {
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
			})},
		{Method: "DELETE", Path: "/api/v1/orgs/{org}/members/{user}", Tag: "members", Summary: "Remove a member (USR-3)",
			Auth: AuthUser, handle: func(c *Call) (any, error) {
				return nil, a.d.Orgs.RemoveMembers(c.R.Context(), c.Actor, c.Org.ID, []string{c.R.PathValue("user")})
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/members/remove", Tag: "members", Summary: "Remove several members, all or nothing (USR-3)",
			Auth: AuthUser, Request: api.RemoveMembersRequest{}, handle: withBody(func(c *Call, in api.RemoveMembersRequest) (any, error) {
				return nil, a.d.Orgs.RemoveMembers(c.R.Context(), c.Actor, c.Org.ID, in.UserIDs)
			})},
		{Method: "GET", Path: "/api/v1/orgs/{org}/invitations", Tag: "members", Summary: "Pending invitations (USR-1)",
			Auth: AuthUser, Response: api.List[api.InvitationJSON]{}, Query: pageParams, handle: func(c *Call) (any, error) {
				p, err := page(c.R)
				if err != nil {
					return nil, err
				}
				invs, next, err := a.d.Orgs.Invitations(c.R.Context(), c.Actor, c.Org.ID, p)
				if err != nil {
					return nil, err
				}
				return listOf(invs, next, func(i org.Invitation) api.InvitationJSON { return invitationJSON(i, org.InvitePending) }), nil
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/invitations", Tag: "members", Summary: "Invite a person by e-mail as a Viewer of some folders (USR-1)",
			Auth: AuthUser, Request: api.InviteRequest{}, Response: api.InvitationJSON{}, Status: http.StatusCreated,
			handle: withBody(func(c *Call, in api.InviteRequest) (any, error) {
				inv, err := a.d.Orgs.Invite(c.R.Context(), c.Actor, c.Org.ID, org.InviteInput{Email: in.Email, Folders: in.Folders, Role: access.Role(in.Role)})
				if err != nil {
					return nil, err
				}
				return invitationJSON(inv, org.InvitePending), nil
			})},
		{Method: "DELETE", Path: "/api/v1/orgs/{org}/invitations/{id}", Tag: "members", Summary: "Revoke a pending invitation",
			Auth: AuthUser, handle: func(c *Call) (any, error) {
				return nil, a.d.Orgs.RevokeInvitation(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
			}},
		{Method: "POST", Path: "/api/v1/invitations/accept", Tag: "members", Summary: "Accept an invitation as the signed-in user (USR-1)",
			Auth: AuthUser, Request: api.AcceptRequest{}, Response: api.OrgJSON{}, handle: withBody(func(c *Call, in api.AcceptRequest) (any, error) {
				o, err := a.d.Orgs.AcceptInvitation(c.R.Context(), c.Actor, in.Token)
				if err != nil {
					return nil, err
				}
				return orgJSON(o, string(access.Viewer)), nil
			})},
		{Method: "POST", Path: "/api/v1/invitations/preview", Tag: "members", Summary: "What an invitation link is for, before accepting it",
			Auth: AuthNone, Request: api.AcceptRequest{}, Response: api.InvitationPreviewJSON{}, handle: withBody(func(c *Call, in api.AcceptRequest) (any, error) {
				p, err := a.d.Orgs.PreviewInvitation(c.R.Context(), in.Token)
				if err != nil {
					return nil, err
				}
				return api.InvitationPreviewJSON{OrgName: p.OrgName, Email: p.Email, Status: p.Status, ExpiresAt: p.Invitation.ExpiresAt}, nil
			})},
	}
}
