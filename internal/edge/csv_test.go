package edge

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"
)

// DEV-4 / AUD-1 exports: a cell a spreadsheet would evaluate is shown as text.
func TestDEV4_CSVCellGuardsFormulas(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"Lobby cam", "Lobby cam"},
		{"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"+1", "'+1"},
		{"-1+2", "'-1+2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"a=b", "a=b"},
		{"/Site A/Hall", "/Site A/Hall"},
	}
	for _, c := range cases {
		if got := CSVCell(c.in); got != c.want {
			t.Errorf("CSVCell(%q): got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDEV4_CSVDownload(t *testing.T) {
	log := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	t.Run("OK", func(t *testing.T) {
		w := httptest.NewRecorder()
		out := NewCSV(w, "devices-org_1.csv")
		if err := out.Begin([]string{"id", "name"}); err != nil {
			t.Fatal(err)
		}
		if err := out.Row([]string{"dev_1", "=cmd"}); err != nil {
			t.Fatal(err)
		}
		if err := out.End(log, httptest.NewRequest("GET", "/", nil), nil); err != nil {
			t.Fatal(err)
		}
		if got, want := w.Body.String(), "id,name\ndev_1,'=cmd\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		if got := w.Header().Get("Content-Disposition"); got != `attachment; filename="devices-org_1.csv"` {
			t.Errorf("got Content-Disposition %q", got)
		}
	})
	t.Run("ErrBeforeBegin", func(t *testing.T) {
		w := httptest.NewRecorder()
		boom := errors.New("boom")
		if err := NewCSV(w, "x.csv").End(log, httptest.NewRequest("GET", "/", nil), boom); err != boom {
			t.Errorf("got %v, want the error back for the caller to answer", err)
		}
		if w.Body.Len() != 0 || w.Header().Get("Content-Type") != "" {
			t.Errorf("wrote %q before Begin", w.Body.String())
		}
	})
	t.Run("ErrAfterBegin", func(t *testing.T) {
		w := httptest.NewRecorder()
		out := NewCSV(w, "x.csv")
		_ = out.Begin([]string{"id"})
		if err := out.End(log, httptest.NewRequest("GET", "/", nil), errors.New("boom")); err != nil {
			t.Errorf("got %v, want nil once the download started", err)
		}
		if w.Body.String() != "id\n" {
			t.Errorf("got %q", w.Body.String())
		}
	})
}
