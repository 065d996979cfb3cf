package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/audit"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

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

func (a *API) accountRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/api/v1/auth/register", Tag: "accounts", Summary: "Register an account (ID-1)",
			Auth: AuthNone, Request: RegisterRequest{}, Response: UserResponse{}, Status: http.StatusCreated,
			handle: func(c *Call) (any, error) {
				var in RegisterRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				u, err := a.d.Accounts.Register(c.R.Context(), account.RegisterInput{Email: in.Email, Name: in.Name,
					Password: in.Password, Lang: in.Lang}, c.Actor.ClientAddr)
				if err != nil {
					return nil, err
				}
				return UserResponse{User: userJSON(u)}, nil
			}},
		{Method: "POST", Path: "/api/v1/auth/login", Tag: "accounts", Summary: "Sign in and get a session token (ID-2)",
			Auth: AuthNone, Request: LoginRequest{}, Response: LoginResponse{},
			handle: func(c *Call) (any, error) {
				var in LoginRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				res, err := a.d.Accounts.Login(c.R.Context(), in.Email, in.Password, c.Actor.ClientAddr, c.R.UserAgent())
				if err != nil {
					return nil, err
				}
				if ch := res.Challenge; ch != nil {
					return LoginResponse{MFARequired: true, Challenge: ch.Secret, Method: string(ch.Method), ExpiresAt: ch.ExpiresAt}, nil
				}
				return LoginResponse{Token: res.Secret, ExpiresAt: res.Session.ExpiresAt, User: userJSON(res.User)}, nil
			}},
		{Method: "POST", Path: "/api/v1/auth/logout", Tag: "accounts", Summary: "End the current session",
			Auth: AuthUser, handle: func(c *Call) (any, error) {
				return nil, a.d.Accounts.Logout(c.R.Context(), c.Principal)
			}},
		{Method: "GET", Path: "/api/v1/me", Tag: "accounts", Summary: "The signed-in user and their organizations",
			Auth: AuthUser, Response: MeResponse{}, handle: func(c *Call) (any, error) {
				return a.me(c, c.Principal.User)
			}},
		{Method: "PATCH", Path: "/api/v1/me", Tag: "accounts", Summary: "Update the signed-in user's preferences",
			Auth: AuthUser, Request: MePatch{}, Response: MeResponse{}, handle: func(c *Call) (any, error) {
				var in MePatch
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				u := c.Principal.User
				if in.Lang != nil {
					var err error
					if u, err = a.d.Accounts.SetLang(c.R.Context(), c.Principal, *in.Lang); err != nil {
						return nil, err
					}
				}
				return a.me(c, u)
			}},
		{Method: "GET", Path: "/api/v1/me/tokens", Tag: "accounts", Summary: "List personal API tokens",
			Auth: AuthUser, Response: List[TokenJSON]{}, handle: func(c *Call) (any, error) {
				ts, err := a.d.Accounts.Tokens(c.R.Context(), c.Principal)
				if err != nil {
					return nil, err
				}
				out := List[TokenJSON]{Items: []TokenJSON{}}
				for _, t := range ts {
					out.Items = append(out.Items, tokenJSON(t))
				}
				return out, nil
			}},
		{Method: "POST", Path: "/api/v1/me/tokens", Tag: "accounts", Summary: "Create a personal API token (shown once)",
			Auth: AuthUser, Request: TokenRequest{}, Response: TokenCreated{}, Status: http.StatusCreated,
			handle: func(c *Call) (any, error) {
				var in TokenRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				t, secret, err := a.d.Accounts.CreateToken(c.R.Context(), c.Principal, in.Name, in.ExpiresAt)
				if err != nil {
					return nil, err
				}
				return TokenCreated{Token: secret, Detail: tokenJSON(t)}, nil
			}},
		{Method: "DELETE", Path: "/api/v1/me/tokens/{id}", Tag: "accounts", Summary: "Revoke a personal API token",
			Auth: AuthUser, handle: func(c *Call) (any, error) {
				return nil, a.d.Accounts.RevokeToken(c.R.Context(), c.Principal, c.R.PathValue("id"))
			}},
	}
}

func (a *API) me(c *Call, u account.User) (MeResponse, error) {
	out := MeResponse{User: userJSON(u), Orgs: []OrgJSON{}}
	st, err := a.d.Accounts.MFAStatus(c.R.Context(), u.ID)
	if err != nil {
		return out, err
	}
	out.MFA = mfaJSON(st)
	p := audit.Page{Limit: 500}
	for {
		mine, next, err := a.d.Orgs.Mine(c.R.Context(), u.ID, p)
		if err != nil {
			return out, err
		}
		for _, m := range mine {
			out.Orgs = append(out.Orgs, orgJSON(m.Org, string(m.Role)))
		}
		if next == "" {
			return out, nil
		}
		p.Cursor = next
	}
}
