package account_test

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"testing"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// The MFA use cases over a real store (SQLite, and PostgreSQL when
// configured) with a fake clock.

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

const (
	password = "a long enough passphrase"
	addr     = "192.0.2.7"
)

type mfaEnv struct {
	t     *testing.T
	db    *store.DB
	clock *clock.Fake
	svc   *account.Service
	ctx   context.Context
}

func newMFAEnv(t *testing.T, db *store.DB) *mfaEnv {
	cfg := account.DefaultConfig()
	cfg.Hash = account.TestHashParams
	c := clock.NewFake(t0)
	return &mfaEnv{t: t, db: db, clock: c, svc: account.NewService(db.Accounts(), c, cfg), ctx: context.Background()}
}

// person registers someone, signs them in and returns their principal:
// changes to the second factor take a session.
func (e *mfaEnv) person(email, lang string) account.Principal {
	e.t.Helper()
	if _, err := e.svc.Register(e.ctx, account.RegisterInput{Email: email, Name: "N " + email, Password: password, Lang: lang}, addr); err != nil {
		e.t.Fatalf("register: %v", err)
	}
	res, err := e.svc.Login(e.ctx, email, password, addr, "test")
	if err != nil {
		e.t.Fatalf("login: %v", err)
	}
	p, err := e.svc.Authenticate(e.ctx, res.Secret)
	if err != nil {
		e.t.Fatalf("authenticate: %v", err)
	}
	return p
}

func (e *mfaEnv) totpCode(secret string, at time.Time) string {
	e.t.Helper()
	c, err := account.TOTPCode(secret, account.TOTPStep(at))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// enrolTOTP turns TOTP on at the current time and returns the secret and
// recovery codes.
func (e *mfaEnv) enrolTOTP(p account.Principal) (string, []string) {
	e.t.Helper()
	enr, err := e.svc.StartTOTP(e.ctx, p)
	if err != nil {
		e.t.Fatalf("start totp: %v", err)
	}
	codes, err := e.svc.ConfirmTOTP(e.ctx, p, e.totpCode(enr.Secret, e.clock.Now()))
	if err != nil {
		e.t.Fatalf("confirm totp: %v", err)
	}
	return enr.Secret, codes
}

func (e *mfaEnv) login(email string) *account.MFAChallenge {
	e.t.Helper()
	res, err := e.svc.Login(e.ctx, email, password, addr, "test")
	if err != nil {
		e.t.Fatalf("login: %v", err)
	}
	if res.Challenge == nil || res.Secret != "" || res.Session.ID != "" {
		e.t.Fatalf("login with MFA on: got secret %q, challenge %v; want a challenge and no session", res.Secret, res.Challenge)
	}
	return res.Challenge
}

// loginMail signs in a person with e-mail MFA and reads the code sent. The
// clock moves a second first, so the newest mail is the one just sent.
func (e *mfaEnv) loginMail(email string) (*account.MFAChallenge, string) {
	e.t.Helper()
	e.clock.Advance(time.Second)
	ch := e.login(email)
	return ch, lastMailCode(e.t, e.db, email)
}

func (e *mfaEnv) complete(ch *account.MFAChallenge, code string) (account.LoginResult, error) {
	return e.svc.CompleteMFA(e.ctx, ch.Secret, code, addr, "test")
}

func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if errs.CodeOf(err) != code {
		t.Fatalf("got error %v, want code %q", err, code)
	}
}

var codeRe = regexp.MustCompile(`\b\d{6}\b`)

// lastMailCode reads the newest MFA e-mail to `to` from the outbox with a
// connection of its own: the message must be committed.
func lastMailCode(t *testing.T, db *store.DB, to string) string {
	t.Helper()
	_, code := lastMail(t, db, to)
	return code
}

