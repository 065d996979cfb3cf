package cli

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"time"
	"unicode"
)

// clean makes text from the server safe to print on a terminal: control
// characters (escape sequences, carriage returns, tabs that would break a
// table) become U+FFFD.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// maybe formats an optional time, or says what its absence means.
func maybe(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return stamp(*t)
}

func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
