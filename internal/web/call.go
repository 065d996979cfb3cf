package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
	"mysystems/internal/org"
	"mysystems/internal/text"
)

// Cookie names.
const (
	sessionCookie = "mysystems_session"
	csrfCookie    = "mysystems_csrf"
	flashCookie   = "mysystems_flash"
	langCookie    = "lang"
	// orgCookie remembers the organization the person last worked in, so
	// that the pages of their account (security, API tokens) keep its side
	// panel and switcher.
	orgCookie = "mysystems_org"
)

// maxForm bounds the body of a form post.
const maxForm = 1 << 20

// call is one request being handled by a page.
type call struct {
	u *UI
	w http.ResponseWriter
	r *http.Request

	lang string
	csrf string

	signedIn  bool
	principal account.Principal
	actor     audit.Actor

	// Set on organization pages: the caller is a member of an active
	// organization, read fresh for this request.
	org    *org.Org
	member org.Membership

	mine       []org.Mine // the caller's organizations, loaded once
	mineLoaded bool
}

type mode int

const (
	modePublic  mode = iota // anyone; the session is read if present
	modePrivate             // a signed-in person
	modeAccount             // a signed-in person, in the organization they last worked in, if any
	modeOrg                 // a signed-in member of the {org} in the path
)

func (u *UI) public(fn func(*call)) http.Handler  { return u.wrap(modePublic, fn) }
func (u *UI) private(fn func(*call)) http.Handler { return u.wrap(modePrivate, fn) }
func (u *UI) inOrg(fn func(*call)) http.Handler   { return u.wrap(modeOrg, fn) }

// account is private for the pages of a person's account: they are drawn
// in the organization the person last worked in (its side panel and
// switcher), when they still are a member of it.
func (u *UI) account(fn func(*call)) http.Handler { return u.wrap(modeAccount, fn) }

func (u *UI) wrap(m mode, fn func(*call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{u: u, w: w, r: r}
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

		// Before the session is read: the path, the query and the headers
		// hold text the database can take (edge.CheckRequest).
		if err := edge.CheckRequest(r); err != nil {
			c.lang = c.chooseLang()
			c.ensureCSRF()
			c.fail(err)
			return
		}
		if !c.authenticate() {
			return
		}
		c.lang = c.chooseLang()
		c.actor.Lang = c.lang
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if !c.checkCSRF() {
				return
			}
		}
		c.ensureCSRF()

		if m >= modePrivate && !c.signedIn {
			c.toLogin()
			return
		}
		if m == modeOrg {
			o, mem, err := u.d.Orgs.Enter(r.Context(), c.actor, r.PathValue("org"))
			if err != nil {
				c.fail(err)
				return
			}
			c.org, c.member = &o, mem
			c.rememberOrg()
		}
		if m == modeAccount {
			c.enterRemembered()
		}
		fn(c)
	})
}

// rememberOrg keeps the organization of this page as the person's current
// one (orgCookie).
func (c *call) rememberOrg() {
	if ck, err := c.r.Cookie(orgCookie); err == nil && ck.Value == c.org.ID {
		return
	}
	http.SetCookie(c.w, &http.Cookie{Name: orgCookie, Value: c.org.ID, Path: "/", HttpOnly: true,
		Secure: c.u.d.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 30 * 24 * 3600})
}

// enterRemembered enters the organization the person last worked in, for a
// page of their account. One they can no longer enter (left, archived,
// another person's) leaves the page without one.
func (c *call) enterRemembered() {
	ck, err := c.r.Cookie(orgCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return
	}
	o, mem, err := c.u.d.Orgs.Enter(c.r.Context(), c.actor, ck.Value)
	if err != nil {
		if status := edge.Status(err); status >= 500 {
			c.u.d.Log.ErrorContext(c.r.Context(), "web: enter the remembered organization", "err", err)
		}
		return
	}
	c.org, c.member = &o, mem
}

// authenticate reads the session cookie. A missing, expired or revoked
// session makes an anonymous request (and drops the cookie); only a store
// failure stops the request.
func (c *call) authenticate() bool {
	c.actor = audit.Actor{ClientAddr: edge.ClientAddr(c.r, c.u.d.TrustProxy)}
	ck, err := c.r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return true
	}
	// Only sessions sign a browser in: an API token pasted into the cookie
	// is not a web session.
	if !strings.HasPrefix(ck.Value, account.SessionPrefix) {
		c.clearCookie(sessionCookie)
		return true
	}
	p, err := c.u.d.Accounts.Authenticate(c.r.Context(), ck.Value)
	if errs.Is(err, errs.Unauthenticated) {
		c.clearCookie(sessionCookie)
		return true
	}
	if err != nil {
		c.lang = c.chooseLang()
		c.fail(err)
		return false
	}
	p.ClientAddr = c.actor.ClientAddr
	c.signedIn, c.principal = true, p
	c.actor.Kind, c.actor.ID, c.actor.Email = audit.KindUser, p.User.ID, p.User.Email
	return true
}

// chooseLang applies the language rule: the lang cookie, else the signed-in
// person's preference, else the browser's Accept-Language.
func (c *call) chooseLang() string {
	if ck, err := c.r.Cookie(langCookie); err == nil && isLang(ck.Value) {
		return ck.Value
	}
	if c.signedIn && isLang(c.principal.User.Lang) {
		return c.principal.User.Lang
	}
	return acceptLang(c.r.Header.Get("Accept-Language"))
}

func isLang(s string) bool { return i18n.IsLang(s) }

