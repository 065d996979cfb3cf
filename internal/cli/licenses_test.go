package cli

import (
	"context"
	"strings"
	"testing"

	"mysystems/internal/audit"
	"mysystems/internal/license"
)

// TestLIC6_LicensesCommands: products, subscribe, redeem, wallet,
// allocate (summary and confirmation on a terminal, --yes for scripts,
// refused without either) and history through the client (LIC-1..6).
func TestLIC6_LicensesCommands(t *testing.T) {
	h, org := withOrg(t)
	ctx := context.Background()
	vendor := audit.Actor{Kind: audit.KindVendor, ID: "plt_test"}
	if _, err := h.app.Licenses.AddProduct(ctx, vendor, license.Product{ID: "acs-edge", Name: "AXIS Camera Station Edge",
		Licensing: license.Subscription, Covers: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	ks, err := h.app.Licenses.IssueKeys(ctx, vendor, "acs-edge", 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := h.ok("", "licenses", "products", org)
	contains(t, "products", r.out, "acs-edge", "AXIS Camera Station Edge", "not_started")
	r = h.ok("", "licenses", "subscribe", org, "acs-edge")
	contains(t, "subscribe", r.out, "Started AXIS Camera Station Edge: trial until")
	h.fail(1, "was already started", "licenses", "subscribe", org, "acs-edge")
	r = h.ok("", "licenses", "redeem", org, strings.ToLower(ks[0].Key.String()))
	contains(t, "redeem", r.out, "10 licenses of AXIS Camera Station Edge entered the wallet")
	r = h.ok("", "licenses", "wallet", org, "acs-edge")
	contains(t, "wallet", r.out, "10 licenses available", "redeem")

	h.fail(2, "pass --yes", "licenses", "allocate", org, "acs-edge", "--quantity", "2")
	h.fail(2, "--quantity N is required", "licenses", "allocate", org, "acs-edge", "--yes")
	r = h.interactive("n\n", "", "licenses", "allocate", org, "acs-edge", "--quantity", "2")
	if r.code != 1 || !strings.Contains(r.out, "Allocate 2 licenses of acs-edge") || !strings.Contains(r.stderr, "cancelled") {
		t.Fatalf("declined: %+v", r)
	}
	contains(t, "declined: wallet unchanged", h.ok("", "licenses", "wallet", org, "acs-edge").out, "10 licenses available")
	r = h.interactive("y\n", "", "licenses", "allocate", org, "acs-edge", "--quantity", "2", "--year", "1")
	if r.code != 0 || !strings.Contains(r.out, "Compensation: none.") || !strings.Contains(r.out, "Allocated 2 licenses") {
		t.Fatalf("confirmed: %+v", r)
	}
	r = h.ok("", "licenses", "allocate", org, "acs-edge", "--quantity", "3", "--yes")
	contains(t, "--yes", r.out, "Allocated 3 licenses of acs-edge; the wallet holds 5")
	h.fail(1, "holds 5 licenses", "licenses", "allocate", org, "acs-edge", "--quantity", "6", "--yes")
	r = h.ok("", "licenses", "history", org, "--kind", "allocate")
	contains(t, "history", r.out, "allocate", "acs-edge", alice())
	r = h.ok("", "licenses", "products", org, "--json")
	contains(t, "products --json", r.out, `"status": "licensed"`, `"wallet": 5`)
}

func alice() string { return testEmail }
