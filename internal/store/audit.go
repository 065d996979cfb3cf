package store

import (
	"context"
	"encoding/json"
	"strings"

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
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			q += ` AND action LIKE ? ESCAPE '\'`
			args = append(args, likeEscape(f.Action)+"%")
		} else {
			q += ` AND action = ?`
			args = append(args, f.Action)
		}
	}
	if f.ActorID != "" {
		q += ` AND actor_id = ?`
		args = append(args, f.ActorID)
	}
	if f.Target != "" {
		q += ` AND target_id = ?`
		args = append(args, f.Target)
	}
	if !f.Since.IsZero() {
		q += ` AND at >= ?`
		args = append(args, micros(f.Since))
	}
	if !f.Until.IsZero() {
		q += ` AND at < ?`
		args = append(args, micros(f.Until))
	}
	if p.Cursor != "" {
		var seq int64
		if err := decodeCursor(p.Cursor, &seq); err != nil {
			return nil, "", err
		}
		q += ` AND seq < ?`
		args = append(args, seq)
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, p.Limit+1)
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
