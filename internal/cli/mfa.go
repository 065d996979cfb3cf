package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"mysystems/internal/api"
)

var methodNames = map[string]string{"totp": "authenticator app (totp)", "email": "codes by e-mail (email)"}

func (c *Client) mfaStatus(ctx context.Context) (json.RawMessage, api.MFAJSON, error) {
	var me struct {
		MFA json.RawMessage `json:"mfa"`
	}
	var st api.MFAJSON
	if err := c.do(ctx, http.MethodGet, "/api/v1/me", nil, &me); err != nil {
		return nil, st, err
	}
	if len(me.MFA) == 0 {
		return nil, st, fmt.Errorf("%s sent no MFA state in /api/v1/me; is the server too old?", c.Server)
	}
	if err := json.Unmarshal(me.MFA, &st); err != nil {
		return nil, st, fmt.Errorf("reading the MFA state: %w", err)
	}
	return me.MFA, st, nil
}

func cmdMFAStatus(ctx context.Context, e *env, args []string) error {
	f := e.flags("mfa status", "", "Show whether two-factor authentication is on for your account, and how.", withJSON)
	_, c, err := e.start(f, args, 0, 0)
	if err != nil {
		return err
	}
	raw, st, err := c.mfaStatus(ctx)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(raw)
	}
	fields := []string{"two-factor authentication", "off"}
	if st.Enabled {
		m := methodNames[st.Method]
		if m == "" {
			m = clean(st.Method)
		}
		fields[1] = "on: " + m
		if st.Method == "totp" {
			fields = append(fields, "recovery codes left", strconv.Itoa(st.RecoveryCodesLeft))
		}
	}
	if st.Pending != "" {
		fields = append(fields, "pending", clean(st.Pending)+" enrolment waiting for its first code")
	}
	if err := printFields(e.out, fields...); err != nil {
		return err
	}
	switch {
	case st.Pending == "totp":
		fmt.Fprintln(e.errw, "Finish it with 'mysystems mfa totp confirm CODE', or cancel it with 'mysystems mfa disable'.")
	case !st.Enabled:
		fmt.Fprintln(e.errw, "Turn it on with 'mysystems mfa totp' (authenticator app) or 'mysystems mfa email'.")
	case st.Method == "totp" && st.RecoveryCodesLeft < 3:
		fmt.Fprintln(e.errw, "warning: few recovery codes left; new ones come with a fresh enrolment (turn MFA off, then on).")
	}
	return nil
}

func cmdMFATOTP(ctx context.Context, e *env, args []string) error {
	f := e.flags("mfa totp", "[--code C]",
		"Turn on two-factor authentication with an authenticator app (TOTP). A new secret is\n"+
			"made and printed with its otpauth:// URL: add it to the app. On a terminal you are then\n"+
			"asked for the app's current code; otherwise finish with 'mysystems mfa totp confirm CODE'\n"+
			"(--code C does the same: it confirms the enrolment already started, as running this\n"+
			"again makes a new secret). Confirming prints 10 single-use recovery codes, once.", withJSON)
	code := f.String("code", "", "confirm the enrolment already started with this code instead of starting one")
	_, c, err := e.start(f, args, 0, 0)
	if err != nil {
		return err
	}
	if *code != "" {
		return e.confirmTOTP(ctx, c, *code)
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, "/api/v1/me/mfa/totp", nil, &raw); err != nil {
		return err
	}
	var enr api.TOTPEnrolment
	if err := json.Unmarshal(raw, &enr); err != nil || enr.Secret == "" {
		return fmt.Errorf("reading the enrolment: the server sent no secret (%v)", err)
	}
	if e.json {
		err = e.printJSON(raw)
	} else {
		err = printFields(e.out, "secret", clean(enr.Secret), "otpauth URL", clean(enr.OTPAuthURL))
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.errw, "Add this account to your authenticator app: type the secret, or make a QR code of the URL.")
	if !e.interactive {
		fmt.Fprintln(e.errw, "Then turn two-factor authentication on with: mysystems mfa totp confirm CODE")
		return nil
	}
	answer, err := e.prompt("Code from the app: ")
	if err != nil {
		return err
	}
	if err := e.confirmTOTP(ctx, c, answer); err != nil {
		fmt.Fprintln(e.errw, "The enrolment is still pending: try again with 'mysystems mfa totp confirm CODE'.")
		return err
	}
	return nil
}

func cmdMFATOTPConfirm(ctx context.Context, e *env, args []string) error {
	f := e.flags("mfa totp confirm", "CODE",
		"Finish the enrolment 'mysystems mfa totp' started with the app's current code: two-factor\n"+
			"authentication is then on, and 10 single-use recovery codes are printed this once.", withJSON)
	pos, c, err := e.start(f, args, 1, 1)
	if err != nil {
		return err
	}
	return e.confirmTOTP(ctx, c, pos[0])
}

