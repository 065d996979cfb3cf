package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"mysystems/internal/api"
)

// join invites a person as a viewer of folders and has them register, sign
// in and accept; it returns their harness.
func (h *harness) join(orgID, email, name string, folders ...string) *harness {
	h.t.Helper()
	args := []string{"invite", orgID, email}
	for _, f := range folders {
		args = append(args, "--folder", f)
	}
	h.ok("", args...)
	u := h.user(email, name)
	u.ok("", "accept", h.invitationLink(email))
	return u
}

// invitationLink is the link of the newest invitation mailed to an address.
func (h *harness) invitationLink(to string) string {
	h.t.Helper()
	return h.srv.InvitationLink(to).String()
}

// memberIDs maps members' e-mail addresses to their user ids.
func (h *harness) memberIDs(orgID string) map[string]string {
	h.t.Helper()
	r := h.ok("", "members", "list", orgID, "--json")
	var p struct{ Items []api.MemberJSON }
	if err := json.Unmarshal([]byte(r.out), &p); err != nil {
		h.t.Fatalf("members list --json: %q (%v)", r.out, err)
	}
	ids := map[string]string{}
	for _, m := range p.Items {
		ids[m.Email] = m.UserID
	}
	return ids
}

func TestInviteAccept(t *testing.T) {
	h, orgID := withOrg(t)
	root := h.rootFolder(orgID)
	siteA := h.createFolder(orgID, "Site A", "")
	lobby := h.createFolder(orgID, "Lobby", siteA)
	siteB := h.createFolder(orgID, "Site B", "")

	h.fail(2, "name at least one folder with --folder FOLDER_ID", "invite", orgID, "bob@example.com")
	h.fail(1, "(invalid)", "invite", orgID, "not-an-address", "--folder", siteA)
	r := h.ok("", "invite", orgID, "bob@example.com", "--folder", siteA)
	contains(t, "invite", r.out, "Invited bob@example.com as a viewer of Site A", "invitation inv_")

	r = h.ok("", "invitations", "list", orgID)
	contains(t, "invitations list", r.out, "EMAIL", "bob@example.com", "viewer", "Site A")
	link := h.invitationLink("bob@example.com")

	bob := h.user("bob@example.com", "Bob")
	bob.fail(1, "error: this invitation link is not valid: check that you copied all of it (not_found)", "accept", "msi_forged")
	bob.fail(2, "copy the whole link", "accept", "https://example.com/invitations/accept")
	r = bob.ok("", "accept", link)
	contains(t, "accept", r.out, `Joined "Acme" (`+orgID+`) as a viewer.`)
	bob.fail(1, "this invitation has already been used (invalid)", "accept", link) // single use

	// Bob sees the granted subtree only: not the root, not Site B.
	r = bob.ok("", "folders", "list", orgID)
	got := lines(r.out)
	if len(got) != 3 || !strings.HasPrefix(got[1], "Default / Site A ") || !strings.HasSuffix(got[1], siteA) ||
		!strings.HasPrefix(got[2], "  Lobby ") || !strings.HasSuffix(got[2], lobby) {
		t.Errorf("folders list as the invited viewer: got\n%s\nwant Site A (with its path) and Lobby below it", r.out)
	}
	for _, hidden := range []string{root, siteB, "Site B"} {
		if strings.Contains(r.out, hidden) {
			t.Errorf("folders list as the invited viewer shows %s:\n%s", hidden, r.out)
		}
	}
	bob.fail(1, "(forbidden)", "folders", "create", orgID, "Mine")

	r = h.ok("", "invitations", "list", orgID)
	contains(t, "invitations list after accepting", r.stderr, "No pending invitations")

	// Revoke: the link then fails.
	h.ok("", "invite", orgID, "carol@example.com", "--folder", siteB, "--folder", lobby)
	r = h.ok("", "invitations", "list", orgID, "--json")
	var invs struct{ Items []api.InvitationJSON }
	if err := json.Unmarshal([]byte(r.out), &invs); err != nil || len(invs.Items) != 1 || len(invs.Items[0].Folders) != 2 {
		t.Fatalf("invitations list --json: got %q (%v), want carol's invitation with 2 folders", r.out, err)
	}
	r = h.ok("", "invitations", "list", orgID)
	contains(t, "invitations list", r.out, "carol@example.com", "Lobby, Site B")
	invID := invs.Items[0].ID
	carolLink := h.invitationLink("carol@example.com")
	r = h.ok("", "invitations", "revoke", orgID, invID)
	contains(t, "invitations revoke", r.out, "Revoked invitation "+invID)
	h.fail(1, "this invitation is already revoked (conflict)", "invitations", "revoke", orgID, invID)
	h.fail(1, "(not_found)", "invitations", "revoke", orgID, "inv_nope")
	carol := h.user("carol@example.com", "Carol")
	r = carol.run("", "accept", carolLink)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "error: ") {
		t.Errorf("accept a revoked invitation: exit %d, stderr %q", r.code, r.stderr)
	}

	// A bare token works as well as the link; someone else's invitation does not.
	h.ok("", "invite", orgID, "carol@example.com", "--folder", siteB)
	carolLink = h.invitationLink("carol@example.com")
	tok, _, err := invitationToken(carolLink)
	if err != nil {
		t.Fatal(err)
	}
	bob.fail(1, "sign in with that address to accept it (forbidden)", "accept", tok)
	r = carol.ok("", "accept", tok)
	contains(t, "accept a bare token", r.out, `Joined "Acme"`)
}

