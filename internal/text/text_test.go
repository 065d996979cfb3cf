package text_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"mysystems/internal/text"
)

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "Acme": true, "Sécurité ✓": true, "tab\tand\nnewline": true,
		"a\x00b": false, "\xff": false, "caf\xc3": false, "\xed\xa0\x80": false, // a lone surrogate
	} {
		if got := text.Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"Mozilla/5.0": "Mozilla/5.0", "a\x00b": "a\uFFFDb", "caf\xc3": "caf\uFFFD", "\xff\xfe x": "\uFFFD x",
		"é\x00\xff": "é\uFFFD\uFFFD",
	} {
		got := text.Clean(in)
		if got != want || !text.Valid(got) {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// Cut shortens on a character boundary: the result is valid UTF-8 of at
// most n characters, a prefix of the input.
func TestCut(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"}, {"abc", 3, "abc"}, {"abcd", 3, "abc"}, {"abc", 0, ""},
		{"ééé", 2, "éé"}, {"ééé", 3, "ééé"}, {"a✓✓b", 3, "a✓✓"}, {"👍👍", 1, "👍"},
	} {
		if got := text.Cut(c.in, c.n); got != c.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
	// The browser whose User-Agent once broke sign-in: a two-byte
	// character across byte 300.
	ua := strings.Repeat("a", 299) + strings.Repeat("é", 10)
	got := text.Cut(ua, 300)
	if !utf8.ValidString(got) || utf8.RuneCountInString(got) != 300 || !strings.HasPrefix(ua, got) {
		t.Errorf("Cut of a long User-Agent: %d characters, valid %v", utf8.RuneCountInString(got), utf8.ValidString(got))
	}
}

func FuzzCut(f *testing.F) {
	f.Add("Sécurité", 3)
	f.Add("\xff\xc3a", 2)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 64
		got := text.Cut(s, n)
		if !strings.HasPrefix(s, got) || utf8.RuneCountInString(got) > max(n, 0) {
			t.Fatalf("Cut(%q, %d) = %q", s, n, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Cut(%q, %d) = %q: not valid UTF-8", s, n, got)
		}
		if text.Valid(s) != (text.Clean(s) == s) || !text.Valid(text.Clean(s)) {
			t.Fatalf("Clean(%q) = %q", s, text.Clean(s))
		}
	})
}
