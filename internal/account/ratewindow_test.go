package account_test

import (
	"testing"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/errs"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// ID-4: wrong MFA codes are limited in a sliding window: an account's 10
// wrong codes made just before a quarter hour still count just after it
// (a window aligned to the clock would have allowed 10 more), and the
// refusal's retry time is when the oldest of them leaves the window.
func TestID4_MFASlidingWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newMFAEnv(t, db)
		p := e.person("bob@example.com", "en")
		secret, _ := e.enrolTOTP(p)
		quarter := e.clock.Now().Truncate(15 * time.Minute).Add(15 * time.Minute)
		e.clock.Set(quarter.Add(-90 * time.Second))
		for i := range account.DefaultLimits.MFAPerAccount {
			if i == 5 {
				e.clock.Set(quarter.Add(-time.Second))
			}
			_, err := e.svc.RegenerateRecoveryCodes(e.ctx, p, "000000")
			wantCode(t, err, errs.Invalid)
		}
		wantRetry := func(err error, want time.Duration) {
			t.Helper()
			wantCode(t, err, errs.RateLimited)
			ee, _ := errs.As(err)
			if got := time.Duration(ee.RetryAfterSeconds) * time.Second; got != want {
				t.Errorf("retry after %v, want %v", got, want)
			}
		}
		e.clock.Set(quarter.Add(30 * time.Second))
		// The oldest wrong code (quarter-90s) counts until quarter+13m30s.
		wantRetry(e.svc.DisableMFA(e.ctx, p, e.totpCode(secret, e.clock.Now())), 13*time.Minute)
		_, err := e.complete(e.login("bob@example.com"), e.totpCode(secret, e.clock.Now()))
		wantRetry(err, 13*time.Minute)
		e.clock.Set(quarter.Add(13*time.Minute + 30*time.Second))
		if err := e.svc.DisableMFA(e.ctx, p, e.totpCode(secret, e.clock.Now())); err != nil {
			t.Fatalf("once the five oldest left the window: %v", err)
		}
	})
}

// ID-4: e-mailed codes are limited in the same sliding window: 10 per 15
// minutes, however they straddle a quarter hour.
func TestID4_MFAMailSlidingWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newMFAEnv(t, db)
		p := e.person("eve@example.com", "en")
		quarter := e.clock.Now().Truncate(15 * time.Minute).Add(15 * time.Minute)
		e.clock.Set(quarter.Add(-time.Minute))
		for range account.DefaultLimits.MFAMails {
			if _, err := e.svc.StartEmailMFA(e.ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Set(quarter.Add(time.Minute))
		_, err := e.svc.StartEmailMFA(e.ctx, p)
		wantCode(t, err, errs.RateLimited)
		if ee, _ := errs.As(err); ee.RetryAfterSeconds != int((13 * time.Minute).Seconds()) {
			t.Errorf("retry after %ds, want 780s", ee.RetryAfterSeconds)
		}
	})
}
