package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"mysystems/internal/access"
	"mysystems/internal/harness"
)

// userID returns the id of the client's person.
func userID(t *testing.T, a *harness.Server, c *client) string {
	t.Helper()
	p, err := a.App.Accounts.Authenticate(context.Background(), c.cookie("mysystems_session"))
	if err != nil {
		t.Fatal(err)
	}
	return p.User.ID
}

var selectedFolder = regexp.MustCompile(`\?folder=(fld_[a-z0-9]+)$`)

// createFolder creates a folder through the Folders page and returns its id.
func createFolder(t *testing.T, c *client, orgID, parentID, name string) string {
	t.Helper()
	r := c.post("/orgs/"+orgID+"/folders", url.Values{"name": {name}, "parent_id": {parentID}})
	m := selectedFolder.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create folder %q: got %d to %q; body:\n%s", name, r.status, r.location(), r.body)
	}
	return m[1]
}

var rootFolder = regexp.MustCompile(`data-folder-id="(fld_[a-z0-9]+)"`)

// rootOf returns the id of the organization's root folder: the first of
// its tree.
func rootOf(t *testing.T, c *client, orgID string) string {
	t.Helper()
	r := c.get("/orgs/" + orgID + "/folders")
	m := rootFolder.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no folder in the tree; body:\n%s", r.body)
	}
	return m[1]
}

// grant sets a member's role and folders through "Roles and access".
func grant(t *testing.T, a *harness.Server, by *client, orgID string, member *client, role access.Role, folders ...string) {
	t.Helper()
	uid := userID(t, a, member)
	r := by.post("/orgs/"+orgID+"/users/"+uid+"/access", url.Values{"role": {string(role)}, "folders": folders})
	wantRedirect(t, "roles and access", r, "/orgs/"+orgID+"/users")
}

