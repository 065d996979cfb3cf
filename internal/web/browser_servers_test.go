package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mysystems/internal/device"
	"mysystems/internal/sim"
)

// TestSRV2_BrowserServers: an Owner enrols an ACS Pro server (the token is
// shown once), finds it in ACS Pro Servers with its health and recommended
// upgrade, queues Upgrade server behind its confirmation and cancels it,
// is refused a cancel once the server picked the upgrade up, reads the
// 24-hour chart, changes the alert settings, at 1280 and 768 px and in
// French (SRV-1, SRV-2, SRV-3).
func TestSRV2_BrowserServers(t *testing.T) {
	b := newBrowser(t)
	srv, a := server(t)
	a.PublishACS("6.3.1", "6.4", "6.5.2")
	ctx := context.Background()
	orgID := b.newOrg(srv.URL, "sam@example.com", "Sam Servers", "Server Org")

	b.follow("servers-empty", `nav.panel a[href="/orgs/`+orgID+`/servers"]`, "#servers-empty")
	b.follow("enrol", "#server-enrol", "#enrol-submit")
	b.submit("enrolled", "#enrol-submit", "#enrol-token")
	token := value(b, "token", chromedp.Value("#enrol-token"))
	b.check("token", strings.HasPrefix(token, "mse_"), "token %q", token)

	s := a.ACSServer("Site A recorder", sim.ServerConfig{})
	if err := s.Register(ctx, token); err != nil {
		t.Fatal(err)
	}
	s.SetHealth(device.ServerHealth{CPUPercent: 37, MemoryPercent: 58, StoragePercent: 71, Recording: true, Cameras: 16})
	if _, err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	row := `#servers-table tr[data-server-id="` + s.ID() + `"]`
	b.follow("servers", "#enrol-done", row)
	text := value(b, "row", chromedp.Text(row))
	b.check("row", strings.Contains(text, "Site A recorder") && strings.Contains(text, "Online") && strings.Contains(text, "6.3.1") &&
		strings.Contains(text, "6.5.2") && strings.Contains(text, "16 cameras"), "row %q", text)

	b.step("upgrade menu", chromedp.Click(row+" details.row-menu summary"), chromedp.Click(row+` a[data-action="upgrade"]`), chromedp.WaitVisible("#upgrade-submit"))
	b.shot("upgrade-confirm")
	sel := value(b, "selected version", chromedp.Value("#version"))
	b.check("recommended preselected", sel == "6.5.2", "version %q", sel)
	b.step("upgrade", chromedp.Click("#upgrade-submit"), chromedp.WaitVisible(`//p[@id="flash" and contains(., "6.5.2 queued")]`))
	b.check("queued badge", strings.Contains(value(b, "row", chromedp.Text(row)), "Queued: 6.5.2"), "no queued badge")
	b.step("cancel", chromedp.Click(row+" details.row-menu summary"), chromedp.Click(row+` a[data-action="cancel"]`),
		chromedp.WaitVisible("#cancel-submit"), chromedp.Click("#cancel-submit"),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "canceled")]`))

	// Queued again, then picked up: a cancel is refused with the reason.
	b.step("upgrade again", chromedp.Click(row+" details.row-menu summary"), chromedp.Click(row+` a[data-action="upgrade"]`),
		chromedp.WaitVisible("#upgrade-submit"), chromedp.Click("#upgrade-submit"), chromedp.WaitVisible("#flash"))
	b.step("cancel page", chromedp.Click(row+" details.row-menu summary"), chromedp.Click(row+` a[data-action="cancel"]`), chromedp.WaitVisible("#cancel-submit"))
	if reply, err := s.Poll(ctx); err != nil || reply.Upgrade == nil {
		t.Fatalf("the server did not pick the upgrade up: %+v %v", reply, err)
	}
	b.step("cancel refused", chromedp.Click("#cancel-submit"), chromedp.WaitVisible("#form-error"))
	b.shot("cancel-refused")
	msg := value(b, "refusal", chromedp.Text("#form-error"))
	b.check("refusal", strings.Contains(msg, "can no longer be canceled"), "form error %q", msg)

	b.step("server page", chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/servers/"+s.ID()), chromedp.WaitVisible("#health-chart svg"))
	lines := value(b, "chart", chromedp.Evaluate[int](`document.querySelectorAll("#health-chart svg[role=img] polyline").length`))
	b.check("chart lines", lines == 4, "%d lines in the chart", lines)
	b.check("installing", strings.Contains(value(b, "upgrade", chromedp.Text("#server-upgrade")), "Installing 6.5.2"), "no running upgrade shown")
	b.step("alerts",
		chromedp.Click("#alert_offline"),
		chromedp.SendKeys("#recipients", "noc@example.com, oncall@example.com"),
		chromedp.Click("#alerts-save"),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "Alert settings")]`))
	checked := value(b, "offline box", chromedp.Evaluate[bool](`document.querySelector("#alert_offline").checked`))
	rec := value(b, "recipients", chromedp.Value("#recipients"))
	b.check("alerts saved", !checked && rec == "noc@example.com, oncall@example.com", "offline %v recipients %q", checked, rec)
	b.shot("server")

	for _, w := range []int64{1280, 768} {
		for _, page := range []string{"/servers/" + s.ID(), "/servers"} {
			b.step("viewport", chromedp.EmulateViewport(w, 900), chromedp.Navigate(srv.URL+"/orgs/"+orgID+page), chromedp.WaitVisible("main h1"))
			over := value(b, "overflow", chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
			b.check("no sideways scroll", over[0] <= over[1], "%s at %d px: page %d px wide in a %d px window", page, w, over[0], over[1])
		}
	}
	b.step("viewport", chromedp.EmulateViewport(1280, 900))

	b.step("French", chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/servers/"+s.ID()), chromedp.WaitVisible("#lang-fr"),
		chromedp.Click("#lang-fr"), chromedp.WaitVisible(`//h2[@id="chart-heading" and contains(., "Dernières 24 heures")]`))
	fr := value(b, "French page", chromedp.Text("main"))
	b.check("French", strings.Contains(fr, "Mise à niveau du serveur") && strings.Contains(fr, "Paramètres d'alerte") &&
		!strings.Contains(fr, "Alert settings"), "French page: %q", fr)
	panel := value(b, "panel", chromedp.Text("nav.panel"))
	b.check("panel", strings.Contains(panel, "Serveurs ACS Pro"), "panel %q", panel)
}
