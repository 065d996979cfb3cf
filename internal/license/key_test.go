package license

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

var canonicalKey = regexp.MustCompile(`^[2-9A-HJ-NP-Z]{5}(-[2-9A-HJ-NP-Z]{5}){3}$`)

// mustKey returns a new random key.
func mustKey(t testing.TB) Key {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// wantMistyped checks that typed is refused as a typo: invalid on field
// "key", with the message saying so in English and French.
func wantMistyped(t *testing.T, typed, why string) {
	t.Helper()
	_, err := ParseKey(typed)
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || e.Field != "key" || e.Key != "err.license.key_mistyped" {
		t.Fatalf("%s: ParseKey(%q) = %v, want invalid key_mistyped on field key", why, typed, err)
	}
}

// LIC-3: a key is typeable and cannot be guessed: 20 characters of an
// alphabet of 32 without 0, O, 1 and I, in four groups of five, 90 of
// its bits random.
func TestLIC3_KeyShape(t *testing.T) {
	if len(KeyAlphabet) != 32 || strings.ContainsAny(KeyAlphabet, "01IO") {
		t.Fatalf("alphabet %q", KeyAlphabet)
	}
	if bits := KeyRandom * 5; bits < 80 {
		t.Fatalf("%d random bits, want at least 80", bits)
	}
	if KeyPrime <= len(KeyAlphabet) || KeyPrime > len(KeyAlphabet)*len(KeyAlphabet) {
		t.Fatalf("the check's modulus %d must exceed the alphabet and fit two characters", KeyPrime)
	}
	for n := 2; n*n <= KeyPrime; n++ {
		if KeyPrime%n == 0 {
			t.Fatalf("%d is not prime", KeyPrime)
		}
	}
	seen := map[string]bool{}
	first := map[byte]bool{}
	for range 2000 {
		k := mustKey(t)
		if !canonicalKey.MatchString(k.String()) {
			t.Fatalf("key %q is not four groups of five", k)
		}
		if seen[k.String()] {
			t.Fatalf("key %s issued twice", k)
		}
		seen[k.String()] = true
		first[k.String()[0]] = true
		if got, err := ParseKey(k.String()); err != nil || got != k {
			t.Fatalf("ParseKey(%s) = %v, %v", k, got, err)
		}
	}
	if len(first) != len(KeyAlphabet) { // 2000 draws miss a character with odds of 10^-26
		t.Errorf("the first character took %d values of 32", len(first))
	}
	// The algorithm is fixed: keys issued once keep parsing.
	for raw, want := range map[string]string{
		"abcdefghijklmnopqr": "34567-89ABC-DEFGH-JKLWG",
		"\x1a\x1b\x14\x01\x02\x16\x19\x1b\x18\x1d\x1a\x08\x1e\x18\x18\x16\x0a\x18": "UVN34-QTVSX-UAYSS-QCSVP", // the docs' example
		string(make([]byte, KeyRandom)):                                            "22222-22222-22222-22222",
		strings.Repeat("\x1f", KeyRandom):                                          "ZZZZZ-ZZZZZ-ZZZZZ-ZZZR8",
		strings.Repeat("\xff", KeyRandom):                                          "ZZZZZ-ZZZZZ-ZZZZZ-ZZZR8", // 256 is a multiple of 32
		strings.Repeat("\x20\x3f", KeyRandom/2):                                    "",
		strings.Repeat("\x09\x10\x11", KeyRandom/3):                                "",
	} {
		k, err := newKey(bytes.NewReader([]byte(raw)))
		if err != nil {
			t.Fatal(err)
		}
		if want != "" && k.String() != want {
			t.Errorf("key of %q = %s, want %s", raw, k, want)
		}
		if _, err := ParseKey(k.String()); err != nil {
			t.Errorf("key %s does not parse: %v", k, err)
		}
	}
	if _, err := newKey(bytes.NewReader([]byte("short"))); err == nil {
		t.Error("a short read made a key")
	}
}

// LIC-3: typing is forgiving: case, spaces (a pasted key) and hyphens
// (dashes a word processor put in their place) are ignored; the key reads
// back canonically and hashes the same however it was typed.
func TestLIC3_KeyParseForgiving(t *testing.T) {
	k := mustKey(t)
	s := k.String()
	raw := strings.ReplaceAll(s, "-", "")
	for _, typed := range []string{
		s, strings.ToLower(s), raw, strings.ToLower(raw),
		"  " + strings.ReplaceAll(s, "-", " ") + "\n",
		strings.ReplaceAll(s, "-", " - "),
		strings.ReplaceAll(s, "-", "\u2013"),
		strings.Join(strings.Split(raw, ""), " "),
		"\t" + raw[:7] + "-" + raw[7:13] + "  " + raw[13:],
	} {
		got, err := ParseKey(typed)
		if err != nil || got != k || got.String() != s || got.Hash() != k.Hash() {
			t.Errorf("ParseKey(%q) = %v, %v; want %s", typed, got, err, s)
		}
	}
	if len(k.Hash()) != 64 || strings.Contains(k.Hash(), raw) {
		t.Errorf("hash %q", k.Hash())
	}
	if k.Last() != raw[15:] {
		t.Errorf("Last() = %q, want %q", k.Last(), raw[15:])
	}
	for _, empty := range []string{"", "   ", "- - -", "\n"} {
		_, err := ParseKey(empty)
		if e, ok := errs.As(err); !ok || e.Code != errs.Invalid || e.Field != "key" || e.Key != "err.license.key_required" {
			t.Errorf("ParseKey(%q) = %v, want key_required on field key", empty, err)
		}
	}
	var zero Key
	if !zero.IsZero() || zero.String() != "" || zero.Last() != "" || k.IsZero() {
		t.Error("the zero key")
	}
}

// LIC-3: what is not a key is refused as mistyped, in both languages:
// characters never used (0, O, 1, I) or outside the alphabet, one
// character too few or too many, an overlong paste.
func TestLIC3_KeyMistyped(t *testing.T) {
	k := mustKey(t)
	raw := strings.ReplaceAll(k.String(), "-", "")
	wantMistyped(t, raw[:KeyLen-1], "one character short")
	wantMistyped(t, raw+"2", "one character more")
	wantMistyped(t, raw+raw, "twice")
	wantMistyped(t, strings.Repeat(" ", 300)+raw, "an overlong paste")
	for _, c := range []string{"0", "O", "1", "I", "o", "i", "!", "é", "\x00", "Ｚ"} {
		wantMistyped(t, c+raw[1:], "the character "+c)
	}
	_, err := ParseKey(raw[1:] + "0")
	for lang, word := range map[string]string{"en": "mistyped", "fr": "mal saisie"} {
		if msg := errs.LocalMessage(err, lang); !strings.Contains(msg, word) {
			t.Errorf("%s: %q does not say the key was mistyped", lang, msg)
		}
	}
	if !i18n.Has("err.license.key_mistyped") {
		t.Error("no catalogue message")
	}
}

// LIC-3: the check catches every single typo before any look-up: on many
// random keys, every position changed to every other character of the
// alphabet, and every swap of two different neighbours (across the check
// characters and the groups' hyphens too), typed canonically or not, is
// refused as mistyped.
func TestLIC3_KeyCheckCatchesEveryTypo(t *testing.T) {
	keys := []Key{keyOf([KeyRandom]int{}), keyOf([KeyRandom]int{31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31})}
	for range 500 {
		keys = append(keys, mustKey(t))
	}
	subs, swaps := 0, 0
	for _, k := range keys {
		raw := []byte(k.chars)
		for i := range raw {
			for j := 0; j < len(KeyAlphabet); j++ {
				if KeyAlphabet[j] == raw[i] {
					continue
				}
				m := append([]byte(nil), raw...)
				m[i] = KeyAlphabet[j]
				if got, err := ParseKey(string(m)); err == nil {
					t.Fatalf("%s with position %d changed to %c: parsed as %s", k, i, KeyAlphabet[j], got)
				}
				subs++
			}
			if i+1 < len(raw) && raw[i] != raw[i+1] {
				m := append([]byte(nil), raw...)
				m[i], m[i+1] = m[i+1], m[i]
				if got, err := ParseKey(string(m)); err == nil {
					t.Fatalf("%s with positions %d and %d swapped: parsed as %s", k, i, i+1, got)
				}
				swaps++
			}
		}
		// In the canonical form, a swap across a hyphen moves the hyphen's
		// neighbours: still refused, and so is the key with the hyphen
		// swapped into a group (the hyphen is ignored: the key is intact).
		s := []byte(k.String())
		for i := KeyGroup; i < len(s); i += KeyGroup + 1 {
			if s[i-1] == s[i+1] {
				continue
			}
			m := append([]byte(nil), s...)
			m[i-1], m[i+1] = m[i+1], m[i-1]
			wantMistyped(t, strings.ToLower(string(m)), "neighbours swapped across a hyphen")
		}
		m := append([]byte(nil), s...)
		m[KeyGroup-1], m[KeyGroup] = m[KeyGroup], m[KeyGroup-1]
		if got, err := ParseKey(string(m)); err != nil || got != k {
			t.Fatalf("%q (a hyphen moved): %v, %v", m, got, err)
		}
	}
	if want := len(keys) * KeyLen * (len(KeyAlphabet) - 1); subs != want {
		t.Fatalf("tried %d changes, want %d", subs, want)
	}
	if swaps < len(keys)*(KeyLen-1)*9/10 {
		t.Fatalf("tried only %d swaps", swaps)
	}
}

// The weights behind the guarantee: non-zero modulo the prime, and each
// different from its neighbours.
func TestLIC3_KeyWeights(t *testing.T) {
	for i, w := range keyWeights {
		if w%KeyPrime == 0 {
			t.Errorf("weight %d is 0 modulo %d", i, KeyPrime)
		}
		if i > 0 && (w-keyWeights[i-1])%KeyPrime == 0 {
			t.Errorf("weights %d and %d are equal modulo %d", i-1, i, KeyPrime)
		}
	}
	if keyCheckWeight*modPow(keyCheckWeight, KeyPrime-2)%KeyPrime != 1 {
		t.Error("the check weight's inverse")
	}
}
