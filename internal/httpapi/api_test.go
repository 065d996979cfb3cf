package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mysystems/internal/app"
	"mysystems/internal/httpapi"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// ID-1, ID-2: register, sign in, use the session, personal API tokens,
// sign out.
func TestID2_AccountJourney(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tok, id := e.user("Alice@Example.com")
		r := e.call("GET", "/api/v1/me", tok, nil)
		if r.Status != 200 || r.JSON["user"].(map[string]any)["id"] != id {
			t.Fatalf("me: %d %s", r.Status, r.Body)
		}
		t.Run("ErrDuplicateEmail", func(t *testing.T) {
			r := e.call("POST", "/api/v1/auth/register", "", map[string]string{"email": "alice@EXAMPLE.com", "name": "A2", "password": "another long passphrase"})
			e.want(r, 400, "invalid")
		})
		t.Run("Tokens", func(t *testing.T) {
			exp := t0.Add(48 * time.Hour)
			r := e.call("POST", "/api/v1/me/tokens", tok, map[string]any{"name": "ci", "expires_at": exp})
			if r.Status != 201 || !strings.HasPrefix(r.Str("token"), "mst_") {
				t.Fatalf("create token: %d %s", r.Status, r.Body)
			}
			pat := r.Str("token")
			tid := r.JSON["detail"].(map[string]any)["id"].(string)
			if r := e.call("GET", "/api/v1/me", pat, nil); r.Status != 200 {
				t.Fatalf("me with token: %d %s", r.Status, r.Body)
			}
			r = e.call("GET", "/api/v1/me/tokens", tok, nil)
			items := r.JSON["items"].([]any)
			if len(items) != 1 || strings.Contains(string(r.Body), pat) {
				t.Fatalf("token list must hold one token and never its secret: %s", r.Body)
			}
			if items[0].(map[string]any)["last_used_at"] == nil {
				t.Errorf("last_used_at not recorded: %s", r.Body)
			}
			// An expired token fails.
			e.Clock.Advance(49 * time.Hour)
			e.want(e.call("GET", "/api/v1/me", pat, nil), 401, "unauthenticated")
			e.Clock.Set(t0)
			e.want(e.call("DELETE", "/api/v1/me/tokens/"+tid, tok, nil), 204, "")
			e.want(e.call("GET", "/api/v1/me", pat, nil), 401, "unauthenticated")
			e.want(e.call("DELETE", "/api/v1/me/tokens/"+tid, tok, nil), 404, "not_found")
			e.want(e.call("POST", "/api/v1/me/tokens", tok, map[string]any{"name": "old", "expires_at": t0.Add(-time.Hour)}), 400, "invalid")
		})
		t.Run("Logout", func(t *testing.T) {
			tok2, _ := e.user("bob@example.com")
			e.want(e.call("POST", "/api/v1/auth/logout", tok2, nil), 204, "")
			e.want(e.call("GET", "/api/v1/me", tok2, nil), 401, "unauthenticated")
		})
		t.Run("Lang", func(t *testing.T) {
			r := e.call("PATCH", "/api/v1/me", tok, map[string]string{"lang": "fr"})
			if r.Status != 200 || r.JSON["user"].(map[string]any)["lang"] != "fr" {
				t.Fatalf("set lang: %d %s", r.Status, r.Body)
			}
			e.want(e.call("PATCH", "/api/v1/me", tok, map[string]string{"lang": "de"}), 400, "invalid")
		})
	})
}

