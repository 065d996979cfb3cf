package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mysystems/internal/access"
)

// TestUSR2_ACC1_RoleHintAndFolders: "Roles and access" describes the role
// shown, not Owners whatever the role; the folder boxes are disabled and say
// why for the roles that see every folder (ACC-1), and a role lowered while
// they were disabled keeps the grants and asks for the folders next
// (USR-2, ACC-3).
func TestUSR2_ACC1_RoleHintAndFolders(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "hint.owner@example.com", "Hint Corp")
	site := createFolder(t, owner, id, root, "Site")
	viewer := member(t, a, owner, id, "hint.viewer@example.com", access.Viewer, site)
	admin := member(t, a, owner, id, "hint.admin@example.com", access.Admin)
	base := "/orgs/" + id + "/users/"
	viewerPage, adminPage := base+userID(t, a, viewer)+"/access", base+userID(t, a, admin)+"/access"

	r := owner.get(viewerPage)
	wantStatus(t, "viewer's page", r, http.StatusOK)
	wantBody(t, "viewer's page", r, `<p class="hint" data-role-hint="viewer">Viewers see the devices of their folders`,
		`<p class="hint" data-role-hint="owner" hidden>`, `<p class="hint" data-role-hint="admin" hidden>`, `<p class="hint" data-role-hint="operator" hidden>`,
		`id="folders-all" hidden`, `id="folders-locked" disabled`, `id="folder-`+site+`" checked>`)
	wantNoBody(t, "viewer's page", r, `id="role-note"`)

	r = owner.get(adminPage)
	wantBody(t, "admin's page", r, `<p class="hint" data-role-hint="admin">Admins manage the whole organization`,
		`<p class="hint" data-role-hint="viewer" hidden>`, `<p class="alert info" id="folders-all">Owners and Admins see every folder`,
		`<input type="hidden" name="folders_locked" value="yes" id="folders-locked">`,
		`id="folder-`+site+`" disabled>`, `id="folder-`+root+`" disabled>`)

	// An Admin looking at a Viewer is told what they cannot do.
	r = admin.get(viewerPage)
	wantBody(t, "as an Admin", r, `id="role-note"`, "As an Admin you cannot make anyone an Owner.",
		`<p class="hint" data-role-hint="viewer">`)
	wantNoBody(t, "as an Admin", r, `data-role-hint="owner"`)

	// A refused save draws the boxes for the role asked for.
	r = admin.post(viewerPage, url.Values{"role": {"owner"}, "folders": {site}})
	wantStatus(t, "refused", r, http.StatusForbidden)

	// Without JavaScript, lowering the Admin sends the disabled boxes' marker:
	// the role changes, the grants stay, and the page asks for the folders.
	grantBefore := owner.get(base[:len(base)-1]).body
	if !strings.Contains(grantBefore, "All folders") {
		t.Fatal("the Admin should see all folders")
	}
	r = owner.post(adminPage, url.Values{"role": {"operator"}, "folders_locked": {"yes"}})
	wantRedirect(t, "lowered", r, adminPage)
	r = owner.get(adminPage)
	wantBody(t, "next step", r, "Role of Person hint.admin@example.com saved. Now choose the folders they may see.",
		`<p class="hint" data-role-hint="operator">`, `id="folders-all" hidden`, `id="folder-`+site+`">`)
	wantRedirect(t, "folders", owner.post(adminPage, url.Values{"role": {"operator"}, "folders": {site}}), base[:len(base)-1])
	wantBody(t, "granted", owner.get(base[:len(base)-1]), "Default / Site")

	// Raising a Viewer to Admin with the boxes disabled keeps the grants.
	r = owner.post(viewerPage, url.Values{"role": {"admin"}, "folders_locked": {"yes"}})
	wantRedirect(t, "raised", r, base[:len(base)-1])
	r = owner.post(viewerPage, url.Values{"role": {"viewer"}, "folders_locked": {"yes"}})
	wantRedirect(t, "lowered again", r, viewerPage)
	wantBody(t, "grants kept", owner.get(viewerPage), `id="folder-`+site+`" checked>`)

	// In French.
	owner.post("/lang", url.Values{"lang": {"fr"}})
	wantBody(t, "French", owner.get(viewerPage), `<p class="hint" data-role-hint="viewer">Les Observateurs voient`)
}

// TestUSR3_RemoveOneOrMany: the confirmation of removing one member speaks
// of that user, of several of them all; the Users page has "select all"
// (USR-3).
func TestUSR3_RemoveOneOrMany(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "many.owner@example.com", "Many Corp")
	one := userID(t, a, member(t, a, owner, id, "many.one@example.com", access.Viewer, root))
	two := userID(t, a, member(t, a, owner, id, "many.two@example.com", access.Viewer, root))
	users := "/orgs/" + id + "/users"

	r := owner.get(users)
	wantBody(t, "users", r, `id="select-all-members" hidden aria-label="Select all users"`, `id="remove-selected"`,
		`data-member-selection`)

	r = owner.get(users + "/remove?user=" + one)
	wantBody(t, "one", r, "<h1>Remove user</h1>", "This user will be removed", "This user loses access at once",
		`id="remove-submit">Remove user</button>`)
	wantNoBody(t, "one", r, "They lose access")
	r = owner.get(users + "/remove?user=" + one + "&user=" + two)
	wantBody(t, "two", r, "<h1>Remove users</h1>", "These users will be removed", "They lose access at once",
		`id="remove-submit">Remove 2 users</button>`)

	owner.post("/lang", url.Values{"lang": {"fr"}})
	r = owner.get(users + "/remove?user=" + one)
	wantBody(t, "French one", r, "Cet utilisateur perd l&#39;accès immédiatement")
	r = owner.get(users + "/remove?user=" + one + "&user=" + two)
	wantBody(t, "French two", r, "Supprimer les 2 utilisateurs", "Ils perdent l&#39;accès")
}
