package audit

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"
)

// CSVHeader are the columns of the log's CSV export: the raw codes for
// machines, then the entry as a sentence for people.
var CSVHeader = []string{"id", "time", "actor_kind", "actor_id", "actor_email", "client_addr", "action", "target_type",
	"target_id", "details", "sentence"}

// WriteCSV writes the whole filtered log as CSV, page by page, to an actor
// allowed to read it (AUD-1), with the sentences in tr's language. An error
// before the first byte is returned, and start was not called; start is
// called once, just before the first byte (to set response headers). A
// later error ends the stream and is returned too, for the log.
func (s *Service) WriteCSV(ctx context.Context, actor Actor, orgID string, f Filter, tr Translator, w io.Writer, start func()) error {
	p := Page{Limit: 1000}
	l, err := s.List(ctx, actor, orgID, f, p)
	if err != nil {
		return err
	}
	if start != nil {
		start()
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(CSVHeader)
	for {
		for _, e := range l.Entries {
			details := ""
			if len(e.Details) > 0 {
				b, _ := json.Marshal(e.Details)
				details = string(b)
			}
			_ = cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.Format(time.RFC3339), e.Actor.Kind, e.Actor.ID,
				csvCell(e.Actor.Email), e.Actor.ClientAddr, e.Action, e.TargetType, e.TargetID, csvCell(details),
				csvCell(Describe(e, l.Names).Text(tr))})
		}
		cw.Flush()
		if err := cw.Error(); err != nil || l.Next == "" {
			return err
		}
		p.Cursor = l.Next
		if l, err = s.List(ctx, actor, orgID, f, p); err != nil {
			return err
		}
	}
}

// csvCell defuses spreadsheet formula injection in a cell people wrote.
// TODO(merge): the one CSV-cell function of the HTTP edge replaces this.
func csvCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
