package web

import (
	"net/http"
	"strings"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/errs"
)

// registerPage is the data of the registration form.
type registerPage struct {
	MinPassword int
	Next        string
	// Invitation is set when the person came from an invitation link.
	Invitation *invitationNote
}

func (c *call) registerView() *view {
	next := localPath(c.r.FormValue("next"))
	note := c.invitationNote(next) // first: it may choose the page's language
	v := c.view("register.title", "")
	v.Data = registerPage{MinPassword: account.MinPasswordLength, Next: next, Invitation: note}
	return v
}

func (u *UI) registerForm(c *call) {
	if c.signedIn {
		c.redirect("/")
		return
	}
	c.render(http.StatusOK, "register", c.registerView())
}

// register creates the account (ID-1) and signs the new person in. The
// account's language is the page's: the invitation's for a guest who came
// from a link and chose none, so they keep reading it once signed in.
func (u *UI) register(c *call) {
	v := c.registerView()
	email, name, password := c.r.PostFormValue("email"), c.r.PostFormValue("name"), c.r.PostFormValue("password")
	v.Form["email"], v.Form["name"] = email, name
	ctx := c.r.Context()
	if _, err := u.d.Accounts.Register(ctx, account.RegisterInput{Email: email, Name: name, Password: password,
		Lang: c.lang}, c.actor.ClientAddr); err != nil {
		c.failedTo("form.error.register", "register", v, err)
		return
	}
	res, err := u.d.Accounts.Login(ctx, email, password, c.actor.ClientAddr, c.r.UserAgent())
	if err != nil || res.Secret == "" {
		// The account exists; only the automatic sign-in failed (e.g. rate
		// limited): let the person sign in by hand.
		c.flash("flash.registered", "")
		c.redirect("/login")
		return
	}
	c.setSession(res)
	c.flash("flash.welcome", res.User.Name)
	c.redirect(v.Data.(registerPage).Next)
}

// loginPage is the data of the sign-in form.
type loginPage struct {
	Next       string
	Invitation *invitationNote
}

func (c *call) loginView() *view {
	next := localPath(c.r.FormValue("next"))
	note := c.invitationNote(next) // first: it may choose the page's language
	v := c.view("login.title", "")
	v.Data = loginPage{Next: next, Invitation: note}
	return v
}

func (u *UI) loginForm(c *call) {
	if c.signedIn {
		c.redirect(localPath(c.r.FormValue("next")))
		return
	}
	c.render(http.StatusOK, "login", c.loginView())
}

// login opens a session (ID-2); failures are rate limited by the account
// service and never tell whether the e-mail exists (ID-4).
func (u *UI) login(c *call) {
	v := c.loginView()
	email := c.r.PostFormValue("email")
	v.Form["email"] = email
	res, err := u.d.Accounts.Login(c.r.Context(), email, c.r.PostFormValue("password"), c.actor.ClientAddr, c.r.UserAgent())
	if err != nil {
		c.signInFailed("login", "login.ratelimited", "", v, err)
		return
	}
	next := v.Data.(loginPage).Next
	if res.Challenge != nil {
		// The account asks for a second factor (ID-3): no session yet, the
		// code page completes the sign-in.
		c.setChallenge(res.Challenge)
		c.redirect(withNext("/login/mfa", next))
		return
	}
	c.setSession(res)
	c.redirect(next)
}

// logout ends the session and drops its cookie.
func (u *UI) logout(c *call) {
	if c.signedIn {
		if err := u.d.Accounts.Logout(c.r.Context(), c.principal); err != nil {
			c.fail(err)
			return
		}
	}
	c.clearCookie(sessionCookie)
	c.clearCookie(orgCookie)
	c.flash("flash.signedout", "")
	// An invitation for another address signs out to sign in again and
	// come back to it.
	c.redirect(withNext("/login", localPath(c.r.PostFormValue("next"))))
}

// setLang switches the language: a cookie for this browser and, when signed
// in, the person's preference (used by e-mails and other browsers).
func (u *UI) setLang(c *call) {
	lang := c.r.PostFormValue("lang")
	if !isLang(lang) {
		c.fail(errs.InvalidField("lang", "err.account.lang"))
		return
	}
	if c.signedIn && c.principal.User.Lang != lang {
		if _, err := u.d.Accounts.SetLang(c.r.Context(), c.principal, lang); err != nil {
			c.fail(err)
			return
		}
	}
	http.SetCookie(c.w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", HttpOnly: true,
		Secure: u.d.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	c.redirect(localPath(c.r.PostFormValue("next")))
}

// tokensPage is the data of the API tokens page.
type tokensPage struct {
	Tokens  []account.Token
	MinDate string // the earliest expiry date the form offers
	// Created is set once, on the response to the creation: the secret is
	// never shown again.
	Created *createdToken
}

type createdToken struct {
	Token  account.Token
	Secret string
}

func (c *call) tokensView() (*view, error) {
	ts, err := c.u.d.Accounts.Tokens(c.r.Context(), c.principal)
	if err != nil {
		return nil, err
	}
	v := c.view("tokens.title", "")
	v.Data = &tokensPage{Tokens: ts, MinDate: c.now().Add(24 * time.Hour).Format("2006-01-02")}
	return v, nil
}

func (u *UI) tokens(c *call) {
	v, err := c.tokensView()
	if err != nil {
		c.fail(err)
		return
	}
	c.render(http.StatusOK, "tokens", v)
}

// parseExpiry reads the optional expiry date of a token: the token is valid
// through that whole day (UTC).
func parseExpiry(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return nil, errs.InvalidField("expires_at", "err.token.expiry_date")
	}
	end := d.Add(24*time.Hour - time.Second)
	return &end, nil
}

func (u *UI) createToken(c *call) {
	v, err := c.tokensView()
	if err != nil {
		c.fail(err)
		return
	}
	name, expiry := c.r.PostFormValue("name"), c.r.PostFormValue("expires_at")
	v.Form["name"], v.Form["expires_at"] = name, expiry
	exp, err := parseExpiry(expiry)
	if err != nil {
		c.failedTo("form.error.token.create", "tokens", v, err)
		return
	}
	t, secret, err := u.d.Accounts.CreateToken(c.r.Context(), c.principal, name, exp)
	if err != nil {
		c.failedTo("form.error.token.create", "tokens", v, err)
		return
	}
	// Drawn in the response itself, never stored: shown this once (ID-2).
	page := v.Data.(*tokensPage)
	page.Created = &createdToken{Token: t, Secret: secret}
	page.Tokens = append(page.Tokens, t)
	v.Form = map[string]string{}
	c.render(http.StatusCreated, "tokens", v)
}

// token finds one of the caller's tokens, not found for anyone else's.
func (c *call) token(id string) (account.Token, error) {
	ts, err := c.u.d.Accounts.Tokens(c.r.Context(), c.principal)
	if err != nil {
		return account.Token{}, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return account.Token{}, errs.NotFoundf("err.token.not_found", id)
}

func (u *UI) revokeTokenForm(c *call) {
	t, err := c.token(c.r.PathValue("id"))
	if err != nil {
		c.fail(err)
		return
	}
	v := c.view("tokens.revoke.title", "")
	v.Data = t
	c.render(http.StatusOK, "token_revoke", v)
}

func (u *UI) revokeToken(c *call) {
	t, err := c.token(c.r.PathValue("id"))
	if err != nil {
		c.fail(err)
		return
	}
	if err := u.d.Accounts.RevokeToken(c.r.Context(), c.principal, t.ID); err != nil {
		c.fail(err)
		return
	}
	c.flash("flash.token.revoked", t.Name)
	c.redirect("/account/tokens")
}