func TestFolders(t *testing.T) {
	srv, a := server(t)
	owner := register(t, srv, "folders@example.com")
	id := createOrg(t, owner, "Tree Corp")
	base := "/orgs/" + id + "/folders"
	root := rootOf(t, owner, id)

	r := owner.get(base)
	wantStatus(t, "folders page", r, http.StatusOK)
	wantBody(t, "folders page", r, "Default", `id="folder-devices-link"`, `href="/orgs/`+id+`/devices?folder=`+root+`"`,
		`id="folder-create-submit"`, `aria-current="true"`, "AXIS Device Manager",
		`<a href="/orgs/`+id+`/devices" aria-current="page">`, `href="/orgs/`+id+`/users"`)
	// The Devices page leads to the folder management.
	wantBody(t, "devices page", owner.get("/orgs/"+id+"/devices"), `id="manage-folders"`, `href="`+base+`"`)

	// DEV-1: create, unique names among siblings, rename, move without cycles.
	siteA := createFolder(t, owner, id, root, "Site A")
	wantBody(t, "after create", owner.get(base+"?folder="+siteA), "Folder “Default / Site A” created.", `id="selected-path"`)
	floor := createFolder(t, owner, id, siteA, "Floor 1")

	r = owner.post(base, url.Values{"name": {"site a"}, "parent_id": {root}})
	wantStatus(t, "duplicate name", r, http.StatusConflict)
	wantBody(t, "duplicate name", r, "already exists", `id="form-error"`)
	r = owner.post(base, url.Values{"name": {"  "}, "parent_id": {root}})
	wantStatus(t, "empty name", r, http.StatusBadRequest)
	wantBody(t, "empty name", r, `id="name-error"`)
	wantStatus(t, "unknown parent", owner.post(base, url.Values{"name": {"X"}, "parent_id": {"fld_nope"}}), http.StatusNotFound)
	wantStatus(t, "unknown selected folder", owner.get(base+"?folder=fld_nope"), http.StatusNotFound)

	wantBody(t, "rename page", owner.get(base+"/"+floor+"/rename"), `value="Floor 1"`)
	wantRedirect(t, "rename", owner.post(base+"/"+floor+"/rename", url.Values{"name": {"Floor One"}}), base+"?folder="+floor)
	wantBody(t, "after rename", owner.get(base+"?folder="+floor), "Default / Site A / Floor One")

	r = owner.get(base + "/" + siteA + "/move")
	wantStatus(t, "move page", r, http.StatusOK)
	wantBody(t, "move page", r, `<option value="`+floor+`"`)
	wantNoBody(t, "move page", r, `<option value="`+siteA+`"`)
	r = owner.post(base+"/"+siteA+"/move", url.Values{"parent_id": {floor}})
	wantStatus(t, "move into own sub-folder", r, http.StatusBadRequest)
	wantBody(t, "move into own sub-folder", r, "cannot be moved into itself", `id="parent_id-error"`)
	wantRedirect(t, "move", owner.post(base+"/"+floor+"/move", url.Values{"parent_id": {root}}), base+"?folder="+floor)
	wantBody(t, "after move", owner.get(base+"?folder="+floor), "Default / Floor One")

	// DEV-2: only empty folders, only with the acknowledgement, never the root.
	sub := createFolder(t, owner, id, siteA, "Sub")
	r = owner.get(base + "/" + sub + "/delete")
	wantStatus(t, "delete page", r, http.StatusOK)
	wantBody(t, "delete page", r, "I understand the risks", "Default / Site A / Sub", `id="folder-delete-submit"`)
	// A folder that is not empty says what it holds and offers no Delete.
	r = owner.get(base + "/" + siteA + "/delete")
	wantStatus(t, "delete page of a folder not empty", r, http.StatusOK)
	wantBody(t, "delete page of a folder not empty", r, "Default / Site A", `id="folder-holds"`,
		"This folder holds 1 sub-folder: move or remove it first.")
	wantNoBody(t, "delete page of a folder not empty", r, `id="folder-delete-submit"`, "I understand the risks")
	r = owner.post(base+"/"+siteA+"/delete", url.Values{"confirm": {"yes"}})
	wantStatus(t, "delete non-empty", r, http.StatusConflict)
	wantBody(t, "delete non-empty", r, "Could not delete the folder: 1 sub-folder inside Default / Site A",
		"This folder holds 1 sub-folder")
	wantNoBody(t, "delete non-empty", r, "Could not save", `id="folder-delete-submit"`)
	r = owner.post(base+"/"+sub+"/delete", nil)
	wantStatus(t, "delete without acknowledgement", r, http.StatusBadRequest)
	wantBody(t, "delete without acknowledgement", r, `id="confirm-error"`, "Tick the box to confirm")
	wantRedirect(t, "delete", owner.post(base+"/"+sub+"/delete", url.Values{"confirm": {"yes"}}), base+"?folder="+siteA)
	wantBody(t, "after delete", owner.get(base+"?folder="+siteA), "Folder “Default / Site A / Sub” deleted.")
	wantStatus(t, "deleted folder", owner.get(base+"?folder="+sub), http.StatusNotFound)
	r = owner.post(base+"/"+root+"/delete", url.Values{"confirm": {"yes"}})
	wantStatus(t, "delete root", r, http.StatusConflict)
	wantBody(t, "delete root", r, "root folder cannot be deleted")

	t.Run("Viewer", func(t *testing.T) {
		// ACC-1: a Viewer sees the granted subtree only, read-only; ACC-2:
		// other folders do not exist for them.
		viewer := member(t, a, owner, id, "treeviewer@example.com", access.Viewer)
		r := viewer.get(base)
		wantStatus(t, "no grants", r, http.StatusOK)
		wantBody(t, "no grants", r, `id="folders-none"`)

		grant(t, a, owner, id, viewer, access.Viewer, siteA)
		r = viewer.get(base)
		wantStatus(t, "granted", r, http.StatusOK)
		wantBody(t, "granted", r, "Site A", `id="folders-readonly"`, `data-folder-id="`+siteA+`"`)
		wantNoBody(t, "granted", r, `data-folder-id="`+root+`"`, `data-folder-id="`+floor+`"`, "Floor One",
			`id="folder-create-submit"`, `data-action="rename"`)
		for _, path := range []string{base + "?folder=" + root, base + "?folder=" + floor, base + "/" + floor + "/rename",
			base + "/" + root + "/delete"} {
			wantStatus(t, "viewer GET "+path, viewer.get(path), http.StatusNotFound)
		}
		wantStatus(t, "viewer POST rename hidden", viewer.post(base+"/"+floor+"/rename", url.Values{"name": {"x"}}),
			http.StatusNotFound)
		wantStatus(t, "viewer create under hidden", viewer.post(base, url.Values{"name": {"x"}, "parent_id": {root}}),
			http.StatusNotFound)
		// Folders they see, but may not manage.
		wantStatus(t, "viewer rename page", viewer.get(base+"/"+siteA+"/rename"), http.StatusForbidden)
		r = viewer.post(base+"/"+siteA+"/rename", url.Values{"name": {"Hijacked"}})
		wantStatus(t, "viewer rename", r, http.StatusForbidden)
		r = viewer.post(base, url.Values{"name": {"Mine"}, "parent_id": {siteA}})
		wantStatus(t, "viewer create", r, http.StatusForbidden)
		wantBody(t, "viewer create", r, "does not allow")
		wantStatus(t, "viewer delete", viewer.post(base+"/"+siteA+"/delete", url.Values{"confirm": {"yes"}}),
			http.StatusForbidden)
		wantBody(t, "unchanged", owner.get(base+"?folder="+siteA), "Site A")
	})

	t.Run("Stranger", func(t *testing.T) {
		stranger := register(t, srv, "treestranger@example.com")
		for _, path := range []string{base, base + "/" + siteA + "/rename", base + "/" + siteA + "/move", base + "/" + siteA + "/delete"} {
			r := stranger.get(path)
			wantStatus(t, "stranger GET "+path, r, http.StatusNotFound)
			wantNoBody(t, "stranger GET "+path, r, "Tree Corp", "Site A")
		}
		wantStatus(t, "stranger create", stranger.post(base, url.Values{"name": {"x"}, "parent_id": {root}}), http.StatusNotFound)
	})

	t.Run("French", func(t *testing.T) {
		wantRedirect(t, "switch", owner.post("/lang", url.Values{"lang": {"fr"}, "next": {base}}), base)
		wantBody(t, "French", owner.get(base), "Périphériques", "Créer un dossier", "Utilisateurs")
		owner.post("/lang", url.Values{"lang": {"en"}})
	})
}

