package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
	"mysystems/internal/license"
	"mysystems/internal/text"
)

// The LICENSES pages (SPEC §9), shaped as the manual's "Gérer les
// licences": Products, the catalogue with the licenses each has in the
// wallet and its status; per product, tabs (productTabs): Overview with
// the license status and "Start your subscription" (LIC-1, LIC-4, LIC-5),
// Product wallet with "Convert license key" (LIC-2, LIC-3), Product license
// with "Allocate licenses" (LIC-6, LIC-9; pages_subscriptions.go), and
// History (LIC-13), which is also the history of every product at once. The routes are in web.go's
// Register: products under /orgs/{org}/products/{product} and the history
// at /orgs/{org}/license-history, as in the API, so that no product id can
// shadow a page.

// productTab is a tab of a product's pages.
type productTab struct {
	// Name is the tab's id in the page (tab-<name>) and what productTabs
	// is told is active.
	Name, Label, Href string
	Active            bool
}

// productTabs are the tabs of a product's pages, in the manual's order.
// A page of a product appends itself here, in its place: Product license
// (allocation) goes after Product wallet, System after it.
func (c *call) productTabs(p license.Product, active string) []productTab {
	base := c.productURL(p.ID)
	tabs := []productTab{
		{Name: "overview", Label: c.t("licenses.tab.overview"), Href: base},
		{Name: "wallet", Label: c.t("licenses.tab.wallet"), Href: base + "/wallet"},
	}
	if p.Licensing != license.Hardware {
		// A hardware-linked product has no subscription years to allocate to.
		tabs = append(tabs, productTab{Name: "license", Label: c.t("licenses.tab.license"), Href: base + "/license"})
	}
	tabs = append(tabs, productTab{Name: "history", Label: c.t("licenses.tab.history"), Href: c.historyURL(p.ID)})
	for i := range tabs {
		tabs[i].Active = tabs[i].Name == active
	}
	return tabs
}

func (c *call) productURL(id string) string { return c.orgURL("products/" + url.PathEscape(id)) }

// historyURL is the license history, of one product or ("") of every one.
func (c *call) historyURL(product string) string {
	if product == "" {
		return c.orgURL("license-history")
	}
	return c.orgURL("license-history") + "?product=" + url.QueryEscape(product)
}

// licensingLabel names a licensing model in the page's language.
func (c *call) licensingLabel(l license.Licensing) string {
	return c.t("licenses.licensing." + string(l))
}

// featureLabel names a gated portal feature ("axis-os-upgrades").
func (c *call) featureLabel(f license.Feature) string {
	return c.t("licenses.feature." + strings.ReplaceAll(string(f), "-", "_"))
}

// subscriptionYear writes a subscription year for people: the year k that
// begins k years after the organization's anchor is "year k+1".
func subscriptionYear(k int) string {
	if k < 0 {
		return ""
	}
	return strconv.Itoa(k + 1)
}

// productHead is the top of every page of a product: its name and tabs.
type productHead struct {
	Product   license.Product
	Licensing string
	Tabs      []productTab
}

func (c *call) productHead(p license.Product, tab string) productHead {
	return productHead{Product: p, Licensing: c.licensingLabel(p.Licensing), Tabs: c.productTabs(p, tab)}
}

// productRow is a product of the catalogue on the Products page.
type productRow struct {
	ID, Name, Licensing, Href string
	Available                 int
	Status                    statusView
	// Subscription: the product has subscriptions (not hardware-linked
	// only), so it has a status, a need and a renewal date.
	Subscription    bool
	Need, Allocated int
	RenewsOn        string
}

type productsPage struct {
	Products []productRow
	History  string
}

