package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// LIC-1, LIC-4..9 over the API: every product listed with its status;
// starting opens the trial, once; an allocation answers its summary and
// changes nothing until confirmed; confirmed, it ends the trial, takes the
// lots and shows in the status; more than the wallet holds is refused
// with what it holds, in the reader's language.
func TestLIC6_SubscribeAndAllocateThroughTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		vtok := e.vendorToken()
		e.want(e.call("POST", "/api/v1/vendor/products", vtok, map[string]any{"id": "acs-edge", "name": "AXIS Camera Station Edge",
			"licensing": "subscription", "covers": []string{"AXIS P*"}, "gates": []string{}}), 201, "")
		e.want(e.call("POST", "/api/v1/vendor/products", vtok, map[string]any{"id": "adm-extend", "name": "AXIS Device Manager Extend",
			"licensing": "subscription", "covers": []string{"*"}, "gates": []string{"axis-os-upgrades"}}), 201, "")
		owner, _ := e.user("a@example.com")
		orgA := e.org(owner, "Org A")
		folder := e.call("POST", "/api/v1/orgs/"+orgA+"/folders", owner, map[string]string{"name": "Lobby"}).Str("id")
		for _, m := range e.Mint(3) { // AXIS P3265-LVE
			e.want(e.Claim(owner, orgA, m, folder), 201, "")
		}
		o := "/api/v1/orgs/" + orgA
		ps := items(e.call("GET", o+"/products", owner, nil))
		if len(ps) != 2 || ps[0]["id"] != "acs-edge" || ps[0]["status"] != "not_started" || ps[0]["need"] != float64(3) ||
			ps[0]["wallet"] != float64(0) || ps[0]["pending"] != float64(0) || ps[1]["gates"].([]any)[0] != "axis-os-upgrades" {
			t.Fatalf("products: %v", ps)
		}
		r := e.call("POST", o+"/products/acs-edge/subscription", owner, nil)
		e.want(r, 201, "")
		if r.Str("status") != "trial" || r.JSON["days_left"] != float64(30) || r.Str("trial_ends") != "2026-03-30" ||
			r.Str("renews_on") != "2027-03-01" || r.JSON["year"] != float64(0) || r.Str("started_on") != "2026-03-01" {
			t.Fatalf("started: %s", r.Body)
		}
		e.want(e.call("POST", o+"/products/acs-edge/subscription", owner, nil), 409, "conflict")
		e.want(e.call("POST", o+"/products/nope/subscription", owner, nil), 404, "not_found")

		ks := items(e.call("POST", "/api/v1/vendor/license-keys", vtok, map[string]any{"product": "acs-edge", "quantity": 10, "count": 1}))
		e.want(e.call("POST", o+"/license-keys/redeem", owner, map[string]string{"key": ks[0]["key"].(string)}), 201, "")

		e.Clock.Advance(9 * 24 * time.Hour) // 2026-03-10, in the trial
		alloc := o + "/products/acs-edge/allocations"
		r = e.call("POST", alloc, owner, map[string]any{"year": 0, "quantity": 3})
		e.want(r, 200, "")
		if r.JSON["done"] != false || r.JSON["ends_trial"] != true || r.JSON["compensation"] != float64(0) ||
			r.Str("compensation_from") != "2026-03-01" || r.Str("status_before") != "trial" ||
			r.JSON["status"].(map[string]any)["status"] != "licensed" || len(r.JSON["lots"].([]any)) != 1 || r.JSON["wallet_before"] != float64(10) {
			t.Fatalf("summary: %s", r.Body)
		}
		if w := e.call("GET", o+"/products/acs-edge/wallet", owner, nil); w.JSON["available"] != float64(10) {
			t.Fatalf("the summary changed the wallet: %s", w.Body)
		}
		r = e.call("POST", alloc, owner, map[string]any{"year": 0, "quantity": 3, "confirm": true})
		e.want(r, 200, "")
		if r.JSON["done"] != true || r.Str("year_start") != "2026-03-01" {
			t.Fatalf("allocated: %s", r.Body)
		}
		e.want(e.call("POST", alloc, owner, map[string]any{"year": 5, "quantity": 2, "confirm": true}), 200, "")
		ov := e.call("GET", o+"/products/acs-edge", owner, nil)
		if ov.Str("status") != "licensed" || ov.JSON["allocated"] != float64(3) || ov.JSON["wallet"] != float64(5) ||
			ov.JSON["ahead"].([]any)[4] != float64(2) || len(ov.JSON["models"].([]any)) != 1 ||
			ov.JSON["folders"].([]any)[0].(map[string]any)["name"] != "Lobby" {
			t.Fatalf("overview: %s", ov.Body)
		}
		r = e.CallIn("POST", alloc, owner, "fr", map[string]any{"year": 0, "quantity": 6, "confirm": true})
		e.want(r, 409, "conflict")
		if !strings.Contains(r.ErrMessage(), "5 licences") {
			t.Fatalf("a short wallet, in French: %s", r.Body)
		}
		for body, field := range map[string]string{`{"year": 6, "quantity": 1}`: "year", `{"year": 0, "quantity": 0}`: "quantity"} {
			r := e.call("POST", alloc, owner, body)
			e.want(r, 400, "invalid")
			if f, _ := r.JSON["error"].(map[string]any)["field"].(string); f != field {
				t.Errorf("%s: field %q", body, f)
			}
		}
		e.want(e.call("POST", o+"/products/adm-extend/allocations", owner, map[string]any{"year": 0, "quantity": 1}), 409, "conflict")
		h := items(e.call("GET", o+"/license-history?product=acs-edge", owner, nil))
		if len(h) != 5 || h[0]["kind"] != "allocate" || h[1]["kind"] != "status" || h[2]["kind"] != "allocate" || h[4]["kind"] != "start" {
			t.Fatalf("history: %v", h)
		}
		if len(e.Audited(orgA, "license.allocate")) != 2 || len(e.Audited(orgA, "license.start")) != 1 {
			t.Fatal("audit lines")
		}
	})
}
