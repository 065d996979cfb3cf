package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/api"
)

var secretRE = regexp.MustCompile(`(?m)^secret\s+(\S+)$`)

// startTOTP runs 'mfa totp' as a script and returns the secret it printed.
func (h *harness) startTOTP() string {
	h.t.Helper()
	r := h.ok("", "mfa", "totp")
	m := secretRE.FindStringSubmatch(r.out)
	if m == nil || !strings.Contains(r.out, "otpauth://totp/") {
		h.t.Fatalf("mfa totp: stdout %q, want the secret and the otpauth URL", r.out)
	}
	contains(h.t, "mfa totp", r.stderr, "mysystems mfa totp confirm CODE")
	return m[1]
}

func totpNow(t *testing.T, secret string) string {
	t.Helper()
	code, err := account.TOTPCode(secret, account.TOTPStep(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

var mailCodeRE = regexp.MustCompile(`\b\d{6}\b`)

func (h *harness) mailedCode(to string) string {
	h.t.Helper()
	body := h.srv.LastMailOf(to, "mfa_code")
	code := mailCodeRE.FindString(body)
	if code == "" {
		h.t.Fatalf("no code in the mail: %q", body)
	}
	return code
}

func TestMFATOTP(t *testing.T) {
	h := newHarness(t)
	h.signedIn()

	r := h.ok("", "mfa", "status")
	contains(t, "mfa status", r.out, "two-factor authentication", "off")
	h.ok("", "mfa", "disable") // already off: nothing to do

	secret := h.startTOTP()
	r = h.ok("", "mfa", "status")
	contains(t, "mfa status while pending", r.out, "pending", "totp enrolment")
	contains(t, "mfa status while pending", r.stderr, "mfa totp confirm CODE")

	wrong := "000000"
	if totpNow(t, secret) == wrong {
		wrong = "111111"
	}
	h.fail(1, "error: the code is wrong, expired or already used (invalid)", "mfa", "totp", "confirm", wrong)
	r = h.ok("", "mfa", "totp", "confirm", totpNow(t, secret))
	recovery := lines(r.out)
	if len(recovery) != 10 {
		t.Fatalf("mfa totp confirm: stdout %q, want the 10 recovery codes, one a line", r.out)
	}
	contains(t, "mfa totp confirm", r.stderr, "Two-factor authentication is on", "shown only this once", "store these 10 recovery codes")

	r = h.ok("", "mfa", "status")
	contains(t, "mfa status when on", r.out, "on: authenticator app (totp)", "recovery codes left", "10")
	r = h.ok("", "mfa", "status", "--json")
	var st api.MFAJSON
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || !st.Enabled || st.Method != "totp" || st.RecoveryCodesLeft != 10 {
		t.Errorf("mfa status --json: got %q (%v)", r.out, err)
	}
	h.fail(1, "two-factor authentication is already on", "mfa", "totp")
	h.fail(1, "(conflict)", "mfa", "email")

	// Turning it off needs a code.
	h.fail(2, "pass --code with a code from your authenticator app or a recovery code", "mfa", "disable")
	h.fail(2, "--code and --send-code do not go together", "mfa", "disable", "--code", "1", "--send-code")
	h.fail(1, "(invalid)", "mfa", "disable", "--code", "not-a-code")
	r = h.ok("", "mfa", "disable", "--code", recovery[0])
	contains(t, "mfa disable", r.out, "Two-factor authentication is off.")
	r = h.ok("", "mfa", "status")
	contains(t, "mfa status after disable", r.out, "off")

	// --code confirms the enrolment already started, in JSON too.
	secret = h.startTOTP()
	r = h.ok("", "mfa", "totp", "--code", totpNow(t, secret), "--json")
	var rec struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal([]byte(r.out), &rec); err != nil || len(rec.RecoveryCodes) != 10 {
		t.Errorf("mfa totp --code --json: got %q (%v), want 10 recovery codes", r.out, err)
	}
	contains(t, "mfa totp --code --json", r.stderr, "shown only this once")

	// On a terminal the code is asked for: the recovery code disables, and a
	// pending enrolment is cancelled without one.
	r = h.interactive(rec.RecoveryCodes[0]+"\n", "", "mfa", "disable")
	if r.code != 0 || !strings.Contains(r.stderr, "Code from your authenticator app, or a recovery code: ") {
		t.Errorf("interactive mfa disable: exit %d, stdout %q, stderr %q", r.code, r.out, r.stderr)
	}
	h.startTOTP()
	r = h.ok("", "mfa", "disable")
	contains(t, "mfa disable while pending", r.out, "Cancelled the pending enrolment")
	r = h.ok("", "mfa", "status")
	if strings.Contains(r.out, "pending") {
		t.Errorf("mfa status after cancelling: %q", r.out)
	}

	// A wrong code on a terminal leaves the enrolment pending and says so.
	r = h.interactive(wrong+"\n", "", "mfa", "totp")
	if r.code != 1 || !strings.Contains(r.stderr, "Code from the app: ") || !strings.Contains(r.stderr, "still pending") {
		t.Errorf("interactive mfa totp with a wrong code: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestMFAEmail(t *testing.T) {
	h := newHarness(t)
	h.signedIn()

	r := h.ok("", "mfa", "email")
	contains(t, "mfa email", r.stderr, "A code was sent to "+testEmail, "mysystems mfa email confirm CODE")
	h.fail(1, "(invalid)", "mfa", "email", "confirm", "nope")
	r = h.ok("", "mfa", "email", "confirm", h.mailedCode(testEmail))
	contains(t, "mfa email confirm", r.out, "Two-factor authentication is on")
	r = h.ok("", "mfa", "status")
	contains(t, "mfa status", r.out, "on: codes by e-mail (email)")
	if strings.Contains(r.out, "recovery codes") {
		t.Errorf("mfa status with e-mail codes shows recovery codes: %q", r.out)
	}

	h.fail(2, "mysystems mfa disable --send-code", "mfa", "disable")
	r = h.ok("", "mfa", "disable", "--send-code")
	contains(t, "mfa disable --send-code", r.stderr, "A code was sent to "+testEmail, "mfa disable --code CODE")
	r = h.ok("", "mfa", "disable", "--code", h.mailedCode(testEmail))
	contains(t, "mfa disable", r.out, "is off")

	// --code confirms a code already sent.
	h.ok("", "mfa", "email")
	r = h.ok("", "mfa", "email", "--code", h.mailedCode(testEmail), "--json")
	var st api.MFAJSON
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || !st.Enabled || st.Method != "email" {
		t.Errorf("mfa email --code --json: got %q (%v)", r.out, err)
	}
}

func TestNewCommandsHelpAndUsage(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{
		{"folders", "-h"}, {"folders", "delete", "-h"}, {"members", "--help"}, {"members", "remove", "-h"},
		{"invite", "-h"}, {"invitations", "revoke", "-h"}, {"accept", "-h"},
		{"mfa", "-h"}, {"mfa", "totp", "-h"}, {"mfa", "totp", "confirm", "-h"}, {"mfa", "disable", "-h"},
	} {
		r := h.run("", args...)
		if r.code != 0 || !strings.Contains(r.out, "usage: mysystems "+strings.Join(args[:len(args)-1], " ")) || r.stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and usage on stdout", args, r.code, r.out, r.stderr)
		}
	}
	r := h.run("", "invite", "-h")
	contains(t, "invite -h", r.out, "viewer role, always")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"folders"}, "folders: say which: list | create"},
		{[]string{"mfa", "frob"}, `mfa: unknown command "frob"`},
		{[]string{"mfa", "totp", "confirm"}, "usage: mysystems mfa totp confirm CODE"},
		{[]string{"mfa", "totp", "extra"}, `unexpected argument "extra"`},
		{[]string{"folders", "create", "org_x"}, "missing argument"},
		{[]string{"members", "remove", "org_x"}, "missing argument"},
		{[]string{"invitations", "revoke", "org_x"}, "missing argument"},
		{[]string{"accept"}, "missing argument"},
	} {
		if r := h.run("", tt.args...); r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
	// Not signed in: a clear error, not a usage one.
	h.fail(1, "not signed in", "folders", "list", "org_x")
	h.fail(1, "not signed in", "mfa", "status")
}
