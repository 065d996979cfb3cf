package httpapi

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/org"
)

// OrgCreate creates an organization.
type OrgCreate struct {
	Name  string `json:"name"`
	Notes string `json:"notes,omitempty"`
}

// OrgPatch edits an organization; absent fields are unchanged.
type OrgPatch struct {
	Name       *string `json:"name,omitempty"`
	Notes      *string `json:"notes,omitempty"`
	RequireMFA *bool   `json:"require_mfa,omitempty"`
}

// ArchiveRequest confirms archiving (ORG-4).
type ArchiveRequest struct {
	ConfirmID   string `json:"confirm_id"`
	Acknowledge bool   `json:"acknowledge"`
}

var auditParams = append([]Param{
	{"action", "action, or a prefix ending in '.' (org.)"},
	{"actor", "actor id"},
	{"target", "target id"},
	{"since", "RFC 3339 time or date, inclusive"},
	{"until", "RFC 3339 time or date, exclusive"},
	{"format", "json (default) or csv (the whole filtered log)"},
}, pageParams...)

func (a *API) orgRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/orgs", Tag: "organizations", Summary: "List my organizations",
			Auth: AuthUser, Response: List[OrgJSON]{}, Query: pageParams, handle: func(c *Call) (any, error) {
				p, err := page(c.R)
				if err != nil {
					return nil, err
				}
				mine, next, err := a.d.Orgs.Mine(c.R.Context(), c.Principal.User.ID, p)
				if err != nil {
					return nil, err
				}
				out := List[OrgJSON]{Items: []OrgJSON{}, NextCursor: next}
				for _, m := range mine {
					out.Items = append(out.Items, orgJSON(m.Org, string(m.Role)))
				}
				return out, nil
			}},
		{Method: "POST", Path: "/api/v1/orgs", Tag: "organizations", Summary: "Create an organization; the creator becomes its owner (ORG-1)",
			Auth: AuthUser, Request: OrgCreate{}, Response: OrgJSON{}, Status: http.StatusCreated,
			handle: func(c *Call) (any, error) {
				var in OrgCreate
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				o, err := a.d.Orgs.Create(c.R.Context(), c.Actor, in.Name, in.Notes)
				if err != nil {
					return nil, err
				}
				return orgJSON(o, string(access.Owner)), nil
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}", Tag: "organizations", Summary: "Read an organization",
			Auth: AuthUser, Response: OrgJSON{}, handle: func(c *Call) (any, error) {
				return orgJSON(c.Org, string(c.Membership.Role)), nil
			}},
		{Method: "PATCH", Path: "/api/v1/orgs/{org}", Tag: "organizations", Summary: "Rename, edit notes, require MFA (ORG-2, ID-5)",
			Auth: AuthUser, Request: OrgPatch{}, Response: OrgJSON{}, handle: func(c *Call) (any, error) {
				var in OrgPatch
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				o, err := a.d.Orgs.Update(c.R.Context(), c.Actor, c.Org.ID, org.Patch{Name: in.Name, Notes: in.Notes, RequireMFA: in.RequireMFA})
				if err != nil {
					return nil, err
				}
				return orgJSON(o, string(c.Membership.Role)), nil
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/archive", Tag: "organizations", Summary: "Archive the organization (owner; ORG-4)",
			Auth: AuthUser, Request: ArchiveRequest{}, handle: func(c *Call) (any, error) {
				var in ArchiveRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				return nil, a.d.Orgs.Archive(c.R.Context(), c.Actor, c.Org.ID, in.ConfirmID, in.Acknowledge)
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/audit", Tag: "audit", Summary: "Read or export the audit log (AUD-1)",
			Auth: AuthUser, Response: List[AuditJSON]{}, Query: auditParams, CSV: true, handle: a.auditLog},
	}
}

// AuditFilter parses the audit-log filters of a request (shared with the web UI).
func AuditFilter(r *http.Request) (audit.Filter, error) {
	q := r.URL.Query()
	f := audit.Filter{Action: q.Get("action"), ActorID: q.Get("actor"), Target: q.Get("target")}
	var err error
	if f.Since, err = queryTime(r, "since"); err != nil {
		return f, err
	}
	if f.Until, err = queryTime(r, "until"); err != nil {
		return f, err
	}
	return f, nil
}

func (a *API) auditLog(c *Call) (any, error) {
	if err := access.Check(c.Membership.Role, access.ViewAudit); err != nil {
		return nil, err
	}
	f, err := AuditFilter(c.R)
	if err != nil {
		return nil, err
	}
	p, err := page(c.R)
	if err != nil {
		return nil, err
	}
	switch c.R.URL.Query().Get("format") {
	case "", "json":
	case "csv":
		return written, WriteAuditCSV(c.R, c.W, a.d.Audit, c.Org, f)
	default:
		return nil, errs.InvalidField("format", "err.api.format")
	}
	entries, next, err := a.d.Audit.List(c.R.Context(), c.Org.ID, f, p)
	if err != nil {
		return nil, err
	}
	out := List[AuditJSON]{Items: []AuditJSON{}, NextCursor: next}
	for _, e := range entries {
		out.Items = append(out.Items, auditJSON(e))
	}
	return out, nil
}

// WriteAuditCSV streams the whole filtered log as CSV, page by page (shared
// with the web UI). Errors before the first byte are returned for the caller
// to report; later ones end the stream.
func WriteAuditCSV(r *http.Request, w http.ResponseWriter, svc *audit.Service, o org.Org, f audit.Filter) error {
	p := audit.Page{Limit: 1000}
	entries, next, err := svc.List(r.Context(), o.ID, f, p)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit-`+o.ID+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "time", "actor_kind", "actor_id", "actor_email", "client_addr", "action", "target_type", "target_id", "details"})
	for {
		for _, e := range entries {
			details := ""
			if len(e.Details) > 0 {
				b, _ := json.Marshal(e.Details)
				details = string(b)
			}
			_ = cw.Write([]string{itoa(e.Seq), e.At.Format(time.RFC3339), e.Actor.Kind, e.Actor.ID, csvSafe(e.Actor.Email),
				e.Actor.ClientAddr, e.Action, e.TargetType, e.TargetID, csvSafe(details)})
		}
		cw.Flush()
		if next == "" || cw.Error() != nil {
			return nil
		}
		p.Cursor = next
		if entries, next, err = svc.List(r.Context(), o.ID, f, p); err != nil {
			return nil
		}
	}
}

// csvSafe defuses spreadsheet formula injection in user-controlled cells.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

func (a *API) vendorRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/api/v1/vendor/orgs/{org}/restore", Tag: "vendor", Summary: "Restore an archived organization (ORG-4)",
			Auth: AuthVendor, Response: OrgJSON{}, handle: func(c *Call) (any, error) {
				o, err := a.d.Orgs.Restore(c.R.Context(), c.Actor, c.R.PathValue("org"))
				if err != nil {
					return nil, err
				}
				return orgJSON(o, ""), nil
			}},
	}
}
