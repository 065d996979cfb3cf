package license

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"unicode"

	"mysystems/internal/errs"
)

// A license key (LIC-3) is 20 characters of KeyAlphabet written in four
// groups of five ("UVN34-QTVSX-UAYSS-QCSVP"):
//
//   - 18 random characters, 5 bits each: 90 bits from crypto/rand, so keys
//     cannot be guessed (one guess in 2^90 finds a key among a billion
//     issued with odds of one in 10^18);
//   - 2 check characters holding a number c in [0, KeyPrime), chosen so
//     that Σ Wⱼ·vⱼ ≡ 0 (mod KeyPrime) over all 20 positions j, where vⱼ is
//     the character's value and the check characters weigh 32·w and w.
//
// Because KeyPrime is a prime larger than the alphabet, every weight is
// non-zero modulo it and neighbouring weights differ, a single changed
// character changes the sum by Wⱼ·d with 0 < |d| < 32, and a swap of two
// different neighbours by (Wⱼ − Wⱼ₊₁)·(vⱼ₊₁ − vⱼ): neither product of
// non-zero factors vanishes modulo a prime, so every such typo is caught
// by ParseKey, before any look-up (TestLIC3_KeyCheckCatchesEveryTypo
// tries them all on many keys).
const (
	// KeyAlphabet has 32 characters, without 0, O, 1 and I, which are read
	// one for the other.
	KeyAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	// KeyRandom is the number of random characters of a key.
	KeyRandom = 18
	// KeyLen is the number of characters of a key, check characters
	// included (hyphens not counted).
	KeyLen = KeyRandom + 2
	// KeyGroup is the size of the groups a key is written in.
	KeyGroup = 5
	// KeyPrime is the modulus of the check.
	KeyPrime = 1021
	// keyCheckWeight is w, the weight of the last check character (the one
	// before it weighs 32·w).
	keyCheckWeight = 19
	// maxKeyInput bounds what ParseKey reads: a key with spaces around
	// every character is still much shorter.
	maxKeyInput = 200
)

// keyWeights are the weights Wⱼ of the 20 positions: 1 to 18 for the
// random characters, then 32·w and w (mod KeyPrime) for the check
// characters. All are non-zero and differ from their neighbours modulo
// KeyPrime.
var keyWeights = func() [KeyLen]int {
	var w [KeyLen]int
	for i := 0; i < KeyRandom; i++ {
		w[i] = i + 1
	}
	w[KeyRandom] = 32 * keyCheckWeight % KeyPrime
	w[KeyRandom+1] = keyCheckWeight
	return w
}()

// keyValues maps a character (upper case) to its value, -1 for none.
var keyValues = func() [256]int8 {
	var v [256]int8
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(KeyAlphabet); i++ {
		v[KeyAlphabet[i]] = int8(i)
	}
	return v
}()

// Key is a well-formed license key: its check holds. The zero Key is no
// key.
type Key struct {
	chars string // the 20 characters, canonical (upper case, no hyphens)
}

// NewKey returns a new random key, from crypto/rand.
func NewKey() (Key, error) { return newKey(rand.Reader) }

func newKey(r io.Reader) (Key, error) {
	var b [KeyRandom]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return Key{}, errs.Wrap(err, "random license key")
	}
	var v [KeyRandom]int
	for i, x := range b {
		v[i] = int(x) % len(KeyAlphabet) // 256 is a multiple of 32: no bias
	}
	return keyOf(v), nil
}

// keyOf completes random values with their check characters.
func keyOf(v [KeyRandom]int) Key {
	var sum int
	for i, x := range v {
		sum += keyWeights[i] * x
	}
	// c·w ≡ −sum (mod p), with w's inverse found by Fermat: w^(p−2).
	c := (KeyPrime - sum%KeyPrime) % KeyPrime * modPow(keyCheckWeight, KeyPrime-2) % KeyPrime
	var b strings.Builder
	b.Grow(KeyLen)
	for _, x := range v {
		b.WriteByte(KeyAlphabet[x])
	}
	b.WriteByte(KeyAlphabet[c/32])
	b.WriteByte(KeyAlphabet[c%32])
	return Key{chars: b.String()}
}

func modPow(b, e int) int {
	r := 1
	for b %= KeyPrime; e > 0; e >>= 1 {
		if e&1 == 1 {
			r = r * b % KeyPrime
		}
		b = b * b % KeyPrime
	}
	return r
}

// errMistyped is the refusal of a key that is not one: its characters,
// their number or its check. It is the same whatever is wrong, so what
// is typed back is the whole key, checked against the purchase.
func errMistyped() error { return errs.InvalidField("key", "err.license.key_mistyped") }

// isKeySeparator reports whether r is ignored in a typed or pasted key:
// spaces (any) and hyphens (including the dashes word processors put in
// their place).
func isKeySeparator(r rune) bool {
	return unicode.IsSpace(r) || r == '-' || r == '\u2010' || r == '\u2011' || r == '\u2012' ||
		r == '\u2013' || r == '\u2014' || r == '\u2212'
}

// ParseKey reads a typed or pasted key: case, spaces and hyphens are
// ignored. A key that is not one (a character outside KeyAlphabet, too few
// or too many characters, a check that fails: a typo) is refused as
// invalid on field "key", before anything is looked up.
func ParseKey(s string) (Key, error) {
	if strings.TrimFunc(s, isKeySeparator) == "" {
		return Key{}, errs.InvalidField("key", "err.license.key_required")
	}
	if len(s) > maxKeyInput {
		return Key{}, errMistyped()
	}
	var b strings.Builder
	b.Grow(KeyLen)
	sum := 0
	n := 0
	for _, r := range s {
		if isKeySeparator(r) {
			continue
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		if r >= 128 || keyValues[r] < 0 || n == KeyLen {
			return Key{}, errMistyped()
		}
		sum += keyWeights[n] * int(keyValues[r])
		n++
		b.WriteRune(r)
	}
	if n != KeyLen {
		return Key{}, errMistyped()
	}
	k := Key{chars: b.String()}
	if k.check() >= KeyPrime || sum%KeyPrime != 0 {
		return Key{}, errMistyped()
	}
	return k, nil
}

// check is the number the check characters hold.
func (k Key) check() int {
	return int(keyValues[k.chars[KeyRandom]])*32 + int(keyValues[k.chars[KeyRandom+1]])
}

// String writes the key canonically: upper case, in groups of KeyGroup
// separated by hyphens. The zero Key writes "".
func (k Key) String() string {
	if k.chars == "" {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(k.chars); i += KeyGroup {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(k.chars[i:min(i+KeyGroup, len(k.chars))])
	}
	return b.String()
}

// IsZero reports whether k is no key.
func (k Key) IsZero() bool { return k.chars == "" }

// Hash is what the store keeps of a key: the hex SHA-256 of its canonical
// form. With 90 random bits a key needs no slow, salted hash: no list of
// guesses can cover its space, and a fast hash lets a redemption find the
// key by its hash with one primary-key read.
func (k Key) Hash() string {
	h := sha256.Sum256([]byte(k.String()))
	return hex.EncodeToString(h[:])
}

// Last is the key's last group, shown in the history so a person can tell
// which of their keys was redeemed (a redeemed key is spent: its end
// reveals nothing of value).
func (k Key) Last() string {
	if k.chars == "" {
		return ""
	}
	return k.chars[KeyLen-KeyGroup:]
}
