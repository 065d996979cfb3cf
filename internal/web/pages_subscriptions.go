package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mysystems/internal/access"
	"mysystems/internal/errs"
	"mysystems/internal/license"
)

// The subscription pages of a product (SPEC §9), shaped as the manual's
// "Démarrer un abonnement", "Attribution de licences d'abonnement" and
// "Renouveler des abonnements": the Overview's License status with "Start
// your subscription" behind a confirmation step (LIC-1, LIC-4, LIC-5), and
// the Product license tab, where Owners and Admins allocate licenses of
// the wallet to the current year or up to five years ahead: "Allocate
// licenses" → "Confirm allocation" (the summary, which changes nothing) →
// "Confirm" (LIC-6, LIC-9). The summary is a GET: it only reads.

// statusView is a product's license status as the pages show it.
type statusView struct {
	// Code is the license.Status (the badge's class and data-status).
	Code string
	// Badge is the status in words with its days left ("Trial · 12 days
	// left").
	Badge string
	// Warnings are the status's warnings in words.
	Warnings []statusWarning
}

type statusWarning struct {
	Code, Text string
}

// statusView puts p's status in words: a hardware-linked product has no
// subscription, so no status of its own.
func (c *call) statusView(p license.ProductStatus) statusView {
	return c.viewOf(p.Product, p.View, p.Year)
}

// viewOf puts a status on the day in words; year is the current
// subscription year (k), for the renewal warning's next year.
func (c *call) viewOf(p license.Product, v license.View, year int) statusView {
	s := statusView{Code: string(v.Status)}
	switch {
	case p.Licensing == license.Hardware:
		s.Code, s.Badge = "hardware", c.licensingLabel(license.Hardware)
	case v.Status == license.Trial:
		s.Badge = c.t("licenses.badge.trial", v.DaysLeft)
	case v.Status == license.Grace:
		s.Badge = c.t("licenses.badge.grace", v.DaysLeft)
	case knownStatus(string(v.Status)):
		s.Badge = c.t("licenses.status." + string(v.Status))
	default:
		s.Badge = string(v.Status)
	}
	for _, w := range v.Warnings {
		switch w.Code {
		case license.GrowthLimitExceeded:
			s.Warnings = append(s.Warnings, statusWarning{string(w.Code), c.t("licenses.warning.growth_limit_exceeded", w.Quantity)})
		case license.RenewalDue:
			text := c.t("licenses.warning.renewal_due", w.Days)
			if w.Quantity > 0 {
				text = c.t("licenses.warning.join", text, c.t("licenses.warning.renewal_due.missing", w.Quantity, subscriptionYear(year+1)))
			}
			s.Warnings = append(s.Warnings, statusWarning{string(w.Code), text})
		}
	}
	return s
}

// needRow is a line of the need's breakdown: a model or a folder, with the
// device list filtered to it.
type needRow struct {
	Label, Href string
	Devices     int
}

// overviewPage is a product's overview: its license status (LIC-5), the
// need and where it comes from, and what the catalogue says of it.
type overviewPage struct {
	Head      productHead
	Covers    []string
	Features  []string
	Available int
	Wallet    string

	Status statusView
	// Subscription: the product has subscriptions; Started: it started
	// here (on StartedOn).
	Subscription, Started bool
	StartedOn             string
	TrialEnd, GraceEnd    string
	RenewsOn              string
	YearStart, YearEnd    string
	Year                  string
	Need, Allocated       int
	YearNeed              int
	// CanStart: the caller may start the product (Owners and Admins);
	// Start is the confirmation step.
	CanStart bool
	Start    string
	License  string
	Models   []needRow
	Folders  []needRow
	// Unseen is the devices of the need in folders the caller does not
	// see (ACC-1): counted, never named.
	Unseen    int
	TrialDays int
}

