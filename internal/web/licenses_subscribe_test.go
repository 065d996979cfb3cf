package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/harness"
	"mysystems/internal/license"
)

// licenseOrg is an organization named Acme with the catalogue, n devices
// in its root folder (the need of both products: their model is covered by
// adm-extend's "*" and acs-edge's "AXIS P*"), and a member of every role.
type licenseOrg struct {
	a      *harness.Server
	org    string
	root   string
	people map[access.Role]harness.User
}

func newLicenseOrg(t *testing.T, devices int) *licenseOrg {
	t.Helper()
	a := harness.New(t, nil, harness.At(licenseT0), harness.NoRateLimit())
	addCatalogue(t, a, admProduct, edgeProduct)
	owner := a.User("owner@example.com")
	o := &licenseOrg{a: a, people: map[access.Role]harness.User{access.Owner: owner}}
	o.org, o.root = a.Org(owner.Token, "Acme")
	for _, r := range []access.Role{access.Admin, access.Operator, access.Viewer} {
		o.people[r] = a.Member(o.org, string(r)+"@example.com", r)
	}
	o.claim(owner, devices)
	return o
}

// claim adds n devices to the organization's root folder, as u (whose API
// session must still be valid at the clock's time).
func (o *licenseOrg) claim(u harness.User, n int) {
	for _, m := range o.a.Mint(n) {
		o.a.Claim(u.Token, o.org, m, o.root)
	}
}

func (o *licenseOrg) path(p string) string { return "/orgs/" + o.org + p }

// redeem converts a key of quantity licenses of product into the wallet.
func (o *licenseOrg) redeem(t *testing.T, product string, quantity int) {
	t.Helper()
	owner := audit.Actor{Kind: audit.KindUser, ID: o.people[access.Owner].ID}
	if _, err := o.a.App.Licenses.Redeem(context.Background(), owner, o.org, issueKey(t, o.a, product, quantity).String()); err != nil {
		t.Fatal(err)
	}
}

// start starts product through the service, as the Owner.
func (o *licenseOrg) start(t *testing.T, product string) {
	t.Helper()
	owner := audit.Actor{Kind: audit.KindUser, ID: o.people[access.Owner].ID}
	if _, err := o.a.App.Licenses.Start(context.Background(), owner, o.org, product); err != nil {
		t.Fatal(err)
	}
}

// state is what the service says of product now: its wallet, its
// allocation to the current year and its status, and the number of
// history entries of the organization.
func (o *licenseOrg) state(t *testing.T, product string) (wallet, allocated int, status license.Status, entries int) {
	t.Helper()
	owner := audit.Actor{Kind: audit.KindUser, ID: o.people[access.Owner].ID}
	ov, err := o.a.App.Licenses.Product(context.Background(), owner, o.org, product)
	if err != nil {
		t.Fatal(err)
	}
	h, err := o.a.App.Licenses.History(context.Background(), owner, o.org, license.HistoryFilter{}, audit.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return ov.Wallet, ov.Allocated, ov.Status, len(h.Entries)
}

func inFrench(t *testing.T, a *harness.Server, c *client) {
	t.Helper()
	u, _ := url.Parse(a.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "fr", Path: "/"}})
}

