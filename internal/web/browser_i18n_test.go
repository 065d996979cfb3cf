package web_test

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mysystems/internal/access"
)

// englishWords are words of the English messages that a French page never
// shows in its own text (whole words, any case).
var englishWords = regexp.MustCompile(`(?i)\b(the|is|are|was|must|not|cannot|already|found|only|your|this|these|with|first|again|wrong|error|errors|folder|folders|device|devices|password|required|line|lines|owner|member|members|invalid|choose|least|inside|delete|move|remove|and|of|to|in|does|allow|needs|higher|removed|expected|columns)\b`)

// mainText is the text a person reads in the page's main region, without
// literal formats and values (pre, code): a CSV sample, a serial number.
const mainText = `(() => { const m = document.querySelector("main").cloneNode(true);
	m.querySelectorAll("pre, code").forEach(e => e.remove()); return m.innerText })()`

// refusedInFrench checks the page after a refusal: its French text is
// there, its English text is not, and no English word is.
func (b *browser) refusedInFrench(name, fr, en string) {
	b.t.Helper()
	b.step(name+": lang", chromedp.WaitVisible(`html[lang="fr"]`))
	text := value(b, name, chromedp.Evaluate[string](mainText))
	b.check(name, strings.Contains(text, fr), "the page lacks the French refusal %q; it reads:\n%s", fr, text)
	b.check(name, !strings.Contains(text, en), "the page shows the English refusal %q; it reads:\n%s", en, text)
	words := englishWords.FindAllString(text, -1)
	b.check(name, len(words) == 0, "the page has the English words %q; it reads:\n%s", words, text)
}

// frenchPerson registers an account whose language is French.
func frenchPerson(t *testing.T, srv *httptest.Server, email, name string) *client {
	t.Helper()
	c := newClient(t, srv)
	c.header.Set("Accept-Language", "fr-FR,fr;q=0.9")
	c.get("/register")
	r := c.post("/register", url.Values{"email": {email}, "name": {name}, "password": {password}})
	wantRedirect(t, "register "+email, r, "/")
	return c
}

