package httpapi

import (
	"encoding/base64"

	"mysystems/internal/account"
	"mysystems/internal/api"
)

// Multi-factor authentication (ID-3). Flows:
//
//   - Login: POST /auth/login answers {mfa_required: true, challenge, method,
//     expires_at} for a person with MFA; POST /auth/mfa {challenge, code}
//     from the same client address then answers {token, expires_at, user}.
//     A challenge lives 10 minutes and allows 5 wrong codes.
//   - TOTP: POST /me/mfa/totp → {secret, otpauth_url, qr_png_base64};
//     POST /me/mfa/totp/confirm {code} → {recovery_codes} (shown once).
//   - E-mail: POST /me/mfa/email sends a code to the account's address;
//     POST /me/mfa/email/confirm {code} turns e-mail codes on.
//   - Off: DELETE /me/mfa {code} with a TOTP code, a recovery code or, for
//     the e-mail method, a code from POST /me/mfa/email/code.

func mfaJSON(s account.MFAStatus) api.MFAJSON {
	return api.MFAJSON{Enabled: s.Enabled, Method: string(s.Method), RecoveryCodesLeft: s.RecoveryCodesLeft,
		Pending: string(s.Pending)}
}

func (a *API) mfaRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/api/v1/auth/mfa", Tag: "accounts",
			Summary: "Second step of a login (ID-3): the challenge from /auth/login and a TOTP, e-mail or recovery code, from the same client address",
			Auth:    AuthNone, Request: api.MFALoginRequest{}, Response: api.LoginResponse{},
			handle: withBody(func(c *Call, in api.MFALoginRequest) (any, error) {
				res, err := a.d.Accounts.CompleteMFA(c.R.Context(), in.Challenge, in.Code, c.Actor.ClientAddr, c.R.UserAgent())
				if err != nil {
					return nil, err
				}
				return api.LoginResponse{Token: res.Secret, ExpiresAt: res.Session.ExpiresAt, User: userJSON(res.User)}, nil
			})},
		{Method: "GET", Path: "/api/v1/me/mfa", Tag: "accounts", Summary: "Two-factor status",
			Auth: AuthUser, Response: api.MFAJSON{}, handle: func(c *Call) (any, error) {
				st, err := a.d.Accounts.MFAStatus(c.R.Context(), c.Principal.User.ID)
				return mfaJSON(st), err
			}},
		{Method: "POST", Path: "/api/v1/me/mfa/totp", Tag: "accounts",
			Summary: "Start TOTP enrolment: a new secret, its otpauth:// URL and QR code (PNG, base64); confirm with /me/mfa/totp/confirm",
			Auth:    AuthUser, Response: api.TOTPEnrolment{}, handle: func(c *Call) (any, error) {
				enr, err := a.d.Accounts.StartTOTP(c.R.Context(), c.Principal)
				if err != nil {
					return nil, err
				}
				return api.TOTPEnrolment{Secret: enr.Secret, OTPAuthURL: enr.URL,
					QRPNGBase64: base64.StdEncoding.EncodeToString(enr.QRPNG)}, nil
			}},
		{Method: "POST", Path: "/api/v1/me/mfa/totp/confirm", Tag: "accounts",
			Summary: "Turn TOTP on with a first code; answers the 10 single-use recovery codes, shown this once",
			Auth:    AuthUser, Request: api.MFACodeRequest{}, Response: api.RecoveryCodes{}, handle: withBody(func(c *Call, in api.MFACodeRequest) (any, error) {
				codes, err := a.d.Accounts.ConfirmTOTP(c.R.Context(), c.Principal, in.Code)
				if err != nil {
					return nil, err
				}
				return api.RecoveryCodes{RecoveryCodes: codes}, nil
			})},
		{Method: "POST", Path: "/api/v1/me/mfa/recovery-codes", Tag: "accounts",
			Summary: "Replace the recovery codes (TOTP), given a current code; answers the new codes, shown this once",
			Auth:    AuthUser, Request: api.MFACodeRequest{}, Response: api.RecoveryCodes{}, handle: withBody(func(c *Call, in api.MFACodeRequest) (any, error) {
				codes, err := a.d.Accounts.RegenerateRecoveryCodes(c.R.Context(), c.Principal, in.Code)
				if err != nil {
					return nil, err
				}
				return api.RecoveryCodes{RecoveryCodes: codes}, nil
			})},
		{Method: "POST", Path: "/api/v1/me/mfa/email", Tag: "accounts",
			Summary: "Start e-mail codes: a code is sent to the account's address; turn them on with /me/mfa/email/confirm",
			Auth:    AuthUser, Response: api.MFACodeSent{}, Status: 202, handle: func(c *Call) (any, error) {
				exp, err := a.d.Accounts.StartEmailMFA(c.R.Context(), c.Principal)
				if err != nil {
					return nil, err
				}
				return api.MFACodeSent{SentTo: c.Principal.User.Email, ExpiresAt: exp}, nil
			}},
		{Method: "POST", Path: "/api/v1/me/mfa/email/confirm", Tag: "accounts",
			Summary: "Turn e-mail codes on with the code sent by /me/mfa/email",
			Auth:    AuthUser, Request: api.MFACodeRequest{}, Response: api.MFAJSON{}, handle: withBody(func(c *Call, in api.MFACodeRequest) (any, error) {
				if err := a.d.Accounts.ConfirmEmailMFA(c.R.Context(), c.Principal, in.Code); err != nil {
					return nil, err
				}
				st, err := a.d.Accounts.MFAStatus(c.R.Context(), c.Principal.User.ID)
				return mfaJSON(st), err
			})},
		{Method: "POST", Path: "/api/v1/me/mfa/email/code", Tag: "accounts",
			Summary: "E-mail a code that confirms turning MFA off (method e-mail only)",
			Auth:    AuthUser, Response: api.MFACodeSent{}, Status: 202, handle: func(c *Call) (any, error) {
				exp, err := a.d.Accounts.SendMFACode(c.R.Context(), c.Principal)
				if err != nil {
					return nil, err
				}
				return api.MFACodeSent{SentTo: c.Principal.User.Email, ExpiresAt: exp}, nil
			}},
		{Method: "DELETE", Path: "/api/v1/me/mfa", Tag: "accounts",
			Summary: "Turn MFA off; the body {code} holds a current TOTP code, a recovery code or (method e-mail) a code from /me/mfa/email/code. With MFA off it cancels a pending enrolment and the code may be empty",
			Auth:    AuthUser, Request: api.MFACodeRequest{}, handle: withBody(func(c *Call, in api.MFACodeRequest) (any, error) {
				return nil, a.d.Accounts.DisableMFA(c.R.Context(), c.Principal, in.Code)
			})},
	}
}
