package edge

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"mysystems/internal/errs"
)

func wantField(t *testing.T, what string, err error, code errs.Code, field string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Code != code || e.Field != field || e.Key == "" {
		t.Errorf("%s: got %v (field %q), want %s on field %q", what, err, fieldOf(err), code, field)
	}
}

func fieldOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Field
	}
	return ""
}

func TestBadInput_Wildcards(t *testing.T) {
	for p, want := range map[string][]string{
		"GET /api/v1/orgs/{org}/devices/{id}": {"org", "id"},
		"GET /{$}":                            nil,
		"/device/":                            nil,
		"GET /static/{path...}":               {"path"},
		"":                                    nil,
		"POST /orgs/{org}/devices/{id}/accounts/{username}/x": {"org", "id", "username"},
	} {
		if got := wildcards(p); !slices.Equal(got, want) {
			t.Errorf("wildcards(%q) = %q, want %q", p, got, want)
		}
	}
}

// A path value, the rest of the path or a query parameter that is not
// text is refused naming it; headers are cleaned, not refused.
func TestBadInput_CheckRequest(t *testing.T) {
	serve := func(pattern, target string, h http.Header) (*http.Request, error) {
		var got error
		var seen *http.Request
		mux := http.NewServeMux()
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { got, seen = CheckRequest(r), r })
		r := httptest.NewRequest("GET", target, nil)
		for k, vs := range h {
			r.Header[k] = vs
		}
		mux.ServeHTTP(httptest.NewRecorder(), r)
		if seen == nil {
			t.Fatalf("%s did not reach %s", target, pattern)
		}
		return seen, got
	}
	for target, field := range map[string]string{
		"/orgs/%00/devices/x":      "org",
		"/orgs/%FF/devices/x":      "org",
		"/orgs/org_1/devices/a%00": "id",
		"/orgs/org_1/devices/%C3":  "id",
	} {
		_, err := serve("GET /orgs/{org}/devices/{id}", target, nil)
		wantField(t, target, err, errs.Invalid, field)
	}
	_, err := serve("GET /files/", "/files/a%00b", nil)
	wantField(t, "the rest of the path", err, errs.Invalid, "path")
	for target, field := range map[string]string{
		"/list?q=%00":             "q",
		"/list?model=M%FF&q=fine": "model",
		"/list?a%00=x":            "a\uFFFD",
	} {
		_, err := serve("GET /list", target, nil)
		wantField(t, target, err, errs.Invalid, field)
	}
	if _, err := serve("GET /orgs/{org}/devices/{id}", "/orgs/org_1/devices/dev_%C3%A9?q=S%C3%A9curit%C3%A9", nil); err != nil {
		t.Errorf("valid text refused: %v", err)
	}
	r, err := serve("GET /list", "/list", http.Header{"User-Agent": {"Mozilla/5.0 caf\xc3"}, "X-Other": {"ok", "b\xffad"}})
	if err != nil || r.UserAgent() != "Mozilla/5.0 caf\uFFFD" || r.Header["X-Other"][1] != "b\uFFFDad" {
		t.Errorf("headers: %v %q %q", err, r.UserAgent(), r.Header["X-Other"])
	}
}

func TestBadInput_CheckForm(t *testing.T) {
	wantField(t, "value", CheckForm(url.Values{"name": {"ok"}, "notes": {"a\x00"}}), errs.Invalid, "notes")
	wantField(t, "second value", CheckForm(url.Values{"user": {"usr_1", "usr_\xff"}}), errs.Invalid, "user")
	if err := CheckForm(url.Values{"name": {"Sécurité"}}); err != nil {
		t.Error(err)
	}
}

func TestBadInput_CheckJSONType(t *testing.T) {
	for ct, want := range map[string]errs.Code{
		"application/json": "", "application/json; charset=utf-8": "", "Application/JSON": "",
		"": errs.UnsupportedMedia, "text/plain": errs.UnsupportedMedia, "application/x-www-form-urlencoded": errs.UnsupportedMedia,
		"application/json-seq": errs.UnsupportedMedia, "garbage;;": errs.UnsupportedMedia,
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		err := CheckJSONType(r)
		if errs.CodeOf(err) != want || (err != nil && Status(err) != http.StatusUnsupportedMediaType) {
			t.Errorf("Content-Type %q: got %v, want %q", ct, err, want)
		}
	}
}

func TestBadInput_CheckJSON(t *testing.T) {
	type body struct {
		Name string `json:"name"`
	}
	var dst body
	for raw, field := range map[string]string{
		`{"name": "a\u0000b"}`:                              "name",
		`{"user_ids": ["usr_1", "usr_\u0000"]}`:             "user_ids[1]",
		`{"a": {"b": [1, {"c": "\u0000"}]}}`:                "a.b[1].c",
		`{"a": [[], ["x", "y", "\u0000"]]}`:                 "a[1][2]",
		`{"x": 1, "k\u0000": 2}`:                            "k\uFFFD",
		`{"a": {"b": 1}, "c": [true, null], "d": "\u0000"}`: "d",
	} {
		wantField(t, raw, CheckJSON([]byte(raw), &dst), errs.Invalid, field)
	}
	for raw, ok := range map[string]bool{
		`{"name": "fine \\u0000 as six characters"}`: true,
		`{"name": "Sécurité"}`:                       true,
		``:                                           true, // the decoder says it is empty
		`{"name": `:                                  true, // the decoder says it is truncated
		`nul`:                                        true, // the decoder says it is not JSON
		`null`:                                       false,
		` null `:                                     false,
		`[]`:                                         false,
		`"x"`:                                        false,
		`5`:                                          false,
		`true`:                                       false,
	} {
		err := CheckJSON([]byte(raw), &dst)
		if (err == nil) != ok || (err != nil && errs.CodeOf(err) != errs.Invalid) {
			t.Errorf("%s: got %v, want ok %v", raw, err, ok)
		}
	}
	if err := CheckJSON([]byte(`null`), new([]string)); err != nil {
		t.Errorf("a body for a list is not an object: %v", err)
	}
	wantField(t, "the document", CheckJSON([]byte(`"\u0000"`), new(string)), errs.Invalid, "body")
}
