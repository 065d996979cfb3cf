package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/clock"
)

// statusOf is the status badge of a device's row in the device list.
func statusOf(t *testing.T, body, dev string) string {
	t.Helper()
	row := regexp.MustCompile(`(?s)<tr[^>]*data-device-id="` + dev + `".*?</tr>`).FindString(body)
	m := regexp.MustCompile(`data-status="([a-z]+)"`).FindStringSubmatch(row)
	if m == nil {
		t.Fatalf("no status in the row of %s: %s", dev, row)
	}
	return m[1]
}

// TestDEV7_RebootIsConfirmedAndShown: Reboot asks for a confirmation that
// says what a reboot does before the device is sent it; the device then
// shows Rebooting, on its page and in the list, from the moment the command
// is sent until the device is heard from again, and Online after (DEV-7,
// USR roles table: Operators and up).
func TestDEV7_RebootIsConfirmedAndShown(t *testing.T) {
	clk := clock.NewFake(time.Now())
	srv, a := serverAt(t, clk)
	owner, id, root := ownOrg(t, srv, "reboot@example.com", "Reboot Corp")
	m := a.Mint(1)[0]
	dev := claim(t, owner, id, m, root, "Lobby")
	d := a.Device(m)
	d.Hello()
	flush := func() {
		t.Helper()
		if err := a.App.Gateway.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	flush()
	page := "/orgs/" + id + "/devices/" + dev
	list := "/orgs/" + id + "/devices"
	operator := member(t, a, owner, id, "reboot.operator@example.com", access.Operator, root)
	viewer := member(t, a, owner, id, "reboot.viewer@example.com", access.Viewer, root)

	r := operator.get(page)
	wantBody(t, "device page", r, `<a class="button" href="`+page+`/reboot" id="action-reboot">Reboot…</a>`, `data-status="online"`)
	wantNoBody(t, "device page", r, `name="type" value="reboot"`)
	r = operator.get(page + "/reboot")
	wantStatus(t, "confirmation", r, http.StatusOK)
	wantBody(t, "confirmation", r, "Reboot “Lobby”?", "unavailable for a minute or so", `id="reboot-submit"`,
		`action="`+page+`/reboot"`, `href="`+page+`">Cancel</a>`)
	wantStatus(t, "viewer confirmation", viewer.get(page+"/reboot"), http.StatusForbidden)
	wantStatus(t, "viewer reboot", viewer.post(page+"/reboot", nil), http.StatusForbidden)
	wantNoBody(t, "nothing sent", owner.get(list), `data-status="rebooting"`)

	r = operator.post(page+"/reboot", nil)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), page+"?cmd=") {
		t.Fatalf("reboot: %d to %q", r.status, r.location())
	}
	shown := func(what, want string) {
		t.Helper()
		if got := statusOf(t, owner.get(list).body, dev); got != want {
			t.Fatalf("%s: the list shows %q, want %q", what, got, want)
		}
		r := owner.get(page)
		wantBody(t, what, r, `data-status="`+want+`"`)
	}
	shown("pending", "rebooting")
	wantBody(t, "pending", owner.get(page), "Rebooting: waiting for the device to come back")

	clk.Advance(time.Second)
	if cmds := d.Step(); len(cmds) != 1 || cmds[0].Type != "reboot" { // applied: the device goes away
		t.Fatalf("the device got %+v", cmds)
	}
	flush()
	shown("applied, not back", "rebooting")

	clk.Advance(2 * time.Minute)
	d.Hello() // back after its restart
	flush()
	shown("back", "online")

	// A device that never comes back is offline once the reboot no longer
	// explains its silence.
	r = operator.post(page+"/reboot", nil)
	clk.Advance(time.Second)
	d.Step()
	flush()
	shown("second reboot", "rebooting")
	clk.Advance(11 * time.Minute)
	shown("never back", "offline")

	// In French.
	owner.post("/lang", url.Values{"lang": {"fr"}})
	r = owner.get(page + "/reboot")
	wantBody(t, "French", r, "Redémarrer « Lobby » ?", "Le périphérique redémarre")
}
