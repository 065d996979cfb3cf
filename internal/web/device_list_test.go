package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mysystems/internal/access"
	"mysystems/internal/fleet"
	"mysystems/internal/harness"
	"mysystems/internal/sim"
)

// importAll claims the minted devices into the root folder from one CSV.
func importAll(t *testing.T, c *client, orgID string, ms []fleet.Minted) {
	t.Helper()
	var lines []string
	for _, m := range ms {
		lines = append(lines, m.Serial+","+m.OAK+",")
	}
	base := "/orgs/" + orgID + "/devices"
	wantRedirect(t, "import", c.post(base+"/import", url.Values{"csv": {csvOf(lines...)}}), base+"?sort=-claimed")
}

var (
	rowSerial = regexp.MustCompile(`<tr data-device-id="[^"]+" data-serial="([^"]+)">`)
	pageLink  = func(id string) *regexp.Regexp {
		return regexp.MustCompile(`href="([^"]+)" rel="[a-z]+" id="` + id + `"`)
	}
)

func serialsOf(body string) []string {
	var out []string
	for _, m := range rowSerial.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func linkOf(t *testing.T, r response, id string) string {
	t.Helper()
	m := pageLink(id).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no %s link; body:\n%s", id, r.body)
	}
	return html.UnescapeString(m[1])
}

// TestDEV4_DeviceListCountAndPreviousPage: the list says how many devices
// match, and each page after the first links back to the one before it,
// through every page, keeping the filters (DEV-4).
func TestDEV4_DeviceListCountAndPreviousPage(t *testing.T) {
	srv, a := server(t)
	owner, id, _ := ownOrg(t, srv, "prev@example.com", "Prev Corp")
	base := "/orgs/" + id + "/devices"
	ms := a.Mint(103)
	importAll(t, owner, id, ms)
	want := make([]string, len(ms))
	for i, m := range ms {
		want[i] = m.Serial
	}
	slices.Sort(want)

	r := owner.get(base + "?sort=serial")
	wantBody(t, "page 1", r, `<p id="devices-count" data-count="103">103 devices</p>`, "Select all matching devices (103)")
	wantNoBody(t, "page 1", r, `id="prev-page"`)
	p1 := serialsOf(r.body)
	r2 := owner.get(linkOf(t, r, "next-page"))
	p2 := serialsOf(r2.body)
	next := linkOf(t, r2, "next-page")
	if !strings.Contains(next, "sort=serial") || !strings.Contains(next, "prev=") {
		t.Fatalf("the next page link %q loses the sort or the pages before", next)
	}
	r3 := owner.get(next)
	p3 := serialsOf(r3.body)
	if got := slices.Concat(p1, p2, p3); !slices.Equal(got, want) {
		t.Fatalf("the three pages list %d devices (%d, %d, %d), not the 103 in order", len(got), len(p1), len(p2), len(p3))
	}
	wantBody(t, "page 3", r3, `data-count="103"`, `id="first-page"`)
	wantNoBody(t, "page 3", r3, `id="next-page"`)

	back := owner.get(linkOf(t, r3, "prev-page"))
	if got := serialsOf(back.body); !slices.Equal(got, p2) {
		t.Fatalf("page 3's previous page lists %v, want page 2", got)
	}
	first := owner.get(linkOf(t, back, "prev-page"))
	if got := serialsOf(first.body); !slices.Equal(got, p1) {
		t.Fatalf("page 2's previous page lists %v, want page 1", got)
	}
	wantNoBody(t, "back on page 1", first, `id="prev-page"`)
	if again := linkOf(t, first, "next-page"); !strings.Contains(again, "sort=serial") {
		t.Fatalf("page 1's next link %q", again)
	}

	r = owner.get(base + "?q=" + url.QueryEscape(ms[7].Serial))
	wantBody(t, "searched", r, `data-count="1">1 device</p>`)
	wantStatus(t, "bad previous cursor", owner.get(linkOf(t, r3, "prev-page")+"&prev=garbage"), http.StatusOK)

	wantRedirect(t, "French", owner.post("/lang", url.Values{"lang": {"fr"}}), "/")
	wantBody(t, "French", owner.get(linkOf(t, r3, "prev-page")), "103 périphériques", "Page précédente", "Page suivante")
}

