package harness

import (
	"context"

	"mysystems/internal/audit"
	"mysystems/internal/store"
)

// AuditLog returns the organization's audit entries, newest first, as the
// store keeps them.
func (s *Server) AuditLog(orgID string) []audit.Entry {
	s.T.Helper()
	ctx := context.Background()
	var out []audit.Entry
	if err := s.DB.Read(ctx, func(tx *store.Tx) error {
		cursor := ""
		for {
			es, next, err := tx.AuditEntries(ctx, orgID, audit.Filter{}, audit.Page{Limit: 500, Cursor: cursor})
			if err != nil {
				return err
			}
			out = append(out, es...)
			if next == "" {
				return nil
			}
			cursor = next
		}
	}); err != nil {
		s.T.Fatal(err)
	}
	return out
}

// Audited returns the organization's audit entries with the given action.
func (s *Server) Audited(orgID, action string) []audit.Entry {
	s.T.Helper()
	var out []audit.Entry
	for _, e := range s.AuditLog(orgID) {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}
