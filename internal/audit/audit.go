// Package audit describes the audit log of AUD-1: who did what, when, from
// where, to which target, in which organization.
package audit

import (
	"context"
	"strings"
	"time"

	"mysystems/internal/access"
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
	// Lang is the language the person is using in this request (the web
	// page's, or the API's Accept-Language), when known; it is not recorded.
	// Texts made for others on their behalf (an invitation e-mail, a new
	// organization's root folder) follow it before their stored preference.
	Lang string
}

// LangOr returns the language the actor is using, else preferred.
func (a Actor) LangOr(preferred string) string {
	if a.Lang != "" {
		return a.Lang
	}
	return preferred
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
	// Action keeps entries whose action is this exact code or starts with
	// this prefix ending in "." ("org."), or any of several of those
	// separated by commas (an action group).
	Action  string
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
	// AuditNames returns the current names of the refs that still exist in
	// the organization (one query for a whole page).
	AuditNames(ctx context.Context, orgID string, refs []Ref) (Names, error)
	// MemberRole is the user's role in the organization; not found if none.
	MemberRole(ctx context.Context, orgID, userID string) (access.Role, error)
}

// Actions splits the action filter into its codes and prefixes.
func (f Filter) Actions() []string {
	var out []string
	for _, a := range strings.Split(f.Action, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
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

// Listing is one page of the log with the names of what it refers to.
type Listing struct {
	Entries []Entry
	Next    string // the cursor of the next page; empty on the last
	Names   Names
}

// List returns one page of the organization's log, newest first, to an
// actor allowed to read it (AUD-1: Admins and Owners).
func (s *Service) List(ctx context.Context, actor Actor, orgID string, f Filter, p Page) (Listing, error) {
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return Listing{}, errs.InvalidField("until", "err.audit.until_before_since")
	}
	var out Listing
	err := s.store.Read(ctx, func(tx Tx) error {
		if err := s.check(ctx, tx, actor, orgID); err != nil {
			return err
		}
		var err error
		if out.Entries, out.Next, err = tx.AuditEntries(ctx, orgID, f, p.Normalize(50, 1000)); err != nil {
			return err
		}
		out.Names, err = tx.AuditNames(ctx, orgID, Refs(out.Entries))
		return err
	})
	return out, err
}

// check applies AUD-1: only members with the right to view the log read it.
func (s *Service) check(ctx context.Context, tx Tx, actor Actor, orgID string) error {
	if actor.Kind != KindUser {
		return errs.E(errs.Forbidden, "err.audit.members_only")
	}
	role, err := tx.MemberRole(ctx, orgID, actor.ID)
	if errs.Is(err, errs.NotFound) {
		return errs.NotFoundf("err.org.not_found", orgID)
	}
	if err != nil {
		return err
	}
	return access.Check(role, access.ViewAudit)
}