// ID-4: the answer never tells whether an account exists, and failures are
// rate-limited per account and per client address.
func TestID4_LoginRateLimitAndNoEnumeration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user("carol@example.com")
		wrong := e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "carol@example.com", "password": "not her password"})
		unknown := e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody@example.com", "password": "not her password"})
		if wrong.Status != 401 || unknown.Status != 401 || wrong.ErrMessage() != unknown.ErrMessage() {
			t.Fatalf("wrong password %d %q vs unknown account %d %q: must be identical", wrong.Status, wrong.ErrMessage(), unknown.Status, unknown.ErrMessage())
		}
		for i := 0; i < 9; i++ { // 10 failures in all for carol: the 11th attempt is refused
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "carol@example.com", "password": "guess"})
		}
		r := e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "carol@example.com", "password": "guess"})
		e.want(r, 429, "rate_limited")
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		// Even the right password is refused while the account is locked out.
		e.want(e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "carol@example.com", "password": "a long enough passphrase"}), 429, "rate_limited")
		// After the window it works again.
		e.Clock.Advance(16 * time.Minute)
		if r := e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "carol@example.com", "password": "a long enough passphrase"}); r.Status != 200 {
			t.Fatalf("after the window: %d %s", r.Status, r.Body)
		}
		// Per client address: many accounts guessed from one address.
		for i := 0; i < 60; i++ {
			e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "x" + strings.Repeat("y", i%7) + "@example.com", "password": "guess"})
		}
		e.want(e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "carol@example.com", "password": "a long enough passphrase"}), 429, "rate_limited")
	})
}

// ORG-1..5 through the API: create, rename, notes, archive with the typed
// id, hidden afterwards, vendor restore.
func TestORG1_OrgLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tok, _ := e.user("owner@example.com")
		id := e.org(tok, "Acme Security")
		r := e.call("GET", "/api/v1/orgs/"+id, tok, nil)
		if r.Status != 200 || r.Str("role") != "owner" || r.Str("root_folder_id") == "" {
			t.Fatalf("read org: %d %s", r.Status, r.Body)
		}
		r = e.call("PATCH", "/api/v1/orgs/"+id, tok, map[string]string{"name": "Acme Sécurité", "notes": "HQ in Lund"})
		if r.Status != 200 || r.Str("name") != "Acme Sécurité" || r.Str("notes") != "HQ in Lund" {
			t.Fatalf("rename: %d %s", r.Status, r.Body)
		}
		e.want(e.call("POST", "/api/v1/orgs/"+id+"/archive", tok, map[string]any{"confirm_id": id + "x", "acknowledge": true}), 400, "invalid")
		e.want(e.call("POST", "/api/v1/orgs/"+id+"/archive", tok, map[string]any{"confirm_id": id}), 400, "invalid")
		e.want(e.call("POST", "/api/v1/orgs/"+id+"/archive", tok, map[string]any{"confirm_id": id, "acknowledge": true}), 204, "")
		// Hidden and read-only for members.
		e.want(e.call("GET", "/api/v1/orgs/"+id, tok, nil), 404, "not_found")
		e.want(e.call("PATCH", "/api/v1/orgs/"+id, tok, map[string]string{"name": "again"}), 404, "not_found")
		e.want(e.call("GET", "/api/v1/orgs/"+id+"/audit", tok, nil), 404, "not_found")
		if r := e.call("GET", "/api/v1/orgs", tok, nil); len(r.JSON["items"].([]any)) != 0 {
			t.Fatalf("archived org still listed: %s", r.Body)
		}
		// Only a vendor operator restores it.
		// A user's token is told it is the wrong kind; an unknown token is
		// not authenticated.
		e.want(e.call("POST", "/api/v1/vendor/orgs/"+id+"/restore", tok, nil), 403, "forbidden")
		e.want(e.call("POST", "/api/v1/vendor/orgs/"+id+"/restore", "msv_not-a-token", nil), 401, "unauthenticated")
		_, vtok, err := e.App.Platform.CreateToken(context.Background(), "ops")
		if err != nil {
			t.Fatal(err)
		}
		e.want(e.call("POST", "/api/v1/vendor/orgs/org_nothere/restore", vtok, nil), 404, "not_found")
		if r := e.call("POST", "/api/v1/vendor/orgs/"+id+"/restore", vtok, nil); r.Status != 200 || r.Str("status") != "active" {
			t.Fatalf("restore: %d %s", r.Status, r.Body)
		}
		e.want(e.call("POST", "/api/v1/vendor/orgs/"+id+"/restore", vtok, nil), 409, "conflict")
		if r := e.call("GET", "/api/v1/orgs/"+id, tok, nil); r.Status != 200 || r.Str("name") != "Acme Sécurité" {
			t.Fatalf("after restore: %d %s", r.Status, r.Body)
		}
		// AUD-1: each change is in the log with actor and address.
		r = e.call("GET", "/api/v1/orgs/"+id+"/audit", tok, nil)
		var actions []string
		for _, it := range r.JSON["items"].([]any) {
			m := it.(map[string]any)
			actions = append(actions, m["action"].(string))
			if m["client_addr"] == "" {
				t.Errorf("audit entry without client address: %v", m)
			}
		}
		if got, want := strings.Join(actions, ","), "org.restore,org.archive,org.update,org.create"; got != want {
			t.Fatalf("audit actions %s, want %s", got, want)
		}
		r = e.call("GET", "/api/v1/orgs/"+id+"/audit?format=csv&action=org.", tok, nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || strings.Count(string(r.Body), "\n") != 5 {
			t.Fatalf("CSV export: %d %s %q", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		e.want(e.call("GET", "/api/v1/orgs/"+id+"/audit?format=xml", tok, nil), 400, "invalid")
		e.want(e.call("GET", "/api/v1/orgs/"+id+"/audit?since=yesterday", tok, nil), 400, "invalid")
		e.want(e.call("GET", "/api/v1/orgs/"+id+"/audit?limit=-1", tok, nil), 400, "invalid")
		e.want(e.call("GET", "/api/v1/orgs/"+id+"/audit?cursor=zzz", tok, nil), 400, "invalid")
	})
}

