package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/clock"
	"mysystems/internal/harness"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// server starts the whole server (API and UI) over a fresh SQLite database,
// exactly as cmd/mysystems assembles it (internal/harness), on the wall
// clock.
func server(t *testing.T) (*httptest.Server, *harness.Server) {
	t.Helper()
	a := harness.New(t, nil, harness.WallClock())
	return a.HTTP, a
}

// serverAt is server with a fake clock.
func serverAt(t *testing.T, clk *clock.Fake) (*httptest.Server, *harness.Server) {
	t.Helper()
	a := harness.New(t, nil, harness.SharedClock(clk))
	return a.HTTP, a
}

// client is a cookie-keeping HTTP client that does not follow redirects,
// so tests see each 303.
type client struct {
	t    *testing.T
	srv  *httptest.Server
	http *http.Client
	// header is added to every request.
	header http.Header
}

func newClient(t *testing.T, srv *httptest.Server) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, srv: srv, header: http.Header{}, http: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (r response) location() string { return r.header.Get("Location") }

func (c *client) do(method, path string, body io.Reader, contentType string) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *client) get(path string) response { return c.do("GET", path, nil, "") }

// cookie returns the value of a cookie the client holds.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// post sends a form with the CSRF token of the client's cookie, unless the
// form already has a "csrf" entry.
func (c *client) post(path string, form url.Values) response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		if c.cookie("mysystems_csrf") == "" {
			c.get("/login") // any page hands out the CSRF cookie
		}
		form.Set("csrf", c.cookie("mysystems_csrf"))
	}
	return c.do("POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

func wantStatus(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: got status %d, want %d; body:\n%s", what, r.status, want, r.body)
	}
}

func wantRedirect(t *testing.T, what string, r response, want string) {
	t.Helper()
	if r.status != http.StatusSeeOther || r.location() != want {
		t.Fatalf("%s: got %d to %q, want 303 to %q; body:\n%s", what, r.status, r.location(), want, r.body)
	}
}

func wantBody(t *testing.T, what string, r response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.body, s) {
			t.Fatalf("%s: body lacks %q; body:\n%s", what, s, r.body)
		}
	}
}

func wantNoBody(t *testing.T, what string, r response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(r.body, s) {
			t.Fatalf("%s: body has %q; body:\n%s", what, s, r.body)
		}
	}
}

const password = "correct horse battery staple"

// register creates an account through the form; the client is then
// signed in.
func register(t *testing.T, srv *httptest.Server, email string) *client {
	t.Helper()
	c := newClient(t, srv)
	c.get("/register")
	r := c.post("/register", url.Values{"email": {email}, "name": {"Person " + email}, "password": {password}})
	wantRedirect(t, "register", r, "/")
	if c.cookie("mysystems_session") == "" {
		t.Fatal("register: no session cookie")
	}
	return c
}

var orgPath = regexp.MustCompile(`^/orgs/(org_[a-z0-9]+)/settings$`)

// createOrg creates an organization through the form and returns its id.
func createOrg(t *testing.T, c *client, name string) string {
	t.Helper()
	r := c.post("/orgs/new", url.Values{"name": {name}, "notes": {"some notes"}})
	m := orgPath.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create org: got %d to %q, want 303 to the settings", r.status, r.location())
	}
	return m[1]
}

// ownOrg registers email, who then creates the organization name through
// the form; it returns their client, the organization's id and its root
// folder.
func ownOrg(t *testing.T, srv *httptest.Server, email, name string) (owner *client, id, root string) {
	t.Helper()
	owner = register(t, srv, email)
	id = createOrg(t, owner, name)
	return owner, id, rootOf(t, owner, id)
}

