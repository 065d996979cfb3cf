package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mysystems/internal/access"
	"mysystems/internal/harness"
)

// signIn signs the browser in as u (a person of harness.User).
func (b *browser) signIn(srvURL string, u harness.User) {
	b.t.Helper()
	b.step("sign in "+u.Email,
		chromedp.Navigate(srvURL+"/login"),
		chromedp.WaitVisible("#login-submit"),
		chromedp.SendKeys("#email", u.Email),
		chromedp.SendKeys("#password", harness.Password),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#account-menu"),
	)
}

// chooseRole picks role in the "Roles and access" form as a person does
// (the select's change event).
func chooseRole(role string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#role"); s.value = "` + role + `";
		s.dispatchEvent(new Event("change", { bubbles: true })) })()`)
}

// noSidewaysScroll checks that the page does not scroll sideways at 1280
// and 768 px.
func (b *browser) noSidewaysScroll(name string) {
	b.t.Helper()
	for _, w := range []int64{1280, 768} {
		b.step(name+" width", chromedp.EmulateViewport(w, 900))
		got := value(b, name+" fits", chromedp.Evaluate[[]float64](`[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]`))
		b.check(name, got[0] <= got[1], "at %d px the page is %v px wide in %v", w, got[0], got[1])
	}
	b.step(name+" laptop width", chromedp.EmulateViewport(1280, 900))
}

// TestUSR2_BrowserRoleHintAndFolders: in "Roles and access" the hint follows
// the role chosen and the folder boxes turn off for Admin and Owner, who see
// every folder; on the Users page "select all" checks every member and
// Remove is usable only with someone selected (USR-2, USR-3, ACC-1).
func TestUSR2_BrowserRoleHintAndFolders(t *testing.T) {
	b := newBrowser(t)
	srv, a := server(t)
	owner := a.User("roles.owner@example.com")
	orgID, root := a.Org(owner.Token, "Roles Org")
	viewer := a.Member(orgID, "roles.viewer@example.com", access.Viewer, root)
	a.Member(orgID, "roles.operator@example.com", access.Operator, root)
	b.signIn(srv.URL, owner)

	b.step("roles and access", chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/users/"+viewer.ID+"/access"),
		chromedp.WaitVisible("#access-save"))
	shown := func() string {
		return value(b, "hint", chromedp.Evaluate[string](`[...document.querySelectorAll("[data-role-hint]")].filter(p => !p.hidden)
			.map(p => p.dataset.roleHint).join(",")`))
	}
	boxes := func() string {
		return value(b, "boxes", chromedp.Evaluate[string](`[...document.querySelectorAll('input[name="folders"]')].map(i => i.disabled ? "off" : "on").join(",") +
			(document.querySelector("#folders-all").hidden ? "" : " all") + (document.querySelector("#folders-locked").disabled ? "" : " locked")`))
	}
	b.check("viewer", shown() == "viewer" && boxes() == "on", "hint %q, boxes %q", shown(), boxes())
	b.step("admin", chooseRole("admin"))
	b.check("admin", shown() == "admin" && boxes() == "off all locked", "hint %q, boxes %q", shown(), boxes())
	b.shot("access-admin")
	b.noSidewaysScroll("access")
	b.step("owner", chooseRole("owner"))
	b.check("owner", shown() == "owner" && boxes() == "off all locked", "hint %q, boxes %q", shown(), boxes())
	b.step("operator", chooseRole("operator"))
	b.check("operator", shown() == "operator" && boxes() == "on", "hint %q, boxes %q", shown(), boxes())

	b.step("users", chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/users"), chromedp.WaitVisible("#select-all-members"))
	state := func() string {
		return value(b, "selection", chromedp.Evaluate[string](`[...document.querySelectorAll('input[name="user"]')].filter(i => i.checked).length +
			(document.querySelector("#remove-selected").disabled ? " disabled" : " enabled") +
			(document.querySelector("#select-all-members").indeterminate ? " some" : "")`))
	}
	b.check("nothing selected", state() == "0 disabled", "selection %q", state())
	b.step("select all", chromedp.Click("#select-all-members"))
	b.check("all selected", state() == "3 enabled", "selection %q", state())
	count := value(b, "count", chromedp.Text("#members-selected"))
	b.check("count", strings.Contains(count, "3"), "the count says %q", count)
	b.step("one off", chromedp.Click(`input[name="user"][value="`+viewer.ID+`"]`))
	b.check("two selected", state() == "2 enabled some", "selection %q", state())
	b.step("none", chromedp.Click("#select-all-members"), chromedp.Click("#select-all-members"))
	b.check("none selected", state() == "0 disabled", "selection %q", state())
	b.shot("users")
	b.noSidewaysScroll("users")

	b.step("select one", chromedp.Click(`input[name="user"][value="`+viewer.ID+`"]`), chromedp.Click("#remove-selected"),
		chromedp.WaitVisible("#remove-submit"))
	effect := value(b, "effect", chromedp.Text("#remove-effect"))
	b.check("one", strings.HasPrefix(effect, "This user loses access"), "the confirmation of one says %q", effect)
}

// TestORG1_BrowserSwitcherKeepsTheSection: switching organization on the
// Devices page opens the other organization's Devices; the security
// settings and API tokens, opened from the account menu, keep that
// organization's side panel and name (ORG-1).
func TestORG1_BrowserSwitcherKeepsTheSection(t *testing.T) {
	b := newBrowser(t)
	srv, a := server(t)
	owner := a.User("switch.owner@example.com")
	first, _ := a.Org(owner.Token, "First Org")
	second, _ := a.Org(owner.Token, "Second Org")
	b.signIn(srv.URL, owner)

	b.step("devices of the first", chromedp.Navigate(srv.URL+"/orgs/"+first+"/devices"), chromedp.WaitVisible("#devices-empty"))
	b.step("switch",
		chromedp.Click("#org-switcher summary"),
		chromedp.Click(`#org-switcher a[data-org-id="`+second+`"]`),
		chromedp.WaitVisible(`//span[@id="switcher-current" and normalize-space()="Second Org"]`),
	)
	loc := value(b, "location", chromedp.Location())
	b.check("switch", strings.HasSuffix(loc, "/orgs/"+second+"/devices"), "switching from Devices opened %q", loc)

	for _, page := range []string{"#menu-security", "#menu-tokens"} {
		b.step(page,
			chromedp.Click("#account-menu summary"),
			chromedp.Click(page),
			chromedp.WaitVisible("nav.panel"),
		)
		current := value(b, page+" switcher", chromedp.Text("#switcher-current"))
		b.check(page, current == "Second Org", "the account page shows the switcher on %q", current)
		b.shot(strings.TrimPrefix(page, "#"))
		b.noSidewaysScroll(page)
	}
}
