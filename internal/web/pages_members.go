package web

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/org"
)

// memberRow is a member as the Users page shows them.
type memberRow struct {
	org.Member
	AllFolders bool     // Owners and Admins see every folder (ACC-1)
	Access     []string // the paths of the granted folders the caller sees
	Self       bool
}

// usersPage is the data of the Users page.
type usersPage struct {
	Members     []memberRow
	Invitations []invitationRow
	CanManage   bool
}

type invitationRow struct {
	org.Invitation
	Access []string
}

// members lists every member of the organization.
func (c *call) members() ([]org.Member, error) {
	return everyPage(func(p org.Page) ([]org.Member, string, error) {
		return c.u.d.Orgs.Members(c.r.Context(), c.actor, c.org.ID, p)
	})
}

// invitations lists the pending invitations (Owners and Admins).
func (c *call) invitations() ([]org.Invitation, error) {
	return everyPage(func(p org.Page) ([]org.Invitation, string, error) {
		return c.u.d.Orgs.Invitations(c.r.Context(), c.actor, c.org.ID, p)
	})
}

// folderPaths names the folders of ids that the caller sees, sorted; the
// others are left out (ACC-2).
func folderPaths(byID map[string]org.FolderView, ids []string) []string {
	var out []string
	for _, id := range ids {
		if f, ok := byID[id]; ok {
			out = append(out, f.Path)
		}
	}
	sort.Strings(out)
	return out
}

func (c *call) folderIndex() (map[string]org.FolderView, []org.FolderView, error) {
	fs, err := c.folders()
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[string]org.FolderView, len(fs))
	for _, f := range fs {
		byID[f.ID] = f
	}
	return byID, fs, nil
}

// users shows the members, their roles and access to everyone (SPEC §3),
// and to Owners and Admins the controls to manage them and the pending
// invitations (USR-1..3).
func (u *UI) users(c *call) {
	ms, err := c.members()
	if err != nil {
		c.fail(err)
		return
	}
	byID, _, err := c.folderIndex()
	if err != nil {
		c.fail(err)
		return
	}
	page := &usersPage{CanManage: c.can(access.ManageMembers)}
	for _, m := range ms {
		row := memberRow{Member: m, AllFolders: m.Role.SeesAllFolders(), Self: m.UserID == c.principal.User.ID}
		if !row.AllFolders {
			row.Access = folderPaths(byID, m.Folders)
		}
		page.Members = append(page.Members, row)
	}
	if page.CanManage {
		invs, err := c.invitations()
		if err != nil {
			c.fail(err)
			return
		}
		for _, inv := range invs {
			page.Invitations = append(page.Invitations, invitationRow{Invitation: inv, Access: folderPaths(byID, inv.Folders)})
		}
	}
	v := c.view("users.title", "users")
	v.Data = page
	c.render(http.StatusOK, "users", v)
}

// removePage is the data of the confirmation of removing members.
type removePage struct {
	Members  []org.Member
	Refusals []refusalRow
}

type refusalRow struct {
	Member org.Member
	Reason string
}

// removeView loads the members chosen on the Users page; any id that is
// not a member makes the page not found, none at all goes back to the list.
func (c *call) removeView(ids []string) (*view, bool) {
	if !c.allowed(access.ManageMembers) {
		return nil, false
	}
	if len(ids) == 0 {
		c.flash("flash.users.noselection", "")
		c.redirect(c.orgURL("users"))
		return nil, false
	}
	if err := org.CheckRemovalCount(ids); err != nil {
		c.fail(err)
		return nil, false
	}
	ms, err := c.members()
	if err != nil {
		c.fail(err)
		return nil, false
	}
	byID := make(map[string]org.Member, len(ms))
	for _, m := range ms {
		byID[m.UserID] = m
	}
	page := &removePage{}
	seen := map[string]bool{}
	for _, id := range ids {
		m, ok := byID[id]
		if !ok {
			c.notFound()
			return nil, false
		}
		if !seen[id] {
			seen[id] = true
			page.Members = append(page.Members, m)
		}
	}
	v := c.view("users.remove.title", "users")
	v.Data = page
	return v, true
}

// removeForm confirms the removal of the members checked on the Users page
// (or of one, from its row menu).
func (u *UI) removeForm(c *call) {
	if v, ok := c.removeView(c.r.URL.Query()["user"]); ok {
		c.render(http.StatusOK, "users_remove", v)
	}
}

