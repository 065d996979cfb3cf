package web_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mysystems/internal/harness"
	"mysystems/internal/sim"
)

// startedServer is server with the app's background work running (the
// gateway's presence and wake-ups, jobs), serving HTTP/1.1 to the browser
// and cleartext HTTP/2 to simulated devices, as cmd/mysystems does.
func startedServer(t *testing.T) (*httptest.Server, *harness.Server) {
	t.Helper()
	a := harness.New(t, nil, harness.WallClock(), harness.Started())
	return a.HTTP, a
}

// waitUntil polls cond until it holds, failing the test after a deadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// newOrg registers in the browser and creates an organization; it returns
// the organization's id.
func (b *browser) newOrg(srvURL, email, name, orgName string) string {
	b.t.Helper()
	b.step("open", chromedp.Navigate(srvURL+"/register"))
	b.registerAs(email, name)
	b.step("create organization",
		chromedp.WaitVisible("#home-empty"),
		chromedp.Click("#create-org"),
		chromedp.WaitVisible("#org-create-submit"),
		chromedp.SendKeys("#name", orgName),
		chromedp.Click("#org-create-submit"),
		chromedp.WaitVisible("#org-id"),
	)
	return value(b, "organization id", chromedp.Text("#org-id"))
}

// listedSerials returns the serial numbers of the device list.
func (b *browser) listedSerials() []string {
	b.t.Helper()
	s := value(b, "listed serials", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#devices-table tr[data-serial]")].map(r => r.dataset.serial)`))
	slices.Sort(s)
	return s
}

// TestDEV3_BrowserOnboarding: an Owner adds a device with the form (after a
// wrong OAK), imports two from CSV (after a refused file with its report),
// finds the three in the list, and removes one behind "I understand the
// risks" (DEV-3, DEV-4, DEV-5).
func TestDEV3_BrowserOnboarding(t *testing.T) {
	b := newBrowser(t)
	srv, a := server(t)
	ms := a.Mint(3)
	orgID := b.newOrg(srv.URL, "onboarder@example.com", "Oscar Onboarder", "Onboard Org")

	b.follow("devices-empty", `nav.panel a[href="/orgs/`+orgID+`/devices"]`, "#devices-empty")
	b.submit("device-add-error", "#device-add-submit", "#oak-error",
		chromedp.Click("#device-add"),
		chromedp.WaitVisible("#device-add-submit"),
		chromedp.SendKeys("#serial", ms[0].Serial),
		chromedp.SendKeys("#oak", "WRONG-OAK-123"),
	)
	msg := value(b, "wrong OAK", chromedp.Text("#oak-error"))
	b.check("wrong OAK", strings.Contains(msg, "do not match"), "the OAK error says %q", msg)
	b.submit("device", "#device-add-submit", "#device-name",
		chromedp.Clear("#oak"),
		chromedp.SendKeys("#oak", ms[0].OAK),
		chromedp.SendKeys("#name", "Entrance"),
	)
	name := value(b, "device name", chromedp.Text("#device-name"))
	serial := value(b, "device serial", chromedp.Text("#device-serial"))
	b.check("add device", name == "Entrance" && serial == ms[0].Serial, "the page shows %q %q", name, serial)

	b.submit("import-report", "#import-submit", "#import-report",
		chromedp.Click("#back-devices"),
		chromedp.WaitVisible("#device-import"),
		chromedp.Click("#device-import"),
		chromedp.WaitVisible("#import-submit"),
		chromedp.SetValue("#csv", csvOf(ms[1].Serial+","+ms[1].OAK+",", ms[2].Serial+",BADOAK000000,Nowhere")),
	)
	refused := value(b, "refused", chromedp.Text("#import-refused"))
	bad := value(b, "bad line", chromedp.Text(`#import-report tr[data-line="2"]`))
	b.check("refused", refused == "No device was claimed." && strings.Contains(bad, ms[2].Serial) && strings.Contains(bad, "Nowhere"),
		"refusal %q, line 2 %q", refused, bad)
	b.step("import",
		chromedp.SetValue("#csv", csvOf(ms[1].Serial+","+ms[1].OAK+",", ms[2].Serial+","+ms[2].OAK+",Default")),
		chromedp.Click("#import-submit"),
		chromedp.WaitVisible("#devices-table"),
	)
	flash := value(b, "imported", chromedp.Text("#flash"))
	listed := b.listedSerials()
	want := []string{ms[0].Serial, ms[1].Serial, ms[2].Serial}
	slices.Sort(want)
	b.check("import", strings.Contains(flash, "2") && slices.Equal(listed, want), "flash %q, list %v", flash, listed)
	b.shot("devices")

	// The new page is the one whose search box holds the text as its
	// value attribute (typing sets only the property).
	b.step("search",
		chromedp.SendKeys("#q", ms[1].Serial[4:]),
		chromedp.Click("#devices-filter"),
		chromedp.WaitVisible(`#q[value="`+ms[1].Serial[4:]+`"]`),
		chromedp.WaitVisible(`#devices-table tr[data-serial="`+ms[1].Serial+`"]`),
	)
	listed = b.listedSerials()
	b.check("search", slices.Equal(listed, []string{ms[1].Serial}), "search lists %v", listed)

	b.follow("devices-fr", "#lang-fr", `html[lang="fr"] #devices-table`)
	heading := value(b, "French heading", chromedp.Text("main h1"))
	b.check("French", heading == "Périphériques", "heading %q", heading)
	b.follow("device-fr", `#devices-table tr[data-serial="`+ms[1].Serial+`"] a`, "#remove-link")
	b.step("English", chromedp.Click("#lang-en"), chromedp.WaitVisible(`html[lang="en"] #remove-link`))

	b.follow("device-remove", "#remove-link", "#device-remove-submit")
	b.acknowledgeRisk("remove", "#device-remove-submit", "removed")
	b.step("all devices", chromedp.Click("#all-devices"), chromedp.WaitVisible(`#all-devices[aria-current="true"]`),
		chromedp.WaitVisible("#devices-table"))
	listed = b.listedSerials()
	want = []string{ms[0].Serial, ms[2].Serial}
	slices.Sort(want)
	b.check("after remove", slices.Equal(listed, want), "the list shows %v", listed)
}

// TestDEV6_BrowserDeviceAccounts: with a simulated device connected, an Owner
// identifies it, creates a local account on it and changes that account's
// password, each command followed live to "applied" without reloading the
// page; service accounts offer no change control (DEV-6, GW-2, GW-4).
func TestDEV6_BrowserDeviceAccounts(t *testing.T) {
	b := newBrowser(t)
	srv, a := startedServer(t)
	ms := a.Mint(1)
	orgID := b.newOrg(srv.URL, "accounts.owner@example.com", "Ada Admin", "Accounts Org")

	f, err := sim.New(sim.Config{Server: srv.URL, Speed: 1000, HeartbeatEvery: 200 * time.Millisecond, PollWait: 5,
		NoSourceBind: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(context.Background(), []sim.Identity{{Serial: ms[0].Serial, Model: ms[0].Model, Secret: ms[0].Secret}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	dev := f.Device(ms[0].Serial)
	waitUntil(t, "the simulated device's hello", dev.Online)

	b.step("add the device",
		chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/devices/add"),
		chromedp.WaitVisible("#device-add-submit"),
		chromedp.SendKeys("#serial", ms[0].Serial),
		chromedp.SendKeys("#oak", ms[0].OAK),
		chromedp.SendKeys("#name", "Door station"),
		chromedp.Click("#device-add-submit"),
		chromedp.WaitVisible("#device-name"),
	)
	status := value(b, "status", chromedp.Text("#device-status"))
	b.check("status", status == "Online", "the connected device shows %q", status)

	// Identify: the command's state follows live until applied.
	b.step("identify",
		chromedp.Click("#action-identify"),
		chromedp.WaitVisible("#command"),
		chromedp.WaitVisible(`#command-state[data-state="applied"]`),
	)
	b.shot("device-command")
	result := value(b, "identify result", chromedp.Text("#command-result-text"))
	b.check("identify", strings.Contains(result, "LED"), "the device answered %q", result)

	b.follow("device-accounts", "#accounts-link", "#accounts-table")
	locked := value(b, "service account", chromedp.Evaluate[bool](`(() => {
		const row = document.querySelector('tr[data-username="acs-service"]');
		return row !== null && row.dataset.service === "true" && row.querySelector("details, [data-action], form, button") === null })()`))
	b.check("service account", locked, "the service account offers a change control")
	rootMenu := value(b, "root account", chromedp.Evaluate[bool](`document.querySelector('tr[data-username="root"] [data-action="password"]') !== null &&
		document.querySelector('tr[data-username="root"] [data-action="delete"]') === null`))
	b.check("root account", rootMenu, "root must offer a password change and no deletion")

	const first, second = "first pass 1!", "Second-pass#2"
	b.step("create an account",
		chromedp.Click("#account-new"),
		chromedp.WaitVisible("#account-create-submit"),
		chromedp.SendKeys("#username", "op1"),
		chromedp.SetValue("#role", "operator"),
		chromedp.SendKeys("#password", first),
		chromedp.SendKeys("#password_confirm", first),
	)
	b.shot("account-new")
	b.step("created",
		chromedp.Click("#account-create-submit"),
		chromedp.WaitVisible("#command"),
		chromedp.WaitVisible(`#command-state[data-state="applied"]`),
		chromedp.WaitVisible("#command-refresh a"),
		chromedp.Click("#command-refresh a"),
		chromedp.WaitNotPresent("#command"),
		chromedp.WaitVisible(`tr[data-username="op1"]`),
	)
	b.check("created", dev.CheckPassword("op1", first), "the device does not have op1 with its password")

	b.step("change password page",
		chromedp.Click(`tr[data-username="op1"] summary`),
		chromedp.Click(`tr[data-username="op1"] a[data-action="password"]`),
		chromedp.WaitVisible("#account-password-submit"),
		chromedp.SendKeys("#password", second),
		chromedp.SendKeys("#password_confirm", second),
	)
	b.shot("account-password")
	b.step("change password",
		chromedp.Click("#account-password-submit"),
		chromedp.WaitVisible("#command"),
	)
	what := value(b, "command", chromedp.Text("#command-what"))
	b.step("applied", chromedp.WaitVisible(`#command-state[data-state="applied"]`))
	b.shot("account-password-applied")
	page := value(b, "page", chromedp.OuterHTML("html"))
	b.check("change password", strings.Contains(what, "op1") && dev.CheckPassword("op1", second),
		"command %q; the device's password of op1 was not changed", what)
	b.check("no echo", !strings.Contains(page, second) && !strings.Contains(page, first), "a password is in the page")

	b.step("French", chromedp.Click("#lang-fr"), chromedp.WaitVisible(`html[lang="fr"] #accounts-table`))
	b.shot("device-accounts-fr")
	state := value(b, "French state", chromedp.Text("#command-state"))
	b.check("French", state == "Appliquée", "state %q", state)
}

// TestDEV7_BrowserReboot: Reboot opens a confirmation that says what a
// reboot does; once confirmed, the device page shows the device Rebooting
// while the command follows live to applied (DEV-7, GW-2).
func TestDEV7_BrowserReboot(t *testing.T) {
	b := newBrowser(t)
	srv, a := startedServer(t)
	ms := a.Mint(1)
	orgID := b.newOrg(srv.URL, "reboot.owner@example.com", "Rita Reboot", "Reboot Org")
	f, err := sim.New(sim.Config{Server: srv.URL, Speed: 1000, HeartbeatEvery: 200 * time.Millisecond, PollWait: 5,
		NoSourceBind: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(context.Background(), []sim.Identity{{Serial: ms[0].Serial, Model: ms[0].Model, Secret: ms[0].Secret}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	waitUntil(t, "the simulated device's hello", f.Device(ms[0].Serial).Online)

	b.step("add the device",
		chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/devices/add"),
		chromedp.WaitVisible("#device-add-submit"),
		chromedp.SendKeys("#serial", ms[0].Serial),
		chromedp.SendKeys("#oak", ms[0].OAK),
		chromedp.SendKeys("#name", "Gate camera"),
		chromedp.Click("#device-add-submit"),
		chromedp.WaitVisible("#device-name"),
	)
	b.follow("reboot-confirm", "#action-reboot", "#reboot-submit")
	effects := value(b, "effects", chromedp.Text("#reboot-effects"))
	b.check("reboot-confirm", strings.Contains(effects, "Reboot “Gate camera”?") && strings.Contains(effects, "unavailable"),
		"the confirmation says %q", effects)
	b.step("reboot",
		chromedp.Click("#reboot-submit"),
		chromedp.WaitVisible("#command"),
		chromedp.WaitVisible(`#command-state[data-state="applied"]`),
	)
	b.shot("device-rebooting")
	status := value(b, "status", chromedp.Text("#device-status"))
	badge := value(b, "badge", chromedp.Evaluate[string](`document.querySelector("h1 .badge").dataset.status`))
	b.check("rebooting", strings.HasPrefix(status, "Rebooting") && badge == "rebooting",
		"the rebooting device shows %q (badge %q)", status, badge)
	b.step("list", chromedp.Click("#back-devices"), chromedp.WaitVisible("#devices-table"))
	listed := value(b, "listed status", chromedp.Evaluate[string](`document.querySelector('#devices-table tr[data-serial="`+ms[0].Serial+`"] .badge').textContent`))
	b.check("list", listed == "Rebooting", "the list shows %q", listed)
}