// lastMail returns the subject and code of the newest MFA e-mail to `to`.
func lastMail(t *testing.T, db *store.DB, to string) (subject, code string) {
	t.Helper()
	driver, q := "sqlite", `SELECT subject, body_text FROM mail_outbox WHERE recipient = ? AND kind = 'mfa_code' ORDER BY created_at DESC, id DESC LIMIT 1`
	dsn := "file:" + db.DSN()
	if store.IsPostgres(db.DSN()) {
		driver, dsn = "pgx", db.DSN()
		q = regexp.MustCompile(`\?`).ReplaceAllString(q, "$$1")
	}
	conn, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var body string
	if err := conn.QueryRow(q, to).Scan(&subject, &body); err != nil {
		t.Fatalf("no mfa_code mail to %s in the outbox: %v", to, err)
	}
	code = codeRe.FindString(body)
	if code == "" || strings.Contains(subject, code) {
		t.Fatalf("mail to %s: subject %q, body %q: want a 6-digit code in the body only", to, subject, body)
	}
	return subject, code
}

func countMail(t *testing.T, db *store.DB, to string) int {
	t.Helper()
	driver, q := "sqlite", `SELECT COUNT(*) FROM mail_outbox WHERE recipient = ?`
	dsn := "file:" + db.DSN()
	if store.IsPostgres(db.DSN()) {
		driver, dsn, q = "pgx", db.DSN(), `SELECT COUNT(*) FROM mail_outbox WHERE recipient = $1`
	}
	conn, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(q, to).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// ID-3: TOTP enrolment, the second step of login, replay and skew.
func TestID3_TOTPLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newMFAEnv(t, db)
		p := e.person("alice@example.com", "en")
		t.Run("ErrConfirmBeforeStart", func(t *testing.T) {
			_, err := e.svc.ConfirmTOTP(e.ctx, p, "123456")
			wantCode(t, err, errs.Invalid)
		})
		enr, err := e.svc.StartTOTP(e.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := e.svc.MFAStatus(e.ctx, p.User.ID); st.Enabled || st.Pending != account.MFATOTP {
			t.Fatalf("status while pending: %+v", st)
		}
		// Pending enrolment does not change login.
		if res, err := e.svc.Login(e.ctx, "alice@example.com", password, addr, "t"); err != nil || res.Challenge != nil || res.Secret == "" {
			t.Fatalf("login with pending enrolment: %+v, %v; want a session", res, err)
		}
		t.Run("ErrConfirmWrongCode", func(t *testing.T) {
			_, err := e.svc.ConfirmTOTP(e.ctx, p, "000000")
			wantCode(t, err, errs.Invalid)
		})
		confirmCode := e.totpCode(enr.Secret, e.clock.Now())
		codes, err := e.svc.ConfirmTOTP(e.ctx, p, confirmCode)
		if err != nil || len(codes) != account.RecoveryCodeCount {
			t.Fatalf("confirm: %d codes, %v", len(codes), err)
		}
		if st, _ := e.svc.MFAStatus(e.ctx, p.User.ID); !st.Enabled || st.Method != account.MFATOTP || st.RecoveryCodesLeft != 10 || st.Pending != "" {
			t.Fatalf("status after confirm: %+v", st)
		}
		t.Run("ErrStartAgainWhileOn", func(t *testing.T) {
			_, err := e.svc.StartTOTP(e.ctx, p)
			wantCode(t, err, errs.Conflict)
		})
		t.Run("ErrReplayOfConfirmationCode", func(t *testing.T) {
			_, err := e.complete(e.login("alice@example.com"), confirmCode)
			wantCode(t, err, errs.Unauthenticated)
		})
		e.clock.Advance(30 * time.Second)
		code := e.totpCode(enr.Secret, e.clock.Now())
		t.Run("ErrOtherClientAddress", func(t *testing.T) {
			ch := e.login("alice@example.com")
			_, err := e.svc.CompleteMFA(e.ctx, ch.Secret, code, "198.51.100.1", "t")
			wantCode(t, err, errs.Unauthenticated)
		})
		t.Run("OK", func(t *testing.T) {
			ch := e.login("alice@example.com")
			if ch.Method != account.MFATOTP || !ch.ExpiresAt.Equal(t0.Add(30*time.Second+account.ChallengeTTL)) {
				t.Fatalf("challenge %+v", ch)
			}
			res, err := e.complete(ch, code)
			if err != nil || res.Secret == "" || res.User.ID != p.User.ID {
				t.Fatalf("complete: %+v, %v", res, err)
			}
			if pr, err := e.svc.Authenticate(e.ctx, res.Secret); err != nil || pr.User.ID != p.User.ID {
				t.Fatalf("session does not authenticate: %v", err)
			}
			// The challenge is single use.
			_, err = e.complete(ch, e.totpCode(enr.Secret, e.clock.Now().Add(30*time.Second)))
			wantCode(t, err, errs.Unauthenticated)
		})
		t.Run("ErrReplay", func(t *testing.T) {
			_, err := e.complete(e.login("alice@example.com"), code)
			wantCode(t, err, errs.Unauthenticated)
		})
		t.Run("OK/skew", func(t *testing.T) {
			e.clock.Advance(5 * time.Minute)
			// The code of the previous step, then of the next step.
			for _, d := range []time.Duration{-30 * time.Second, 30 * time.Second} {
				if _, err := e.complete(e.login("alice@example.com"), e.totpCode(enr.Secret, e.clock.Now().Add(d))); err != nil {
					t.Fatalf("code of step %v: %v", d, err)
				}
			}
			// After the next step's code, the current one is an earlier step.
			_, err := e.complete(e.login("alice@example.com"), e.totpCode(enr.Secret, e.clock.Now()))
			wantCode(t, err, errs.Unauthenticated)
		})
		t.Run("ErrSkewTooLarge", func(t *testing.T) {
			e.clock.Advance(5 * time.Minute)
			_, err := e.complete(e.login("alice@example.com"), e.totpCode(enr.Secret, e.clock.Now().Add(-60*time.Second)))
			wantCode(t, err, errs.Unauthenticated)
		})
		t.Run("ErrChallengeExpired", func(t *testing.T) {
			e.clock.Advance(5 * time.Minute)
			ch := e.login("alice@example.com")
			e.clock.Advance(account.ChallengeTTL)
			_, err := e.complete(ch, e.totpCode(enr.Secret, e.clock.Now()))
			wantCode(t, err, errs.Unauthenticated)
		})
		t.Run("RecoveryCodesSingleUse", func(t *testing.T) {
			if _, err := e.complete(e.login("alice@example.com"), codes[0]); err != nil {
				t.Fatalf("recovery code: %v", err)
			}
			_, err := e.complete(e.login("alice@example.com"), codes[0])
			wantCode(t, err, errs.Unauthenticated)
			// Typed in capitals without the hyphen, it still works.
			upper := strings.ToUpper(strings.ReplaceAll(codes[1], "-", ""))
			if _, err := e.complete(e.login("alice@example.com"), upper); err != nil {
				t.Fatalf("recovery code without hyphen: %v", err)
			}
			if st, _ := e.svc.MFAStatus(e.ctx, p.User.ID); st.RecoveryCodesLeft != 8 {
				t.Fatalf("recovery codes left %d, want 8", st.RecoveryCodesLeft)
			}
		})
		t.Run("RegenerateRecoveryCodes", func(t *testing.T) {
			e.clock.Advance(time.Minute)
			_, err := e.svc.RegenerateRecoveryCodes(e.ctx, p, "000000")
			wantCode(t, err, errs.Invalid)
			fresh, err := e.svc.RegenerateRecoveryCodes(e.ctx, p, e.totpCode(enr.Secret, e.clock.Now()))
			if err != nil || len(fresh) != 10 {
				t.Fatalf("regenerate: %d, %v", len(fresh), err)
			}
			_, err = e.complete(e.login("alice@example.com"), codes[2])
			wantCode(t, err, errs.Unauthenticated) // the old codes are gone
		})
		t.Run("Disable", func(t *testing.T) {
			e.clock.Advance(time.Minute)
			wantCode(t, e.svc.DisableMFA(e.ctx, p, "000000"), errs.Invalid)
			wantCode(t, e.svc.DisableMFA(e.ctx, p, ""), errs.Invalid)
			if err := e.svc.DisableMFA(e.ctx, p, e.totpCode(enr.Secret, e.clock.Now())); err != nil {
				t.Fatalf("disable: %v", err)
			}
			if st, _ := e.svc.MFAStatus(e.ctx, p.User.ID); st.Enabled || st.RecoveryCodesLeft != 0 {
				t.Fatalf("status after disable: %+v", st)
			}
			res, err := e.svc.Login(e.ctx, "alice@example.com", password, addr, "t")
			if err != nil || res.Challenge != nil || res.Secret == "" {
				t.Fatalf("login after disable: %+v, %v", res, err)
			}
		})
	})
}

