package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mysystems/internal/audit"
	"mysystems/internal/harness"
	"mysystems/internal/org"
)

func actorOf(t *testing.T, a *harness.Server, c *client) audit.Actor {
	t.Helper()
	return audit.Actor{Kind: audit.KindUser, ID: userID(t, a, c)}
}

// TestI18nUSR1_InvitationInInvitersLanguage: an invitation to an address
// without an account goes out in the inviter's language and remembers it:
// its page speaks it to a guest who has chosen no language. An invitee who
// has an account gets their own language.
func TestI18nUSR1_InvitationInInvitersLanguage(t *testing.T) {
	srv, a := server(t)
	owner := frenchPerson(t, srv, "jeanne@exemple.fr", "Jeanne Petit")
	id := createOrg(t, owner, "Atelier Petit")
	root := rootOf(t, owner, id)

	link := invite(t, owner, a, id, "nouvelle@exemple.fr", root)
	mail := a.LastMail("nouvelle@exemple.fr")
	if !strings.Contains(mail, "vous invite à rejoindre l'organisation « Atelier Petit »") || strings.Contains(mail, "invited you") {
		t.Fatalf("the invitation to a new address is not in French:\n%s", mail)
	}
	invs, _, err := a.App.Orgs.Invitations(context.Background(), actorOf(t, a, owner), id, org.Page{})
	if err != nil || len(invs) != 1 || invs[0].Lang != "fr" {
		t.Fatalf("the invitation does not remember its language: %+v, %v", invs, err)
	}
	guest := newClient(t, srv)
	guest.header.Set("Accept-Language", "en-US,en;q=0.9")
	r := guest.get(link)
	wantStatus(t, "accept page", r, http.StatusOK)
	wantBody(t, "accept page", r, `<html lang="fr">`, "Atelier Petit")
	// A guest who chose a language keeps it.
	guest.post("/lang", url.Values{"lang": {"en"}, "next": {"/login"}})
	wantBody(t, "accept page in English", guest.get(link), `<html lang="en">`)

	register(t, srv, "english@example.com")
	invite(t, owner, a, id, "english@example.com", root)
	if mail := a.LastMail("english@example.com"); strings.Contains(mail, "vous invite") {
		t.Fatalf("an invitee with an English account got a French invitation:\n%s", mail)
	}
}

// TestI18nORG1_RootFolderInCreatorsLanguage: a new organization's root
// folder is named in its creator's language.
func TestI18nORG1_RootFolderInCreatorsLanguage(t *testing.T) {
	srv, _ := server(t)
	fr := frenchPerson(t, srv, "paul@exemple.fr", "Paul Roux")
	wantBody(t, "French root", fr.get("/orgs/"+createOrg(t, fr, "Roux SA")+"/folders"), ">Par défaut<")
	en := register(t, srv, "paula@example.com")
	r := en.get("/orgs/" + createOrg(t, en, "Paula Ltd") + "/folders")
	wantBody(t, "English root", r, ">Default<")
	wantNoBody(t, "English root", r, "Par défaut")
}

// TestI18nDEV6_CommandBannerQuotesTheDevice: the command banner shows the
// state in the page's language, then the device's answer as its own words,
// quoted and left untranslated.
func TestI18nDEV6_CommandBannerQuotesTheDevice(t *testing.T) {
	srv, a := server(t)
	owner := frenchPerson(t, srv, "remi@exemple.fr", "Rémi Blanc")
	id := createOrg(t, owner, "Blanc Sécurité")
	ms := a.Mint(1)
	d := a.Device(ms[0])
	d.Hello()
	dev := claim(t, owner, id, ms[0], rootOf(t, owner, id), "Porte")
	accounts := "/orgs/" + id + "/devices/" + dev + "/accounts"
	r := owner.post(accounts+"/new", url.Values{"username": {"op1"}, "role": {"operator"}, "password": {"un mot de passe"},
		"password_confirm": {"un mot de passe"}})
	m := commandLocation.FindStringSubmatch(r.location())
	if m == nil {
		t.Fatalf("create: got %d to %q; body:\n%s", r.status, r.location(), r.body)
	}
	cmds := d.Poll(0)
	if len(cmds) != 1 {
		t.Fatalf("the device received %+v", cmds)
	}
	d.RefuseAccountChanges(1, "the account database is locked")
	d.Apply(cmds[0])
	r = owner.get(accounts + "?cmd=" + m[1])
	wantBody(t, "French banner", r, `<html lang="fr">`,
		`class="state">Échec</span><span id="command-result"> — réponse du périphérique : « <span id="command-result-text" class="device-words" translate="no">the account database is locked</span> »</span>`)
	owner.post("/lang", url.Values{"lang": {"en"}, "next": {"/"}})
	wantBody(t, "English banner", owner.get(accounts+"?cmd="+m[1]),
		`class="state">Failed</span><span id="command-result"> — the device&#39;s answer: “<span id="command-result-text" class="device-words" translate="no">the account database is locked</span>”</span>`)
}

