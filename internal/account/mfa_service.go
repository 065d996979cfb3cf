package account

import (
	"context"
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/errs"
)

// The MFA use cases (ID-3, ID-4). Every code is single use: TOTP codes by
// the last accepted time step, e-mail and recovery codes by a used mark set
// with a compare-and-set update, so of two concurrent uses one fails.
//
// Flows:
//   - TOTP: StartTOTP (secret, otpauth URL, QR) → ConfirmTOTP(first code) →
//     10 recovery codes; MFA is on from the confirmation.
//   - E-mail: StartEmailMFA sends a code to the account's address →
//     ConfirmEmailMFA(code); MFA is on from the confirmation, so a mistyped
//     or dead mailbox cannot lock the person out.
//   - Login: Login answers a Challenge instead of a session (for e-mail, the
//     code is queued in the same transaction) → CompleteMFA(challenge, code).
//   - Off: DisableMFA(code) with a TOTP code, a recovery code, or (method
//     e-mail) a code from SendMFACode.
//
// Enrolment is only possible while MFA is off: changing the method means
// turning MFA off with a current code first, so a stolen session cannot
// swap in the thief's authenticator.

// The two answers of a failed second step (both unauthenticated): the
// challenge is gone (expired, used, spent by wrong codes, or from another
// client address: sign in again), or the code is wrong (try another).
var (
	ErrMFAChallenge = errs.E(errs.Unauthenticated, "err.mfa.challenge_expired")
	ErrMFACode      = errs.E(errs.Unauthenticated, "err.mfa.code_wrong")
	errMFAOn        = errs.E(errs.Conflict, "err.mfa.already_on")
)

func badCodeField() error {
	return errs.InvalidField("code", "err.mfa.code_wrong")
}

func mfaAcctKey(userID string) string { return "mfa:acct:" + userID }
func mfaAddrKey(addr string) string   { return "mfa:addr:" + addr }
func mfaMailKey(userID string) string { return "mfa:mail:" + userID }

// MFAStatus returns a person's second-factor status.
func (s *Service) MFAStatus(ctx context.Context, userID string) (MFAStatus, error) {
	var st MFAStatus
	err := s.store.Read(ctx, func(tx Tx) error {
		m, err := tx.MFA(ctx, userID)
		if err != nil {
			return err
		}
		st = MFAStatus{Enabled: m.Method != MFAOff, Method: m.Method}
		if m.Method == MFAOff && m.PendingSecret != "" {
			st.Pending = MFATOTP
		}
		st.RecoveryCodesLeft, err = tx.RecoveryCodesLeft(ctx, userID)
		return err
	})
	return st, err
}

// StartTOTP begins TOTP enrolment: a new secret, pending until confirmed by
// a first code. Starting again replaces a pending secret.
func (s *Service) StartTOTP(ctx context.Context, p Principal) (TOTPEnrolment, error) {
	if err := needSession(p, errMFANeedsSession); err != nil {
		return TOTPEnrolment{}, err
	}
	now := s.clock.Now()
	enr, err := NewTOTP(p.User.Email)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	err = s.withMFA(ctx, p.User.ID, func(tx Tx, m MFA) error {
		if m.Method != MFAOff {
			return errMFAOn
		}
		m.PendingSecret, m.PendingAt, m.UpdatedAt = enr.Secret, &now, now
		return tx.SaveMFA(ctx, m)
	})
	if err != nil {
		return TOTPEnrolment{}, err
	}
	return enr, nil
}

