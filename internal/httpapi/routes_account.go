package httpapi

import (
	"net/http"
	"strconv"

	"mysystems/internal/account"
	"mysystems/internal/api"
	"mysystems/internal/audit"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (a *API) accountRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/api/v1/auth/register", Tag: "accounts", Summary: "Register an account (ID-1)",
			Auth: AuthNone, Request: api.RegisterRequest{}, Response: api.UserResponse{}, Status: http.StatusCreated,
			handle: withBody(func(c *Call, in api.RegisterRequest) (any, error) {
				u, err := a.d.Accounts.Register(c.R.Context(), account.RegisterInput{Email: in.Email, Name: in.Name,
					Password: in.Password, Lang: in.Lang}, c.Actor.ClientAddr)
				if err != nil {
					return nil, err
				}
				return api.UserResponse{User: userJSON(u)}, nil
			})},
		{Method: "POST", Path: "/api/v1/auth/login", Tag: "accounts", Summary: "Sign in and get a session token (ID-2)",
			Auth: AuthNone, Request: api.LoginRequest{}, Response: api.LoginResponse{},
			handle: withBody(func(c *Call, in api.LoginRequest) (any, error) {
				res, err := a.d.Accounts.Login(c.R.Context(), in.Email, in.Password, c.Actor.ClientAddr, c.R.UserAgent())
				if err != nil {
					return nil, err
				}
				if ch := res.Challenge; ch != nil {
					return api.LoginResponse{MFARequired: true, Challenge: ch.Secret, Method: string(ch.Method), ExpiresAt: ch.ExpiresAt}, nil
				}
				return api.LoginResponse{Token: res.Secret, ExpiresAt: res.Session.ExpiresAt, User: userJSON(res.User)}, nil
			})},
		{Method: "POST", Path: "/api/v1/auth/logout", Tag: "accounts", Summary: "End the current session",
			Auth: AuthUser, handle: func(c *Call) (any, error) {
				return nil, a.d.Accounts.Logout(c.R.Context(), c.Principal)
			}},
		{Method: "GET", Path: "/api/v1/me", Tag: "accounts", Summary: "The signed-in user and their organizations",
			Auth: AuthUser, Response: api.MeResponse{}, handle: func(c *Call) (any, error) {
				return a.me(c, c.Principal.User)
			}},
		{Method: "PATCH", Path: "/api/v1/me", Tag: "accounts", Summary: "Update the signed-in user's preferences",
			Auth: AuthUser, Request: api.MePatch{}, Response: api.MeResponse{}, handle: withBody(func(c *Call, in api.MePatch) (any, error) {
				u := c.Principal.User
				if in.Lang != nil {
					var err error
					if u, err = a.d.Accounts.SetLang(c.R.Context(), c.Principal, *in.Lang); err != nil {
						return nil, err
					}
				}
				return a.me(c, u)
			})},
		{Method: "GET", Path: "/api/v1/me/tokens", Tag: "accounts", Summary: "List personal API tokens",
			Auth: AuthUser, Response: api.List[api.TokenJSON]{}, handle: func(c *Call) (any, error) {
				ts, err := a.d.Accounts.Tokens(c.R.Context(), c.Principal)
				if err != nil {
					return nil, err
				}
				return listOf(ts, "", tokenJSON), nil
			}},
		{Method: "POST", Path: "/api/v1/me/tokens", Tag: "accounts", Summary: "Create a personal API token (shown once)",
			Auth: AuthUser, Request: api.TokenRequest{}, Response: api.TokenCreated{}, Status: http.StatusCreated,
			handle: withBody(func(c *Call, in api.TokenRequest) (any, error) {
				t, secret, err := a.d.Accounts.CreateToken(c.R.Context(), c.Principal, in.Name, in.ExpiresAt)
				if err != nil {
					return nil, err
				}
				return api.TokenCreated{Token: secret, Detail: tokenJSON(t)}, nil
			})},
		{Method: "DELETE", Path: "/api/v1/me/tokens/{id}", Tag: "accounts", Summary: "Revoke a personal API token",
			Auth: AuthUser, handle: func(c *Call) (any, error) {
				return nil, a.d.Accounts.RevokeToken(c.R.Context(), c.Principal, c.R.PathValue("id"))
			}},
	}
}

func (a *API) me(c *Call, u account.User) (api.MeResponse, error) {
	out := api.MeResponse{User: userJSON(u), Orgs: []api.OrgJSON{}}
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