func TestCSRF(t *testing.T) {
	srv, _ := server(t)

	t.Run("ErrNoToken", func(t *testing.T) {
		c := newClient(t, srv)
		c.get("/login")
		r := c.post("/login", url.Values{"csrf": nil, "email": {"a@example.com"}, "password": {password}})
		wantStatus(t, "login without token", r, http.StatusForbidden)
		wantBody(t, "login without token", r, "Form expired")
	})
	t.Run("ErrWrongToken", func(t *testing.T) {
		c := newClient(t, srv)
		c.get("/login")
		r := c.post("/login", url.Values{"csrf": {strings.Repeat("A", 43)}, "email": {"a@example.com"}, "password": {password}})
		wantStatus(t, "login with a wrong token", r, http.StatusForbidden)
	})
	t.Run("ErrNoCookie", func(t *testing.T) {
		c := newClient(t, srv)
		r := c.post("/register", url.Values{"csrf": {strings.Repeat("A", 43)}, "email": {"b@example.com"},
			"name": {"B"}, "password": {password}})
		wantStatus(t, "register without a cookie", r, http.StatusForbidden)
		// The refusal hands out a fresh token: the form then works.
		r = c.post("/register", url.Values{"email": {"b@example.com"}, "name": {"B"}, "password": {password}})
		wantRedirect(t, "register after reload", r, "/")
	})
	t.Run("ErrSignedIn", func(t *testing.T) {
		c := register(t, srv, "csrf@example.com")
		r := c.post("/orgs/new", url.Values{"csrf": {""}, "name": {"Forged"}})
		wantStatus(t, "create org without token", r, http.StatusForbidden)
		home := c.get("/")
		wantNoBody(t, "home after forged post", home, "Forged")
		r = c.post("/logout", url.Values{"csrf": {"x"}})
		wantStatus(t, "logout without token", r, http.StatusForbidden)
		wantStatus(t, "still signed in", c.get("/"), http.StatusOK)
	})
	t.Run("OK", func(t *testing.T) {
		c := register(t, srv, "ok@example.com")
		createOrg(t, c, "Real")
	})
}

func TestCrossOriginRefused(t *testing.T) {
	srv, _ := server(t)
	c := register(t, srv, "xo@example.com")
	c.header.Set("Sec-Fetch-Site", "cross-site")
	r := c.post("/orgs/new", url.Values{"name": {"Cross"}})
	wantStatus(t, "cross-site post", r, http.StatusForbidden)
}

func TestRedirectToLogin(t *testing.T) {
	srv, _ := server(t)
	c := newClient(t, srv)
	for path, want := range map[string]string{
		"/":                            "/login",
		"/orgs/new":                    "/login?next=%2Forgs%2Fnew",
		"/orgs/org_x/settings":         "/login?next=%2Forgs%2Forg_x%2Fsettings",
		"/account/tokens":              "/login?next=%2Faccount%2Ftokens",
		"/orgs/org_x/audit?a=b":        "/login?next=%2Forgs%2Forg_x%2Faudit%3Fa%3Db",
		"/orgs/org_x/audit/export.csv": "/login?next=%2Forgs%2Forg_x%2Faudit%2Fexport.csv",
	} {
		wantRedirect(t, "GET "+path, c.get(path), want)
	}
	// A forged or expired session cookie is the same as none.
	u, _ := url.Parse(srv.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "mysystems_session", Value: account.SessionPrefix + "forged"}})
	wantRedirect(t, "GET / with a forged session", c.get("/"), "/login")

	register(t, srv, "next@example.com")
	for next, want := range map[string]string{
		"/orgs/new":             "/orgs/new",
		"//evil.example/x":      "/",
		"https://evil.example/": "/",
		"/\\evil.example":       "/",
		"":                      "/",
		"javascript:alert(1)":   "/",
	} {
		c := newClient(t, srv)
		c.get("/login")
		r := c.post("/login", url.Values{"email": {"next@example.com"}, "password": {password}, "next": {next}})
		wantRedirect(t, "login with next="+next, r, want)
	}
}

