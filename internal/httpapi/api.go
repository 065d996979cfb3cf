// Package httpapi serves the REST API /api/v1 (SPEC §11, API.md), the
// operational endpoints and the OpenAPI document. Handlers are thin: they
// decode, call one domain service method and encode. Every route is declared
// once in a table from which both the mux and the OpenAPI document are built,
// so the two cannot drift.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mysystems/internal/account"
	"mysystems/internal/acs"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/i18n"
	"mysystems/internal/license"
	"mysystems/internal/mail"
	"mysystems/internal/org"
	"mysystems/internal/upgrade"
)

// Deps are what the API needs, built by cmd/mysystems.
type Deps struct {
	Accounts *account.Service
	Platform *account.Platform
	Orgs     *org.Service
	Fleet    *fleet.Service
	Firmware *firmware.Service
	Upgrades *upgrade.Service
	ACS      *acs.Service
	Licenses *license.Service
	Audit    *audit.Service
	Outbox   *mail.Outbox // the vendor's view of the e-mail outbox
	Clock    clock.Clock
	Log      *slog.Logger
	// Gatherer's metrics are served at /metrics (not when nil), to
	// requests bearing MetricsToken when it is set.
	Gatherer     prometheus.Gatherer
	MetricsToken string
	// Ready reports whether the server can serve (database reachable).
	Ready func(ctx context.Context) error
	// TrustProxy takes the client address from X-Forwarded-For.
	TrustProxy bool
	// RateLimit is the sustained requests per second allowed per credential
	// and per organization (0: no limit); Burst is the bucket size.
	RateLimit float64
	Burst     int
}

// Auth says who may call a route.
type Auth int

// Authentication requirements.
const (
	AuthNone   Auth = iota // anyone
	AuthUser               // a person: session token or personal API token
	AuthVendor             // a vendor operator's platform token
)

// Route is one endpoint: its contract (for the mux and the OpenAPI document)
// and its handler.
type Route struct {
	Method  string
	Path    string // Go 1.22 mux pattern, e.g. /api/v1/orgs/{org}
	Summary string
	Tag     string
	Auth    Auth
	Request any // zero value of the JSON body type, or nil
	// RawBody is the media type of a non-JSON request body (text/csv).
	RawBody string
	// Form describes the parts of a multipart/form-data request body, in
	// the order they must come.
	Form []Part
	// Response is the zero value of the success body type, or nil for 204.
	Response any
	Status   int     // success status; 200 if zero
	Query    []Param // documented query parameters
	CSV      bool    // also answers text/csv with ?format=csv
	handle   func(*Call) (any, error)
}

// Part documents one part of a multipart/form-data body; File marks a
// file (binary) part.
type Part struct {
	Name, Description string
	File              bool
}

// Param documents a query parameter.
type Param struct {
	Name, Description string
}

// Call is one request being handled.
type Call struct {
	R         *http.Request
	W         http.ResponseWriter
	Principal account.Principal
	Actor     audit.Actor
	// Org and Membership are set for routes under /api/v1/orgs/{org}: the
	// caller is then a member of an active organization.
	Org        org.Org
	Membership org.Membership
	api        *API
}

// Decode reads the JSON body into dst, strictly: a body not sent as
// application/json (415), unknown fields, trailing data, bodies over 1 MiB
// and what edge.CheckJSON refuses (null for an object, a NUL character in a
// string) are client errors. An empty body is err.api.body_empty, whatever
// its Content-Type (a route whose body is optional accepts it).
func (c *Call) Decode(dst any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(c.W, c.R.Body, 1<<20))
	if err != nil {
		return decodeError(err)
	}
	if len(raw) > 0 {
		if err := edge.CheckJSONType(c.R); err != nil {
			return err
		}
	}
	return decodeJSON(raw, dst)
}

// decodeJSON decodes one JSON document strictly, as Decode does.
func decodeJSON(raw []byte, dst any) error {
	if err := edge.CheckJSON(raw, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return errs.E(errs.Invalid, "err.api.body_single")
	}
	return nil
}

// withBody makes the handler of a route whose request body is a T: the
// body is decoded as Decode does, then handed to h.
func withBody[T any](h func(c *Call, in T) (any, error)) func(*Call) (any, error) {
	return func(c *Call) (any, error) {
		var in T
		if err := c.Decode(&in); err != nil {
			return nil, err
		}
		return h(c, in)
	}
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "err.api.body_empty")
	case errors.As(err, &tooBig):
		return errs.E(errs.Invalid, "err.api.body_too_large", tooBig.Limit)
	case errors.As(err, &syn):
		return errs.E(errs.Invalid, "err.api.body_json", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return errs.InvalidField(typ.Field, "err.api.field_type", typ.Field, jsonKind(typ.Type.Kind().String()))
		}
		return errs.E(errs.Invalid, "err.api.body_object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "err.api.body_truncated")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.InvalidField(f, "err.api.unknown_field", f)
	}
	return errs.E(errs.Invalid, "err.api.body_unreadable", err)
}

func jsonKind(k string) any {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return i18n.Key("err.json.number")
	case k == "bool":
		return i18n.Key("err.json.bool")
	case k == "slice":
		return i18n.Key("err.json.array")
	case k == "struct", k == "map":
		return i18n.Key("err.json.object")
	case k == "string":
		return i18n.Key("err.json.string")
	}
	return "a " + k
}

// API is the REST API.
type API struct {
	d      Deps
	routes []Route
	limits *limiter // nil: no rate limit
}

