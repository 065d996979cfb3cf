package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/harness"
	"mysystems/internal/license"
)

// The catalogue the license pages' tests use: a device-management product
// that gates portal features, and a video product that gates none.
var (
	admProduct = license.Product{ID: "adm-extend", Name: "AXIS Device Manager Extend", Licensing: license.Subscription,
		Covers: []string{"*"}, Gates: []license.Feature{license.FeatureUpgrades, license.FeatureSchedules, license.FeatureDeviceAccounts}}
	edgeProduct = license.Product{ID: "acs-edge", Name: "AXIS Camera Station Edge", Licensing: license.Subscription,
		Covers: []string{"AXIS M*", "AXIS P*"}}
)

// addCatalogue adds the products to the vendor's catalogue.
func addCatalogue(t *testing.T, a *harness.Server, ps ...license.Product) {
	t.Helper()
	for _, p := range ps {
		if _, err := a.App.Licenses.AddProduct(context.Background(), harness.Vendor, p); err != nil {
			t.Fatal(err)
		}
	}
}

// issueKey has the vendor issue one key of quantity licenses of product.
func issueKey(t *testing.T, a *harness.Server, product string, quantity int) license.Key {
	t.Helper()
	ks, err := a.App.Licenses.IssueKeys(context.Background(), harness.Vendor, product, quantity, 1)
	if err != nil {
		t.Fatal(err)
	}
	return ks[0].Key
}

