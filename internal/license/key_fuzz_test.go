package license

import (
	"crypto/sha256"
	"testing"

	"mysystems/internal/errs"
)

// FuzzKeyParse (LIC-3): whatever is typed, ParseKey does not panic; what
// it accepts writes back canonically and parses to the same key; what it
// refuses is invalid on field "key". And a valid key (the input's own, or
// one made from the input's bytes) with one character changed, or two
// different neighbours swapped, is refused by the check.
func FuzzKeyParse(f *testing.F) {
	f.Add("34567-89ABC-DEFGH-JKLWG", uint8(3), uint8(7), false)
	f.Add("34567 89abc defgh jklwg", uint8(19), uint8(30), true)
	f.Add("22222-22222-22222-22222", uint8(0), uint8(0), true)
	f.Add("ZZZZZ-ZZZZZ-ZZZZZ-ZZZR8", uint8(18), uint8(1), false)
	f.Add("O0000-11111-IIIII-OOOOO", uint8(4), uint8(2), true)
	f.Add("", uint8(0), uint8(0), false)
	f.Fuzz(func(t *testing.T, typed string, pos, delta uint8, swap bool) {
		k, err := ParseKey(typed)
		if err != nil {
			if e, ok := errs.As(err); !ok || e.Code != errs.Invalid || e.Field != "key" {
				t.Fatalf("ParseKey(%q) = %v, want invalid on field key", typed, err)
			}
			// A valid key from the input's bytes, to mutate below.
			sum := sha256.Sum256([]byte(typed))
			var v [KeyRandom]int
			for i := range v {
				v[i] = int(sum[i] % 32)
			}
			k = keyOf(v)
		} else {
			s := k.String()
			if !canonicalKey.MatchString(s) {
				t.Fatalf("ParseKey(%q) writes back as %q, not canonically", typed, s)
			}
			if again, err := ParseKey(s); err != nil || again != k || again.Hash() != k.Hash() {
				t.Fatalf("%q parsed, its form %q parses to %v, %v", typed, s, again, err)
			}
		}
		raw := []byte(k.chars)
		i := int(pos) % KeyLen
		if swap {
			j := (i + 1) % KeyLen
			if j == 0 {
				i, j = KeyLen-2, KeyLen-1
			}
			if raw[i] == raw[j] {
				return // swapping equal neighbours changes nothing
			}
			raw[i], raw[j] = raw[j], raw[i]
		} else {
			v := int(keyValues[raw[i]])
			raw[i] = KeyAlphabet[(v+1+int(delta)%(len(KeyAlphabet)-1))%len(KeyAlphabet)]
		}
		if got, err := ParseKey(string(raw)); err == nil {
			t.Fatalf("%s mutated to %s (position %d, swap %v) parsed as %s", k, raw, i, swap, got)
		}
	})
}
