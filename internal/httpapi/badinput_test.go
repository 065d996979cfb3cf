package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"mysystems/internal/harness"
	"mysystems/internal/httpapi"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// badText is what PostgreSQL cannot hold in a text column, as it appears
// in a URL: a NUL character, bytes that are not UTF-8, a character cut in
// two.
var badText = []string{"%00", "a%00b", "%FF", "x%C3", "%ED%A0%80"}

// tokenFor is the credential a route takes: the vendor's platform token or
// the person's session.
func tokenFor(rt httpapi.Route, user, vendor string) string {
	if rt.Auth == httpapi.AuthVendor {
		return vendor
	}
	return user
}

func wantBadField(t *testing.T, what string, r harness.Resp, status int, code, field string) {
	t.Helper()
	if r.Status != status || r.ErrCode() != code || r.ErrMessage() == "" {
		t.Errorf("%s: got %d %.300s, want %d %s with a message", what, r.Status, r.Body, status, code)
		return
	}
	if field != "" {
		if f, _ := r.JSON["error"].(map[string]any)["field"].(string); f != field {
			t.Errorf("%s: field %q, want %q", what, f, field)
		}
	}
}

// TestBadInput_NULAndInvalidUTF8 walks every route of the API (so routes
// added later are walked too) with text a database cannot hold in each
// path value, each documented query parameter and each string of its JSON
// body (nested and in arrays): every one is a 400 naming the field, on
// SQLite as on PostgreSQL, never a 5xx (the harness fails any 5xx).
func TestBadInput_NULAndInvalidUTF8(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tok, _ := e.user("nul@example.com")
		org := e.org(tok, "Nul")
		_, vtok, err := e.App.Platform.CreateToken(context.Background(), "ops")
		if err != nil {
			t.Fatal(err)
		}
		walked := map[string]int{}
		for _, rt := range e.App.API.Routes() {
			token := tokenFor(rt, tok, vtok)
			var body any
			if rt.Request != nil {
				body = "{}"
			}
			// Path values: the organization and every id.
			for _, param := range pathParamsOf(rt.Path) {
				for _, bad := range badText {
					path := strings.ReplaceAll(rt.Path, "{"+param+"}", bad)
					path = fillPath(path, org)
					wantBadField(t, rt.Method+" "+path, e.call(rt.Method, path, token, body), 400, "invalid", param)
					walked["path"]++
				}
			}
			// Query parameters, documented or not.
			base := fillPath(rt.Path, org)
			for _, q := range append(rt.Query, httpapi.Param{Name: "other"}) {
				for _, bad := range badText {
					path := base + "?" + q.Name + "=" + bad
					wantBadField(t, rt.Method+" "+path, e.call(rt.Method, path, token, body), 400, "invalid", q.Name)
					walked["query"]++
				}
			}
			// Every string of the JSON body, wherever it sits.
			if rt.Request == nil {
				continue
			}
			for _, s := range stringsOf(reflect.TypeOf(rt.Request), "") {
				raw := s.body(`"a\u0000b"`)
				wantBadField(t, rt.Method+" "+base+" "+raw, e.call(rt.Method, base, token, raw), 400, "invalid", s.field)
				walked["json"]++
			}
		}
		if walked["path"] < 300 || walked["query"] < 500 || walked["json"] < 50 {
			t.Fatalf("walked too little: %v", walked)
		}

		// The cases first reported: a NUL in an organization's notes and
		// in the user ids of a bulk removal; an unknown id is still 404.
		wantBadField(t, "notes", e.call("PATCH", "/api/v1/orgs/"+org, tok, `{"notes": "HQ\u0000"}`), 400, "invalid", "notes")
		wantBadField(t, "user_ids", e.call("POST", "/api/v1/orgs/"+org+"/members/remove", tok, `{"user_ids": ["usr_x", "usr_\u0000"]}`), 400, "invalid", "user_ids[1]")
		wantBadField(t, "unknown id", e.call("GET", "/api/v1/orgs/org_nothere", tok, nil), 404, "not_found", "")
		// Bytes that are not UTF-8 inside a JSON string are read as U+FFFD:
		// stored as text, on both databases.
		r := e.call("PATCH", "/api/v1/orgs/"+org, tok, "{\"notes\": \"caf\xc3 \xff\"}")
		if r.Status != 200 || r.Str("notes") != "caf\uFFFD \uFFFD" {
			t.Errorf("notes not UTF-8: %d %s", r.Status, r.Body)
		}
		// In French too.
		r = e.CallIn("GET", "/api/v1/orgs/"+org+"/devices?q=%00", tok, "fr", nil)
		if !strings.Contains(r.ErrMessage(), "n'est pas un texte valide") {
			t.Errorf("French: %s", r.Body)
		}

		// A CSV import is read as text too: its serials must match their
		// pattern, its OAKs are only compared and its folders only looked
		// up, so odd bytes in any cell are a refusal, never a 5xx.
		for _, csv := range []string{"ACCC8E000001,OAK\x00,Lobby\n", "ACCC8E00\x00001,OAK\n", "ACCC8E000001,OAK,Lob\xffby\n", "\xff\xfe,\x00\n"} {
			req := jsonRequest(t, e, "POST", "/api/v1/orgs/"+org+"/devices/import", csv)
			req.Header.Set("Content-Type", "text/csv")
			req.Header.Set("Authorization", "Bearer "+tok)
			if r := e.Do(req); r.Status/100 != 4 || r.ErrMessage() == "" {
				t.Errorf("import %q: %d %s", csv, r.Status, r.Body)
			}
		}

		// Headers: cleaned, not refused. A User-Agent that is not UTF-8
		// signs in; an Authorization that is not UTF-8 is unknown.
		req := jsonRequest(t, e, "POST", "/api/v1/auth/login", `{"email":"nul@example.com","password":"a long enough passphrase"}`)
		req.Header.Set("User-Agent", "Browser/1.0 (caf\xc3\xff)")
		req.Header.Set("Accept-Language", "fr\xff")
		if r := e.Do(req); r.Status != 200 || r.Str("token") == "" {
			t.Errorf("login with a User-Agent that is not UTF-8: %d %s", r.Status, r.Body)
		}
		req, _ = http.NewRequest("GET", e.URL+"/api/v1/orgs/"+org, nil)
		req.Header.Set("Authorization", "Bearer mss_\xff\xfe")
		e.Want(e.Do(req), 401, "unauthenticated")
		req, _ = http.NewRequest("GET", e.URL+"/api/v1/orgs/"+org, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("User-Agent", "\xff")
		req.Header.Set("Accept-Language", "\xc3")
		e.Want(e.Do(req), 200, "")
	})
}

