package httpapi_test

import (
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"mysystems/internal/access"
	"mysystems/internal/api"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/harness"
	"mysystems/internal/sim"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// recFleet is an organization with devices on AXIS OS versions against a
// catalogue (recommendFleet).
type recFleet struct {
	e      *env
	owner  harness.User
	orgID  string
	in     string            // the folder "In"
	ids    map[string]string // device ids by firmware
	newest string            // the release id of 12.2.35
}

// withdraw withdraws 12.2.35.
func (f *recFleet) withdraw(t *testing.T) {
	t.Helper()
	if _, err := f.e.App.Firmware.Withdraw(context.Background(), harness.Vendor, f.newest, "bad"); err != nil {
		t.Fatal(err)
	}
}

// sixDevices are the firmwares of the usual fleet, and the two of them in
// the folder "In".
var (
	sixDevices = []string{"11.11.73", "11.10.61", "10.12.220", "10.12.240", "10.11.5", "12.2.35"}
	twoInside  = []string{"11.10.61", "10.12.240"}
)

// recommendFleet publishes a catalogue for harness.Model (active 11.10.61,
// 11.11.73, 12.2.35; LTS 2024 10.12.220, 10.12.240) and, in a new
// organization, claims one device per firmware named, each saying hello on
// that firmware: those of inFolder go into a folder "In", the rest into the
// root.
func recommendFleet(t *testing.T, db *store.DB, inFolder []string, firmwares ...string) *recFleet {
	t.Helper()
	e := newEnv(t, db)
	u := e.User("owner@example.com")
	orgID, root := e.Org(u.Token, "Acme")
	owner := u.Token
	ctx := context.Background()
	var newest string
	for _, v := range []struct{ version, track string }{
		{"11.10.61", "active"}, {"11.11.73", "active"}, {"12.2.35", "active"}, {"10.12.220", "lts-2024"}, {"10.12.240", "lts-2024"},
	} {
		p, err := e.App.Firmware.Publish(ctx, harness.Vendor, firmware.PublishInput{Model: harness.Model, Version: v.version, Track: v.track, Released: "2026-01-15"},
			strings.NewReader("image "+v.version))
		if err != nil {
			t.Fatal(err)
		}
		if v.version == "12.2.35" {
			newest = p.ID
		}
	}
	in := e.call("POST", "/api/v1/orgs/"+orgID+"/folders", owner, map[string]string{"name": "In"}).Str("id")
	ids := map[string]string{}
	for _, m := range e.Mint(len(firmwares)) {
		fw := firmwares[0]
		firmwares = firmwares[1:]
		folder := root
		if slices.Contains(inFolder, fw) {
			folder = in
		}
		ids[fw] = e.Claim(owner, orgID, m, folder).Str("id")
		d, err := sim.NewStepped(sim.Config{Server: e.URL, Firmware: fw}, sim.Identity{Serial: m.Serial, Model: m.Model, Secret: m.Secret})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		if _, err := d.Hello(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return &recFleet{e: e, owner: u, orgID: orgID, in: in, ids: ids, newest: newest}
}

// firmwares lists the devices' firmware of a device list, sorted.
func firmwares(t *testing.T, r resp) []string {
	t.Helper()
	var l api.List[api.DeviceJSON]
	if r.Status != 200 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	if err := r.Decode(&l); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, d := range l.Items {
		out = append(out, d.Firmware)
	}
	slices.Sort(out)
	return out
}

// TestFW2_DeviceListUpgradeFilter: the device list's "upgrade recommended"
// filter (DEV-4) and column: an LTS device is recommended its LTS track's
// newest, an active device the newest active, a version the catalogue does
// not know is on the active track, a withdrawn release is no longer
// recommended, and a Viewer sees only their folders (ACC-1).
func TestFW2_DeviceListUpgradeFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := recommendFleet(t, db, twoInside, sixDevices...)
		e, owner, orgID, ids, in := f.e, f.owner, f.orgID, f.ids, f.in
		dev := "/api/v1/orgs/" + orgID + "/devices"

		// 12.2.35 is the newest active: every active device but the one on it.
		if got := firmwares(t, e.call("GET", dev+"?upgrade=yes", owner.Token, nil)); !slices.Equal(got, []string{"10.11.5", "10.12.220", "11.10.61", "11.11.73"}) {
			t.Errorf("upgrade=yes before the withdrawal: %v", got)
		}
		f.withdraw(t)
		// Withdrawn, 12.2.35 is no longer recommended: 11.11.73 is the newest
		// active, and the LTS device is offered 10.12.240, not the active.
		if got := firmwares(t, e.call("GET", dev+"?upgrade=yes", owner.Token, nil)); !slices.Equal(got, []string{"10.11.5", "10.12.220", "11.10.61"}) {
			t.Errorf("upgrade=yes: %v", got)
		}
		if got := firmwares(t, e.call("GET", dev+"?upgrade=no", owner.Token, nil)); !slices.Equal(got, []string{"10.12.240", "11.11.73", "12.2.35"}) {
			t.Errorf("upgrade=no: %v", got)
		}
		if got := firmwares(t, e.call("GET", dev+"?upgrade=yes&folder="+in, owner.Token, nil)); !slices.Equal(got, []string{"11.10.61"}) {
			t.Errorf("upgrade=yes in the folder: %v", got)
		}
		e.want(e.call("GET", dev+"?upgrade=maybe", owner.Token, nil), 400, "invalid")

		// The column: recommended_version when an upgrade is recommended.
		want := map[string]string{"10.11.5": "11.11.73", "10.12.220": "10.12.240", "11.10.61": "11.11.73", "11.11.73": "", "10.12.240": "", "12.2.35": ""}
		var l api.List[api.DeviceJSON]
		_ = e.call("GET", dev, owner.Token, nil).Decode(&l)
		for _, d := range l.Items {
			if d.RecommendedVersion != want[d.Firmware] {
				t.Errorf("%s: recommended_version %q, want %q", d.Firmware, d.RecommendedVersion, want[d.Firmware])
			}
		}
		var one api.DeviceJSON
		_ = e.call("GET", dev+"/"+ids["10.12.220"], owner.Token, nil).Decode(&one)
		if one.RecommendedVersion != "10.12.240" {
			t.Errorf("one device: %+v", one)
		}
		if r := e.call("GET", dev+"/"+ids["11.11.73"], owner.Token, nil); strings.Contains(string(r.Body), "recommended_version") {
			t.Errorf("no upgrade, yet %s", r.Body)
		}

		// A Viewer granted "In" sees that folder's devices only.
		viewer := e.Member(orgID, "viewer@example.com", access.Viewer, in)
		if got := firmwares(t, e.call("GET", dev+"?upgrade=yes", viewer.Token, nil)); !slices.Equal(got, []string{"11.10.61"}) {
			t.Errorf("viewer upgrade=yes: %v", got)
		}
		if got := firmwares(t, e.call("GET", dev+"?upgrade=no", viewer.Token, nil)); !slices.Equal(got, []string{"10.12.240"}) {
			t.Errorf("viewer upgrade=no: %v", got)
		}
	})
}

