package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/errs"
)

// MFA returns a person's second-factor state; the zero state if they never
// enrolled (no second factor is a state, not a missing thing).
func (t *Tx) MFA(ctx context.Context, userID string) (account.MFA, error) {
	m := account.MFA{UserID: userID}
	var method string
	var pending, enabled sql.NullInt64
	var updated int64
	err := t.queryRow(ctx, `SELECT method, totp_secret, pending_secret, pending_at, last_step, enabled_at, updated_at
		FROM user_mfa WHERE user_id = ?`, userID).Scan(&method, &m.TOTPSecret, &m.PendingSecret, &pending, &m.LastStep, &enabled, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return m, nil
	}
	if err != nil {
		return m, errs.Wrap(err, "mfa")
	}
	m.Method = account.MFAMethod(method)
	m.PendingAt, m.EnabledAt, m.UpdatedAt = fromNullMicros(pending), fromNullMicros(enabled), fromMicros(updated)
	return m, nil
}

// SaveMFA writes a person's second-factor state.
func (t *Tx) SaveMFA(ctx context.Context, m account.MFA) error {
	_, err := t.exec(ctx, `INSERT INTO user_mfa (user_id, method, totp_secret, pending_secret, pending_at, last_step, enabled_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET method = excluded.method, totp_secret = excluded.totp_secret,
			pending_secret = excluded.pending_secret, pending_at = excluded.pending_at, last_step = excluded.last_step,
			enabled_at = excluded.enabled_at, updated_at = excluded.updated_at`,
		m.UserID, string(m.Method), m.TOTPSecret, m.PendingSecret, nullMicros(m.PendingAt), m.LastStep,
		nullMicros(m.EnabledAt), micros(m.UpdatedAt))
	if isForeignKeyViolation(err) {
		return errs.NotFoundf("err.user.not_found", m.UserID)
	}
	return errs.Wrap(err, "save mfa")
}

// DeleteMFA removes everything of a person's second factor.
func (t *Tx) DeleteMFA(ctx context.Context, userID string) error {
	for _, q := range []string{
		`DELETE FROM mfa_challenges WHERE user_id = ?`,
		`DELETE FROM mfa_email_codes WHERE user_id = ?`,
		`DELETE FROM mfa_recovery_codes WHERE user_id = ?`,
		`DELETE FROM user_mfa WHERE user_id = ?`,
	} {
		if _, err := t.exec(ctx, q, userID); err != nil {
			return errs.Wrap(err, "delete mfa")
		}
	}
	return nil
}

// AdvanceTOTPStep is a compare-and-set: of two concurrent uses of one code,
// exactly one moves the step forward.
func (t *Tx) AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	res, err := t.exec(ctx, `UPDATE user_mfa SET last_step = ? WHERE user_id = ? AND last_step < ?`, step, userID, step)
	return affectedOne(res, err, "advance totp step")
}

func affectedOne(res sql.Result, err error, what string) (bool, error) {
	if err != nil {
		return false, errs.Wrap(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, errs.Wrap(err, what)
	}
	return n > 0, nil
}

// UserMFAEnabled reports whether a person has a confirmed second factor
// (the organization rule of ID-5).
func (t *Tx) UserMFAEnabled(ctx context.Context, userID string) (bool, error) {
	var method string
	err := t.queryRow(ctx, `SELECT method FROM user_mfa WHERE user_id = ?`, userID).Scan(&method)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, errs.Wrap(err, "user mfa enabled")
	}
	return method != "", nil
}

