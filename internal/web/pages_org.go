package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/httpapi"
	"mysystems/internal/org"
)

// home lists the person's organizations, or invites them to create one.
func (u *UI) home(c *call) {
	c.render(http.StatusOK, "home", c.view("home.title", ""))
}

func (c *call) orgURL(page string) string { return "/orgs/" + c.org.ID + "/" + page }

// orgIndex is the organization's landing page: for now its settings.
func (u *UI) orgIndex(c *call) { c.redirect(c.orgURL("settings")) }

func (u *UI) newOrgForm(c *call) {
	c.render(http.StatusOK, "org_new", c.view("orgnew.title", ""))
}

// createOrg makes an organization whose Owner is the caller (ORG-1).
func (u *UI) createOrg(c *call) {
	v := c.view("orgnew.title", "")
	name, notes := c.r.PostFormValue("name"), c.r.PostFormValue("notes")
	v.Form["name"], v.Form["notes"] = name, notes
	o, err := u.d.Orgs.Create(c.r.Context(), c.actor, name, notes)
	if err != nil {
		c.formFailed("org_new", v, err)
		return
	}
	c.flash("flash.org.created", o.Name)
	c.redirect("/orgs/" + o.ID + "/settings")
}

// settingsPage is the data of the organization's settings.
type settingsPage struct {
	Editing    bool
	CanEdit    bool
	CanArchive bool
	// RequireMFA is the organization's rule of ID-5, which only Owners
	// change.
	RequireMFA    bool
	CanRequireMFA bool
}

func (c *call) settingsView(editing bool) *view {
	v := c.view("settings.title", "settings")
	canEdit := c.can(access.EditOrg)
	v.Data = settingsPage{Editing: editing && canEdit, CanEdit: canEdit, CanArchive: c.can(access.OwnerOnly),
		RequireMFA: c.org.RequireMFA, CanRequireMFA: c.can(access.OwnerOnly)}
	v.Form["name"], v.Form["notes"] = c.org.Name, c.org.Notes
	return v
}

// settings shows General (name, notes; Edit turns them into a form for
// Owners and Admins, ORG-2) and the Archive organization section (ORG-4).
func (u *UI) settings(c *call) {
	c.render(http.StatusOK, "org_settings", c.settingsView(c.r.FormValue("edit") == "1"))
}

func (u *UI) saveSettings(c *call) {
	v := c.settingsView(true)
	name, notes := c.r.PostFormValue("name"), c.r.PostFormValue("notes")
	v.Form["name"], v.Form["notes"] = name, notes
	if _, err := u.d.Orgs.Update(c.r.Context(), c.actor, c.org.ID, org.Patch{Name: &name, Notes: &notes}); err != nil {
		c.formFailed("org_settings", v, err)
		return
	}
	c.flash("flash.settings.saved", "")
	c.redirect(c.orgURL("settings"))
}

// saveRequireMFA sets whether the organization requires two-factor
// authentication of all its members (ID-5, Owner only).
func (u *UI) saveRequireMFA(c *call) {
	v := c.settingsView(false)
	on := c.r.PostFormValue("require_mfa") == "yes"
	v.Data = settingsPage{CanEdit: c.can(access.EditOrg), CanArchive: c.can(access.OwnerOnly),
		CanRequireMFA: c.can(access.OwnerOnly), RequireMFA: on}
	if _, err := u.d.Orgs.Update(c.r.Context(), c.actor, c.org.ID, org.Patch{RequireMFA: &on}); err != nil {
		c.formFailed("org_settings", v, err)
		return
	}
	if on {
		c.flash("flash.settings.mfa.on", "")
	} else {
		c.flash("flash.settings.mfa.off", "")
	}
	c.redirect(c.orgURL("settings"))
}

func (u *UI) archiveForm(c *call) {
	if err := access.Check(c.member.Role, access.OwnerOnly); err != nil {
		c.fail(err)
		return
	}
	c.render(http.StatusOK, "org_archive", c.view("archive.title", "settings"))
}

