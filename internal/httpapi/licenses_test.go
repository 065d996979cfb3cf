package httpapi_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// vendorToken creates a platform token.
func (e *env) vendorToken() string {
	e.t.Helper()
	_, tok, err := e.App.Platform.CreateToken(context.Background(), "ops")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func items(r resp) []map[string]any {
	raw, _ := r.JSON["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, x := range raw {
		out = append(out, x.(map[string]any))
	}
	return out
}

// LIC-1, LIC-3: the vendor's catalogue and keys over the API, with a
// platform token only: products added and listed, each refusal naming the
// field; keys issued in bounded numbers, shown once.
func TestLIC3_VendorCatalogueAndKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		vtok := e.vendorToken()
		person, _ := e.user("someone@example.com")
		adm := map[string]any{"id": "adm-extend", "name": "AXIS Device Manager Extend", "licensing": "subscription",
			"covers": []string{"*"}, "gates": []string{"axis-os-upgrades", "upgrade-schedules", "device-accounts"}}
		e.want(e.call("POST", "/api/v1/vendor/products", person, adm), 403, "forbidden")
		e.want(e.call("POST", "/api/v1/vendor/products", "", adm), 401, "unauthenticated")
		r := e.call("POST", "/api/v1/vendor/products", vtok, adm)
		e.want(r, 201, "")
		if r.Str("id") != "adm-extend" || len(r.JSON["gates"].([]any)) != 3 {
			t.Fatalf("product: %s", r.Body)
		}
		e.want(e.call("POST", "/api/v1/vendor/products", vtok, adm), 409, "conflict")
		edge := map[string]any{"id": "acs-edge", "name": "AXIS Camera Station Edge", "licensing": "subscription",
			"covers": []string{"AXIS M*", "AXIS P*", "AXIS Q*"}, "gates": []string{}}
		e.want(e.call("POST", "/api/v1/vendor/products", vtok, edge), 201, "")
		for field, body := range map[string]map[string]any{
			"id":        {"id": "ACS Edge!", "name": "x", "licensing": "subscription", "covers": []string{"*"}},
			"name":      {"id": "x", "name": "", "licensing": "subscription", "covers": []string{"*"}},
			"licensing": {"id": "x", "name": "x", "licensing": "forever", "covers": []string{"*"}},
			"covers":    {"id": "x", "name": "x", "licensing": "subscription", "covers": []string{"AXIS *-LVE"}},
			"gates":     {"id": "x", "name": "x", "licensing": "subscription", "covers": []string{"*"}, "gates": []string{"video"}},
		} {
			r := e.call("POST", "/api/v1/vendor/products", vtok, body)
			e.want(r, 400, "invalid")
			if f, _ := r.JSON["error"].(map[string]any)["field"].(string); f != field {
				t.Errorf("%v: field %q, want %q", body, f, field)
			}
		}
		r = e.call("GET", "/api/v1/vendor/products", vtok, nil)
		if ps := items(r); r.Status != 200 || len(ps) != 2 || ps[0]["id"] != "acs-edge" || ps[1]["id"] != "adm-extend" {
			t.Fatalf("products: %d %s", r.Status, r.Body)
		}
		e.want(e.call("GET", "/api/v1/vendor/products", person, nil), 403, "forbidden")

		keys := "/api/v1/vendor/license-keys"
		r = e.call("POST", keys, vtok, map[string]any{"product": "acs-edge", "quantity": 10, "count": 3})
		e.want(r, 201, "")
		ks := items(r)
		if len(ks) != 3 || ks[0]["product"] != "acs-edge" || ks[0]["quantity"] != float64(10) || ks[0]["key"] == ks[1]["key"] ||
			len(ks[0]["key"].(string)) != 23 {
			t.Fatalf("keys: %s", r.Body)
		}
		for _, k := range ks {
			if n, err := db.ScanForTest(context.Background(), k["key"].(string)); err != nil || n != 0 {
				t.Fatalf("key %s is stored (%d cells, %v)", k["key"], n, err)
			}
		}
		for field, body := range map[string]map[string]any{
			"count":    {"product": "acs-edge", "quantity": 1, "count": 1001},
			"quantity": {"product": "acs-edge", "quantity": 0, "count": 1},
			"product":  {"product": "", "quantity": 1, "count": 1},
		} {
			r := e.call("POST", keys, vtok, body)
			e.want(r, 400, "invalid")
			if f, _ := r.JSON["error"].(map[string]any)["field"].(string); f != field {
				t.Errorf("%v: field %q, want %q", body, f, field)
			}
		}
		e.want(e.call("POST", keys, vtok, map[string]any{"product": "nope", "quantity": 1, "count": 1}), 404, "not_found")
		e.want(e.call("POST", keys, person, map[string]any{"product": "acs-edge", "quantity": 1, "count": 1}), 403, "forbidden")
		if r := e.call("POST", keys, vtok, map[string]any{"product": "acs-edge", "quantity": 1, "count": 1000}); r.Status != 201 || len(items(r)) != 1000 {
			t.Fatalf("1000 keys: %d", r.Status)
		}
	})
}