func TestLogin(t *testing.T) {
	srv, _ := server(t)
	register(t, srv, "login@example.com")

	t.Run("ErrWrongPassword", func(t *testing.T) {
		c := newClient(t, srv)
		c.get("/login")
		r := c.post("/login", url.Values{"email": {"login@example.com"}, "password": {"wrong password!!"}})
		wantStatus(t, "wrong password", r, http.StatusUnauthorized)
		wantBody(t, "wrong password", r, "wrong e-mail or password", `value="login@example.com"`)
		r = c.post("/login", url.Values{"email": {"nobody@example.com"}, "password": {"wrong password!!"}})
		wantStatus(t, "unknown e-mail", r, http.StatusUnauthorized)
		wantBody(t, "unknown e-mail", r, "wrong e-mail or password")
	})
	t.Run("OK", func(t *testing.T) {
		c := newClient(t, srv)
		c.get("/login")
		r := c.post("/login", url.Values{"email": {"LOGIN@example.com"}, "password": {password}})
		wantRedirect(t, "login", r, "/")
		var session *http.Cookie
		for _, ck := range (&http.Response{Header: r.header}).Cookies() {
			if ck.Name == "mysystems_session" {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" ||
			session.Expires.IsZero() {
			t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, with an expiry", session)
		}
		wantStatus(t, "home", c.get("/"), http.StatusOK)
		wantRedirect(t, "login page when signed in", c.get("/login"), "/")

		r = c.post("/logout", nil)
		wantRedirect(t, "logout", r, "/login")
		wantBody(t, "after logout", c.get("/login"), "You are signed out.")
		wantRedirect(t, "home after logout", c.get("/"), "/login")

		// The old secret is dead on the server, not only forgotten by the browser.
		old := newClient(t, srv)
		u, _ := url.Parse(srv.URL)
		old.http.Jar.SetCookies(u, []*http.Cookie{{Name: "mysystems_session", Value: session.Value}})
		wantRedirect(t, "old session after logout", old.get("/"), "/login")
	})
}

func TestID1_RegisterErrors(t *testing.T) {
	srv, _ := server(t)
	c := newClient(t, srv)
	page := c.get("/register")
	wantStatus(t, "register page", page, http.StatusOK)
	wantBody(t, "register page", page, "At least 12 characters", "common passwords are refused")

	for _, tc := range []struct {
		name, email, display, password, want string
	}{
		{"ErrShort", "short@example.com", "Short", "tooshort", "password must be at least 12 characters"},
		{"ErrCommon", "common@example.com", "Common", "password1234", "too common"},
		{"ErrEmail", "not-an-email", "Bad", password, "not a valid e-mail address"},
		{"ErrName", "noname@example.com", "   ", password, "name is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/register", url.Values{"email": {tc.email}, "name": {tc.display}, "password": {tc.password}})
			wantStatus(t, "register", r, http.StatusBadRequest)
			wantBody(t, "register", r, tc.want, `aria-invalid="true"`, "Could not create the account:")
			wantNoBody(t, "register", r, tc.password+`"`) // the password is never echoed
		})
	}
	t.Run("ErrDuplicate", func(t *testing.T) {
		register(t, srv, "dup@example.com")
		r := c.post("/register", url.Values{"email": {"Dup@example.com"}, "name": {"Again"}, "password": {password}})
		wantStatus(t, "duplicate", r, http.StatusBadRequest)
		wantBody(t, "duplicate", r, "already exists")
	})
}