// products lists the catalogue with each product's status in the
// organization, its need, what is allocated to the current year, the
// licenses in its wallet and its renewal date (every member; LIC-5).
func (u *UI) products(c *call) {
	if !c.allowed(access.ViewLicenses) {
		return
	}
	ps, err := u.d.Licenses.OrgProducts(c.r.Context(), c.actor, c.org.ID)
	if err != nil {
		c.fail(err)
		return
	}
	page := productsPage{History: c.historyURL("")}
	for _, p := range ps {
		row := productRow{ID: p.Product.ID, Name: p.Product.Name, Licensing: c.licensingLabel(p.Product.Licensing),
			Href: c.productURL(p.Product.ID), Available: p.Wallet, Subscription: p.Product.Licensing != license.Hardware,
			Status: c.statusView(p), Need: p.Need, Allocated: p.Allocated}
		if !p.RenewsOn.IsZero() {
			row.RenewsOn = p.RenewsOn.String()
		}
		page.Products = append(page.Products, row)
	}
	v := c.view("licenses.products.title", "products")
	v.Data = page
	c.render(http.StatusOK, "licenses", v)
}

// wallet reads the wallet of the path's product; ok is false when the
// answer was already written (an unknown product is a page that does not
// exist).
func (c *call) wallet() (license.Wallet, bool) {
	if !c.allowed(access.ViewLicenses) {
		return license.Wallet{}, false
	}
	w, err := c.u.d.Licenses.Wallet(c.r.Context(), c.actor, c.org.ID, c.r.PathValue("product"))
	if err != nil {
		c.fail(err)
		return w, false
	}
	return w, true
}

// lotRow is a lot of the wallet.
type lotRow struct {
	ID                 string
	Quantity, Original int
	Source, SourceCode string
	Entered, Expires   string
	// Soon: the lot leaves the wallet within expiringSoonDays.
	Soon bool
	// New: the lot a conversion just added.
	New bool
}

// expiredRow is a lot that left the wallet on its expiry (from the
// history's expiry entries).
type expiredRow struct {
	Lot      string
	Quantity int
	Day      string
}

// expiringSoonDays is how close to its expiry a lot is marked as leaving
// the wallet soon.
const expiringSoonDays = 90

type walletPage struct {
	Head      productHead
	Lots      []lotRow
	Expired   []expiredRow
	Available int
	// CanConvert: the caller may convert keys (Owners and Admins).
	CanConvert bool
	OrgName    string
	Action     string
	// Years is how long a lot stays in the wallet.
	Years int
}

// walletView builds the wallet page of w; newLot marks the lot a
// conversion just added.
func (c *call) walletView(w license.Wallet, newLot string) *view {
	page := &walletPage{Head: c.productHead(w.Product, "wallet"), Available: w.Available,
		CanConvert: c.can(access.ManageLicenses), OrgName: c.org.Name, Action: c.productURL(w.Product.ID) + "/wallet", Years: license.LotYears}
	today := license.DateOf(c.now())
	for _, l := range w.Lots {
		page.Lots = append(page.Lots, lotRow{ID: l.ID, Quantity: l.Quantity, Original: l.Original,
			Source: c.t("licenses.source." + string(l.Source)), SourceCode: string(l.Source),
			Entered: l.Entered.String(), Expires: l.Expires.String(),
			Soon: l.Expires.Sub(today) <= expiringSoonDays, New: newLot != "" && l.ID == newLot})
	}
	expired, err := c.u.d.Licenses.History(c.r.Context(), c.actor, c.org.ID,
		license.HistoryFilter{Product: w.Product.ID, Kind: license.KindExpiry}, audit.Page{Limit: 20})
	if err != nil {
		// The expired lots are a reminder; the wallet itself can be shown.
		c.u.d.Log.ErrorContext(c.r.Context(), "web: expired lots", "err", err)
	}
	for _, e := range expired.Entries {
		page.Expired = append(page.Expired, expiredRow{Lot: e.Lot, Quantity: e.Quantity, Day: e.Day.String()})
	}
	v := c.view("licenses.wallet.title", "products")
	v.Title = c.t("licenses.wallet.pagetitle", w.Product.Name)
	v.Data = page
	return v
}