func (e *env) confirmTOTP(ctx context.Context, c *Client, code string) error {
	rec, raw, err := decoded[api.RecoveryCodes](ctx, c, http.MethodPost, "/api/v1/me/mfa/totp/confirm", api.MFACodeRequest{Code: code}, "recovery codes")
	if err != nil {
		return err
	}
	err = e.printJSONOr(raw, func() {
		fmt.Fprintln(e.errw, "Two-factor authentication is on: signing in now asks for a code from your authenticator app.")
		fmt.Fprintln(e.errw, "Recovery codes (each works once in place of an app code):")
		for _, r := range rec.RecoveryCodes {
			fmt.Fprintln(e.out, clean(r))
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.errw, "warning: store these %d recovery codes somewhere safe now (a password manager, a printout):\n"+
		"they are shown only this once, and without them a lost authenticator locks you out.\n", len(rec.RecoveryCodes))
	return nil
}

func cmdMFAEmail(ctx context.Context, e *env, args []string) error {
	f := e.flags("mfa email", "[--code C]",
		"Turn on two-factor authentication with codes sent to your e-mail address. A code is\n"+
			"e-mailed now; on a terminal you are asked for it, otherwise finish with\n"+
			"'mysystems mfa email confirm CODE' (--code C does the same: it confirms with the code\n"+
			"already sent instead of sending another).", withJSON)
	code := f.String("code", "", "confirm with the code already sent instead of sending one")
	_, c, err := e.start(f, args, 0, 0)
	if err != nil {
		return err
	}
	if *code != "" {
		return e.confirmEmailMFA(ctx, c, *code)
	}
	if _, err := e.sendCode(ctx, c, "/api/v1/me/mfa/email"); err != nil {
		return err
	}
	if !e.interactive {
		fmt.Fprintln(e.errw, "Turn e-mail codes on with: mysystems mfa email confirm CODE")
		return nil
	}
	answer, err := e.prompt("Code from the e-mail: ")
	if err != nil {
		return err
	}
	return e.confirmEmailMFA(ctx, c, answer)
}

// sendCode asks the server to e-mail a code and says where it went.
func (e *env) sendCode(ctx context.Context, c *Client, path string) (api.MFACodeSent, error) {
	sent, raw, err := decoded[api.MFACodeSent](ctx, c, http.MethodPost, path, nil, "answer")
	if err != nil {
		return sent, err
	}
	if err := e.printJSONOr(raw, func() {}); err != nil {
		return sent, err
	}
	fmt.Fprintf(e.errw, "A code was sent to %s; it is valid until %s.\n", clean(sent.SentTo), stamp(sent.ExpiresAt))
	return sent, nil
}

func cmdMFAEmailConfirm(ctx context.Context, e *env, args []string) error {
	f := e.flags("mfa email confirm", "CODE",
		"Turn on e-mail codes with the code 'mysystems mfa email' sent.", withJSON)
	pos, c, err := e.start(f, args, 1, 1)
	if err != nil {
		return err
	}
	return e.confirmEmailMFA(ctx, c, pos[0])
}

func (e *env) confirmEmailMFA(ctx context.Context, c *Client, code string) error {
	return show(ctx, e, c, http.MethodPost, "/api/v1/me/mfa/email/confirm", api.MFACodeRequest{Code: code}, "MFA state", func(api.MFAJSON) error {
		_, err := fmt.Fprintln(e.out, "Two-factor authentication is on: signing in now asks for a code sent to your e-mail address.")
		return err
	})
}

func cmdMFADisable(ctx context.Context, e *env, args []string) error {
	f := e.flags("mfa disable", "[--code C] [--send-code]",
		"Turn two-factor authentication off, given a current code: from your authenticator app,\n"+
			"a recovery code, or (when codes come by e-mail) one from --send-code. On a terminal you\n"+
			"are asked for it (and, for e-mail codes, one is sent). With two-factor authentication\n"+
			"off, this cancels an enrolment still waiting for its first code.", 0)
	code := f.String("code", "", "a current code: authenticator app, recovery, or e-mailed by --send-code")
	send := f.Bool("send-code", false, "e-mail a code for turning it off (when your method is e-mail)")
	if _, err := e.parse(f, args, 0, 0); err != nil {
		return err
	}
	if *code != "" && *send {
		return usagef(f, "--code and --send-code do not go together: send a code first, then use it")
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	if *send {
		if _, err := e.sendCode(ctx, c, "/api/v1/me/mfa/email/code"); err != nil {
			return err
		}
		if !e.interactive {
			fmt.Fprintln(e.errw, "Turn two-factor authentication off with: mysystems mfa disable --code CODE")
			return nil
		}
		if *code, err = e.prompt("Code from the e-mail: "); err != nil {
			return err
		}
	}
	if *code == "" {
		_, st, err := c.mfaStatus(ctx)
		if err != nil {
			return err
		}
		switch {
		case !st.Enabled && st.Pending == "":
			fmt.Fprintln(e.out, "Two-factor authentication is already off.")
			return nil
		case !st.Enabled:
			// Cancelling a pending enrolment needs no code.
		case !e.interactive && st.Method == "email":
			return usagef(f, "pass --code with a code e-mailed by 'mysystems mfa disable --send-code' (or a recovery code)")
		case !e.interactive:
			return usagef(f, "pass --code with a code from your authenticator app or a recovery code")
		case st.Method == "email":
			if _, err := e.sendCode(ctx, c, "/api/v1/me/mfa/email/code"); err != nil {
				return err
			}
			if *code, err = e.prompt("Code from the e-mail: "); err != nil {
				return err
			}
		default:
			if *code, err = e.prompt("Code from your authenticator app, or a recovery code: "); err != nil {
				return err
			}
		}
		if !st.Enabled {
			if err := c.do(ctx, http.MethodDelete, "/api/v1/me/mfa", api.MFACodeRequest{}, nil); err != nil {
				return err
			}
			fmt.Fprintln(e.out, "Cancelled the pending enrolment; two-factor authentication stays off.")
			return nil
		}
	}
	if err := c.do(ctx, http.MethodDelete, "/api/v1/me/mfa", api.MFACodeRequest{Code: *code}, nil); err != nil {
		return err
	}
	fmt.Fprintln(e.out, "Two-factor authentication is off.")
	fmt.Fprintln(e.errw, "note: organizations that require two-factor authentication refuse you until it is on again.")
	return nil
}
