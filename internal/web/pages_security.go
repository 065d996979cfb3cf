package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"mysystems/internal/account"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
)

// mfaCookie holds the secret of a sign-in waiting for its second step (the
// method, a dot, the challenge secret): HttpOnly, sent only to /login, and
// as short-lived as the challenge.
const mfaCookie = "mysystems_mfa"

// securityPage is the data of Account settings → Security settings: the
// two-factor status and the one step of a flow in progress.
type securityPage struct {
	Status account.MFAStatus
	Next   string // where a member sent here by an organization goes back to
	// Setup is the TOTP enrolment just started: QR code, secret, link.
	Setup *totpSetup
	// EmailSentTo is set while turning e-mail codes on: the code went there.
	EmailSentTo string
	// CodeSent: a code to turn e-mail codes off is on its way.
	CodeSent bool
	// RecoveryCodes are shown once, on the response that made them.
	RecoveryCodes []string
	CodeMinutes   int
	// Now is when the page is drawn: the date of the recovery codes' file.
	Now time.Time
}

// totpSetup is what an authenticator app needs. The QR code is an inline
// PNG (the pages' Content-Security-Policy allows data: images).
type totpSetup struct {
	QR     template.URL
	Secret string
	Link   template.URL
	// Raw is the otpauth:// URL, posted back with the first code so that a
	// mistyped code redraws the same QR code. It only draws the page: the
	// service checks the code against the secret it keeps.
	Raw string
}

func newTOTPSetup(e account.TOTPEnrolment) *totpSetup {
	return &totpSetup{QR: pngURL(e.QRPNG), Secret: e.Secret, Link: template.URL(e.URL), Raw: e.URL}
}

func pngURL(b []byte) template.URL {
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
}

// redrawTOTP rebuilds the setup from its otpauth:// URL; nil if it is not
// one.
func redrawTOTP(raw string) *totpSetup {
	if !strings.HasPrefix(raw, "otpauth://totp/") || len(raw) > 1000 {
		return nil
	}
	key, err := otp.NewKeyFromURL(raw)
	if err != nil || key.Secret() == "" {
		return nil
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return nil
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil
	}
	return newTOTPSetup(account.TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()})
}

func (c *call) securityView() (*view, error) {
	st, err := c.u.d.Accounts.MFAStatus(c.r.Context(), c.principal.User.ID)
	if err != nil {
		return nil, err
	}
	v := c.view("security.title", "")
	v.Data = &securityPage{Status: st, Next: localPath(c.r.FormValue("next")), CodeMinutes: codeMinutes, Now: c.now()}
	return v, nil
}

// securityFailed re-renders the page with err; a code error is shown next
// to the code field of the form that was sent (the page can hold several),
// or at the top of the page when that form has none ("").
func (c *call) securityFailed(v *view, field string, err error) {
	if e, ok := errs.As(err); ok && e.Field == "code" && field != "" {
		cp := *e
		cp.Field = field
		err = &cp
	}
	c.failedTo("form.error.security", "security", v, err)
}

// securityForm answers a form of the Security settings page: act does the
// form's work on the page's data. Its error shows the page again, next to
// the code field named field; otherwise the page is shown as act left it,
// or act returns where to go instead.
func (u *UI) securityForm(c *call, field string, act func(page *securityPage) (redirect string, err error)) {
	v, err := c.securityView()
	if err != nil {
		c.fail(err)
		return
	}
	redirect, err := act(v.Data.(*securityPage))
	switch {
	case err != nil:
		c.securityFailed(v, field, err)
	case redirect != "":
		c.redirect(redirect)
	default:
		c.render(http.StatusOK, "security", v)
	}
}

// showRecoveryCodes shows new recovery codes, this once, with the status
// they changed.
func (c *call) showRecoveryCodes(page *securityPage, codes []string) error {
	st, err := c.u.d.Accounts.MFAStatus(c.r.Context(), c.principal.User.ID)
	if err != nil {
		return err
	}
	page.Status, page.RecoveryCodes = st, codes
	return nil
}

