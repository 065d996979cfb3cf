package fleet

import (
	"context"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/org"
)

// ExportColumns are the columns of the device export (DEV-4), the same from
// the API and the web UI. recommended_version is the version an upgrade is
// recommended to (FW-2), empty when none is.
var ExportColumns = []string{"id", "serial", "name", "model", "firmware", "folder", "status", "last_seen",
	"recommended_version"}

// Sheet receives an export: Begin once the first page is read (an error
// before it is the caller's to report as usual), then one Row per line.
// edge.CSV is the one the API and the web UI use.
type Sheet interface {
	Begin(columns []string) error
	Row(cells []string) error
}

// exportPage is how many devices an export reads at a time.
const exportPage = 1000

// Export writes every device of the list the member sees with f (DEV-4) to
// out, page by page, with ExportColumns.
func (s *Service) Export(ctx context.Context, actor audit.Actor, orgID string, f Filter, out Sheet) error {
	p := Page{Limit: exportPage}
	ds, next, t, err := s.List(ctx, actor, orgID, f, p)
	if err != nil {
		return err
	}
	if err := out.Begin(ExportColumns); err != nil {
		return err
	}
	for {
		for _, d := range ds {
			if err := out.Row(exportRow(d, t, s.clock.Now(), s.cfg.Heartbeat)); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		p.Cursor = next
		if ds, next, t, err = s.List(ctx, actor, orgID, f, p); err != nil {
			return err
		}
	}
}

// exportRow is one device's line of the export.
func exportRow(d Device, t org.Tree, now time.Time, heartbeat time.Duration) []string {
	status, seen := "offline", ""
	if d.Online(now, heartbeat) {
		status = "online"
	}
	if d.LastSeenAt != nil {
		seen = d.LastSeenAt.UTC().Format(time.RFC3339)
	}
	return []string{d.ID, d.Serial, d.Name, d.Model, d.Firmware, t.Path(d.FolderID), status, seen, d.UpgradeTo}
}
