package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// LIC-14: AXIS Device Manager Extend gates AXIS OS upgrades, software
// scheduling and device-account changes. Not started, each is refused
// (409) with a message naming the product and what to do, in the reader's
// language; in trial each works; unlicensed each is refused again, saying
// how many licenses to allocate; viewing works throughout.
func TestLIC14_GatedFeatures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		vtok := e.vendorToken()
		e.want(e.call("POST", "/api/v1/vendor/products", vtok, map[string]any{"id": "adm-extend", "name": "AXIS Device Manager Extend",
			"licensing": "subscription", "covers": []string{"*"},
			"gates": []string{"axis-os-upgrades", "upgrade-schedules", "device-accounts"}}), 201, "")
		session, _ := e.user("owner@example.com")
		id := e.org(session, "Acme")
		owner := e.call("POST", "/api/v1/me/tokens", session, map[string]string{"name": "script"}).Str("token")
		ms := e.Mint(3)
		devs := make([]string, 3)
		for i, m := range ms {
			r := e.Claim(owner, id, m, "")
			e.want(r, 201, "")
			devs[i] = r.Str("id")
			e.Device(m).Hello()
		}
		e.Publish("AXIS P3265-LVE", "12.2.35", "active", nil)
		o := "/api/v1/orgs/" + id
		upgrade := func(rollout bool, dev ...string) resp {
			body := map[string]any{"device_ids": dev}
			if rollout {
				body["rollout"] = map[string]int{"ring_count": 1}
			}
			return e.call("POST", o+"/upgrades", owner, body)
		}
		schedule := func() resp {
			return e.call("PUT", o+"/upgrade-schedule", owner, map[string]any{"device_ids": []string{devs[0]}, "mode": "asap"})
		}
		account := func(name string) resp {
			return e.call("POST", o+"/devices/"+devs[0]+"/accounts", owner,
				map[string]string{"username": name, "password": "Plum-orchard-lantern-42", "role": "operator"})
		}
		views := func(when string) {
			t.Helper()
			for _, p := range []string{o + "/tasks", o + "/rollouts", o + "/upgrade-schedule?device=" + devs[0], o + "/devices/" + devs[0] + "/accounts", o + "/products"} {
				if r := e.call("GET", p, owner, nil); r.Status != 200 {
					t.Errorf("%s: viewing %s: %d %s", when, p, r.Status, r.Body)
				}
			}
		}
		refused := func(r resp, what, want string) {
			t.Helper()
			if r.Status != 409 || !strings.Contains(r.ErrMessage(), want) {
				t.Errorf("%s: %d %s, want 409 saying %q", what, r.Status, r.Body, want)
			}
		}

		// LIC-14/not started: refused, the message names the product and says to start a trial.
		start := "start a trial of AXIS Device Manager Extend"
		refused(upgrade(false, devs[0]), "upgrade", "AXIS OS upgrades: a license of AXIS Device Manager Extend is needed")
		refused(upgrade(false, devs[0]), "upgrade", start)
		refused(schedule(), "schedule", start)
		refused(account("alice"), "device account", start)
		if r := e.CallIn("PUT", o+"/upgrade-schedule", owner, "fr", map[string]any{"device_ids": []string{devs[0]}, "mode": "none"}); r.Status != 409 ||
			!strings.Contains(r.ErrMessage(), "Programmation de logiciels : une licence de AXIS Device Manager Extend est nécessaire") ||
			!strings.Contains(r.ErrMessage(), "démarrez un essai") {
			t.Errorf("in French: %s", r.Body)
		}
		views("not started")

		// LIC-14/trial: everything works.
		e.want(e.call("POST", o+"/products/adm-extend/subscription", owner, nil), 201, "")
		r := upgrade(false, devs[0])
		e.want(r, 202, "")
		var started struct {
			Tasks []struct {
				ID string `json:"id"`
			}
		}
		if json.Unmarshal(r.Body, &started) != nil || len(started.Tasks) != 1 {
			t.Fatalf("upgrade in trial: %s", r.Body)
		}
		r = upgrade(true, devs[1], devs[2])
		e.want(r, 202, "")
		rollout, _ := r.JSON["rollout"].(map[string]any)["id"].(string)
		e.want(schedule(), 200, "")
		e.want(account("alice"), 202, "")
		e.want(e.call("POST", o+"/rollouts/"+rollout+"/pause", owner, nil), 200, "")
		views("trial")

		// LIC-14/unlicensed: the trial ran out with 3 devices and nothing allocated.
		e.Clock.Advance(31 * 24 * time.Hour)
		if _, err := e.App.Licenses.Daily(t.Context()); err != nil {
			t.Fatal(err)
		}
		allocate := "allocate 3 licenses to AXIS Device Manager Extend for the current subscription year"
		refused(upgrade(false, devs[0]), "upgrade", allocate)
		refused(e.call("POST", o+"/tasks/"+started.Tasks[0].ID+"/cancel", owner, nil), "cancel", allocate)
		refused(e.call("POST", o+"/tasks/"+started.Tasks[0].ID+"/retry", owner, nil), "retry", allocate)
		refused(e.call("POST", o+"/rollouts/"+rollout+"/resume", owner, nil), "resume", allocate)
		refused(e.call("POST", o+"/rollouts/"+rollout+"/abort", owner, nil), "abort", allocate)
		refused(schedule(), "schedule", allocate)
		refused(account("bob"), "device account", allocate)
		refused(e.call("DELETE", o+"/devices/"+devs[0]+"/accounts/alice", owner, nil), "delete account", allocate)
		views("unlicensed")
		e.want(e.call("POST", o+"/tasks/upg_ghost/retry", owner, nil), 404, "not_found") // not found comes first
	})
}

// LIC-14/free: a feature no product gates works in an organization that
// started nothing.
func TestLIC14_UngatedFeaturesAreFree(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	vtok := e.vendorToken()
	e.want(e.call("POST", "/api/v1/vendor/products", vtok, map[string]any{"id": "acs-edge", "name": "AXIS Camera Station Edge",
		"licensing": "subscription", "covers": []string{"*"}, "gates": []string{"device-accounts"}}), 201, "")
	owner, _ := e.user("owner@example.com")
	id := e.org(owner, "Acme")
	m := e.Mint(1)[0]
	dev := e.Claim(owner, id, m, "").Str("id")
	e.Publish("AXIS P3265-LVE", "12.2.35", "active", nil)
	e.want(e.call("POST", "/api/v1/orgs/"+id+"/upgrades", owner, map[string]any{"device_ids": []string{dev}}), 202, "")
	e.want(e.call("PUT", "/api/v1/orgs/"+id+"/upgrade-schedule", owner, map[string]any{"device_ids": []string{dev}, "mode": "asap"}), 200, "")
	r := e.call("POST", "/api/v1/orgs/"+id+"/devices/"+dev+"/accounts", owner, map[string]string{"username": "x", "password": "Plum-orchard-lantern-42", "role": "operator"})
	if r.Status != 409 || !strings.Contains(r.ErrMessage(), "AXIS Camera Station Edge") {
		t.Fatalf("the gated feature: %s", r.Body)
	}
}