func (u *UI) security(c *call) {
	v, err := c.securityView()
	if err != nil {
		c.fail(err)
		return
	}
	c.render(http.StatusOK, "security", v)
}

// startTOTP shows a new TOTP secret as a QR code, as text and as a link,
// with the field for the first code that confirms it (ID-3).
func (u *UI) startTOTP(c *call) {
	u.securityForm(c, "", func(page *securityPage) (string, error) {
		enr, err := u.d.Accounts.StartTOTP(c.r.Context(), c.principal)
		if err == nil {
			page.Setup = newTOTPSetup(enr)
		}
		return "", err
	})
}

// confirmTOTP turns TOTP on and shows the recovery codes, this once.
func (u *UI) confirmTOTP(c *call) {
	u.securityForm(c, "totp_code", func(page *securityPage) (string, error) {
		codes, err := u.d.Accounts.ConfirmTOTP(c.r.Context(), c.principal, c.r.PostFormValue("code"))
		if err != nil {
			page.Setup = redrawTOTP(c.r.PostFormValue("otpauth"))
			return "", err
		}
		return "", c.showRecoveryCodes(page, codes)
	})
}

// startEmailMFA sends a code to the account's address; entering it turns
// e-mail codes on.
func (u *UI) startEmailMFA(c *call) {
	u.securityForm(c, "", func(page *securityPage) (string, error) {
		_, err := u.d.Accounts.StartEmailMFA(c.r.Context(), c.principal)
		if err == nil {
			page.EmailSentTo = c.principal.User.Email
		}
		return "", err
	})
}

func (u *UI) confirmEmailMFA(c *call) {
	u.securityForm(c, "email_code", func(page *securityPage) (string, error) {
		if err := u.d.Accounts.ConfirmEmailMFA(c.r.Context(), c.principal, c.r.PostFormValue("code")); err != nil {
			page.EmailSentTo = c.principal.User.Email
			return "", err
		}
		c.flash("flash.mfa.email", "")
		if page.Next != "/" {
			return page.Next, nil
		}
		return "/account/security", nil
	})
}

// sendMFACode e-mails a code that confirms turning e-mail codes off.
func (u *UI) sendMFACode(c *call) {
	u.securityForm(c, "", func(page *securityPage) (string, error) {
		_, err := u.d.Accounts.SendMFACode(c.r.Context(), c.principal)
		if err == nil {
			page.CodeSent = true
		}
		return "", err
	})
}

// disableMFA turns two-factor authentication off with a current code, or
// cancels an enrolment that was never confirmed.
func (u *UI) disableMFA(c *call) {
	u.securityForm(c, "disable_code", func(page *securityPage) (string, error) {
		if err := u.d.Accounts.DisableMFA(c.r.Context(), c.principal, c.r.PostFormValue("code")); err != nil {
			page.CodeSent = page.Status.Method == account.MFAEmail && c.r.PostFormValue("sent") == "1"
			return "", err
		}
		if page.Status.Enabled {
			c.flash("flash.mfa.off", "")
		} else {
			c.flash("flash.mfa.canceled", "")
		}
		return "/account/security", nil
	})
}

// regenerateRecovery replaces the recovery codes, given a current code.
func (u *UI) regenerateRecovery(c *call) {
	u.securityForm(c, "recovery_code", func(page *securityPage) (string, error) {
		codes, err := u.d.Accounts.RegenerateRecoveryCodes(c.r.Context(), c.principal, c.r.PostFormValue("code"))
		if err != nil {
			return "", err
		}
		return "", c.showRecoveryCodes(page, codes)
	})
}

