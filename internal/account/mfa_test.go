package account

import (
	"bytes"
	"encoding/base32"
	"image/png"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// RFC 6238 appendix B: the SHA-1 test vectors (8 digits there; the last 6
// digits are the 6-digit code, as truncation is modulo 10^digits).
func TestTOTPCodeRFC6238(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	cases := []struct {
		unix int64
		want string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	}
	for _, c := range cases {
		got, err := TOTPCode(secret, TOTPStep(time.Unix(c.unix, 0)))
		if err != nil {
			t.Fatal(err)
		}
		if want := c.want[2:]; got != want {
			t.Errorf("TOTP at %d: got %s, want %s", c.unix, got, want)
		}
	}
}

// ID-3: ±1 step of skew, and a step at or before the last accepted one is
// refused (replay).
func TestID3_MatchTOTP(t *testing.T) {
	secret := "JBSWY3DPEHPK3PXP"
	now := time.Date(2026, 3, 1, 9, 0, 10, 0, time.UTC)
	cur := TOTPStep(now)
	code := func(step int64) string {
		c, err := TOTPCode(secret, step)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []struct {
		name     string
		code     string
		last     int64
		ok       bool
		wantStep int64
	}{
		{"OK", code(cur), 0, true, cur},
		{"OK/spaces", code(cur)[:3] + " " + code(cur)[3:], 0, true, cur},
		{"OK/previous", code(cur - 1), 0, true, cur - 1},
		{"OK/next", code(cur + 1), 0, true, cur + 1},
		{"OK/afterPrevious", code(cur), cur - 1, true, cur},
		{"ErrTooOld", code(cur - 2), 0, false, 0},
		{"ErrTooNew", code(cur + 2), 0, false, 0},
		{"ErrReplay", code(cur), cur, false, 0},
		{"ErrEarlierThanLast", code(cur - 1), cur, false, 0},
		{"ErrLetters", "abcdef", 0, false, 0},
		{"ErrShort", code(cur)[:5], 0, false, 0},
		{"ErrEmpty", "", 0, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			step, ok := MatchTOTP(secret, c.code, now, c.last)
			if ok != c.ok || step != c.wantStep {
				t.Fatalf("MatchTOTP(%q, last %d) = %d, %v; want %d, %v", c.code, c.last, step, ok, c.wantStep, c.ok)
			}
		})
	}
	if _, ok := MatchTOTP("", code(cur), now, 0); ok {
		t.Error("empty secret matched")
	}
}

func TestNewTOTP(t *testing.T) {
	enr, err := NewTOTP("alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enr.Secret)
	if err != nil || len(raw) != 20 {
		t.Fatalf("secret %q: %d bytes, %v; want 20 bytes of base32", enr.Secret, len(raw), err)
	}
	u, err := url.Parse(enr.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || q.Get("secret") != enr.Secret || q.Get("issuer") != TOTPIssuer ||
		!strings.Contains(u.Path, "alice@example.com") || q.Get("period") != "30" || q.Get("digits") != "6" ||
		q.Get("algorithm") != "SHA1" {
		t.Errorf("otpauth URL %s", enr.URL)
	}
	img, err := png.Decode(bytes.NewReader(enr.QRPNG))
	if err != nil || img.Bounds().Dx() != 256 {
		t.Fatalf("QR code is not a 256-px PNG: %v", err)
	}
	other, _ := NewTOTP("alice@example.com")
	if other.Secret == enr.Secret {
		t.Error("two enrolments share a secret")
	}
}

func TestID3_RecoveryCodes(t *testing.T) {
	codes := NewRecoveryCodes(RecoveryCodeCount)
	if len(codes) != 10 {
		t.Fatalf("got %d codes, want 10", len(codes))
	}
	re := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$`)
	seen := map[string]bool{}
	for _, c := range codes {
		if !re.MatchString(c) {
			t.Errorf("code %q is not xxxx-xxxx in Crockford base32", c)
		}
		if seen[c] {
			t.Errorf("code %q twice", c)
		}
		seen[c] = true
		if normalizeRecovery(c) != strings.ReplaceAll(c, "-", "") {
			t.Errorf("normalizeRecovery(%q) = %q", c, normalizeRecovery(c))
		}
	}
	for in, want := range map[string]string{"ABCD-EFGH": "abcdefgh", " abcd efgh ": "abcdefgh", "0oIl-1234": "00111234",
		"abcd-efg": "", "abcd-efghu": "", "abcd-efgu": "", "": ""} {
		if got := normalizeRecovery(in); got != want {
			t.Errorf("normalizeRecovery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewEmailCode(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		c := NewEmailCode()
		if !isDigits(c, 6) {
			t.Fatalf("code %q is not 6 digits", c)
		}
		seen[c] = true
	}
	if len(seen) < 190 {
		t.Errorf("only %d distinct codes in 200: not random", len(seen))
	}
	if hashEmailCode("a", "123456") == hashEmailCode("b", "123456") {
		t.Error("e-mail code hashes are not salted by id")
	}
}
