// Package text holds the few rules about strings that every layer shares:
// what text the databases can hold (Valid, Clean) and how text is shortened
// (Cut). PostgreSQL stores neither a NUL character nor bytes that are not
// UTF-8 in a text column, where SQLite takes both: the HTTP edge refuses
// such input (or cleans the headers it keeps), so both databases see the
// same text. A leaf: it imports only the standard library.
package text

import (
	"strings"
	"unicode/utf8"
)

// Valid reports whether s is text every database of the product can store:
// valid UTF-8 without a NUL character.
func Valid(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// Clean returns s as valid text: each run of bytes that are not UTF-8 and
// each NUL character becomes U+FFFD, the replacement character. Valid text
// is returned unchanged.
func Clean(s string) string {
	if Valid(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// Cut returns s shortened to at most n characters (runes), cut between two
// characters, never inside one: a stored or shown text cut short stays
// valid UTF-8. A byte that is not UTF-8 counts as one character.
func Cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n { // n bytes are at most n characters
		return s
	}
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}
