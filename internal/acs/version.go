package acs

import (
	"strconv"
	"strings"

	"mysystems/internal/errs"
	"mysystems/internal/text"
)

// Version is an ACS Pro version: two to four dot-separated numbers
// ("6.5", "6.5.2", "6.5.2.17"), compared number by number, a missing part
// counting as 0 ("6.5" = "6.5.0").
type Version struct {
	parts [4]int
	n     int // how many parts were written
}

// MaxVersion bounds a version's text.
const MaxVersion = 32

// ParseVersion reads an ACS Pro version.
func ParseVersion(s string) (Version, error) {
	var v Version
	s = strings.TrimSpace(s)
	if s == "" {
		return v, errs.InvalidField("version", "err.server.version_required")
	}
	if len(s) > MaxVersion {
		return v, errs.InvalidField("version", "err.server.version_format", truncate(s, MaxVersion))
	}
	fields := strings.Split(s, ".")
	if len(fields) < 2 || len(fields) > 4 {
		return v, errs.InvalidField("version", "err.server.version_format", s)
	}
	for i, f := range fields {
		if f == "" || len(f) > 6 || strings.TrimLeft(f, "0123456789") != "" {
			return v, errs.InvalidField("version", "err.server.version_format", s)
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return v, errs.InvalidField("version", "err.server.version_format", s)
		}
		v.parts[i] = n
	}
	v.n = len(fields)
	return v, nil
}

// String writes the version as it was parsed, without leading zeros.
func (v Version) String() string {
	if v.n == 0 {
		return ""
	}
	var b strings.Builder
	for i := 0; i < v.n; i++ {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(v.parts[i]))
	}
	return b.String()
}

// IsZero reports whether v was never parsed.
func (v Version) IsZero() bool { return v.n == 0 }

// Compare returns -1, 0 or +1 as v is older than, the same as or newer
// than w.
func (v Version) Compare(w Version) int {
	for i := range v.parts {
		switch {
		case v.parts[i] < w.parts[i]:
			return -1
		case v.parts[i] > w.parts[i]:
			return 1
		}
	}
	return 0
}

// truncate shortens s to n characters, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if c := text.Cut(s, n); c != s {
		return c + "…"
	}
	return s
}