func (u *UI) productOverview(c *call) {
	o, ok := c.overview()
	if !ok {
		return
	}
	p := o.Product
	base := c.productURL(p.ID)
	page := overviewPage{Head: c.productHead(p, "overview"), Covers: p.Covers, Available: o.Wallet, Wallet: base + "/wallet",
		Status: c.statusView(o.ProductStatus), Subscription: p.Licensing != license.Hardware, Started: !o.Started.IsZero(),
		CanStart: c.can(access.ManageLicenses), Start: base + "/start", License: base + "/license",
		Need: o.Need, Allocated: o.Allocated, YearNeed: o.YearNeed, TrialDays: license.TrialDays}
	for _, f := range p.Gates {
		page.Features = append(page.Features, c.featureLabel(f))
	}
	if page.Started {
		page.StartedOn, page.TrialEnd = o.Started.String(), o.TrialEnd.String()
		page.YearStart, page.YearEnd, page.Year = o.YearStart.String(), o.YearEnd.String(), subscriptionYear(o.Year)
	}
	if !o.GraceEnd.IsZero() {
		page.GraceEnd = o.GraceEnd.String()
	}
	if !o.RenewsOn.IsZero() {
		page.RenewsOn = o.RenewsOn.String()
	}
	for _, m := range o.Models {
		page.Models = append(page.Models, needRow{Label: m.Model, Devices: m.Devices,
			Href: c.orgURL("devices") + "?model=" + url.QueryEscape(m.Model)})
	}
	seen, err := c.folders()
	if err != nil {
		c.fail(err)
		return
	}
	visible := map[string]bool{}
	for _, f := range seen {
		visible[f.ID] = true
	}
	for _, f := range o.Folders {
		if !visible[f.FolderID] {
			page.Unseen += f.Devices
			continue
		}
		page.Folders = append(page.Folders, needRow{Label: f.Path, Devices: f.Devices,
			Href: c.orgURL("devices") + "?folder=" + url.QueryEscape(f.FolderID)})
	}
	v := c.view("licenses.overview.title", "products")
	v.Title = p.Name
	v.Data = page
	c.render(http.StatusOK, "license_overview", v)
}

// overview reads the path's product in the organization; ok is false when
// the answer was already written (an unknown product is a page that does
// not exist).
func (c *call) overview() (license.Overview, bool) {
	if !c.allowed(access.ViewLicenses) {
		return license.Overview{}, false
	}
	o, err := c.u.d.Licenses.Product(c.r.Context(), c.actor, c.org.ID, c.r.PathValue("product"))
	if err != nil {
		c.fail(err)
		return o, false
	}
	return o, true
}

// startPage is the confirmation step of "Start your subscription": what
// starting does, the trial's end and the renewal date the product's
// subscription years will have.
type startPage struct {
	Head    productHead
	OrgName string
	// Hardware: the product has no subscription to start; StartedOn is set
	// when it started already. Either way there is no form.
	Hardware  bool
	StartedOn string
	TrialEnd  string
	RenewsOn  string
	// First: no product started in the organization yet, so this one sets
	// its subscription period (anchored today).
	First        bool
	TrialDays    int
	Action, Back string
}

// startView builds the confirmation step of starting o's product.
func (c *call) startView(o license.Overview) *view {
	p := o.Product
	today := license.DateOf(c.now())
	page := &startPage{Head: c.productHead(p, "overview"), OrgName: c.org.Name, Hardware: p.Licensing == license.Hardware,
		TrialEnd: license.Subscribed{Started: today}.TrialLast().String(), TrialDays: license.TrialDays,
		Action: c.productURL(p.ID) + "/start", Back: c.productURL(p.ID) + "#license-status"}
	if !o.Started.IsZero() {
		page.StartedOn = o.Started.String()
	}
	// The organization's period is on the view once any product started
	// (Evaluate sets the current year's dates): the product joins that
	// year; else it sets the period today.
	if o.YearStart.IsZero() {
		page.First = true
		page.RenewsOn = license.Period{Anchor: today}.NextRenewal(today).String()
	} else {
		page.RenewsOn = o.YearEnd.AddDays(1).String()
	}
	v := c.view("licenses.start.title", "products")
	v.Title = c.t("licenses.start.pagetitle", p.Name)
	v.Data = page
	return v
}

