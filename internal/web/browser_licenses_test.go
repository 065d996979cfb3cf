package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mysystems/internal/harness"
)

// TestLIC3_BrowserConvertKey: an Owner opens LICENSES → Products, a
// product's overview and its wallet, is told which organization the
// licenses will go to, mistypes a key and is told so with the key kept,
// converts it pasted in lower case with spaces, sees the new lot and the
// total, then the entry in the History tab; the same again in French, at
// 1280 and 768 px (LIC-2, LIC-3, LIC-13).
func TestLIC3_BrowserConvertKey(t *testing.T) {
	b := newBrowser(t)
	srv, a := server(t)
	addCatalogue(t, a, admProduct, edgeProduct)
	orgID := b.newOrg(srv.URL, "lena@example.com", "Lena Licenses", "License Org")

	b.follow("products", `nav.panel a[href="/orgs/`+orgID+`/products"]`, "#products-table")
	b.follow("overview", `#products-table tr[data-product-id="adm-extend"] td:first-child a`, "#product-props")
	features := value(b, "features", chromedp.Text("#product-features"))
	b.check("features", strings.Contains(features, "AXIS OS upgrades and rollouts"), "features %q", features)
	b.follow("wallet", "#tab-wallet", "#convert-form")
	note := value(b, "organization", chromedp.Text("#convert-org"))
	b.check("organization named", strings.Contains(note, "product wallet of License Org"), "note %q", note)

	k := issueKey(t, a, "adm-extend", 10)
	typo := mistype(k)
	b.submit("mistyped", "#convert-submit", "#form-error", chromedp.SendKeys("#key", typo))
	msg := value(b, "refusal", chromedp.Text("#key-error"))
	kept := value(b, "kept", chromedp.Value("#key"))
	b.check("mistyped", strings.Contains(msg, "mistyped") && kept == typo, "error %q, field %q", msg, kept)
	b.submit("converted", "#convert-submit", `//p[@id="flash" and contains(., "10 licenses of AXIS Device Manager Extend")]`,
		chromedp.Clear("#key"), chromedp.SendKeys("#key", messy(k)))
	lot := value(b, "new lot", chromedp.Text("#lots-table tr.is-new td:first-child"))
	total := value(b, "total", chromedp.Text("#wallet-available"))
	b.check("new lot", strings.HasPrefix(lot, "10") && total == "10 licenses available", "lot %q, total %q", lot, total)
	b.fits("wallet")

	b.follow("history", "#tab-history", "#history-table")
	row := value(b, "history row", chromedp.Text(`#history-table tr[data-kind="redeem"]`))
	b.check("history row", strings.Contains(row, "Key converted") && strings.Contains(row, "lena@example.com") &&
		strings.Contains(row, "ending in "+k.Last()), "row %q", row)
	b.fits("history")

	b.step("French", chromedp.Click("#lang-fr"), chromedp.WaitVisible(`html[lang="fr"] #history-table`))
	row = value(b, "French history", chromedp.Text(`#history-table tr[data-kind="redeem"]`))
	b.check("French history", strings.Contains(row, "Clé convertie") && strings.Contains(row, "se terminant par "+k.Last()), "row %q", row)
	b.follow("French wallet", "#tab-wallet", "#convert-form")
	heading := value(b, "French heading", chromedp.Text("#product-name"))
	b.check("French heading", strings.Contains(heading, "Portefeuille de produits"), "heading %q", heading)
	b.submit("French mistyped", "#convert-submit", "#form-error", chromedp.SendKeys("#key", typo))
	msg = value(b, "French refusal", chromedp.Text("#form-error"))
	b.check("French refusal", strings.Contains(msg, "mal saisie") && !strings.Contains(msg, "mistyped"), "error %q", msg)
	k2 := issueKey(t, a, "adm-extend", 5)
	b.submit("French converted", "#convert-submit", `//p[@id="flash" and contains(., "5 licences de AXIS Device Manager Extend ajoutées")]`,
		chromedp.Clear("#key"), chromedp.SendKeys("#key", messy(k2)))
	total = value(b, "French total", chromedp.Text("#wallet-available"))
	b.check("French total", total == "15 licences disponibles", "total %q", total)
	b.fits("French wallet")
	b.follow("French history", "#tab-history", "#history-table")
	n := value(b, "entries", chromedp.Evaluate[int](`document.querySelectorAll('#history-table tr[data-kind="redeem"]').length`))
	b.check("entries", n == 2, "%d redeem entries", n)
	panel := value(b, "panel", chromedp.Text("nav.panel"))
	b.check("panel", strings.Contains(strings.ToLower(panel), "licences") && strings.Contains(panel, "Produits"), "panel %q", panel)
}

