package httpapi_test

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// oathtool computes a TOTP code with an independent implementation (OATH
// Toolkit, Debian package oathtool) at the given time.
func oathtool(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("oathtool is not installed: CI must run the independent TOTP check (apt-get install oathtool)")
		}
		t.Skip("oathtool not installed (apt-get install oathtool; scripts/test.sh installs it)")
	}
	out, err := exec.Command(path, "--totp", "-b", secret, "--now", at.UTC().Format("2006-01-02 15:04:05 UTC")).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	code := strings.TrimSpace(string(out))
	if !regexp.MustCompile(`^\d{6}$`).MatchString(code) {
		t.Fatalf("oathtool printed %q", code)
	}
	return code
}

// outboxCode reads the code of the newest MFA e-mail to `to` through a
// connection of its own: the message must be committed.
func outboxCode(t *testing.T, db *store.DB, to string) string {
	t.Helper()
	driver, dsn, q := "sqlite", "file:"+db.DSN(), `SELECT body_text FROM mail_outbox WHERE recipient = ? AND kind = 'mfa_code' ORDER BY created_at DESC, id DESC LIMIT 1`
	if store.IsPostgres(db.DSN()) {
		driver, dsn, q = "pgx", db.DSN(), strings.Replace(q, "?", "$1", 1)
	}
	conn, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var body string
	if err := conn.QueryRow(q, to).Scan(&body); err != nil {
		t.Fatalf("no mfa_code mail to %s in the outbox: %v", to, err)
	}
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(body)
	if code == "" {
		t.Fatalf("no code in the mail: %q", body)
	}
	return code
}

func (e *env) mfaLogin(email string) resp {
	e.t.Helper()
	return e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "a long enough passphrase"})
}

// loginChallenge signs in a person with MFA and returns the challenge.
func (e *env) mfaChallenge(email, method string) string {
	e.t.Helper()
	r := e.mfaLogin(email)
	if r.Status != 200 || r.JSON["mfa_required"] != true || r.Str("method") != method || r.Str("token") != "" ||
		r.JSON["user"] != nil || !strings.HasPrefix(r.Str("challenge"), "msm_") {
		e.t.Fatalf("login with MFA (%s): %d %s", method, r.Status, r.Body)
	}
	return r.Str("challenge")
}

func (e *env) mfaStatus(tok string) map[string]any {
	e.t.Helper()
	r := e.call("GET", "/api/v1/me", tok, nil)
	m, ok := r.JSON["mfa"].(map[string]any)
	if r.Status != 200 || !ok {
		e.t.Fatalf("me: %d %s", r.Status, r.Body)
	}
	return m
}

