package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mysystems/internal/firmware"
	"mysystems/internal/harness"
	"mysystems/internal/sim"
)

// TestFW2_DevicesPageUpgradeFilterAndSummary: the Devices page filters by
// "upgrade recommended", shows the recommended version in the list, and
// summarizes the devices per model with a link to those to upgrade (FW-2,
// DEV-4). Nothing on it starts an upgrade.
func TestFW2_DevicesPageUpgradeFilterAndSummary(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "fw2@example.com", "Upgrades Corp")
	ctx := context.Background()
	for _, v := range []string{"11.11.73", "12.2.35"} {
		if _, err := a.App.Firmware.Publish(ctx, harness.Vendor, firmware.PublishInput{Model: harness.Model, Version: v, Track: "active", Released: "2026-01-15"},
			strings.NewReader("image "+v)); err != nil {
			t.Fatal(err)
		}
	}
	ms := a.Mint(2)
	for i, fw := range []string{"11.11.73", "12.2.35"} {
		claim(t, owner, id, ms[i], root, "cam-"+fw)
		d, err := sim.NewStepped(sim.Config{Server: a.URL}, sim.Identity{Serial: ms[i].Serial, Model: ms[i].Model, Secret: ms[i].Secret, Firmware: fw})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		if _, err := d.Hello(ctx); err != nil {
			t.Fatal(err)
		}
	}
	base := "/orgs/" + id + "/devices"
	link := strings.ReplaceAll(html.EscapeString(base+"?"+url.Values{"model": {harness.Model}, "upgrade": {"yes"}}.Encode()), "+", "&#43;")

	r := owner.get(base)
	wantStatus(t, "devices page", r, http.StatusOK)
	wantBody(t, "summary", r, `id="firmware-summary"`, "AXIS OS per model", `<tr data-model="`+harness.Model+`">`,
		`<td class="devices">2</td>`, `<td class="current">1</td>`, `<td class="upgrade">1 · <a href="`+link+`" class="show-upgrades">Show devices to upgrade</a>`,
		`<select id="upgrade" name="upgrade"`, `<option value="yes">Upgrade recommended</option>`,
		`<span class="badge" title="Upgrade recommended">12.2.35</span>`, "cam-11.11.73", "cam-12.2.35")

	r = owner.get(base + "?upgrade=yes")
	wantBody(t, "upgrade=yes", r, `<option value="yes" selected>Upgrade recommended</option>`, "cam-11.11.73")
	wantNoBody(t, "upgrade=yes", r, "cam-12.2.35")
	r = owner.get(base + "?upgrade=no")
	wantBody(t, "upgrade=no", r, "cam-12.2.35")
	wantNoBody(t, "upgrade=no", r, "cam-11.11.73")
	wantStatus(t, "upgrade=maybe", owner.get(base+"?upgrade=maybe"), http.StatusBadRequest)

	r = owner.get(base + "/export.csv?upgrade=yes")
	lines := strings.Split(strings.TrimSpace(r.body), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[1], ",12.2.35") {
		t.Errorf("export:\n%s", r.body)
	}

	wantRedirect(t, "French", owner.post("/lang", url.Values{"lang": {"fr"}}), "/")
	r = owner.get(base)
	wantBody(t, "fr", r, "AXIS OS par modèle", "Afficher les périphériques à mettre à niveau", "Mise à niveau recommandée")
}