// LIC-2, LIC-3, LIC-13 through the API: a key converted in one
// organization puts a lot into its product wallet and an entry into its
// history (JSON and CSV, filtered); the same key is refused everywhere
// after, never naming where it went; a mistyped key is refused before any
// look-up, in the reader's language.
func TestLIC3_RedeemThroughTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		vtok := e.vendorToken()
		e.want(e.call("POST", "/api/v1/vendor/products", vtok, map[string]any{"id": "acs-edge", "name": "AXIS Camera Station Edge",
			"licensing": "subscription", "covers": []string{"AXIS P*"}, "gates": []string{}}), 201, "")
		ks := items(e.call("POST", "/api/v1/vendor/license-keys", vtok, map[string]any{"product": "acs-edge", "quantity": 8, "count": 2}))
		key := ks[0]["key"].(string)
		ownerA, _ := e.user("a@example.com")
		orgA := e.org(ownerA, "Org A")
		ownerB, _ := e.user("b@example.com")
		orgB := e.org(ownerB, "Org B Secret Name")
		redeem := func(tok, org, key string) resp {
			return e.call("POST", "/api/v1/orgs/"+org+"/license-keys/redeem", tok, map[string]string{"key": key})
		}
		pasted := strings.ToLower(strings.ReplaceAll(key, "-", " "))
		r := redeem(ownerA, orgA, pasted)
		e.want(r, 201, "")
		lot, _ := r.JSON["lot"].(map[string]any)
		today := e.Now().Format("2006-01-02")
		if r.Str("product") != "acs-edge" || lot["quantity"] != float64(8) || lot["entered_at"] != today ||
			lot["expires_at"] != e.Now().AddDate(5, 0, 0).Format("2006-01-02") || lot["source"] != "redeem" {
			t.Fatalf("redeemed: %s", r.Body)
		}
		r = redeem(ownerB, orgB, key)
		e.want(r, 409, "conflict")
		if strings.Contains(string(r.Body), orgA) || strings.Contains(string(r.Body), "Org A") {
			t.Fatalf("the refusal names the organization: %s", r.Body)
		}
		e.want(redeem(ownerA, orgA, key), 409, "conflict")
		w := e.call("GET", "/api/v1/orgs/"+orgA+"/products/acs-edge/wallet", ownerA, nil)
		if lots := items(w); w.Status != 200 || len(lots) != 1 || w.JSON["available"] != float64(8) || lots[0]["id"] != lot["id"] {
			t.Fatalf("wallet A: %d %s", w.Status, w.Body)
		}
		if w := e.call("GET", "/api/v1/orgs/"+orgB+"/products/acs-edge/wallet", ownerB, nil); w.JSON["available"] != float64(0) || len(items(w)) != 0 {
			t.Fatalf("wallet B: %s", w.Body)
		}
		e.want(e.call("GET", "/api/v1/orgs/"+orgB+"/products/acs-edge/wallet", ownerA, nil), 404, "not_found")
		e.want(e.call("GET", "/api/v1/orgs/"+orgA+"/products/nope/wallet", ownerA, nil), 404, "not_found")
		if w := e.call("GET", "/api/v1/orgs/"+orgA+"/products/ACS-Edge/wallet", ownerA, nil); w.JSON["available"] != float64(8) || w.Str("product") != "acs-edge" {
			t.Fatalf("a product id in capitals: %s", w.Body)
		}

		// Mistyped: two neighbours swapped. Refused on field key, in French
		// for a French reader, even in an organization the caller is not in.
		b := []byte(ks[1]["key"].(string))
		i := 0
		for b[i] == b[i+1] || b[i+1] == '-' {
			i++
		}
		b[i], b[i+1] = b[i+1], b[i]
		r = e.CallIn("POST", "/api/v1/orgs/"+orgA+"/license-keys/redeem", ownerA, "fr", map[string]string{"key": string(b)})
		e.want(r, 400, "invalid")
		if er := r.JSON["error"].(map[string]any); er["field"] != "key" || !strings.Contains(er["message"].(string), "mal saisie") {
			t.Fatalf("mistyped: %s", r.Body)
		}
		e.want(redeem(ownerA, orgA, "22222-22222-22222-22222"), 404, "not_found")
		e.want(redeem(ownerA, orgA, ""), 400, "invalid")

		h := e.call("GET", "/api/v1/orgs/"+orgA+"/license-history", ownerA, nil)
		if es := items(h); h.Status != 200 || len(es) != 1 || es[0]["kind"] != "redeem" || es[0]["quantity"] != float64(8) ||
			es[0]["lot"] != lot["id"] || es[0]["day"] != today || es[0]["actor"].(map[string]any)["email"] != "a@example.com" {
			t.Fatalf("history: %d %s", h.Status, h.Body)
		}
		if es := items(e.call("GET", "/api/v1/orgs/"+orgB+"/license-history", ownerB, nil)); len(es) != 0 {
			t.Fatalf("org B's history: %v", es)
		}
		yesterday := e.Now().Add(-24 * time.Hour).Format("2006-01-02")
		for q, n := range map[string]int{"product=acs-edge": 1, "product=other": 0, "kind=redeem": 1, "kind=allocate": 0,
			"since=" + today: 1, "until=" + yesterday: 0, "until=%20" + today + "%20": 1, "limit=1": 1} {
			r := e.call("GET", "/api/v1/orgs/"+orgA+"/license-history?"+q, ownerA, nil)
			if r.Status != 200 || len(items(r)) != n {
				t.Errorf("%s: %d %d entries, want %d", q, r.Status, len(items(r)), n)
			}
		}
		for q, field := range map[string]string{"kind=bought": "kind", "since=soon": "since", "cursor=nonsense": "cursor", "format=xml": "format"} {
			r := e.call("GET", "/api/v1/orgs/"+orgA+"/license-history?"+q, ownerA, nil)
			e.want(r, 400, "invalid")
			if f, _ := r.JSON["error"].(map[string]any)["field"].(string); f != field {
				t.Errorf("%s: field %q, want %q", q, f, field)
			}
		}
		r = e.call("GET", "/api/v1/orgs/"+orgA+"/license-history?format=csv&kind=redeem", ownerA, nil)
		rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if err != nil || r.Status != 200 || len(rows) != 2 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV: %d %v %q", r.Status, err, r.Body)
		}
		if h := strings.Join(rows[0], ","); h != "id,time,day,actor_kind,actor_id,actor_email,product,kind,quantity,year,lot,details" {
			t.Errorf("CSV header %s", h)
		}
		if rows[1][6] != "acs-edge" || rows[1][7] != "redeem" || rows[1][8] != "8" || rows[1][9] != "" || !strings.Contains(rows[1][11], "key_end") {
			t.Errorf("CSV row %v", rows[1])
		}
		// AUD-1: the redemption is in the audit log, as a sentence.
		es := e.Audited(orgA, audit.LicenseRedeem)
		if len(es) != 1 || es[0].TargetID != "acs-edge" {
			t.Fatalf("audit: %+v", es)
		}
		r = e.call("GET", "/api/v1/orgs/"+orgA+"/audit?format=csv&action=license.", ownerA, nil)
		if !strings.Contains(string(r.Body), "converted a license key: 8 licenses of AXIS Camera Station Edge entered the product wallet") {
			t.Fatalf("audit CSV: %s", r.Body)
		}
	})
}