// ID-3, ID-4: wrong codes are limited per challenge and per account.
func TestID4_MFAAttemptLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newMFAEnv(t, db)
		p := e.person("bob@example.com", "en")
		secret, _ := e.enrolTOTP(p)
		e.clock.Advance(time.Minute)
		t.Run("PerChallenge", func(t *testing.T) {
			ch := e.login("bob@example.com")
			for i := 0; i < account.MaxChallengeAttempts; i++ {
				_, err := e.complete(ch, "000000")
				wantCode(t, err, errs.Unauthenticated)
			}
			_, err := e.complete(ch, e.totpCode(secret, e.clock.Now()))
			wantCode(t, err, errs.Unauthenticated) // the challenge is spent: sign in again
			if _, err := e.complete(e.login("bob@example.com"), e.totpCode(secret, e.clock.Now())); err != nil {
				t.Fatalf("a new challenge works: %v", err)
			}
		})
		t.Run("PerAccount", func(t *testing.T) {
			e.clock.Advance(time.Hour)
			for i := 0; i < account.DefaultLimits.MFAPerAccount; i++ {
				_, err := e.complete(e.login("bob@example.com"), "000000")
				wantCode(t, err, errs.Unauthenticated)
			}
			_, err := e.complete(e.login("bob@example.com"), e.totpCode(secret, e.clock.Now()))
			wantCode(t, err, errs.RateLimited)
			if ee, _ := errs.As(err); ee.RetryAfterSeconds < 1 {
				t.Errorf("rate_limited without a retry time: %+v", ee)
			}
			// Signed-in code checks share the account's limit.
			wantCode(t, e.svc.DisableMFA(e.ctx, p, e.totpCode(secret, e.clock.Now())), errs.RateLimited)
			e.clock.Advance(account.DefaultLimits.Window)
			if _, err := e.complete(e.login("bob@example.com"), e.totpCode(secret, e.clock.Now())); err != nil {
				t.Fatalf("after the window: %v", err)
			}
		})
	})
}

