package api

import "time"

// MFAJSON is a person's second-factor status.
type MFAJSON struct {
	Enabled bool `json:"enabled"`
	// Method is "totp", "email" or "" (off).
	Method            string `json:"method"`
	RecoveryCodesLeft int    `json:"recovery_codes_left"`
	// Pending is "totp" while an enrolment waits for its first code.
	Pending string `json:"pending,omitempty"`
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