// removeUsers removes the members, all or nothing (USR-3). A refusal lists,
// for each member that cannot be removed, the service's reason.
func (u *UI) removeUsers(c *call) {
	ids := c.r.PostForm["user"]
	v, ok := c.removeView(ids)
	if !ok {
		return
	}
	page := v.Data.(*removePage)
	err := u.d.Orgs.RemoveMembers(c.r.Context(), c.actor, c.org.ID, ids)
	if err == nil {
		names := make([]string, len(page.Members))
		self := false
		for i, m := range page.Members {
			names[i] = m.Name
			self = self || m.UserID == c.principal.User.ID
		}
		c.flash("flash.users.removed", strings.Join(names, ", "))
		if self { // the caller left the organization
			c.redirect("/")
			return
		}
		c.redirect(c.orgURL("users"))
		return
	}
	if _, ok := errs.As(err); !ok {
		c.fail(err)
		return
	}
	rs, _ := errs.DetailsAs[org.Refusals](err)
	refused := rs.Refused
	if len(refused) == 0 {
		c.failedTo("form.error.users.remove", "users_remove", v, err)
		return
	}
	byID := map[string]org.Member{}
	for _, m := range page.Members {
		byID[m.UserID] = m
	}
	for _, r := range refused {
		m, ok := byID[r.UserID]
		if !ok {
			m = org.Member{UserID: r.UserID, Name: r.UserID}
		}
		page.Refusals = append(page.Refusals, refusalRow{Member: m, Reason: r.In(c.lang)})
	}
	v.FormError = c.t("users.remove.refused", len(page.Refusals))
	c.render(edge.Status(err), "users_remove", v)
}

// accessPage is the data of a member's "Roles and access" (USR-2, ACC-3).
type accessPage struct {
	Member org.Member
	Roles  []access.Role // the roles the caller may give
	// Locked: an Admin looking at an Owner sees the form disabled.
	Locked bool
	// AllFolders: the chosen role sees every folder (Owner, Admin, ACC-1),
	// so the folder boxes are disabled and say why.
	AllFolders bool
	Folders    []*folderNode
}

// pickFolders draws the folder boxes for role, with checked chosen.
func (p *accessPage) pickFolders(fs []org.FolderView, role access.Role, checked []string) {
	p.AllFolders = role.SeesAllFolders()
	p.Folders = folderPicker(fs, checked, p.Locked || p.AllFolders)
}

// grantableFolders returns the folders the caller can grant access to, if
// they may manage members; false when not (the error page is shown).
func (c *call) grantableFolders() ([]org.FolderView, bool) {
	if !c.allowed(access.ManageMembers) {
		return nil, false
	}
	fs, err := c.folders()
	if err != nil {
		c.fail(err)
		return nil, false
	}
	return fs, true
}

// accessView loads the member of the path and the folder picker.
func (c *call) accessView() (*view, bool) {
	ms, err := c.members()
	if err != nil {
		c.fail(err)
		return nil, false
	}
	var target *org.Member
	for i := range ms {
		if ms[i].UserID == c.r.PathValue("user") {
			target = &ms[i]
		}
	}
	if target == nil {
		c.notFound()
		return nil, false
	}
	fs, ok := c.grantableFolders()
	if !ok {
		return nil, false
	}
	page := &accessPage{Member: *target, Locked: target.Role == access.Owner && c.member.Role != access.Owner}
	for _, r := range access.Roles {
		if r != access.Owner || c.member.Role == access.Owner || page.Locked {
			page.Roles = append(page.Roles, r)
		}
	}
	page.pickFolders(fs, target.Role, target.Folders)
	v := c.view("access.title", "users")
	v.Form["role"] = string(target.Role)
	v.Data = page
	return v, true
}

func (u *UI) accessForm(c *call) {
	if v, ok := c.accessView(); ok {
		c.render(http.StatusOK, "member_access", v)
	}
}