// setChallenge keeps a sign-in's second step for the code page.
func (c *call) setChallenge(ch *account.MFAChallenge) {
	age := int(ch.ExpiresAt.Sub(c.now()).Seconds())
	if age < 1 {
		age = 1
	}
	http.SetCookie(c.w, &http.Cookie{Name: mfaCookie, Value: string(ch.Method) + "." + ch.Secret, Path: "/login",
		HttpOnly: true, Secure: c.u.d.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: age})
}

// challenge returns the method and secret of the pending second step.
func (c *call) challenge() (account.MFAMethod, string, bool) {
	ck, err := c.r.Cookie(mfaCookie)
	if err != nil {
		return "", "", false
	}
	method, secret, ok := strings.Cut(ck.Value, ".")
	if !ok || !strings.HasPrefix(secret, account.MFAChallengePrefix) {
		return "", "", false
	}
	m := account.MFAMethod(method)
	if m != account.MFATOTP && m != account.MFAEmail {
		return "", "", false
	}
	return m, secret, true
}

func (c *call) clearChallenge() {
	http.SetCookie(c.w, &http.Cookie{Name: mfaCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true,
		Secure: c.u.d.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// mfaLoginPage is the data of the second step of a sign-in.
type mfaLoginPage struct {
	Method      account.MFAMethod
	Next        string
	CodeMinutes int
}

func withNext(path, next string) string {
	if next == "/" || next == "" {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
}

func (u *UI) mfaLoginForm(c *call) {
	next := localPath(c.r.FormValue("next"))
	if c.signedIn {
		c.redirect(next)
		return
	}
	method, _, ok := c.challenge()
	if !ok {
		c.redirect(withNext("/login", next))
		return
	}
	v := c.view("mfalogin.title", "")
	v.Data = mfaLoginPage{Method: method, Next: next, CodeMinutes: codeMinutes}
	c.render(http.StatusOK, "login_mfa", v)
}

// mfaLogin completes a sign-in with a TOTP, e-mail or recovery code (ID-3);
// wrong codes are limited by the account service (ID-4).
func (u *UI) mfaLogin(c *call) {
	next := localPath(c.r.PostFormValue("next"))
	method, secret, ok := c.challenge()
	if !ok {
		c.flash("flash.mfa.expired", "")
		c.redirect(withNext("/login", next))
		return
	}
	res, err := u.d.Accounts.CompleteMFA(c.r.Context(), secret, c.r.PostFormValue("code"), c.actor.ClientAddr, c.r.UserAgent())
	if err == nil {
		c.clearChallenge()
		c.setSession(res)
		c.redirect(next)
		return
	}
	if errors.Is(err, account.ErrMFAChallenge) {
		c.clearChallenge()
		c.flash("flash.mfa.expired", "")
		c.redirect(withNext("/login", next))
		return
	}
	v := c.view("mfalogin.title", "")
	v.Data = mfaLoginPage{Method: method, Next: next, CodeMinutes: codeMinutes}
	c.signInFailed("login_mfa", "mfalogin.ratelimited", "code", v, err)
}

// signInFailed re-renders a sign-in step with err: a rate limit says how
// long to wait (ID-4), anything else is "could not sign in" with the
// service's reason, shown next to field too.
func (c *call) signInFailed(page, rateKey, field string, v *view, err error) {
	e, ok := errs.As(err)
	status := edge.Status(err)
	if !ok || status >= 500 {
		c.fail(err)
		return
	}
	if e.RetryAfterSeconds > 0 {
		c.w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfterSeconds))
	}
	if e.Code == errs.RateLimited {
		minutes := max((e.RetryAfterSeconds+59)/60, 1)
		v.FormError = c.t(rateKey, minutes)
	} else {
		if e.Field != "" {
			field = e.Field
		}
		if field != "" {
			v.Errors[field] = e.In(c.lang)
		}
		v.FormError = c.t("login.failed", e.In(c.lang))
	}
	c.render(status, page, v)
}

// codeMinutes is how long an e-mailed code lives, for the pages.
const codeMinutes = int(account.EmailCodeTTL / time.Minute)
