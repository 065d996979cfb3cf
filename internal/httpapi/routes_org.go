package httpapi

import (
	"net/http"

	"mysystems/internal/access"
	"mysystems/internal/api"
	"mysystems/internal/audit"
	"mysystems/internal/edge"
	"mysystems/internal/org"
)

var auditParams = append([]Param{
	{"action", "action, a prefix ending in '.' (org.), or several separated by commas"},
	{"actor", "actor id"},
	{"target", "target id"},
	{"since", "RFC 3339 time or date, inclusive"},
	{"until", "RFC 3339 time (exclusive) or date (that whole day included)"},
	{"format", "json (default) or csv (the whole filtered log)"},
}, pageParams...)

func (a *API) orgRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/orgs", Tag: "organizations", Summary: "List my organizations",
			Auth: AuthUser, Response: api.List[api.OrgJSON]{}, Query: pageParams, handle: func(c *Call) (any, error) {
				p, err := page(c.R)
				if err != nil {
					return nil, err
				}
				mine, next, err := a.d.Orgs.Mine(c.R.Context(), c.Principal.User.ID, p)
				if err != nil {
					return nil, err
				}
				return listOf(mine, next, func(m org.Mine) api.OrgJSON { return orgJSON(m.Org, string(m.Role)) }), nil
			}},
		{Method: "POST", Path: "/api/v1/orgs", Tag: "organizations", Summary: "Create an organization; the creator becomes its owner (ORG-1)",
			Auth: AuthUser, Request: api.OrgCreate{}, Response: api.OrgJSON{}, Status: http.StatusCreated,
			handle: withBody(func(c *Call, in api.OrgCreate) (any, error) {
				o, err := a.d.Orgs.Create(c.R.Context(), c.Actor, in.Name, in.Notes)
				if err != nil {
					return nil, err
				}
				return orgJSON(o, string(access.Owner)), nil
			})},
		{Method: "GET", Path: "/api/v1/orgs/{org}", Tag: "organizations", Summary: "Read an organization",
			Auth: AuthUser, Response: api.OrgJSON{}, handle: func(c *Call) (any, error) {
				return orgJSON(c.Org, string(c.Membership.Role)), nil
			}},
		{Method: "PATCH", Path: "/api/v1/orgs/{org}", Tag: "organizations", Summary: "Rename, edit notes, require MFA (ORG-2, ID-5)",
			Auth: AuthUser, Request: api.OrgPatch{}, Response: api.OrgJSON{}, handle: withBody(func(c *Call, in api.OrgPatch) (any, error) {
				o, err := a.d.Orgs.Update(c.R.Context(), c.Actor, c.Org.ID, org.Patch{Name: in.Name, Notes: in.Notes, RequireMFA: in.RequireMFA})
				if err != nil {
					return nil, err
				}
				return orgJSON(o, string(c.Membership.Role)), nil
			})},
		{Method: "POST", Path: "/api/v1/orgs/{org}/archive", Tag: "organizations", Summary: "Archive the organization (owner; ORG-4)",
			Auth: AuthUser, Request: api.ArchiveRequest{}, handle: withBody(func(c *Call, in api.ArchiveRequest) (any, error) {
				return nil, a.d.Orgs.Archive(c.R.Context(), c.Actor, c.Org.ID, in.ConfirmID, in.Acknowledge)
			})},
		{Method: "GET", Path: "/api/v1/orgs/{org}/audit", Tag: "audit", Summary: "Read or export the audit log (AUD-1)",
			Auth: AuthUser, Response: api.List[api.AuditJSON]{}, Query: auditParams, CSV: true, handle: a.auditLog},
	}
}

func (a *API) auditLog(c *Call) (any, error) {
	f, err := audit.ParseFilter(c.R.URL.Query())
	if err != nil {
		return nil, err
	}
	p, asCSV, err := exportable(c.R)
	if err != nil {
		return nil, err
	}
	if asCSV {
		out := edge.NewCSV(c.W, "audit-"+c.Org.ID+".csv")
		return written, out.End(a.d.Log, c.R, a.d.Audit.Export(c.R.Context(), c.Actor, c.Org.ID, f, a.translator("en"), out))
	}
	l, err := a.d.Audit.List(c.R.Context(), c.Actor, c.Org.ID, f, p)
	if err != nil {
		return nil, err
	}
	return listOf(l.Entries, l.Next, auditJSON), nil
}

// translator gives the catalogue texts of lang (keys themselves without
// catalogues).
func (a *API) translator(lang string) audit.Translator {
	if a.d.Translate == nil {
		return func(key string, _ ...any) string { return key }
	}
	return func(key string, args ...any) string { return a.d.Translate(lang, key, args...) }
}

func (a *API) vendorRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/api/v1/vendor/orgs/{org}/restore", Tag: "vendor", Summary: "Restore an archived organization (ORG-4)",
			Auth: AuthVendor, Response: api.OrgJSON{}, handle: func(c *Call) (any, error) {
				o, err := a.d.Orgs.Restore(c.R.Context(), c.Actor, c.R.PathValue("org"))
				if err != nil {
					return nil, err
				}
				return orgJSON(o, ""), nil
			}},
	}
}
