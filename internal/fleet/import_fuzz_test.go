package fleet

import (
	"bytes"
	"encoding/csv"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// refusedAsClient fails the test unless err is a client error (invalid) on
// field, with a catalogue key whose English and French messages are written
// out without a formatting mistake.
func refusedAsClient(t *testing.T, err error, fields ...string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || !i18n.Has(e.Key) {
		t.Fatalf("refusal %v is not an invalid error with a catalogue key", err)
	}
	if len(fields) > 0 && !contains(fields, e.Field) {
		t.Fatalf("refusal %v is on field %q, want one of %q", err, e.Field, fields)
	}
	for _, lang := range []string{"en", "fr"} {
		if m := e.In(lang); m == "" || strings.Contains(m, "%!") {
			t.Fatalf("refusal %v reads %q in %s", err, m, lang)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// FuzzImportCSV feeds arbitrary bytes to the reader of a device import
// (DEV-3, POST /devices/import and the web page's upload): it never panics;
// a refusal is an invalid error on field "csv" that reads in English and
// French; what it accepts is 1 to MaxImportLines rows of trimmed cells,
// in increasing line order, and written back as CSV (with a header row)
// reads again to the same rows. The seeds are f.Add below, which `go test`
// runs, and the inputs fuzzing found failing, in
// testdata/fuzz/FuzzImportCSV.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("serial,oak,folder\nACCC8E000001,OAK-1234-5678,Site A/Lobby\n"))
	f.Add([]byte("ACCC8E000001, OAK-1 ,\n\nACCC8E000002,OAK-2\n"))
	f.Add([]byte("\"ACCC8E\"\"0001\",\"OAK\n2\",\"/Default/Site A\"\r\n"))
	f.Add([]byte("a,b,c,d\n"))
	f.Add([]byte("x\"y,z\n"))
	f.Add([]byte("\"unterminated,oak\n"))
	f.Add([]byte(""))
	f.Add([]byte("serial,oak\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, err := readImport(bytes.NewReader(body))
		if err != nil {
			refusedAsClient(t, err, "csv")
			return
		}
		if len(rows) == 0 || len(rows) > MaxImportLines {
			t.Fatalf("accepted %d rows", len(rows))
		}
		for i, r := range rows {
			for _, cell := range []string{r.serial, r.oak, r.folder} {
				if cell != strings.TrimSpace(cell) {
					t.Fatalf("row %+v: cell %q not trimmed", r, cell)
				}
			}
			if r.line < 1 || i > 0 && r.line <= rows[i-1].line {
				t.Fatalf("row %d at line %d after line %d", i, r.line, rows[max(i-1, 0)].line)
			}
		}
		// Written back, with a header, the rows read again the same.
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write([]string{"serial", "oak", "folder"})
		for _, r := range rows {
			_ = w.Write([]string{r.serial, r.oak, r.folder})
		}
		w.Flush()
		again, err := readImport(&b)
		if err != nil {
			t.Fatalf("rows %+v written back as %q: %v", rows, b.String(), err)
		}
		if len(again) != len(rows) {
			t.Fatalf("rows %+v read back as %+v", rows, again)
		}
		for i := range rows {
			a, r := again[i], rows[i]
			if a.serial != r.serial || a.oak != r.oak || a.folder != r.folder {
				t.Fatalf("row %+v read back as %+v (from %q)", r, a, b.String())
			}
		}
	})
}

// FuzzDeviceFilter: the device list's query (DEV-4, the API's and the web
// page's) never panics; checkFilter refuses with an invalid error on the
// parameter at fault, and what it accepts has a known sort, status and
// upgrade filter, every value trimmed; the values written back as a query
// read again to the same filter.
func FuzzDeviceFilter(f *testing.F) {
	f.Add("folder=fld_1&model=AXIS+P3265-LVE&firmware=11.11.0&status=online&q=lobby&sort=-last_seen&upgrade=yes")
	f.Add("sort=name&status=offline&upgrade=no")
	f.Add("sort=-&status=ONLINE")
	f.Add("q=" + strings.Repeat("x", 101))
	f.Add("q=%ZZ&sort=%20serial%20")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // the server reads what it can: url.Values of the rest
		}
		fl := ParseFilter(q)
		if err := checkFilter(&fl); err != nil {
			refusedAsClient(t, err, "sort", "status", "upgrade", "q")
			return
		}
		if fl.Sort != "" && !sorts[strings.TrimPrefix(fl.Sort, "-")] || !contains([]string{"", "online", "offline"}, fl.Status) ||
			!contains([]string{"", "yes", "no"}, fl.Upgrade) || len(fl.Query) > 100 {
			t.Fatalf("accepted %+v", fl)
		}
		back := url.Values{}
		for k, v := range map[string]string{"folder": fl.FolderID, "model": fl.Model, "firmware": fl.Firmware,
			"status": fl.Status, "q": fl.Query, "sort": fl.Sort, "upgrade": fl.Upgrade} {
			if v != "" {
				back.Set(k, v)
			}
		}
		again := ParseFilter(back)
		if err := checkFilter(&again); err != nil || !reflect.DeepEqual(again, fl) {
			t.Fatalf("%+v written as %q reads back as %+v, %v", fl, back.Encode(), again, err)
		}
	})
}
