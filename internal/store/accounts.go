package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/errs"
)

// Accounts returns the account store.
func (db *DB) Accounts() account.Store {
	return runner[account.Tx]{db, func(t *Tx) account.Tx { return t }}
}

// Platform returns the platform-token store.
func (db *DB) Platform() account.PlatformStore {
	return runner[account.PlatformTx]{db, func(t *Tx) account.PlatformTx { return t }}
}

const userCols = `id, email, name, lang, created_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (account.User, error) {
	var u account.User
	var created int64
	err := row.Scan(append([]any{&u.ID, &u.Email, &u.Name, &u.Lang, &created}, extra...)...)
	u.CreatedAt = fromMicros(created)
	return u, err
}

func notFoundOr(err error, nf error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return nf
	}
	return errs.Wrap(err, what)
}

// CreateUser inserts a user; a taken e-mail is a Conflict.
func (t *Tx) CreateUser(ctx context.Context, u account.User, passwordHash string) error {
	norm, err := account.NormalizeEmail(u.Email)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO users (id, email, email_norm, name, lang, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Email, norm, u.Name, u.Lang, passwordHash, micros(u.CreatedAt))
	return conflictOr(err, errs.E(errs.Conflict, "err.account.exists"), "insert user")
}

// UserByEmail returns a user and password hash by normalized e-mail.
func (t *Tx) UserByEmail(ctx context.Context, emailNorm string) (account.User, string, error) {
	var hash string
	u, err := scanUser(t.queryRow(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE email_norm = ?`, emailNorm), &hash)
	if err != nil {
		return account.User{}, "", notFoundOr(err, errs.NotFoundf("err.user.not_found_plain"), "user by email")
	}
	return u, hash, nil
}

// UserByID returns a user.
func (t *Tx) UserByID(ctx context.Context, id string) (account.User, error) {
	u, err := scanUser(t.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if err != nil {
		return account.User{}, notFoundOr(err, errs.NotFoundf("err.user.not_found", id), "user by id")
	}
	return u, nil
}

// UpdateUser saves a user's name and language.
func (t *Tx) UpdateUser(ctx context.Context, u account.User) error {
	return t.execOne(ctx, errs.NotFoundf("err.user.not_found", u.ID),
		`UPDATE users SET name = ?, lang = ? WHERE id = ?`, u.Name, u.Lang, u.ID)
}

// CreateSession inserts a session.
func (t *Tx) CreateSession(ctx context.Context, s account.Session, secretHash string) error {
	_, err := t.exec(ctx, `INSERT INTO sessions (id, user_id, secret_hash, created_at, expires_at, last_seen_at, client_addr, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, s.UserID, secretHash, micros(s.CreatedAt), micros(s.ExpiresAt),
		micros(s.LastSeenAt), s.ClientAddr, s.UserAgent)
	return errs.Wrap(err, "insert session")
}

// SessionByHash finds a session by its secret's hash.
func (t *Tx) SessionByHash(ctx context.Context, secretHash string) (account.Session, error) {
	var s account.Session
	var c, e, l int64
	err := t.queryRow(ctx, `SELECT id, user_id, created_at, expires_at, last_seen_at, client_addr, user_agent
		FROM sessions WHERE secret_hash = ?`, secretHash).Scan(&s.ID, &s.UserID, &c, &e, &l, &s.ClientAddr, &s.UserAgent)
	if err != nil {
		return s, notFoundOr(err, errs.NotFoundf("err.session.not_found"), "session")
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = fromMicros(c), fromMicros(e), fromMicros(l)
	return s, nil
}

// TouchSession records a session's last use.
func (t *Tx) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, micros(at), id)
	return errs.Wrap(err, "touch session")
}

// DeleteSession ends a session.
func (t *Tx) DeleteSession(ctx context.Context, id string) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return errs.Wrap(err, "delete session")
}

// CreateToken inserts a personal API token.
func (t *Tx) CreateToken(ctx context.Context, k account.Token, secretHash string) error {
	_, err := t.exec(ctx, `INSERT INTO api_tokens (id, user_id, name, prefix, secret_hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, k.ID, k.UserID, k.Name, k.Prefix, secretHash, micros(k.CreatedAt), nullMicros(k.ExpiresAt))
	return errs.Wrap(err, "insert token")
}

const tokenCols = `id, user_id, name, prefix, created_at, expires_at, last_used_at`

func scanToken(row interface{ Scan(...any) error }) (account.Token, error) {
	var k account.Token
	var c int64
	var e, l sql.NullInt64
	err := row.Scan(&k.ID, &k.UserID, &k.Name, &k.Prefix, &c, &e, &l)
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = fromMicros(c), fromNullMicros(e), fromNullMicros(l)
	return k, err
}

// TokenByHash finds a personal API token by its secret's hash.
func (t *Tx) TokenByHash(ctx context.Context, secretHash string) (account.Token, error) {
	k, err := scanToken(t.queryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE secret_hash = ?`, secretHash))
	if err != nil {
		return k, notFoundOr(err, errs.NotFoundf("err.token.not_found_plain"), "token")
	}
	return k, nil
}

// Tokens lists a user's tokens, newest first.
func (t *Tx) Tokens(ctx context.Context, userID string) ([]account.Token, error) {
	rows, err := t.query(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id`, userID)
	if err != nil {
		return nil, errs.Wrap(err, "tokens")
	}
	defer rows.Close()
	out := []account.Token{}
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, errs.Wrap(err, "scan token")
		}
		out = append(out, k)
	}
	return out, errs.Wrap(rows.Err(), "tokens")
}

