package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"mysystems/internal/access"
)

// TestORG1_SwitcherKeepsTheSection: the organization switcher opens the
// other organization on the section the person was in (Devices stays
// Devices, from a device's page too), falls back to the organization's
// devices where the role held there may not open that section or where the
// page belongs to no section, and an organization opened without one opens
// on its devices, not its settings (ORG-1: the switcher chooses the
// organization).
func TestORG1_SwitcherKeepsTheSection(t *testing.T) {
	srv, a := server(t)
	owner, first, root := ownOrg(t, srv, "switch@example.com", "First Corp")
	other := register(t, srv, "other.owner@example.com")
	second := createOrg(t, other, "Second Corp")
	join(t, a, owner, second, access.Viewer)
	dev := claim(t, owner, first, a.Mint(1)[0], root, "Lobby")

	link := func(page, want string) {
		t.Helper()
		r := owner.get(page)
		wantStatus(t, page, r, http.StatusOK)
		wantBody(t, page, r, `href="`+want+`" data-org-id="`+second+`"`)
	}
	link("/orgs/"+first+"/devices", "/orgs/"+second+"?to=devices")
	link("/orgs/"+first+"/devices/"+dev, "/orgs/"+second+"?to=devices")
	link("/orgs/"+first+"/folders", "/orgs/"+second+"?to=devices")
	link("/orgs/"+first+"/users", "/orgs/"+second+"?to=users")
	link("/orgs/"+first+"/tasks", "/orgs/"+second+"?to=tasks")
	link("/orgs/"+first+"/audit", "/orgs/"+second+"?to=audit")
	link("/account/tokens", "/orgs/"+second)

	for to, want := range map[string]string{
		"devices":  "devices",
		"users":    "users",
		"settings": "settings",
		"tasks":    "tasks",
		"audit":    "devices", // a Viewer does not read the audit log
		"servers":  "devices", // nor monitors servers
		"bogus":    "devices",
		"":         "devices",
	} {
		wantRedirect(t, "switch to "+to, owner.get("/orgs/"+second+"?to="+url.QueryEscape(to)), "/orgs/"+second+"/"+want)
	}
	wantRedirect(t, "open", owner.get("/orgs/"+first), "/orgs/"+first+"/devices")
	wantRedirect(t, "open with the audit log", owner.get("/orgs/"+first+"?to=audit"), "/orgs/"+first+"/audit")
}

// TestORG1_AccountPagesKeepTheOrganization: the security settings and the
// API tokens are drawn in the organization the person was working in, with
// its side panel and its name in the switcher; one they left (or another
// person's browser) shows none.
func TestORG1_AccountPagesKeepTheOrganization(t *testing.T) {
	srv, a := server(t)
	owner, id, _ := ownOrg(t, srv, "context@example.com", "Context Corp")
	owner.get("/orgs/" + id + "/users")
	for _, page := range []string{"/account/security", "/account/tokens", "/orgs/new"} {
		r := owner.get(page)
		wantStatus(t, page, r, http.StatusOK)
		wantBody(t, page, r, `<span id="switcher-current">Context Corp</span>`, `<nav class="panel"`,
			`href="/orgs/`+id+`/devices"`)
		wantNoBody(t, page, r, "Choose an organization", `aria-current="page"`)
	}
	// Creating a token keeps it too.
	r := owner.post("/account/tokens", url.Values{"name": {"ci"}})
	wantBody(t, "token created", r, `<span id="switcher-current">Context Corp</span>`, `<nav class="panel"`)

	// Another member who is removed loses it at once.
	viewer := member(t, a, owner, id, "context.viewer@example.com", access.Viewer, rootOf(t, owner, id))
	viewer.get("/orgs/" + id + "/devices")
	wantBody(t, "member", viewer.get("/account/security"), `<span id="switcher-current">Context Corp</span>`)
	wantRedirect(t, "remove", owner.post("/orgs/"+id+"/users/remove", url.Values{"user": {userID(t, a, viewer)}}),
		"/orgs/"+id+"/users")
	r = viewer.get("/account/security")
	wantStatus(t, "removed member", r, http.StatusOK)
	wantBody(t, "removed member", r, "Choose an organization")
	wantNoBody(t, "removed member", r, "Context Corp", `<nav class="panel"`)

	// Signing out forgets it.
	owner.post("/logout", nil)
	if ck := owner.cookie("mysystems_org"); ck != "" {
		t.Fatalf("the organization is still remembered after signing out: %q", ck)
	}
}