func (u *UI) productWallet(c *call) {
	w, ok := c.wallet()
	if !ok {
		return
	}
	c.render(http.StatusOK, "license_wallet", c.walletView(w, c.r.URL.Query().Get("new")))
}

// convertKey converts a license key into the wallet of its product
// (LIC-3; Owners and Admins). The key may be typed or pasted with spaces,
// hyphens and in lower case; a refusal shows the form again with what was
// typed. The key may be of another product than the page's: its licenses
// go to that product's wallet, which the person is then shown.
func (u *UI) convertKey(c *call) {
	w, ok := c.wallet()
	if !ok || !c.allowed(access.ManageLicenses) {
		return
	}
	typed := c.r.PostFormValue("key")
	r, err := u.d.Licenses.Redeem(c.r.Context(), c.actor, c.org.ID, typed)
	if err != nil {
		v := c.walletView(w, "")
		v.Form["key"] = typed
		c.convertFailed(v, err)
		return
	}
	c.flash("flash.license.convert", c.t("licenses.flash.converted", r.Lot.Quantity, r.Product.Name, c.org.Name))
	c.redirect(c.productURL(r.Product.ID) + "/wallet?new=" + url.QueryEscape(r.Lot.ID) + "#lot-" + r.Lot.ID)
}

// convertFailed shows a refused key on the form: mistyped (400), unknown
// (404) or converted already (409), next to the field in the person's
// language. Anything else is not about the key.
func (c *call) convertFailed(v *view, err error) {
	e, ok := errs.As(err)
	status := edge.Status(err)
	switch {
	case !ok || status >= 500 || status == http.StatusForbidden:
		c.fail(err)
		return
	case status == http.StatusNotFound && e.Key != "err.license.key_unknown":
		c.fail(err)
		return
	}
	v.Errors["key"] = e.In(c.lang)
	v.FormError = c.t("form.error.license.convert", e.In(c.lang))
	c.render(status, "license_wallet", v)
}

// historyRow is a history entry as people read it.
type historyRow struct {
	license.Entry
	// Who is the e-mail a person acted with (an identifier, not
	// translated); WhoLabel names the portal or vendor support in words.
	Who, WhoLabel string
	ProductName   string
	ProductHref   string
	KindLabel     string
	YearLabel     string
	Sentence      string
}

type historyPage struct {
	// Head is the product's head when the history is of one product of the
	// catalogue.
	Head     *productHead
	Entries  []historyRow
	Products []option
	Kinds    []option
	// Links keep the filters; each is empty when there is no such page.
	Next, Prev, First, Export string
	// All is the history of every product.
	All string
}

// historyParams are the query parameters of the history's filters, in the
// order links keep them.
var historyParams = []string{"product", "kind", "since", "until"}

const historyPageSize = 50

