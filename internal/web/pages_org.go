package web

import (
	"net/http"

	"mysystems/internal/access"
	"mysystems/internal/org"
)

// home lists the person's organizations, or invites them to create one.
func (u *UI) home(c *call) {
	c.render(http.StatusOK, "home", c.view("home.title", ""))
}

func (c *call) orgURL(page string) string { return "/orgs/" + c.org.ID + "/" + page }

// orgSections are the side panel's entries that the organization switcher
// keeps (?to=…): switching organization on a page of one of them opens the
// same one in the other organization, when the role held there may open it.
var orgSections = map[string]access.Action{
	"users":    access.ViewMembers,
	"settings": access.ViewMembers,
	"audit":    access.ViewAudit,
	"devices":  access.ViewDevices,
	"tasks":    access.ViewDevices,
	"servers":  access.ManageServers,
	"products": access.ViewLicenses,
}

// landingSection is where an organization opens without a section to
// keep (from the home page or a page of the account) or with one the role
// may not open: its devices.
const landingSection = "devices"

// orgIndex opens the organization on the section named by ?to= (the one the
// person was in when they switched), else on its devices.
func (u *UI) orgIndex(c *call) {
	to := c.r.URL.Query().Get("to")
	if a, ok := orgSections[to]; !ok || !c.can(a) {
		to = landingSection
	}
	c.redirect(c.orgURL(to))
}

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
		c.failedTo("form.error.org.create", "org_new", v, err)
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
	if !c.allowed(access.OwnerOnly) {
		return
	}
	c.render(http.StatusOK, "org_archive", c.view("archive.title", "settings"))
}

// archive archives the organization once its id is typed exactly and the
// risk acknowledged (ORG-4), then goes home: the organization is gone from
// the person's lists.
func (u *UI) archive(c *call) {
	if !c.allowed(access.OwnerOnly) {
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
		c.failedTo("form.error.org.archive", "org_archive", v, err)
		return
	}
	c.flash("flash.org.archived", c.org.Name)
	c.redirect("/")
}