// subscribeJourney is the manual's path for one product, in the
// browser's language: convert a key in the Product wallet, start the
// subscription from the Overview, allocate the current need in Product
// license through Confirm allocation and Confirm, and read the status on
// the Products page. words are the texts it checks, in that language.
type subscribeJourney struct {
	product, name string
	words         map[string]string
}

// walk takes the journey for a need of need devices, converting keys of
// the given quantities. When the first key holds less than the need,
// Confirm allocation is first seen disabled with what the wallet holds,
// and enabled once fewer are asked; the other keys are then converted.
func (j subscribeJourney) walk(b *browser, a *harness.Server, orgID string, need int, keys ...int) {
	b.t.Helper()
	w := j.words
	b.step(j.product+" products", chromedp.Navigate(a.URL+"/orgs/"+orgID+"/products"), chromedp.WaitVisible("#products-table"))
	row := `#products-table tr[data-product-id="` + j.product + `"]`
	status := value(b, "status before", chromedp.Text(row+" td.status"))
	b.check("status before", status == w["not started"], "status %q", status)
	b.follow(j.product+" overview", row+" td:first-child a", "#license-status")
	b.follow(j.product+" wallet", "#tab-wallet", "#convert-form")
	convert := func(n int) {
		k := issueKey(b.t, a, j.product, n)
		b.submit(j.product+" converted", "#convert-submit", "#flash", chromedp.SendKeys("#key", k.String()))
	}
	convert(keys[0])

	b.follow(j.product+" overview again", "#tab-overview", "#start-subscription")
	label := value(b, "start button", chromedp.Text("#start-subscription"))
	b.check("start button", label == w["start"], "button %q", label)
	b.follow(j.product+" start step", "#start-subscription", "#start-form")
	explained := value(b, "start explained", chromedp.Text("#start-explained"))
	b.check("start explained", strings.Contains(explained, w["trial"]), "explanation %q", explained)
	period := value(b, "period", chromedp.Text("#start-period"))
	renews := value(b, "renewal date", chromedp.Text("#start-renews"))
	b.check("period", renews != "" && strings.Contains(period, renews), "period %q, renewal %q", period, renews)
	b.fits(j.product + " start step")
	b.submit(j.product+" started", "#start-submit", "#subscription-started")
	started := value(b, "subscription started", chromedp.Text("#license-status"))
	trialEnd := value(b, "trial end", chromedp.Text("#trial-end"))
	b.check("subscription started", strings.Contains(started, w["started"]) && trialEnd != "" && strings.Contains(started, w["days left"]),
		"status %q, trial end %q", started, trialEnd)
	b.fits(j.product + " overview")

	b.follow(j.product+" license", "#tab-license", "#allocate-form")
	if keys[0] < need {
		disabled := value(b, "disabled", chromedp.Evaluate[bool](`document.querySelector("#allocate-submit").disabled`))
		short := value(b, "short", chromedp.Text("#allocate-short"))
		b.check("disabled when the wallet is short", disabled && strings.Contains(short, w["short"]), "disabled %v, note %q", disabled, short)
		b.step("fewer asked", chromedp.SetValue("#quantity", ""), chromedp.SendKeys("#quantity", fmt.Sprint(keys[0])))
		enabled := value(b, "enabled", chromedp.Evaluate[bool](`!document.querySelector("#allocate-submit").disabled && document.querySelector("#allocate-short").hidden`))
		b.check("enabled for what the wallet holds", enabled, "still disabled for %d", keys[0])
		b.fits(j.product + " license short")
		b.follow(j.product+" wallet again", "#tab-wallet", "#convert-form")
		for _, n := range keys[1:] {
			convert(n)
		}
		b.follow(j.product+" license again", "#tab-license", "#allocate-form")
	}
	quantity := value(b, "proposed quantity", chromedp.Value("#quantity"))
	disabled := value(b, "enabled", chromedp.Evaluate[bool](`document.querySelector("#allocate-submit").disabled`))
	label = value(b, "confirm allocation", chromedp.Text("#allocate-submit"))
	b.check("proposed quantity", quantity == fmt.Sprint(need) && !disabled && label == w["confirm allocation"],
		"quantity %q (want the need, %d), disabled %v, button %q", quantity, need, disabled, label)
	b.fits(j.product + " license")
	b.submit(j.product+" summary", "#allocate-submit", "#allocation-summary")
	summary := value(b, "summary", chromedp.Text("#allocation-summary"))
	after := value(b, "status after", chromedp.Text("#status-after"))
	label = value(b, "confirm", chromedp.Text("#allocate-confirm"))
	b.check("summary", strings.Contains(summary, w["lot"]) && after == w["licensed"] && label == w["confirm"],
		"summary %q, status after %q, button %q", summary, after, label)
	b.fits(j.product + " summary")
	b.submit(j.product+" allocated", "#allocate-confirm", "#flash")
	flash := value(b, "flash", chromedp.Text("#flash"))
	badge := value(b, "badge", chromedp.Text("#status-badge"))
	b.check("allocated", strings.Contains(flash, w["allocated"]) && strings.Contains(flash, j.name) && badge == w["licensed"],
		"flash %q, badge %q", flash, badge)

	b.step(j.product+" products after", chromedp.Navigate(a.URL+"/orgs/"+orgID+"/products"), chromedp.WaitVisible("#products-table"))
	status = value(b, "status after", chromedp.Text(row+" td.status"))
	b.check("licensed on the Products page", status == w["licensed"], "status %q", status)
	b.shot(j.product + " products after")
	b.fits(j.product + " products")
}