// licenseHistory shows the organization's license history, newest first,
// filtered as the API's (LIC-13; every member).
func (u *UI) licenseHistory(c *call) {
	if !c.allowed(access.ViewLicenses) {
		return
	}
	q := c.r.URL.Query()
	keep := url.Values{}
	for _, k := range historyParams {
		if s := strings.TrimSpace(q.Get(k)); s != "" {
			keep.Set(k, s)
		}
	}
	ps, err := u.d.Licenses.Products(c.r.Context())
	if err != nil {
		c.fail(err)
		return
	}
	names := map[string]string{}
	for _, p := range ps {
		names[p.ID] = p.Name
	}
	v := c.view("licenses.history.title", "products")
	for k := range keep {
		v.Form[k] = keep.Get(k)
	}
	page := &historyPage{Export: c.orgURL("license-history/export.csv"), All: c.historyURL("")}
	if enc := keep.Encode(); enc != "" {
		page.Export += "?" + enc
	}
	product := strings.ToLower(keep.Get("product"))
	if i := slices.IndexFunc(ps, func(p license.Product) bool { return p.ID == product }); i >= 0 {
		h := c.productHead(ps[i], "history")
		page.Head = &h
		v.Title = c.t("licenses.history.pagetitle", ps[i].Name)
	}
	page.Products = append(page.Products, option{Value: "", Label: c.t("licenses.history.anyproduct")})
	for _, p := range ps {
		page.Products = append(page.Products, option{Value: p.ID, Label: p.Name, Selected: p.ID == product})
	}
	if product != "" && page.Head == nil {
		page.Products = append(page.Products, option{Value: product, Label: product, Selected: true})
	}
	page.Kinds = append(page.Kinds, option{Value: "", Label: c.t("licenses.history.anykind")})
	for _, k := range license.Kinds {
		page.Kinds = append(page.Kinds, option{Value: string(k), Label: c.kindLabel(k), Selected: string(k) == keep.Get("kind")})
	}
	v.Data = page
	if k := keep.Get("kind"); k != "" && !slices.Contains(license.Kinds, license.Kind(k)) {
		// The page names kinds by their labels, never by the API's codes.
		c.listFailed("license_history", v, errs.InvalidField("kind", "licenses.history.kind.unknown", text.Cut(k, 40)))
		return
	}
	f, err := license.ParseHistoryFilter(q)
	if err != nil {
		c.listFailed("license_history", v, err)
		return
	}
	p, err := audit.ParsePage(q)
	if err != nil {
		c.listFailed("license_history", v, err)
		return
	}
	h, err := u.d.Licenses.History(c.r.Context(), c.actor, c.org.ID, f, audit.Page{Limit: historyPageSize, Cursor: p.Cursor})
	if err != nil {
		c.listFailed("license_history", v, err)
		return
	}
	for _, e := range h.Entries {
		page.Entries = append(page.Entries, c.historyRow(e, names))
	}
	page.Next, page.Prev, page.First = c.historyLinks(keep, p.Cursor, h.Next)
	c.render(http.StatusOK, "license_history", v)
}