// ReplaceRecoveryCodes sets a person's recovery codes, dropping the old.
func (t *Tx) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error {
	if _, err := t.exec(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = ?`, userID); err != nil {
		return errs.Wrap(err, "delete recovery codes")
	}
	for _, h := range hashes {
		if _, err := t.exec(ctx, `INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`,
			userID, h, micros(at)); err != nil {
			return errs.Wrap(err, "insert recovery code")
		}
	}
	return nil
}

// UseRecoveryCode spends a recovery code once.
func (t *Tx) UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE mfa_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
		micros(at), userID, hash)
	return affectedOne(res, err, "use recovery code")
}

// RecoveryCodesLeft counts a person's unused recovery codes.
func (t *Tx) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n)
	return n, errs.Wrap(err, "recovery codes left")
}

// CreateEmailCode stores a code; a newer code of a purpose replaces the
// older, so only the last e-mail a person received works.
func (t *Tx) CreateEmailCode(ctx context.Context, c account.EmailCode) error {
	if _, err := t.exec(ctx, `DELETE FROM mfa_email_codes WHERE user_id = ? AND (purpose = ? OR expires_at <= ?)`,
		c.UserID, c.Purpose, micros(c.CreatedAt)); err != nil {
		return errs.Wrap(err, "drop email codes")
	}
	_, err := t.exec(ctx, `INSERT INTO mfa_email_codes (id, user_id, purpose, code_hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.ID, c.UserID, c.Purpose, c.CodeHash, micros(c.CreatedAt), micros(c.ExpiresAt))
	if isForeignKeyViolation(err) {
		return errs.NotFoundf("err.user.not_found", c.UserID)
	}
	return errs.Wrap(err, "insert email code")
}

// EmailCodes returns the live codes of a person and purpose.
func (t *Tx) EmailCodes(ctx context.Context, userID, purpose string, now time.Time) ([]account.EmailCode, error) {
	rows, err := t.query(ctx, `SELECT id, code_hash, created_at, expires_at FROM mfa_email_codes
		WHERE user_id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at, id`,
		userID, purpose, micros(now))
	if err != nil {
		return nil, errs.Wrap(err, "email codes")
	}
	defer rows.Close()
	var out []account.EmailCode
	for rows.Next() {
		c := account.EmailCode{UserID: userID, Purpose: purpose}
		var cr, ex int64
		if err := rows.Scan(&c.ID, &c.CodeHash, &cr, &ex); err != nil {
			return nil, errs.Wrap(err, "scan email code")
		}
		c.CreatedAt, c.ExpiresAt = fromMicros(cr), fromMicros(ex)
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "email codes")
}

// UseEmailCode spends a live e-mail code once.
func (t *Tx) UseEmailCode(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE mfa_email_codes SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?`,
		micros(now), id, micros(now))
	return affectedOne(res, err, "use email code")
}

// CreateMFAChallenge stores a pending second step.
func (t *Tx) CreateMFAChallenge(ctx context.Context, c account.MFAChallenge, secretHash string) error {
	if _, err := t.exec(ctx, `DELETE FROM mfa_challenges WHERE user_id = ? AND expires_at <= ?`, c.UserID, micros(c.CreatedAt)); err != nil {
		return errs.Wrap(err, "drop expired challenges")
	}
	_, err := t.exec(ctx, `INSERT INTO mfa_challenges (id, secret_hash, user_id, method, client_addr, created_at, expires_at, attempts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, secretHash, c.UserID, string(c.Method), c.ClientAddr,
		micros(c.CreatedAt), micros(c.ExpiresAt), c.Attempts)
	if isForeignKeyViolation(err) {
		return errs.NotFoundf("err.user.not_found", c.UserID)
	}
	return errs.Wrap(err, "insert challenge")
}

// MFAChallengeByHash finds a challenge by its secret's hash.
func (t *Tx) MFAChallengeByHash(ctx context.Context, secretHash string) (account.MFAChallenge, error) {
	var c account.MFAChallenge
	var method string
	var cr, ex int64
	err := t.queryRow(ctx, `SELECT id, user_id, method, client_addr, created_at, expires_at, attempts
		FROM mfa_challenges WHERE secret_hash = ?`, secretHash).Scan(&c.ID, &c.UserID, &method, &c.ClientAddr, &cr, &ex, &c.Attempts)
	if err != nil {
		return c, notFoundOr(err, errs.NotFoundf("err.mfa.challenge_not_found"), "challenge")
	}
	c.Method, c.CreatedAt, c.ExpiresAt = account.MFAMethod(method), fromMicros(cr), fromMicros(ex)
	return c, nil
}

// AddMFAChallengeAttempt counts a wrong code.
func (t *Tx) AddMFAChallengeAttempt(ctx context.Context, id string) (int, error) {
	var n int
	err := t.queryRow(ctx, `UPDATE mfa_challenges SET attempts = attempts + 1 WHERE id = ? RETURNING attempts`, id).Scan(&n)
	if err != nil {
		return 0, notFoundOr(err, errs.NotFoundf("err.mfa.challenge_not_found"), "challenge attempt")
	}
	return n, nil
}

// DeleteMFAChallenge consumes a challenge.
func (t *Tx) DeleteMFAChallenge(ctx context.Context, id string) (bool, error) {
	res, err := t.exec(ctx, `DELETE FROM mfa_challenges WHERE id = ?`, id)
	return affectedOne(res, err, "delete challenge")
}