// startForm is the confirmation step of "Start your subscription" (Owners
// and Admins).
func (u *UI) startForm(c *call) {
	o, ok := c.overview()
	if !ok || !c.allowed(access.ManageLicenses) {
		return
	}
	c.render(http.StatusOK, "license_start", c.startView(o))
}

// startSubscription starts the product's 30-day trial (LIC-1, LIC-4;
// Owners and Admins) and shows the overview, whose License status then
// says "Subscription started" with the trial's end.
func (u *UI) startSubscription(c *call) {
	o, ok := c.overview()
	if !ok || !c.allowed(access.ManageLicenses) {
		return
	}
	st, err := u.d.Licenses.Start(c.r.Context(), c.actor, c.org.ID, o.Product.ID)
	if err != nil {
		c.failedTo("form.error.license.start", "license_start", c.startView(o), err)
		return
	}
	c.flash("flash.license.start", c.t("licenses.flash.started", st.Product.Name, st.TrialEnd.String()))
	c.redirect(c.productURL(st.Product.ID) + "#license-status")
}

// yearRow is a subscription year on the Product license tab.
type yearRow struct {
	// Ahead is 0 for the current year, 1…5 for the years after it.
	Ahead              int
	Label              string
	Start, End         string
	Allocated, Missing int
	// Need is what the year must reach: the current need, and for the
	// current year at least its recorded need.
	Need int
}

// yearOption is a year of the allocation form, with what it misses of the
// current need (the quantity the form proposes for it).
type yearOption struct {
	Value, Label string
	Missing      int
	Selected     bool
}

// licensePage is the Product license tab: the current year and the years
// ahead with what is allocated to each against the current need, and the
// "Allocate licenses" form (Owners and Admins).
type licensePage struct {
	Head         productHead
	Status       statusView
	Subscription bool
	Started      bool
	Overview     string
	Need         int
	YearNeed     int
	Years        []yearRow
	Wallet       int
	WalletHref   string
	// CanAllocate: the caller may allocate; Options are the form's years.
	CanAllocate bool
	Options     []yearOption
	Action      string
	// Short: the quantity in the form is more than the wallet holds, so
	// "Confirm allocation" is disabled (the manual: the option is not
	// available without enough licenses).
	Short bool
}

// period returns the organization's subscription period from its
// products: the anchor is the day the first product started (LIC-4). The
// zero Period while none has.
func period(ps []license.ProductStatus) license.Period {
	var anchor license.Date
	for _, p := range ps {
		if !p.Started.IsZero() && (anchor.IsZero() || p.Started.Before(anchor)) {
			anchor = p.Started
		}
	}
	return license.Period{Anchor: anchor}
}

// orgProduct reads every product's status and returns the path's product
// with the organization's period; ok is false when the answer was already
// written.
func (c *call) orgProduct() (license.ProductStatus, license.Period, bool) {
	if !c.allowed(access.ViewLicenses) {
		return license.ProductStatus{}, license.Period{}, false
	}
	ps, err := c.u.d.Licenses.OrgProducts(c.r.Context(), c.actor, c.org.ID)
	if err != nil {
		c.fail(err)
		return license.ProductStatus{}, license.Period{}, false
	}
	id := strings.ToLower(strings.TrimSpace(c.r.PathValue("product")))
	for _, p := range ps {
		if p.Product.ID == id {
			return p, period(ps), true
		}
	}
	c.notFound()
	return license.ProductStatus{}, license.Period{}, false
}

// yearLabel names the year ahead years after the current year k.
func (c *call) yearLabel(k, ahead int) string {
	if ahead == 0 {
		return c.t("licenses.year.current", subscriptionYear(k))
	}
	return c.t("licenses.year.ahead", subscriptionYear(k+ahead), ahead)
}

