package api

import "time"

// UserJSON is a person's public profile.
type UserJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Lang      string    `json:"lang"`
	CreatedAt time.Time `json:"created_at"`
}

// RegisterRequest creates an account.
type RegisterRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Lang     string `json:"lang,omitempty"`
}

// UserResponse wraps a user.
type UserResponse struct {
	User UserJSON `json:"user"`
}

// LoginRequest signs in.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// LoginResponse carries the session token (send it as a Bearer token), or,
// for a person with MFA, mfa_required with the challenge to send to
// /auth/mfa with a code (expires_at is then the challenge's expiry).
type LoginResponse struct {
	Token       string    `json:"token,omitempty"`
	ExpiresAt   time.Time `json:"expires_at"`
	User        UserJSON  `json:"user,omitzero"`
	MFARequired bool      `json:"mfa_required,omitempty"`
	Challenge   string    `json:"challenge,omitempty"`
	Method      string    `json:"method,omitempty"` // "totp" or "email"
}

// MeResponse is the signed-in user and their organizations.
type MeResponse struct {
	User UserJSON  `json:"user"`
	Orgs []OrgJSON `json:"orgs"`
	MFA  MFAJSON   `json:"mfa"`
}

// MePatch updates the signed-in user's preferences.
type MePatch struct {
	Lang *string `json:"lang,omitempty"`
}

// TokenJSON is a personal API token, without its secret.
type TokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// TokenRequest creates a personal API token.
type TokenRequest struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// TokenCreated holds the new token's secret, shown this once.
type TokenCreated struct {
	Token  string    `json:"token"`
	Detail TokenJSON `json:"detail"`
}