// TestID1_ID2_ORG3_USR1_USR3_ACC2_DEV1_DEV2_DEV3_RefusalsInFrench: a French
// user meets eleven refusals in a real browser, each in French with no
// English sentence on the page: a too-common password (ID-1), a wrong
// password (ID-2), an invitation without a folder (USR-1), a folder that is
// not empty (DEV-2), removing the last owner (ORG-3, USR-3), a bad OAK and
// two bad CSV lines (DEV-3), a duplicate folder name (DEV-1), a bad sort of
// the device list, and an action the Viewer role does not allow.
func TestID1_ID2_ORG3_USR1_USR3_ACC2_DEV1_DEV2_DEV3_RefusalsInFrench(t *testing.T) {
	b := newBrowser(t)
	srv, a := server(t)
	owner := frenchPerson(t, srv, "camille@exemple.fr", "Camille Martin")
	id := createOrg(t, owner, "Maison Dupont")
	root := rootOf(t, owner, id)
	hall := createFolder(t, owner, id, root, "Hall")
	floor := createFolder(t, owner, id, hall, "Étage 1")
	viewer := frenchPerson(t, srv, "lucie@exemple.fr", "Lucie Bernard")
	join(t, a, viewer, id, access.Viewer)
	ms := a.Mint(1)
	org := srv.URL + "/orgs/" + id

	b.step("French", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible("#lang-fr"), chromedp.Click("#lang-fr"),
		chromedp.WaitVisible(`html[lang="fr"] #login-submit`))

	b.step("common password", chromedp.Navigate(srv.URL+"/register"), chromedp.WaitVisible("#register-submit"),
		chromedp.SendKeys("#email", "nouveau@exemple.fr"), chromedp.SendKeys("#name", "Nouveau Venu"),
		chromedp.SendKeys("#password", "password1234"), chromedp.Click("#register-submit"), chromedp.WaitVisible("#password-error"))
	b.refusedInFrench("ID-1 common password", "ce mot de passe est trop courant ; choisissez-en un autre", "this password is too common")

	b.step("wrong password", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible("#login-submit"),
		chromedp.SendKeys("#email", "camille@exemple.fr"), chromedp.SendKeys("#password", "not the right one"),
		chromedp.Click("#login-submit"), chromedp.WaitVisible("#form-error"))
	b.refusedInFrench("ID-2 wrong password", "adresse e-mail ou mot de passe incorrect", "wrong e-mail or password")

	b.step("sign in", chromedp.Clear("#email"), chromedp.SendKeys("#email", "camille@exemple.fr"), chromedp.Clear("#password"),
		chromedp.SendKeys("#password", password), chromedp.Click("#login-submit"), chromedp.WaitVisible(`#switcher-current`))

	b.step("invitation without a folder", chromedp.Navigate(org+"/users/invite"), chromedp.WaitVisible("#invite-submit"),
		chromedp.SendKeys("#email", "invite@exemple.fr"), chromedp.Click("#invite-submit"), chromedp.WaitVisible("#folders-error"))
	b.refusedInFrench("USR-1 no folder", "choisissez au moins un dossier que le nouvel observateur pourra voir",
		"choose at least one folder")

	b.step("folder not empty", chromedp.Navigate(org+"/folders/"+hall+"/delete"), chromedp.WaitVisible("#folder-holds"))
	b.refusedInFrench("DEV-2 what the folder holds", "Ce dossier contient 1 sous-dossier : déplacez-le ou retirez-le d'abord",
		"sub-folder")
	// A sub-folder made while the confirmation of an empty folder is open:
	// the deletion is refused with the service's reason.
	b.step("empty folder", chromedp.Navigate(org+"/folders/"+floor+"/delete"), chromedp.WaitVisible("#folder-delete-submit"))
	createFolder(t, owner, id, floor, "Bureau")
	b.step("folder no longer empty", chromedp.Click("#confirm"), chromedp.Click("#folder-delete-submit"), chromedp.WaitVisible("#form-error"))
	b.refusedInFrench("DEV-2 not empty", "Impossible de supprimer le dossier : 1 sous-dossier dans Par défaut / Hall / Étage 1 : supprimez-le ou déplacez-le d'abord",
		"sub-folder inside")

	b.step("last owner", chromedp.Navigate(org+"/users/remove?user="+url.QueryEscape(userID(t, a, owner))), chromedp.WaitVisible("#remove-submit"))
	b.refusedInFrench("USR-3 confirmation of one", "Cet utilisateur va être supprimé de l'organisation", "These users")
	b.step("remove the last owner", chromedp.Click("#remove-submit"), chromedp.WaitVisible("#refusals"))
	b.refusedInFrench("ORG-3 last owner", "une organisation doit garder au moins un propriétaire : nommez d'abord un autre membre propriétaire",
		"must keep at least one owner")
	b.refusedInFrench("USR-3 one refusal", "Aucun utilisateur n'a été supprimé : cet utilisateur ne peut pas l'être.", "No user was removed")

	b.step("bad OAK", chromedp.Navigate(org+"/devices/add"), chromedp.WaitVisible("#device-add-submit"),
		chromedp.SendKeys("#serial", ms[0].Serial), chromedp.SendKeys("#oak", "WRONGOAK1234"), chromedp.SendKeys("#name", "Caméra accueil"),
		chromedp.Click("#device-add-submit"), chromedp.WaitVisible("#oak-error"))
	b.refusedInFrench("DEV-3 bad OAK", "ne correspondent à aucun périphérique qui puisse être revendiqué", "do not match a device")

	b.step("CSV with too many columns", chromedp.Navigate(org+"/devices/import"), chromedp.WaitVisible("#import-submit"),
		chromedp.SendKeys("#csv", "A,B,C,D,E"), chromedp.Click("#import-submit"), chromedp.WaitVisible("#csv-error"))
	b.refusedInFrench("DEV-3 bad CSV columns", "ligne 1 : attendu numéro de série,OAK,chemin du dossier (3 colonnes), trouvé 5",
		"expected serial")
	b.step("CSV with a stray quote", chromedp.Navigate(org+"/devices/import"), chromedp.WaitVisible("#import-submit"),
		chromedp.SendKeys("#csv", `AB"CD,1234,`), chromedp.Click("#import-submit"), chromedp.WaitVisible("#csv-error"))
	b.refusedInFrench("DEV-3 bad CSV quote", "la ligne 1 n'est pas un CSV valide : guillemet \" isolé dans un champ sans guillemets",
		"bare \" in non-quoted-field")

	b.step("duplicate folder", chromedp.Navigate(org+"/folders?folder="+root), chromedp.WaitVisible("#folder-create-submit"),
		chromedp.SendKeys("#name", "Hall"), chromedp.Click("#folder-create-submit"), chromedp.WaitVisible("#form-error"))
	b.refusedInFrench("DEV-1 duplicate name", "un dossier nommé « Hall » existe déjà dans Par défaut", "already exists")

	b.step("bad sort", chromedp.Navigate(org+"/devices?sort=bogus"), chromedp.WaitVisible("#form-error"))
	b.refusedInFrench("bad sort", "triez par nom", "sort by name")

	v := b.fresh()
	v.step("viewer signs in", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible("#login-submit"),
		chromedp.SendKeys("#email", "lucie@exemple.fr"), chromedp.SendKeys("#password", password), chromedp.Click("#login-submit"),
		chromedp.WaitVisible(`#switcher-current`))
	v.step("viewer invites", chromedp.Navigate(org+"/users/invite"), chromedp.WaitVisible("#error-message"))
	v.refusedInFrench("ACC forbidden action", "votre rôle (observateur) ne le permet pas ; il faut être administrateur ou plus",
		"does not allow this")
}