// saveAccess sets the member's role and folder grants at once; the service
// applies USR-2 (Admins cannot make or change Owners) and ORG-3 (an Owner
// always remains).
func (u *UI) saveAccess(c *call) {
	v, ok := c.accessView()
	if !ok {
		return
	}
	page := v.Data.(*accessPage)
	role, err := access.ParseRole(c.r.PostFormValue("role"))
	if err != nil {
		c.formFailed("member_access", v, err)
		return
	}
	// The folder boxes were disabled (the role shown saw every folder):
	// the grants stay as they are.
	locked := c.r.PostFormValue("folders_locked") == "yes"
	patch := org.MemberPatch{Role: &role}
	folders := page.Member.Folders
	if !locked {
		folders = c.r.PostForm["folders"]
		if folders == nil {
			folders = []string{}
		}
		patch.Folders = &folders
	}
	v.Form["role"] = string(role)
	_, fs, err := c.folderIndex()
	if err != nil {
		c.fail(err)
		return
	}
	page.pickFolders(fs, role, folders)
	if _, err := u.d.Orgs.UpdateMember(c.r.Context(), c.actor, c.org.ID, page.Member.UserID, patch); err != nil {
		c.formFailed("member_access", v, err)
		return
	}
	if locked && !role.SeesAllFolders() {
		// Without JavaScript the boxes stayed disabled while the role went
		// down to Operator or Viewer: the folders are the next step.
		c.flash("flash.access.folders", page.Member.Name)
		c.redirect(c.orgURL("users/" + url.PathEscape(page.Member.UserID) + "/access"))
		return
	}
	c.flash("flash.access.saved", page.Member.Name)
	c.redirect(c.orgURL("users"))
}

// invitePage is the data of "Invite users".
type invitePage struct {
	Folders []*folderNode
	TTLDays int
}

func (c *call) inviteView(checked []string) (*view, bool) {
	fs, ok := c.grantableFolders()
	if !ok {
		return nil, false
	}
	v := c.view("invite.title", "users")
	v.Data = &invitePage{Folders: folderPicker(fs, checked, false), TTLDays: int(org.DefaultInvitationTTL / (24 * time.Hour))}
	return v, true
}

func (u *UI) inviteForm(c *call) {
	if v, ok := c.inviteView(nil); ok {
		c.render(http.StatusOK, "invite", v)
	}
}

// invite sends an invitation (USR-1): always the Viewer role, for the
// chosen folders.
func (u *UI) invite(c *call) {
	folders := c.r.PostForm["folders"]
	v, ok := c.inviteView(folders)
	if !ok {
		return
	}
	email := c.r.PostFormValue("email")
	v.Form["email"] = email
	inv, err := u.d.Orgs.Invite(c.r.Context(), c.actor, c.org.ID, org.InviteInput{Email: email, Folders: folders})
	if err != nil {
		c.failedTo("form.error.invite", "invite", v, err)
		return
	}
	c.flash("flash.invitation.sent", inv.Email)
	c.redirect(c.orgURL("users"))
}

// invitation finds a pending invitation of the organization.
func (c *call) invitation(id string) (org.Invitation, error) {
	invs, err := c.invitations()
	if err != nil {
		return org.Invitation{}, err
	}
	for _, inv := range invs {
		if inv.ID == id {
			return inv, nil
		}
	}
	return org.Invitation{}, errs.NotFoundf("err.invitation.not_found", id)
}

func (u *UI) revokeInvitationForm(c *call) {
	inv, err := c.invitation(c.r.PathValue("id"))
	if err != nil {
		c.fail(err)
		return
	}
	v := c.view("invitations.revoke.title", "users")
	v.Data = inv
	c.render(http.StatusOK, "invitation_revoke", v)
}

// revokeInvitation revokes a pending invitation: its link then fails with
// a clear message (USR-1).
func (u *UI) revokeInvitation(c *call) {
	id := c.r.PathValue("id")
	inv, err := c.invitation(id)
	if err != nil {
		c.fail(err)
		return
	}
	if err := u.d.Orgs.RevokeInvitation(c.r.Context(), c.actor, c.org.ID, id); err != nil {
		c.fail(err)
		return
	}
	c.flash("flash.invitation.revoked", inv.Email)
	c.redirect(c.orgURL("users"))
}

// acceptPage is the data of the page an invitation link opens.
type acceptPage struct {
	Token   string
	OrgName string
	Email   string // masked
	Expires time.Time
	// Problem says why the link cannot be used (translated frame, domain
	// message); empty when it can.
	Problem string
	// WrongAccount: the signed-in person is not the one invited; the page
	// offers to sign out and in again.
	WrongAccount bool
	// Here is this page, for the sign-in and registration links to come
	// back to.
	Here string
}