// Bad input gets a 4xx JSON error with a clear message, never a 500.
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tok, _ := e.user("dave@example.com")
		id := e.org(tok, "Dave's")
		long := strings.Repeat("n", 201)
		cases := []struct {
			name, method, path string
			body               any
			status             int
			code               string
			field              string
		}{
			{"ErrMalformedJSON", "POST", "/api/v1/orgs", `{"name": "x"`, 400, "invalid", ""},
			{"ErrNotJSON", "POST", "/api/v1/orgs", `name=x`, 400, "invalid", ""},
			{"ErrEmptyBody", "POST", "/api/v1/orgs", ``, 400, "invalid", ""},
			{"ErrArrayBody", "POST", "/api/v1/orgs", `[]`, 400, "invalid", ""},
			{"ErrTwoObjects", "POST", "/api/v1/orgs", `{"name":"a"}{"name":"b"}`, 400, "invalid", ""},
			{"ErrWrongType", "POST", "/api/v1/orgs", `{"name": 5}`, 400, "invalid", "name"},
			{"ErrUnknownField", "POST", "/api/v1/orgs", `{"name": "x", "owner": "me"}`, 400, "invalid", "owner"},
			{"ErrMissingName", "POST", "/api/v1/orgs", `{}`, 400, "invalid", "name"},
			{"ErrTooLongName", "POST", "/api/v1/orgs", map[string]string{"name": long}, 400, "invalid", "name"},
			{"ErrTooLongRename", "PATCH", "/api/v1/orgs/" + id, map[string]string{"name": long}, 400, "invalid", "name"},
			{"ErrBlankRename", "PATCH", "/api/v1/orgs/" + id, map[string]string{"name": "  "}, 400, "invalid", "name"},
			{"ErrTooLongNotes", "PATCH", "/api/v1/orgs/" + id, map[string]string{"notes": strings.Repeat("n", 4001)}, 400, "invalid", "notes"},
			{"ErrUnknownOrg", "GET", "/api/v1/orgs/org_doesnotexist", nil, 404, "not_found", ""},
			{"ErrUnknownToken", "DELETE", "/api/v1/me/tokens/tok_nope", nil, 404, "not_found", ""},
			{"ErrUnknownRoute", "GET", "/api/v1/nothing", nil, 404, "not_found", ""},
			{"ErrRegisterShortPassword", "POST", "/api/v1/auth/register", map[string]string{"email": "e@example.com", "name": "E", "password": "short"}, 400, "invalid", "password"},
			{"ErrRegisterBadEmail", "POST", "/api/v1/auth/register", map[string]string{"email": "e-at-example", "name": "E", "password": "a long enough passphrase"}, 400, "invalid", "email"},
			{"ErrRegisterLongName", "POST", "/api/v1/auth/register", map[string]string{"email": "e@example.com", "name": long, "password": "a long enough passphrase"}, 400, "invalid", "name"},
			{"ErrTokenLongName", "POST", "/api/v1/me/tokens", map[string]string{"name": long}, 400, "invalid", "name"},
			{"ErrTokenBadExpiry", "POST", "/api/v1/me/tokens", `{"name":"x","expires_at":"soon"}`, 400, "invalid", ""},
			{"ErrHugeBody", "POST", "/api/v1/orgs", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, 400, "invalid", ""},
			// Text PostgreSQL cannot hold (TestBadInput_NULAndInvalidUTF8
			// walks every route with it).
			{"ErrNULOrgID", "GET", "/api/v1/orgs/%00", nil, 400, "invalid", "org"},
			{"ErrNotUTF8OrgID", "GET", "/api/v1/orgs/%FF", nil, 400, "invalid", "org"},
			{"ErrNULQuery", "GET", "/api/v1/orgs/" + id + "/devices?q=%00", nil, 400, "invalid", "q"},
			{"ErrNotUTF8Query", "GET", "/api/v1/orgs/" + id + "/audit?actor=%C3", nil, 400, "invalid", "actor"},
			{"ErrNULNotes", "PATCH", "/api/v1/orgs/" + id, `{"notes": "a\u0000b"}`, 400, "invalid", "notes"},
			{"ErrNullPatch", "PATCH", "/api/v1/orgs/" + id, `null`, 400, "invalid", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.call(c.method, c.path, tok, c.body)
				if r.Status != c.status || r.ErrCode() != c.code || r.ErrMessage() == "" {
					t.Fatalf("got %d %.300s, want %d %s with a message", r.Status, r.Body, c.status, c.code)
				}
				if c.field != "" {
					if f := r.JSON["error"].(map[string]any)["field"]; f != c.field {
						t.Errorf("field %v, want %s", f, c.field)
					}
				}
			})
		}
		t.Run("HeadersNotUTF8", func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.URL+"/api/v1/orgs/"+id, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("User-Agent", "caf\xc3\xff")
			e.want(e.Do(req), 200, "")
			req.Header.Set("Authorization", "Bearer \xff")
			e.want(e.Do(req), 401, "unauthenticated")
		})
		t.Run("ErrNotJSONContentType", func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.URL+"/api/v1/orgs", strings.NewReader(`{"name":"x"}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "text/plain")
			e.want(e.Do(req), 415, "unsupported_media_type")
			req, _ = http.NewRequest("POST", e.URL+"/api/v1/orgs", strings.NewReader(`{"name":"x"}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			e.want(e.Do(req), 415, "unsupported_media_type")
		})
		t.Run("ErrNoToken", func(t *testing.T) {
			e.want(e.call("GET", "/api/v1/me", "", nil), 401, "unauthenticated")
			e.want(e.call("GET", "/api/v1/me", "mss_forged", nil), 401, "unauthenticated")
			e.want(e.call("GET", "/api/v1/me", "garbage", nil), 401, "unauthenticated")
		})
	})
}

