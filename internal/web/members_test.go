package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/clock"
	"mysystems/internal/harness"
)

func TestUsers(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "usersowner@example.com", "People Inc")
	base := "/orgs/" + id + "/users"
	site := createFolder(t, owner, id, root, "Site")

	admin := member(t, a, owner, id, "usersadmin@example.com", access.Admin)
	operator := member(t, a, owner, id, "usersoperator@example.com", access.Operator)
	viewer := member(t, a, owner, id, "usersviewer@example.com", access.Viewer)
	ownerID, adminID, operatorID, viewerID := userID(t, a, owner), userID(t, a, admin), userID(t, a, operator), userID(t, a, viewer)

	t.Run("Viewer", func(t *testing.T) {
		// Every role sees the members; only Owners and Admins manage them.
		r := viewer.get(base)
		wantStatus(t, "users", r, http.StatusOK)
		wantBody(t, "users", r, "usersowner@example.com", "usersadmin@example.com", "usersoperator@example.com",
			`id="users-readonly"`, "All folders", "Owner", "Operator")
		wantNoBody(t, "users", r, `name="user"`, `id="invite-link"`, `id="invitations-table"`, `data-action="access"`)
		for _, path := range []string{base + "/invite", base + "/" + operatorID + "/access", base + "/remove?user=" + operatorID} {
			wantStatus(t, "viewer GET "+path, viewer.get(path), http.StatusForbidden)
		}
		wantStatus(t, "viewer remove", viewer.post(base+"/remove", url.Values{"user": {operatorID}}), http.StatusForbidden)
		wantStatus(t, "viewer access", viewer.post(base+"/"+viewerID+"/access", url.Values{"role": {"admin"}}),
			http.StatusForbidden)
		wantStatus(t, "viewer invite", viewer.post(base+"/invite", url.Values{"email": {"x@example.com"}, "folders": {root}}),
			http.StatusForbidden)
		wantStatus(t, "unknown member", viewer.get(base+"/usr_nobody/access"), http.StatusNotFound)
		wantStatus(t, "operator invite page", operator.get(base+"/invite"), http.StatusForbidden)
	})

	t.Run("RolesAndAccess", func(t *testing.T) {
		// USR-2: an Admin cannot make Owners nor touch an Owner.
		r := admin.get(base + "/" + ownerID + "/access")
		wantStatus(t, "admin on owner", r, http.StatusOK)
		wantBody(t, "admin on owner", r, `id="access-locked"`, `<select id="role" name="role" disabled`)
		wantNoBody(t, "admin on owner", r, `id="access-save"`)
		r = admin.post(base+"/"+ownerID+"/access", url.Values{"role": {"viewer"}})
		wantStatus(t, "admin demotes owner", r, http.StatusForbidden)
		wantBody(t, "admin demotes owner", r, "only an owner")

		r = admin.get(base + "/" + viewerID + "/access")
		wantStatus(t, "admin on viewer", r, http.StatusOK)
		wantBody(t, "admin on viewer", r, `value="admin"`, `id="folder-`+site+`"`, `id="access-save"`)
		wantNoBody(t, "admin on viewer", r, `value="owner"`)
		r = admin.post(base+"/"+viewerID+"/access", url.Values{"role": {"owner"}, "folders": {site}})
		wantStatus(t, "admin makes owner", r, http.StatusForbidden)
		wantBody(t, "admin makes owner", r, `id="form-error"`)
		r = admin.post(base+"/"+viewerID+"/access", url.Values{"role": {"boss"}})
		wantStatus(t, "bad role", r, http.StatusBadRequest)
		wantBody(t, "bad role", r, `id="role-error"`)

		wantBody(t, "owner on viewer", owner.get(base+"/"+viewerID+"/access"), `value="owner"`)
		wantRedirect(t, "save", admin.post(base+"/"+viewerID+"/access", url.Values{"role": {"operator"}, "folders": {site}}), base)
		r = admin.get(base)
		wantBody(t, "after save", r, "Roles and access of Person usersviewer@example.com saved.")
		row := regexp.MustCompile(`(?s)<tr data-user-id="` + viewerID + `">.*?</tr>`).FindString(r.body)
		if !strings.Contains(row, `data-role="operator"`) || !strings.Contains(row, "Default / Site") {
			t.Fatalf("viewer's row after the change: %s", row)
		}
		// ACC-3: the change applies on the member's next request.
		wantBody(t, "new access", viewer.get("/orgs/"+id+"/folders"), `data-folder-id="`+site+`"`)
		wantNoBody(t, "new access", viewer.get("/orgs/"+id+"/folders"), `data-folder-id="`+root+`"`)
		grant(t, a, owner, id, viewer, access.Viewer)
		wantBody(t, "grants removed", viewer.get("/orgs/"+id+"/folders"), `id="folders-none"`)
	})

	t.Run("Remove", func(t *testing.T) {
		wantRedirect(t, "nothing selected", owner.get(base+"/remove"), base)
		wantBody(t, "nothing selected", owner.get(base), "Select at least one user first.")
		wantStatus(t, "unknown member", owner.get(base+"/remove?user=usr_nobody"), http.StatusNotFound)

		r := owner.get(base + "/remove?user=" + adminID + "&user=" + ownerID)
		wantStatus(t, "confirm page", r, http.StatusOK)
		wantBody(t, "confirm page", r, "usersadmin@example.com", "usersowner@example.com", `id="remove-submit"`,
			`name="user" value="`+adminID+`"`)

		// USR-3, ORG-3: all or nothing; the last Owner cannot go.
		r = owner.post(base+"/remove", url.Values{"user": {adminID, ownerID}})
		wantStatus(t, "remove with the last owner", r, http.StatusConflict)
		wantBody(t, "remove with the last owner", r, `id="refusals"`, "No user was removed",
			`<li data-user-id="`+ownerID+`"><strong>Person usersowner@example.com</strong>`, "at least one owner")
		wantStatus(t, "admin still there", admin.get(base), http.StatusOK)

		r = admin.post(base+"/remove", url.Values{"user": {ownerID}})
		wantStatus(t, "admin removes owner", r, http.StatusConflict)
		wantBody(t, "admin removes owner", r, "an admin cannot remove an owner")

		wantRedirect(t, "remove", owner.post(base+"/remove", url.Values{"user": {adminID, operatorID}}), base)
		r = owner.get(base)
		wantBody(t, "after remove", r, "Removed from the organization: Person usersadmin@example.com, Person usersoperator@example.com.")
		wantNoBody(t, "after remove", r, `data-user-id="`+adminID+`"`, `data-user-id="`+operatorID+`"`)
		// Removed members lose access at once.
		wantStatus(t, "removed admin", admin.get(base), http.StatusNotFound)
		wantStatus(t, "removed operator", operator.get("/orgs/"+id+"/folders"), http.StatusNotFound)
	})

	t.Run("French", func(t *testing.T) {
		c := newClient(t, srv)
		c.header.Set("Accept-Language", "fr")
		c.get("/login")
		wantRedirect(t, "login", c.post("/login", url.Values{"email": {"usersowner@example.com"}, "password": {password}}), "/")
		c.post("/lang", url.Values{"lang": {"fr"}})
		r := c.get(base)
		wantBody(t, "French", r, "Utilisateurs", "Inviter des utilisateurs", "Rôles et accès", "Supprimer l&#39;utilisateur",
			"Propriétaire", "Périphériques")
		wantBody(t, "French invite", c.get(base+"/invite"), "Observateur")
		c.post("/lang", url.Values{"lang": {"en"}})
	})

	t.Run("Stranger", func(t *testing.T) {
		stranger := register(t, srv, "usersstranger@example.com")
		for _, path := range []string{base, base + "/invite", base + "/" + ownerID + "/access", base + "/remove?user=" + ownerID} {
			r := stranger.get(path)
			wantStatus(t, "stranger GET "+path, r, http.StatusNotFound)
			wantNoBody(t, "stranger GET "+path, r, "People Inc", "usersowner@example.com")
		}
		wantStatus(t, "stranger remove", stranger.post(base+"/remove", url.Values{"user": {ownerID}}), http.StatusNotFound)
	})
}