// LIC-3: Operators and Viewers read the wallet and the history but do not
// convert keys (the manual: Admins manage licenses).
func TestLIC3_RedeemNeedsAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		vtok := e.vendorToken()
		e.want(e.call("POST", "/api/v1/vendor/products", vtok, map[string]any{"id": "adm-extend", "name": "ADM Extend",
			"licensing": "subscription", "covers": []string{"*"}}), 201, "")
		key := items(e.call("POST", "/api/v1/vendor/license-keys", vtok, map[string]any{"product": "adm-extend", "quantity": 3, "count": 1}))[0]["key"].(string)
		owner, _ := e.user("owner@example.com")
		org := e.org(owner, "Acme")
		for _, role := range []access.Role{access.Viewer, access.Operator} {
			m := e.Member(org, string(role)+"@example.com", role)
			e.want(e.call("POST", "/api/v1/orgs/"+org+"/license-keys/redeem", m.Token, map[string]string{"key": key}), http.StatusForbidden, "forbidden")
			e.want(e.call("GET", "/api/v1/orgs/"+org+"/products/adm-extend/wallet", m.Token, nil), 200, "")
			e.want(e.call("GET", "/api/v1/orgs/"+org+"/license-history", m.Token, nil), 200, "")
		}
		admin := e.Member(org, "admin@example.com", access.Admin)
		e.want(e.call("POST", "/api/v1/orgs/"+org+"/license-keys/redeem", admin.Token, map[string]string{"key": key}), 201, "")
	})
}