// acceptLang picks the browser's most preferred language that the catalogues have.
func acceptLang(h string) string { return i18n.Match(h) }

// newToken returns 32 random bytes, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func validToken(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// ensureCSRF makes sure the browser holds a CSRF cookie, so that any form
// on the page can carry its value (double-submit).
func (c *call) ensureCSRF() {
	if c.csrf != "" {
		return
	}
	if ck, err := c.r.Cookie(csrfCookie); err == nil && validToken(ck.Value) {
		c.csrf = ck.Value
		return
	}
	c.csrf = newToken()
	http.SetCookie(c.w, &http.Cookie{Name: csrfCookie, Value: c.csrf, Path: "/", HttpOnly: true,
		Secure: c.u.d.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
}

// checkCSRF refuses a state-changing request whose form token does not
// match its cookie. The refusal page carries a fresh token, so reloading the
// form and sending it again works.
func (c *call) checkCSRF() bool {
	if !c.parseForm() {
		return false
	}
	ck, err := c.r.Cookie(csrfCookie)
	if err == nil && validToken(ck.Value) {
		form := c.r.PostFormValue("csrf")
		if subtle.ConstantTimeCompare([]byte(form), []byte(ck.Value)) == 1 {
			c.csrf = ck.Value
			return true
		}
	}
	c.ensureCSRF()
	c.renderError(http.StatusForbidden, "error.csrf.title", c.t("error.csrf.body"), "")
	return false
}

// parseForm reads the form of a POST, a file upload included. A body over
// maxForm is refused as too large rather than read as a form without its
// CSRF token, and a field that is not text the database can hold
// (edge.CheckForm) as invalid.
func (c *call) parseForm() bool {
	err := c.r.ParseMultipartForm(maxForm)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		c.ensureCSRF()
		c.renderError(http.StatusRequestEntityTooLarge, "error.toolarge.title", c.t("error.toolarge.body", maxForm>>20), "")
		return false
	}
	if err := edge.CheckForm(c.r.Form); err != nil {
		c.ensureCSRF()
		c.fail(err)
		return false
	}
	return true
}

// toLogin sends an anonymous visitor to the sign-in page, remembering where
// they were going when that was a page (GET).
func (c *call) toLogin() {
	target := "/login"
	if c.r.Method == http.MethodGet {
		if next := c.r.URL.RequestURI(); next != "/" {
			target += "?next=" + url.QueryEscape(next)
		}
	}
	c.redirect(target)
}

// localPath returns next when it is a path on this site, else "/". It
// refuses scheme-relative ("//host") and backslash tricks that browsers
// treat as another host.
func localPath(next string) string {
	if next == "" || len(next) > 2000 || next[0] != '/' || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

func (c *call) redirect(to string) { http.Redirect(c.w, c.r, to, http.StatusSeeOther) }

func (c *call) clearCookie(name string) {
	http.SetCookie(c.w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: c.u.d.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (c *call) setSession(res account.LoginResult) {
	http.SetCookie(c.w, &http.Cookie{Name: sessionCookie, Value: res.Secret, Path: "/", HttpOnly: true,
		Secure: c.u.d.SecureCookies, SameSite: http.SameSiteLaxMode, Expires: res.Session.ExpiresAt})
}

// flash is a one-time message shown on the next page: a catalogue key and
// an optional argument (a name), kept in a short-lived cookie.
func (c *call) flash(key, arg string) {
	arg = text.Cut(arg, 200)
	v := base64.RawURLEncoding.EncodeToString([]byte(key + "\x00" + arg))
	http.SetCookie(c.w, &http.Cookie{Name: flashCookie, Value: v, Path: "/", HttpOnly: true,
		Secure: c.u.d.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

// takeFlash returns and clears the pending flash message, translated. An
// unknown key (a forged cookie) shows nothing.
func (c *call) takeFlash() string {
	ck, err := c.r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	c.clearCookie(flashCookie)
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return ""
	}
	key, arg, _ := strings.Cut(string(b), "\x00")
	if !hasKey(key) || !strings.HasPrefix(key, "flash.") {
		return ""
	}
	if n, err := strconv.Atoi(arg); err == nil && i18n.IsPlural(key) {
		return c.t(key, n)
	}
	if arg != "" {
		return c.t(key, arg)
	}
	return c.t(key)
}

// myOrgs lists the caller's active organizations (for the switcher and the
// home page).
func (c *call) myOrgs() ([]org.Mine, error) {
	if c.mineLoaded || !c.signedIn {
		return c.mine, nil
	}
	mine, err := everyPage(func(p org.Page) ([]org.Mine, string, error) {
		return c.u.d.Orgs.Mine(c.r.Context(), c.principal.User.ID, p)
	})
	if err != nil {
		return nil, err
	}
	c.mine, c.mineLoaded = mine, true
	return c.mine, nil
}

// everyPage gathers every page of a list, 500 items at a time.
func everyPage[T any](list func(org.Page) ([]T, string, error)) ([]T, error) {
	var out []T
	p := org.Page{Limit: 500}
	for {
		page, next, err := list(p)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		p.Cursor = next
	}
}

// can reports whether the caller's role in the current organization allows
// action.
func (c *call) can(a access.Action) bool { return c.org != nil && access.Allows(c.member.Role, a) }

// allowed reports whether the caller's role in the current organization
// allows action; if not, it shows the refusal.
func (c *call) allowed(a access.Action) bool {
	if err := access.Check(c.member.Role, a); err != nil {
		c.fail(err)
		return false
	}
	return true
}

func (c *call) now() time.Time { return c.u.d.Clock.Now() }
