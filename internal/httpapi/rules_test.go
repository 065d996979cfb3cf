package httpapi_test

import (
	"net/http"
	"testing"

	"mysystems/internal/access"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// ACC-3: grants edited under the member's "Roles and access" apply on the
// member's very next request: a folder taken away answers 404 at once, a
// folder given is visible at once.
func TestACC3_GrantsApplyAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner := e.User("owner@example.com")
		org, root := e.Org(owner.Token, "Grants Inc")
		folder := func(name string) string {
			r := e.Call("POST", "/api/v1/orgs/"+org+"/folders", owner.Token, map[string]string{"name": name, "parent_id": root})
			e.Want(r, http.StatusCreated, "")
			return r.Str("id")
		}
		a, b := folder("Site A"), folder("Site B")
		op := e.Member(org, "op@example.com", access.Operator, a)
		sees := func(id string) bool {
			t.Helper()
			r := e.Call("GET", "/api/v1/orgs/"+org+"/folders/"+id, op.Token, nil)
			if r.Status != http.StatusOK && r.Status != http.StatusNotFound {
				t.Fatalf("folder %s: %d %s", id, r.Status, r.Body)
			}
			return r.Status == http.StatusOK
		}
		if !sees(a) || sees(b) {
			t.Fatalf("granted Site A only: sees A %v, B %v", sees(a), sees(b))
		}
		e.Want(e.Call("PATCH", "/api/v1/orgs/"+org+"/members/"+op.ID, owner.Token, map[string]any{"folders": []string{b}}), http.StatusOK, "")
		if sees(a) || !sees(b) {
			t.Fatalf("after the change to Site B: sees A %v, B %v", sees(a), sees(b))
		}
	})
}
