package audit_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// FuzzAuditQuery: the audit log's query (AUD-1; the API's and the web
// page's, and the page of every other list: limit and cursor) never
// panics. A refusal is an invalid error on the parameter at fault, with a
// catalogue message in English and French. What is accepted is trimmed,
// bounded (a positive limit, a cursor of at most MaxCursor bytes), with
// times in UTC; written back as a query it reads again to the same page
// and filter. The seeds are f.Add below, which `go test` runs, and the
// inputs fuzzing found failing, in testdata/fuzz/FuzzAuditQuery.
func FuzzAuditQuery(f *testing.F) {
	f.Add("action=org.,member.invite&actor=usr_1&target=dev_2&since=2026-03-01&until=2026-03-31T12:00:00%2B02:00&limit=20&cursor=WzQyXQ")
	f.Add("since=2026-02-30")
	f.Add("until=0000-01-01T00:00:00%2B01:00")
	f.Add("until=9999-12-31")
	f.Add("limit=0&cursor=" + strings.Repeat("A", audit.MaxCursor+1))
	f.Add("limit=%2B5&action=%20,%20,org.")
	f.Add("limit=99999999999999999999")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // the server reads what it can: url.Values of the rest
		}
		refused := func(err error, fields ...string) {
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || !i18n.Has(e.Key) || !contains(fields, e.Field) {
				t.Fatalf("%q: %v is not an invalid error on one of %q", raw, err, fields)
			}
			for _, lang := range []string{"en", "fr"} {
				if m := e.In(lang); m == "" || strings.Contains(m, "%!") {
					t.Fatalf("%q: refusal reads %q in %s", raw, m, lang)
				}
			}
		}
		p, err := audit.ParsePage(q)
		if err != nil {
			refused(err, "limit", "cursor")
		} else {
			if p.Limit < 0 || len(p.Cursor) > audit.MaxCursor || p.Cursor != strings.TrimSpace(p.Cursor) {
				t.Fatalf("%q: accepted page %+v", raw, p)
			}
			back := url.Values{}
			if p.Limit > 0 {
				back.Set("limit", strconv.Itoa(p.Limit))
			}
			if p.Cursor != "" {
				back.Set("cursor", p.Cursor)
			}
			if again, err := audit.ParsePage(back); err != nil || again != p {
				t.Fatalf("page %+v written as %q reads back as %+v, %v", p, back.Encode(), again, err)
			}
		}
		fl, err := audit.ParseFilter(q)
		if err != nil {
			refused(err, "since", "until")
			return
		}
		for _, s := range []string{fl.ActorID, fl.Target} {
			if s != strings.TrimSpace(s) {
				t.Fatalf("%q: value %q not trimmed", raw, s)
			}
		}
		if got := strings.Join(fl.Actions(), ","); got != fl.Action {
			t.Fatalf("%q: action %q is not in its normal form %q", raw, fl.Action, got)
		}
		if fl.Since.Location() != time.UTC || fl.Until.Location() != time.UTC {
			t.Fatalf("%q: times not in UTC: %v %v", raw, fl.Since, fl.Until)
		}
		back := url.Values{}
		for k, v := range map[string]string{"action": fl.Action, "actor": fl.ActorID, "target": fl.Target} {
			if v != "" {
				back.Set(k, v)
			}
		}
		for k, v := range map[string]time.Time{"since": fl.Since, "until": fl.Until} {
			if v.IsZero() {
				continue
			}
			if v.Year() < 0 || v.Year() > 9999 {
				return // RFC 3339 has four-digit years: such a bound is not written back
			}
			back.Set(k, v.Format(time.RFC3339Nano))
		}
		again, err := audit.ParseFilter(back)
		if err != nil || again.Action != fl.Action || again.ActorID != fl.ActorID || again.Target != fl.Target ||
			!again.Since.Equal(fl.Since) || !again.Until.Equal(fl.Until) {
			t.Fatalf("filter %+v written as %q reads back as %+v, %v", fl, back.Encode(), again, err)
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
