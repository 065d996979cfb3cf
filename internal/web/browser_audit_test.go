package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestAUD1_BrowserAuditLogFits: the audit log, with long names and changes
// shown as from → to lines, fits a laptop (1280 px) and a tablet (768 px)
// without scrolling sideways, and its filter offers action groups.
func TestAUD1_BrowserAuditLogFits(t *testing.T) {
	b := newBrowser(t)
	srv, a := server(t)
	ms := a.Mint(1)
	long := "Headquarters-of-the-northern-region-" + strings.Repeat("x", 40)
	orgID := b.newOrg(srv.URL, "fits@example.com", "Fiona Fits", "Fit Org")
	b.step("rename with notes",
		chromedp.Click("#settings-edit"),
		chromedp.WaitVisible("#settings-save"),
		chromedp.Clear("#name"),
		chromedp.SendKeys("#name", long),
		chromedp.SendKeys("#notes", " and more"),
		chromedp.Click("#settings-save"),
		chromedp.WaitVisible("#flash"),
	)
	b.step("add a device",
		chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/devices/add"),
		chromedp.WaitVisible("#device-add-submit"),
		chromedp.SendKeys("#serial", ms[0].Serial),
		chromedp.SendKeys("#oak", ms[0].OAK),
		chromedp.SendKeys("#name", "Camera-"+strings.Repeat("y", 60)),
		chromedp.Click("#device-add-submit"),
		chromedp.WaitVisible("#device-name"),
	)
	b.step("audit log",
		chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/audit"),
		chromedp.WaitVisible("#audit-table"),
	)
	b.shot("audit")
	sentence := value(b, "sentence", chromedp.Text(`#audit-table li[data-action="org.update"] .audit-sentence`))
	lines := value(b, "lines", chromedp.Text(`#audit-table li[data-action="org.update"] .audit-lines`))
	b.check("sentence", strings.Contains(sentence, "Fiona Fits changed the organization "+long) &&
		strings.Contains(lines, "Name: Fit Org") && strings.Contains(lines, "→") && strings.Contains(lines, "Notes: edited"),
		"got sentence %q, lines %q", sentence, lines)
	groups := value(b, "groups", chromedp.Evaluate[int](`document.querySelectorAll("#action optgroup").length`))
	b.check("groups", groups >= 5, "the action filter has %d groups", groups)

	for _, w := range []int64{1280, 768} {
		b.step("viewport", chromedp.EmulateViewport(w, 900))
		over := value(b, "overflow", chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth,
			...[...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).map(e => 1)]`))
		b.check("no sideways scroll", over[0] <= over[1] && len(over) == 2,
			"at %d px: page %d px wide in a %d px window, %d elements past the right edge", w, over[0], over[1], len(over)-2)
	}
	b.step("viewport", chromedp.EmulateViewport(1280, 900))

	b.step("filter by group",
		chromedp.SetValue("#action", "org."),
		chromedp.Click("#audit-filter"),
		chromedp.WaitReady(`#action option[value="org."][selected]`),
	)
	devices := value(b, "filtered", chromedp.Evaluate[int](`document.querySelectorAll('#audit-table li[data-action^="device."]').length`))
	orgs := value(b, "filtered", chromedp.Evaluate[int](`document.querySelectorAll('#audit-table li[data-action^="org."]').length`))
	b.check("filter by group", devices == 0 && orgs == 2, "got %d device and %d organization entries", devices, orgs)
}
