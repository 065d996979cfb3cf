package httpapi_test

import (
	"context"
	"testing"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// SRV-2: vendor operators publish ACS Pro versions with a platform token;
// members read them; a version already published (6.5 = 6.5.0) is a
// conflict; a person's token cannot publish.
func TestSRV2_VendorPublishesACSVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, vtok, err := e.App.Platform.CreateToken(context.Background(), "ops")
		if err != nil {
			t.Fatal(err)
		}
		user, _ := e.user("ann@example.com")
		path := "/api/v1/vendor/acs-versions"
		r := e.call("POST", path, vtok, map[string]string{"version": "6.5", "released_at": "2026-02-10"})
		e.want(r, 201, "")
		if r.Str("version") != "6.5" || r.Str("released_at") != "2026-02-10T00:00:00Z" {
			t.Errorf("published: %s", r.Body)
		}
		e.want(e.call("POST", path, vtok, map[string]string{"version": "6.5.0"}), 409, "conflict")
		e.want(e.call("POST", path, vtok, map[string]string{"version": "6.6", "url": "https://downloads.example.com/acs/6.6.exe"}), 201, "")
		e.want(e.call("POST", path, vtok, map[string]string{"version": "latest"}), 400, "invalid")
		e.want(e.call("POST", path, vtok, map[string]string{"version": "6.7", "released_at": "soon"}), 400, "invalid")
		e.want(e.call("POST", path, vtok, map[string]string{"version": "6.7", "url": "ftp://x"}), 400, "invalid")
		e.want(e.call("POST", path, user, map[string]string{"version": "6.8"}), 403, "forbidden")
		list := e.call("GET", "/api/v1/acs-versions", user, nil)
		e.want(list, 200, "")
		items, _ := list.JSON["items"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["version"] != "6.6" {
			t.Errorf("newest first: %s", list.Body)
		}
	})
}
