package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// personalToken creates a personal API token with a session and returns it.
func (e *env) personalToken(session, name string) string {
	e.t.Helper()
	r := e.call("POST", "/api/v1/me/tokens", session, map[string]any{"name": name})
	e.want(r, 201, "")
	return r.Str("token")
}

// totpNow is the current TOTP code of secret on the server's clock.
func (e *env) totpNow(secret string) string {
	e.t.Helper()
	c, err := account.TOTPCode(secret, account.TOTPStep(e.Clock.Now()))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// ID-2: a personal API token cannot create personal API tokens (a leaked
// one would outlive its own revocation or expiry): only a session from a
// sign-in can, and the refusal says so in the caller's language. A token
// still lists and revokes tokens.
func TestID2_TokensNeedASession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		session, _ := e.user("ann@example.com")
		tok := e.personalToken(session, "ci")
		r := e.call("POST", "/api/v1/me/tokens", tok, map[string]any{"name": "another"})
		e.want(r, 403, "forbidden")
		if !strings.Contains(r.ErrMessage(), "session") {
			t.Errorf("refusal: got %q, want it to say a session is needed", r.ErrMessage())
		}
		fr := e.CallIn("POST", "/api/v1/me/tokens", tok, "fr", map[string]any{"name": "un autre"})
		e.want(fr, 403, "forbidden")
		if !strings.Contains(fr.ErrMessage(), "jeton d'API") {
			t.Errorf("refusal in French: got %q", fr.ErrMessage())
		}
		r = e.call("GET", "/api/v1/me/tokens", tok, nil)
		if items, _ := r.JSON["items"].([]any); r.Status != 200 || len(items) != 1 {
			t.Fatalf("tokens listed with a token: %d %s; want only the first", r.Status, r.Body)
		}
		// A token with an expiry cannot make one without.
		exp := e.Clock.Now().Add(time.Hour)
		short := e.call("POST", "/api/v1/me/tokens", session, map[string]any{"name": "short", "expires_at": exp})
		e.want(short, 201, "")
		e.want(e.call("POST", "/api/v1/me/tokens", short.Str("token"), map[string]any{"name": "forever"}), 403, "forbidden")
		// The session still creates them; a token may revoke one.
		other := e.call("POST", "/api/v1/me/tokens", session, map[string]any{"name": "laptop"})
		e.want(other, 201, "")
		id, _ := other.JSON["detail"].(map[string]any)["id"].(string)
		e.want(e.call("DELETE", "/api/v1/me/tokens/"+id, tok, nil), 204, "")
	})
}

// ID-3: a personal API token cannot change the second factor: not start or
// confirm an enrolment, not replace recovery codes, not ask for an e-mail
// code, not turn it off. A session can; a token still reads the status.
func TestID3_MFAChangesNeedASession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		session, _ := e.user("ann@example.com")
		tok := e.personalToken(session, "ci")
		refused := func(when string) {
			t.Helper()
			for _, c := range []struct {
				method, path string
				body         any
			}{
				{"POST", "/api/v1/me/mfa/totp", nil},
				{"POST", "/api/v1/me/mfa/totp/confirm", map[string]string{"code": "123456"}},
				{"POST", "/api/v1/me/mfa/recovery-codes", map[string]string{"code": "123456"}},
				{"POST", "/api/v1/me/mfa/email", nil},
				{"POST", "/api/v1/me/mfa/email/confirm", map[string]string{"code": "123456"}},
				{"POST", "/api/v1/me/mfa/email/code", nil},
				{"DELETE", "/api/v1/me/mfa", map[string]string{"code": "123456"}},
			} {
				r := e.call(c.method, c.path, tok, c.body)
				if r.Status != 403 || r.ErrCode() != "forbidden" || !strings.Contains(r.ErrMessage(), "session") {
					t.Errorf("%s: %s %s with a token: got %d %s, want 403 forbidden", when, c.method, c.path, r.Status, r.Body)
				}
			}
		}
		refused("MFA off")
		enr := e.call("POST", "/api/v1/me/mfa/totp", session, nil)
		e.want(enr, 200, "")
		refused("enrolment pending")
		secret := enr.Str("secret")
		e.want(e.call("POST", "/api/v1/me/mfa/totp/confirm", session, map[string]string{"code": e.totpNow(secret)}), 200, "")
		refused("TOTP on")
		if r := e.call("GET", "/api/v1/me/mfa", tok, nil); r.Status != 200 || r.JSON["enabled"] != true {
			t.Fatalf("status read with a token: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(30 * time.Second)
		e.want(e.call("POST", "/api/v1/me/mfa/recovery-codes", session, map[string]string{"code": e.totpNow(secret)}), 200, "")
		e.Clock.Advance(30 * time.Second)
		e.want(e.call("DELETE", "/api/v1/me/mfa", session, map[string]string{"code": e.totpNow(secret)}), 204, "")
		if r := e.call("GET", "/api/v1/me/mfa", tok, nil); r.JSON["enabled"] != false {
			t.Fatalf("after turning it off: %s", r.Body)
		}
	})
}