// appendHistory writes an entry straight into the organization's history,
// for entries of every kind on one day (the daily job's renewal, expiry and
// status among them) without running their use cases.
func appendHistory(t *testing.T, a *harness.Server, e license.Entry) {
	t.Helper()
	err := a.DB.Licenses().Write(context.Background(), func(tx license.Tx) error {
		_, err := tx.AppendLicenseHistory(context.Background(), e)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// signedIn signs u in through the form.
func signedIn(t *testing.T, a *harness.Server, u harness.User) *client {
	t.Helper()
	c := newClient(t, a.HTTP)
	c.get("/login")
	wantRedirect(t, "sign in "+u.Email, c.post("/login", url.Values{"email": {u.Email}, "password": {harness.Password}}), "/")
	return c
}

// messy writes a key as a person might paste it: lower case, groups
// joined by spaces and hyphens, spaces around.
func messy(k license.Key) string {
	return "  " + strings.ToLower(strings.Replace(k.String(), "-", " ", 1)) + " "
}

// licenseT0 is when the license tests start: a day of the future, for the
// browser's cookies to be valid at the fake clock's time.
var licenseT0 = time.Date(2036, 3, 1, 9, 0, 0, 0, time.UTC)

// mistype changes one character of the key, as a typo would.
func mistype(k license.Key) string {
	b := []byte(k.String())
	if b[0] == 'Z' {
		b[0] = 'Y'
	} else {
		b[0] = 'Z'
	}
	return string(b)
}

var newLot = regexp.MustCompile(`/wallet\?new=(lot_[A-Za-z0-9_]+)#lot-`)

// LIC-2, LIC-3: every member finds LICENSES → Products in the side panel,
// the products with what their wallet holds, a product's overview and
// wallet; Owners and Admins convert keys in the wallet, Operators and
// Viewers read it without the form and are refused a conversion.
func TestLIC3_WalletPagesByRole(t *testing.T) {
	a := harness.New(t, nil, harness.At(licenseT0))
	addCatalogue(t, a, admProduct, edgeProduct)
	owner := a.User("owner@example.com")
	orgID, _ := a.Org(owner.Token, "Acme")
	base := "/orgs/" + orgID
	people := map[access.Role]harness.User{access.Owner: owner}
	for _, r := range []access.Role{access.Admin, access.Operator, access.Viewer} {
		people[r] = a.Member(orgID, string(r)+"@example.com", r)
	}
	total := 0
	for _, role := range []access.Role{access.Viewer, access.Operator, access.Admin, access.Owner} {
		t.Run(string(role), func(t *testing.T) {
			c := signedIn(t, a, people[role])
			r := c.get(base + "/devices")
			wantBody(t, "panel", r, ">Licenses<", `href="`+base+`/products"`)
			r = c.get(base + "/products")
			wantStatus(t, "products", r, http.StatusOK)
			wantBody(t, "products", r, `data-product-id="adm-extend"`, `data-product-id="acs-edge"`, "AXIS Device Manager Extend",
				"Subscription", fmt.Sprintf(`data-available="%d"`, total), `href="`+base+`/license-history"`)

			r = c.get(base + "/products/adm-extend")
			wantStatus(t, "overview", r, http.StatusOK)
			wantBody(t, "overview", r, "Product overview", `id="tab-wallet"`, `id="tab-history"`, "AXIS OS upgrades and rollouts",
				"Software scheduling of devices", "Every device model", fmt.Sprintf("%d licenses available", total))
			wantBody(t, "overview tab", r, `id="tab-overview" aria-current="page"`)

			wallet := base + "/products/adm-extend/wallet"
			r = c.get(wallet)
			wantStatus(t, "wallet", r, http.StatusOK)
			wantBody(t, "wallet tab", r, `id="tab-wallet" aria-current="page"`, `id="wallet-available" data-available="`+fmt.Sprint(total)+`"`)
			manage := role == access.Owner || role == access.Admin
			if got := strings.Contains(r.body, `id="convert-form"`); got != manage {
				t.Fatalf("convert form shown %v, want %v", got, manage)
			}
			k := issueKey(t, a, "adm-extend", 10)
			if !manage {
				wantBody(t, "read-only wallet", r, `id="convert-readonly"`)
				wantStatus(t, "convert refused", c.post(wallet, url.Values{"key": {k.String()}}), http.StatusForbidden)
				wantBody(t, "nothing converted", c.get(wallet), `data-available="`+fmt.Sprint(total)+`"`)
				return
			}
			wantBody(t, "the organization named at the form", r, "Converting adds the licenses to the product wallet of Acme.")
			r = c.post(wallet, url.Values{"key": {messy(k)}})
			m := newLot.FindStringSubmatch(r.location())
			if r.status != http.StatusSeeOther || m == nil {
				t.Fatalf("convert: %d to %q", r.status, r.location())
			}
			total += 10
			r = c.get(r.location())
			wantBody(t, "converted", r, `id="flash"`, "10 licenses of AXIS Device Manager Extend added to the product wallet of Acme.",
				`id="lot-`+m[1]+`" data-lot-id="`+m[1]+`" data-source="redeem" class="is-new"`, "Converted license key",
				"2036-03-01", "2041-03-01", fmt.Sprintf(`data-available="%d"`, total))
		})
	}
}

// LIC-3: a key refused in the wallet form shows why next to the field, in
// the person's language, with what was typed kept: mistyped (400), never
// issued (404), converted already here (409, with the day) or elsewhere
// (409, the other organization never named). A key of another product goes
// to that product's wallet, which the person is then shown.
func TestLIC3_ConvertKeyRefusals(t *testing.T) {
	a := harness.New(t, nil, harness.At(licenseT0))
	addCatalogue(t, a, admProduct, edgeProduct)
	owner := a.User("owner@example.com")
	orgID, _ := a.Org(owner.Token, "Acme")
	other := a.User("other@example.com")
	otherOrg, _ := a.Org(other.Token, "Rival")
	c := signedIn(t, a, owner)
	wallet := "/orgs/" + orgID + "/products/adm-extend/wallet"

	done := issueKey(t, a, "adm-extend", 3)
	wantStatus(t, "convert", c.post(wallet, url.Values{"key": {done.String()}}), http.StatusSeeOther)
	elsewhere := issueKey(t, a, "adm-extend", 4)
	if _, err := a.App.Licenses.Redeem(context.Background(), audit.Actor{Kind: audit.KindUser, ID: other.ID}, otherOrg, elsewhere.String()); err != nil {
		t.Fatal(err)
	}
	fresh, err := license.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	mistyped := mistype(issueKey(t, a, "adm-extend", 5))
	for _, tc := range []struct {
		name, typed string
		status      int
		en, fr      string
	}{
		{"ErrMistyped", mistyped, http.StatusBadRequest, "the license key was mistyped", "la clé de licence a été mal saisie"},
		{"ErrRequired", "   ", http.StatusBadRequest, "type or paste the license key", "saisissez ou collez la clé de licence"},
		{"ErrUnknown", fresh.String(), http.StatusNotFound, "no license key matches what was typed", "aucune clé de licence ne correspond"},
		{"ErrRedeemedHere", strings.ToLower(done.String()), http.StatusConflict, "already converted in this organization on 2036-03-01",
			"déjà été convertie dans cette organisation le 2036-03-01"},
		{"ErrRedeemedElsewhere", elsewhere.String(), http.StatusConflict, "this license key has already been converted", "cette clé de licence a déjà été convertie"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post(wallet, url.Values{"key": {tc.typed}})
			wantStatus(t, "refused", r, tc.status)
			wantBody(t, "refused", r, `id="form-error"`, `id="key-error"`, tc.en, `value="`+html.EscapeString(tc.typed)+`"`)
			wantNoBody(t, "the other organization", r, "Rival")
			u, _ := url.Parse(a.URL)
			c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "fr", Path: "/"}})
			defer c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "en", Path: "/"}})
			r = c.post(wallet, url.Values{"key": {tc.typed}})
			wantStatus(t, "refused in French", r, tc.status)
			wantBody(t, "refused in French", r, `<html lang="fr">`, tc.fr, "Impossible de convertir la clé de licence")
			wantNoBody(t, "refused in French", r, tc.en)
		})
	}
	wantBody(t, "nothing more converted", c.get(wallet), `data-available="3"`)

	t.Run("OtherProduct", func(t *testing.T) {
		k := issueKey(t, a, "acs-edge", 1)
		r := c.post(wallet, url.Values{"key": {k.String()}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/orgs/"+orgID+"/products/acs-edge/wallet?new=") {
			t.Fatalf("a key of another product: %d to %q", r.status, r.location())
		}
		wantBody(t, "its wallet", c.get(r.location()), "1 license of AXIS Camera Station Edge added to the product wallet of Acme.",
			`data-available="1"`)
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		k := issueKey(t, a, "adm-extend", 2)
		wantStatus(t, "no token", c.post(wallet, url.Values{"key": {k.String()}, "csrf": {"forged"}}), http.StatusForbidden)
		wantBody(t, "not converted", c.get(wallet), `data-available="3"`)
	})
}

