package edge

import (
	"encoding/csv"
	"log/slog"
	"net/http"
)

// CSVCell defuses spreadsheet formula injection (OWASP "CSV injection"): a
// cell that starts with = + - @, a tab or a carriage return gets a leading
// single quote, so a spreadsheet shows it as text instead of evaluating it.
// Every CSV the portal writes passes its cells through it.
func CSVCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// CSV streams a CSV download to an HTTP response. Nothing is written before
// Begin, so an error found before it (a bad filter, no permission) can still
// be answered as usual; after it the download has started and an error can
// only end it.
type CSV struct {
	w        http.ResponseWriter
	filename string
	cw       *csv.Writer
}

// NewCSV returns a CSV download named filename.
func NewCSV(w http.ResponseWriter, filename string) *CSV {
	return &CSV{w: w, filename: filename}
}

// Begin sets the download's headers and writes the header row.
func (c *CSV) Begin(columns []string) error {
	h := c.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+c.filename+`"`)
	c.cw = csv.NewWriter(c.w)
	return c.cw.Write(columns)
}

// Row writes one row, each cell through CSVCell.
func (c *CSV) Row(cells []string) error {
	safe := make([]string, len(cells))
	for i, s := range cells {
		safe[i] = CSVCell(s)
	}
	return c.cw.Write(safe)
}

// End finishes the download whose rows ended with err. Before Begin, err is
// returned for the caller to answer as usual; after it the response has
// started, so a failure is logged (the client gets a truncated file) and End
// returns nil.
func (c *CSV) End(log *slog.Logger, r *http.Request, err error) error {
	if c.cw == nil {
		return err
	}
	c.cw.Flush()
	if err == nil {
		err = c.cw.Error()
	}
	if err != nil && r.Context().Err() == nil {
		log.ErrorContext(r.Context(), "CSV export ended early", "file", c.filename, "err", err)
	}
	return nil
}