// TestDEV4_FilterValuesWithCounts: the Model and Firmware filters offer the
// values of the devices in the folder shown, with how many devices have
// each; another organization's devices count for nothing (DEV-4, ORG-5).
func TestDEV4_FilterValuesWithCounts(t *testing.T) {
	srv, a := server(t)
	ctx := context.Background()
	owner, id, root := ownOrg(t, srv, "values@example.com", "Values Corp")
	site := createFolder(t, owner, id, root, "Site")
	other, otherID, otherRoot := ownOrg(t, srv, "values.other@example.com", "Other Corp")
	ms := a.Mint(5)
	hello := func(m fleet.Minted, fw string) {
		d, err := sim.NewStepped(sim.Config{Server: a.URL}, sim.Identity{Serial: m.Serial, Model: m.Model, Secret: m.Secret, Firmware: fw})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		if _, err := d.Hello(ctx); err != nil {
			t.Fatal(err)
		}
	}
	claim(t, owner, id, ms[0], root, "cam-a")
	claim(t, owner, id, ms[1], site, "cam-b")
	claim(t, owner, id, ms[2], site, "cam-c")
	claim(t, owner, id, ms[3], site, "cam-d") // never said hello: firmware unknown
	claim(t, other, otherID, ms[4], otherRoot, "theirs")
	hello(ms[0], "11.11.73")
	hello(ms[1], "12.2.35")
	hello(ms[2], "12.2.35")
	hello(ms[4], "10.12.1")
	base := "/orgs/" + id + "/devices"

	r := owner.get(base)
	wantBody(t, "all folders", r, `<select id="model" name="model"`, `<option value="" selected>Any</option>`,
		`<option value="`+harness.Model+`">`+harness.Model+` (4)</option>`,
		`<option value="11.11.73">11.11.73 (1)</option>`, `<option value="12.2.35">12.2.35 (2)</option>`,
		`<option value="unknown">unknown (1)</option>`)
	wantNoBody(t, "all folders", r, "10.12.1")

	r = owner.get(base + "?folder=" + site + "&firmware=12.2.35")
	wantBody(t, "one folder", r, `<option value="`+harness.Model+`">`+harness.Model+` (3)</option>`,
		`<option value="12.2.35" selected>12.2.35 (2)</option>`, `data-count="2"`, "cam-b", "cam-c")
	wantNoBody(t, "one folder", r, "11.11.73 (", "cam-a", "cam-d")

	r = owner.get(base + "?firmware=10.12.1")
	wantBody(t, "a value nobody here has", r, `<option value="10.12.1" selected>10.12.1 (0)</option>`, `id="devices-empty"`)

	viewer := member(t, a, owner, id, "values.viewer@example.com", access.Viewer, site)
	r = viewer.get(base)
	wantBody(t, "viewer", r, harness.Model+` (3)</option>`, `12.2.35 (2)</option>`)
	wantNoBody(t, "viewer", r, "11.11.73", `id="bulk-form"`, `id="select-all-matching"`, `data-action="remove"`)

	r = other.get("/orgs/" + otherID + "/devices")
	wantBody(t, "other organization", r, harness.Model+` (1)</option>`, `10.12.1 (1)</option>`)
	wantNoBody(t, "other organization", r, "12.2.35", "11.11.73")

	wantRedirect(t, "French", owner.post("/lang", url.Values{"lang": {"fr"}}), "/")
	wantBody(t, "French", owner.get(base), `<option value="" selected>Indifférent</option>`, `<option value="unknown">inconnu (1)</option>`)
}

