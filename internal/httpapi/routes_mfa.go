package httpapi

import (
	"encoding/base64"
	"time"

	"mysystems/internal/account"
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

// MFAJSON is a person's second-factor status.
type MFAJSON struct {
	Enabled bool `json:"enabled"`
	// Method is "totp", "email" or "" (off).
	Method            string `json:"method"`
	RecoveryCodesLeft int    `json:"recovery_codes_left"`
	// Pending is "totp" while an enrolment waits for its first code.
	Pending string `json:"pending,omitempty"`
}

func mfaJSON(s account.MFAStatus) MFAJSON {
	return MFAJSON{Enabled: s.Enabled, Method: string(s.Method), RecoveryCodesLeft: s.RecoveryCodesLeft,
		Pending: string(s.Pending)}
}

// MFALoginRequest is the second step of a login.
type MFALoginRequest struct {
	Challenge string `json:"challenge"`
	Code      string `json:"code"` // TOTP, e-mail or recovery code
}

// TOTPEnrolment is a new TOTP secret for an authenticator app. The QR code
// encodes otpauth_url.
type TOTPEnrolment struct {
	Secret      string `json:"secret"`
	OTPAuthURL  string `json:"otpauth_url"`
	QRPNGBase64 string `json:"qr_png_base64"`
}

// MFACodeRequest carries a current second-factor code.
type MFACodeRequest struct {
	Code string `json:"code"`
}

// RecoveryCodes are single-use codes for when the authenticator is lost,
// shown this once.
type RecoveryCodes struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// MFACodeSent says an e-mail code is on its way.
type MFACodeSent struct {
	SentTo    string    `json:"sent_to"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (a *API) mfaRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/api/v1/auth/mfa", Tag: "accounts",
			Summary: "Second step of a login (ID-3): the challenge from /auth/login and a TOTP, e-mail or recovery code, from the same client address",
			Auth:    AuthNone, Request: MFALoginRequest{}, Response: LoginResponse{},
			handle: func(c *Call) (any, error) {
				var in MFALoginRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				res, err := a.d.Accounts.CompleteMFA(c.R.Context(), in.Challenge, in.Code, c.Actor.ClientAddr, c.R.UserAgent())
				if err != nil {
					return nil, err
				}
				return LoginResponse{Token: res.Secret, ExpiresAt: res.Session.ExpiresAt, User: userJSON(res.User)}, nil
			}},
		{Method: "GET", Path: "/api/v1/me/mfa", Tag: "accounts", Summary: "Two-factor status",
			Auth: AuthUser, Response: MFAJSON{}, handle: func(c *Call) (any, error) {
				st, err := a.d.Accounts.MFAStatus(c.R.Context(), c.Principal.User.ID)
				return mfaJSON(st), err
			}},
		{Method: "POST", Path: "/api/v1/me/mfa/totp", Tag: "accounts",
			Summary: "Start TOTP enrolment: a new secret, its otpauth:// URL and QR code (PNG, base64); confirm with /me/mfa/totp/confirm",
			Auth:    AuthUser, Response: TOTPEnrolment{}, handle: func(c *Call) (any, error) {
				enr, err := a.d.Accounts.StartTOTP(c.R.Context(), c.Principal)
				if err != nil {
					return nil, err
				}
				return TOTPEnrolment{Secret: enr.Secret, OTPAuthURL: enr.URL,
					QRPNGBase64: base64.StdEncoding.EncodeToString(enr.QRPNG)}, nil
			}},
		{Method: "POST", Path: "/api/v1/me/mfa/totp/confirm", Tag: "accounts",
			Summary: "Turn TOTP on with a first code; answers the 10 single-use recovery codes, shown this once",
			Auth:    AuthUser, Request: MFACodeRequest{}, Response: RecoveryCodes{}, handle: func(c *Call) (any, error) {
				var in MFACodeRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				codes, err := a.d.Accounts.ConfirmTOTP(c.R.Context(), c.Principal, in.Code)
				if err != nil {
					return nil, err
				}
				return RecoveryCodes{RecoveryCodes: codes}, nil
			}},
		{Method: "POST", Path: "/api/v1/me/mfa/recovery-codes", Tag: "accounts",
			Summary: "Replace the recovery codes (TOTP), given a current code; answers the new codes, shown this once",
			Auth:    AuthUser, Request: MFACodeRequest{}, Response: RecoveryCodes{}, handle: func(c *Call) (any, error) {
				var in MFACodeRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				codes, err := a.d.Accounts.RegenerateRecoveryCodes(c.R.Context(), c.Principal, in.Code)
				if err != nil {
					return nil, err
				}
				return RecoveryCodes{RecoveryCodes: codes}, nil
			}},
		{Method: "POST", Path: "/api/v1/me/mfa/email", Tag: "accounts",
			Summary: "Start e-mail codes: a code is sent to the account's address; turn them on with /me/mfa/email/confirm",
			Auth:    AuthUser, Response: MFACodeSent{}, Status: 202, handle: func(c *Call) (any, error) {
				exp, err := a.d.Accounts.StartEmailMFA(c.R.Context(), c.Principal)
				if err != nil {
					return nil, err
				}
				return MFACodeSent{SentTo: c.Principal.User.Email, ExpiresAt: exp}, nil
			}},
		{Method: "POST", Path: "/api/v1/me/mfa/email/confirm", Tag: "accounts",
			Summary: "Turn e-mail codes on with the code sent by /me/mfa/email",
			Auth:    AuthUser, Request: MFACodeRequest{}, Response: MFAJSON{}, handle: func(c *Call) (any, error) {
				var in MFACodeRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				if err := a.d.Accounts.ConfirmEmailMFA(c.R.Context(), c.Principal, in.Code); err != nil {
					return nil, err
				}
				st, err := a.d.Accounts.MFAStatus(c.R.Context(), c.Principal.User.ID)
				return mfaJSON(st), err
			}},
		{Method: "POST", Path: "/api/v1/me/mfa/email/code", Tag: "accounts",
			Summary: "E-mail a code that confirms turning MFA off (method e-mail only)",
			Auth:    AuthUser, Response: MFACodeSent{}, Status: 202, handle: func(c *Call) (any, error) {
				exp, err := a.d.Accounts.SendMFACode(c.R.Context(), c.Principal)
				if err != nil {
					return nil, err
				}
				return MFACodeSent{SentTo: c.Principal.User.Email, ExpiresAt: exp}, nil
			}},
		{Method: "DELETE", Path: "/api/v1/me/mfa", Tag: "accounts",
			Summary: "Turn MFA off; the body {code} holds a current TOTP code, a recovery code or (method e-mail) a code from /me/mfa/email/code. With MFA off it cancels a pending enrolment and the code may be empty",
			Auth:    AuthUser, Request: MFACodeRequest{}, handle: func(c *Call) (any, error) {
				var in MFACodeRequest
				if err := c.Decode(&in); err != nil {
					return nil, err
				}
				return nil, a.d.Accounts.DisableMFA(c.R.Context(), c.Principal, in.Code)
			}},
	}
}
