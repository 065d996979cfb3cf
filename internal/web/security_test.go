package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/clock"
)

var (
	totpSecret    = regexp.MustCompile(`id="totp-secret"[^>]*>([A-Z2-7]+)<`)
	recoveryCode  = regexp.MustCompile(`<li><code>([0-9a-z]{4}-[0-9a-z]{4})</code></li>`)
	mailedCode    = regexp.MustCompile(`\b(\d{6})\b`)
	securityNextQ = "/account/security?next="
)

// totpCode is the code of secret at the clock's time.
func totpCode(t *testing.T, secret string, clk *clock.Fake) string {
	t.Helper()
	code, err := account.TOTPCode(secret, account.TOTPStep(clk.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enableTOTP turns TOTP on through the security page and returns the
// secret and the recovery codes; the clock then moves to the next step, so
// the next code is not a replay.
func enableTOTP(t *testing.T, c *client, clk *clock.Fake) (string, []string) {
	t.Helper()
	r := c.post("/account/security/totp", nil)
	wantStatus(t, "start TOTP", r, http.StatusOK)
	m := totpSecret.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("start TOTP: no secret shown; body:\n%s", r.body)
	}
	r = c.post("/account/security/totp/confirm", url.Values{"code": {totpCode(t, m[1], clk)}})
	wantStatus(t, "confirm TOTP", r, http.StatusOK)
	var codes []string
	for _, rc := range recoveryCode.FindAllStringSubmatch(r.body, -1) {
		codes = append(codes, rc[1])
	}
	if len(codes) != account.RecoveryCodeCount {
		t.Fatalf("confirm TOTP: got %d recovery codes, want %d; body:\n%s", len(codes), account.RecoveryCodeCount, r.body)
	}
	clk.Advance(account.TOTPPeriod * time.Second)
	return m[1], codes
}

func TestSecurityTOTP(t *testing.T) {
	clk := clock.NewFake(time.Now())
	srv, _ := serverAt(t, clk)
	c := register(t, srv, "totp@example.com")

	wantRedirect(t, "signed out", newClient(t, srv).get("/account/security"), "/login?next=%2Faccount%2Fsecurity")
	r := c.get("/account/security")
	wantStatus(t, "security page", r, http.StatusOK)
	wantBody(t, "security page", r, `id="menu-security"`, `data-enabled="false"`, `id="totp-start"`, `id="email-start"`)

	// ID-3: the QR code (an inline PNG), the secret and the otpauth link.
	r = c.post("/account/security/totp", nil)
	wantStatus(t, "start", r, http.StatusOK)
	wantBody(t, "start", r, `<img src="data:image/png;base64,`, `href="otpauth://totp/My%20Systems:totp@example.com?`,
		`id="totp_code"`, `name="otpauth" value="otpauth://totp/`)
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:") {
		t.Fatalf("CSP %q does not allow the inline QR code", csp)
	}
	secret := totpSecret.FindStringSubmatch(r.body)[1]
	otpauth := regexp.MustCompile(`name="otpauth" value="([^"]+)"`).FindStringSubmatch(r.body)[1]
	otpauth = strings.ReplaceAll(otpauth, "&amp;", "&")

	// A started, unconfirmed enrolment can be picked up again or canceled.
	wantBody(t, "pending", c.get("/account/security"), `id="mfa-pending"`)

	r = c.post("/account/security/totp/confirm", url.Values{"code": {"000000"}, "otpauth": {otpauth}})
	wantStatus(t, "wrong code", r, http.StatusBadRequest)
	wantBody(t, "wrong code", r, `id="totp_code-error"`, "the code is wrong", `<img src="data:image/png;base64,`, secret)

	r = c.post("/account/security/totp/confirm", url.Values{"code": {totpCode(t, secret, clk)}, "next": {"/orgs/new"}})
	wantStatus(t, "confirm", r, http.StatusOK)
	wantBody(t, "confirm", r, `id="recovery-codes"`, "shown only now", `data-enabled="true"`, `href="/orgs/new"`)
	codes := recoveryCode.FindAllStringSubmatch(r.body, -1)
	if len(codes) != 10 {
		t.Fatalf("got %d recovery codes, want 10", len(codes))
	}
	// Copy and Download (.txt) come from the static script, which the
	// Content-Security-Policy allows; nothing runs inline.
	wantBody(t, "keep the codes", r, `data-recovery-codes data-heading="My Systems recovery codes for totp@example.com, made `,
		`id="recovery-copy"`, `id="recovery-download" data-filename="my-systems-recovery-codes.txt"`, `<script src="/static/app.js?v=`)
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("Content-Security-Policy %q", csp)
	}
	if n := strings.Count(r.body, "<script"); n != 1 || regexp.MustCompile(`\son[a-z]+=`).MatchString(r.body) {
		t.Fatalf("the page has %d scripts or an inline handler", n)
	}
	r = c.get("/account/security")
	wantBody(t, "on", r, `data-method="totp"`, "Recovery codes left: 10.", `id="mfa-disable"`, `id="recovery-regenerate"`)
	wantNoBody(t, "on", r, codes[0][1], `id="totp-start"`)

	// The same code again is a replay (ID-3).
	r = c.post("/account/security/disable", url.Values{"code": {totpCode(t, secret, clk)}})
	wantStatus(t, "replayed code", r, http.StatusBadRequest)
	wantBody(t, "replayed code", r, `id="disable_code-error"`)
	wantNoBody(t, "replayed code", r, `id="recovery_code-error"`)

	clk.Advance(30 * time.Second)
	r = c.post("/account/security/recovery", url.Values{"code": {totpCode(t, secret, clk)}})
	wantStatus(t, "new recovery codes", r, http.StatusOK)
	fresh := recoveryCode.FindAllStringSubmatch(r.body, -1)
	if len(fresh) != 10 || fresh[0][1] == codes[0][1] {
		t.Fatalf("new recovery codes: %v", fresh)
	}

	r = c.post("/account/security/disable", url.Values{"code": {fresh[0][1]}})
	wantRedirect(t, "disable with a recovery code", r, "/account/security")
	wantBody(t, "off", c.get("/account/security"), "Two-factor authentication is off.", `data-enabled="false"`)
}