// LIC-2, LIC-3, LIC-13: another organization's license pages do not exist
// for a person who is not its member, and neither do unknown products; a
// conversion posted there changes nothing.
func TestLIC3_OtherOrganizationsLicensePagesNotFound(t *testing.T) {
	a := harness.New(t, nil, harness.At(licenseT0))
	addCatalogue(t, a, admProduct)
	owner := a.User("owner@example.com")
	orgID, _ := a.Org(owner.Token, "Acme")
	stranger := a.User("stranger@example.com")
	a.Org(stranger.Token, "Elsewhere")
	s := signedIn(t, a, stranger)
	base := "/orgs/" + orgID
	for _, p := range []string{"/products", "/products/adm-extend", "/products/adm-extend/wallet", "/license-history",
		"/license-history/export.csv"} {
		wantStatus(t, p, s.get(base+p), http.StatusNotFound)
	}
	k := issueKey(t, a, "adm-extend", 5)
	wantStatus(t, "convert", s.post(base+"/products/adm-extend/wallet", url.Values{"key": {k.String()}}), http.StatusNotFound)
	o := signedIn(t, a, owner)
	wantBody(t, "not converted", o.get(base+"/products/adm-extend/wallet"), `data-available="0"`)
	for _, p := range []string{"/products/nope", "/products/nope/wallet"} {
		wantStatus(t, p, o.get(base+p), http.StatusNotFound)
	}
	wantStatus(t, "convert", o.post(base+"/products/adm-extend/wallet", url.Values{"key": {k.String()}}), http.StatusSeeOther)
}

// LIC-2: lots close to their expiry are marked; expired ones have left the
// wallet and are listed apart, from the history's expiry entries.
func TestLIC2_WalletMarksExpiringAndExpiredLots(t *testing.T) {
	a := harness.New(t, nil, harness.At(licenseT0))
	addCatalogue(t, a, admProduct)
	owner := a.User("owner@example.com")
	orgID, _ := a.Org(owner.Token, "Acme")
	c := signedIn(t, a, owner)
	wallet := "/orgs/" + orgID + "/products/adm-extend/wallet"
	wantStatus(t, "convert", c.post(wallet, url.Values{"key": {issueKey(t, a, "adm-extend", 7).String()}}), http.StatusSeeOther)
	wantNoBody(t, "fresh lot", c.get(wallet), "Expires soon")
	a.Clock.Set(licenseT0.AddDate(license.LotYears, 0, -30))
	c = signedIn(t, a, owner) // the session has long expired
	wantBody(t, "lot expiring", c.get(wallet), "Expires soon", `data-available="7"`)
	a.Clock.Set(licenseT0.AddDate(license.LotYears, 0, 1))
	c = signedIn(t, a, owner)
	r := c.get(wallet)
	wantBody(t, "lot expired", r, `data-available="0"`, `id="wallet-empty"`)
	wantNoBody(t, "lot expired", r, `id="expired-lots"`)
	day := license.DateOf(a.Clock.Now())
	appendHistory(t, a, license.Entry{OrgID: orgID, At: a.Clock.Now(), Day: day, Actor: license.Actor{Kind: audit.KindSystem, ID: "system"},
		Product: "adm-extend", Kind: license.KindExpiry, Quantity: 7, Year: -1, Lot: "lot_x", EventKey: "expiry:lot_x"})
	wantBody(t, "expired listed", c.get(wallet), `id="expired-lots"`, "7 licenses left the wallet on "+day.String()+": their lot expired")
}