// ID-3: e-mail codes: confirmation, login codes queued with the challenge,
// 10 minutes, single use, in the person's language.
func TestID3_EmailMFA(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newMFAEnv(t, db)
		p := e.person("carol@example.com", "fr")
		exp, err := e.svc.StartEmailMFA(e.ctx, p)
		if err != nil || !exp.Equal(t0.Add(account.EmailCodeTTL)) {
			t.Fatalf("start email: %v, %v", exp, err)
		}
		subject, code := lastMail(t, db, "carol@example.com")
		if !strings.Contains(subject, "Votre code") {
			t.Errorf("subject %q is not in carol's language (fr)", subject)
		}
		if st, _ := e.svc.MFAStatus(e.ctx, p.User.ID); st.Enabled {
			t.Fatal("e-mail MFA on before confirmation")
		}
		wantCode(t, e.svc.ConfirmEmailMFA(e.ctx, p, "000000"), errs.Invalid)
		if err := e.svc.ConfirmEmailMFA(e.ctx, p, code); err != nil {
			t.Fatalf("confirm email: %v", err)
		}
		if st, _ := e.svc.MFAStatus(e.ctx, p.User.ID); !st.Enabled || st.Method != account.MFAEmail {
			t.Fatalf("status: %+v", st)
		}
		_, err = e.svc.StartTOTP(e.ctx, p)
		wantCode(t, err, errs.Conflict)

		t.Run("OK", func(t *testing.T) {
			ch, code := e.loginMail("carol@example.com")
			if ch.Method != account.MFAEmail {
				t.Fatalf("method %s", ch.Method)
			}
			if _, err := e.complete(ch, code); err != nil {
				t.Fatalf("complete with e-mail code: %v", err)
			}
			// Single use.
			_, err := e.complete(e.login("carol@example.com"), code)
			wantCode(t, err, errs.Unauthenticated)
		})
		t.Run("ErrCodeOfAnotherChallenge", func(t *testing.T) {
			ch1, code1 := e.loginMail("carol@example.com")
			ch2, _ := e.loginMail("carol@example.com")
			_, err := e.complete(ch2, code1)
			wantCode(t, err, errs.Unauthenticated)
			if _, err := e.complete(ch1, code1); err != nil {
				t.Fatalf("code for its own challenge: %v", err)
			}
		})
		t.Run("ErrExpired", func(t *testing.T) {
			ch, code := e.loginMail("carol@example.com")
			e.clock.Advance(account.EmailCodeTTL)
			_, err := e.complete(ch, code)
			wantCode(t, err, errs.Unauthenticated)
		})
		t.Run("ErrTooManyMails", func(t *testing.T) {
			e.clock.Advance(time.Hour)
			before := countMail(t, db, "carol@example.com")
			for i := 0; i < account.DefaultLimits.MFAMails; i++ {
				e.login("carol@example.com")
			}
			_, err := e.svc.Login(e.ctx, "carol@example.com", password, addr, "t")
			wantCode(t, err, errs.RateLimited)
			if n := countMail(t, db, "carol@example.com") - before; n != account.DefaultLimits.MFAMails {
				t.Fatalf("%d mails sent, want %d", n, account.DefaultLimits.MFAMails)
			}
		})
		t.Run("Disable", func(t *testing.T) {
			e.clock.Advance(time.Hour)
			wantCode(t, e.svc.DisableMFA(e.ctx, p, "123456"), errs.Invalid)
			e.clock.Advance(time.Second)
			if _, err := e.svc.SendMFACode(e.ctx, p); err != nil {
				t.Fatal(err)
			}
			code := lastMailCode(t, db, "carol@example.com")
			if err := e.svc.DisableMFA(e.ctx, p, code); err != nil {
				t.Fatalf("disable with e-mailed code: %v", err)
			}
			_, err := e.svc.SendMFACode(e.ctx, p)
			wantCode(t, err, errs.Invalid)
		})
	})
}

// A TOTP user cannot have an e-mail code sent instead: the weaker factor
// is no way around the stronger one.
func TestSendMFACodeRefusedForTOTP(t *testing.T) {
	db := storetest.SQLite(t)
	e := newMFAEnv(t, db)
	p := e.person("dave@example.com", "en")
	e.enrolTOTP(p)
	_, err := e.svc.SendMFACode(e.ctx, p)
	wantCode(t, err, errs.Invalid)
	// Cancelling: with MFA off, DisableMFA drops a pending enrolment.
	q := e.person("erin@example.com", "en")
	if _, err := e.svc.StartTOTP(e.ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DisableMFA(e.ctx, q, ""); err != nil {
		t.Fatalf("cancel pending enrolment: %v", err)
	}
	if st, _ := e.svc.MFAStatus(e.ctx, q.User.ID); st.Pending != "" || st.Enabled {
		t.Fatalf("status after cancel: %+v", st)
	}
}
