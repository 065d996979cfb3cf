package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"mysystems/internal/account"
	"mysystems/internal/clock"
)

// EnvScreenshots names a directory where the browser tests save each page
// they pass through at laptop (1280 px) and tablet (768 px) width, for a
// person to look at. Unset, nothing is saved.
const EnvScreenshots = "MYSYSTEMS_TEST_SCREENSHOTS"

// shot saves the current page at both widths when EnvScreenshots is set.
func (b *browser) shot(name string) {
	b.t.Helper()
	dir := os.Getenv(EnvScreenshots)
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	for _, w := range []int64{1280, 768} {
		b.step("viewport", chromedp.EmulateViewport(w, 900))
		png := value(b, "screenshot "+name, chromedp.FullScreenshot(100))
		path := filepath.Join(dir, fmt.Sprintf("%s-%s-%d.png", unsafeName.ReplaceAllString(b.t.Name(), "_"), name, w))
		if err := os.WriteFile(path, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.step("viewport", chromedp.EmulateViewport(1280, 900))
}

// follow clicks link, waits until ready is visible and saves the page as
// shot (see shot).
func (b *browser) follow(shot, link, ready string) {
	b.t.Helper()
	b.step(shot, chromedp.Click(link), chromedp.WaitVisible(ready))
	b.shot(shot)
}

// submit runs the actions that fill a form, clicks its button, waits until
// ready is visible and saves the page as shot (see shot).
func (b *browser) submit(shot, button, ready string, fill ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.step(shot, append(fill, chromedp.Click(button), chromedp.WaitVisible(ready))...)
	b.shot(shot)
}

// acknowledgeRisk, on a page behind "I understand the risks", checks that
// the submit button is disabled until the box is ticked, ticks it, submits
// and waits for the flash message that contains done.
func (b *browser) acknowledgeRisk(what, submit, done string) {
	b.t.Helper()
	disabled := value(b, what+" button", chromedp.Evaluate[bool](`document.querySelector("`+submit+`").disabled`))
	b.check(what+" button", disabled, "%s is enabled before the risk is acknowledged", submit)
	b.step(what,
		chromedp.Click("#confirm"),
		chromedp.Click(submit),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "`+done+`")]`),
	)
}

// fresh opens a tab in a new browser context of the same browser: no
// cookies shared, like another person's browser.
func (b *browser) fresh() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a fresh browser context: %v", err)
	}
	return &browser{t: b.t, ctx: ctx}
}

func (b *browser) registerAs(email, name string) {
	b.t.Helper()
	b.step("register "+email,
		chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", email),
		chromedp.SendKeys("#name", name),
		chromedp.SendKeys("#password", password),
		chromedp.Click("#register-submit"),
	)
}

// folderIDOf reads the id of the folder selected on the Folders page.
func (b *browser) folderIDOf(name string) string {
	b.t.Helper()
	loc := value(b, "location after "+name, chromedp.Location())
	m := selectedFolder.FindStringSubmatch(loc)
	b.check("folder "+name, m != nil, "location %q names no folder", loc)
	return m[1]
}

// TestUSR1_BrowserInvitation: an Owner builds a folder tree and invites a
// Viewer to one subtree; the invited person opens the link in another
// browser, registers from it, lands in the organization and sees only that
// subtree (USR-1, ACC-1, DEV-1, DEV-2).
func TestUSR1_BrowserInvitation(t *testing.T) {
	b := newBrowser(t)
	srv, a := server(t)
	start := time.Now()

	orgID := b.newOrg(srv.URL, "owner@example.com", "Olivia Owner", "Invite Org")

	b.step("devices",
		chromedp.Click(`nav.panel a[href="/orgs/`+orgID+`/devices"]`),
		chromedp.WaitVisible("#manage-folders"),
		chromedp.Click("#manage-folders"),
		chromedp.WaitVisible("#folder-create-submit"),
	)
	root := value(b, "root folder", chromedp.Evaluate[string](`document.querySelector("#folder-tree a[data-folder-id]").dataset.folderId`))
	b.step("create Site A",
		chromedp.SendKeys("#name", "Site A"),
		chromedp.Click("#folder-create-submit"),
		chromedp.WaitVisible(`//a[@aria-current="true" and normalize-space()="Site A"]`),
	)
	siteA := b.folderIDOf("Site A")
	b.step("create Floor 1 in Site A",
		chromedp.SendKeys("#name", "Floor 1"),
		chromedp.Click("#folder-create-submit"),
		chromedp.WaitVisible(`//a[@aria-current="true" and normalize-space()="Floor 1"]`),
	)
	b.step("select the root",
		chromedp.Click(`#folder-tree a[data-folder-id="`+root+`"]`),
		chromedp.WaitVisible(`#folder-tree a[data-folder-id="`+root+`"][aria-current="true"]`),
	)
	for _, name := range []string{"Vault", "Old"} {
		b.step("create "+name,
			chromedp.SendKeys("#name", name),
			chromedp.Click("#folder-create-submit"),
			chromedp.WaitVisible(`//a[@aria-current="true" and normalize-space()="`+name+`"]`),
			chromedp.Click(`#folder-tree a[data-folder-id="`+root+`"]`),
			chromedp.WaitVisible(`#folder-tree a[data-folder-id="`+root+`"][aria-current="true"]`),
		)
	}
	b.shot("devices")
	folderNamed := func(name string) string {
		return value(b, "folder "+name, chromedp.Evaluate[string](`[...document.querySelectorAll("#folder-tree a[data-folder-id]")]
			.find(a => a.textContent.trim() === "`+name+`").dataset.folderId`))
	}
	old, vault := folderNamed("Old"), folderNamed("Vault")

	// DEV-2: delete from the row's "…" menu, behind "I understand the risks".
	b.step("delete from the row menu",
		chromedp.Click(`#folder-tree a[data-folder-id="`+old+`"] ~ details summary`),
		chromedp.Click(`#folder-tree a[data-folder-id="`+old+`"] ~ details a[data-action="delete"]`),
		chromedp.WaitVisible("#folder-delete-submit"),
	)
	b.shot("folder-delete")
	b.acknowledgeRisk("delete", "#folder-delete-submit", "deleted")

	b.follow("users", `nav.panel a[href="/orgs/`+orgID+`/users"]`, "#invite-link")
	b.follow("invite", "#invite-link", "#invite-submit")
	b.step("invite",
		chromedp.SendKeys("#email", "guest@example.com"),
		chromedp.Click("#folder-"+siteA),
		chromedp.Click("#invite-submit"),
		chromedp.WaitVisible("#invitations-table"),
	)
	pending := value(b, "pending", chromedp.Text("#invitations-table"))
	b.check("invite", strings.Contains(pending, "guest@example.com") && strings.Contains(pending, "Default / Site A"),
		"pending invitations: %q", pending)

	link := inviteLink.FindString(a.LastMail("guest@example.com"))
	b.check("invitation mail", link != "", "no link in the invitation mail")

	g := b.fresh()
	g.step("open the link",
		chromedp.Navigate(srv.URL+link),
		chromedp.WaitVisible("#accept-register"),
	)
	g.shot("accept")
	masked := value(g, "masked address", chromedp.Text("#accept-email"))
	g.check("masked address", masked == "g***t@example.com", "the page shows %q", masked)
	g.follow("register-invited", "#accept-register", "#invitation-note")
	g.registerAs("guest@example.com", "Gus Guest")
	g.submit("devices-viewer", "#accept-submit", "#folder-tree", chromedp.WaitVisible("#accept-submit"))
	folders := value(g, "visible folders", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#folder-tree a[data-folder-id]")].map(a => a.textContent.trim())`))
	g.check("visible folders", slices.Equal(folders, []string{"Site A", "Floor 1"}), "the Viewer sees %v", folders)
	flash := value(g, "welcome", chromedp.Text("#flash"))
	g.check("welcome", strings.Contains(flash, "Invite Org"), "flash %q", flash)
	readonly := value(g, "read-only", chromedp.Evaluate[bool](`document.querySelector("#manage-folders") === null &&
		document.querySelector("#folder-tree details") === null && document.querySelector("#device-add") === null &&
		document.querySelector("#device-import") === null && document.querySelector("#devices-export") !== null`))
	g.check("read-only", readonly, "the Viewer has folder or device management controls")
	g.step("viewer's folders page",
		chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/folders"),
		chromedp.WaitVisible("#folders-readonly"),
	)
	readonly = value(g, "folders read-only", chromedp.Evaluate[bool](`document.querySelector("#folder-create-submit") === null &&
		document.querySelector("#folder-tree details") === null`))
	g.check("folders read-only", readonly, "the Viewer has folder management controls")
	g.follow("users-viewer", `nav.panel a[href="/orgs/`+orgID+`/users"]`, "#users-readonly")

	b.step("owner sees the new member",
		chromedp.Reload(),
		chromedp.WaitVisible(`//td[normalize-space()="guest@example.com"]`),
	)
	role := value(b, "guest role", chromedp.Text(`//tr[td[normalize-space()="guest@example.com"]]/td[@data-role]`))
	b.check("guest role", role == "Viewer", "the guest's role is %q", role)

	// Roles and access, from the row's "…" menu (USR-2, ACC-3).
	guestRow := `//tr[td[normalize-space()="guest@example.com"]]`
	b.step("roles and access",
		chromedp.Click(guestRow+`//summary`),
		chromedp.Click(guestRow+`//a[@data-action="access"]`),
		chromedp.WaitVisible("#access-save"),
	)
	b.shot("access")
	b.step("make an Operator of Site A and Vault",
		chromedp.SetValue("#role", "operator"),
		chromedp.Click("#folder-"+vault),
		chromedp.Click("#access-save"),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "Gus Guest")]`),
	)
	access := value(b, "guest access", chromedp.Text(guestRow+`/td[contains(@class, "access")]`))
	role = value(b, "guest role", chromedp.Text(guestRow+`/td[@data-role]`))
	b.check("roles and access", role == "Operator" && access == "Default / Site A, Default / Vault",
		"the guest is %q with access %q", role, access)

	// USR-3: all or nothing, with the reason for each refusal.
	b.submit("remove", "#remove-selected", "#remove-list",
		chromedp.Click(guestRow+`//input[@type="checkbox"]`),
		chromedp.Click(`//tr[td[normalize-space()="owner@example.com"]]//input[@type="checkbox"]`),
	)
	b.follow("remove-refused", "#remove-submit", "#refusals")
	refusals := value(b, "refusals", chromedp.Text("#refusals"))
	b.check("refused", strings.Contains(refusals, "Olivia Owner") && strings.Contains(refusals, "at least one owner") &&
		!strings.Contains(refusals, "Gus Guest"), "refusals %q", refusals)

	b.follow("settings", `nav.panel a[href="/orgs/`+orgID+`/settings"]`, "#require_mfa")
	t.Logf("invitation journey took %s", time.Since(start).Round(time.Millisecond))
}

