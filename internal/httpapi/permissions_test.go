package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"mysystems/internal/audit"
	"mysystems/internal/firmware"
	"mysystems/internal/license"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// SPEC §3 table and ACC-1/ACC-2 through the API: every role × every action
// served so far × inside/outside the member's granted folder. Operators and
// Viewers are granted folder "in"; folder "out" is not theirs.
func TestACC2_PermissionTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner, _ := e.user("owner@example.com")
		id := e.org(owner, "Acme")
		in := e.call("POST", "/api/v1/orgs/"+id+"/folders", owner, map[string]string{"name": "In"}).Str("id")
		out := e.call("POST", "/api/v1/orgs/"+id+"/folders", owner, map[string]string{"name": "Out"}).Str("id")
		empty := e.call("POST", "/api/v1/orgs/"+id+"/folders", owner, map[string]string{"name": "Empty"}).Str("id")
		tokens := map[string]string{"owner": owner}
		users := map[string]string{}
		for _, role := range []string{"admin", "operator", "viewer"} {
			email := role + "@example.com"
			tok, uid := e.invited(owner, id, email, in)
			if r := e.call("PATCH", "/api/v1/orgs/"+id+"/members/"+uid, owner, map[string]string{"role": role}); r.Status != 200 {
				t.Fatalf("set %s: %d %s", role, r.Status, r.Body)
			}
			tokens[role], users[role] = tok, uid
		}
		target := users["viewer"]
		// One device in each folder (DEV, ACC-1): "in" is granted to the
		// Operator and the Viewer, "out" is not.
		ms, err := e.App.Fleet.Mint(context.Background(), audit.Actor{Kind: audit.KindVendor, ID: "plt_test"}, "AXIS P3265-LVE", 2)
		if err != nil {
			t.Fatal(err)
		}
		devIn := e.call("POST", "/api/v1/orgs/"+id+"/devices", owner, map[string]string{"serial": ms[0].Serial, "oak": ms[0].OAK, "folder_id": in}).Str("id")
		devOut := e.call("POST", "/api/v1/orgs/"+id+"/devices", owner, map[string]string{"serial": ms[1].Serial, "oak": ms[1].OAK, "folder_id": out}).Str("id")
		if devIn == "" || devOut == "" {
			t.Fatal("claim the two devices")
		}
		dev := "/api/v1/orgs/" + id + "/devices"
		o := "/api/v1/orgs/" + id
		// An upgrade of both devices, phased (FW-3, FW-7): the task inside the
		// granted folder, the one outside, and their rollout.
		if _, err := e.App.Firmware.Publish(context.Background(), audit.Actor{Kind: audit.KindVendor, ID: "plt_test"},
			firmware.PublishInput{Model: "AXIS P3265-LVE", Version: "12.2.35", Track: "active"}, strings.NewReader("image")); err != nil {
			t.Fatal(err)
		}
		var started struct {
			Tasks []struct {
				ID       string `json:"id"`
				DeviceID string `json:"device_id"`
			}
			Rollout struct{ ID string }
		}
		if r := e.call("POST", o+"/upgrades", owner, map[string]any{"device_ids": []string{devIn, devOut}, "rollout": map[string]int{"ring_count": 1}}); r.Status != 202 || json.Unmarshal(r.Body, &started) != nil || len(started.Tasks) != 2 {
			t.Fatalf("upgrade: %d %s", r.Status, r.Body)
		}
		taskIn, taskOut := started.Tasks[0].ID, started.Tasks[1].ID
		if started.Tasks[0].DeviceID != devIn {
			taskIn, taskOut = taskOut, taskIn
		}
		ro := started.Rollout.ID
		// One ACS Pro server (SRV-1), registered over /server/v1; no ACS Pro
		// version is published, so an upgrade is refused after the role check.
		enr := e.call("POST", "/api/v1/orgs/"+id+"/servers/enrollment-tokens", owner, nil).Str("token")
		srvID := e.call("POST", "/server/v1/register", "", map[string]string{"enrollment_token": enr, "name": "Site A", "version": "6.3.1"}).Str("server_id")
		if srvID == "" {
			t.Fatal("register the server")
		}
		srv := "/api/v1/orgs/" + id + "/servers"
		// A product of the license catalogue (LIC): its wallet and the
		// history are every member's to read; a key that exists nowhere is
		// refused after the role check.
		if _, err := e.App.Licenses.AddProduct(context.Background(), audit.Actor{Kind: audit.KindVendor, ID: "plt_test"},
			license.Product{ID: "adm-extend", Name: "AXIS Device Manager Extend", Licensing: license.Subscription, Covers: []string{"*"}}); err != nil {
			t.Fatal(err)
		}
		n := 0
		type row struct {
			action       string
			method, path string
			body         any
			// want statuses for owner, admin, operator, viewer
			want [4]int
		}
		rows := func() []row {
			n++
			return []row{
				{"read org", "GET", "/api/v1/orgs/" + id, nil, [4]int{200, 200, 200, 200}},
				{"list members", "GET", "/api/v1/orgs/" + id + "/members", nil, [4]int{200, 200, 200, 200}},
				{"list folders", "GET", "/api/v1/orgs/" + id + "/folders", nil, [4]int{200, 200, 200, 200}},
				{"read folder inside", "GET", "/api/v1/orgs/" + id + "/folders/" + in, nil, [4]int{200, 200, 200, 200}},
				{"read folder outside", "GET", "/api/v1/orgs/" + id + "/folders/" + out, nil, [4]int{200, 200, 404, 404}},
				{"create folder inside", "POST", "/api/v1/orgs/" + id + "/folders", map[string]string{"name": fmt.Sprint("f", n), "parent_id": in}, [4]int{201, 201, 403, 403}},
				{"create folder outside", "POST", "/api/v1/orgs/" + id + "/folders", map[string]string{"name": fmt.Sprint("g", n), "parent_id": out}, [4]int{201, 201, 403, 403}},
				{"rename folder inside", "PATCH", "/api/v1/orgs/" + id + "/folders/" + in, map[string]string{"name": "In"}, [4]int{200, 200, 403, 403}},
				{"delete folder (unconfirmed)", "DELETE", "/api/v1/orgs/" + id + "/folders/" + empty, nil, [4]int{400, 400, 403, 403}},
				{"grant folders", "PATCH", "/api/v1/orgs/" + id + "/members/" + target, map[string]any{"folders": []string{in}}, [4]int{200, 200, 403, 403}},
				{"change role", "PATCH", "/api/v1/orgs/" + id + "/members/" + target, map[string]any{"role": "viewer"}, [4]int{200, 200, 403, 403}},
				{"list invitations", "GET", "/api/v1/orgs/" + id + "/invitations", nil, [4]int{200, 200, 403, 403}},
				{"invite", "POST", "/api/v1/orgs/" + id + "/invitations", map[string]any{"email": fmt.Sprint("new", n, "@example.com"), "folders": []string{in}}, [4]int{201, 201, 403, 403}},
				{"edit org", "PATCH", "/api/v1/orgs/" + id, map[string]string{"notes": fmt.Sprint("n", n)}, [4]int{200, 200, 403, 403}},
				{"require MFA (owner has none: refused after the role check)", "PATCH", "/api/v1/orgs/" + id, map[string]bool{"require_mfa": true}, [4]int{400, 403, 403, 403}},
				{"read audit", "GET", "/api/v1/orgs/" + id + "/audit", nil, [4]int{200, 200, 403, 403}},
				{"archive (wrong id: refused after the role check)", "POST", "/api/v1/orgs/" + id + "/archive", map[string]any{"confirm_id": "nope", "acknowledge": true}, [4]int{400, 403, 403, 403}},
				{"bulk remove nobody", "POST", "/api/v1/orgs/" + id + "/members/remove", map[string]any{"user_ids": []string{"usr_ghost"}}, [4]int{404, 404, 403, 403}},
				{"list devices", "GET", dev, nil, [4]int{200, 200, 200, 200}},
				{"export devices", "GET", dev + "?format=csv", nil, [4]int{200, 200, 200, 200}},
				{"list devices with a recommended upgrade", "GET", dev + "?upgrade=yes", nil, [4]int{200, 200, 200, 200}},
				{"firmware recommendations per model", "GET", "/api/v1/orgs/" + id + "/firmware/recommendations", nil, [4]int{200, 200, 200, 200}},
				{"read device inside", "GET", dev + "/" + devIn, nil, [4]int{200, 200, 200, 200}},
				{"read device outside", "GET", dev + "/" + devOut, nil, [4]int{200, 200, 404, 404}},
				{"identify device inside", "POST", dev + "/" + devIn + "/actions", map[string]string{"type": "identify"}, [4]int{202, 202, 202, 403}},
				{"identify device outside", "POST", dev + "/" + devOut + "/actions", map[string]string{"type": "identify"}, [4]int{202, 202, 404, 404}},
				{"rename device inside", "PATCH", dev + "/" + devIn, map[string]string{"name": fmt.Sprint("cam", n)}, [4]int{200, 200, 403, 403}},
				{"move device inside", "POST", dev + "/move", map[string]any{"device_ids": []string{devIn}, "folder_id": in}, [4]int{204, 204, 403, 403}},
				{"remove device (unconfirmed)", "DELETE", dev + "/" + devIn, nil, [4]int{400, 400, 403, 403}},
				{"remove device outside (unconfirmed)", "DELETE", dev + "/" + devOut, nil, [4]int{400, 400, 404, 404}},
				{"claim (wrong OAK)", "POST", dev, map[string]string{"serial": ms[0].Serial, "oak": "WRONG", "folder_id": in}, [4]int{400, 400, 403, 403}},
				{"device accounts inside", "GET", dev + "/" + devIn + "/accounts", nil, [4]int{200, 200, 403, 403}},
				{"device accounts outside", "GET", dev + "/" + devOut + "/accounts", nil, [4]int{200, 200, 404, 404}},
				{"delete device account inside", "DELETE", dev + "/" + devIn + "/accounts/nobody", nil, [4]int{409, 409, 403, 403}},
				{"upgrade a device with an upgrade under way (reported, not doubled)", "POST", o + "/upgrades", map[string]any{"device_ids": []string{devIn}}, [4]int{202, 202, 403, 403}},
				{"read a task inside", "GET", o + "/tasks/" + taskIn, nil, [4]int{200, 200, 200, 200}},
				{"read a task outside", "GET", o + "/tasks/" + taskOut, nil, [4]int{200, 200, 404, 404}},
				{"cancel a task outside (the owner cancels it, then it is over)", "POST", o + "/tasks/" + taskOut + "/cancel", nil, [4]int{200, 409, 404, 404}},
				{"retry a canceled task outside", "POST", o + "/tasks/" + taskOut + "/retry", nil, [4]int{409, 409, 404, 404}},
				{"read a rollout", "GET", o + "/rollouts/" + ro, nil, [4]int{200, 200, 200, 200}},
				{"resume a rollout that is not there", "POST", o + "/rollouts/rol_ghost/resume", nil, [4]int{404, 404, 403, 403}},
				{"abort a rollout that is not there", "POST", o + "/rollouts/rol_ghost/abort", nil, [4]int{404, 404, 403, 403}},
				{"set software scheduling", "PUT", o + "/upgrade-schedule", map[string]any{"device_ids": []string{devIn}, "mode": "none"}, [4]int{200, 200, 403, 403}},
				{"read software scheduling", "GET", o + "/upgrade-schedule?device=" + devIn, nil, [4]int{200, 200, 200, 200}},
				{"list tasks", "GET", o + "/tasks", nil, [4]int{200, 200, 200, 200}},
				{"export tasks", "GET", o + "/tasks?format=csv", nil, [4]int{200, 200, 200, 200}},
				{"retry a task that is not there", "POST", o + "/tasks/upg_ghost/retry", nil, [4]int{404, 404, 404, 404}},
				{"cancel a task that is not there", "POST", o + "/tasks/upg_ghost/cancel", nil, [4]int{404, 404, 404, 404}},
				{"list rollouts", "GET", o + "/rollouts", nil, [4]int{200, 200, 200, 200}},
				{"pause a rollout that is not there", "POST", o + "/rollouts/rol_ghost/pause", nil, [4]int{404, 404, 403, 403}},
				{"read upgrade limits", "GET", o + "/upgrade-limits", nil, [4]int{200, 200, 200, 200}},
				{"set upgrade limits", "PUT", o + "/upgrade-limits", map[string]int{"max_concurrent": 200, "max_per_site": 20}, [4]int{200, 200, 403, 403}},
				{"list ACS Pro servers", "GET", srv, nil, [4]int{200, 200, 200, 403}},
				{"read ACS Pro server", "GET", srv + "/" + srvID, nil, [4]int{200, 200, 200, 403}},
				{"change server alert settings", "PATCH", srv + "/" + srvID, map[string]any{"alert_online": n%2 == 0}, [4]int{200, 200, 200, 403}},
				{"create server enrolment token", "POST", srv + "/enrollment-tokens", nil, [4]int{201, 201, 403, 403}},
				{"upgrade server (none recommended: refused after the role check)", "POST", srv + "/" + srvID + "/upgrade", nil, [4]int{409, 409, 403, 403}},
				{"cancel server upgrade (none queued)", "DELETE", srv + "/" + srvID + "/upgrade", nil, [4]int{409, 409, 403, 403}},
				{"read a product wallet", "GET", o + "/products/adm-extend/wallet", nil, [4]int{200, 200, 200, 200}},
				{"read the license history", "GET", o + "/license-history", nil, [4]int{200, 200, 200, 200}},
				{"export the license history", "GET", o + "/license-history?format=csv", nil, [4]int{200, 200, 200, 200}},
				{"list the products and their status", "GET", o + "/products", nil, [4]int{200, 200, 200, 200}},
				{"read a product's overview", "GET", o + "/products/adm-extend", nil, [4]int{200, 200, 200, 200}},
				{"start a product (the owner starts it, then it is started)", "POST", o + "/products/adm-extend/subscription", nil, [4]int{201, 409, 403, 403}},
				{"allocate from an empty wallet (refused after the role check)", "POST", o + "/products/adm-extend/allocations", map[string]any{"year": 0, "quantity": 1}, [4]int{409, 409, 403, 403}},
				{"convert a license key that exists nowhere", "POST", o + "/license-keys/redeem", map[string]string{"key": "22222-22222-22222-22222"}, [4]int{404, 404, 403, 403}},
			}
		}
		for i, role := range []string{"owner", "admin", "operator", "viewer"} {
			for _, r := range rows() {
				got := e.call(r.method, r.path, tokens[role], r.body)
				if got.Status != r.want[i] {
					t.Errorf("%s may %s: got %d %s, want %d", role, r.action, got.Status, got.Body, r.want[i])
				}
			}
		}
	})
}