// TestI18nUSR3_RemovalConfirmationCountsMembers: the confirmation of
// removing members speaks of one member in the singular, of several in the
// plural, in both languages.
func TestI18nUSR3_RemovalConfirmationCountsMembers(t *testing.T) {
	srv, a := server(t)
	owner := register(t, srv, "boss@example.com")
	id := createOrg(t, owner, "Count Corp")
	one, two := register(t, srv, "one@example.com"), register(t, srv, "two@example.com")
	join(t, a, one, id, "viewer")
	join(t, a, two, id, "viewer")
	remove := "/orgs/" + id + "/users/remove?user=" + userID(t, a, one)
	r := owner.get(remove)
	wantBody(t, "one", r, "This user will be removed from the organization:")
	wantNoBody(t, "one", r, "These users")
	wantBody(t, "two", owner.get(remove+"&user="+userID(t, a, two)), "These users will be removed from the organization:")
	owner.post("/lang", url.Values{"lang": {"fr"}, "next": {"/"}})
	wantBody(t, "one in French", owner.get(remove), "Cet utilisateur va être supprimé de l&#39;organisation :")
	wantBody(t, "two in French", owner.get(remove+"&user="+userID(t, a, two)), "Ces utilisateurs vont être supprimés de l&#39;organisation :")
}

// TestI18nUSR1_ORG1_LanguageInUse: a person whose account prefers English
// but who reads the pages in French (the lang cookie, chosen before signing
// in) invites in French and gets a French root folder; through the API,
// Accept-Language does the same, and without it the account's preference
// applies.
func TestI18nUSR1_ORG1_LanguageInUse(t *testing.T) {
	srv, a := server(t)
	register(t, srv, "mixed@example.com") // prefers English
	c := newClient(t, srv)
	c.post("/lang", url.Values{"lang": {"fr"}, "next": {"/login"}})
	c.get("/login")
	wantRedirect(t, "sign in", c.post("/login", url.Values{"email": {"mixed@example.com"}, "password": {password}}), "/")
	id := createOrg(t, c, "Mixte SARL")
	wantBody(t, "root folder in the page's language", c.get("/orgs/"+id+"/folders"), ">Par défaut<")
	invite(t, c, a, id, "invitee@exemple.fr", rootOf(t, c, id))
	if mail := a.LastMail("invitee@exemple.fr"); !strings.Contains(mail, "vous invite") {
		t.Fatalf("the invitation sent from a French page is not in French:\n%s", mail)
	}

	u := a.User("api@example.com") // prefers English
	call := func(lang, name string) (root string) {
		t.Helper()
		r := a.CallIn("POST", "/api/v1/orgs", u.Token, lang, map[string]string{"name": name})
		if r.Status != http.StatusCreated {
			t.Fatalf("create %s: %d %s", name, r.Status, r.Body)
		}
		f := a.Call("GET", "/api/v1/orgs/"+r.Str("id")+"/folders/"+r.Str("root_folder_id"), u.Token, nil)
		return f.Str("name")
	}
	if got := call("fr-FR,fr;q=0.9", "Par API"); got != "Par défaut" {
		t.Errorf("root folder with Accept-Language: fr: got %q, want Par défaut", got)
	}
	if got := call("", "By API"); got != "Default" {
		t.Errorf("root folder without Accept-Language: got %q, want Default", got)
	}
	if got := call("de", "Auf Deutsch"); got != "Default" {
		t.Errorf("root folder with Accept-Language: de: got %q, want the preference, Default", got)
	}
}