// LIC-13: the history, newest first, reads as sentences in English and
// French, filters by product, kind and dates as the API does, pages with
// previous and next, and exports CSV.
func TestLIC13_HistoryPage(t *testing.T) {
	a := harness.New(t, nil, harness.At(licenseT0))
	addCatalogue(t, a, admProduct, edgeProduct)
	owner := a.User("owner@example.com")
	orgID, _ := a.Org(owner.Token, "Acme")
	viewer := a.Member(orgID, "viewer@example.com", access.Viewer)
	c := signedIn(t, a, owner)
	base := "/orgs/" + orgID
	k := issueKey(t, a, "adm-extend", 12)
	wantStatus(t, "convert", c.post(base+"/products/adm-extend/wallet", url.Values{"key": {k.String()}}), http.StatusSeeOther)
	a.Clock.Advance(time.Hour)
	sys := license.Actor{Kind: audit.KindSystem, ID: "system"}
	at := a.Clock.Now()
	day := license.DateOf(at)
	for _, e := range []license.Entry{
		// The details as license.Service writes them.
		{Kind: license.KindStart, Product: "acs-edge", Year: 0, EventKey: "start",
			Details: map[string]string{"trial_ends": "2036-03-30", "anchor": "2036-03-01"}},
		{Kind: license.KindAllocate, Product: "adm-extend", Quantity: 4, Year: 0,
			Details: map[string]string{"lots": "lot_a:3,lot_b:1", "status": "licensed"}},
		{Kind: license.KindCompensation, Product: "adm-extend", Quantity: 1, Year: 0, Lot: "lot_c",
			Details: map[string]string{"from": "2036-04-01", "allocated": "4", "expires_on": "2041-03-01"}},
		{Kind: license.KindRenewal, Product: "adm-extend", Year: 1, Details: map[string]string{"need": "6"}, EventKey: "renewal:1"},
		{Kind: license.KindStatus, Product: "adm-extend", Year: 1, Details: map[string]string{"from": "licensed", "to": "grace"}, EventKey: "status:1"},
	} {
		e.OrgID, e.At, e.Day = orgID, at, day
		if e.Actor.Kind == "" {
			e.Actor = sys
		}
		if e.Kind == license.KindAllocate {
			e.Actor = license.Actor{Kind: audit.KindUser, ID: owner.ID, Email: owner.Email}
		}
		appendHistory(t, a, e)
	}

	r := c.get(base + "/license-history")
	wantStatus(t, "history", r, http.StatusOK)
	wantBody(t, "history", r, "License key ending in "+k.Last()+" converted: 12 licenses entered the wallet, until 2041-03-01.",
		"4 licenses allocated from the wallet to subscription year 1; status then: “Licensed”.",
		"1 license credited back to the wallet for the days of subscription year 1 before 2036-04-01, which the 4 allocated do not cover; it stays in the wallet until 2041-03-01.",
		"Subscription year 2 began with a need of 6 licenses", "The status changed from “Licensed” to “Grace period”.",
		"The product started: a 30-day trial, until 2036-03-30, in the organization&#39;s subscription period that began on 2036-03-01.",
		"owner@example.com", "The portal", `id="history-export"`)
	if i, j := strings.Index(r.body, `data-kind="status"`), strings.Index(r.body, `data-kind="redeem"`); i < 0 || j < i {
		t.Fatalf("not newest first: status at %d, redeem at %d", i, j)
	}
	if n := strings.Count(r.body, "<tr data-seq="); n != 6 {
		t.Fatalf("%d entries, want 6", n)
	}

	r = c.get(base + "/license-history?product=adm-extend&kind=redeem")
	wantBody(t, "filtered", r, `id="tab-history" aria-current="page"`, `<option value="redeem" selected>`)
	if n := strings.Count(r.body, "<tr data-seq="); n != 1 {
		t.Fatalf("filtered: %d entries, want 1", n)
	}
	r = c.get(base + "/license-history?product=acs-edge")
	if n := strings.Count(r.body, "<tr data-seq="); n != 1 || !strings.Contains(r.body, `data-kind="start"`) {
		t.Fatalf("one product: %d entries", n)
	}
	r = c.get(base + "/license-history?since=2040-01-01")
	wantBody(t, "since", r, `id="history-empty"`)
	for _, bad := range []string{"kind=bogus", "since=2000-01-01&until=1999-01-01", "since=yesterday", "cursor=bogus"} {
		r = c.get(base + "/license-history?" + bad)
		wantStatus(t, bad, r, http.StatusBadRequest)
		wantBody(t, bad, r, `id="form-error"`)
	}

	csv := c.get(base + "/license-history/export.csv?kind=redeem")
	wantStatus(t, "csv", csv, http.StatusOK)
	if ct := csv.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.HasPrefix(csv.body, strings.Join(license.HistoryCSVHeader, ",")) ||
		strings.Count(strings.TrimSpace(csv.body), "\n") != 1 || !strings.Contains(csv.body, "redeem") {
		t.Fatalf("csv %q:\n%s", ct, csv.body)
	}

	v := signedIn(t, a, viewer)
	u, _ := url.Parse(a.URL)
	v.http.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "fr", Path: "/"}})
	r = v.get(base + "/license-history")
	wantStatus(t, "viewer, in French", r, http.StatusOK)
	r.body = html.UnescapeString(r.body)
	wantBody(t, "French", r, "Clé de licence se terminant par "+k.Last()+" convertie : 12 licences sont entrées dans le portefeuille",
		"4 licences affectées du portefeuille à l'année d'abonnement 1 ; état ensuite : « Sous licence ».", "L'état est passé de « Sous licence » à « Période de grâce ».",
		"1 licence recréditée au portefeuille pour les jours de l'année d'abonnement 1 avant le 2036-04-01, que les 4 licences affectées ne couvrent pas ; elle reste dans le portefeuille jusqu'au 2041-03-01.",
		"Le produit a démarré : un essai de 30 jours, jusqu'au 2036-03-30, dans la période d'abonnement de l'organisation commencée le 2036-03-01.",
		"Clé convertie", "Historique")
}