// LIC-1, LIC-4, LIC-5: the overview's License status of a product not
// started offers Owners and Admins "Start your subscription", behind a
// confirmation that explains the 30-day trial and the renewal date the
// organization's period will have; Operators and Viewers read a sentence
// saying who can start it and are refused the step and the start. Once
// started the status says "Subscription started" with the trial's end; a
// second product joins the period the first one set.
func TestLIC4_StartSubscriptionPagesByRole(t *testing.T) {
	o := newLicenseOrg(t, 3)
	overview := o.path("/products/adm-extend")
	for _, role := range []access.Role{access.Viewer, access.Operator} {
		t.Run(string(role), func(t *testing.T) {
			c := signedIn(t, o.a, o.people[role])
			r := c.get(overview)
			wantStatus(t, "overview", r, http.StatusOK)
			wantBody(t, "read-only status", r, `id="license-status"`, "License status", `data-status="not_started"`, "Not started",
				`id="start-readonly"`, "An Owner or Admin of the organization can start the subscription")
			wantNoBody(t, "no start button", r, `id="start-subscription"`)
			wantStatus(t, "confirmation step", c.get(overview+"/start"), http.StatusForbidden)
			wantStatus(t, "start", c.post(overview+"/start", nil), http.StatusForbidden)
		})
	}
	if _, _, st, _ := o.state(t, "adm-extend"); st != license.NotStarted {
		t.Fatalf("started by a read-only role: %s", st)
	}

	admin := signedIn(t, o.a, o.people[access.Admin])
	r := admin.get(overview)
	wantBody(t, "start button", r, `id="start-subscription"`, `href="`+overview+`/start"`, "Start your subscription")
	wantNoBody(t, "start button", r, `id="start-readonly"`)
	r = admin.get(overview + "/start")
	wantStatus(t, "confirmation step", r, http.StatusOK)
	wantBody(t, "confirmation step", r, "Starting opens a 30-day trial, until 2036-03-30.",
		"This is the first product started in Acme: it sets the organization&#39;s subscription period.",
		"the first time on 2037-03-01", `id="start-renews"`, `name="csrf"`, `id="start-submit"`)
	wantStatus(t, "forged token", admin.post(overview+"/start", url.Values{"csrf": {"forged"}}), http.StatusForbidden)
	if _, _, st, _ := o.state(t, "adm-extend"); st != license.NotStarted {
		t.Fatalf("started with a forged token: %s", st)
	}

	wantRedirect(t, "start", admin.post(overview+"/start", nil), overview+"#license-status")
	r = admin.get(overview)
	wantBody(t, "started", r, `id="flash"`, "Subscription of AXIS Device Manager Extend started: the trial runs until 2036-03-30.",
		`id="subscription-started"`, "Subscription started", `id="trial-end"`, "2036-03-30", "Trial · 30 days left",
		`id="renews-on"`, "2037-03-01", `id="need-total" data-need="3"`)
	wantNoBody(t, "started", r, `id="start-subscription"`)
	r = admin.get(overview + "/start")
	wantBody(t, "started already", r, `id="start-started"`, "The subscription started on 2036-03-01.")
	wantNoBody(t, "started already", r, `id="start-form"`)
	r = admin.post(overview+"/start", nil)
	wantStatus(t, "start again", r, http.StatusConflict)
	wantBody(t, "start again", r, "was already started in this organization on 2036-03-01")

	o.a.Clock.Advance(10 * 24 * time.Hour)
	owner := signedIn(t, o.a, o.people[access.Owner])
	edge := o.path("/products/acs-edge")
	r = owner.get(edge + "/start")
	wantBody(t, "second product", r, "this product joins the current subscription year", "renews with the other products&#39; on 2037-03-01",
		"until 2036-04-09")
	wantRedirect(t, "start the second", owner.post(edge+"/start", nil), edge+"#license-status")
	wantBody(t, "second started", owner.get(edge), "Trial · 30 days left", "2036-04-09")

	r = owner.get(o.path("/license-history?kind=start"))
	wantBody(t, "history", r, "The product started: a 30-day trial, until 2036-03-30, in the organization&#39;s subscription period that began on 2036-03-01.")
	inFrench(t, o.a, owner)
	r = owner.get(edge)
	r.body = html.UnescapeString(r.body)
	wantBody(t, "French", r, "État de la licence", "L'abonnement a démarré", "Essai · 30 jours restants", "Fin de la période d'essai")
}

