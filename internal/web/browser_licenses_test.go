package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
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
