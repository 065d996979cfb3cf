package cli

import (
	"context"
	"strings"
	"testing"

	"mysystems/internal/sim"
)

// TestSRV2_ServersCommands: enrol, list, show, upgrade and cancel through
// the client, against a server enrolled over /server/v1 (SRV-1..3).
func TestSRV2_ServersCommands(t *testing.T) {
	h, org := withOrg(t)
	h.srv.PublishACS("6.3.1", "6.5.2")
	ctx := context.Background()
	r := h.ok("", "servers", "list", org)
	contains(t, "empty list", r.out, "No ACS Pro server is enrolled yet")
	r = h.ok("", "servers", "enrol", org, "--count", "2")
	tokens := strings.Fields(r.out)
	if len(tokens) != 2 || !strings.HasPrefix(tokens[0], "mse_") {
		t.Fatalf("enrol printed %q", r.out)
	}
	contains(t, "enrol note", r.stderr, "2 enrolment token(s)")
	srv := h.srv.ACSServer("Site A", sim.ServerConfig{})
	if err := srv.Register(ctx, tokens[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	r = h.ok("", "servers", "list", org)
	contains(t, "servers list", r.out, "Site A", "online", "6.3.1", "6.5.2", srv.ID())
	r = h.ok("", "servers", "upgrade", org, srv.ID())
	contains(t, "upgrade", r.out, "from 6.3.1 to 6.5.2 queued")
	r = h.ok("", "servers", "show", org, srv.ID())
	contains(t, "show", r.out, "queued to 6.5.2", "Last 24 hours: 1 samples", "owners and admins")
	h.ok("", "servers", "cancel", org, srv.ID())
	h.ok("", "servers", "upgrade", org, srv.ID(), "--version", "6.5.2")
	if _, err := srv.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	h.fail(1, "can no longer be canceled", "servers", "cancel", org, srv.ID())
	h.fail(1, "is already running", "servers", "upgrade", "--version", "9.9", org, srv.ID())
	h.ok("", "servers", "alerts", org, srv.ID(), "--offline", "off", "--to", "noc@example.com")
	r = h.ok("", "servers", "show", org, srv.ID(), "--json")
	contains(t, "alerts saved", r.out, `"offline": false`, `"noc@example.com"`)
	h.fail(2, "--online is on or off", "servers", "alerts", org, srv.ID(), "--online", "maybe")
}