func TestInvitationToken(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"msi_abc", "msi_abc"},
		{"  msi_abc\n", "msi_abc"},
		{"https://my.example.com/invitations/accept?token=msi_a%2Bb", "msi_a+b"},
		{"http://127.0.0.1:8080/invitations/accept?lang=fr&token=msi_x", "msi_x"},
		{"/invitations/accept?token=msi_y", "msi_y"},
		{"token=msi_z", "msi_z"},
	} {
		got, _, err := invitationToken(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("invitationToken(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "https://my.example.com/invitations/accept", "https://x/?token="} {
		if got, _, err := invitationToken(bad); err == nil {
			t.Errorf("invitationToken(%q) = %q, want an error", bad, got)
		}
	}
}

func TestMembers(t *testing.T) {
	h, orgID := withOrg(t)
	siteA := h.createFolder(orgID, "Site A", "")
	siteB := h.createFolder(orgID, "Site B", "")
	bob := h.join(orgID, "bob@example.com", "Bob", siteA)
	h.join(orgID, "carol@example.com", "Carol", siteB)
	ids := h.memberIDs(orgID)
	alice, bobID, carolID := ids[testEmail], ids["bob@example.com"], ids["carol@example.com"]
	if alice == "" || bobID == "" || carolID == "" {
		t.Fatalf("members list --json: got %v, want alice, bob and carol", ids)
	}

	r := h.ok("", "members", "list", orgID)
	contains(t, "members list", r.out, "EMAIL", "ROLE", "FOLDERS", alice, "Alice", "owner", "(all folders)", bobID, "Bob", "Site A", "Carol", "Site B")
	for _, l := range lines(r.out) {
		if strings.Contains(l, "bob@") && (!strings.Contains(l, "viewer") || strings.Contains(l, "Site B")) {
			t.Errorf("members list: bob's line is %q, want viewer of Site A only", l)
		}
	}
	// A viewer may read the list.
	r = bob.ok("", "members", "list", orgID)
	contains(t, "members list as a viewer", r.out, "alice@example.com", "carol@example.com")

	r = h.ok("", "members", "set-role", orgID, bobID, "operator")
	contains(t, "members set-role", r.out, "Bob <bob@example.com> is now operator.")
	h.fail(1, "(invalid)", "members", "set-role", orgID, bobID, "emperor")
	h.fail(1, "(not_found)", "members", "set-role", orgID, "usr_nope", "viewer")
	bob.fail(1, "(forbidden)", "members", "set-role", orgID, carolID, "admin")

	r = h.ok("", "members", "set-folders", orgID, bobID, siteA, siteB)
	contains(t, "members set-folders", r.out, "now sees: Site A, Site B.")
	r = h.ok("", "members", "set-folders", orgID, bobID, "--none")
	contains(t, "members set-folders --none", r.out, "now sees: (none).")
	r = h.ok("", "members", "set-folders", orgID, bobID, siteB, "--json")
	var m api.MemberJSON
	if err := json.Unmarshal([]byte(r.out), &m); err != nil || len(m.Folders) != 1 || m.Folders[0] != siteB {
		t.Errorf("members set-folders --json: got %q (%v)", r.out, err)
	}
	h.fail(2, "--none and folder ids do not go together", "members", "set-folders", orgID, bobID, siteA, "--none")
	h.fail(2, "name at least one FOLDER_ID, or --none", "members", "set-folders", orgID, bobID)
	h.fail(1, "(invalid)", "members", "set-folders", orgID, bobID, "fld_nope")

	// Removal is confirmed; several go all or nothing, with each refusal listed.
	h.fail(2, "refusing to remove 2 members without confirmation: pass --yes", "members", "remove", orgID, bobID, carolID)
	h.fail(2, "refusing to remove member "+bobID, "members", "remove", orgID, bobID)
	r = h.fail(1, "error: no member was removed (conflict):\n", "members", "remove", orgID, alice, bobID, "usr_ghost", "--yes")
	contains(t, "refused bulk removal", r.stderr, "\n  usr_ghost: not a member of this organization\n",
		"\n  "+alice+": an organization must keep at least one owner")
	if strings.Contains(r.stderr, "  "+bobID+":") {
		t.Errorf("refused bulk removal lists bob, who could be removed: %q", r.stderr)
	}
	if got := h.memberIDs(orgID); len(got) != 3 {
		t.Errorf("after a refused removal: %d members, want all 3", len(got))
	}
	h.fail(1, "error: no member was removed (conflict):\n  "+alice+": an organization must keep at least one owner", "members", "remove", orgID, alice, "--yes")

	r = h.interactive("no\n", "", "members", "remove", orgID, bobID, carolID)
	if r.code != 1 || !strings.Contains(r.stderr, "bob@example.com") || !strings.Contains(r.stderr, "cancelled") {
		t.Errorf("interactive remove answered no: exit %d, stderr %q", r.code, r.stderr)
	}
	r = h.interactive("y\n", "", "members", "remove", orgID, bobID)
	if r.code != 0 || !strings.Contains(r.out, "Removed member "+bobID) {
		t.Errorf("interactive remove answered yes: exit %d, stdout %q, stderr %q", r.code, r.out, r.stderr)
	}
	bob.fail(1, "(not_found)", "folders", "list", orgID)
	r = h.ok("", "members", "remove", orgID, carolID, "--yes")
	contains(t, "members remove --yes", r.out, "Removed member "+carolID)
	if got := h.memberIDs(orgID); len(got) != 1 || got[testEmail] != alice {
		t.Errorf("after removing bob and carol: members %v, want alice alone", got)
	}
	h.fail(1, "(not_found)", "members", "remove", orgID, carolID, "--yes")
}
