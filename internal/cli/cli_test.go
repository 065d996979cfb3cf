package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/api"
	"mysystems/internal/app"
	hs "mysystems/internal/harness"
)

const (
	testEmail    = "alice@example.com"
	testPassword = "plum-orchard-lantern-42"
)

// harness runs client commands against a real in-process server
// (internal/harness, on the wall clock).
type harness struct {
	t   *testing.T
	env map[string]string
	srv *hs.Server
	app *app.App // the server's application; nil against a fake server
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	s := hs.New(t, nil, hs.WallClock())
	return &harness{t: t, env: map[string]string{"MYSYSTEMS_SERVER": s.URL, "MYSYSTEMS_CONFIG_DIR": t.TempDir()}, srv: s, app: s.App}
}

type result struct {
	code        int
	out, stderr string
}

func (h *harness) getenv(k string) string { return h.env[k] }

// run runs a command with stdin, as a script would (stdin is no terminal).
func (h *harness) run(stdin string, args ...string) result {
	h.t.Helper()
	var out, errw bytes.Buffer
	code := Run(h.t.Context(), args, strings.NewReader(stdin), &out, &errw, h.getenv)
	return result{code, out.String(), errw.String()}
}

// interactive runs a command as if on a terminal: prompts read stdin and
// passwords come from password.
func (h *harness) interactive(stdin, password string, args ...string) result {
	h.t.Helper()
	var out, errw bytes.Buffer
	e := newEnv(strings.NewReader(stdin), &out, &errw, h.getenv)
	e.interactive = true
	e.readPassword = func() (string, error) { return password, nil }
	code := e.exit(h.t.Context(), args)
	return result{code, out.String(), errw.String()}
}

// ok runs a command that must succeed.
func (h *harness) ok(stdin string, args ...string) result {
	h.t.Helper()
	r := h.run(stdin, args...)
	if r.code != 0 {
		h.t.Fatalf("mysystems %s: exit %d, want 0; stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// fail runs a command that must fail with code and print want on stderr.
func (h *harness) fail(code int, want string, args ...string) result {
	h.t.Helper()
	r := h.run("", args...)
	if r.code != code || !strings.Contains(r.stderr, want) {
		h.t.Fatalf("mysystems %s: exit %d, stderr %q; want exit %d and %q", strings.Join(args, " "), r.code, r.stderr, code, want)
	}
	return r
}

func contains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: got %q, want it to contain %q", what, got, w)
		}
	}
}

// signedIn registers and signs in the test user.
func (h *harness) signedIn() {
	h.t.Helper()
	h.ok(testPassword+"\n", "register", "--email", testEmail, "--name", "Alice", "--password-stdin")
	h.ok(testPassword+"\n", "login", "--email", testEmail, "--password-stdin")
}

// withOrg starts a harness with the test user signed in and owning an
// organization "Acme"; it returns the harness and the organization's id.
func withOrg(t *testing.T) (*harness, string) {
	t.Helper()
	h := newHarness(t)
	h.signedIn()
	return h, h.createOrg("Acme")
}

func (h *harness) createOrg(name string) string {
	h.t.Helper()
	r := h.ok("", "orgs", "create", name, "--json")
	var o api.OrgJSON
	if err := json.Unmarshal([]byte(r.out), &o); err != nil || o.ID == "" {
		h.t.Fatalf("orgs create --json: %q is no organization (%v)", r.out, err)
	}
	return o.ID
}

func TestAccount(t *testing.T) {
	h := newHarness(t)
	r := h.ok(testPassword+"\n", "register", "--email", testEmail, "--name", "Alice", "--password-stdin")
	contains(t, "register", r.out, "Registered Alice <alice@example.com>")

	h.fail(2, "no password on stdin", "login", "--email", testEmail, "--password-stdin")
	r = h.run("wrong-password-entirely\n", "login", "--email", testEmail, "--password-stdin")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "error: ") || !strings.Contains(r.stderr, "(unauthenticated)") {
		t.Errorf("login with a wrong password: exit %d, stderr %q; want 1 and error: … (unauthenticated)", r.code, r.stderr)
	}

	r = h.ok(testPassword+"\n", "login", "--email", testEmail, "--password-stdin")
	contains(t, "login", r.out, "Signed in to "+h.env["MYSYSTEMS_SERVER"], "alice@example.com")
	path := filepath.Join(h.env["MYSYSTEMS_CONFIG_DIR"], "credentials.json")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("credentials file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode: got %v, want 0600", fi.Mode().Perm())
	}
	var creds credentials
	if b, _ := os.ReadFile(path); json.Unmarshal(b, &creds) != nil || creds.Server != h.env["MYSYSTEMS_SERVER"] || creds.Token == "" {
		t.Errorf("credentials file holds %+v, want the server and a token", creds)
	}

	r = h.ok("", "whoami")
	contains(t, "whoami", r.out, "Alice <alice@example.com>", "No organizations yet")
	r = h.ok("", "whoami", "--json")
	var me api.UserResponse
	if err := json.Unmarshal([]byte(r.out), &me); err != nil || me.User.Email != testEmail {
		t.Errorf("whoami --json: got %q (%v), want the user as JSON", r.out, err)
	}

	// Never send one server's token to another.
	r = h.fail(1, "signed in to "+h.env["MYSYSTEMS_SERVER"], "whoami", "--server", "https://elsewhere.example")

	h.ok("", "logout")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after logout the credentials file is still there (%v)", err)
	}
	h.fail(1, "not signed in", "whoami")
	r = h.ok("", "logout")
	contains(t, "second logout", r.stderr, "Not signed in")
}

