package account

import (
	"strings"
	"testing"

	"mysystems/internal/errs"
)

// ID-1: password policy.
func TestID1_CheckPassword(t *testing.T) {
	cases := []struct {
		name, pw, email string
		ok              bool
	}{
		{"OK", "correct horse battery", "a@example.com", true},
		{"OK/unicode", "ça-c'est-un-bon-mot", "a@example.com", true},
		{"ErrTooShort", "short-pass1", "a@example.com", false},
		{"ErrCommon", "Password1234", "a@example.com", false},
		{"ErrCommonCase", "QWERTYUIOP123", "a@example.com", false},
		{"ErrEmail", "alice.longname@example.com", "alice.longname@example.com", false},
		{"ErrLocalPart", "alice.longname", "alice.longname@example.com", false},
		{"ErrRepeated", "aaaaaaaaaaaaaaaa", "a@example.com", false},
		{"ErrTooLong", strings.Repeat("ab", 200), "a@example.com", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckPassword(c.pw, c.email)
			if (err == nil) != c.ok {
				t.Fatalf("CheckPassword(%q) = %v, want ok=%v", c.pw, err, c.ok)
			}
			if err != nil && !errs.Is(err, errs.Invalid) {
				t.Fatalf("got code %s, want invalid", errs.CodeOf(err))
			}
		})
	}
}

func TestID1_HashPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery", TestHashParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Fatalf("hash %q is not PHC argon2id", h)
	}
	if !VerifyPassword("correct horse battery", h) {
		t.Error("right password refused")
	}
	if VerifyPassword("correct horse batterx", h) {
		t.Error("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse battery", TestHashParams)
	if h == h2 {
		t.Error("two hashes of one password are equal: salt missing")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=x$a$b", "plain"} {
		if VerifyPassword("x", bad) {
			t.Errorf("VerifyPassword accepted malformed hash %q", bad)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	ok := map[string]string{"Alice@Example.COM": "alice@example.com", " bob@example.com ": "bob@example.com"}
	for in, want := range ok {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "nobody", "@example.com", "a@", "Alice <a@example.com>", strings.Repeat("a", 250) + "@example.com"} {
		if _, err := NormalizeEmail(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("NormalizeEmail(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestCheckName(t *testing.T) {
	if got, err := CheckName("name", "  Acme  "); err != nil || got != "Acme" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := CheckName("name", strings.Repeat("é", 200)); err != nil {
		t.Errorf("200 characters refused: %v", err)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", 201), "a\x00b", "tab\there"} {
		if _, err := CheckName("name", bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("CheckName(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret(TokenPrefix), NewSecret(TokenPrefix)
	if a == b || !strings.HasPrefix(a, TokenPrefix) || len(a) < 32 {
		t.Fatalf("secrets %q %q", a, b)
	}
	a2 := strings.Clone(a)
	if HashSecret(a) == HashSecret(b) || HashSecret(a) != HashSecret(a2) {
		t.Fatal("HashSecret not a function of its input")
	}
}
