package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"mysystems/internal/harness"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// serverOn is server over the database db.
func serverOn(t *testing.T, db *store.DB) *harness.Server {
	t.Helper()
	return harness.New(t, db, harness.WallClock())
}

// muxPatterns reads the patterns the web package mounts (web.go's
// Register), so pages added later are walked too.
func muxPatterns(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("web.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`mux\.Handle\("((?:GET|POST) /[^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		if m[1] != "GET /static/" {
			out = append(out, m[1])
		}
	}
	if len(out) < 60 {
		t.Fatalf("read only %d patterns from web.go", len(out))
	}
	return out
}

var wildcard = regexp.MustCompile(`\{[a-z_]+\}`)

// fill makes a path of a pattern: {org} is org, any other wildcard an
// unknown id.
func fill(pattern, org string) string {
	p := strings.ReplaceAll(pattern, "{org}", org)
	return strings.ReplaceAll(wildcard.ReplaceAllString(p, "x_unknown"), "{$}", "")
}

// TestBadInput_WebNULAndInvalidUTF8 walks every page of the web UI as a
// signed-in owner with text a database cannot hold (a NUL character, bytes
// that are not UTF-8) in each id of the path, in a query parameter and in
// a field of a form (URL-encoded and multipart): each is a 400 page in the
// page's language, on SQLite as on PostgreSQL, never a 5xx.
func TestBadInput_WebNULAndInvalidUTF8(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := serverOn(t, db).HTTP
		owner, org, _ := ownOrg(t, srv, "nul@example.com", "Nul")
		want400 := func(what string, r response) {
			t.Helper()
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, "not valid text") {
				t.Errorf("%s: got %d, want 400 saying the text is not valid; body:\n%.500s", what, r.status, r.body)
			}
		}
		send := func(method, path string, form url.Values) response {
			if method == "GET" {
				return owner.get(path)
			}
			return owner.post(path, form)
		}
		walked := 0
		for _, pattern := range muxPatterns(t) {
			method, path, _ := strings.Cut(pattern, " ")
			for _, w := range wildcard.FindAllString(path, -1) {
				for _, bad := range []string{"%00", "a%00b", "%FF", "x%C3"} {
					p := fill(strings.ReplaceAll(path, w, bad), org)
					want400(method+" "+p, send(method, p, nil))
					walked++
				}
			}
			p := fill(path, org)
			for _, bad := range []string{"%00", "%FF"} {
				want400(method+" "+p+" query", send(method, p+"?q="+bad, nil))
			}
			if method == "POST" {
				for _, bad := range []string{"a\x00b", "caf\xc3"} {
					want400(method+" "+p+" form", send(method, p, url.Values{"name": {bad}}))
				}
			}
		}
		if walked < 150 {
			t.Fatalf("walked only %d ids", walked)
		}
		// A multipart form (the import page, whose file may come with text
		// fields) goes through the same check.
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		_ = mw.WriteField("csrf", owner.cookie("mysystems_csrf"))
		_ = mw.WriteField("csv", "ACCC8E000001,OAK\x00")
		_ = mw.Close()
		want400("multipart import", owner.do("POST", "/orgs/"+org+"/devices/import", &b, mw.FormDataContentType()))
		// The organization is unchanged, and the error page speaks French
		// to a French reader.
		wantBody(t, "settings", owner.get("/orgs/"+org+"/settings"), "Nul")
		owner.header.Set("Accept-Language", "fr")
		r := owner.get("/orgs/%00/settings")
		wantStatus(t, "French", r, http.StatusBadRequest)
		wantBody(t, "French", r, "n&#39;est pas un texte valide")
	})
}

// ID-2: a browser whose User-Agent is longer than what a session keeps,
// with a character across the cut, or not UTF-8, signs in through the
// form (it once failed with 500 on PostgreSQL).
func TestID2_WebSignInWithALongOrOddUserAgent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := serverOn(t, db).HTTP
		register(t, srv, "ua@example.com")
		for name, ua := range map[string]string{
			"two-byte character across the cut":  strings.Repeat("a", 299) + strings.Repeat("é", 20),
			"four-byte character across the cut": strings.Repeat("a", 297) + strings.Repeat("👍", 20),
			"not UTF-8":                          "Mozilla/5.0 (X11; caf\xc3) \xff",
		} {
			c := newClient(t, srv)
			c.header.Set("User-Agent", ua)
			c.get("/login")
			r := c.post("/login", url.Values{"email": {"ua@example.com"}, "password": {password}})
			wantRedirect(t, name, r, "/")
			wantStatus(t, name+": home", c.get("/"), http.StatusOK)
		}
	})
}