// ConfirmTOTP turns TOTP on with a first valid code and returns the
// recovery codes, shown this once.
func (s *Service) ConfirmTOTP(ctx context.Context, p Principal, code string) ([]string, error) {
	if err := needSession(p, errMFANeedsSession); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	codes := NewRecoveryCodes(RecoveryCodeCount)
	err := s.guarded(ctx, p.User.ID, now, func(tx Tx, m MFA) (bool, error) {
		if m.Method != MFAOff {
			return false, errMFAOn
		}
		if m.PendingSecret == "" {
			return false, errs.E(errs.Invalid, "err.mfa.totp_start_first")
		}
		step, ok := MatchTOTP(m.PendingSecret, code, now, m.LastStep)
		if !ok {
			return false, nil
		}
		m.Method, m.TOTPSecret, m.PendingSecret, m.PendingAt = MFATOTP, m.PendingSecret, "", nil
		m.LastStep, m.EnabledAt, m.UpdatedAt = step, &now, now
		if err := tx.SaveMFA(ctx, m); err != nil {
			return false, err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, p.User.ID, recoveryHashes(p.User.ID, codes), now); err != nil {
			return false, err
		}
		return true, auditChange(ctx, tx, p, now, audit.AccountMFAEnable, map[string]any{"method": string(MFATOTP)})
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// RegenerateRecoveryCodes replaces a TOTP user's recovery codes, given a
// current code (TOTP or recovery).
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p Principal, code string) ([]string, error) {
	if err := needSession(p, errMFANeedsSession); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	codes := NewRecoveryCodes(RecoveryCodeCount)
	err := s.guarded(ctx, p.User.ID, now, func(tx Tx, m MFA) (bool, error) {
		if m.Method != MFATOTP {
			return false, errs.E(errs.Invalid, "err.mfa.recovery_needs_totp")
		}
		ok, err := s.useCode(ctx, tx, m, code, "", now)
		if !ok || err != nil {
			return false, err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, p.User.ID, recoveryHashes(p.User.ID, codes), now); err != nil {
			return false, err
		}
		return true, auditChange(ctx, tx, p, now, audit.AccountRecoveryCodes, nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// StartEmailMFA sends a code to the person's address; ConfirmEmailMFA with
// it turns e-mail codes on. It returns when the code expires.
func (s *Service) StartEmailMFA(ctx context.Context, p Principal) (time.Time, error) {
	if err := needSession(p, errMFANeedsSession); err != nil {
		return time.Time{}, err
	}
	return s.mailCode(ctx, p.User, purposeEnable, func(m MFA) error {
		if m.Method != MFAOff {
			return errMFAOn
		}
		return nil
	})
}

// ConfirmEmailMFA turns e-mail codes on with the code StartEmailMFA sent.
func (s *Service) ConfirmEmailMFA(ctx context.Context, p Principal, code string) error {
	if err := needSession(p, errMFANeedsSession); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.guarded(ctx, p.User.ID, now, func(tx Tx, m MFA) (bool, error) {
		if m.Method != MFAOff {
			return false, errMFAOn
		}
		ok, err := useEmailCode(ctx, tx, p.User.ID, purposeEnable, code, now)
		if !ok || err != nil {
			return false, err
		}
		m = MFA{UserID: p.User.ID, Method: MFAEmail, LastStep: m.LastStep, EnabledAt: &now, UpdatedAt: now}
		if err := tx.SaveMFA(ctx, m); err != nil {
			return false, err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, p.User.ID, nil, now); err != nil {
			return false, err
		}
		return true, auditChange(ctx, tx, p, now, audit.AccountMFAEnable, map[string]any{"method": string(MFAEmail)})
	})
}

// SendMFACode e-mails a code that confirms an account change (turning MFA
// off) for a person whose method is e-mail. TOTP users use their app or a
// recovery code instead: an e-mail must not be a way around the stronger
// factor. It returns when the code expires.
func (s *Service) SendMFACode(ctx context.Context, p Principal) (time.Time, error) {
	if err := needSession(p, errMFANeedsSession); err != nil {
		return time.Time{}, err
	}
	return s.mailCode(ctx, p.User, purposeAccount, func(m MFA) error {
		if m.Method != MFAEmail {
			return errs.E(errs.Invalid, "err.mfa.not_email")
		}
		return nil
	})
}

// mailCode e-mails the person a code for purpose once allowed accepts
// their MFA settings. It returns when the code expires.
func (s *Service) mailCode(ctx context.Context, u User, purpose string, allowed func(MFA) error) (time.Time, error) {
	now := s.clock.Now()
	var exp time.Time
	err := s.withMFA(ctx, u.ID, func(tx Tx, m MFA) error {
		err := allowed(m)
		if err == nil {
			exp, err = s.sendEmailCode(ctx, tx, u, purpose, now)
		}
		return err
	})
	return exp, err
}

// DisableMFA turns MFA off given a current code: TOTP, recovery, or an
// e-mail code from SendMFACode. With MFA off it cancels a pending
// enrolment and needs no code.
func (s *Service) DisableMFA(ctx context.Context, p Principal, code string) error {
	if err := needSession(p, errMFANeedsSession); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.guarded(ctx, p.User.ID, now, func(tx Tx, m MFA) (bool, error) {
		if m.Method == MFAOff { // a pending enrolment is canceled: nothing was on
			return true, tx.DeleteMFA(ctx, p.User.ID)
		}
		ok, err := s.useCode(ctx, tx, m, code, purposeAccount, now)
		if !ok || err != nil {
			return false, err
		}
		if err := tx.DeleteMFA(ctx, p.User.ID); err != nil {
			return false, err
		}
		return true, auditChange(ctx, tx, p, now, audit.AccountMFADisable, map[string]any{"method": string(m.Method)})
	})
}

// CompleteMFA is the second step of a login: a TOTP, e-mail or recovery
// code for the challenge Login returned, from the same client address. A
// challenge allows MaxChallengeAttempts wrong codes; wrong codes also count
// per account and per client address (ID-4).
func (s *Service) CompleteMFA(ctx context.Context, challenge, code, clientAddr, userAgent string) (LoginResult, error) {
	now := s.clock.Now()
	if !strings.HasPrefix(challenge, MFAChallengePrefix) || len(challenge) > 128 {
		return LoginResult{}, ErrMFAChallenge
	}
	var res LoginResult
	var fail error
	err := s.store.Write(ctx, func(tx Tx) error {
		ch, err := tx.MFAChallengeByHash(ctx, HashSecret(challenge))
		if errs.Is(err, errs.NotFound) {
			fail = ErrMFAChallenge
			return nil
		}
		if err != nil {
			return err
		}
		if !now.Before(ch.ExpiresAt) || ch.Attempts >= MaxChallengeAttempts ||
			subtle.ConstantTimeCompare([]byte(ch.ClientAddr), []byte(clientAddr)) != 1 {
			fail = ErrMFAChallenge
			return nil
		}
		if err := s.mfaLimited(ctx, tx, ch.UserID, clientAddr, now); err != nil {
			return keepLimit(err, &fail)
		}
		m, err := tx.MFA(ctx, ch.UserID)
		if err != nil {
			return err
		}
		if m.Method == MFAOff { // turned off since the password was checked
			fail = ErrMFAChallenge
			return nil
		}
		ok, err := s.useCode(ctx, tx, m, code, purposeLogin(ch.ID), now)
		if err != nil {
			return err
		}
		if !ok {
			if _, err := tx.AddMFAChallengeAttempt(ctx, ch.ID); err != nil {
				return err
			}
			fail = ErrMFACode
			return s.hitMFA(ctx, tx, ch.UserID, clientAddr, now)
		}
		if done, err := tx.DeleteMFAChallenge(ctx, ch.ID); err != nil || !done {
			if err == nil {
				err = ErrMFAChallenge // completed concurrently: roll back this code's use
			}
			return err
		}
		if err := tx.ResetRate(ctx, mfaAcctKey(ch.UserID)); err != nil {
			return err
		}
		u, err := tx.UserByID(ctx, ch.UserID)
		if err != nil {
			return err
		}
		res, err = s.openSession(ctx, tx, u, clientAddr, userAgent, now)
		return err
	})
	if err != nil {
		return LoginResult{}, err
	}
	if fail != nil {
		return LoginResult{}, fail
	}
	return res, nil
}

// withMFA runs f in a write transaction with the person's MFA settings.
func (s *Service) withMFA(ctx context.Context, userID string, f func(Tx, MFA) error) error {
	return s.store.Write(ctx, func(tx Tx) error {
		m, err := tx.MFA(ctx, userID)
		if err != nil {
			return err
		}
		return f(tx, m)
	})
}

// guarded runs a code check for a signed-in person, with their MFA
// settings, under the per-account MFA limit. check returns false for a
// wrong code: the failure is counted (committed) and a wrong-code error on
// the code field returned.
func (s *Service) guarded(ctx context.Context, userID string, now time.Time, check func(Tx, MFA) (bool, error)) error {
	var fail error
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := s.mfaLimited(ctx, tx, userID, "", now); err != nil {
			return keepLimit(err, &fail)
		}
		m, err := tx.MFA(ctx, userID)
		if err != nil {
			return err
		}
		ok, err := check(tx, m)
		if err != nil {
			return err
		}
		if !ok {
			fail = badCodeField()
			return s.hitMFA(ctx, tx, userID, "", now)
		}
		return tx.ResetRate(ctx, mfaAcctKey(userID))
	})
	if err != nil {
		return err
	}
	return fail
}

// keepLimit commits the transaction (a refusal changes nothing) and keeps a
// rate_limited error for the caller; other errors roll back.
func keepLimit(err error, fail *error) error {
	if errs.Is(err, errs.RateLimited) {
		*fail = err
		return nil
	}
	return err
}

// mfaLimits are the limits on wrong codes of an account and, when known,
// of a client address.
func (s *Service) mfaLimits(userID, clientAddr string) []limit {
	l := s.cfg.Limits
	out := []limit{{mfaAcctKey(userID), l.MFAPerAccount, l.Window}}
	if clientAddr != "" {
		out = append(out, limit{mfaAddrKey(clientAddr), l.MFAPerClientAddr, l.Window})
	}
	return out
}

// mfaLimited returns a rate_limited error when the account or the client
// address has had too many wrong codes in the window.
func (s *Service) mfaLimited(ctx context.Context, tx Tx, userID, clientAddr string, now time.Time) error {
	return checkLimits(ctx, tx, now, s.mfaLimits(userID, clientAddr)...)
}

// hitMFA counts a wrong code.
func (s *Service) hitMFA(ctx context.Context, tx Tx, userID, clientAddr string, now time.Time) error {
	_, err := hitLimits(ctx, tx, now, s.mfaLimits(userID, clientAddr)...)
	return err
}

// useCode accepts and spends one code of the person's method: a TOTP code
// (method TOTP), an e-mail code of emailPurpose (method e-mail), or a
// recovery code.
func (s *Service) useCode(ctx context.Context, tx Tx, m MFA, code, emailPurpose string, now time.Time) (bool, error) {
	if isDigits(normalizeCode(code), TOTPDigits) {
		switch m.Method {
		case MFATOTP:
			step, ok := MatchTOTP(m.TOTPSecret, code, now, m.LastStep)
			if !ok {
				return false, nil
			}
			return tx.AdvanceTOTPStep(ctx, m.UserID, step)
		case MFAEmail:
			if emailPurpose == "" {
				return false, nil
			}
			return useEmailCode(ctx, tx, m.UserID, emailPurpose, code, now)
		}
		return false, nil
	}
	rc := normalizeRecovery(code)
	if rc == "" {
		return false, nil
	}
	return tx.UseRecoveryCode(ctx, m.UserID, hashRecovery(m.UserID, rc), now)
}

func useEmailCode(ctx context.Context, tx Tx, userID, purpose, code string, now time.Time) (bool, error) {
	code = normalizeCode(code)
	if !isDigits(code, TOTPDigits) {
		return false, nil
	}
	live, err := tx.EmailCodes(ctx, userID, purpose, now)
	if err != nil {
		return false, err
	}
	for _, c := range live {
		if subtle.ConstantTimeCompare([]byte(hashEmailCode(c.ID, code)), []byte(c.CodeHash)) == 1 {
			return tx.UseEmailCode(ctx, c.ID, now)
		}
	}
	return false, nil
}

func recoveryHashes(userID string, codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = hashRecovery(userID, normalizeRecovery(c))
	}
	return out
}

// newChallenge makes the second step of a login; for e-mail it queues the
// code in the same transaction.
func (s *Service) newChallenge(ctx context.Context, tx Tx, u User, method MFAMethod, clientAddr string, now time.Time) (*MFAChallenge, error) {
	ch := &MFAChallenge{ID: NewID("mfc_"), UserID: u.ID, Method: method, ClientAddr: clientAddr,
		CreatedAt: now, ExpiresAt: now.Add(ChallengeTTL), Secret: NewSecret(MFAChallengePrefix)}
	if err := tx.CreateMFAChallenge(ctx, *ch, HashSecret(ch.Secret)); err != nil {
		return nil, err
	}
	if method == MFAEmail {
		exp, err := s.sendEmailCode(ctx, tx, u, purposeLogin(ch.ID), now)
		if err != nil {
			return nil, err
		}
		if exp.Before(ch.ExpiresAt) {
			ch.ExpiresAt = exp
		}
	}
	return ch, nil
}

// sendEmailCode makes a code, stores its hash and queues the e-mail, at
// most MFAMails per window per person (no mail bombing through logins).
func (s *Service) sendEmailCode(ctx context.Context, tx Tx, u User, purpose string, now time.Time) (time.Time, error) {
	l := limit{mfaMailKey(u.ID), s.cfg.Limits.MFAMails, s.cfg.Limits.Window}
	if err := checkLimits(ctx, tx, now, l); err != nil {
		return time.Time{}, err
	}
	if _, err := hitLimits(ctx, tx, now, l); err != nil {
		return time.Time{}, err
	}
	code := NewEmailCode()
	c := EmailCode{ID: NewID("mec_"), UserID: u.ID, Purpose: purpose, CreatedAt: now, ExpiresAt: now.Add(EmailCodeTTL)}
	c.CodeHash = hashEmailCode(c.ID, code)
	if err := tx.CreateEmailCode(ctx, c); err != nil {
		return time.Time{}, err
	}
	msg, err := s.cfg.Compose("mfa_code", u.Lang, u.Email, map[string]string{
		"code": code, "minutes": strconv.Itoa(int(EmailCodeTTL / time.Minute))})
	if err != nil {
		return time.Time{}, err
	}
	return c.ExpiresAt, tx.EnqueueMail(ctx, msg)
}
