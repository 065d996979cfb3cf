package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
)

// RecordAudit appends an entry to the audit log in the caller's transaction.
func (t *Tx) RecordAudit(ctx context.Context, e audit.Entry) error {
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return errs.Wrap(err, "audit details")
		}
	}
	_, err := t.exec(ctx, `INSERT INTO audit_log (org_id, at, actor_kind, actor_id, actor_email, client_addr, action, target_type, target_id, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.OrgID, micros(e.At), e.Actor.Kind, e.Actor.ID, e.Actor.Email,
		e.Actor.ClientAddr, e.Action, e.TargetType, e.TargetID, string(details))
	return errs.Wrap(err, "insert audit")
}

// AuditEntries reads one page of an organization's log, newest first.
func (t *Tx) AuditEntries(ctx context.Context, orgID string, f audit.Filter, p audit.Page) ([]audit.Entry, string, error) {
	q := `SELECT seq, org_id, at, actor_kind, actor_id, actor_email, client_addr, action, target_type, target_id, details
		FROM audit_log WHERE org_id = ?`
	args := []any{orgID}
	if actions := f.Actions(); len(actions) > 0 {
		var or []string
		for _, a := range actions {
			if strings.HasSuffix(a, ".") {
				or = append(or, `action LIKE ? ESCAPE '\'`)
				args = append(args, likeEscape(a)+"%")
			} else {
				or = append(or, `action = ?`)
				args = append(args, a)
			}
		}
		q += ` AND (` + strings.Join(or, " OR ") + `)`
	}
	if f.ActorID != "" {
		q += ` AND actor_id = ?`
		args = append(args, f.ActorID)
	}
	if f.Target != "" {
		q += ` AND target_id = ?`
		args = append(args, f.Target)
	}
	q, args, err := seqWindow(q, args, f.Since, f.Until, p)
	if err != nil {
		return nil, "", err
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, "", errs.Wrap(err, "audit")
	}
	defer rows.Close()
	out := []audit.Entry{}
	for rows.Next() {
		var e audit.Entry
		var at int64
		var details string
		if err := rows.Scan(&e.Seq, &e.OrgID, &at, &e.Actor.Kind, &e.Actor.ID, &e.Actor.Email, &e.Actor.ClientAddr,
			&e.Action, &e.TargetType, &e.TargetID, &details); err != nil {
			return nil, "", errs.Wrap(err, "scan audit")
		}
		e.At = fromMicros(at)
		if details != "" && details != "{}" {
			if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
				return nil, "", errs.Wrap(err, "audit details")
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", errs.Wrap(err, "audit")
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		next = encodeCursor(out[len(out)-1].Seq)
	}
	return out, next, nil
}

// AuditNames returns the current names of the refs that still exist in the
// organization, in one query: devices, folders and invitations (by address)
// of the organization, the organization itself, and people who are or were
// its members (by membership or an accepted invitation), never anyone else.
func (t *Tx) AuditNames(ctx context.Context, orgID string, refs []audit.Ref) (audit.Names, error) {
	ids := map[string][]any{}
	for _, r := range refs {
		ids[r.Type] = append(ids[r.Type], r.ID)
	}
	var parts []string
	var args []any
	add := func(typ, sel string) {
		if len(ids[typ]) == 0 {
			return
		}
		parts = append(parts, strings.ReplaceAll(sel, "(…)", "("+marks(len(ids[typ]))+")"))
		for range strings.Count(sel, "org_id = ?") + strings.Count(sel, "WHERE id = ?") {
			args = append(args, orgID)
		}
		args = append(args, ids[typ]...)
	}
	add(audit.TargetDevice, `SELECT 'device', id, name FROM devices WHERE org_id = ? AND id IN (…)`)
	add(audit.TargetServer, `SELECT 'server', id, name FROM acs_servers WHERE org_id = ? AND id IN (…)`)
	add(audit.TargetFolder, `SELECT 'folder', id, name FROM folders WHERE org_id = ? AND id IN (…)`)
	add(audit.TargetInvitation, `SELECT 'invitation', id, email FROM invitations WHERE org_id = ? AND id IN (…)`)
	add(audit.TargetOrg, `SELECT 'org', id, name FROM orgs WHERE id = ? AND id IN (…)`)
	add(audit.TargetProduct, `SELECT 'product', id, name FROM license_products WHERE id IN (…)`) // the vendor's catalogue
	add(audit.TargetUser, `SELECT 'user', u.id, u.name FROM users u JOIN memberships m ON m.user_id = u.id
			WHERE m.org_id = ? AND u.id IN (…)`)
	ids[audit.FormerMember] = ids[audit.TargetUser]
	add(audit.FormerMember, `SELECT '`+audit.FormerMember+`', u.id, u.name FROM users u WHERE u.id IN (
			SELECT accepted_by FROM invitations WHERE org_id = ? AND accepted_by <> ''
			EXCEPT SELECT user_id FROM memberships WHERE org_id = ?) AND u.id IN (…)`)
	out := audit.Names{}
	if len(parts) == 0 {
		return out, nil
	}
	rows, err := t.query(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return nil, errs.Wrap(err, "audit names")
	}
	defer rows.Close()
	for rows.Next() {
		var r audit.Ref
		var name string
		if err := rows.Scan(&r.Type, &r.ID, &name); err != nil {
			return nil, errs.Wrap(err, "scan audit names")
		}
		out[r] = name
	}
	return out, errs.Wrap(rows.Err(), "audit names")
}

// MemberRole returns a user's role in an organization.
func (t *Tx) MemberRole(ctx context.Context, orgID, userID string) (access.Role, error) {
	m, err := t.Membership(ctx, orgID, userID)
	return m.Role, err
}

// seqWindow ends a newest-first read of an append-only log keyed by seq
// (the audit log, the license history): entries from since (inclusive) to
// until (exclusive) when set, after the page's cursor, and one more than the
// page holds, so the caller knows whether a next page exists.
func seqWindow(q string, args []any, since, until time.Time, p audit.Page) (string, []any, error) {
	if !since.IsZero() {
		q += ` AND at >= ?`
		args = append(args, micros(since))
	}
	if !until.IsZero() {
		q += ` AND at < ?`
		args = append(args, micros(until))
	}
	if p.Cursor != "" {
		var seq int64
		if err := decodeCursor(p.Cursor, &seq); err != nil {
			return "", nil, err
		}
		q += ` AND seq < ?`
		args = append(args, seq)
	}
	return q + ` ORDER BY seq DESC LIMIT ?`, append(args, p.Limit+1), nil
}