func (c *call) acceptView() (*view, *org.InvitationPreview, error) {
	token := c.r.FormValue("token")
	v := c.view("accept.title", "")
	page := &acceptPage{Token: token, Here: "/invitations/accept?token=" + url.QueryEscape(token)}
	v.Data = page
	if len(token) > 200 {
		token = ""
	}
	p, err := c.u.d.Orgs.PreviewInvitation(c.r.Context(), token)
	if err != nil {
		return v, nil, err
	}
	if c.speakInvitation(p.Invitation) {
		v = c.view("accept.title", "")
		v.Data = page
	}
	page.OrgName, page.Email, page.Expires = p.OrgName, p.Email, p.Invitation.ExpiresAt
	if err := org.CheckAcceptable(p.Invitation, c.now(), "", ""); err != nil {
		return v, &p, err
	}
	return v, &p, nil
}

// speakInvitation switches the page to the language of the invitation's
// e-mail for a guest who has chosen no language (no lang cookie): they read
// the e-mail in it.
func (c *call) speakInvitation(inv org.Invitation) bool {
	if c.signedIn || !isLang(inv.Lang) || inv.Lang == c.lang {
		return false
	}
	if _, err := c.r.Cookie(langCookie); err == nil {
		return false
	}
	c.lang, c.actor.Lang = inv.Lang, inv.Lang
	return true
}

// acceptProblem shows why an invitation link cannot be used, with the
// service's message in a translated frame; internal errors go to fail.
func (c *call) acceptProblem(v *view, err error) {
	e, ok := errs.As(err)
	status := edge.Status(err)
	if !ok || status >= 500 || status == http.StatusUnauthorized {
		c.fail(err)
		return
	}
	page := v.Data.(*acceptPage)
	page.Problem = c.t("accept.problem", e.In(c.lang))
	page.WrongAccount = c.signedIn && e.Code == errs.Forbidden
	c.render(status, "invitation_accept", v)
}

// acceptForm is the page of an invitation link (USR-1): which organization,
// for which (masked) address, and a way in: Accept when signed in, else
// create an account or sign in and come back here.
func (u *UI) acceptForm(c *call) {
	v, p, err := c.acceptView()
	if err != nil {
		c.acceptProblem(v, err)
		return
	}
	if c.signedIn {
		// Say at once when the link was sent to another address.
		me := strings.ToLower(strings.TrimSpace(c.principal.User.Email))
		if err := org.CheckAcceptable(p.Invitation, c.now(), me, strings.ToLower(strings.TrimSpace(p.Invitation.Email))); err != nil {
			c.acceptProblem(v, err)
			return
		}
	}
	c.render(http.StatusOK, "invitation_accept", v)
}

// accept makes the signed-in person a Viewer of the invited folders and
// takes them to the organization's devices.
func (u *UI) accept(c *call) {
	v, _, err := c.acceptView()
	if err != nil {
		c.acceptProblem(v, err)
		return
	}
	o, err := u.d.Orgs.AcceptInvitation(c.r.Context(), c.actor, c.r.PostFormValue("token"))
	if err != nil {
		c.acceptProblem(v, err)
		return
	}
	c.flash("flash.invitation.accepted", o.Name)
	c.redirect("/orgs/" + o.ID + "/devices")
}

// invitationNote is what the sign-in and registration pages say when they
// were opened from an invitation link: the organization and the masked
// address the invitation was sent to. Like the invitation's own page, they
// speak the invitation's language to a guest who has chosen none.
type invitationNote struct {
	OrgName, Email string
}

func (c *call) invitationNote(next string) *invitationNote {
	u, err := url.Parse(next)
	if err != nil || u.Path != "/invitations/accept" {
		return nil
	}
	token := u.Query().Get("token")
	if token == "" || len(token) > 200 {
		return nil
	}
	p, err := c.u.d.Orgs.PreviewInvitation(c.r.Context(), token)
	if err != nil || p.Status != org.InvitePending {
		return nil
	}
	c.speakInvitation(p.Invitation)
	return &invitationNote{OrgName: p.OrgName, Email: p.Email}
}
