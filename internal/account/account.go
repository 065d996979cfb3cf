// Package account holds people's accounts (ID-1, ID-2, ID-4): registration,
// passwords, sessions, personal API tokens and login rate limiting.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	netmail "net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
	"mysystems/internal/mail"
)

// MaxNameLength bounds display names, organization names and token names.
const MaxNameLength = 200

// User is a person with an account.
type User struct {
	ID        string
	Email     string
	Name      string
	Lang      string // preferred language: "en" or "fr"
	CreatedAt time.Time
}

// Session is a signed-in browser or CLI session. Its secret is only ever
// held by the client; the store keeps its hash.
type Session struct {
	ID         string
	UserID     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	ClientAddr string
	UserAgent  string
}

// Token is a personal API token (ID-2).
type Token struct {
	ID         string
	UserID     string
	Name       string
	Prefix     string // the first characters of the secret, to recognise it
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
}

// Principal is the authenticated caller of a request.
type Principal struct {
	User      User
	SessionID string // set when authenticated by a session
	TokenID   string // set when authenticated by a personal API token
	// ClientAddr is where the request comes from, set by the HTTP edge
	// (the audit log records it).
	ClientAddr string
}

// Secret prefixes make a leaked secret recognisable (and greppable by secret
// scanners) and tell the kinds apart.
const (
	SessionPrefix  = "mss_"
	TokenPrefix    = "mst_"
	PlatformPrefix = "msv_"
)

// NewID returns a random opaque id with a prefix, e.g. "org_k3j5…".
func NewID(prefix string) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// NewSecret returns a 160-bit random secret with a prefix.
func NewSecret(prefix string) string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// HashSecret is the stored form of a high-entropy secret (sessions, tokens).
// Secrets are random, so a fast hash is enough; passwords use argon2id.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// NormalizeEmail validates an address and returns its canonical form for
// uniqueness (case-insensitive, ID-1).
func NormalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", errs.InvalidField("email", "err.account.email_required")
	}
	if len(email) > 254 {
		return "", errs.InvalidField("email", "err.account.email_too_long")
	}
	a, err := netmail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email, "@") || strings.HasPrefix(email, "@") || strings.HasSuffix(email, "@") {
		return "", errs.InvalidField("email", "err.account.email_invalid", i18n.Quoted(email))
	}
	return strings.ToLower(email), nil
}

// CheckName validates a required display name (people, organizations,
// tokens): trimmed, 1 to 200 characters, no control characters.
func CheckName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errs.InvalidField(field, "err.name.required", i18n.Key("err.field."+field))
	}
	if utf8.RuneCountInString(name) > MaxNameLength || !utf8.ValidString(name) {
		return "", errs.InvalidField(field, "err.name.too_long", i18n.Key("err.field."+field), MaxNameLength)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", errs.InvalidField(field, "err.name.control", i18n.Key("err.field."+field))
		}
	}
	return name, nil
}

// CheckLang validates a language preference.
func CheckLang(lang string) (string, error) {
	if lang == "" {
		return i18n.Default, nil
	}
	if i18n.IsLang(lang) {
		return lang, nil
	}
	return "", errs.InvalidField("lang", "err.account.lang")
}

// Tx is what the account service needs of a store transaction.
type Tx interface {
	CreateUser(ctx context.Context, u User, passwordHash string) error
	UserByEmail(ctx context.Context, emailNorm string) (User, string, error)
	UserByID(ctx context.Context, id string) (User, error)
	UpdateUser(ctx context.Context, u User) error

	CreateSession(ctx context.Context, s Session, secretHash string) error
	SessionByHash(ctx context.Context, secretHash string) (Session, error)
	TouchSession(ctx context.Context, id string, at time.Time) error
	DeleteSession(ctx context.Context, id string) error

	CreateToken(ctx context.Context, t Token, secretHash string) error
	TokenByHash(ctx context.Context, secretHash string) (Token, error)
	Tokens(ctx context.Context, userID string) ([]Token, error)
	DeleteToken(ctx context.Context, userID, id string) error
	TouchToken(ctx context.Context, id string, at time.Time) error

	RateTx

	// MemberOrgIDs lists the active organizations a person belongs to.
	MemberOrgIDs(ctx context.Context, userID string) ([]string, error)
	RecordAudit(ctx context.Context, e audit.Entry) error

	MFATx
	mail.Tx // e-mail codes are queued in the transaction that makes them
}

// RateTx keeps the attempts that rate limits count (ID-4), in sliding
// windows: an attempt counts for a window's length after it was made.
type RateTx interface {
	// RateCount counts the attempts under key in (now-window, now]; when
	// at least max fall in it, next is when the count falls below max. In a
	// write transaction, the check and the hits that follow it are one step
	// for key across instances.
	RateCount(ctx context.Context, key string, now time.Time, window time.Duration, max int) (n int, next time.Time, err error)
	// RateHit records an attempt, counted for window; the id names it for
	// TakeBackRate.
	RateHit(ctx context.Context, key string, now time.Time, window time.Duration) (id string, err error)
	TakeBackRate(ctx context.Context, id string) error
	ResetRate(ctx context.Context, key string) error
	// PruneRate deletes the attempts no window counts any more.
	PruneRate(ctx context.Context, now time.Time) (int, error)
}

// Store runs transactions.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
}

// PlatformToken authenticates a vendor operator (SPEC §0): it never acts
// through an organization role.
type PlatformToken struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// PlatformTx is what platform-token use cases need of a store transaction.
type PlatformTx interface {
	CreatePlatformToken(ctx context.Context, t PlatformToken, secretHash string) error
	PlatformTokenByHash(ctx context.Context, secretHash string) (PlatformToken, error)
}