// LIC-13: the history pages 50 entries at a time, newest first, with
// next, previous and first links that keep the filters.
func TestLIC13_HistoryPagination(t *testing.T) {
	a := harness.New(t, nil, harness.At(licenseT0))
	addCatalogue(t, a, admProduct)
	owner := a.User("owner@example.com")
	orgID, _ := a.Org(owner.Token, "Acme")
	c := signedIn(t, a, owner)
	for i := range 120 {
		appendHistory(t, a, license.Entry{OrgID: orgID, At: licenseT0.Add(time.Duration(i) * time.Minute), Day: license.DateOf(licenseT0),
			Actor: license.Actor{Kind: audit.KindSystem, ID: "system"}, Product: "adm-extend", Kind: license.KindCompensation, Quantity: i + 1, Year: 0})
	}
	seqs := regexp.MustCompile(`<tr data-seq="(\d+)"`)
	link := regexp.MustCompile(`<a href="([^"]+)" rel="next" id="next-page">`)
	prev := regexp.MustCompile(`<a href="([^"]+)" rel="prev" id="prev-page">`)
	page := func(path string) (first, last string, n int, next, back string) {
		t.Helper()
		r := c.get(path)
		wantStatus(t, path, r, http.StatusOK)
		ms := seqs.FindAllStringSubmatch(r.body, -1)
		if len(ms) == 0 {
			t.Fatalf("%s: no entries", path)
		}
		if m := link.FindStringSubmatch(r.body); m != nil {
			next = html.UnescapeString(m[1])
		}
		if m := prev.FindStringSubmatch(r.body); m != nil {
			back = html.UnescapeString(m[1])
		}
		return ms[0][1], ms[len(ms)-1][1], len(ms), next, back
	}
	start := "/orgs/" + orgID + "/license-history?kind=compensation"
	f1, l1, n1, next, back := page(start)
	if n1 != 50 || f1 != "120" || l1 != "71" || next == "" || back != "" {
		t.Fatalf("page 1: %s…%s (%d), next %q, prev %q", f1, l1, n1, next, back)
	}
	f2, _, n2, next2, back2 := page(next)
	if n2 != 50 || f2 != "70" || !strings.Contains(next2, "kind=compensation") || back2 == "" {
		t.Fatalf("page 2: from %s (%d), next %q, prev %q", f2, n2, next2, back2)
	}
	f3, l3, n3, next3, back3 := page(next2)
	if n3 != 20 || f3 != "20" || l3 != "1" || next3 != "" || back3 == "" {
		t.Fatalf("page 3: %s…%s (%d), next %q", f3, l3, n3, next3)
	}
	if f, _, _, _, _ := page(back3); f != "70" {
		t.Fatalf("previous of page 3 starts at %s, want 70", f)
	}
	if f, _, _, _, _ := page(back2); f != "120" {
		t.Fatalf("previous of page 2 starts at %s, want 120", f)
	}
}