// licenseView builds the Product license tab of p. The form's year and
// quantity are form's when given (a refused allocation), else the first
// year that misses licenses for the current need and what it misses.
func (c *call) licenseView(p license.ProductStatus, per license.Period, form map[string]string) *view {
	base := c.productURL(p.Product.ID)
	page := &licensePage{Head: c.productHead(p.Product, "license"), Status: c.statusView(p),
		Subscription: p.Product.Licensing != license.Hardware, Started: !p.Started.IsZero(), Overview: base + "#license-status",
		Need: p.Need, YearNeed: p.YearNeed, Wallet: p.Wallet, WalletHref: base + "/wallet",
		CanAllocate: c.can(access.ManageLicenses), Action: base + "/license/allocate"}
	v := c.view("licenses.license.title", "products")
	v.Title = c.t("licenses.license.pagetitle", p.Product.Name)
	v.Data = page
	if !page.Started || !per.Started() {
		return v
	}
	first := -1
	for ahead := 0; ahead <= license.YearsAhead; ahead++ {
		k := p.Year + ahead
		allocated, target := p.Allocated, max(p.Need, p.YearNeed)
		if ahead > 0 {
			allocated, target = p.Ahead[ahead-1], p.Need
		}
		row := yearRow{Ahead: ahead, Label: c.yearLabel(p.Year, ahead), Start: per.YearStart(k).String(), End: per.YearEnd(k).String(),
			Allocated: allocated, Need: target, Missing: max(target-allocated, 0)}
		page.Years = append(page.Years, row)
		page.Options = append(page.Options, yearOption{Value: strconv.Itoa(ahead), Missing: row.Missing,
			Label: c.t("licenses.year.option", row.Label, row.Start, row.End)})
		if first < 0 && row.Missing > 0 {
			first = ahead
		}
	}
	if form != nil {
		for k, s := range form {
			v.Form[k] = s
		}
	} else {
		first = max(first, 0)
		v.Form["year"] = strconv.Itoa(first)
		if n := page.Years[first].Missing; n > 0 {
			v.Form["quantity"] = strconv.Itoa(n)
		}
	}
	for i := range page.Options {
		page.Options[i].Selected = page.Options[i].Value == v.Form["year"]
	}
	n, err := strconv.Atoi(v.Form["quantity"])
	page.Short = page.Wallet == 0 || err == nil && n > page.Wallet
	return v
}

// productLicense is the Product license tab (every member; the form for
// Owners and Admins).
func (u *UI) productLicense(c *call) {
	p, per, ok := c.orgProduct()
	if !ok {
		return
	}
	c.render(http.StatusOK, "license_product", c.licenseView(p, per, nil))
}

// allocationPage is the summary of an allocation (LIC-6, LIC-9): the year,
// the lots the licenses leave and their expiry, the compensation credited
// back and the status it leads to; Confirm carries it out.
type allocationPage struct {
	Head               productHead
	Year               string
	YearStart, YearEnd string
	Ahead, Quantity    int
	Lots               []takenRow
	Compensation       int
	From               string
	CompensationUntil  string
	EndsTrial          bool
	Before, After      statusView
	WalletBefore       int
	WalletAfter        int
	Action, Back       string
}

type takenRow struct {
	Quantity int
	Expires  string
}

// allocateForm reads the allocation form (as typed, in form): the year
// ahead (0…5) and the quantity, each a whole number; the service checks
// their ranges.
func allocateForm(get func(string) string) (form map[string]string, ahead, quantity int, err error) {
	form = map[string]string{"year": strings.TrimSpace(get("year")), "quantity": strings.TrimSpace(get("quantity"))}
	if ahead, err = strconv.Atoi(form["year"]); err != nil {
		return form, 0, 0, errs.InvalidField("year", "licenses.allocate.year.invalid", license.YearsAhead)
	}
	if quantity, err = strconv.Atoi(form["quantity"]); err != nil {
		return form, 0, 0, errs.InvalidField("quantity", "licenses.allocate.quantity.invalid")
	}
	return form, ahead, quantity, nil
}