// ORG-5, ACC-2: a second organization's owner gets 404 for every path
// under the first organization's id. The walk covers every registered route
// with {org}, so routes added later are covered too.
func TestORG5_CrossOrgRouteWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tokA, _ := e.user("a@example.com")
		tokB, _ := e.user("b@example.com")
		orgA := e.org(tokA, "A")
		e.org(tokB, "B")
		walked := 0
		for _, rt := range e.App.API.Routes() {
			if !strings.Contains(rt.Path, "{org}") || rt.Auth != httpapi.AuthUser {
				continue
			}
			walked++
			path := fillPath(rt.Path, orgA)
			r := e.call(rt.Method, path, tokB, "{}")
			if r.Status != http.StatusNotFound || r.ErrCode() != "not_found" {
				t.Errorf("%s %s as another org's owner: got %d %s, want 404", rt.Method, path, r.Status, r.Body)
			}
			if strings.Contains(string(r.Body), "A") && strings.Contains(string(r.Body), `"name"`) {
				t.Errorf("%s %s leaks data: %s", rt.Method, path, r.Body)
			}
			// And the owner of A reaches the route (it exists, whatever the outcome).
			if r := e.call(rt.Method, path, tokA, "{}"); r.Status == http.StatusNotFound && strings.Contains(r.ErrMessage(), "organization") {
				t.Errorf("%s %s as A's owner: %d %s", rt.Method, path, r.Status, r.Body)
			}
			// An id that is not text (a NUL, bytes that are not UTF-8) is a
			// 400 for anyone, whichever id it is, never a 5xx.
			for _, p := range pathParamsOf(rt.Path) {
				for _, bad := range []string{"%00", "%FF", "x%C3"} {
					bp := fillPath(strings.ReplaceAll(rt.Path, "{"+p+"}", bad), orgA)
					for who, tok := range map[string]string{"A": tokA, "B": tokB} {
						if r := e.call(rt.Method, bp, tok, "{}"); r.Status != http.StatusBadRequest || r.ErrCode() != "invalid" {
							t.Errorf("%s %s as %s's owner: got %d %s, want 400", rt.Method, bp, who, r.Status, r.Body)
						}
					}
				}
			}
		}
		if walked < 4 {
			t.Fatalf("walked only %d org routes", walked)
		}
		// Still intact for A.
		if r := e.call("GET", "/api/v1/orgs/"+orgA, tokA, nil); r.Status != 200 || r.Str("name") != "A" {
			t.Fatalf("A after the walk: %d %s", r.Status, r.Body)
		}
	})
}