// TestDEV4_BulkMove: the action menu's Move to folder moves the checked
// devices, or every device matching the filters (beyond the page shown),
// all at once; nothing checked goes back to the list, saying so; only
// Owners and Admins may (DEV-4, ACC-2).
func TestDEV4_BulkMove(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "bulk@example.com", "Bulk Corp")
	site := createFolder(t, owner, id, root, "Site")
	store := createFolder(t, owner, id, root, "Store")
	base := "/orgs/" + id + "/devices"
	ms := a.Mint(55)
	importAll(t, owner, id, ms[:53])
	one, two := claim(t, owner, id, ms[53], root, "zz-one"), claim(t, owner, id, ms[54], root, "zz-two")

	r := owner.get(base + "?q=zz-")
	wantBody(t, "list", r, `id="bulk-form"`, `id="device-actions"`, `formaction="`+base+`/move"`, "Move to folder…",
		`name="device" value="`+one+`"`, `id="select-all-matching"`, `data-action="remove"`, `href="`+base+`/`+one+`/remove"`,
		"Remove device from organization…")

	r = owner.get(base + "/move?" + url.Values{"device": {one, two}}.Encode())
	wantStatus(t, "move page", r, http.StatusOK)
	wantBody(t, "move page", r, "Move 2 devices into the folder you choose.", `name="device" value="`+one+`"`, `<select id="folder_id"`)
	wantRedirect(t, "move checked", owner.post(base+"/move", url.Values{"device": {one, two}, "folder_id": {site}}),
		base+"?folder="+site)
	r = owner.get(base + "?folder=" + site)
	wantBody(t, "moved", r, "Devices moved: 2.", `data-count="2"`, "zz-one", "zz-two")

	// Every device matching "q" in the root folder and below, 53 of them,
	// more than one page: the filters travel, not the ids.
	all := url.Values{"all": {"matching"}, "q": {"AXIS"}, "folder": {root}}
	r = owner.get(base + "/move?" + all.Encode())
	wantBody(t, "move all page", r, "Move 53 devices into the folder you choose.", `name="all" value="matching"`, `name="q" value="AXIS"`)
	wantNoBody(t, "move all page", r, `name="device"`)
	r = owner.get(base + "/move?" + url.Values{"all": {"matching"}, "folder": {site}}.Encode())
	wantBody(t, "move all in site", r, "Move 2 devices")
	all.Set("folder", root)
	all.Set("firmware", "unknown")
	all.Set("folder_id", store)
	wantRedirect(t, "move all", owner.post(base+"/move", all), base+"?folder="+store)
	r = owner.get(base + "?folder=" + store)
	wantBody(t, "moved all", r, "Devices moved: 53.", `data-count="53"`)

	wantRedirect(t, "nothing selected", owner.get(base+"/move?folder="+store), base+"?folder="+store)
	wantBody(t, "nothing selected", owner.get(base+"?folder="+store), "Select at least one device first.")
	r = owner.post(base+"/move", url.Values{"device": {"dev_nope"}, "folder_id": {site}})
	wantStatus(t, "unknown device", r, http.StatusNotFound)

	viewer := member(t, a, owner, id, "bulk.viewer@example.com", access.Viewer)
	admin := member(t, a, owner, id, "bulk.admin@example.com", access.Admin)
	operator := member(t, a, owner, id, "bulk.operator@example.com", access.Operator)
	for _, c := range []*client{viewer, operator} {
		wantStatus(t, "move page", c.get(base+"/move?device="+one), http.StatusForbidden)
		wantStatus(t, "move", c.post(base+"/move", url.Values{"device": {one}, "folder_id": {root}}), http.StatusForbidden)
		wantNoBody(t, "list", c.get(base), `id="bulk-form"`, `data-action="remove"`)
	}
	wantRedirect(t, "admin moves", admin.post(base+"/move", url.Values{"device": {one}, "folder_id": {root}}), base+"?folder="+root)

	wantRedirect(t, "French", owner.post("/lang", url.Values{"lang": {"fr"}}), "/")
	wantBody(t, "French", owner.get(base+"/move?device="+one), "Déplacer 1 périphérique dans le dossier choisi.")
	wantBody(t, "French list", owner.get(base), "Déplacer vers un dossier…", "Supprimer le périphérique de l&#39;organisation…",
		"Sélectionner tous les périphériques correspondants (55)")
}
