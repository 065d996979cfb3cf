package account

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"image/png"
	"math/big"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"mysystems/internal/errs"
)

// Multi-factor authentication (ID-3). The rules here are plain functions
// over values and a time; mfa_service.go runs them in store transactions.

// MFAMethod is a person's second factor: at most one at a time.
type MFAMethod string

// The methods. MFAOff is the zero value: no second factor.
const (
	MFAOff   MFAMethod = ""
	MFATOTP  MFAMethod = "totp"
	MFAEmail MFAMethod = "email"
)

// TOTP parameters of ID-3: RFC 6238 with SHA-1, 30-second steps, 6 digits.
// One step of skew either side absorbs clock drift and typing time.
const (
	TOTPIssuer = "My Systems"
	TOTPPeriod = 30 // seconds
	TOTPDigits = 6
	TOTPSkew   = 1 // steps
)

// Limits of the second step.
const (
	RecoveryCodeCount    = 10
	EmailCodeTTL         = 10 * time.Minute
	ChallengeTTL         = 10 * time.Minute
	MaxChallengeAttempts = 5
)

// MFAChallengePrefix marks a pending second step's secret.
const MFAChallengePrefix = "msm_"

// MFA is a person's stored second-factor state. A person who never enrolled
// has the zero state (Method MFAOff).
type MFA struct {
	UserID string
	Method MFAMethod
	// TOTPSecret is the base32 secret of a confirmed TOTP enrolment. It is
	// stored as is: the server must compute codes from it.
	TOTPSecret string
	// PendingSecret is a TOTP secret shown but not yet confirmed by a code.
	PendingSecret string
	PendingAt     *time.Time
	// LastStep is the last accepted TOTP time step: a code of this step or
	// an earlier one is refused, so a code works once only (ID-3).
	LastStep  int64
	EnabledAt *time.Time
	UpdatedAt time.Time
}

// MFAStatus is what a person (and the organization rule of ID-5) sees of
// their second factor.
type MFAStatus struct {
	Enabled           bool
	Method            MFAMethod
	RecoveryCodesLeft int
	// Pending is the method whose enrolment was started and not confirmed.
	Pending MFAMethod
}

// MFAChallenge is a login waiting for its second step. It is bound to the
// person and the client address that gave the right password.
type MFAChallenge struct {
	ID         string
	UserID     string
	Method     MFAMethod
	ClientAddr string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	Attempts   int // wrong codes so far
	// Secret is set only on the value returned when the challenge is made:
	// the client holds it, the store keeps its hash.
	Secret string
}

// EmailCode is a one-time code sent by e-mail. Purpose binds it to one use:
// "login:<challenge id>", "enable" (confirming e-mail MFA) or "account"
// (confirming a change such as turning MFA off).
type EmailCode struct {
	ID        string
	UserID    string
	Purpose   string
	CodeHash  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// E-mail code purposes.
const (
	purposeEnable  = "enable"
	purposeAccount = "account"
)

func purposeLogin(challengeID string) string { return "login:" + challengeID }

// TOTPEnrolment is what a person needs to set up an authenticator app.
type TOTPEnrolment struct {
	Secret string // base32, for typing in by hand
	URL    string // otpauth://totp/...
	QRPNG  []byte // the URL as a QR code, PNG
}

// MFATx is what the MFA use cases need of a store transaction, beyond Tx's
// accounts, sessions and rate counters.
type MFATx interface {
	// MFA returns a person's state; the zero state (Method MFAOff) if they
	// never enrolled.
	MFA(ctx context.Context, userID string) (MFA, error)
	SaveMFA(ctx context.Context, m MFA) error
	// DeleteMFA turns MFA off: state, recovery codes, e-mail codes and
	// pending challenges go.
	DeleteMFA(ctx context.Context, userID string) error
	// AdvanceTOTPStep records step as the last accepted one if it is later
	// than the recorded one, and reports whether it was (false: a replay).
	AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error)

	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error
	// UseRecoveryCode marks an unused code used and reports whether it was.
	UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) (bool, error)
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)

	// CreateEmailCode stores a code, replacing the person's earlier codes of
	// the same purpose and dropping their expired ones.
	CreateEmailCode(ctx context.Context, c EmailCode) error
	// EmailCodes returns the person's unused, unexpired codes of a purpose.
	EmailCodes(ctx context.Context, userID, purpose string, now time.Time) ([]EmailCode, error)
	// UseEmailCode marks an unused, unexpired code used and reports whether
	// it was.
	UseEmailCode(ctx context.Context, id string, now time.Time) (bool, error)

	// CreateMFAChallenge stores a challenge (dropping the person's expired
	// ones).
	CreateMFAChallenge(ctx context.Context, c MFAChallenge, secretHash string) error
	MFAChallengeByHash(ctx context.Context, secretHash string) (MFAChallenge, error)
	// AddMFAChallengeAttempt counts a wrong code and returns the new count.
	AddMFAChallengeAttempt(ctx context.Context, id string) (int, error)
	// DeleteMFAChallenge consumes a challenge and reports whether it was
	// still there (false: completed concurrently).
	DeleteMFAChallenge(ctx context.Context, id string) (bool, error)
}

