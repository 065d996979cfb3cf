package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"mysystems/internal/api"
)

// user registers and signs in another person on the same server, with a
// configuration directory (saved login) of their own.
func (h *harness) user(email, name string) *harness {
	h.t.Helper()
	u := &harness{t: h.t, srv: h.srv, app: h.app, env: map[string]string{
		"MYSYSTEMS_SERVER": h.env["MYSYSTEMS_SERVER"], "MYSYSTEMS_CONFIG_DIR": h.t.TempDir()}}
	u.ok(testPassword+"\n", "register", "--email", email, "--name", name, "--password-stdin")
	u.ok(testPassword+"\n", "login", "--email", email, "--password-stdin")
	return u
}

// createFolder creates a folder (under parent, or the root when "") and
// returns its id.
func (h *harness) createFolder(orgID, name, parent string) string {
	h.t.Helper()
	args := []string{"folders", "create", orgID, name, "--json"}
	if parent != "" {
		args = append(args, "--parent", parent)
	}
	r := h.ok("", args...)
	var f api.FolderJSON
	if err := json.Unmarshal([]byte(r.out), &f); err != nil || f.ID == "" {
		h.t.Fatalf("folders create --json: %q is no folder (%v)", r.out, err)
	}
	return f.ID
}

func (h *harness) rootFolder(orgID string) string {
	h.t.Helper()
	var o api.OrgJSON
	if r := h.ok("", "orgs", "show", orgID, "--json"); json.Unmarshal([]byte(r.out), &o) != nil || o.RootFolderID == "" {
		h.t.Fatalf("orgs show --json: %q has no root folder", r.out)
	}
	return o.RootFolderID
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestFolders(t *testing.T) {
	h, orgID := withOrg(t)
	root := h.rootFolder(orgID)

	r := h.ok("", "folders", "create", orgID, "Site A")
	contains(t, "folders create", r.out, `Created folder "Site A"`, "Default / Site A")
	r = h.ok("", "--json", "folders", "list", orgID)
	var list struct{ Items []api.FolderJSON }
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || len(list.Items) != 2 || list.Items[1].Name != "Site A" {
		t.Fatalf("folders list --json: got %q (%v), want the root and Site A", r.out, err)
	}
	a := list.Items[1]
	lobby := h.createFolder(orgID, "Lobby", a.ID)
	b := h.createFolder(orgID, "Site B", "")

	// The tree: indented by depth, in tree order, with ids.
	r = h.ok("", "folders", "list", orgID)
	got := lines(r.out)
	want := []string{"FOLDER", "Default", "  Site A", "    Lobby", "  Site B"}
	ids := []string{"ID", root, a.ID, lobby, b}
	if len(got) != len(want) {
		t.Fatalf("folders list: got\n%s\nwant %d lines", r.out, len(want))
	}
	for i, l := range got {
		if !strings.HasPrefix(l, want[i]+" ") || !strings.HasSuffix(l, " "+ids[i]) {
			t.Errorf("folders list line %d: got %q, want %q … %s", i, l, want[i], ids[i])
		}
	}

	r = h.ok("", "folders", "rename", orgID, b, "Site Bee")
	contains(t, "folders rename", r.out, `Renamed folder `+b+` to "Site Bee"`)
	h.fail(1, `a folder named "site a" already exists in Default (conflict)`, "folders", "rename", orgID, b, "site a")

	// Moving a folder into its own subtree is refused with the API's reason.
	h.fail(1, "error: a folder cannot be moved into itself or one of its sub-folders (invalid)", "folders", "move", orgID, a.ID, "--to", lobby)
	h.fail(2, "--to PARENT_ID is required", "folders", "move", orgID, a.ID)
	r = h.ok("", "folders", "move", orgID, b, "--to", a.ID)
	contains(t, "folders move", r.out, "Moved folder "+b, "Default / Site A / Site Bee")
	r = h.ok("", "folders", "list", orgID)
	contains(t, "folders list after the move", r.out, "\n    Site Bee ")

	// Delete: refused without confirmation when not on a terminal, refused by
	// the server when not empty, and cancelled unless the answer is yes.
	h.fail(2, "refusing to delete folder "+a.ID+" without confirmation: pass --yes", "folders", "delete", orgID, a.ID)
	h.fail(1, "2 sub-folders inside Default / Site A: delete or move them first (conflict)", "folders", "delete", orgID, a.ID, "--yes")
	r = h.interactive("n\n", "", "folders", "delete", orgID, lobby)
	if r.code != 1 || !strings.Contains(r.stderr, `Delete folder "Default / Site A / Lobby"`) || !strings.Contains(r.stderr, "cancelled") {
		t.Errorf("interactive delete answered no: exit %d, stderr %q", r.code, r.stderr)
	}
	r = h.interactive("y\n", "", "folders", "delete", orgID, lobby)
	if r.code != 0 || !strings.Contains(r.out, "Deleted folder "+lobby) {
		t.Errorf("interactive delete answered yes: exit %d, stdout %q, stderr %q", r.code, r.out, r.stderr)
	}
	h.ok("", "folders", "delete", orgID, b, "--yes")
	h.ok("", "folders", "delete", orgID, a.ID, "--yes")
	r = h.ok("", "folders", "list", orgID)
	if n := len(lines(r.out)); n != 2 || strings.Contains(r.out, "Site") {
		t.Errorf("folders list after deleting: got\n%s\nwant the root alone", r.out)
	}
	h.fail(1, "(not_found)", "folders", "delete", orgID, a.ID, "--yes")
	h.fail(1, "the root folder cannot be deleted (conflict)", "folders", "delete", orgID, root, "--yes")
	h.fail(1, "(not_found)", "folders", "list", "nope")
}