// TestLIC6_BrowserStartAndAllocate: an Owner follows the manual's
// "Démarrer un abonnement" and "Attribution de licences d'abonnement" in a
// real browser, once in English and once in French: a key converted in
// the Product wallet, "Start your subscription" on the Overview through
// its confirmation, "Subscription started" with the trial's end, the
// current need proposed in Product license, "Confirm allocation" and its
// summary, "Confirm", and the product Licensed on the Products page. In
// French the first key holds too few licenses: "Confirmer l'affectation"
// is disabled and says what the wallet holds until a second key is
// converted. Every page fits at 1280 and 768 px (LIC-1, LIC-3, LIC-4,
// LIC-5, LIC-6).
func TestLIC6_BrowserStartAndAllocate(t *testing.T) {
	b := newBrowser(t)
	a := harness.New(t, nil, harness.WallClock(), harness.NoRateLimit())
	addCatalogue(t, a, admProduct, edgeProduct)
	owner := a.User("lena@example.com")
	orgID, root := a.Org(owner.Token, "License Org")
	for _, m := range a.Mint(3) {
		a.Claim(owner.Token, orgID, m, root)
	}
	b.signIn(a.URL, owner)

	subscribeJourney{product: "adm-extend", name: admProduct.Name, words: map[string]string{
		"not started": "Not started", "start": "Start your subscription", "trial": "30-day trial", "started": "Subscription started",
		"days left": "30 days left", "confirm allocation": "Confirm allocation", "lot": "3 licenses from the lot that expires on",
		"confirm": "Confirm", "allocated": "3 licenses of", "licensed": "Licensed"}}.walk(b, a, orgID, 3, 10)

	b.step("French", chromedp.Click("#lang-fr"), chromedp.WaitVisible(`html[lang="fr"] #products-table`))
	subscribeJourney{product: "acs-edge", name: edgeProduct.Name, words: map[string]string{
		"not started": "Non démarré", "start": "Démarrer votre abonnement", "trial": "essai de 30 jours", "started": "L'abonnement a démarré",
		"days left": "30 jours restants", "short": "ne contient que 2 licences", "confirm allocation": "Confirmer l'affectation",
		"lot": "licences du lot qui expire le", "confirm": "Confirmer", "allocated": "3 licences de", "licensed": "Sous licence"}}.walk(b, a, orgID, 3, 2, 1)
}