func fillPath(p, org string) string {
	p = strings.ReplaceAll(p, "{org}", org)
	return paramRe.ReplaceAllString(p, "x_unknown")
}

// Every documented route is served and every served route documented; the
// document is valid OpenAPI 3 (checked when the env loads it).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	doc := e.openAPI()
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, rt := range e.App.API.Routes() {
		served[rt.Method+" "+rt.Path] = true
		if !documented[rt.Method+" "+rt.Path] {
			t.Errorf("served but not documented: %s %s", rt.Method, rt.Path)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("documented but not served: %s", k)
		}
		method, path, _ := strings.Cut(k, " ")
		// The route answers with something other than the catch-all.
		r := e.call(method, fillPath(path, "org_x"), "", nil)
		if strings.Contains(r.ErrMessage(), "no API endpoint") {
			t.Errorf("%s is documented but the server has no such endpoint", k)
		}
	}
	if len(documented) < 14 {
		t.Fatalf("only %d operations documented", len(documented))
	}
}

// SPEC §11: per-credential rate limit answers 429 with Retry-After.
func TestAPIRateLimit(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), func(c *app.Config) { c.RateLimit, c.Burst = 1, 3 })
	tok, _ := e.user("rl@example.com")
	var last resp
	for i := 0; i < 5; i++ {
		last = e.call("GET", "/api/v1/me", tok, nil)
	}
	e.want(last, 429, "rate_limited")
	if last.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestOperationalEndpoints(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := e.call("GET", p, "", nil); r.Status != 200 {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	e.call("GET", "/api/v1/me", "", nil)
	m := string(e.get("/metrics"))
	if !strings.Contains(m, `mysystems_http_requests_total{method="GET",route="GET /api/v1/me",status="401"}`) {
		t.Errorf("metrics lack the request counter:\n%.2000s", m)
	}
	r := e.call("GET", "/api/v1/me", "", nil)
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
}