// LIC-6: the Product license tab shows every member the current year and
// the five ahead with what is allocated and the current need; Owners and
// Admins have "Allocate licenses", prefilled with what the current year
// misses; "Confirm allocation" shows the summary (the lots taken and their
// expiry, the compensation, the status it leads to) and changes nothing;
// "Confirm" carries it out and the product is licensed. Operators and
// Viewers read the tab and are refused the summary and the allocation.
func TestLIC6_AllocatePagesByRole(t *testing.T) {
	o := newLicenseOrg(t, 3)
	o.redeem(t, "adm-extend", 10)
	o.start(t, "adm-extend")
	tab := o.path("/products/adm-extend/license")
	summary := tab + "/allocate?year=0&quantity=3"
	for _, role := range []access.Role{access.Viewer, access.Operator} {
		t.Run(string(role), func(t *testing.T) {
			c := signedIn(t, o.a, o.people[role])
			r := c.get(tab)
			wantStatus(t, "tab", r, http.StatusOK)
			wantBody(t, "tab", r, `id="tab-license" aria-current="page"`, `id="years-table"`, "Year 1, the current one",
				"2036-03-01", "2037-02-28", "Year 6, 5 years ahead", `id="allocate-readonly"`)
			wantNoBody(t, "no form", r, `id="allocate-form"`)
			wantStatus(t, "summary", c.get(summary), http.StatusForbidden)
			wantStatus(t, "allocate", c.post(tab+"/allocate", url.Values{"year": {"0"}, "quantity": {"3"}}), http.StatusForbidden)
		})
	}
	wallet, allocated, _, entries := o.state(t, "adm-extend")
	if wallet != 10 || allocated != 0 {
		t.Fatalf("a read-only role allocated: wallet %d, allocated %d", wallet, allocated)
	}

	admin := signedIn(t, o.a, o.people[access.Admin])
	r := admin.get(o.path("/products/adm-extend"))
	wantBody(t, "tabs in the manual's order", r, `id="tab-wallet"`, `id="tab-license"`)
	if i, j, k := strings.Index(r.body, `id="tab-wallet"`), strings.Index(r.body, `id="tab-license"`), strings.Index(r.body, `id="tab-history"`); !(i < j && j < k) {
		t.Fatalf("tabs out of order: wallet %d, license %d, history %d", i, j, k)
	}
	r = admin.get(tab)
	wantBody(t, "form", r, `id="allocate-form"`, `action="`+tab+`/allocate"`, `id="quantity" name="quantity" type="number"`, `value="3"`,
		`<option value="0" data-missing="3" selected>`, `data-missing="3"`, "The product wallet holds 10 licenses.", "Confirm allocation")
	wantNoBody(t, "enabled", r, `id="allocate-submit" disabled`)

	r = admin.get(summary)
	wantStatus(t, "summary", r, http.StatusOK)
	wantBody(t, "summary", r, `id="allocation-summary"`, "Allocate 3 licenses from the wallet to Year 1, the current one (2036-03-01 – 2037-02-28).",
		`data-quantity="3" data-expires="2041-03-01"`, "3 licenses from the lot that expires on 2041-03-01",
		`id="summary-compensation" data-compensation="0"`, "None for this allocation.",
		`data-status="trial" id="status-before"`, `data-status="licensed" id="status-after"`, `data-before="10" data-after="7"`,
		`id="summary-endstrial"`, `name="csrf"`, `name="year" value="0"`, `name="quantity" value="3"`, `id="allocate-confirm"`, ">Confirm<")
	if w, al, st, n := o.state(t, "adm-extend"); w != 10 || al != 0 || st != license.Trial || n != entries {
		t.Fatalf("the summary changed something: wallet %d, allocated %d, status %s, %d history entries (were %d)", w, al, st, n, entries)
	}
	wantStatus(t, "forged token", admin.post(tab+"/allocate", url.Values{"year": {"0"}, "quantity": {"3"}, "csrf": {"forged"}}), http.StatusForbidden)

	wantRedirect(t, "confirm", admin.post(tab+"/allocate", url.Values{"year": {"0"}, "quantity": {"3"}}), tab)
	r = admin.get(tab)
	wantBody(t, "allocated", r, `id="flash"`, "3 licenses of AXIS Device Manager Extend allocated to subscription year 1. Status: Licensed.",
		`data-status="licensed" id="status-badge"`, `data-ahead="0" class="current"`, `data-allocated="3"`, "The product wallet holds 7 licenses.")
	if w, al, st, _ := o.state(t, "adm-extend"); w != 7 || al != 3 || st != license.Licensed {
		t.Fatalf("after confirming: wallet %d, allocated %d, status %s", w, al, st)
	}
	r = admin.get(o.path("/products"))
	wantBody(t, "products", r, `<tr data-product-id="adm-extend" data-status="licensed">`, "Licensed", `data-need="3"`, `data-allocated="3"`,
		`data-available="7"`, `data-renews="2037-03-01"`)
	r = admin.get(o.path("/license-history?product=adm-extend"))
	wantBody(t, "history", r, "3 licenses allocated from the wallet to subscription year 1; status then: “Licensed”.",
		"The status changed from “Trial” to “Licensed”.")

	// Growth past twice what is allocated warns, the status stays.
	o.claim(o.people[access.Admin], 4)
	r = admin.get(o.path("/products"))
	wantBody(t, "growth", r, `<tr data-product-id="adm-extend" data-status="licensed">`, `data-warning="growth_limit_exceeded"`,
		"Growth limit exceeded: allocate 1 more license to the current year", `data-need="7"`)
	wantBody(t, "growth on the overview", admin.get(o.path("/products/adm-extend")), `data-warning="growth_limit_exceeded"`)
	fr := signedIn(t, o.a, o.people[access.Owner])
	inFrench(t, o.a, fr)
	r = fr.get(o.path("/products"))
	r.body = html.UnescapeString(r.body)
	wantBody(t, "growth in French", r, "Limite de croissance dépassée : affectez 1 licence de plus à l'année en cours")

	// Renewing ahead: the tab now proposes the next year, which earns no
	// compensation.
	r = admin.get(tab)
	wantBody(t, "next year proposed", r, `<option value="0" data-missing="4" selected>`, `<option value="1" data-missing="7">`)
	r = admin.get(tab + "/allocate?year=1&quantity=3")
	wantBody(t, "ahead", r, "Year 2, 1 year ahead (2037-03-01 – 2038-02-28)", "None: licenses allocated to a year ahead cover all of it.",
		`data-status="licensed" id="status-after"`)

	for _, tc := range []struct{ name, query, field string }{
		{"ErrYear", "year=6&quantity=1", "year"},
		{"ErrYearNotANumber", "year=next&quantity=1", "year"},
		{"ErrQuantity", "year=0&quantity=0", "quantity"},
		{"ErrQuantityNotANumber", "year=0&quantity=lots", "quantity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := admin.get(tab + "/allocate?" + tc.query)
			wantStatus(t, tc.query, r, http.StatusBadRequest)
			wantBody(t, tc.query, r, `id="form-error"`, "Could not allocate the licenses", `id="`+tc.field+`-error"`, `id="allocate-form"`)
		})
	}
}

