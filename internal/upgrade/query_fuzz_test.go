package upgrade_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"mysystems/internal/errs"
	"mysystems/internal/i18n"
	"mysystems/internal/upgrade"
)

// FuzzTaskFilter: the task list's query (FW-5; the API's and the web
// page's) never panics. A refusal is an invalid error on the parameter at
// fault, with a catalogue message in English and French. What is accepted
// holds known states only and ids of at most 100 bytes, every value
// trimmed; written back as a query it reads again to the same filter. The
// seeds are f.Add below, which `go test` runs, and the inputs fuzzing found
// failing, in testdata/fuzz/FuzzTaskFilter.
func FuzzTaskFilter(f *testing.F) {
	f.Add("state=queued,failed&device=dev_1&model=AXIS+P3265-LVE&folder=fld_1&rollout=rol_1&since=2026-03-01&until=2026-03-02T10:00:00%2B02:00")
	f.Add("state=queued,,failed")
	f.Add("state=QUEUED")
	f.Add("until=2026-02-29")
	f.Add("device=" + strings.Repeat("d", 101))
	f.Add("rollout=" + strings.Repeat("r", 101))
	f.Add("model=" + strings.Repeat("m", 101))
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // the server reads what it can: url.Values of the rest
		}
		fl, err := upgrade.ParseTaskFilter(q)
		if err != nil {
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || !i18n.Has(e.Key) {
				t.Fatalf("%q: %v is not an invalid error with a catalogue key", raw, err)
			}
			if v, asked := q[e.Field]; !asked || strings.TrimSpace(v[0]) == "" {
				t.Fatalf("%q: refused on field %q, which the query does not set: %v", raw, e.Field, err)
			}
			for _, lang := range []string{"en", "fr"} {
				if m := e.In(lang); m == "" || strings.Contains(m, "%!") {
					t.Fatalf("%q: refusal reads %q in %s", raw, m, lang)
				}
			}
			return
		}
		for _, st := range fl.States {
			if !slices.Contains(upgrade.States, st) {
				t.Fatalf("%q: accepted state %q", raw, st)
			}
		}
		for _, s := range []string{fl.DeviceID, fl.Model, fl.FolderID, fl.Rollout} {
			if s != strings.TrimSpace(s) {
				t.Fatalf("%q: value %q not trimmed", raw, s)
			}
		}
		if len(fl.DeviceID) > 100 || len(fl.Model) > 100 || len(fl.Rollout) > 100 {
			t.Fatalf("%q: accepted %+v", raw, fl)
		}
		back := url.Values{}
		for k, v := range map[string]string{"device": fl.DeviceID, "model": fl.Model, "folder": fl.FolderID, "rollout": fl.Rollout} {
			if v != "" {
				back.Set(k, v)
			}
		}
		var states []string
		for _, st := range fl.States {
			states = append(states, string(st))
		}
		if len(states) > 0 {
			back.Set("state", strings.Join(states, ","))
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
		again, err := upgrade.ParseTaskFilter(back)
		if err != nil || !slices.Equal(again.States, fl.States) || again.DeviceID != fl.DeviceID || again.Model != fl.Model ||
			again.FolderID != fl.FolderID || again.Rollout != fl.Rollout || !again.Since.Equal(fl.Since) || !again.Until.Equal(fl.Until) {
			t.Fatalf("filter %+v written as %q reads back as %+v, %v", fl, back.Encode(), again, err)
		}
	})
}