// TestID3_BrowserTOTP turns on an authenticator app in the security settings,
// signs out and signs in again with a code (ID-3). The app's clock is
// fake, so the second code is from the next time step, not a replay.
func TestID3_BrowserTOTP(t *testing.T) {
	b := newBrowser(t)
	clk := clock.NewFake(time.Now())
	srv, _ := serverAt(t, clk)
	var secret string
	code := func() string {
		c, err := account.TOTPCode(secret, account.TOTPStep(clk.Now()))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	b.step("open", chromedp.Navigate(srv.URL+"/register"))
	b.registerAs("totp@example.com", "Tess Totp")
	b.step("security settings",
		chromedp.WaitVisible("#home-empty"),
		chromedp.Click("#account-menu summary"),
		chromedp.Click("#menu-security"),
		chromedp.WaitVisible("#totp-start"),
	)
	b.shot("security")
	b.follow("security-totp", "#totp-start", "#totp-secret")
	drawn := value(b, "QR code", chromedp.Evaluate[bool](`(() => { const i = document.querySelector("#totp-qr");
		return i.complete && i.naturalWidth > 0 })()`))
	b.check("QR code", drawn, "the QR code image is not drawn (Content-Security-Policy?)")
	secret = value(b, "secret", chromedp.Text("#totp-secret"))
	b.submit("security-recovery", "#totp-confirm", "#recovery-codes", chromedp.SendKeys("#totp_code", code()))
	n := value(b, "recovery codes", chromedp.Evaluate[int](`document.querySelectorAll("#recovery-codes li").length`))
	b.check("recovery codes", n == account.RecoveryCodeCount, "%d recovery codes shown", n)
	b.recoveryCodesKept("totp@example.com")

	clk.Advance(account.TOTPPeriod * time.Second)
	b.step("sign out",
		chromedp.Click("#account-menu summary"),
		chromedp.Click("#signout"),
		chromedp.WaitVisible("#login-submit"),
	)
	b.submit("login-mfa", "#login-submit", "#mfa-submit",
		chromedp.SendKeys("#email", "totp@example.com"),
		chromedp.SendKeys("#password", password),
	)
	b.step("second step",
		chromedp.SendKeys("#code", code()),
		chromedp.Click("#mfa-submit"),
		chromedp.WaitVisible("#home-empty"),
	)
	who := value(b, "signed in", chromedp.Text("#account-menu summary"))
	b.check("signed in", strings.Contains(who, "Tess Totp"), "account menu %q", who)
}

// recoveryCodesKept, on the page that shows new recovery codes, copies them
// and downloads them as a text file, under the pages' Content-Security-Policy
// (ID-3): both hold every code shown, after a line naming the account.
func (b *browser) recoveryCodesKept(email string) {
	b.t.Helper()
	codes := value(b, "codes", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#recovery-codes li")].map(li => li.textContent.trim())`))
	want := func(text string) bool {
		lines := strings.Split(strings.TrimRight(text, "\r\n"), "\r\n")
		return len(lines) == len(codes)+1 && strings.Contains(lines[0], email) && slices.Equal(lines[1:], codes)
	}
	dir := b.t.TempDir()
	b.step("allow the clipboard and downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			if _, err := chromedp.Call(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted}); err != nil {
				return err
			}
		}
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}))
	b.step("copy", chromedp.WaitVisible("#recovery-copy"), chromedp.Click("#recovery-copy"),
		chromedp.WaitVisible(`//button[@id="recovery-copy" and normalize-space()="Copied"]`))
	copied := value(b, "clipboard", chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	b.check("copy", want(copied), "the clipboard holds %q, want the %d codes %v", copied, len(codes), codes)

	b.step("download", chromedp.WaitVisible("#recovery-download"), chromedp.Click("#recovery-download"))
	var file []byte
	waitUntil(b.t, "the downloaded file", func() bool {
		var err error
		file, err = os.ReadFile(filepath.Join(dir, "my-systems-recovery-codes.txt"))
		return err == nil && len(file) > 0
	})
	b.check("download", want(string(file)), "the file holds %q, want the %d codes %v", file, len(codes), codes)
	b.shot("security-recovery-kept")
}