// New returns the API with its route table.
func New(d Deps) *API {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	a := &API{d: d, limits: newLimiter(d.RateLimit, d.Burst, d.Clock)}
	a.routes = append(a.routes, a.accountRoutes()...)
	a.routes = append(a.routes, a.mfaRoutes()...)
	a.routes = append(a.routes, a.orgRoutes()...)
	a.routes = append(a.routes, a.memberRoutes()...)
	a.routes = append(a.routes, a.deviceRoutes()...)
	a.routes = append(a.routes, a.vendorRoutes()...)
	a.routes = append(a.routes, a.vendorMailRoutes()...)
	a.routes = append(a.routes, a.firmwareRoutes()...)
	a.routes = append(a.routes, a.upgradeRoutes()...)
	a.routes = append(a.routes, a.serverRoutes()...)
	a.routes = append(a.routes, a.licenseRoutes()...)
	return a
}

// Routes returns the route table (for tests and the OpenAPI document).
func (a *API) Routes() []Route { return a.routes }

// Register mounts the API, the OpenAPI document and the operational
// endpoints on mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes {
		mux.Handle(rt.Method+" "+rt.Path, a.handler(rt))
	}
	doc, err := json.MarshalIndent(a.OpenAPI(), "", "  ")
	if err != nil {
		panic(err) // the document is built from static types: a failure is a programming error
	}
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		edge.WriteError(a.d.Log, w, r, errs.NotFoundf("err.api.no_endpoint", r.Method, r.URL.Path))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		edge.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if a.d.Ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
			defer cancel()
			if err := a.d.Ready(ctx); err != nil {
				a.d.Log.WarnContext(r.Context(), "not ready", "err", err)
				edge.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
				return
			}
		}
		edge.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if a.d.Gatherer != nil {
		mux.Handle("GET /metrics", MetricsHandler(a.d.Gatherer, a.d.MetricsToken, a.d.Log))
	}
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

var errNoCredential = errs.E(errs.Unauthenticated, "err.api.no_credential")

func (a *API) handler(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &Call{R: r, W: w, api: a}
		if err := edge.CheckRequest(r); err != nil {
			edge.WriteError(a.d.Log, w, r, err)
			return
		}
		if err := a.prepare(c, rt); err != nil {
			edge.WriteError(a.d.Log, w, r, err)
			return
		}
		body, err := rt.handle(c)
		if err != nil {
			edge.WriteError(a.d.Log, w, r, err)
			return
		}
		if body == written {
			return
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		if body == nil {
			status = http.StatusNoContent
		}
		edge.WriteJSON(w, status, body)
	})
}

// written is returned by handlers that wrote their own response (CSV).
var written = &struct{ x int }{}

func (a *API) prepare(c *Call, rt Route) error {
	r := c.R
	addr := edge.ClientAddr(r, a.d.TrustProxy)
	switch rt.Auth {
	case AuthUser:
		tok := bearer(r)
		if tok == "" {
			return a.limits.failedCredential(addr, errNoCredential)
		}
		giveBack, err := a.limits.beforeCredential(addr)
		if err != nil {
			return err
		}
		p, err := a.d.Accounts.Authenticate(r.Context(), tok)
		if err != nil {
			if !errs.Is(err, errs.Unauthenticated) {
				giveBack() // not the credential's fault
			}
			return err
		}
		giveBack()
		if err := a.limits.caller(credentialKey(p)); err != nil {
			return err
		}
		p.ClientAddr = addr
		c.Principal = p
		c.Actor = audit.Actor{Kind: audit.KindUser, ID: p.User.ID, Email: p.User.Email, ClientAddr: addr,
			Lang: i18n.Asked(c.R.Header.Get("Accept-Language"))}
	case AuthVendor:
		tok := bearer(r)
		if tok == "" {
			return a.limits.failedCredential(addr, errNoCredential)
		}
		if strings.HasPrefix(tok, account.SessionPrefix) || strings.HasPrefix(tok, account.TokenPrefix) {
			return errs.E(errs.Forbidden, "err.api.vendor_token")
		}
		giveBack, err := a.limits.beforeCredential(addr)
		if err != nil {
			return err
		}
		pt, err := a.d.Platform.Authenticate(r.Context(), tok)
		if err != nil {
			if !errs.Is(err, errs.Unauthenticated) {
				giveBack()
			}
			return err
		}
		giveBack()
		if err := a.limits.caller("vendor:" + pt.ID); err != nil {
			return err // a platform token has its budget, as a person's has
		}
		c.Actor = audit.Actor{Kind: audit.KindVendor, ID: pt.ID, Email: "vendor:" + pt.Name, ClientAddr: addr}
	default:
		if err := a.limits.anonymous(addr); err != nil {
			return err
		}
		c.Actor = audit.Actor{ClientAddr: addr}
	}
	if id := r.PathValue("org"); id != "" && rt.Auth == AuthUser {
		o, m, err := a.d.Orgs.Enter(r.Context(), c.Actor, id)
		if err != nil {
			return err
		}
		if err := a.limits.caller("org:" + o.ID); err != nil {
			return err
		}
		c.Org, c.Membership = o, m
	}
	return nil
}

var pageParams = []Param{
	{"limit", "page size"},
	{"cursor", "next_cursor of the previous page"},
}

func page(r *http.Request) (audit.Page, error) { return audit.ParsePage(r.URL.Query()) }

// exportable reads the query of a list that can also be exported: its page,
// and whether ?format asks for the CSV instead of JSON (the default); any
// other format is refused.
func exportable(r *http.Request) (p audit.Page, csv bool, err error) {
	if p, err = page(r); err != nil {
		return p, false, err
	}
	switch r.URL.Query().Get("format") {
	case "", "json":
		return p, false, nil
	case "csv":
		return p, true, nil
	}
	return p, false, errs.InvalidField("format", "err.api.format")
}