func TestLoginInteractive(t *testing.T) {
	h := newHarness(t)
	h.ok(testPassword+"\n", "register", "--email", testEmail, "--name", "Alice", "--password-stdin")
	r := h.interactive(testEmail+"\n", testPassword, "login")
	if r.code != 0 {
		t.Fatalf("interactive login: exit %d, stderr %q", r.code, r.stderr)
	}
	contains(t, "interactive login prompts", r.stderr, "E-mail: ", "Password: ")
	h.ok("", "whoami")

	// Registering on a terminal asks for the password twice.
	r = h.interactive("", "another-fine-passphrase", "register", "--email", "bob@example.com", "--name", "Bob")
	if r.code != 0 {
		t.Fatalf("interactive register: exit %d, stderr %q", r.code, r.stderr)
	}
	contains(t, "interactive register prompts", r.stderr, "Password: ", "Repeat the password: ")

	// Not on a terminal, the password must come from somewhere.
	h.fail(2, "--email is required", "login")
	h.fail(2, "no password", "login", "--email", testEmail)
	h.env["MYSYSTEMS_PASSWORD"] = testPassword
	h.ok("", "login", "--email", testEmail)
}

func TestLoginMFA(t *testing.T) {
	h := newHarness(t)
	h.signedIn()
	creds, _, err := newEnv(nil, io.Discard, io.Discard, h.getenv).loadCredentials()
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(creds.Server, creds.Token)
	var enr struct{ Secret string }
	if err := c.do(t.Context(), http.MethodPost, "/api/v1/me/mfa/totp", nil, &enr); err != nil {
		t.Fatalf("start TOTP: %v", err)
	}
	code, err := account.TOTPCode(enr.Secret, account.TOTPStep(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := c.do(t.Context(), http.MethodPost, "/api/v1/me/mfa/totp/confirm", map[string]string{"code": code}, &rec); err != nil || len(rec.RecoveryCodes) < 2 {
		t.Fatalf("confirm TOTP: %v (%d recovery codes)", err, len(rec.RecoveryCodes))
	}
	h.ok("", "logout")

	r := h.run(testPassword+"\n", "login", "--email", testEmail, "--password-stdin")
	if r.code != 2 || !strings.Contains(r.stderr, "needs a second-factor code (totp): pass --code") {
		t.Errorf("login with MFA and no code: exit %d, stderr %q", r.code, r.stderr)
	}
	r = h.run(testPassword+"\n", "login", "--email", testEmail, "--password-stdin", "--code", "000000")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "error: ") {
		t.Errorf("login with a wrong code: exit %d, stderr %q; want 1 and an API error", r.code, r.stderr)
	}
	h.ok(testPassword+"\n", "login", "--email", testEmail, "--password-stdin", "--code", rec.RecoveryCodes[0])
	h.ok("", "whoami")

	// On a terminal the code is prompted for.
	r = h.interactive(testEmail+"\n"+rec.RecoveryCodes[1]+"\n", testPassword, "login")
	if r.code != 0 || !strings.Contains(r.stderr, "Code (totp): ") {
		t.Errorf("interactive login with MFA: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestOrgs(t *testing.T) {
	h := newHarness(t)
	h.signedIn()

	r := h.ok("", "orgs", "create", "Acme", "--notes", "first")
	contains(t, "orgs create", r.out, `Created organization "Acme"`)
	id := h.createOrg("Beta")

	r = h.ok("", "orgs", "list")
	contains(t, "orgs list", r.out, "ID", "NAME", "Acme", "Beta", id, "owner")
	r = h.ok("", "--json", "orgs", "list")
	var list api.List[api.OrgJSON]
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || len(list.Items) != 2 {
		t.Errorf("orgs list --json: got %q (%v), want 2 items", r.out, err)
	}

	r = h.ok("", "orgs", "rename", id, "Beta Corp")
	contains(t, "orgs rename", r.out, `Renamed organization `+id+` to "Beta Corp"`)
	h.ok("", "orgs", "notes", id, "--", "-dash first")
	r = h.ok("", "orgs", "show", id)
	contains(t, "orgs show", r.out, "Beta Corp", "-dash first", "owner", "active")

	// Archive refuses without confirmation, then with a wrong one.
	h.fail(2, "refusing to archive "+id+" without confirmation", "orgs", "archive", id)
	h.fail(2, "refusing to archive", "orgs", "archive", id, "--confirm", id)
	h.fail(2, "does not match the organization id", "orgs", "archive", id, "--confirm", "other", "--yes")
	r = h.interactive("not-the-id\n", "", "orgs", "archive", id)
	if r.code != 1 || !strings.Contains(r.stderr, "archive cancelled") || !strings.Contains(r.stderr, "Beta Corp") {
		t.Errorf("interactive archive with a wrong id: exit %d, stderr %q; want 1, the name and archive cancelled", r.code, r.stderr)
	}
	h.ok("", "orgs", "show", id) // still there

	r = h.ok("", "orgs", "archive", id, "--confirm", id, "--yes")
	contains(t, "orgs archive", r.out, "Archived organization "+id)
	r = h.ok("", "orgs", "list")
	if strings.Contains(r.out, id) {
		t.Errorf("orgs list after archive: got %q, want no %s", r.out, id)
	}
	h.fail(1, "error: organization "+id+" not found (not_found)", "orgs", "show", id)

	// On a terminal, typing the id archives.
	acme := h.createOrg("Gamma")
	r = h.interactive(acme+"\n", "", "orgs", "archive", acme)
	if r.code != 0 {
		t.Errorf("interactive archive: exit %d, stderr %q", r.code, r.stderr)
	}
	h.fail(1, "(not_found)", "orgs", "show", acme)
}

func TestAudit(t *testing.T) {
	h, id := withOrg(t)
	h.ok("", "orgs", "rename", id, "Acme 2")
	h.ok("", "orgs", "notes", id, "n")

	r := h.ok("", "audit", id)
	contains(t, "audit", r.out, "ACTION", "org.create", "org.update", testEmail, "org:"+id)
	if lines := strings.Count(r.out, "\n"); lines != 4 {
		t.Errorf("audit: got %d lines, want a header and 3 entries:\n%s", lines, r.out)
	}

	r = h.ok("", "audit", id, "--action", "org.create")
	if strings.Contains(r.out, "org.update") || !strings.Contains(r.out, "org.create") {
		t.Errorf("audit --action org.create: got\n%s", r.out)
	}

	r = h.ok("", "audit", id, "--limit", "1")
	if n := strings.Count(r.out, "org."); n != 1 {
		t.Errorf("audit --limit 1: got %d entries, want 1:\n%s", n, r.out)
	}
	contains(t, "audit --limit 1", r.stderr, "More entries", "--cursor")
	r = h.ok("", "audit", id, "--limit", "1", "--all", "--json")
	var p page
	if err := json.Unmarshal([]byte(r.out), &p); err != nil || len(p.Items) != 3 || p.NextCursor != "" {
		t.Errorf("audit --limit 1 --all --json: got %q (%v), want 3 items and no cursor", r.out, err)
	}

	r = h.ok("", "audit", id, "--csv")
	rows, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "id" || rows[0][6] != "action" {
		t.Errorf("audit --csv: got %q (%v), want a header and 3 rows", r.out, err)
	}

	h.fail(1, "(invalid)", "audit", id, "--since", "last tuesday")
	h.fail(2, "--csv and --json", "audit", id, "--csv", "--json")
	h.fail(2, "do not apply", "audit", id, "--csv", "--all")
}

func TestTokens(t *testing.T) {
	h := newHarness(t)
	h.signedIn()

	r := h.ok("", "tokens", "create", "ci", "--expires", "2099-01-01")
	secret := strings.TrimSpace(r.out)
	if !strings.HasPrefix(secret, account.TokenPrefix) || strings.Contains(secret, "\n") {
		t.Fatalf("tokens create: stdout %q, want the secret alone", r.out)
	}
	contains(t, "tokens create", r.stderr, "shown only this once", "2099-01-01")

	r = h.ok("", "tokens", "list")
	contains(t, "tokens list", r.out, "ci", "2099-01-01", "never")
	r = h.ok("", "tokens", "list", "--json")
	var list struct{ Items []api.TokenJSON }
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || len(list.Items) != 1 {
		t.Fatalf("tokens list --json: got %q (%v), want one token", r.out, err)
	}
	tokenID := list.Items[0].ID

	// A script with no saved login uses the token.
	script := &harness{t: t, env: map[string]string{
		"MYSYSTEMS_SERVER": h.env["MYSYSTEMS_SERVER"], "MYSYSTEMS_CONFIG_DIR": t.TempDir()}}
	script.fail(1, "not signed in", "whoami")
	r = script.ok("", "whoami", "--token", secret)
	contains(t, "whoami --token", r.out, testEmail)
	script.env["MYSYSTEMS_TOKEN"] = secret
	r = script.ok("", "orgs", "create", "Scripted")
	contains(t, "orgs create with MYSYSTEMS_TOKEN", r.out, "Scripted")

	r = h.ok("", "tokens", "revoke", tokenID)
	contains(t, "tokens revoke", r.out, "Revoked token "+tokenID)
	script.fail(1, "(unauthenticated)", "whoami")
	h.fail(1, "(not_found)", "tokens", "revoke", tokenID)
}

func TestUsage(t *testing.T) {
	h := newHarness(t)
	h.signedIn()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{}, 2, "no command given"},
		{[]string{"orgs"}, 2, "list | create"},
		{[]string{"orgs", "frob"}, 2, `orgs: unknown command "frob"`},
		{[]string{"tokens", "frob"}, 2, `tokens: unknown command "frob"`},
		{[]string{"orgs", "show"}, 2, "usage: mysystems orgs show ORG"},
		{[]string{"orgs", "rename", "x"}, 2, "missing argument"},
		{[]string{"orgs", "create", "a", "b"}, 2, `unexpected argument "b"`},
		{[]string{"orgs", "list", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"--bogus", "orgs", "list"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"audit"}, 2, "missing argument"},
		{[]string{"audit", "x", "--limit", "-1"}, 2, "--limit must be a positive number"},
		{[]string{"tokens", "create"}, 2, "missing argument"},
		{[]string{"tokens", "create", "x", "--expires", "tomorrow"}, 2, "--expires"},
		{[]string{"register", "--email", "a@example.com"}, 2, "--email and --name are required"},
		{[]string{"whoami", "--server", "ftp://x"}, 2, "is not an http(s) URL"},
		{[]string{"orgs", "show", "nope"}, 1, "error: organization nope not found (not_found)"},
		{[]string{"orgs", "rename", "nope", "X"}, 1, "(not_found)"},
		{[]string{"audit", "nope"}, 1, "(not_found)"},
		{[]string{"orgs", "show", ".."}, 1, "(not_found)"},
		{[]string{"orgs", "create", ""}, 1, "(invalid)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := h.run("", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{
		{"login", "-h"}, {"orgs", "archive", "--help"}, {"audit", "-h"}, {"tokens", "create", "-h"}, {"orgs", "-h"}, {"--json", "-h"},
	} {
		r := h.run("", args...)
		if r.code != 0 || !strings.Contains(strings.ToLower(r.out), "usage") || r.stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and usage on stdout", args, r.code, r.out, r.stderr)
		}
	}
	for cmd := range commands {
		if !strings.Contains(Usage, "mysystems "+cmd) {
			t.Errorf("Usage does not describe %q", cmd)
		}
	}
}

// TestAPIErrors covers answers a healthy server rarely gives.
func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"rate limited", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"code":"rate_limited","message":"API rate limit exceeded; slow down"}}`)
		}, "error: API rate limit exceeded; slow down (rate_limited); retry after 7s"},
		{"internal with request id", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"code":"internal","message":"internal error","request_id":"r-1"}}`)
		}, "error: internal error (internal); request id r-1"},
		{"proxy error page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>bad gateway</html>")
		}, "(http_502)"},
		{"not an API", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>hello</html>")
		}, "instead of JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			h := &harness{t: t, env: map[string]string{"MYSYSTEMS_SERVER": srv.URL, "MYSYSTEMS_CONFIG_DIR": t.TempDir(), "MYSYSTEMS_TOKEN": "mst_x"}}
			h.fail(1, tt.want, "whoami")
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		h := &harness{t: t, env: map[string]string{"MYSYSTEMS_SERVER": srv.URL, "MYSYSTEMS_CONFIG_DIR": t.TempDir(), "MYSYSTEMS_TOKEN": "mst_x"}}
		h.fail(1, "cannot reach "+srv.URL, "whoami")
	})
}
