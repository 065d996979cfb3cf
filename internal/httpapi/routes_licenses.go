package httpapi

import (
	"net/http"

	"mysystems/internal/api"
	"mysystems/internal/edge"
	"mysystems/internal/license"
)

// The routes of the license manager (SPEC §9): the vendor's catalogue and
// keys, converting a key, the products' status, starting a product,
// allocating licenses, the product wallet and the license history.

func dayString(d license.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func productStatusJSON(ps license.ProductStatus) api.ProductStatusJSON {
	p := ps.Product
	out := api.ProductStatusJSON{ID: p.ID, Name: p.Name, Licensing: string(p.Licensing), Status: string(ps.Status),
		DaysLeft: ps.DaysLeft, Need: ps.Need, YearNeed: ps.YearNeed, Allocated: ps.Allocated, Ahead: ps.Ahead[:],
		Wallet: ps.Wallet, Warnings: make([]api.LicenseWarningJSON, 0, len(ps.Warnings)), StartedOn: dayString(ps.Started),
		TrialEnds: dayString(ps.TrialEnd), GraceEnds: dayString(ps.GraceEnd), RenewsOn: dayString(ps.RenewsOn),
		YearStart: dayString(ps.YearStart), YearEnd: dayString(ps.YearEnd), Gates: make([]string, 0, len(p.Gates))}
	if !ps.YearStart.IsZero() {
		k := ps.Year
		out.Year = &k
	}
	for _, w := range ps.Warnings {
		out.Warnings = append(out.Warnings, api.LicenseWarningJSON{Code: string(w.Code), Days: w.Days, Quantity: w.Quantity})
	}
	for _, g := range p.Gates {
		out.Gates = append(out.Gates, string(g))
	}
	return out
}

func overviewJSON(o license.Overview) api.ProductStatusJSON {
	out := productStatusJSON(o.ProductStatus)
	for _, m := range o.Models {
		out.Models = append(out.Models, api.ModelNeedJSON{Model: m.Model, Devices: m.Devices})
	}
	for _, f := range o.Folders {
		out.Folders = append(out.Folders, api.FolderNeedJSON{FolderID: f.FolderID, Name: f.Name, Path: f.Path, Devices: f.Devices})
	}
	return out
}

func allocationJSON(a license.Allocation) api.AllocationJSON {
	out := api.AllocationJSON{Product: a.Product.ID, Year: a.Year, YearStart: a.YearStart.String(), Quantity: a.Quantity,
		Lots: make([]api.TakenLotJSON, 0, len(a.Lots)), Compensation: a.Compensation, From: a.From.String(),
		EndsTrial: a.EndsTrial, StatusBefore: string(a.Before), Status: productStatusJSON(a.Status), WalletBefore: a.Wallet, Done: a.Done}
	for _, l := range a.Lots {
		out.Lots = append(out.Lots, api.TakenLotJSON{Lot: l.Lot, Quantity: l.Quantity, ExpiresAt: l.Expires.String()})
	}
	if a.CompensationLot != nil {
		l := lotJSON(*a.CompensationLot)
		out.CompensationLot = &l
	}
	return out
}

func productJSON(p license.Product) api.ProductJSON {
	out := api.ProductJSON{ID: p.ID, Name: p.Name, Licensing: string(p.Licensing), Covers: append([]string{}, p.Covers...),
		Gates: make([]string, 0, len(p.Gates)), CreatedAt: p.CreatedAt}
	for _, g := range p.Gates {
		out.Gates = append(out.Gates, string(g))
	}
	return out
}

func lotJSON(l license.Lot) api.LotJSON {
	return api.LotJSON{ID: l.ID, Quantity: l.Quantity, Original: l.Original, Source: string(l.Source),
		EnteredAt: l.Entered.String(), ExpiresAt: l.Expires.String()}
}

func licenseEntryJSON(e license.Entry) api.LicenseEntryJSON {
	out := api.LicenseEntryJSON{ID: itoa(e.Seq), At: e.At, Day: e.Day.String(),
		Actor:   api.ActorJSON{Kind: e.Actor.Kind, ID: e.Actor.ID, Email: e.Actor.Email},
		Product: e.Product, Kind: string(e.Kind), Quantity: e.Quantity, Lot: e.Lot, Details: e.Details}
	if e.Year >= 0 {
		y := e.Year
		out.Year = &y
	}
	return out
}

var licenseHistoryParams = append([]Param{
	{"product", "product id"},
	{"kind", "entry kind: start, redeem, allocate, compensation, renewal, expiry, status"},
	{"since", "RFC 3339 time or date, inclusive"},
	{"until", "RFC 3339 time (exclusive) or date (that whole day included)"},
	{"format", "json (default) or csv (the whole filtered history)"},
}, pageParams...)

func (a *API) licenseRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/api/v1/vendor/products", Tag: "vendor", Summary: "Add a product to the license catalogue (LIC-1, LIC-14)",
			Auth: AuthVendor, Request: api.ProductRequest{}, Response: api.ProductJSON{}, Status: http.StatusCreated,
			handle: withBody(func(c *Call, in api.ProductRequest) (any, error) {
				p := license.Product{ID: in.ID, Name: in.Name, Licensing: license.Licensing(in.Licensing), Covers: in.Covers}
				for _, g := range in.Gates {
					p.Gates = append(p.Gates, license.Feature(g))
				}
				p, err := a.d.Licenses.AddProduct(c.R.Context(), c.Actor, p)
				if err != nil {
					return nil, err
				}
				return productJSON(p), nil
			})},
		{Method: "GET", Path: "/api/v1/vendor/products", Tag: "vendor", Summary: "The license catalogue, by name",
			Auth: AuthVendor, Response: api.List[api.ProductJSON]{}, handle: func(c *Call) (any, error) {
				ps, err := a.d.Licenses.Products(c.R.Context())
				if err != nil {
					return nil, err
				}
				return listOf(ps, "", productJSON), nil
			}},
		{Method: "POST", Path: "/api/v1/vendor/license-keys", Tag: "vendor",
			Summary: "Issue license keys of a product, shown only this once (LIC-3; at most 1000 keys a request)",
			Auth:    AuthVendor, Request: api.LicenseKeysRequest{}, Response: api.List[api.IssuedKeyJSON]{}, Status: http.StatusCreated,
			handle: withBody(func(c *Call, in api.LicenseKeysRequest) (any, error) {
				ks, err := a.d.Licenses.IssueKeys(c.R.Context(), c.Actor, in.Product, in.Quantity, in.Count)
				if err != nil {
					return nil, err
				}
				return listOf(ks, "", func(k license.Issued) api.IssuedKeyJSON {
					return api.IssuedKeyJSON{Key: k.Key.String(), Product: k.Product, Quantity: k.Quantity}
				}), nil
			})},
		{Method: "POST", Path: "/api/v1/orgs/{org}/license-keys/redeem", Tag: "licenses",
			Summary: "Convert a license key: its licenses enter the product wallet (LIC-3; Owner, Admin)",
			Auth:    AuthUser, Request: api.RedeemRequest{}, Response: api.RedeemedJSON{}, Status: http.StatusCreated,
			handle: withBody(func(c *Call, in api.RedeemRequest) (any, error) {
				r, err := a.d.Licenses.Redeem(c.R.Context(), c.Actor, c.Org.ID, in.Key)
				if err != nil {
					return nil, err
				}
				return api.RedeemedJSON{Product: r.Product.ID, ProductName: r.Product.Name, Lot: lotJSON(r.Lot)}, nil
			})},
		{Method: "GET", Path: "/api/v1/orgs/{org}/products", Tag: "licenses",
			Summary: "Every product of the catalogue with its status in the organization: need, allocations, wallet, warnings, trial and grace ends, renewal (LIC-1, LIC-5)",
			Auth:    AuthUser, Response: api.List[api.ProductStatusJSON]{}, handle: func(c *Call) (any, error) {
				ps, err := a.d.Licenses.OrgProducts(c.R.Context(), c.Actor, c.Org.ID)
				if err != nil {
					return nil, err
				}
				return listOf(ps, "", productStatusJSON), nil
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/products/{product}", Tag: "licenses",
			Summary: "A product's overview: its status and its need per model and per folder (LIC-5)",
			Auth:    AuthUser, Response: api.ProductStatusJSON{}, handle: func(c *Call) (any, error) {
				o, err := a.d.Licenses.Product(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("product"))
				if err != nil {
					return nil, err
				}
				return overviewJSON(o), nil
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/products/{product}/subscription", Tag: "licenses",
			Summary: "Start a product: its 30-day trial opens; the first product sets the organization's subscription period (LIC-1, LIC-4; Owner, Admin)",
			Auth:    AuthUser, Response: api.ProductStatusJSON{}, Status: http.StatusCreated, handle: func(c *Call) (any, error) {
				ps, err := a.d.Licenses.Start(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("product"))
				if err != nil {
					return nil, err
				}
				return productStatusJSON(ps), nil
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/products/{product}/allocations", Tag: "licenses",
			Summary: "Allocate licenses of the wallet to the current year (0) or up to 5 years ahead: without confirm, the summary (lots taken, compensation, status after); with confirm true, done (LIC-6, LIC-9; Owner, Admin)",
			Auth:    AuthUser, Request: api.AllocationRequest{}, Response: api.AllocationJSON{},
			handle: withBody(func(c *Call, in api.AllocationRequest) (any, error) {
				al, err := a.d.Licenses.Allocate(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("product"), in.Year, in.Quantity, in.Confirm)
				if err != nil {
					return nil, err
				}
				return allocationJSON(al), nil
			})},
		{Method: "GET", Path: "/api/v1/orgs/{org}/products/{product}/wallet", Tag: "licenses",
			Summary: "A product's wallet: its lots, those expiring first first, and the licenses available (LIC-2)",
			Auth:    AuthUser, Response: api.WalletJSON{}, handle: func(c *Call) (any, error) {
				w, err := a.d.Licenses.Wallet(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("product"))
				if err != nil {
					return nil, err
				}
				out := api.WalletJSON{Product: w.Product.ID, Items: make([]api.LotJSON, 0, len(w.Lots)), Available: w.Available}
				for _, l := range w.Lots {
					out.Items = append(out.Items, lotJSON(l))
				}
				return out, nil
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/license-history", Tag: "licenses", Summary: "Read or export the license history, newest first (LIC-13)",
			Auth: AuthUser, Response: api.List[api.LicenseEntryJSON]{}, Query: licenseHistoryParams, CSV: true, handle: a.licenseHistory},
	}
}

func (a *API) licenseHistory(c *Call) (any, error) {
	f, err := license.ParseHistoryFilter(c.R.URL.Query())
	if err != nil {
		return nil, err
	}
	p, asCSV, err := exportable(c.R)
	if err != nil {
		return nil, err
	}
	if asCSV {
		out := edge.NewCSV(c.W, "license-history-"+c.Org.ID+".csv")
		return written, out.End(a.d.Log, c.R, a.d.Licenses.ExportHistory(c.R.Context(), c.Actor, c.Org.ID, f, out))
	}
	h, err := a.d.Licenses.History(c.R.Context(), c.Actor, c.Org.ID, f, p)
	if err != nil {
		return nil, err
	}
	return listOf(h.Entries, h.Next, licenseEntryJSON), nil
}
