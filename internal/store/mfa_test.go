package store_test

import (
	"context"
	"testing"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/errs"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// ID-3 storage: state, single-use codes (compare-and-set), challenges, and
// one person's rows never touched through another's id.
func TestID3_MFAStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := mkUser(t, db, "a@example.com")
		b := mkUser(t, db, "b@example.com")
		write := func(fn func(tx *store.Tx) error) {
			t.Helper()
			if err := db.Write(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("ZeroState", func(t *testing.T) {
			write(func(tx *store.Tx) error {
				m, err := tx.MFA(ctx, a.ID)
				if err != nil || m.Method != account.MFAOff || m.UserID != a.ID || m.LastStep != 0 {
					t.Fatalf("zero state: %+v, %v", m, err)
				}
				on, err := tx.UserMFAEnabled(ctx, a.ID)
				if err != nil || on {
					t.Fatalf("UserMFAEnabled = %v, %v; want false", on, err)
				}
				return nil
			})
		})
		t.Run("SaveAndRead", func(t *testing.T) {
			pend := t0.Add(time.Minute)
			write(func(tx *store.Tx) error {
				return tx.SaveMFA(ctx, account.MFA{UserID: a.ID, PendingSecret: "PENDING", PendingAt: &pend, UpdatedAt: pend})
			})
			write(func(tx *store.Tx) error {
				m, _ := tx.MFA(ctx, a.ID)
				if m.PendingSecret != "PENDING" || m.PendingAt == nil || !m.PendingAt.Equal(pend) || m.Method != account.MFAOff {
					t.Fatalf("pending state: %+v", m)
				}
				if on, _ := tx.UserMFAEnabled(ctx, a.ID); on {
					t.Fatal("pending enrolment counts as enabled")
				}
				m.Method, m.TOTPSecret, m.PendingSecret, m.PendingAt, m.LastStep, m.EnabledAt = account.MFATOTP, "SECRET", "", nil, 100, &pend
				return tx.SaveMFA(ctx, m)
			})
			write(func(tx *store.Tx) error {
				m, _ := tx.MFA(ctx, a.ID)
				if m.Method != account.MFATOTP || m.TOTPSecret != "SECRET" || m.PendingAt != nil || m.LastStep != 100 ||
					m.EnabledAt == nil || !m.EnabledAt.Equal(pend) {
					t.Fatalf("enabled state: %+v", m)
				}
				if on, _ := tx.UserMFAEnabled(ctx, a.ID); !on {
					t.Fatal("UserMFAEnabled = false after enabling")
				}
				if on, _ := tx.UserMFAEnabled(ctx, b.ID); on {
					t.Fatal("the other person's MFA shows as enabled")
				}
				return nil
			})
		})
		t.Run("ErrUnknownUser", func(t *testing.T) {
			err := db.Write(ctx, func(tx *store.Tx) error {
				return tx.SaveMFA(ctx, account.MFA{UserID: "usr_nobody", UpdatedAt: t0})
			})
			if !errs.Is(err, errs.NotFound) {
				t.Fatalf("got %v, want not_found", err)
			}
		})
		t.Run("AdvanceTOTPStep", func(t *testing.T) {
			write(func(tx *store.Tx) error {
				for _, c := range []struct {
					step int64
					want bool
				}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}} {
					got, err := tx.AdvanceTOTPStep(ctx, a.ID, c.step)
					if err != nil || got != c.want {
						t.Fatalf("AdvanceTOTPStep(%d) = %v, %v; want %v", c.step, got, err, c.want)
					}
				}
				if ok, _ := tx.AdvanceTOTPStep(ctx, b.ID, 500); ok {
					t.Fatal("advanced the step of a person without MFA")
				}
				return nil
			})
		})
		t.Run("RecoveryCodes", func(t *testing.T) {
			write(func(tx *store.Tx) error {
				if err := tx.ReplaceRecoveryCodes(ctx, a.ID, []string{"h1", "h2", "h3"}, t0); err != nil {
					return err
				}
				return tx.ReplaceRecoveryCodes(ctx, b.ID, []string{"h1"}, t0)
			})
			write(func(tx *store.Tx) error {
				if ok, _ := tx.UseRecoveryCode(ctx, a.ID, "h1", t0); !ok {
					t.Fatal("first use refused")
				}
				if ok, _ := tx.UseRecoveryCode(ctx, a.ID, "h1", t0); ok {
					t.Fatal("second use accepted")
				}
				if ok, _ := tx.UseRecoveryCode(ctx, a.ID, "nope", t0); ok {
					t.Fatal("unknown code accepted")
				}
				if n, _ := tx.RecoveryCodesLeft(ctx, a.ID); n != 2 {
					t.Fatalf("left %d, want 2", n)
				}
				// b's equal hash is b's own, unspent.
				if n, _ := tx.RecoveryCodesLeft(ctx, b.ID); n != 1 {
					t.Fatalf("b left %d, want 1", n)
				}
				if err := tx.ReplaceRecoveryCodes(ctx, a.ID, []string{"h9"}, t0); err != nil {
					return err
				}
				if ok, _ := tx.UseRecoveryCode(ctx, a.ID, "h2", t0); ok {
					t.Fatal("replaced code accepted")
				}
				return nil
			})
		})
		t.Run("EmailCodes", func(t *testing.T) {
			c1 := account.EmailCode{ID: "mec_1", UserID: a.ID, Purpose: "login:x", CodeHash: "x1", CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
			c2 := account.EmailCode{ID: "mec_2", UserID: a.ID, Purpose: "login:y", CodeHash: "y1", CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
			c3 := c1
			c3.ID, c3.CodeHash, c3.CreatedAt = "mec_3", "x2", t0.Add(time.Second)
			write(func(tx *store.Tx) error {
				for _, c := range []account.EmailCode{c1, c2, c3} {
					if err := tx.CreateEmailCode(ctx, c); err != nil {
						return err
					}
				}
				return nil
			})
			write(func(tx *store.Tx) error {
				got, err := tx.EmailCodes(ctx, a.ID, "login:x", t0)
				if err != nil || len(got) != 1 || got[0].ID != "mec_3" || got[0].CodeHash != "x2" {
					t.Fatalf("codes for login:x: %+v, %v; want only the newer mec_3", got, err)
				}
				if got, _ := tx.EmailCodes(ctx, b.ID, "login:x", t0); len(got) != 0 {
					t.Fatalf("b sees a's codes: %+v", got)
				}
				if got, _ := tx.EmailCodes(ctx, a.ID, "login:y", t0.Add(10*time.Minute)); len(got) != 0 {
					t.Fatalf("expired codes listed: %+v", got)
				}
				if ok, _ := tx.UseEmailCode(ctx, "mec_2", t0.Add(10*time.Minute)); ok {
					t.Fatal("expired code used")
				}
				if ok, _ := tx.UseEmailCode(ctx, "mec_3", t0.Add(time.Minute)); !ok {
					t.Fatal("live code refused")
				}
				if ok, _ := tx.UseEmailCode(ctx, "mec_3", t0.Add(time.Minute)); ok {
					t.Fatal("used code accepted again")
				}
				if got, _ := tx.EmailCodes(ctx, a.ID, "login:x", t0); len(got) != 0 {
					t.Fatalf("used codes listed: %+v", got)
				}
				return nil
			})
		})
		t.Run("Challenges", func(t *testing.T) {
			ch := account.MFAChallenge{ID: "mfc_1", UserID: a.ID, Method: account.MFATOTP, ClientAddr: "192.0.2.1",
				CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
			write(func(tx *store.Tx) error { return tx.CreateMFAChallenge(ctx, ch, "hash1") })
			write(func(tx *store.Tx) error {
				got, err := tx.MFAChallengeByHash(ctx, "hash1")
				if err != nil || got.ID != ch.ID || got.UserID != a.ID || got.Method != account.MFATOTP ||
					got.ClientAddr != "192.0.2.1" || !got.ExpiresAt.Equal(ch.ExpiresAt) || got.Attempts != 0 {
					t.Fatalf("challenge: %+v, %v", got, err)
				}
				for want := 1; want <= 2; want++ {
					if n, err := tx.AddMFAChallengeAttempt(ctx, ch.ID); err != nil || n != want {
						t.Fatalf("attempts = %d, %v; want %d", n, err, want)
					}
				}
				if ok, _ := tx.DeleteMFAChallenge(ctx, ch.ID); !ok {
					t.Fatal("delete reported nothing deleted")
				}
				if ok, _ := tx.DeleteMFAChallenge(ctx, ch.ID); ok {
					t.Fatal("second delete reported a deletion")
				}
				if _, err := tx.MFAChallengeByHash(ctx, "hash1"); !errs.Is(err, errs.NotFound) {
					t.Fatalf("deleted challenge: got %v, want not_found", err)
				}
				if _, err := tx.AddMFAChallengeAttempt(ctx, ch.ID); !errs.Is(err, errs.NotFound) {
					t.Fatalf("attempt on deleted challenge: got %v, want not_found", err)
				}
				return nil
			})
			// Creating a challenge drops the person's expired ones.
			old := ch
			old.ID, old.CreatedAt, old.ExpiresAt = "mfc_old", t0, t0.Add(time.Minute)
			newer := ch
			newer.ID, newer.CreatedAt, newer.ExpiresAt = "mfc_new", t0.Add(2*time.Minute), t0.Add(12*time.Minute)
			write(func(tx *store.Tx) error {
				if err := tx.CreateMFAChallenge(ctx, old, "hash_old"); err != nil {
					return err
				}
				return tx.CreateMFAChallenge(ctx, newer, "hash_new")
			})
			write(func(tx *store.Tx) error {
				if _, err := tx.MFAChallengeByHash(ctx, "hash_old"); !errs.Is(err, errs.NotFound) {
					t.Fatalf("expired challenge kept: %v", err)
				}
				return nil
			})
		})
		t.Run("DeleteMFA", func(t *testing.T) {
			write(func(tx *store.Tx) error {
				if err := tx.SaveMFA(ctx, account.MFA{UserID: b.ID, Method: account.MFAEmail, UpdatedAt: t0}); err != nil {
					return err
				}
				return tx.DeleteMFA(ctx, a.ID)
			})
			write(func(tx *store.Tx) error {
				m, _ := tx.MFA(ctx, a.ID)
				n, _ := tx.RecoveryCodesLeft(ctx, a.ID)
				if m.Method != account.MFAOff || m.TOTPSecret != "" || n != 0 {
					t.Fatalf("after delete: %+v, %d recovery codes", m, n)
				}
				if _, err := tx.MFAChallengeByHash(ctx, "hash_new"); !errs.Is(err, errs.NotFound) {
					t.Fatalf("challenge kept after delete: %v", err)
				}
				if on, _ := tx.UserMFAEnabled(ctx, b.ID); !on {
					t.Fatal("deleting a's MFA touched b's")
				}
				if n, _ := tx.RecoveryCodesLeft(ctx, b.ID); n != 1 {
					t.Fatalf("deleting a's MFA touched b's recovery codes: %d", n)
				}
				return nil
			})
		})
	})
}