// TestDEV2_DeleteSaysWhatTheFolderHolds: the delete confirmation of a folder
// that holds devices or sub-folders says what is inside and offers no
// Delete; once emptied, it asks for the acknowledgement and deletes (DEV-2).
func TestDEV2_DeleteSaysWhatTheFolderHolds(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "holds@example.com", "Holds Corp")
	base := "/orgs/" + id + "/folders"
	hall := createFolder(t, owner, id, root, "Hall")
	createFolder(t, owner, id, hall, "Floor 1")
	ms := a.Mint(3)
	for i, m := range ms {
		claim(t, owner, id, m, hall, "Camera "+string(rune('A'+i)))
	}
	r := owner.get(base + "/" + hall + "/delete")
	wantStatus(t, "delete page", r, http.StatusOK)
	wantBody(t, "delete page", r, "This folder holds 3 devices and 1 sub-folder: move or remove them first.",
		`href="/orgs/`+id+`/devices?folder=`+hall+`" id="folder-delete-devices"`)
	wantNoBody(t, "delete page", r, `id="folder-delete-submit"`, `name="confirm"`)
	r = owner.post(base+"/"+hall+"/delete", url.Values{"confirm": {"yes"}})
	wantStatus(t, "delete", r, http.StatusConflict)
	wantBody(t, "delete", r, "Could not delete the folder: 3 devices inside Default / Hall")

	// In French.
	owner.post("/lang", url.Values{"lang": {"fr"}})
	r = owner.get(base + "/" + hall + "/delete")
	wantBody(t, "French", r, "Ce dossier contient 3 périphériques et 1 sous-dossier : déplacez-les ou retirez-les d&#39;abord.")
	r = owner.post(base+"/"+hall+"/delete", url.Values{"confirm": {"yes"}})
	wantBody(t, "French refusal", r, "Impossible de supprimer le dossier : 3 périphériques dans Default / Hall : déplacez-les ou retirez-les d&#39;abord")
}