// ID-2: a browser's User-Agent longer than what a session keeps, with a
// character across the cut, or not UTF-8 at all, still signs in (it once
// failed with 500 on PostgreSQL).
func TestID2_SignInWithALongOrOddUserAgent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user("ua@example.com")
		for name, ua := range map[string]string{
			"two-byte character across the cut":   strings.Repeat("a", 299) + strings.Repeat("é", 20),
			"three-byte character across the cut": strings.Repeat("a", 298) + strings.Repeat("✓", 20),
			"not UTF-8":                           "Mozilla/5.0 \xff\xfe" + strings.Repeat("\xc3", 400),
		} {
			req := jsonRequest(t, e, "POST", "/api/v1/auth/login", `{"email":"ua@example.com","password":"a long enough passphrase"}`)
			req.Header.Set("User-Agent", ua)
			r := e.Do(req)
			if r.Status != 200 || r.Str("token") == "" {
				t.Fatalf("%s: %d %s", name, r.Status, r.Body)
			}
			e.Want(e.call("GET", "/api/v1/me", r.Str("token"), nil), 200, "")
		}
	})
}

// A JSON body must be sent as JSON and be an object: null on a PATCH is a
// 400, not a silent success; a body sent as text/plain, as a form or
// without Content-Type is a 415. An empty body stays a 400 (the body of a
// server's upgrade is optional).
func TestBadInput_JSONBodyTypeAndShape(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tok, _ := e.user("shape@example.com")
		org := e.org(tok, "Shape")
		for _, raw := range []string{`null`, ` null`, `[]`, `"name"`, `5`, `true`} {
			wantBadField(t, "PATCH "+raw, e.call("PATCH", "/api/v1/orgs/"+org, tok, raw), 400, "invalid", "")
			wantBadField(t, "POST "+raw, e.call("POST", "/api/v1/orgs", tok, raw), 400, "invalid", "")
		}
		if r := e.call("PATCH", "/api/v1/orgs/"+org, tok, `null`); !strings.Contains(r.ErrMessage(), "not null") {
			t.Errorf("null: the message should say what was sent: %s", r.ErrMessage())
		}
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "text/json"} {
			req := jsonRequest(t, e, "PATCH", "/api/v1/orgs/"+org, `{"name":"Renamed"}`)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", ct)
			if ct == "" {
				req.Header.Del("Content-Type")
			}
			r := e.Do(req)
			wantBadField(t, "Content-Type "+ct, r, 415, "unsupported_media_type", "")
		}
		r := e.call("GET", "/api/v1/orgs/"+org, tok, nil)
		if r.Str("name") != "Shape" {
			t.Errorf("a refused body changed the organization: %s", r.Body)
		}
		req := jsonRequest(t, e, "PATCH", "/api/v1/orgs/"+org, `{"name":"Renamed"}`)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		e.Want(e.Do(req), 200, "")
		// Empty: still a 400, with or without a Content-Type.
		req, _ = http.NewRequest("POST", e.URL+"/api/v1/orgs", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		wantBadField(t, "empty body", e.Do(req), 400, "invalid", "")
		r = e.CallIn("PATCH", "/api/v1/orgs/"+org, tok, "fr", `null`)
		if !strings.Contains(r.ErrMessage(), "doit être un objet JSON") {
			t.Errorf("French: %s", r.Body)
		}
	})
}