// LIC-6: when the wallet holds fewer licenses than the form asks,
// "Confirm allocation" is disabled and the tab says what the wallet
// holds; a summary or an allocation asked anyway is refused (409) with
// that number, in English and French, and nothing changes.
func TestLIC6_ConfirmAllocationDisabledWhenWalletShort(t *testing.T) {
	o := newLicenseOrg(t, 3)
	o.redeem(t, "adm-extend", 2)
	o.start(t, "adm-extend")
	owner := signedIn(t, o.a, o.people[access.Owner])
	tab := o.path("/products/adm-extend/license")
	r := owner.get(tab)
	wantBody(t, "disabled", r, `value="3"`, `id="allocate-submit" disabled`, `<p class="alert warning" id="allocate-short">`,
		"The wallet holds only 2 licenses, fewer than asked: Confirm allocation is not available.")
	_, _, _, entries := o.state(t, "adm-extend")

	r = owner.get(tab + "/allocate?year=0&quantity=3")
	wantStatus(t, "summary", r, http.StatusConflict)
	wantBody(t, "summary", r, `id="form-error"`, `id="quantity-error"`, "holds 2 licenses; 3 asked",
		`value="3"`, `id="allocate-submit" disabled`)
	r = owner.post(tab+"/allocate", url.Values{"year": {"0"}, "quantity": {"3"}})
	wantStatus(t, "allocate", r, http.StatusConflict)
	wantBody(t, "allocate", r, "holds 2 licenses; 3 asked")
	if w, al, st, n := o.state(t, "adm-extend"); w != 2 || al != 0 || st != license.Trial || n != entries {
		t.Fatalf("a refused allocation changed something: wallet %d, allocated %d, status %s, %d entries (were %d)", w, al, st, n, entries)
	}
	inFrench(t, o.a, owner)
	r = owner.get(tab)
	r.body = html.UnescapeString(r.body)
	wantBody(t, "French", r, "Le portefeuille ne contient que 2 licences, moins que demandé : l'option Confirmer l'affectation n'est pas disponible.",
		`id="allocate-submit" disabled`, "Affecter des licences", "Besoin actuel")
	r = owner.get(tab + "/allocate?year=0&quantity=3")
	r.body = html.UnescapeString(r.body)
	wantStatus(t, "French summary", r, http.StatusConflict)
	wantBody(t, "French summary", r, "Impossible d'affecter les licences", "contient 2 licences ; demandé : 3")
	wantNoBody(t, "French summary", r, "holds 2 licenses")

	// Without any license the button is disabled whatever is asked.
	o.start(t, "acs-edge")
	wantBody(t, "empty wallet", owner.get(o.path("/products/acs-edge/license")), `id="allocate-submit" disabled`, "ne contient aucune licence de ce produit")
}

