package cli

import (
	"context"
	"strings"
	"testing"

	"mysystems/internal/firmware"
	hs "mysystems/internal/harness"
)

// TestFW2_DevicesListUpgrade: devices list --upgrade yes|no filters by
// "upgrade recommended" (DEV-4, FW-2), and the table shows the version an
// upgrade is recommended to.
func TestFW2_DevicesListUpgrade(t *testing.T) {
	h, orgID := withOrg(t)
	if _, err := h.app.Firmware.Publish(context.Background(), hs.Vendor, firmware.PublishInput{Model: hs.Model, Version: "11.11.73", Track: "active", Released: "2026-01-15"},
		strings.NewReader("image")); err != nil {
		t.Fatal(err)
	}
	ms := h.mint(2)
	h.device(ms[0]).Hello() // on hs.Firmware, older than 11.11.73
	old := h.claim(orgID, ms[0], "--name", "Old cam")
	unknown := h.claim(orgID, ms[1], "--name", "Silent cam") // never reported a version: not comparable
	for _, tt := range []struct{ value, want string }{{"yes", old}, {"no", unknown}} {
		ds := h.listDevices(orgID, "--upgrade", tt.value)
		if len(ds) != 1 || ds[0].ID != tt.want {
			t.Errorf("--upgrade %s: %+v", tt.value, ds)
		}
	}
	if ds := h.listDevices(orgID, "--upgrade", "yes"); len(ds) == 1 && ds[0].RecommendedVersion != "11.11.73" {
		t.Errorf("recommended_version %q", ds[0].RecommendedVersion)
	}
	r := h.ok("", "devices", "list", orgID, "--sort", "name")
	got := lines(r.out)
	if len(got) != 3 {
		t.Fatalf("devices list:\n%s", r.out)
	}
	contains(t, "header", got[0], "UPGRADE TO")
	contains(t, "old cam", got[1], "Old cam", "11.11.73")
	if !strings.HasSuffix(strings.TrimSpace(got[2]), " -") {
		t.Errorf("silent cam: %q", got[2])
	}
	h.fail(2, "--upgrade must be yes or no", "devices", "list", orgID, "--upgrade", "maybe")
}