func TestLoginMFA(t *testing.T) {
	clk := clock.NewFake(time.Now())
	srv, _ := serverAt(t, clk)
	setup := register(t, srv, "second@example.com")
	secret, recovery := enableTOTP(t, setup, clk)

	signIn := func(next string) *client {
		t.Helper()
		c := newClient(t, srv)
		c.get("/login")
		r := c.post("/login", url.Values{"email": {"second@example.com"}, "password": {password}, "next": {next}})
		want := "/login/mfa"
		if next != "" {
			want += "?next=" + url.QueryEscape(next)
		}
		wantRedirect(t, "password", r, want)
		if c.cookie("mysystems_session") != "" {
			t.Fatal("a session before the second step")
		}
		return c
	}

	t.Run("OK", func(t *testing.T) {
		c := signIn("/account/tokens")
		var ch *http.Cookie
		r := c.do("GET", "/login/mfa?next=%2Faccount%2Ftokens", nil, "")
		wantStatus(t, "code page", r, http.StatusOK)
		wantBody(t, "code page", r, "authenticator app", `name="next" value="/account/tokens"`, "recovery codes")
		u, _ := url.Parse(srv.URL + "/login")
		for _, k := range c.http.Jar.Cookies(u) {
			if k.Name == "mysystems_mfa" {
				ch = k
			}
		}
		if ch == nil || strings.Contains(r.body, strings.SplitN(ch.Value, ".", 2)[1]) {
			t.Fatalf("the challenge must be in a cookie only; cookie %v", ch)
		}
		wantStatus(t, "not signed in yet", c.get("/account/tokens"), http.StatusSeeOther)

		r = c.post("/login/mfa", url.Values{"code": {"123456"}, "next": {"/account/tokens"}})
		wantStatus(t, "wrong code", r, http.StatusUnauthorized)
		wantBody(t, "wrong code", r, "Could not sign in: the code is wrong", `id="code-error"`)

		r = c.post("/login/mfa", url.Values{"code": {totpCode(t, secret, clk)}, "next": {"/account/tokens"}})
		wantRedirect(t, "code", r, "/account/tokens")
		wantStatus(t, "signed in", c.get("/account/tokens"), http.StatusOK)
		if c.cookie("mysystems_mfa") != "" {
			t.Fatal("the challenge cookie outlives the sign-in")
		}
		// The challenge is spent.
		wantRedirect(t, "code page after", newClient(t, srv).get("/login/mfa"), "/login")
	})

	t.Run("Replay", func(t *testing.T) {
		// The code of the previous sign-in's step is refused.
		c := signIn("")
		r := c.post("/login/mfa", url.Values{"code": {totpCode(t, secret, clk)}})
		wantStatus(t, "replay", r, http.StatusUnauthorized)
		clk.Advance(30 * time.Second)
		wantRedirect(t, "next step", c.post("/login/mfa", url.Values{"code": {totpCode(t, secret, clk)}}), "/")
	})

	t.Run("RecoveryCode", func(t *testing.T) {
		c := signIn("")
		wantRedirect(t, "recovery code", c.post("/login/mfa", url.Values{"code": {strings.ToUpper(recovery[1])}}), "/")
		c = signIn("")
		wantStatus(t, "used recovery code", c.post("/login/mfa", url.Values{"code": {recovery[1]}}), http.StatusUnauthorized)
	})

	t.Run("ErrNoChallenge", func(t *testing.T) {
		c := newClient(t, srv)
		c.get("/login")
		r := c.post("/login/mfa", url.Values{"code": {"123456"}})
		wantRedirect(t, "no challenge", r, "/login")
		wantBody(t, "no challenge", c.get("/login"), "has expired or had too many wrong codes")
		wantStatus(t, "forged challenge", func() response {
			u, _ := url.Parse(srv.URL + "/login")
			c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "mysystems_mfa", Value: "totp.msm_forged", Path: "/login"}})
			return c.post("/login/mfa", url.Values{"code": {"123456"}})
		}(), http.StatusSeeOther)
	})

	t.Run("ErrRateLimited", func(t *testing.T) {
		// ID-4: 5 wrong codes spend a challenge; 10 per account per window
		// stop the second step altogether.
		clk.Advance(16 * time.Minute) // a fresh window
		for round := 0; round < 2; round++ {
			c := signIn("")
			for i := 0; i < account.MaxChallengeAttempts; i++ {
				wantStatus(t, "wrong code", c.post("/login/mfa", url.Values{"code": {"000000"}}), http.StatusUnauthorized)
			}
			wantRedirect(t, "spent challenge", c.post("/login/mfa", url.Values{"code": {"000000"}}), "/login")
		}
		c := signIn("")
		r := c.post("/login/mfa", url.Values{"code": {totpCode(t, secret, clk)}})
		wantStatus(t, "rate limited", r, http.StatusTooManyRequests)
		wantBody(t, "rate limited", r, "Too many wrong codes. Wait ")
		if r.header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		clk.Advance(16 * time.Minute)
		c = signIn("")
		wantRedirect(t, "after the window", c.post("/login/mfa", url.Values{"code": {totpCode(t, secret, clk)}}), "/")
	})
}