// DeleteToken revokes one of a user's tokens.
func (t *Tx) DeleteToken(ctx context.Context, userID, id string) error {
	return t.execOne(ctx, errs.NotFoundf("err.token.not_found", id),
		`DELETE FROM api_tokens WHERE id = ? AND user_id = ?`, id, userID)
}

// TouchToken records a token's last use.
func (t *Tx) TouchToken(ctx context.Context, id string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, micros(at), id)
	return errs.Wrap(err, "touch token")
}

// RateCount counts the attempts under key in the sliding window
// (now-window, now]. When at least max fall in it, next is when the count
// falls below max again: when the attempt max places from the newest
// leaves the window. In a write transaction on PostgreSQL it first takes a
// lock on key held to the end of the transaction, so that checks of one
// key on any instance queue and a check and the hit it allows are one
// step.
func (t *Tx) RateCount(ctx context.Context, key string, now time.Time, window time.Duration, max int) (int, time.Time, error) {
	if err := t.lockKey(ctx, "rate:"+key); err != nil {
		return 0, time.Time{}, errs.Wrap(err, "rate lock")
	}
	since := micros(now.Add(-window))
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM rate_attempts WHERE key = ? AND at > ?`, key, since).Scan(&n); err != nil {
		return 0, time.Time{}, errs.Wrap(err, "rate count")
	}
	if max <= 0 || n < max {
		return n, time.Time{}, nil
	}
	var at int64
	if err := t.queryRow(ctx, `SELECT at FROM rate_attempts WHERE key = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?`,
		key, since, n-max).Scan(&at); err != nil {
		return 0, time.Time{}, errs.Wrap(err, "rate count")
	}
	return n, fromMicros(at).Add(window), nil
}

// RateHit records an attempt under key at now, counted for window; the id
// names it for TakeBackRate.
func (t *Tx) RateHit(ctx context.Context, key string, now time.Time, window time.Duration) (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", errs.Wrap(err, "rate id")
	}
	id := hex.EncodeToString(b)
	_, err := t.exec(ctx, `INSERT INTO rate_attempts (id, key, at, expires_at) VALUES (?, ?, ?, ?)`,
		id, key, micros(now), micros(now.Add(window)))
	return id, errs.Wrap(err, "rate hit")
}

// TakeBackRate deletes one attempt recorded by RateHit.
func (t *Tx) TakeBackRate(ctx context.Context, id string) error {
	_, err := t.exec(ctx, `DELETE FROM rate_attempts WHERE id = ?`, id)
	return errs.Wrap(err, "rate take back")
}

// ResetRate forgets every attempt under key.
func (t *Tx) ResetRate(ctx context.Context, key string) error {
	_, err := t.exec(ctx, `DELETE FROM rate_attempts WHERE key = ?`, key)
	return errs.Wrap(err, "rate reset")
}

// PruneRate deletes the attempts no window counts any more at now.
func (t *Tx) PruneRate(ctx context.Context, now time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM rate_attempts WHERE expires_at <= ?`, micros(now))
	if err != nil {
		return 0, errs.Wrap(err, "rate prune")
	}
	n, err := res.RowsAffected()
	return int(n), errs.Wrap(err, "rate prune")
}

// MemberOrgIDs lists the active organizations a person belongs to.
func (t *Tx) MemberOrgIDs(ctx context.Context, userID string) ([]string, error) {
	rows, err := t.query(ctx, `SELECT m.org_id FROM memberships m JOIN orgs o ON o.id = m.org_id
		WHERE m.user_id = ? AND o.status = 'active' ORDER BY m.org_id`, userID)
	if err != nil {
		return nil, errs.Wrap(err, "member orgs")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "scan member org")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "member orgs")
}

// CreatePlatformToken inserts a vendor-operator token.
func (t *Tx) CreatePlatformToken(ctx context.Context, k account.PlatformToken, secretHash string) error {
	_, err := t.exec(ctx, `INSERT INTO platform_tokens (id, name, secret_hash, created_at) VALUES (?, ?, ?, ?)`,
		k.ID, k.Name, secretHash, micros(k.CreatedAt))
	return errs.Wrap(err, "insert platform token")
}

// PlatformTokenByHash finds a platform token.
func (t *Tx) PlatformTokenByHash(ctx context.Context, secretHash string) (account.PlatformToken, error) {
	var k account.PlatformToken
	var c int64
	err := t.queryRow(ctx, `SELECT id, name, created_at FROM platform_tokens WHERE secret_hash = ?`, secretHash).Scan(&k.ID, &k.Name, &c)
	if err != nil {
		return k, notFoundOr(err, errs.NotFoundf("err.token.platform_not_found"), "platform token")
	}
	k.CreatedAt = fromMicros(c)
	return k, nil
}
