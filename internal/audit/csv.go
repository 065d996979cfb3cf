package audit

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// CSVHeader are the columns of the log's CSV export: the raw codes for
// machines, then the entry as a sentence for people.
var CSVHeader = []string{"id", "time", "actor_kind", "actor_id", "actor_email", "client_addr", "action", "target_type",
	"target_id", "details", "sentence"}

// Sheet receives an export: Begin once the first page is read (an error
// before it is the caller's to report as usual), then one Row per entry.
// edge.CSV is the one the API and the web UI use; it also defuses cells a
// spreadsheet would evaluate.
type Sheet interface {
	Begin(columns []string) error
	Row(cells []string) error
}

// Export writes the whole filtered log, page by page, to an actor allowed to
// read it (AUD-1), with CSVHeader's columns and the sentences in tr's
// language.
func (s *Service) Export(ctx context.Context, actor Actor, orgID string, f Filter, tr Translator, out Sheet) error {
	p := Page{Limit: 1000}
	l, err := s.List(ctx, actor, orgID, f, p)
	if err != nil {
		return err
	}
	if err := out.Begin(CSVHeader); err != nil {
		return err
	}
	for {
		for _, e := range l.Entries {
			details := ""
			if len(e.Details) > 0 {
				b, _ := json.Marshal(e.Details)
				details = string(b)
			}
			if err := out.Row([]string{strconv.FormatInt(e.Seq, 10), e.At.Format(time.RFC3339), e.Actor.Kind, e.Actor.ID,
				e.Actor.Email, e.Actor.ClientAddr, e.Action, e.TargetType, e.TargetID, details,
				Describe(e, l.Names).Text(tr)}); err != nil {
				return err
			}
		}
		if l.Next == "" {
			return nil
		}
		p.Cursor = l.Next
		if l, err = s.List(ctx, actor, orgID, f, p); err != nil {
			return err
		}
	}
}