func TestSecurityEmail(t *testing.T) {
	clk := clock.NewFake(time.Now())
	srv, a := serverAt(t, clk)
	c := register(t, srv, "mailmfa@example.com")

	r := c.post("/account/security/email", nil)
	wantStatus(t, "start", r, http.StatusOK)
	wantBody(t, "start", r, "A code was sent to mailmfa@example.com", `id="email_code"`)
	code := mailedCode.FindStringSubmatch(a.LastMail("mailmfa@example.com"))[1]
	r = c.post("/account/security/email/confirm", url.Values{"code": {"999999"}})
	wantStatus(t, "wrong code", r, http.StatusBadRequest)
	wantBody(t, "wrong code", r, `id="email_code-error"`)
	wantRedirect(t, "confirm", c.post("/account/security/email/confirm", url.Values{"code": {code}}), "/account/security")
	wantBody(t, "on", c.get("/account/security"), `data-method="email"`, `id="send-code"`)

	// Mails are told apart by their time.
	clk.Advance(time.Second)
	other := newClient(t, srv)
	other.get("/login")
	wantRedirect(t, "password", other.post("/login", url.Values{"email": {"mailmfa@example.com"}, "password": {password}}), "/login/mfa")
	wantBody(t, "code page", other.get("/login/mfa"), "sent a 6-digit code to your e-mail")
	code = mailedCode.FindStringSubmatch(a.LastMail("mailmfa@example.com"))[1]
	wantRedirect(t, "code", other.post("/login/mfa", url.Values{"code": {code}}), "/")

	clk.Advance(time.Second)
	r = c.post("/account/security/code", nil)
	wantStatus(t, "send code", r, http.StatusOK)
	wantBody(t, "send code", r, `id="code-sent"`, `name="sent" value="1"`)
	code = mailedCode.FindStringSubmatch(a.LastMail("mailmfa@example.com"))[1]
	wantRedirect(t, "disable", c.post("/account/security/disable", url.Values{"code": {code}}), "/account/security")
	wantBody(t, "off", c.get("/account/security"), `data-enabled="false"`)
}