// archive archives the organization once its id is typed exactly and the
// risk acknowledged (ORG-4), then goes home: the organization is gone from
// the person's lists.
func (u *UI) archive(c *call) {
	if err := access.Check(c.member.Role, access.OwnerOnly); err != nil {
		c.fail(err)
		return
	}
	v := c.view("archive.title", "settings")
	confirm := c.r.PostFormValue("confirm_id")
	ack := c.r.PostFormValue("acknowledge") == "yes"
	v.Form["confirm_id"] = confirm
	if ack {
		v.Form["acknowledge"] = "yes"
	}
	if err := u.d.Orgs.Archive(c.r.Context(), c.actor, c.org.ID, confirm, ack); err != nil {
		c.formFailed("org_archive", v, err)
		return
	}
	c.flash("flash.org.archived", c.org.Name)
	c.redirect("/")
}

// auditPage is the data of the audit log page.
type auditPage struct {
	Entries []audit.Entry
	// Links keep the filters; Next is empty on the last page, First on the
	// first.
	Next, First, Export string
}

const auditPageSize = 50

// auditFilter reads the filters with the API's own parser. A date given as
// "until" means through the end of that day.
func (c *call) auditFilter() (audit.Filter, url.Values, error) {
	f, err := httpapi.AuditFilter(c.r)
	q := url.Values{}
	for _, k := range []string{"action", "since", "until"} {
		if s := strings.TrimSpace(c.r.URL.Query().Get(k)); s != "" {
			q.Set(k, s)
		}
	}
	if err != nil {
		return f, q, err
	}
	if s := q.Get("until"); len(s) == len("2006-01-02") && !f.Until.IsZero() {
		f.Until = f.Until.Add(24*time.Hour - time.Nanosecond)
	}
	return f, q, nil
}

// auditLog shows the organization's log, newest first, to Admins and
// Owners (AUD-1).
func (u *UI) auditLog(c *call) {
	if err := access.Check(c.member.Role, access.ViewAudit); err != nil {
		c.fail(err)
		return
	}
	v := c.view("auditlog.title", "audit")
	f, q, err := c.auditFilter()
	for k := range q {
		v.Form[k] = q.Get(k)
	}
	page := &auditPage{Export: c.orgURL("audit/export.csv")}
	if enc := q.Encode(); enc != "" {
		page.Export += "?" + enc
	}
	v.Data = page
	if err != nil {
		c.formFailed("audit", v, err)
		return
	}
	cursor := c.r.URL.Query().Get("cursor")
	if len(cursor) > 512 {
		cursor = ""
	}
	entries, next, err := u.d.Audit.List(c.r.Context(), c.org.ID, f, audit.Page{Limit: auditPageSize, Cursor: cursor})
	if err != nil {
		c.formFailed("audit", v, err)
		return
	}
	page.Entries = entries
	if next != "" {
		nq := url.Values{}
		for k, vs := range q {
			nq[k] = vs
		}
		nq.Set("cursor", next)
		page.Next = c.orgURL("audit") + "?" + nq.Encode()
	}
	if cursor != "" {
		page.First = c.orgURL("audit")
		if enc := q.Encode(); enc != "" {
			page.First += "?" + enc
		}
	}
	c.render(http.StatusOK, "audit", v)
}

// auditCSV streams the filtered log as CSV with the API's own writer.
func (u *UI) auditCSV(c *call) {
	if err := access.Check(c.member.Role, access.ViewAudit); err != nil {
		c.fail(err)
		return
	}
	f, _, err := c.auditFilter()
	if err != nil {
		c.fail(err)
		return
	}
	if err := httpapi.WriteAuditCSV(c.r, c.w, u.d.Audit, *c.org, f); err != nil {
		c.fail(err)
	}
}