// LIC-9, LIC-5: allocated after the trial, licenses count from the day of
// the allocation and the summary says how many come back to the wallet
// and until when; the history then reads the compensation with its day.
// The Products page and the overview show the status with its warnings.
func TestLIC9_SummaryShowsCompensation(t *testing.T) {
	o := newLicenseOrg(t, 12)
	o.redeem(t, "adm-extend", 20)
	o.start(t, "adm-extend")
	o.a.Clock.Set(licenseT0.AddDate(0, 0, 100)) // 2036-06-09: the trial is over
	owner := signedIn(t, o.a, o.people[access.Owner])
	r := owner.get(o.path("/products"))
	wantBody(t, "unlicensed", r, `<tr data-product-id="adm-extend" data-status="unlicensed">`, "Unlicensed", `data-need="12"`)
	wantBody(t, "not started", r, `<tr data-product-id="acs-edge" data-status="not_started">`, "Not started")
	tab := o.path("/products/adm-extend/license")
	r = owner.get(tab + "/allocate?year=0&quantity=12")
	wantStatus(t, "summary", r, http.StatusOK)
	wantBody(t, "summary", r, `data-compensation="3"`,
		"3 licenses credited back to the wallet: the licenses count from 2036-06-09, and the days of the year before it are given back. They stay in the wallet until 2041-06-09.",
		`data-status="unlicensed" id="status-before"`, `data-status="licensed" id="status-after"`, `data-before="20" data-after="11"`)
	wantNoBody(t, "summary", r, `id="summary-endstrial"`)
	wantRedirect(t, "confirm", owner.post(tab+"/allocate", url.Values{"year": {"0"}, "quantity": {"12"}}), tab)
	wantBody(t, "flash", owner.get(tab), "12 licenses of AXIS Device Manager Extend allocated to subscription year 1. Status: Licensed. 3 licenses credited back to the wallet.")
	r = owner.get(o.path("/license-history?kind=compensation"))
	wantBody(t, "history", r, "3 licenses credited back to the wallet for the days of subscription year 1 before 2036-06-09, which the 12 allocated do not cover; they stay in the wallet until 2041-06-09.")

	// The renewal coming, with nothing allocated to the next year yet.
	o.a.Clock.Set(time.Date(2037, 2, 9, 9, 0, 0, 0, time.UTC))
	owner = signedIn(t, o.a, o.people[access.Owner])
	r = owner.get(o.path("/products"))
	wantBody(t, "renewal due", r, `<tr data-product-id="adm-extend" data-status="licensed">`, `data-warning="renewal_due"`,
		"Renewal due in 20 days: 12 licenses missing for subscription year 2")
	r = owner.get(o.path("/products/adm-extend"))
	wantBody(t, "overview", r, `data-status="licensed"`, "Renewal due in 20 days", `id="renews-on"`, "2037-03-01")
	inFrench(t, o.a, owner)
	r = owner.get(o.path("/products"))
	r.body = html.UnescapeString(r.body)
	wantBody(t, "French", r, "Sous licence", "Renouvellement dans 20 jours : 12 licences manquantes pour l'année d'abonnement 2",
		"Date de renouvellement")
}