// ID-3 acceptance: codes from an independent TOTP implementation are
// accepted, and the same code a second time is refused.
func TestID3_MFATOTPWithOathtool(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tok, _ := e.user("tess@example.com")
		if m := e.mfaStatus(tok); m["enabled"] != false || m["method"] != "" || m["recovery_codes_left"] != 0.0 {
			t.Fatalf("mfa before enrolment: %v", m)
		}
		r := e.call("POST", "/api/v1/me/mfa/totp", tok, nil)
		if r.Status != 200 {
			t.Fatalf("start totp: %d %s", r.Status, r.Body)
		}
		secret := r.Str("secret")
		u, err := url.Parse(r.Str("otpauth_url"))
		if err != nil || u.Scheme != "otpauth" || u.Query().Get("secret") != secret || u.Query().Get("issuer") != "My Systems" ||
			!strings.Contains(u.Path, "tess@example.com") {
			t.Fatalf("otpauth_url %q", r.Str("otpauth_url"))
		}
		raw, err := base64.StdEncoding.DecodeString(r.Str("qr_png_base64"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
			t.Fatalf("qr_png_base64 is not a PNG: %v", err)
		}
		if m := e.mfaStatus(tok); m["enabled"] != false || m["pending"] != "totp" {
			t.Fatalf("mfa while pending: %v", m)
		}
		e.want(e.call("POST", "/api/v1/me/mfa/totp/confirm", tok, map[string]string{"code": "000000"}), 400, "invalid")
		first := oathtool(t, secret, e.Clock.Now())
		r = e.call("POST", "/api/v1/me/mfa/totp/confirm", tok, map[string]string{"code": first})
		codes, _ := r.JSON["recovery_codes"].([]any)
		if r.Status != 200 || len(codes) != 10 {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		if m := e.mfaStatus(tok); m["enabled"] != true || m["method"] != "totp" || m["recovery_codes_left"] != 10.0 {
			t.Fatalf("mfa after enrolment: %v", m)
		}
		e.want(e.call("POST", "/api/v1/me/mfa/totp", tok, nil), 409, "conflict")

		t.Run("ErrConfirmationCodeReplayed", func(t *testing.T) {
			ch := e.mfaChallenge("tess@example.com", "totp")
			e.want(e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": first}), 401, "unauthenticated")
		})
		e.Clock.Advance(30 * time.Second)
		code := oathtool(t, secret, e.Clock.Now())
		t.Run("OK", func(t *testing.T) {
			ch := e.mfaChallenge("tess@example.com", "totp")
			r := e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": code})
			if r.Status != 200 || !strings.HasPrefix(r.Str("token"), "mss_") || r.Str("expires_at") == "" {
				t.Fatalf("second step: %d %s", r.Status, r.Body)
			}
			if r := e.call("GET", "/api/v1/me", r.Str("token"), nil); r.Status != 200 {
				t.Fatalf("me with the new session: %d %s", r.Status, r.Body)
			}
		})
		t.Run("ErrSameCodeTwice", func(t *testing.T) {
			ch := e.mfaChallenge("tess@example.com", "totp")
			e.want(e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": code}), 401, "unauthenticated")
		})
		t.Run("OK/skew", func(t *testing.T) {
			e.Clock.Advance(time.Minute)
			ch := e.mfaChallenge("tess@example.com", "totp")
			prev := oathtool(t, secret, e.Clock.Now().Add(-30*time.Second))
			if r := e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": prev}); r.Status != 200 {
				t.Fatalf("code of the previous step: %d %s", r.Status, r.Body)
			}
		})
		t.Run("ErrBadChallenge", func(t *testing.T) {
			e.want(e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": "msm_nope", "code": code}), 401, "unauthenticated")
			e.want(e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": "x"}), 401, "unauthenticated")
			e.want(e.call("POST", "/api/v1/auth/mfa", "", `{"challenge":1}`), 400, "invalid")
		})
		t.Run("AttemptLimits", func(t *testing.T) {
			e.Clock.Advance(time.Hour)
			ch := e.mfaChallenge("tess@example.com", "totp")
			for i := 0; i < 5; i++ {
				e.want(e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": "000000"}), 401, "unauthenticated")
			}
			// The challenge is spent: even the right code needs a new sign-in.
			good := oathtool(t, secret, e.Clock.Now())
			e.want(e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": good}), 401, "unauthenticated")
			ch = e.mfaChallenge("tess@example.com", "totp")
			for i := 0; i < 5; i++ { // 10 wrong codes in the window for the account
				e.want(e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": "000000"}), 401, "unauthenticated")
			}
			ch = e.mfaChallenge("tess@example.com", "totp")
			r := e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": good})
			e.want(r, 429, "rate_limited")
			if r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			e.Clock.Advance(16 * time.Minute)
			ch = e.mfaChallenge("tess@example.com", "totp")
			if r := e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": oathtool(t, secret, e.Clock.Now())}); r.Status != 200 {
				t.Fatalf("after the window: %d %s", r.Status, r.Body)
			}
		})
		t.Run("RecoveryCodes", func(t *testing.T) {
			rc := codes[0].(string)
			ch := e.mfaChallenge("tess@example.com", "totp")
			if r := e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": rc}); r.Status != 200 {
				t.Fatalf("recovery code: %d %s", r.Status, r.Body)
			}
			ch = e.mfaChallenge("tess@example.com", "totp")
			e.want(e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": rc}), 401, "unauthenticated")
			if m := e.mfaStatus(tok); m["recovery_codes_left"] != 9.0 {
				t.Fatalf("recovery codes left: %v", m)
			}
			e.Clock.Advance(time.Minute)
			r := e.call("POST", "/api/v1/me/mfa/recovery-codes", tok, map[string]string{"code": oathtool(t, secret, e.Clock.Now())})
			if fresh, _ := r.JSON["recovery_codes"].([]any); r.Status != 200 || len(fresh) != 10 {
				t.Fatalf("regenerate: %d %s", r.Status, r.Body)
			}
		})
		t.Run("Disable", func(t *testing.T) {
			e.Clock.Advance(time.Minute)
			e.want(e.call("DELETE", "/api/v1/me/mfa", tok, map[string]string{"code": "000000"}), 400, "invalid")
			e.want(e.call("DELETE", "/api/v1/me/mfa", tok, nil), 400, "invalid")
			e.want(e.call("POST", "/api/v1/me/mfa/email/code", tok, nil), 400, "invalid") // TOTP users use the app
			e.want(e.call("DELETE", "/api/v1/me/mfa", tok, map[string]string{"code": oathtool(t, secret, e.Clock.Now())}), 204, "")
			if m := e.mfaStatus(tok); m["enabled"] != false {
				t.Fatalf("mfa after disable: %v", m)
			}
			if r := e.mfaLogin("tess@example.com"); r.Status != 200 || r.Str("token") == "" || r.JSON["mfa_required"] != nil {
				t.Fatalf("login after disable: %d %s", r.Status, r.Body)
			}
		})
	})
}

// ID-3: e-mail codes through the API; the login code is in the outbox,
// committed with the challenge, when the login answers.
func TestID3_MFAEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tok, _ := e.user("emil@example.com")
		r := e.call("POST", "/api/v1/me/mfa/email", tok, nil)
		if r.Status != 202 || r.Str("sent_to") != "emil@example.com" || r.Str("expires_at") != "2026-03-01T09:10:00Z" {
			t.Fatalf("start email: %d %s", r.Status, r.Body)
		}
		code := outboxCode(t, db, "emil@example.com")
		e.want(e.call("POST", "/api/v1/me/mfa/email/confirm", tok, map[string]string{"code": "000000"}), 400, "invalid")
		r = e.call("POST", "/api/v1/me/mfa/email/confirm", tok, map[string]string{"code": code})
		if r.Status != 200 || r.JSON["enabled"] != true || r.Str("method") != "email" {
			t.Fatalf("confirm email: %d %s", r.Status, r.Body)
		}

		e.Clock.Advance(time.Second)
		ch := e.mfaChallenge("emil@example.com", "email")
		code = outboxCode(t, db, "emil@example.com")
		r = e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": code})
		if r.Status != 200 || r.Str("token") == "" {
			t.Fatalf("second step with the e-mailed code: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(time.Second)
		ch = e.mfaChallenge("emil@example.com", "email")
		e.want(e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": code}), 401, "unauthenticated")

		t.Run("ErrExpired", func(t *testing.T) {
			e.Clock.Advance(time.Second)
			ch := e.mfaChallenge("emil@example.com", "email")
			code := outboxCode(t, db, "emil@example.com")
			e.Clock.Advance(10 * time.Minute)
			e.want(e.call("POST", "/api/v1/auth/mfa", "", map[string]string{"challenge": ch, "code": code}), 401, "unauthenticated")
		})
		t.Run("Disable", func(t *testing.T) {
			e.Clock.Advance(time.Hour)
			r := e.call("POST", "/api/v1/me/mfa/email/code", tok, nil)
			if r.Status != 202 {
				t.Fatalf("send code: %d %s", r.Status, r.Body)
			}
			code := outboxCode(t, db, "emil@example.com")
			e.want(e.call("DELETE", "/api/v1/me/mfa", tok, map[string]string{"code": code}), 204, "")
			if m := e.mfaStatus(tok); m["enabled"] != false {
				t.Fatalf("mfa after disable: %v", m)
			}
		})
	})
}
