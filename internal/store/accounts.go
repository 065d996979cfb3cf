package store

import (
	"context"
	"database/sql"
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

func windowStart(now time.Time, window time.Duration) time.Time { return now.Truncate(window) }

// HitRate adds a hit to a fixed-window counter.
func (t *Tx) HitRate(ctx context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error) {
	ws := micros(windowStart(now, window))
	var hits int
	var start int64
	err := t.queryRow(ctx, `INSERT INTO rate_counters (key, window_start, hits) VALUES (?, ?, 1)
		ON CONFLICT (key) DO UPDATE SET
			hits = CASE WHEN rate_counters.window_start = excluded.window_start THEN rate_counters.hits + 1 ELSE 1 END,
			window_start = excluded.window_start
		RETURNING hits, window_start`, key, ws).Scan(&hits, &start)
	if err != nil {
		return 0, time.Time{}, errs.Wrap(err, "rate hit")
	}
	return hits, fromMicros(start), nil
}

// RateCount reads a counter's hits in the current window.
func (t *Tx) RateCount(ctx context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error) {
	ws := windowStart(now, window)
	var hits int
	err := t.queryRow(ctx, `SELECT hits FROM rate_counters WHERE key = ? AND window_start = ?`, key, micros(ws)).Scan(&hits)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ws, nil
	}
	return hits, ws, errs.Wrap(err, "rate count")
}

// ResetRate clears a counter.
func (t *Tx) ResetRate(ctx context.Context, key string) error {
	_, err := t.exec(ctx, `DELETE FROM rate_counters WHERE key = ?`, key)
	return errs.Wrap(err, "rate reset")
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
