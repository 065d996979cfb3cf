package httpapi_test

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"mysystems/internal/httpapi"
	"mysystems/internal/store/storetest"
)

// SPEC §11: every served route is in the OpenAPI document with the error
// answers its shape implies — 400, 429 and 500 everywhere, 401 with a
// credential, 403 for a vendor operator's routes and under an
// organization, 404 with path values, 408 with a body, 415 with a JSON
// body — each the JSON error
// body, and no catch-all "default"; every parameter is typed, a page size
// an integer with its bounds, and the device list's sort keys are the ones
// the server takes.
func TestOpenAPIDocumentsErrors(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	doc := e.openAPI()
	if len(doc.Servers) == 0 || doc.Servers[0].URL == "" {
		t.Error("the document names no server")
	}
	for _, rt := range e.App.API.Routes() {
		name := rt.Method + " " + rt.Path
		item := doc.Paths.Find(rt.Path)
		if item == nil || item.GetOperation(rt.Method) == nil {
			t.Errorf("%s is not in the document", name)
			continue
		}
		op := item.GetOperation(rt.Method)
		want := map[int]bool{400: true, 429: true, 500: true}
		if rt.Auth != httpapi.AuthNone {
			want[401] = true
		}
		if rt.Auth == httpapi.AuthVendor || rt.Auth == httpapi.AuthUser && strings.Contains(rt.Path, "{org}") {
			want[403] = true
		}
		if strings.Contains(rt.Path, "{") {
			want[404] = true
		}
		if rt.Request != nil || rt.RawBody != "" || len(rt.Form) > 0 {
			want[408] = true
		}
		if rt.Request != nil {
			want[415] = true
		}
		if op.Responses.Default() != nil {
			t.Errorf("%s: errors documented as a catch-all default", name)
		}
		for st := range want {
			r := op.Responses.Status(st)
			if r == nil || r.Value == nil {
				t.Errorf("%s: no %d answer documented", name, st)
				continue
			}
			mt := r.Value.Content.Get("application/json")
			if mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/ErrorBody" {
				t.Errorf("%s: the %d answer is not the JSON error body", name, st)
			}
			if st == http.StatusTooManyRequests && r.Value.Headers["Retry-After"] == nil {
				t.Errorf("%s: 429 without Retry-After", name)
			}
		}
		for code := range op.Responses.Map() {
			st, err := strconv.Atoi(code)
			if err != nil || st >= 400 && op.Responses.Status(st).Value.Content.Get("application/json") == nil {
				t.Errorf("%s: answer %q is not a status with the JSON error body", name, code)
			}
		}
		for _, p := range op.Parameters {
			s := p.Value.Schema
			if s == nil || s.Value == nil || s.Value.Type == nil || len(*s.Value.Type) == 0 {
				t.Errorf("%s: parameter %s has no type", name, p.Value.Name)
				continue
			}
			if p.Value.Name == "limit" && (!s.Value.Type.Is("integer") || s.Value.Min == nil || *s.Value.Min != 1 || s.Value.Max == nil) {
				t.Errorf("%s: limit is not an integer from 1 to a maximum", name)
			}
		}
	}
	owner := e.User("sorter@example.com").Token
	org := e.org(owner, "Sorted")
	sorts := doc.Paths.Find("/api/v1/orgs/{org}/devices").Get.Parameters.GetByInAndName("query", "sort").Schema.Value.Enum
	if len(sorts) == 0 {
		t.Fatal("the device list's sort is not an enumeration")
	}
	for _, v := range sorts {
		if r := e.call("GET", "/api/v1/orgs/"+org+"/devices?sort="+v.(string), owner, nil); r.Status != 200 {
			t.Errorf("sort=%s is documented but answered %d %s", v, r.Status, r.Body)
		}
	}
	e.want(e.call("GET", "/api/v1/orgs/"+org+"/devices?sort=bogus", owner, nil), 400, "invalid")
}

// TestOpenAPIDocumentWrite writes the served document to the file named by
// MYSYSTEMS_OPENAPI_OUT, for scripts/test.sh to lint; without it, it skips.
func TestOpenAPIDocumentWrite(t *testing.T) {
	out := os.Getenv("MYSYSTEMS_OPENAPI_OUT")
	if out == "" {
		t.Skip("MYSYSTEMS_OPENAPI_OUT not set")
	}
	e := newEnv(t, storetest.SQLite(t))
	e.openAPI() // a valid OpenAPI 3 document
	if err := os.WriteFile(out, e.get("/api/v1/openapi.json"), 0o644); err != nil {
		t.Fatal(err)
	}
}