func jsonRequest(t *testing.T, e *env, method, path, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

func pathParamsOf(p string) []string {
	var out []string
	for _, m := range paramRe.FindAllString(p, -1) {
		out = append(out, strings.Trim(m, "{}"))
	}
	return out
}

// stringField is one string of a request body: its field as an error
// names it, and how to make a body holding a value there.
type stringField struct {
	field string
	body  func(value string) string
}

// stringsOf lists the strings of a JSON body type: its string fields and
// those of its nested objects, and the first item of its lists of strings.
func stringsOf(t reflect.Type, prefix string) []stringField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []stringField
	switch t.Kind() {
	case reflect.String:
		return []stringField{{prefix, func(v string) string { return v }}}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil
		}
		for _, s := range stringsOf(t.Elem(), prefix+"[0]") {
			out = append(out, stringField{s.field, func(v string) string { return "[" + s.body(v) + "]" }})
		}
	case reflect.Map:
		for _, s := range stringsOf(t.Elem(), join(prefix, "k")) {
			out = append(out, stringField{s.field, func(v string) string { return `{"k":` + s.body(v) + `}` }})
		}
	case reflect.Struct:
		if t.PkgPath() == "time" {
			return nil
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" && f.Anonymous {
				out = append(out, stringsOf(f.Type, prefix)...) // its fields are the body's own
				continue
			}
			if name == "" {
				name = f.Name
			}
			for _, s := range stringsOf(f.Type, join(prefix, name)) {
				key, _ := json.Marshal(name)
				out = append(out, stringField{s.field, func(v string) string { return "{" + string(key) + ":" + s.body(v) + "}" }})
			}
		}
	}
	return out
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}