// allocateFailed shows a refused allocation on the Product license tab,
// with what was asked kept: more than the wallet holds (409, saying what
// it holds, next to the quantity) or a year or quantity out of range
// (400).
func (c *call) allocateFailed(p license.ProductStatus, per license.Period, form map[string]string, err error) {
	v := c.licenseView(p, per, form)
	if e, ok := errs.As(err); ok && e.Key == "err.license.wallet_short" {
		v.Errors["quantity"] = e.In(c.lang)
	}
	c.failedTo("form.error.license.allocate", "license_product", v, err)
}

// allocationSummary is "Confirm allocation": the summary of what the
// allocation would do, computed by the service without changing anything
// (Owners and Admins).
func (u *UI) allocationSummary(c *call) {
	p, per, ok := c.orgProduct()
	if !ok || !c.allowed(access.ManageLicenses) {
		return
	}
	form, ahead, quantity, err := allocateForm(c.r.URL.Query().Get)
	if err == nil {
		var a license.Allocation
		a, err = u.d.Licenses.Allocate(c.r.Context(), c.actor, c.org.ID, p.Product.ID, ahead, quantity, false)
		if err == nil {
			c.render(http.StatusOK, "license_allocate", c.allocationView(p, per, ahead, a))
			return
		}
	}
	c.allocateFailed(p, per, form, err)
}

func (c *call) allocationView(p license.ProductStatus, per license.Period, ahead int, a license.Allocation) *view {
	base := c.productURL(p.Product.ID)
	page := &allocationPage{Head: c.productHead(p.Product, "license"), Year: c.yearLabel(p.Year, ahead),
		YearStart: a.YearStart.String(), YearEnd: per.YearEnd(a.Year).String(), Ahead: ahead, Quantity: a.Quantity,
		Compensation: a.Compensation, From: a.From.String(), EndsTrial: a.EndsTrial,
		Before: c.viewOf(p.Product, p.View, p.Year), After: c.statusView(a.Status),
		WalletBefore: a.Wallet, WalletAfter: a.Status.Wallet, Action: base + "/license/allocate", Back: base + "/license"}
	if a.Compensation > 0 {
		page.CompensationUntil = license.LotExpiry(license.DateOf(c.now())).String()
	}
	for _, l := range a.Lots {
		page.Lots = append(page.Lots, takenRow{Quantity: l.Quantity, Expires: l.Expires.String()})
	}
	v := c.view("licenses.allocate.title", "products")
	v.Title = c.t("licenses.allocate.pagetitle", p.Product.Name)
	v.Form["year"], v.Form["quantity"] = strconv.Itoa(ahead), strconv.Itoa(a.Quantity)
	v.Data = page
	return v
}

// allocate carries out a confirmed allocation (LIC-6, LIC-9; Owners and
// Admins) and goes back to the Product license tab, which then shows the
// year's licenses and the status.
func (u *UI) allocate(c *call) {
	p, _, ok := c.orgProduct()
	if !ok || !c.allowed(access.ManageLicenses) {
		return
	}
	form, ahead, quantity, err := allocateForm(c.r.PostFormValue)
	if err == nil {
		var a license.Allocation
		a, err = u.d.Licenses.Allocate(c.r.Context(), c.actor, c.org.ID, p.Product.ID, ahead, quantity, true)
		if err == nil {
			msg := c.t("licenses.flash.allocated", a.Quantity, p.Product.Name, subscriptionYear(a.Year),
				c.statusView(a.Status).Badge)
			if a.Compensation > 0 {
				msg = c.t("licenses.flash.join", msg, c.t("licenses.flash.compensation", a.Compensation))
			}
			c.flash("flash.license.allocate", msg)
			c.redirect(c.productURL(p.Product.ID) + "/license")
			return
		}
	}
	// The wallet may have changed since the summary: the tab shows what it
	// holds now.
	if p, per, ok := c.orgProduct(); ok {
		c.allocateFailed(p, per, form, err)
	}
}
