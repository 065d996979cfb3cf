package cli

import (
	"context"
	"strings"
	"testing"

	"mysystems/internal/firmware"
	hs "mysystems/internal/harness"
)

// TestFW1_FirmwareList: the catalogue as the client prints it.
func TestFW1_FirmwareList(t *testing.T) {
	h := newHarness(t)
	h.signedIn()
	r := h.ok("", "firmware", "list")
	contains(t, "empty catalogue", r.out, "No AXIS OS release is published yet.")
	ctx := context.Background()
	for _, v := range []struct{ version, track string }{{"11.11.73", "active"}, {"12.2.35", "active"}, {"10.12.240", "lts-2024"}} {
		if _, err := h.app.Firmware.Publish(ctx, hs.Vendor, firmware.PublishInput{Model: "AXIS P3265-LVE", Version: v.version, Track: v.track, Released: "2026-01-15"},
			strings.NewReader("image "+v.version)); err != nil {
			t.Fatal(err)
		}
	}
	r = h.ok("", "firmware", "list")
	contains(t, "firmware list", r.out, "MODEL", "RECOMMENDED", "AXIS P3265-LVE", "Active", "12.2.35", "LTS 2024", "10.12.240", "2026-01-15", "published")
	r = h.ok("", "firmware", "list", "--json")
	contains(t, "firmware list --json", r.out, `"recommended": "12.2.35"`)
}
