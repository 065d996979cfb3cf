package web_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAUD1_AuditLogReadsAsSentences: entries read as sentences in the
// page's language, with the target linked while it exists and named from
// the entry once it is gone; the filter offers groups; the CSV keeps the
// codes and adds the sentence; a bad cursor is refused.
func TestAUD1_AuditLogReadsAsSentences(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "sentences@example.com", "Sentence Corp")
	ms := a.Mint(2)
	dev := claim(t, owner, id, ms[0], root, "")
	gone := claim(t, owner, id, ms[1], root, "Old camera")
	devices := "/orgs/" + id + "/devices/"
	wantRedirect(t, "rename", owner.post(devices+dev+"/rename", url.Values{"name": {"Lobby cam 1"}}), devices+dev)
	wantRedirect(t, "remove", owner.post(devices+gone+"/remove", url.Values{"confirm": {"yes"}}), "/orgs/"+id+"/devices?folder="+root)
	base := "/orgs/" + id + "/audit"

	r := owner.get(base)
	wantStatus(t, "audit", r, http.StatusOK)
	wantBody(t, "rename", r, `Person sentences@example.com renamed the device <a class="target" href="/orgs/`+id+`/devices/`+dev+`">Lobby cam 1</a> (was `+testModel)
	wantBody(t, "removed", r, `Person sentences@example.com removed the device <span class="target">Old camera (`+ms[1].Serial+`)</span> from the organization`)
	wantBody(t, "created", r, `created the organization <a class="target" href="/orgs/`+id+`/settings">Sentence Corp</a>`)
	wantBody(t, "groups", r, `<optgroup label="Devices">`, `<option value="member.update,member.remove,invitation.create,invitation.revoke,invitation.accept">All: Members and invitations</option>`,
		`<option value="device.update">Device renamed or moved</option>`)
	wantNoBody(t, "raw JSON", r, `{&#34;`, `&#34;from&#34;`)

	r = owner.get(base + "?action=+device.update+")
	wantBody(t, "filtered, spaces trimmed", r, `<option value="device.update" selected>`, "renamed the device")
	wantNoBody(t, "filtered", r, "removed the device")
	r = owner.get(base + "?action=member.update,member.remove,invitation.create,invitation.revoke,invitation.accept")
	wantBody(t, "group", r, `id="audit-empty"`)

	r = owner.get(base + "?cursor=" + strings.Repeat("x", 600))
	wantStatus(t, "overlong cursor", r, http.StatusBadRequest)
	r = owner.get(base + "?cursor=garbage!")
	wantStatus(t, "bad cursor", r, http.StatusBadRequest)

	r = owner.get(base + "/export.csv?action=device.")
	wantStatus(t, "csv", r, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if h := rows[0]; h[6] != "action" || h[len(h)-1] != "sentence" {
		t.Fatalf("csv header %v", h)
	}
	if got := rows[1]; got[6] != "device.remove" || got[len(got)-1] != "Person sentences@example.com removed the device Old camera ("+ms[1].Serial+") from the organization" {
		t.Errorf("csv row %v", got)
	}

	wantRedirect(t, "French", owner.post("/lang", url.Values{"lang": {"fr"}}), "/")
	r = owner.get(base)
	wantBody(t, "French", r, `Person sentences@example.com a renommé le périphérique <a class="target" href="/orgs/`+id+`/devices/`+dev+`">Lobby cam 1</a> (auparavant `+testModel,
		`<optgroup label="Périphériques">`)
	r = owner.get(base + "/export.csv?action=device.update")
	wantBody(t, "French CSV", r, "a renommé le périphérique Lobby cam 1")
}
