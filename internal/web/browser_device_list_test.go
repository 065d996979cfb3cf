package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// fitsWidth checks, at 1280 and 768 px, that the page does not scroll
// sideways and that the device table fits its box; at 768 px the list also
// comes before the folder tree.
func (b *browser) fitsWidth(what string) {
	b.t.Helper()
	for _, w := range []int64{1280, 768} {
		b.step("viewport", chromedp.EmulateViewport(w, 900))
		got := value(b, what+" width", chromedp.Evaluate[[]float64](`(() => {
			const s = document.scrollingElement, wrap = document.querySelector("#devices-table").parentElement;
			const list = document.querySelector(".list-pane").getBoundingClientRect(), tree = document.querySelector(".tree-pane").getBoundingClientRect();
			return [s.scrollWidth, s.clientWidth, wrap.scrollWidth, wrap.clientWidth, list.top, tree.top, list.left, tree.left] })()`))
		b.check(what+" no sideways scroll", got[0] <= got[1], "at %d px the page is %v px wide in %v", w, got[0], got[1])
		b.check(what+" table fits", got[2] <= got[3], "at %d px the table is %v px wide in a %v px box", w, got[2], got[3])
		if w == 768 {
			b.check(what+" list first", got[4] < got[5], "at 768 px the list starts at %v, below the tree at %v", got[4], got[5])
		} else {
			b.check(what+" tree beside", got[7] < got[6], "at 1280 px the tree (left %v) is not left of the list (%v)", got[7], got[6])
		}
	}
	b.step("viewport", chromedp.EmulateViewport(1280, 900))
}

