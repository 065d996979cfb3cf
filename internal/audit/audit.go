// Package audit describes the audit log of AUD-1: who did what, when, from
// where, to which target, in which organization.
package audit

import (
	"context"
	"time"

	"mysystems/internal/errs"
)

// Actor kinds.
const (
	KindUser   = "user"
	KindVendor = "vendor"
	KindSystem = "system"
)

// Actor is whoever causes a change: a signed-in user, a vendor operator
// (platform token) or the system itself (jobs).
type Actor struct {
	Kind       string
	ID         string // user id, platform token id, or job name
	Email      string // for users: their e-mail at the time
	ClientAddr string
}

// System returns the actor for changes made by the product itself.
func System(job string) Actor { return Actor{Kind: KindSystem, ID: job} }

// Entry is one line of the audit log.
type Entry struct {
	Seq        int64
	OrgID      string
	At         time.Time
	Actor      Actor
	Action     string // e.g. "org.rename", "member.remove"
	TargetType string
	TargetID   string
	Details    map[string]any
}

// Filter narrows a read of the log. Zero values do not filter.
type Filter struct {
	Action  string // exact, or a prefix ending in "." ("org.")
	ActorID string
	Target  string
	Since   time.Time
	Until   time.Time
}

// Page asks for one page of a list: at most Limit items after Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// Normalize clamps the page size to [1, max] with def as the default.
func (p Page) Normalize(def, max int) Page {
	if p.Limit <= 0 {
		p.Limit = def
	}
	if p.Limit > max {
		p.Limit = max
	}
	return p
}

// Tx is what the audit service needs of a store transaction.
type Tx interface {
	RecordAudit(ctx context.Context, e Entry) error
	AuditEntries(ctx context.Context, orgID string, f Filter, p Page) ([]Entry, string, error)
}

// Store runs transactions.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
}

// Service reads the log. Writing happens inside each domain's own
// transaction (RecordAudit), so a change and its audit line commit together.
type Service struct{ store Store }

// NewService returns an audit service.
func NewService(s Store) *Service { return &Service{store: s} }

// List returns one page of the organization's log, newest first. The caller
// has already checked that the actor may read it.
func (s *Service) List(ctx context.Context, orgID string, f Filter, p Page) ([]Entry, string, error) {
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return nil, "", errs.InvalidField("until", "err.audit.until_before_since")
	}
	var out []Entry
	var next string
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, next, err = tx.AuditEntries(ctx, orgID, f, p.Normalize(50, 1000))
		return err
	})
	return out, next, err
}
