package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/mail"
	"mysystems/internal/org"
)

// The demo organization's people (SPEC §3): besides the demo account, its
// Owner, one member of each other role, signed in with passwords made on
// the first run and printed at every start, and a pending invitation.

// demoMembersFile keeps the members' logins, so a later demo run prints
// the same ones.
const demoMembersFile = "demo-members.json"

// demoMember is one member of the demo organization and their login.
type demoMember struct {
	Role     access.Role `json:"role"`
	Email    string      `json:"email"`
	Name     string      `json:"name"`
	Password string      `json:"password"`
	// Folder is the site folder an Operator or a Viewer is granted
	// (ACC-1); Owners and Admins see every folder.
	Folder string `json:"folder,omitempty"`
}

// demoPeople are the members the demo makes besides its Owner.
var demoPeople = []demoMember{
	{Role: access.Admin, Email: "admin@example.com", Name: "Alex Admin"},
	{Role: access.Operator, Email: "operator@example.com", Name: "Olivia Operator", Folder: "Headquarters"},
	{Role: access.Viewer, Email: "viewer@example.com", Name: "Victor Viewer", Folder: "Warehouse"},
}

// demoInvitee is invited as a Viewer of demoInviteFolder and never
// accepts: the invitation stays pending, its e-mail in the outbox.
const (
	demoInvitee      = "guest@example.com"
	demoInviteFolder = "Parking"
)

// seedDemoMembers makes the demo organization's members on the first run,
// each the way a person joins: invited by the Owner, registered, the link
// of the e-mail accepted, then given their role (USR-1, USR-2). Later runs
// read them back from the data directory.
func seedDemoMembers(ctx context.Context, a *app.App, owner audit.Actor, orgID, dataDir string) ([]demoMember, error) {
	path := filepath.Join(dataDir, demoMembersFile)
	if b, err := os.ReadFile(path); err == nil {
		var out []demoMember
		return out, json.Unmarshal(b, &out)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	folders, err := demoFolderIDs(ctx, a, owner, orgID)
	if err != nil {
		return nil, err
	}
	var out []demoMember
	for _, m := range demoPeople {
		m.Password = demoPassword()
		u, err := a.Accounts.Register(ctx, account.RegisterInput{Email: m.Email, Name: m.Name, Password: m.Password}, "demo")
		if errs.Is(err, errs.Invalid) {
			continue // the address has an account whose password the demo does not know
		}
		if err != nil {
			return nil, err
		}
		folder := folders[m.Folder] // "" is the root folder
		if _, err := a.Orgs.Invite(ctx, owner, orgID, org.InviteInput{Email: m.Email, Folders: []string{folder}}); err != nil {
			return nil, err
		}
		token, err := invitationToken(ctx, a.Outbox, m.Email)
		if err != nil {
			return nil, err
		}
		member := audit.Actor{Kind: audit.KindUser, ID: u.ID, Email: u.Email, ClientAddr: "demo"}
		if _, err := a.Orgs.AcceptInvitation(ctx, member, token); err != nil {
			return nil, err
		}
		if m.Role != access.Viewer {
			role := m.Role
			if _, err := a.Orgs.UpdateMember(ctx, owner, orgID, u.ID, org.MemberPatch{Role: &role}); err != nil {
				return nil, err
			}
		}
		out = append(out, m)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return out, os.WriteFile(path, b, 0o600)
}

// seedDemoInvitation makes sure an invitation is pending in the demo
// organization: the one of the first run, or a new one once it expired or
// was revoked or accepted.
func seedDemoInvitation(ctx context.Context, a *app.App, owner audit.Actor, orgID string) (string, error) {
	pending, _, err := a.Orgs.Invitations(ctx, owner, orgID, audit.Page{Limit: 100})
	if err != nil {
		return "", err
	}
	for _, inv := range pending {
		if strings.EqualFold(inv.Email, demoInvitee) {
			return inv.Email, nil
		}
	}
	folders, err := demoFolderIDs(ctx, a, owner, orgID)
	if err != nil {
		return "", err
	}
	_, err = a.Orgs.Invite(ctx, owner, orgID, org.InviteInput{Email: demoInvitee, Folders: []string{folders[demoInviteFolder]}})
	if errs.Is(err, errs.Conflict) {
		return "", nil // the invitee joined: no invitation to show
	}
	return demoInvitee, err
}

// demoFolderIDs maps the demo organization's root folder ("") and site
// folders (by name) to their ids.
func demoFolderIDs(ctx context.Context, a *app.App, owner audit.Actor, orgID string) (map[string]string, error) {
	all, err := a.Orgs.Folders(ctx, owner, orgID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	root := ""
	for _, f := range all {
		if f.ParentID == "" {
			root = f.ID
			out[""] = f.ID
		}
	}
	for _, f := range all {
		if f.ParentID == root && root != "" {
			out[f.Name] = f.ID
		}
	}
	return out, nil
}

var invitationTokenRe = regexp.MustCompile(`/invitations/accept\?token=([^\s"<>]+)`)

// invitationToken reads the token of the newest invitation e-mailed to
// email from the outbox.
func invitationToken(ctx context.Context, o *mail.Outbox, email string) (string, error) {
	ms, _, err := o.List(ctx, mail.Filter{To: email}, 20, "")
	if err != nil {
		return "", err
	}
	for _, m := range ms {
		if m.Kind != "invitation" {
			continue
		}
		if sub := invitationTokenRe.FindStringSubmatch(m.Text); sub != nil {
			return url.QueryUnescape(sub[1])
		}
	}
	return "", fmt.Errorf("no invitation to %s in the outbox", email)
}

// demoPassword makes a password of three groups of four lowercase letters
// and digits (60 random bits), easy to type from the banner.
func demoPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}
