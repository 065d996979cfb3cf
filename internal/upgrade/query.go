package upgrade

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/org"
)

// ParseTaskFilter reads the task list's filters from a query string: state
// (one or several, comma-separated), device, model, folder, rollout, since
// and until (RFC 3339 or YYYY-MM-DD, in UTC).
func ParseTaskFilter(q url.Values) (TaskFilter, error) {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	f := TaskFilter{DeviceID: get("device"), Model: get("model"), FolderID: get("folder"), Rollout: get("rollout")}
	if s := get("state"); s != "" {
		for _, part := range strings.Split(s, ",") {
			st, ok := ParseState(strings.TrimSpace(part))
			if !ok {
				return f, errs.InvalidField("state", "err.upgrade.state_filter")
			}
			f.States = append(f.States, st)
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		s := get(d.name)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			day, derr := time.Parse("2006-01-02", s)
			if derr != nil {
				return f, errs.InvalidField(d.name, "err.upgrade.date", d.name)
			}
			t = day
			if d.name == "until" {
				t = t.AddDate(0, 0, 1) // the whole day
			}
		}
		*d.dst = t
	}
	if len(f.Model) > 100 {
		return f, errs.InvalidField("model", "err.upgrade.model")
	}
	for _, id := range []struct{ name, v string }{{"device", f.DeviceID}, {"rollout", f.Rollout}} {
		if len(id.v) > 100 {
			return f, errs.InvalidField(id.name, "err.upgrade.id_long", id.name)
		}
	}
	return f, nil
}

// ExportColumns are the columns of the task export (FW-5).
var ExportColumns = []string{"id", "device_id", "serial", "model", "folder", "from", "to", "state", "stage",
	"percent", "reason", "started_by", "created_at", "started_at", "finished_at", "rollout", "ring"}

// Sheet receives an export (see fleet.Sheet).
type Sheet interface {
	Begin(columns []string) error
	Row(cells []string) error
}

// Export writes every task of the list the member sees with f to out, in
// the member's language (lang) for reasons.
func (s *Service) Export(ctx context.Context, actor audit.Actor, orgID string, f TaskFilter, lang string, out Sheet) error {
	p := Page{Limit: 1000}
	ts, next, t, err := s.Tasks(ctx, actor, orgID, f, p)
	if err != nil {
		return err
	}
	if err := out.Begin(ExportColumns); err != nil {
		return err
	}
	for {
		for _, tk := range ts {
			if err := out.Row(exportRow(tk, t, lang)); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		p.Cursor = next
		if ts, next, t, err = s.Tasks(ctx, actor, orgID, f, p); err != nil {
			return err
		}
	}
}

func exportRow(tk Task, t org.Tree, lang string) []string {
	ts := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return p.UTC().Format(time.RFC3339)
	}
	ring := ""
	if tk.Ring > 0 {
		ring = strconv.Itoa(tk.Ring)
	}
	return []string{tk.ID, tk.DeviceID, tk.Serial, tk.Model, t.Path(tk.FolderID), tk.From, tk.To, string(tk.State),
		tk.Stage, strconv.Itoa(tk.Percent), tk.Reason.In(lang), tk.CreatedLabel, tk.CreatedAt.UTC().Format(time.RFC3339),
		ts(tk.StartedAt), ts(tk.FinishedAt), tk.RolloutID, ring}
}