// LIC-5: the overview breaks the need down per model and per folder, each
// linked to the device list filtered to it; a member limited to some
// folders reads the devices of the others as one number, without their
// names.
func TestLIC5_OverviewNeedBreakdown(t *testing.T) {
	o := newLicenseOrg(t, 2)
	owner := o.people[access.Owner]
	hall := o.a.Call("POST", "/api/v1/orgs/"+o.org+"/folders", owner.Token, map[string]string{"name": "Hall", "parent_id": o.root}).Str("id")
	garage := o.a.Call("POST", "/api/v1/orgs/"+o.org+"/folders", owner.Token, map[string]string{"name": "Garage", "parent_id": o.root}).Str("id")
	for i, m := range o.a.Mint(3) {
		f := hall
		if i == 2 {
			f = garage
		}
		o.a.Claim(owner.Token, o.org, m, f)
	}
	c := signedIn(t, o.a, owner)
	r := c.get(o.path("/products/adm-extend"))
	wantBody(t, "breakdown", r, `id="need-total" data-need="5"`, `id="need-models"`, `href="`+o.path("/devices")+`?model=AXIS&#43;P3265-LVE"`,
		`href="`+o.path("/devices")+`?folder=`+hall+`"`, `Default / Hall</a></td><td class="num">2</td>`,
		`Default / Garage</a></td><td class="num">1</td>`)
	wantNoBody(t, "everything seen", r, `id="need-unseen"`)

	op := o.a.Member(o.org, "hall.operator@example.com", access.Operator, hall)
	r = signedIn(t, o.a, op).get(o.path("/products/adm-extend"))
	wantBody(t, "limited", r, `id="need-total" data-need="5"`, `Default / Hall</a>`, `<tr id="need-unseen">`, "Folders outside your access")
	wantNoBody(t, "limited", r, "Garage", `?folder=`+garage)
}

// LIC-1, LIC-6: another organization's subscription pages do not exist for
// a person who is not its member, nor do unknown products'; a start or an
// allocation posted there changes nothing.
func TestLIC6_OtherOrganizationsSubscriptionPagesNotFound(t *testing.T) {
	o := newLicenseOrg(t, 1)
	o.redeem(t, "adm-extend", 5)
	o.start(t, "adm-extend")
	stranger := o.a.User("stranger@example.com")
	o.a.Org(stranger.Token, "Elsewhere")
	s := signedIn(t, o.a, stranger)
	for _, p := range []string{"/products/adm-extend/license", "/products/adm-extend/license/allocate?year=0&quantity=1",
		"/products/acs-edge/start"} {
		wantStatus(t, p, s.get(o.path(p)), http.StatusNotFound)
	}
	wantStatus(t, "start", s.post(o.path("/products/acs-edge/start"), nil), http.StatusNotFound)
	wantStatus(t, "allocate", s.post(o.path("/products/adm-extend/license/allocate"), url.Values{"year": {"0"}, "quantity": {"1"}}), http.StatusNotFound)
	if w, al, _, _ := o.state(t, "adm-extend"); w != 5 || al != 0 {
		t.Fatalf("a stranger allocated: wallet %d, allocated %d", w, al)
	}
	if _, _, st, _ := o.state(t, "acs-edge"); st != license.NotStarted {
		t.Fatalf("a stranger started acs-edge: %s", st)
	}
	c := signedIn(t, o.a, o.people[access.Owner])
	for _, p := range []string{"/products/nope/license", "/products/nope/start", "/products/nope/license/allocate?year=0&quantity=1"} {
		wantStatus(t, p, c.get(o.path(p)), http.StatusNotFound)
	}
	wantStatus(t, "unknown product", c.post(o.path("/products/nope/start"), nil), http.StatusNotFound)
	r := c.get(o.path("/products/acs-edge/license"))
	wantStatus(t, "not started", r, http.StatusOK)
	wantBody(t, "not started", r, `id="license-notstarted"`, "has not started in this organization")
	wantNoBody(t, "not started", r, `id="allocate-form"`)
}
