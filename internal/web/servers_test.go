package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mysystems/internal/access"
	"mysystems/internal/harness"
	"mysystems/internal/sim"
)

// SRV-1 (SPEC §3): Viewers have no ACS Pro Servers entry and are refused
// the pages; Operators see the servers and their alert settings but no
// Upgrade server.
func TestSRV1_ServerPagesByRole(t *testing.T) {
	hs, a := server(t)
	a.PublishACS("6.3.1", "6.5.2")
	owner := a.User("owner@example.com")
	orgID, _ := a.Org(owner.Token, "Acme")
	srv := a.EnrolledServer(owner.Token, orgID, "Site A", sim.ServerConfig{})
	for _, c := range []struct {
		role    access.Role
		status  int
		panel   bool
		upgrade bool
	}{{access.Viewer, http.StatusForbidden, false, false}, {access.Operator, http.StatusOK, true, false}, {access.Admin, http.StatusOK, true, true}} {
		u := a.Member(orgID, string(c.role)+"@example.com", c.role)
		cl := newClient(t, hs)
		cl.get("/login")
		wantRedirect(t, "sign in", cl.post("/login", url.Values{"email": {u.Email}, "password": {harness.Password}}), "/")
		home := cl.get("/orgs/" + orgID + "/devices")
		if got := strings.Contains(home.body, `href="/orgs/`+orgID+`/servers"`); got != c.panel {
			t.Errorf("%s: panel entry %v, want %v", c.role, got, c.panel)
		}
		page := cl.get("/orgs/" + orgID + "/servers/" + srv.ID())
		if page.status != c.status {
			t.Errorf("%s: server page %d, want %d", c.role, page.status, c.status)
			continue
		}
		if c.status != http.StatusOK {
			continue
		}
		if got := strings.Contains(page.body, `id="upgrade-link"`); got != c.upgrade {
			t.Errorf("%s: Upgrade server offered %v, want %v", c.role, got, c.upgrade)
		}
		if !strings.Contains(page.body, `id="alerts-form"`) {
			t.Errorf("%s: no alert settings form", c.role)
		}
		if f := cl.get("/orgs/" + orgID + "/servers/" + srv.ID() + "/upgrade"); (f.status == http.StatusOK) != c.upgrade {
			t.Errorf("%s: upgrade confirmation answered %d", c.role, f.status)
		}
	}
}