func TestRequireMFA(t *testing.T) {
	clk := clock.NewFake(time.Now())
	srv, a := serverAt(t, clk)
	owner := register(t, srv, "strict@example.com")
	id := createOrg(t, owner, "Strict Ltd")
	settings := "/orgs/" + id + "/settings"
	admin := member(t, a, owner, id, "strictadmin@example.com", access.Admin)
	viewer := member(t, a, owner, id, "strictviewer@example.com", access.Viewer)

	wantBody(t, "owner settings", owner.get(settings), `id="require_mfa"`)
	r := admin.get(settings)
	wantBody(t, "admin settings", r, `id="require-mfa-owner-only"`, "is not required")
	wantNoBody(t, "admin settings", r, `id="require_mfa"`)
	wantStatus(t, "admin sets", admin.post(settings+"/mfa", url.Values{"require_mfa": {"yes"}}), http.StatusForbidden)

	// ID-5: the Owner must have MFA before requiring it.
	r = owner.post(settings+"/mfa", url.Values{"require_mfa": {"yes"}})
	wantStatus(t, "owner without MFA", r, http.StatusBadRequest)
	wantBody(t, "owner without MFA", r, `id="require_mfa-error"`, "turn on two-factor authentication for your own account")
	enableTOTP(t, owner, clk)
	wantRedirect(t, "require", owner.post(settings+"/mfa", url.Values{"require_mfa": {"yes"}}), settings)
	wantBody(t, "required", owner.get(settings), "now required of all members", `id="require_mfa" name="require_mfa" type="checkbox" value="yes" checked`)

	// A member without MFA is sent to enrol, and comes back.
	users := "/orgs/" + id + "/users"
	r = viewer.get(users)
	wantRedirect(t, "viewer", r, securityNextQ+url.QueryEscape(users))
	r = viewer.get(r.location())
	wantBody(t, "security page", r, "This organization requires two-factor authentication", `name="next" value="`+users+`"`)
	wantRedirect(t, "viewer POST", viewer.post("/orgs/"+id+"/folders", url.Values{"name": {"x"}}),
		securityNextQ+url.QueryEscape("/orgs/"+id+"/folders"))
	wantStatus(t, "home still works", viewer.get("/"), http.StatusOK)

	r = viewer.post("/account/security/totp", url.Values{"next": {users}})
	secret := totpSecret.FindStringSubmatch(r.body)[1]
	r = viewer.post("/account/security/totp/confirm", url.Values{"code": {totpCode(t, secret, clk)}, "next": {users}})
	wantBody(t, "enrolled", r, `id="security-continue"`, `href="`+users+`"`)
	wantStatus(t, "viewer after enrolling", viewer.get(users), http.StatusOK)

	wantRedirect(t, "relax", owner.post(settings+"/mfa", nil), settings)
	wantBody(t, "relaxed", owner.get(settings), "no longer required")
}

func TestLoginRateLimited(t *testing.T) {
	srv, _ := server(t)
	register(t, srv, "limited@example.com")
	c := newClient(t, srv)
	c.get("/login")
	// ID-4: failures are limited per account.
	for i := 0; i < account.DefaultLimits.PerAccount; i++ {
		r := c.post("/login", url.Values{"email": {"limited@example.com"}, "password": {"wrong password!!"}})
		wantStatus(t, "wrong password", r, http.StatusUnauthorized)
		wantBody(t, "wrong password", r, "Could not sign in: wrong e-mail or password")
	}
	r := c.post("/login", url.Values{"email": {"limited@example.com"}, "password": {password}})
	wantStatus(t, "limited", r, http.StatusTooManyRequests)
	wantBody(t, "limited", r, "Too many failed sign-ins. Wait ")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}