var inviteLink = regexp.MustCompile(`/invitations/accept\?token=[A-Za-z0-9_%.-]+`)

// invite sends an invitation through the form and returns the path of its
// link, read from the outbox.
func invite(t *testing.T, c *client, a *harness.Server, orgID, email string, folders ...string) string {
	t.Helper()
	r := c.post("/orgs/"+orgID+"/users/invite", url.Values{"email": {email}, "folders": folders})
	wantRedirect(t, "invite "+email, r, "/orgs/"+orgID+"/users")
	return a.InvitationLink(email).RequestURI()
}

func TestInvitations(t *testing.T) {
	clk := clock.NewFake(time.Now())
	srv, a := serverAt(t, clk)
	owner, id, root := ownOrg(t, srv, "inviter@example.com", "Guest House")
	lobby := createFolder(t, owner, id, root, "Lobby")
	createFolder(t, owner, id, root, "Vault")
	users := "/orgs/" + id + "/users"

	r := owner.get(users + "/invite")
	wantStatus(t, "invite page", r, http.StatusOK)
	wantBody(t, "invite page", r, "always grants the Viewer role", `id="folder-`+lobby+`"`, "valid for 7 days")
	r = owner.post(users+"/invite", url.Values{"email": {"guest@example.com"}})
	wantStatus(t, "no folder", r, http.StatusBadRequest)
	wantBody(t, "no folder", r, `id="folders-error"`, "at least one folder", `value="guest@example.com"`)
	r = owner.post(users+"/invite", url.Values{"email": {"not an address"}, "folders": {lobby}})
	wantStatus(t, "bad e-mail", r, http.StatusBadRequest)
	wantBody(t, "bad e-mail", r, `id="email-error"`, `id="folder-`+lobby+`" checked`)
	r = owner.post(users+"/invite", url.Values{"email": {"inviter@example.com"}, "folders": {lobby}})
	wantStatus(t, "member already", r, http.StatusConflict)

	link := invite(t, owner, a, id, "guest@example.com", lobby)
	r = owner.get(users)
	wantBody(t, "pending", r, "Invitation sent to guest@example.com.", `id="invitations-table"`, "guest@example.com",
		"Default / Lobby")

	t.Run("RegisterFromLink", func(t *testing.T) {
		// USR-1: a person without an account registers from the link and
		// lands in the organization, a Viewer of the invited folders.
		guest := newClient(t, srv)
		r := guest.get(link)
		wantStatus(t, "link", r, http.StatusOK)
		wantBody(t, "link", r, "Guest House", "g***t@example.com", `id="accept-register"`, `id="accept-login"`,
			`href="/register?next=%2finvitations%2faccept%3ftoken%3d`)
		wantNoBody(t, "link", r, "guest@example.com", `id="accept-submit"`)

		r = guest.get("/register?next=" + url.QueryEscape(link))
		wantBody(t, "register", r, `id="invitation-note"`, "g***t@example.com", "Guest House")
		wantNoBody(t, "register", r, "guest@example.com")
		wantBody(t, "login", guest.get("/login?next="+url.QueryEscape(link)), `id="invitation-note"`)

		r = guest.post("/register", url.Values{"email": {"guest@example.com"}, "name": {"Guest"}, "password": {password},
			"next": {link}})
		wantRedirect(t, "register", r, link)
		r = guest.get(link)
		wantBody(t, "signed in", r, `id="accept-submit"`, `name="token"`)
		r = guest.post("/invitations/accept", url.Values{"token": {strings.TrimPrefix(link, "/invitations/accept?token=")}})
		wantRedirect(t, "accept", r, "/orgs/"+id+"/devices")
		r = guest.get("/orgs/" + id + "/devices")
		wantStatus(t, "in the organization", r, http.StatusOK)
		wantBody(t, "in the organization", r, "Welcome to Guest House", `data-folder-id="`+lobby+`"`)
		wantNoBody(t, "in the organization", r, "Vault", `data-folder-id="`+root+`"`)
		row := regexp.MustCompile(`(?s)<tr data-user-id="[^"]+">\s*<td class="select">.{0,400}guest@example.com.*?</tr>`).
			FindString(owner.get(users).body)
		if !strings.Contains(row, `data-role="viewer"`) {
			t.Fatalf("the guest's row: %s", row)
		}

		// Single use.
		r = guest.get(link)
		wantStatus(t, "used link", r, http.StatusBadRequest)
		wantBody(t, "used link", r, `id="accept-problem"`, "This invitation cannot be used: this invitation has already been used")
		wantStatus(t, "accept again", guest.post("/invitations/accept",
			url.Values{"token": {strings.TrimPrefix(link, "/invitations/accept?token=")}}), http.StatusBadRequest)
	})

	t.Run("WrongAccount", func(t *testing.T) {
		link := invite(t, owner, a, id, "someone@example.com", lobby)
		other := register(t, srv, "someone.else@example.com")
		r := other.get(link)
		wantStatus(t, "wrong account", r, http.StatusForbidden)
		wantBody(t, "wrong account", r, "was sent to s***e@example.com", `id="accept-switch"`)
		r = other.post("/invitations/accept", url.Values{"token": {strings.TrimPrefix(link, "/invitations/accept?token=")}})
		wantStatus(t, "accept", r, http.StatusForbidden)
		wantStatus(t, "not a member", other.get("/orgs/"+id+"/folders"), http.StatusNotFound)
		// Signing out comes back to the link.
		r = other.post("/logout", url.Values{"next": {link}})
		wantRedirect(t, "sign out", r, "/login?next="+url.QueryEscape(link))
	})

	t.Run("Revoke", func(t *testing.T) {
		link := invite(t, owner, a, id, "revoked@example.com", lobby)
		invID := regexp.MustCompile(`data-invitation-id="(inv_[a-z0-9]+)">\s*<td>revoked@example.com<`).FindStringSubmatch(owner.get(users).body)
		if invID == nil {
			t.Fatal("no invitation row")
		}
		viewer := member(t, a, owner, id, "revokeviewer@example.com", access.Viewer)
		wantStatus(t, "viewer revoke page", viewer.get("/orgs/"+id+"/invitations/"+invID[1]+"/revoke"), http.StatusForbidden)
		stranger := register(t, srv, "revokestranger@example.com")
		wantStatus(t, "stranger revoke", stranger.post("/orgs/"+id+"/invitations/"+invID[1]+"/revoke", nil), http.StatusNotFound)

		wantBody(t, "confirm page", owner.get("/orgs/"+id+"/invitations/"+invID[1]+"/revoke"), "revoked@example.com",
			`id="invitation-revoke-submit"`)
		wantRedirect(t, "revoke", owner.post("/orgs/"+id+"/invitations/"+invID[1]+"/revoke", nil), users)
		r := owner.get(users)
		wantBody(t, "after revoke", r, "Invitation to revoked@example.com revoked")
		wantNoBody(t, "after revoke", r, `data-invitation-id="`+invID[1]+`"`)
		wantStatus(t, "revoke again", owner.post("/orgs/"+id+"/invitations/"+invID[1]+"/revoke", nil), http.StatusNotFound)

		r = newClient(t, srv).get(link)
		wantStatus(t, "revoked link", r, http.StatusBadRequest)
		wantBody(t, "revoked link", r, "was revoked by the organization")
		wantNoBody(t, "revoked link", r, `id="accept-register"`)
	})

	t.Run("Invalid", func(t *testing.T) {
		for _, path := range []string{"/invitations/accept", "/invitations/accept?token=msi_forged",
			"/invitations/accept?token=" + strings.Repeat("x", 300)} {
			r := newClient(t, srv).get(path)
			wantStatus(t, path, r, http.StatusNotFound)
			wantBody(t, path, r, "This invitation cannot be used: this invitation link is not valid")
		}
		c := newClient(t, srv)
		c.get("/login")
		wantRedirect(t, "accept signed out", c.post("/invitations/accept", url.Values{"token": {"msi_x"}}), "/login")
	})

	t.Run("Expired", func(t *testing.T) {
		link := invite(t, owner, a, id, "late@example.com", lobby)
		clk.Advance(8 * 24 * time.Hour)
		r := newClient(t, srv).get(link)
		wantStatus(t, "expired link", r, http.StatusBadRequest)
		wantBody(t, "expired link", r, "this invitation expired on")
		owner.get(users) // the flash of the invitation names the address
		wantNoBody(t, "pending list", owner.get(users), "late@example.com")
	})

	t.Run("French", func(t *testing.T) {
		c := newClient(t, srv)
		c.header.Set("Accept-Language", "fr")
		wantBody(t, "French", c.get("/invitations/accept?token=msi_forged"), "Cette invitation ne peut pas être utilisée")
	})
}