// totpOpts are the code parameters shared by enrolment and verification.
var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTP makes a fresh 160-bit TOTP secret for account (the e-mail
// address shown in the authenticator app), its otpauth:// URL and QR code.
func NewTOTP(account string) (TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account, Period: TOTPPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrolment{}, errs.Wrap(err, "generate TOTP key")
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return TOTPEnrolment{}, errs.Wrap(err, "TOTP QR code")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPEnrolment{}, errs.Wrap(err, "TOTP QR code")
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}, nil
}

// TOTPStep is the RFC 6238 time step that contains t.
func TOTPStep(t time.Time) int64 { return t.Unix() / TOTPPeriod }

// TOTPCode is the code of secret for a time step.
func TOTPCode(secret string, step int64) (string, error) {
	if step < 0 {
		return "", errs.E(errs.Invalid, "err.mfa.time_epoch")
	}
	c, err := hotp.GenerateCodeCustom(secret, uint64(step), totpOpts)
	if err != nil {
		return "", errs.Wrap(err, "TOTP code")
	}
	return c, nil
}

// MatchTOTP checks a 6-digit code against secret at now with one step of
// skew either side, refusing steps at or before lastStep (replay). It
// returns the matching step.
func MatchTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	code = normalizeCode(code)
	if !isDigits(code, TOTPDigits) || secret == "" {
		return 0, false
	}
	cur := TOTPStep(now)
	for step := cur - TOTPSkew; step <= cur+TOTPSkew; step++ {
		if step <= lastStep {
			continue
		}
		want, err := TOTPCode(secret, step)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// normalizeCode drops what people type around a code: spaces and hyphens;
// letters are lower-cased.
func normalizeCode(code string) string {
	if len(code) > 64 {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NewEmailCode returns a uniformly random 6-digit code.
func NewEmailCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// hashEmailCode salts a 6-digit code with its record's id, so equal codes
// have different hashes.
func hashEmailCode(id, code string) string { return HashSecret(id + ":" + code) }

// recoveryAlphabet is Crockford's base32: no i, l, o or u, so a code read
// aloud or copied by hand survives (normalizeRecovery maps the look-alikes).
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// recoveryLen is the characters of a recovery code (40 bits), shown as
// xxxx-xxxx.
const recoveryLen = 8

// NewRecoveryCodes returns n random codes formatted for reading.
func NewRecoveryCodes(n int) []string {
	out := make([]string, 0, n)
	seen := map[string]bool{}
	for len(out) < n {
		b := make([]byte, recoveryLen)
		if _, err := rand.Read(b); err != nil {
			panic(err)
		}
		for i := range b {
			b[i] = recoveryAlphabet[int(b[i])%len(recoveryAlphabet)] // 256 is a multiple of 32: uniform
		}
		c := string(b[:4]) + "-" + string(b[4:])
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// normalizeRecovery returns a recovery code's canonical form, or "" if code
// cannot be one.
func normalizeRecovery(code string) string {
	code = normalizeCode(code)
	if len(code) != recoveryLen {
		return ""
	}
	b := []byte(code)
	for i, c := range b {
		switch c {
		case 'o':
			c = '0'
		case 'i', 'l':
			c = '1'
		}
		if !strings.ContainsRune(recoveryAlphabet, rune(c)) {
			return ""
		}
		b[i] = c
	}
	return string(b)
}

// hashRecovery salts a recovery code with its owner's id.
func hashRecovery(userID, code string) string { return HashSecret(userID + ":" + code) }