// AUD-1: creating and revoking a personal API token, and turning the
// second factor on or off or replacing recovery codes, are written to the
// audit log of each organization the person belongs to, with who and from
// where; other organizations see nothing.
func TestAUD1_SignInChangesAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		session, annID := e.user("ann@example.com")
		acme := e.org(session, "Acme")
		globex := e.org(session, "Globex")
		bobSession, _ := e.user("bob@example.com")
		elsewhere := e.org(bobSession, "Elsewhere")

		created := e.call("POST", "/api/v1/me/tokens", session, map[string]any{"name": "nightly export"})
		e.want(created, 201, "")
		tokID, _ := created.JSON["detail"].(map[string]any)["id"].(string)
		e.want(e.call("DELETE", "/api/v1/me/tokens/"+tokID, session, nil), 204, "")
		enr := e.call("POST", "/api/v1/me/mfa/totp", session, nil)
		secret := enr.Str("secret")
		e.want(e.call("POST", "/api/v1/me/mfa/totp/confirm", session, map[string]string{"code": e.totpNow(secret)}), 200, "")
		e.Clock.Advance(30 * time.Second)
		e.want(e.call("POST", "/api/v1/me/mfa/recovery-codes", session, map[string]string{"code": e.totpNow(secret)}), 200, "")
		e.Clock.Advance(30 * time.Second)
		e.want(e.call("DELETE", "/api/v1/me/mfa", session, map[string]string{"code": e.totpNow(secret)}), 204, "")
		e.want(e.call("POST", "/api/v1/me/mfa/email", session, nil), 202, "")
		e.want(e.call("POST", "/api/v1/me/mfa/email/confirm", session, map[string]string{"code": outboxCode(t, db, "ann@example.com")}), 200, "")

		for _, org := range []string{acme, globex} {
			for _, c := range []struct {
				action string
				detail string
				want   any
			}{
				{audit.AccountTokenCreate, "name", "nightly export"},
				{audit.AccountTokenRevoke, "name", "nightly export"},
				{audit.AccountMFAEnable, "method", "totp"},
				{audit.AccountRecoveryCodes, "", nil},
				{audit.AccountMFADisable, "method", "totp"},
			} {
				es := e.Audited(org, c.action)
				if len(es) == 0 {
					t.Errorf("%s: no %s entry", org, c.action)
					continue
				}
				got := es[len(es)-1]
				if got.Actor.ID != annID || got.Actor.ClientAddr == "" || got.TargetID != annID ||
					(c.detail != "" && got.Details[c.detail] != c.want) {
					t.Errorf("%s %s: got %+v", org, c.action, got)
				}
			}
			if es := e.Audited(org, audit.AccountMFAEnable); len(es) != 2 || es[0].Details["method"] != "email" {
				t.Errorf("%s: MFA turned on twice (TOTP, then e-mail): got %+v", org, es)
			}
		}
		for _, a := range []string{audit.AccountTokenCreate, audit.AccountTokenRevoke, audit.AccountMFAEnable, audit.AccountMFADisable, audit.AccountRecoveryCodes} {
			if es := e.Audited(elsewhere, a); len(es) != 0 {
				t.Errorf("an organization Ann is not in has her %s: %+v", a, es)
			}
		}
	})
}