// TestDEV4_BrowserDeviceList: on the Devices page an Owner reads how many
// devices match, pages forward and back, sees the model and firmware
// filters offer the values present with their counts, checks the page,
// selects every matching device and moves them all to a folder from the
// action menu, then removes one from its row menu behind "I understand the
// risks"; the page fits a laptop and a tablet (DEV-4, DEV-5).
func TestDEV4_BrowserDeviceList(t *testing.T) {
	b := newBrowser(t)
	srv, a := server(t)
	ms := a.Mint(53)
	orgID := b.newOrg(srv.URL, "list.owner@example.com", "Lena List", "List Org")
	long := "Warehouse-of-the-southern-region-" + strings.Repeat("w", 30)

	b.step("create a folder",
		chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/folders"),
		chromedp.WaitVisible("#folder-create-submit"),
		chromedp.SendKeys("#name", long),
		chromedp.Click("#folder-create-submit"),
		chromedp.WaitVisible(`//a[@aria-current="true" and normalize-space()="`+long+`"]`),
	)
	folder := b.folderIDOf(long)
	var lines []string
	for _, m := range ms {
		lines = append(lines, m.Serial+","+m.OAK+",")
	}
	b.step("import",
		chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/devices/import"),
		chromedp.WaitVisible("#import-submit"),
		chromedp.SetValue("#csv", csvOf(lines...)),
		chromedp.Click("#import-submit"),
		chromedp.WaitVisible("#devices-table"),
		chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/devices?sort=serial"),
		chromedp.WaitVisible("#devices-count"),
	)
	b.shot("device-list")
	b.fitsWidth("list")

	count := value(b, "count", chromedp.Text("#devices-count"))
	b.check("count", count == "53 devices", "the count says %q", count)
	models := value(b, "model filter", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#model option")].map(o => o.textContent)`))
	firmwares := value(b, "firmware filter", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#firmware option")].map(o => o.textContent)`))
	b.check("filter values", len(models) == 2 && models[0] == "Any" && models[1] == testModel+" (53)" &&
		len(firmwares) == 2 && firmwares[1] == "unknown (53)", "model %q, firmware %q", models, firmwares)

	first := b.listedSerials()
	b.step("next page", chromedp.Click("#next-page"), chromedp.WaitVisible("#prev-page"))
	onTwo := len(b.listedSerials())
	b.step("previous page", chromedp.Click("#prev-page"), chromedp.WaitNotPresent("#prev-page"), chromedp.WaitVisible("#next-page"))
	back := b.listedSerials()
	b.check("pages", onTwo == 3 && len(first) == 50 && strings.Join(back, ",") == strings.Join(first, ","),
		"page 2 has %d devices; page 1 has %d, then %d after going back", onTwo, len(first), len(back))

	// Without a selection the action menu's items cannot be used.
	disabled := value(b, "nothing selected", chromedp.Evaluate[bool](`document.querySelector("#bulk-move").disabled`))
	b.check("nothing selected", disabled, "Move to folder is usable with nothing selected")
	b.step("check the page", chromedp.Click("#select-page"), chromedp.WaitVisible("#selected-count"))
	checked := value(b, "checked", chromedp.Evaluate[int](`document.querySelectorAll('#devices-table input[name="device"]:checked').length`))
	selected := value(b, "selected count", chromedp.Text("#selected-count"))
	b.check("check the page", checked == 50 && selected == "Selected devices: 50", "%d boxes checked, %q", checked, selected)
	b.step("select all matching", chromedp.Click("#select-all-matching"),
		chromedp.WaitVisible(`//p[@id="selected-count" and contains(., "all matching")]`))
	b.shot("all-matching")
	b.step("move to folder",
		chromedp.Click("#device-actions summary"),
		chromedp.WaitVisible("#bulk-move"),
		chromedp.Click("#bulk-move"),
		chromedp.WaitVisible("#bulk-move-submit"),
	)
	intro := value(b, "move page", chromedp.Text("#bulk-move-intro"))
	b.check("move page", strings.Contains(intro, "53 devices"), "the move page says %q", intro)
	b.step("move",
		chromedp.SetValue("#folder_id", folder),
		chromedp.Click("#bulk-move-submit"),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "Devices moved: 53.")]`),
	)
	count = value(b, "moved", chromedp.Text("#devices-count"))
	heading := value(b, "moved heading", chromedp.Text("#list-heading"))
	b.check("moved", count == "53 devices" && heading == long, "the folder %q lists %q", heading, count)
	b.fitsWidth("folder list")

	// The row menu shows on keyboard focus (and on hover), and leads to the
	// removal behind its confirmation.
	// A device of the page shown (the folder's list is in its default order,
	// where the first serial of the whole list may be on the next page).
	row := `#devices-table tr[data-serial="` + b.listedSerials()[0] + `"]`
	b.step("mouse away", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1))
	hidden := value(b, "row menu hidden", chromedp.Evaluate[string](`getComputedStyle(document.querySelector('`+row+` .row-menu')).opacity`))
	b.step("focus the row menu", chromedp.Focus(row+" summary"))
	shown := value(b, "row menu focused", chromedp.Evaluate[string](`getComputedStyle(document.querySelector('`+row+` .row-menu')).opacity`))
	hover := value(b, "hover media", chromedp.Evaluate[bool](`matchMedia("(hover: hover)").matches`))
	outline := value(b, "focus outline", chromedp.Evaluate[string](`(() => { const s = document.activeElement;
		return s.matches('`+row+` summary') ? getComputedStyle(s).outlineStyle : "not focused" })()`))
	if hover {
		b.check("row menu on focus", hidden == "0" && shown == "1", "the row menu's opacity is %s, then %s on focus", hidden, shown)
	} else { // a screen without hover (headless Chromium says so) always shows them
		b.check("row menu without hover", hidden == "1" && shown == "1", "the row menu's opacity is %s, then %s on focus", hidden, shown)
	}
	b.check("row menu focus visible", outline != "none" && outline != "not focused", "the focused row menu's outline is %q", outline)
	b.step("row menu",
		chromedp.Click(row+" summary"),
		chromedp.WaitVisible(row+` a[data-action="remove"]`),
		chromedp.Click(row+` a[data-action="remove"]`),
		chromedp.WaitVisible("#device-remove-submit"),
	)
	b.acknowledgeRisk("remove", "#device-remove-submit", "removed from the organization")
	b.step("list after removal",
		chromedp.Navigate(srv.URL+"/orgs/"+orgID+"/devices?folder="+folder),
		chromedp.WaitVisible("#devices-count"),
	)
	count = value(b, "after removal", chromedp.Text("#devices-count"))
	gone := value(b, "removed row", chromedp.Evaluate[int](`document.querySelectorAll('`+row+`').length`))
	b.check("after removal", count == "52 devices" && gone == 0, "the list says %q and shows the removed device %d times", count, gone)

	b.step("French", chromedp.Click("#lang-fr"), chromedp.WaitVisible(`html[lang="fr"] #devices-count`))
	b.shot("device-list-fr")
	b.fitsWidth("French list")
	fr := value(b, "French count", chromedp.Text("#devices-count"))
	all := value(b, "French all", chromedp.Text(`label[for="select-all-matching"]`))
	b.check("French", fr == "52 périphériques" && all == "Sélectionner tous les périphériques correspondants (52)", "count %q, all %q", fr, all)
}