// ORG-5: another organization's pages are the same 404 as a page that does
// not exist, on SQLite as on PostgreSQL; an id that is not text is a 400
// (TestBadInput_WebNULAndInvalidUTF8 walks every page with one).
func TestOtherOrgNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := serverOn(t, db).HTTP
		alice := register(t, srv, "alice@example.com")
		id := createOrg(t, alice, "Alice Corp")
		bob := register(t, srv, "bob@example.com")

		missing := bob.get("/orgs/org_doesnotexist/settings")
		wantStatus(t, "missing org", missing, http.StatusNotFound)
		for _, path := range []string{"/orgs/" + id, "/orgs/" + id + "/settings", "/orgs/" + id + "/archive",
			"/orgs/" + id + "/audit", "/orgs/" + id + "/audit/export.csv"} {
			r := bob.get(path)
			wantStatus(t, "bob GET "+path, r, http.StatusNotFound)
			wantBody(t, "bob GET "+path, r, "Page not found")
			wantNoBody(t, "bob GET "+path, r, "Alice Corp")
		}
		for _, path := range []string{"/orgs/" + id + "/settings", "/orgs/" + id + "/archive"} {
			r := bob.post(path, url.Values{"name": {"Taken"}, "confirm_id": {id}, "acknowledge": {"yes"}})
			wantStatus(t, "bob POST "+path, r, http.StatusNotFound)
		}
		wantBody(t, "alice's org unchanged", alice.get("/orgs/"+id+"/settings"), "Alice Corp")
		wantStatus(t, "unknown page", bob.get("/no/such/page"), http.StatusNotFound)
		wantStatus(t, "org id not text", bob.get("/orgs/%00/settings"), http.StatusBadRequest)
		wantStatus(t, "org id not UTF-8", bob.get("/orgs/"+id+"%FF/settings"), http.StatusBadRequest)
	})
}

func TestSettings(t *testing.T) {
	srv, _ := server(t)
	c := register(t, srv, "owner@example.com")
	id := createOrg(t, c, "Before")
	settings := "/orgs/" + id + "/settings"

	r := c.get(settings)
	wantStatus(t, "settings", r, http.StatusOK)
	wantBody(t, "settings", r, "Organization “Before” created", `id="settings-edit"`, `id="archive-link"`, "General")
	wantNoBody(t, "settings without edit", r, `id="settings-save"`)
	wantBody(t, "edit form", c.get(settings+"?edit=1"), `id="settings-save"`, `value="Before"`)

	r = c.post(settings, url.Values{"name": {"  "}, "notes": {"n"}})
	wantStatus(t, "empty name", r, http.StatusBadRequest)
	wantBody(t, "empty name", r, "name is required", `id="name-error"`)

	r = c.post(settings, url.Values{"name": {"After"}, "notes": {"Line one"}})
	wantRedirect(t, "save", r, settings)
	r = c.get(settings)
	wantBody(t, "after save", r, "Settings saved.", `<span id="switcher-current">After</span>`, "Line one")
	wantStatus(t, "org index", c.get("/orgs/"+id), http.StatusSeeOther)
}

