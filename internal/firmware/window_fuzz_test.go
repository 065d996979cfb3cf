package firmware

import (
	"strings"
	"testing"
	"time"

	"mysystems/internal/errs"
)

// FuzzWindowParse: ParseWindow never panics; what it refuses is an invalid
// error with a window key; what it accepts is written back as it was read
// and reads again to the same window; and Next from any instant answers an
// occurrence of the window's duration that ends after that instant, with
// Open agreeing. The seed corpus is testdata/fuzz/FuzzWindowParse.
func FuzzWindowParse(f *testing.F) {
	f.Add("mon,wed,fri 22:00 3h Europe/Paris", int64(1774746000))
	f.Fuzz(func(t *testing.T, s string, at int64) {
		w, err := ParseWindow(s)
		if err != nil {
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || e.Field != "window" || !strings.HasPrefix(e.Key, "err.window.") {
				t.Fatalf("ParseWindow(%q): %v is not an invalid window error with a key", s, err)
			}
			return
		}
		if got := w.Format(); got != s {
			t.Fatalf("ParseWindow(%q) formats as %q", s, got)
		}
		again, err := ParseWindow(w.Format())
		if err != nil || !again.Equal(w) {
			t.Fatalf("%q reads back as %v, %v", s, again, err)
		}
		// Any instant from 1900 to 2300.
		const lo, span = -2208988800, 400 * 365 * 24 * 3600
		instant := time.Unix(lo+(at%span+span)%span, at%1e9)
		start, end := w.Next(instant)
		if !end.After(instant) || end.Sub(start) != w.Duration {
			t.Fatalf("%s at %s: Next = %s – %s", w, instant, start, end)
		}
		if w.Open(instant) != !instant.Before(start) {
			t.Fatalf("%s at %s: Open = %v, Next = %s – %s", w, instant, w.Open(instant), start, end)
		}
		if s2, e2 := w.Next(start); !s2.Equal(start) || !e2.Equal(end) || !w.Open(start) {
			t.Fatalf("%s: Next from its start %s is %s – %s", w, start, s2, e2)
		}
		if d := start.In(w.Zone).Weekday(); !w.Days.Has(d) && start.In(w.Zone).Format("15:04") == w.Start.String() {
			t.Fatalf("%s starts on a %s", w, d)
		}
	})
}