// historyLinks are the next, previous and first pages around the page at
// cursor ("" for the first), whose following page starts at next; the
// cursors of the pages before this one travel in "prev" as the device
// list's do.
func (c *call) historyLinks(keep url.Values, cursor, next string) (nextURL, prevURL, firstURL string) {
	prevs := splitCursors(strings.TrimSpace(c.r.URL.Query().Get("prev")))
	if len(prevs) > maxPrevPages {
		prevs = prevs[len(prevs)-maxPrevPages:]
	}
	link := func(cursor string, before []string) string {
		q := url.Values{}
		for k, vs := range keep {
			q[k] = vs
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		if len(before) > 0 {
			q.Set("prev", strings.Join(before, cursorSep))
		}
		if enc := q.Encode(); enc != "" {
			return c.orgURL("license-history") + "?" + enc
		}
		return c.orgURL("license-history")
	}
	if next != "" {
		before := prevs
		if cursor != "" {
			before = append(slices.Clip(prevs), cursor)
		}
		nextURL = link(next, before)
	}
	if cursor != "" {
		firstURL = link("", nil)
		if n := len(prevs); n > 0 {
			prevURL = link(prevs[n-1], prevs[:n-1])
		} else {
			prevURL = firstURL
		}
	}
	return nextURL, prevURL, firstURL
}

// maxPrevPages bounds the earlier pages a history link remembers, so that
// links stay short: past it, Previous stops at the oldest one remembered
// and First still leads to the first page.
const maxPrevPages = 20

func (c *call) kindLabel(k license.Kind) string { return c.t("licenses.kind." + string(k)) }

// historyRow renders an entry in the page's language.
func (c *call) historyRow(e license.Entry, names map[string]string) historyRow {
	row := historyRow{Entry: e, ProductName: names[e.Product], KindLabel: c.kindLabel(e.Kind), YearLabel: subscriptionYear(e.Year),
		Sentence: c.historySentence(e)}
	if row.ProductName == "" {
		row.ProductName = e.Product
	} else {
		row.ProductHref = c.productURL(e.Product)
	}
	switch e.Actor.Kind {
	case audit.KindUser:
		row.Who = e.Actor.Email
		if row.Who == "" {
			row.WhoLabel = c.t("audit.actor.someone")
		}
	case audit.KindVendor:
		name := strings.TrimPrefix(e.Actor.Email, "vendor:")
		if name == "" {
			name = e.Actor.ID
		}
		row.WhoLabel = c.t("audit.actor.vendor", name)
	default:
		row.WhoLabel = c.t("audit.actor.system")
	}
	return row
}

// historySentence says what an entry did, from its kind, quantity, year
// and the details the service writes (license.Service): start has
// trial_ends and anchor; allocate lots ("lot:n,…") and status (the status
// it led to); compensation from (the day t), allocated and expires_on;
// renewal need; status from and to. An entry without them (written before
// they were recorded) still reads as a shorter sentence.
func (c *call) historySentence(e license.Entry) string {
	d := e.Details
	year := subscriptionYear(e.Year)
	switch e.Kind {
	case license.KindStart:
		if d["trial_ends"] != "" && d["anchor"] != "" {
			return c.t("licenses.say.start", license.TrialDays, d["trial_ends"], d["anchor"])
		}
		return c.t("licenses.say.start.short", license.TrialDays)
	case license.KindRedeem:
		if d["key_end"] != "" && d["expires_on"] != "" {
			return c.t("licenses.say.redeem", e.Quantity, d["key_end"], d["expires_on"])
		}
		return c.t("licenses.say.redeem.short", e.Quantity)
	case license.KindAllocate:
		switch {
		case year != "" && knownStatus(d["status"]):
			return c.t("licenses.say.allocate.status", e.Quantity, year, i18n.Key("licenses.status."+d["status"]))
		case year != "":
			return c.t("licenses.say.allocate", e.Quantity, year)
		}
		return c.t("licenses.say.allocate.short", e.Quantity)
	case license.KindCompensation:
		n, err := strconv.Atoi(d["allocated"])
		switch {
		case year != "" && err == nil && d["from"] != "" && d["expires_on"] != "":
			return c.t("licenses.say.compensation.from", e.Quantity, year, d["from"], n, d["expires_on"])
		case year != "":
			return c.t("licenses.say.compensation", e.Quantity, year)
		}
		return c.t("licenses.say.compensation.short", e.Quantity)
	case license.KindRenewal:
		if n, err := strconv.Atoi(d["need"]); err == nil && year != "" {
			return c.t("licenses.say.renewal.need", n, year)
		}
		return c.t("licenses.say.renewal", year)
	case license.KindExpiry:
		return c.t("licenses.say.expiry", e.Quantity)
	case license.KindStatus:
		from, to := d["from"], d["to"]
		if knownStatus(from) && knownStatus(to) {
			return c.t("licenses.say.status", i18n.Key("licenses.status."+from), i18n.Key("licenses.status."+to))
		}
		if knownStatus(to) {
			return c.t("licenses.say.status.to", i18n.Key("licenses.status."+to))
		}
		return c.t("licenses.say.status.changed")
	}
	return c.t("licenses.say.other", e.Quantity)
}

func knownStatus(s string) bool {
	return slices.Contains([]license.Status{license.NotStarted, license.Trial, license.Licensed, license.Grace, license.Unlicensed}, license.Status(s))
}

// licenseHistoryCSV streams the filtered history as CSV, the API's export
// (LIC-13).
func (u *UI) licenseHistoryCSV(c *call) {
	f, err := license.ParseHistoryFilter(c.r.URL.Query())
	if err != nil {
		c.fail(err)
		return
	}
	out := edge.NewCSV(c.w, "license-history-"+c.org.ID+".csv")
	if err := out.End(u.d.Log, c.r, u.d.Licenses.ExportHistory(c.r.Context(), c.actor, c.org.ID, f, out)); err != nil {
		c.fail(err)
	}
}