func TestORG4_Archive(t *testing.T) {
	srv, _ := server(t)
	c := register(t, srv, "archiver@example.com")
	id := createOrg(t, c, "Doomed")
	keep := createOrg(t, c, "Kept")
	archive := "/orgs/" + id + "/archive"

	r := c.get(archive)
	wantStatus(t, "archive page", r, http.StatusOK)
	wantBody(t, "archive page", r, "I understand the risks", id, `name="confirm_id"`)

	for _, tc := range []struct {
		name    string
		form    url.Values
		wantErr string
	}{
		{"ErrNoID", url.Values{"acknowledge": {"yes"}}, `id="confirm_id-error"`},
		{"ErrWrongID", url.Values{"confirm_id": {keep}, "acknowledge": {"yes"}}, `id="confirm_id-error"`},
		{"ErrPartialID", url.Values{"confirm_id": {id[:len(id)-1]}, "acknowledge": {"yes"}}, `id="confirm_id-error"`},
		{"ErrPaddedID", url.Values{"confirm_id": {" " + id}, "acknowledge": {"yes"}}, `id="confirm_id-error"`},
		{"ErrNoAcknowledge", url.Values{"confirm_id": {id}}, `id="acknowledge-error"`},
		{"ErrWrongAcknowledge", url.Values{"confirm_id": {id}, "acknowledge": {"no"}}, `id="acknowledge-error"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post(archive, tc.form)
			wantStatus(t, "archive", r, http.StatusBadRequest)
			wantBody(t, "archive", r, tc.wantErr)
			wantStatus(t, "org still there", c.get("/orgs/"+id+"/settings"), http.StatusOK)
		})
	}
	t.Run("OK", func(t *testing.T) {
		r := c.post(archive, url.Values{"confirm_id": {id}, "acknowledge": {"yes"}})
		wantRedirect(t, "archive", r, "/")
		home := c.get("/")
		wantBody(t, "home after archive", home, "Organization “Doomed” was archived.", `data-org-id="`+keep+`"`)
		wantNoBody(t, "home after archive", home, `data-org-id="`+id+`"`)
		wantStatus(t, "archived settings", c.get("/orgs/"+id+"/settings"), http.StatusNotFound)
		wantStatus(t, "archive again", c.post(archive, url.Values{"confirm_id": {id}, "acknowledge": {"yes"}}),
			http.StatusNotFound)
	})
}

func TestLanguage(t *testing.T) {
	srv, _ := server(t)

	t.Run("AcceptLanguage", func(t *testing.T) {
		c := newClient(t, srv)
		c.header.Set("Accept-Language", "fr-CH, fr;q=0.9, en;q=0.8")
		r := c.get("/login")
		wantBody(t, "login in French", r, `<html lang="fr">`, "Se connecter", "Mot de passe")
		c.header.Set("Accept-Language", "de-DE, en;q=0.5")
		wantBody(t, "login in English", c.get("/login"), `<html lang="en">`, "Sign in")
	})

	t.Run("Switch", func(t *testing.T) {
		c := register(t, srv, "lang@example.com")
		id := createOrg(t, c, "Société X")
		settings := "/orgs/" + id + "/settings"
		wantBody(t, "English first", c.get(settings), `<html lang="en">`, "Archive organization")

		r := c.post("/lang", url.Values{"lang": {"fr"}, "next": {settings}})
		wantRedirect(t, "switch", r, settings)
		r = c.get(settings)
		wantBody(t, "French", r, `<html lang="fr">`, "Paramètres", "Général", "Archiver une organisation",
			"Modifier", "Mes systèmes", "Créer une nouvelle organisation", "Propriétaire")
		wantNoBody(t, "French", r, "Archive organization")

		// The preference follows the person to a new browser.
		other := newClient(t, srv)
		other.get("/login")
		wantRedirect(t, "login", other.post("/login", url.Values{"email": {"lang@example.com"}, "password": {password}}), "/")
		wantBody(t, "new browser", other.get("/"), `<html lang="fr">`, "Mes organisations")

		wantRedirect(t, "switch back", c.post("/lang", url.Values{"lang": {"en"}, "next": {"//evil.example"}}), "/")
		wantBody(t, "English again", c.get(settings), `<html lang="en">`, "Settings")
		wantStatus(t, "bad language", c.post("/lang", url.Values{"lang": {"de"}}), http.StatusBadRequest)
	})
}

func TestID2_Tokens(t *testing.T) {
	srv, a := server(t)
	c := register(t, srv, "tokens@example.com")
	wantBody(t, "no tokens", c.get("/account/tokens"), `id="tokens-none"`)

	r := c.post("/account/tokens", url.Values{"name": {"ci"}, "expires_at": {"2001-01-01"}})
	wantStatus(t, "past expiry", r, http.StatusBadRequest)
	wantBody(t, "past expiry", r, "expiry must be in the future", `id="expires_at-error"`)
	wantStatus(t, "bad expiry", c.post("/account/tokens", url.Values{"name": {"ci"}, "expires_at": {"soon"}}),
		http.StatusBadRequest)

	expiry := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02")
	r = c.post("/account/tokens", url.Values{"name": {"ci"}, "expires_at": {expiry}})
	wantStatus(t, "create", r, http.StatusCreated)
	secret := regexp.MustCompile(`value="(mst_[a-z0-9]+)"`).FindStringSubmatch(r.body)
	if secret == nil {
		t.Fatalf("create: no secret shown; body:\n%s", r.body)
	}
	wantBody(t, "create", r, "it will not be shown again")
	if _, err := a.App.Accounts.Authenticate(context.Background(), secret[1]); err != nil {
		t.Fatalf("the shown secret does not authenticate: %v", err)
	}

	list := c.get("/account/tokens")
	wantBody(t, "list", list, "ci", secret[1][:10], expiry)
	wantNoBody(t, "list", list, secret[1])
	tokID := regexp.MustCompile(`data-token-id="(tok_[a-z0-9]+)"`).FindStringSubmatch(list.body)
	if tokID == nil {
		t.Fatal("list: no token row")
	}

	other := register(t, srv, "other@example.com")
	wantStatus(t, "other's confirm page", other.get("/account/tokens/"+tokID[1]+"/revoke"), http.StatusNotFound)
	wantStatus(t, "other's revoke", other.post("/account/tokens/"+tokID[1]+"/revoke", nil), http.StatusNotFound)

	wantBody(t, "confirm page", c.get("/account/tokens/"+tokID[1]+"/revoke"), "Revoke the token “ci”")
	wantRedirect(t, "revoke", c.post("/account/tokens/"+tokID[1]+"/revoke", nil), "/account/tokens")
	wantBody(t, "after revoke", c.get("/account/tokens"), "API token “ci” revoked.", `id="tokens-none"`)
	if _, err := a.App.Accounts.Authenticate(context.Background(), secret[1]); err == nil {
		t.Fatal("a revoked token still authenticates")
	}
}

func TestAUD1_AuditLog(t *testing.T) {
	srv, _ := server(t)
	c := register(t, srv, "audit@example.com")
	id := createOrg(t, c, "Audited")
	base := "/orgs/" + id
	// 55 renames make more than one page of 50.
	for i := 0; i < 55; i++ {
		wantRedirect(t, "rename", c.post(base+"/settings", url.Values{"name": {"Audited " + string(rune('A'+i%26)) +
			strings.Repeat("x", i)}}), base+"/settings")
	}

	r := c.get(base + "/audit")
	wantStatus(t, "audit page", r, http.StatusOK)
	wantBody(t, "audit page", r, "<code>org.update</code>", "audit@example.com", `id="next-page"`, `id="audit-export"`)
	wantNoBody(t, "first page", r, "<code>org.create</code>") // newest first: the creation is on page 2

	next := regexp.MustCompile(`id="next-page" href="([^"]+)"|href="([^"]+)" rel="next"`).FindStringSubmatch(r.body)
	if next == nil {
		t.Fatal("no next page link")
	}
	link := next[1] + next[2]
	r = c.get(strings.ReplaceAll(link, "&amp;", "&"))
	wantStatus(t, "page 2", r, http.StatusOK)
	wantBody(t, "page 2", r, "<code>org.create</code>", `id="first-page"`)
	wantNoBody(t, "page 2", r, `id="next-page"`)

	r = c.get(base + "/audit?action=org.create")
	wantBody(t, "filtered", r, "<code>org.create</code>", `value="org.create"`)
	wantNoBody(t, "filtered", r, "<code>org.update</code>")
	today := time.Now().UTC().Format("2006-01-02")
	wantBody(t, "until today", c.get(base+"/audit?action=org.create&since="+today+"&until="+today), "<code>org.create</code>")
	wantBody(t, "since tomorrow", c.get(base+"/audit?since="+time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")),
		`id="audit-empty"`)

	r = c.get(base + "/audit?since=yesterday")
	wantStatus(t, "bad since", r, http.StatusBadRequest)
	wantBody(t, "bad since", r, `id="since-error"`)

	r = c.get(base + "/audit/export.csv?action=org.")
	wantStatus(t, "csv", r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("csv: Content-Type %q, want text/csv", ct)
	}
	if lines := strings.Count(r.body, "\n"); lines != 1+56 {
		t.Fatalf("csv: got %d lines, want a header and 56 entries:\n%s", lines, r.body)
	}
	wantBody(t, "csv", r, "org.create", "audit@example.com")
}

func TestInternalErrorPage(t *testing.T) {
	srv, a := server(t)
	c := register(t, srv, "broken@example.com")
	a.DB.Close()
	r := c.get("/")
	wantStatus(t, "store down", r, http.StatusInternalServerError)
	id := r.header.Get("X-Request-Id")
	wantBody(t, "store down", r, "Something went wrong", `<code id="request-id">`+id+`</code>`)
}

func TestStatic(t *testing.T) {
	srv, _ := server(t)
	c := newClient(t, srv)
	for path, ct := range map[string]string{"/static/style.css": "text/css", "/static/app.js": "text/javascript"} {
		r := c.get(path)
		wantStatus(t, path, r, http.StatusOK)
		if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, ct) {
			t.Fatalf("%s: Content-Type %q, want %s", path, got, ct)
		}
	}
	wantStatus(t, "directory", c.get("/static/"), http.StatusNotFound)
	page := c.get("/login")
	wantBody(t, "page", page, `href="/static/style.css?v=`, `class="skip-link" href="#main"`, `<main id="main"`)
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options"} {
		if page.header.Get(h) == "" {
			t.Fatalf("page: no %s header", h)
		}
	}
}

// join makes the client's person a member of the organization with role,
// directly in the store (invitations have their own tests).
func join(t *testing.T, a *harness.Server, c *client, orgID string, role access.Role) {
	t.Helper()
	a.Join(orgID, userID(t, a, c), role)
}

// member registers email and makes them a member of the owner's
// organization with role (join); with folders, the owner then gives them
// exactly those through "Roles and access" (grant).
func member(t *testing.T, a *harness.Server, owner *client, orgID, email string, role access.Role, folders ...string) *client {
	t.Helper()
	c := register(t, owner.srv, email)
	join(t, a, c, orgID, role)
	if len(folders) > 0 {
		grant(t, a, owner, orgID, c, role, folders...)
	}
	return c
}

func TestRoles(t *testing.T) {
	srv, a := server(t)
	owner := register(t, srv, "boss@example.com")
	id := createOrg(t, owner, "Roles Inc")
	base := "/orgs/" + id

	t.Run("Viewer", func(t *testing.T) {
		c := member(t, a, owner, id, "viewer@example.com", access.Viewer)
		r := c.get(base + "/settings")
		wantStatus(t, "settings", r, http.StatusOK)
		wantBody(t, "settings", r, "Roles Inc", `id="settings-readonly"`, `id="archive-owner-only"`, "Viewer")
		wantNoBody(t, "settings", r, `id="settings-edit"`, `id="archive-link"`, `href="`+base+`/audit"`)
		wantNoBody(t, "edit form", c.get(base+"/settings?edit=1"), `id="settings-save"`)
		wantStatus(t, "audit", c.get(base+"/audit"), http.StatusForbidden)
		wantStatus(t, "csv", c.get(base+"/audit/export.csv"), http.StatusForbidden)
		wantStatus(t, "archive page", c.get(base+"/archive"), http.StatusForbidden)
		r = c.post(base+"/settings", url.Values{"name": {"Hijacked"}})
		wantStatus(t, "save", r, http.StatusForbidden)
		wantBody(t, "save", r, "does not allow")
		wantBody(t, "unchanged", owner.get(base+"/settings"), "Roles Inc")
	})
	t.Run("Admin", func(t *testing.T) {
		c := member(t, a, owner, id, "admin@example.com", access.Admin)
		r := c.get(base + "/settings")
		wantBody(t, "settings", r, `id="settings-edit"`, `href="`+base+`/audit"`, `id="archive-owner-only"`)
		wantNoBody(t, "settings", r, `id="archive-link"`)
		wantStatus(t, "audit", c.get(base+"/audit"), http.StatusOK)
		r = c.post(base+"/archive", url.Values{"confirm_id": {id}, "acknowledge": {"yes"}})
		wantStatus(t, "archive", r, http.StatusForbidden)
		wantStatus(t, "still there", owner.get(base+"/settings"), http.StatusOK)
		wantRedirect(t, "rename", c.post(base+"/settings", url.Values{"name": {"Renamed by admin"}}), base+"/settings")
	})
}
