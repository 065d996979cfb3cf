package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"mysystems/internal/api"
)

// manyArgs is the "no limit" of env.parse for lists of ids.
const manyArgs = 1 << 20

// grants describes what folders a member sees: owners and admins see all.
func grants(m api.MemberJSON, names map[string]string) string {
	all := m.Role == "owner" || m.Role == "admin"
	switch {
	case all && len(m.Folders) == 0:
		return "(all folders)"
	case all:
		return "(all folders; granted " + folderList(m.Folders, names) + ")"
	case len(m.Folders) == 0:
		return "(none)"
	}
	return folderList(m.Folders, names)
}

func membersPath(args []string) string { return pathf("/api/v1/orgs/%s/members", args[0]) }

func (c *Client) members(ctx context.Context, orgID string) (page, []api.MemberJSON, error) {
	p, err := c.list(ctx, membersPath([]string{orgID}), url.Values{"limit": {"500"}}, true)
	if err != nil {
		return p, nil, err
	}
	ms, err := decodeItems[api.MemberJSON](p.Items)
	return p, ms, err
}

var cmdMembersList = listCommand[api.MemberJSON]{
	name:     "members list",
	synopsis: "ORG",
	about: "List the members of an organization with their role and the folders they are\n" +
		"granted (by name where you can see the folder; owners and admins see all folders).",
	args:        1,
	path:        membersPath,
	query:       url.Values{"limit": {"500"}},
	folderNames: true,
	head:        []string{"USER ID", "EMAIL", "NAME", "ROLE", "FOLDERS"},
	row: func(m api.MemberJSON, names map[string]string) []string {
		return []string{clean(m.UserID), clean(m.Email), clean(m.Name), clean(m.Role), grants(m, names)}
	},
}.run

func cmdMembersSetRole(ctx context.Context, e *env, args []string) error {
	f := e.flags("members set-role", "ORG USER_ID ROLE",
		"Change a member's role: owner, admin, operator or viewer. Admins manage members and\n"+
			"folders below owner; only owners make owners, and the last owner stays an owner.", withJSON)
	pos, err := e.parse(f, args, 3, 3)
	if err != nil {
		return err
	}
	return e.memberCall(ctx, pos[0], pos[1], api.MemberPatch{Role: &pos[2]}, func(m api.MemberJSON, _ map[string]string) string {
		return fmt.Sprintf("%s <%s> is now %s.", clean(m.Name), clean(m.Email), clean(m.Role))
	})
}

func cmdMembersSetFolders(ctx context.Context, e *env, args []string) error {
	f := e.flags("members set-folders", "ORG USER_ID FOLDER_ID... | --none",
		"Replace the folders a member is granted: they see those folders and everything below\n"+
			"them (owners and admins see every folder anyway). --none takes every grant away.", withJSON)
	none := f.Bool("none", false, "grant no folder")
	pos, err := e.parse(f, args, 2, manyArgs)
	if err != nil {
		return err
	}
	ids := pos[2:]
	switch {
	case *none && len(ids) > 0:
		return usagef(f, "--none and folder ids do not go together")
	case !*none && len(ids) == 0:
		return usagef(f, "name at least one FOLDER_ID, or --none to clear the grants")
	}
	folders := append([]string{}, ids...)
	return e.memberCall(ctx, pos[0], pos[1], api.MemberPatch{Folders: &folders}, func(m api.MemberJSON, names map[string]string) string {
		return fmt.Sprintf("%s <%s> (%s) now sees: %s.", clean(m.Name), clean(m.Email), clean(m.Role), grants(m, names))
	})
}

// memberCall patches a member and prints the answer as JSON or as the
// sentence done makes of it (with the folder names it may need).
func (e *env) memberCall(ctx context.Context, orgID, userID string, body any, done func(api.MemberJSON, map[string]string) string) error {
	c, err := e.client(true)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodPatch, pathf("/api/v1/orgs/%s/members/%s", orgID, userID), body, "member", func(m api.MemberJSON) error {
		var names map[string]string
		if len(m.Folders) > 0 {
			names = c.folderNames(ctx, orgID)
		}
		fmt.Fprintln(e.out, done(m, names))
		return nil
	})
}

// refusedError is a refused removal with the server's reason for each member.
type refusedError struct {
	code    string
	refused []refusal
}

