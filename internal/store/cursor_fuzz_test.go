package store

import (
	"strings"
	"testing"
	"unicode/utf8"

	"mysystems/internal/errs"
)

// FuzzCursor: a list's cursor comes back from the client, so anything may
// arrive. decodeCursor never panics; what it refuses is an invalid error
// on field "cursor"; what it accepts holds no NUL (which PostgreSQL's text
// cannot hold) and, encoded again, decodes to the same key. And any key the store encodes (the sort keys of every list: a
// number, a number and an id, a string and an id) decodes to itself. The
// seeds are f.Add below, which `go test` runs, and the inputs fuzzing found
// failing, in testdata/fuzz/FuzzCursor.
func FuzzCursor(f *testing.F) {
	f.Add(uint8(0), encodeCursor(int64(42)), "", int64(42))
	f.Add(uint8(1), encodeCursor(int64(1780000000000000), "tsk_1"), "tsk_1", int64(1780000000000000))
	f.Add(uint8(2), encodeCursor("Lobby cam", "dev_1"), "Lobby cam", int64(0))
	f.Add(uint8(2), "WyJhIiwiYiJd", "a", int64(-1))
	f.Add(uint8(1), "WzEuNSwiYiJd", "", int64(0)) // [1.5,"b"]
	f.Add(uint8(0), "WzFlNDAwXQ", "", int64(0))   // [1e400]
	f.Add(uint8(2), "not base64!", "\xff", int64(0))
	f.Add(uint8(2), "", "", int64(0))
	f.Add(uint8(2), "WyJcdTAwMDAiLCJcdWQ4MDAiXQ", "\x00", int64(0)) // ["\u0000","\ud800"]
	f.Add(uint8(1), "WzEsIlx1MDAwMCJd", "a\x00b", int64(1))         // [1,"\u0000"]
	f.Fuzz(func(t *testing.T, kind uint8, c, s string, n int64) {
		refused := func(err error) {
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || e.Field != "cursor" || e.Key == "" {
				t.Fatalf("decodeCursor(%q): %v is not an invalid cursor error", c, err)
			}
		}
		switch kind % 3 {
		case 0:
			var seq int64
			if err := decodeCursor(c, &seq); err != nil {
				refused(err)
			} else {
				var again int64
				if err := decodeCursor(encodeCursor(seq), &again); err != nil || again != seq {
					t.Fatalf("cursor %q: key %d decodes again as %d, %v", c, seq, again, err)
				}
			}
			var got int64
			if err := decodeCursor(encodeCursor(n), &got); err != nil || got != n {
				t.Fatalf("key %d decodes as %d, %v", n, got, err)
			}
		case 1:
			var at int64
			var id string
			if err := decodeCursor(c, &at, &id); err != nil {
				refused(err)
			} else if strings.ContainsRune(id, 0) {
				t.Fatalf("cursor %q: accepted id %q", c, id)
			} else {
				var at2 int64
				var id2 string
				if err := decodeCursor(encodeCursor(at, id), &at2, &id2); err != nil || at2 != at || id2 != id {
					t.Fatalf("cursor %q: key (%d, %q) decodes again as (%d, %q), %v", c, at, id, at2, id2, err)
				}
			}
			var at2 int64
			var id2 string
			if err := decodeCursor(encodeCursor(n, s), &at2, &id2); strings.ContainsRune(s, 0) {
				if err == nil {
					t.Fatalf("key (%d, %q) with a NUL decodes", n, s)
				}
			} else if err != nil || at2 != n || utf8.ValidString(s) && id2 != s {
				t.Fatalf("key (%d, %q) decodes as (%d, %q), %v", n, s, at2, id2, err)
			}
		case 2:
			var key, id string
			if err := decodeCursor(c, &key, &id); err != nil {
				refused(err)
			} else if strings.ContainsRune(key+id, 0) {
				t.Fatalf("cursor %q: accepted key (%q, %q)", c, key, id)
			} else {
				var k2, id2 string
				if err := decodeCursor(encodeCursor(key, id), &k2, &id2); err != nil || k2 != key || id2 != id {
					t.Fatalf("cursor %q: key (%q, %q) decodes again as (%q, %q), %v", c, key, id, k2, id2, err)
				}
			}
			var k2, id2 string
			if err := decodeCursor(encodeCursor(s, s), &k2, &id2); strings.ContainsRune(s, 0) {
				if err == nil {
					t.Fatalf("key (%q, %q) with a NUL decodes", s, s)
				}
			} else if err != nil || utf8.ValidString(s) && (k2 != s || id2 != s) {
				t.Fatalf("key (%q, %q) decodes as (%q, %q), %v", s, s, k2, id2, err)
			}
		}
	})
}
