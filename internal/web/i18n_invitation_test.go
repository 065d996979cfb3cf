package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

// TestI18nUSR1_RegisteringFromAFrenchInvitation: a guest whose browser
// asks for English opens a French invitation and reads French all the way
// into the organization: the invitation page, the registration page (and its
// refusals), the sign-in page, the accepted invitation and the
// organization's pages; the new account remembers French.
func TestI18nUSR1_RegisteringFromAFrenchInvitation(t *testing.T) {
	srv, a := server(t)
	owner := frenchPerson(t, srv, "jeanne@exemple.fr", "Jeanne Petit")
	id := createOrg(t, owner, "Atelier Petit")
	link := invite(t, owner, a, id, "nouvelle@exemple.fr", rootOf(t, owner, id))

	guest := newClient(t, srv)
	guest.header.Set("Accept-Language", "en-US,en;q=0.9")
	wantBody(t, "accept page", guest.get(link), `<html lang="fr">`)
	next := "?next=" + url.QueryEscape(link)
	for _, page := range []string{"/register", "/login"} {
		r := guest.get(page + next)
		wantStatus(t, page, r, http.StatusOK)
		wantBody(t, page, r, `<html lang="fr">`, "Atelier Petit")
	}
	// Without the invitation the guest's browser decides.
	wantBody(t, "register page", guest.get("/register"), `<html lang="en">`)

	form := url.Values{"email": {"nouvelle@exemple.fr"}, "name": {"Nina Nouvelle"}, "password": {"password1234"}, "next": {link}}
	r := guest.post("/register", form)
	wantStatus(t, "common password", r, http.StatusBadRequest)
	wantBody(t, "common password", r, `<html lang="fr">`, "ce mot de passe est trop courant")

	form.Set("password", password)
	wantRedirect(t, "register", guest.post("/register", form), link)
	u, err := a.App.Accounts.User(context.Background(), userID(t, a, guest))
	if err != nil || u.Lang != "fr" {
		t.Fatalf("the new account's language: %q, %v; want fr", u.Lang, err)
	}
	wantBody(t, "accept page, signed in", guest.get(link), `<html lang="fr">`)
	r = guest.post("/invitations/accept", url.Values{"token": {tokenOf(t, link)}})
	wantRedirect(t, "accept", r, "/orgs/"+id+"/devices")
	wantBody(t, "devices", guest.get("/orgs/"+id+"/devices"), `<html lang="fr">`, "Bienvenue dans Atelier Petit")
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}