type refusal struct {
	UserID string `json:"user_id"`
	Reason string `json:"reason"`
}

func (e *refusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no member was removed (%s):", e.code)
	for _, r := range e.refused {
		fmt.Fprintf(&b, "\n  %s: %s", clean(r.UserID), clean(r.Reason))
	}
	return b.String()
}

// withRefusals turns an API error listing refusals into a refusedError.
func withRefusals(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) || len(ae.Details) == 0 {
		return err
	}
	var d struct {
		Refused []refusal `json:"refused"`
	}
	if json.Unmarshal(ae.Details, &d) != nil || len(d.Refused) == 0 {
		return err
	}
	return &refusedError{code: ae.Code, refused: d.Refused}
}

func cmdMembersRemove(ctx context.Context, e *env, args []string) error {
	f := e.flags("members remove", "ORG USER_ID... [--yes]",
		"Remove members from an organization; they lose access at once. Several are removed\n"+
			"all or nothing: if one cannot be (the last owner, say), none is and each refusal is\n"+
			"listed. On a terminal you are asked to confirm; otherwise pass --yes.", 0)
	yes := f.Bool("yes", false, "do not ask for confirmation")
	pos, err := e.parse(f, args, 2, manyArgs)
	if err != nil {
		return err
	}
	orgID, ids := pos[0], pos[1:]
	what := fmt.Sprintf("remove %d members", len(ids))
	if len(ids) == 1 {
		what = "remove member " + ids[0]
	}
	if !*yes && !e.interactive {
		return e.confirm(f, false, what, "")
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	if !*yes {
		_, ms, err := c.members(ctx, orgID)
		if err != nil {
			return err
		}
		byID := map[string]api.MemberJSON{}
		for _, m := range ms {
			byID[m.UserID] = m
		}
		if len(ids) == 1 {
			fmt.Fprintf(e.errw, "This member of %s loses access at once:\n", clean(orgID))
		} else {
			fmt.Fprintf(e.errw, "These members of %s lose access at once:\n", clean(orgID))
		}
		for _, id := range ids {
			if m, ok := byID[id]; ok {
				fmt.Fprintf(e.errw, "  %s  %s <%s>, %s\n", clean(id), clean(m.Name), clean(m.Email), clean(m.Role))
			} else {
				fmt.Fprintf(e.errw, "  %s  (not a member)\n", clean(id))
			}
		}
		q := "Remove them?"
		if len(ids) == 1 {
			q = "Remove this member?"
		}
		if err := e.confirm(f, false, what, q); err != nil {
			return err
		}
	}
	if len(ids) == 1 {
		err = c.do(ctx, http.MethodDelete, pathf("/api/v1/orgs/%s/members/%s", orgID, ids[0]), nil, nil)
	} else {
		err = c.do(ctx, http.MethodPost, pathf("/api/v1/orgs/%s/members/remove", orgID), api.RemoveMembersRequest{UserIDs: ids}, nil)
	}
	if err != nil {
		return withRefusals(err)
	}
	if len(ids) == 1 {
		fmt.Fprintf(e.out, "Removed member %s.\n", clean(ids[0]))
	} else {
		fmt.Fprintf(e.out, "Removed %d members: %s.\n", len(ids), clean(strings.Join(ids, ", ")))
	}
	return nil
}

func cmdInvite(ctx context.Context, e *env, args []string) error {
	f := e.flags("invite", "ORG EMAIL --folder FOLDER_ID [--folder FOLDER_ID]...",
		"Invite a person by e-mail (owner or admin). They get a single-use link and join with\n"+
			"the viewer role, always: an invitation cannot grant another role (change it with\n"+
			"'mysystems members set-role' once they have joined). They see the --folder folders\n"+
			"and everything below them. A new invitation to the same address replaces a pending one.", withJSON)
	var folders stringList
	f.Var(&folders, "folder", "a folder the new viewer may see (repeat for several; at least one)")
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	if len(folders) == 0 {
		return usagef(f, "name at least one folder with --folder FOLDER_ID")
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	body := api.InviteRequest{Email: pos[1], Folders: folders}
	return show(ctx, e, c, http.MethodPost, pathf("/api/v1/orgs/%s/invitations", pos[0]), body, "invitation", func(inv api.InvitationJSON) error {
		fmt.Fprintf(e.out, "Invited %s as a viewer of %s (invitation %s, expires %s).\n", clean(inv.Email),
			folderList(inv.Folders, c.folderNames(ctx, pos[0])), clean(inv.ID), stamp(inv.ExpiresAt))
		fmt.Fprintln(e.errw, "The e-mail with the link is on its way; they accept it signed in with that address.")
		return nil
	})
}

var cmdInvitationsList = listCommand[api.InvitationJSON]{
	name:     "invitations list",
	synopsis: "ORG",
	about:    "List the pending invitations of an organization (owner or admin).",
	args:     1,
	path:     func(pos []string) string { return pathf("/api/v1/orgs/%s/invitations", pos[0]) },
	query:    url.Values{"limit": {"500"}},
	empty: func(pos []string, _ bool) string {
		return fmt.Sprintf("No pending invitations: invite someone with 'mysystems invite %s EMAIL --folder FOLDER_ID'.", clean(pos[0]))
	},
	folderNames: true,
	head:        []string{"ID", "EMAIL", "ROLE", "FOLDERS", "CREATED", "EXPIRES"},
	row: func(i api.InvitationJSON, names map[string]string) []string {
		return []string{clean(i.ID), clean(i.Email), clean(i.Role), folderList(i.Folders, names), stamp(i.CreatedAt), stamp(i.ExpiresAt)}
	},
}.run

func cmdInvitationsRevoke(ctx context.Context, e *env, args []string) error {
	f := e.flags("invitations revoke", "ORG INVITATION_ID",
		"Revoke a pending invitation (owner or admin): its link stops working.", 0)
	pos, c, err := e.start(f, args, 2, 2)
	if err != nil {
		return err
	}
	return e.do(ctx, c, http.MethodDelete, pathf("/api/v1/orgs/%s/invitations/%s", pos[0], pos[1]), nil,
		fmt.Sprintf("Revoked invitation %s.", clean(pos[1])))
}

// invitationToken takes the token out of an invitation link
// (…/invitations/accept?token=…), or returns a bare token as it is.
func invitationToken(s string) (token string, link *url.URL, err error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.Contains(s, "://") || strings.Contains(s, "?"):
		u, err := url.Parse(s)
		if err != nil {
			return "", nil, fmt.Errorf("%q is neither an invitation link nor a token", s)
		}
		t := u.Query().Get("token")
		if t == "" {
			return "", nil, errors.New("the link has no token=…: copy the whole link from the e-mail")
		}
		return t, u, nil
	case strings.HasPrefix(s, "token="):
		s = strings.TrimPrefix(s, "token=")
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
	}
	if s == "" {
		return "", nil, errors.New("the invitation token is empty")
	}
	return s, nil, nil
}

func cmdAccept(ctx context.Context, e *env, args []string) error {
	f := e.flags("accept", "TOKEN_OR_LINK",
		"Accept an invitation as the signed-in user, who must have the address it was sent to.\n"+
			"Give the whole link from the e-mail (quote it in the shell) or just its token.\n"+
			"You join as a viewer of the folders chosen by whoever invited you.", withJSON)
	pos, err := e.parse(f, args, 1, 1)
	if err != nil {
		return err
	}
	tok, link, err := invitationToken(pos[0])
	if err != nil {
		return usagef(f, "%s", err)
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	err = show(ctx, e, c, http.MethodPost, "/api/v1/invitations/accept", api.AcceptRequest{Token: tok}, "organization", func(o api.OrgJSON) error {
		fmt.Fprintf(e.out, "Joined %q (%s) as a %s.\n", clean(o.Name), clean(o.ID), clean(o.Role))
		fmt.Fprintf(e.errw, "See your folders with: mysystems folders list %s\n", clean(o.ID))
		return nil
	})
	var ae *APIError
	if link != nil && errors.As(err, &ae) && ae.Code == "not_found" && !sameHost(link, c.Server) {
		fmt.Fprintf(e.errw, "note: the link is for %s://%s, but this command talks to %s (--server)\n", link.Scheme, link.Host, c.Server)
	}
	return err
}

func sameHost(link *url.URL, server string) bool {
	s, err := url.Parse(server)
	return err == nil && strings.EqualFold(s.Host, link.Host)
}