// TestFW2_RecommendationsPerModel: GET …/firmware/recommendations counts,
// per model, the devices, those on the recommended version and those with
// an upgrade available, in the caller's visible folders.
func TestFW2_RecommendationsPerModel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := recommendFleet(t, db, twoInside, sixDevices...)
		f.withdraw(t)
		e, owner, orgID, in := f.e, f.owner, f.orgID, f.in
		path := "/api/v1/orgs/" + orgID + "/firmware/recommendations"
		summary := func(token string) []api.ModelRecommendationJSON {
			t.Helper()
			r := e.call("GET", path, token, nil)
			var l api.List[api.ModelRecommendationJSON]
			if r.Status != 200 || r.Decode(&l) != nil {
				t.Fatalf("recommendations: %d %s", r.Status, r.Body)
			}
			return l.Items
		}
		if got := summary(owner.Token); len(got) != 1 || got[0] != (api.ModelRecommendationJSON{Model: harness.Model, Devices: 6, OnRecommended: 2, UpgradeAvailable: 3}) {
			t.Errorf("owner: %+v", got)
		}
		viewer := e.Member(orgID, "viewer@example.com", access.Viewer, in)
		if got := summary(viewer.Token); len(got) != 1 || got[0] != (api.ModelRecommendationJSON{Model: harness.Model, Devices: 2, OnRecommended: 1, UpgradeAvailable: 1}) {
			t.Errorf("viewer: %+v", got)
		}
		stranger := e.User("stranger@example.com")
		e.want(e.call("GET", path, stranger.Token, nil), 404, "not_found")
	})
}

// TestDEV4_ExportHasTheRecommendedVersion: the device CSV's last column is
// the recommended version, and the export follows the upgrade filter.
func TestDEV4_ExportHasTheRecommendedVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := recommendFleet(t, db, nil, "11.10.61", "12.2.35")
		e, owner, orgID := f.e, f.owner, f.orgID
		r := e.call("GET", "/api/v1/orgs/"+orgID+"/devices?format=csv&upgrade=yes", owner.Token, nil)
		rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if r.Status != 200 || err != nil || len(rows) != 2 {
			t.Fatalf("export: %d %v %q", r.Status, err, r.Body)
		}
		if rows[0][len(rows[0])-1] != "recommended_version" || len(rows[0]) != len(fleet.ExportColumns) {
			t.Errorf("header %v", rows[0])
		}
		if got := rows[1]; got[4] != "11.10.61" || got[len(got)-1] != "12.2.35" {
			t.Errorf("row %v", got)
		}
	})
}