// TestDEV1_CreateFromTheFolderMenu: each folder's "…" menu offers Create, as
// the manual says, which opens the name of a new folder inside it (DEV-1).
func TestDEV1_CreateFromTheFolderMenu(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "menu@example.com", "Menu Corp")
	hall := createFolder(t, owner, id, root, "Hall")
	for _, page := range []string{"/orgs/" + id + "/devices", "/orgs/" + id + "/folders"} {
		r := owner.get(page)
		for _, f := range []string{root, hall} {
			wantBody(t, page, r, `<a href="/orgs/`+id+`/folders/`+f+`/create" data-action="create">Create…</a>`)
		}
	}
	r := owner.get("/orgs/" + id + "/folders/" + hall + "/create")
	wantStatus(t, "create page", r, http.StatusOK)
	wantBody(t, "create page", r, "The new folder goes inside “Default / Hall”.", `id="subfolder-create-submit"`)
	r = owner.post("/orgs/"+id+"/folders/"+hall+"/create", url.Values{"name": {"Floor 1"}})
	m := selectedFolder.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d to %q", r.status, r.location())
	}
	wantBody(t, "created", owner.get(r.location()), "Folder “Default / Hall / Floor 1” created.")
	r = owner.post("/orgs/"+id+"/folders/"+hall+"/create", url.Values{"name": {"floor 1"}})
	wantStatus(t, "duplicate", r, http.StatusConflict)
	wantBody(t, "duplicate", r, "Could not create the folder: a folder named", `value="floor 1"`)

	viewer := member(t, a, owner, id, "menu.viewer@example.com", access.Viewer, hall)
	wantNoBody(t, "viewer", viewer.get("/orgs/"+id+"/devices"), `data-action="create"`)
	wantStatus(t, "viewer create page", viewer.get("/orgs/"+id+"/folders/"+hall+"/create"), http.StatusForbidden)
	wantStatus(t, "viewer create", viewer.post("/orgs/"+id+"/folders/"+hall+"/create", url.Values{"name": {"x"}}), http.StatusForbidden)
	wantStatus(t, "hidden folder", viewer.get("/orgs/"+id+"/folders/"+root+"/create"), http.StatusNotFound)
}

// TestDEV1_MoveToTheSameParent: moving a folder to the folder it is already
// in says that nothing changed instead of reporting a move (DEV-1).
func TestDEV1_MoveToTheSameParent(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "same@example.com", "Same Corp")
	hall := createFolder(t, owner, id, root, "Hall")
	r := owner.post("/orgs/"+id+"/folders/"+hall+"/move", url.Values{"parent_id": {root}})
	wantStatus(t, "same parent", r, http.StatusOK)
	wantBody(t, "same parent", r, `id="move-unchanged"`, "Nothing changed: “Default / Hall” is already in “Default”.")
	wantNoBody(t, "same parent", r, "Folder moved")
	if n := len(a.Audited(id, "folder.update")); n != 0 {
		t.Fatalf("%d folder.update entries, want none", n)
	}
}

// TestDEV1_USR1_RefusalsSayWhatFailed: a refused form says what could not be
// done (create, delete, send an invitation), not that it could not save.
func TestDEV1_USR1_RefusalsSayWhatFailed(t *testing.T) {
	srv, _ := server(t)
	owner, id, root := ownOrg(t, srv, "what@example.com", "What Corp")
	createFolder(t, owner, id, root, "Hall")
	for what, c := range map[string]struct {
		path string
		form url.Values
		want string
	}{
		"create": {"/orgs/" + id + "/folders", url.Values{"name": {"hall"}, "parent_id": {root}}, "Could not create the folder: "},
		"delete": {"/orgs/" + id + "/folders/" + root + "/delete", url.Values{"confirm": {"yes"}}, "Could not delete the folder: "},
		"invite": {"/orgs/" + id + "/users/invite", url.Values{"email": {"x@example.com"}}, "Could not send the invitation: "},
		"org":    {"/orgs/new", url.Values{"name": {" "}}, "Could not create the organization: "},
		"token":  {"/account/tokens", url.Values{"name": {""}}, "Could not create the token: "},
	} {
		r := owner.post(c.path, c.form)
		wantBody(t, what, r, `id="form-error"`, c.want)
		wantNoBody(t, what, r, "Could not save")
	}
}
