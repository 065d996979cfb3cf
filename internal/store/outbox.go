package store

import (
	"context"
	"database/sql"
	"sort"
	"time"

	"mysystems/internal/errs"
	"mysystems/internal/mail"
)

// Outbox is the mail deliverer's and operator view's store (AUD-2).
func (db *DB) Outbox() mail.Store {
	return runner[mail.OutboxTx]{db, func(t *Tx) mail.OutboxTx { return t }}
}

const outboxColumns = `id, org_id, kind, recipient, subject, body_text, body_html, message_id, created_at, attempts, next_at, sent_at, last_error`

func scanMail(sc interface{ Scan(...any) error }) (mail.Message, error) {
	var m mail.Message
	var created, next int64
	var sent sql.NullInt64
	err := sc.Scan(&m.ID, &m.OrgID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.MessageID, &created,
		&m.Attempts, &next, &sent, &m.LastError)
	m.CreatedAt, m.NextAt, m.SentAt = fromMicros(created), fromMicros(next), fromNullMicros(sent)
	return m, err
}

func (t *Tx) mailRows(ctx context.Context, what, q string, args ...any) ([]mail.Message, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, errs.Wrap(err, what)
	}
	defer rows.Close()
	var out []mail.Message
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, errs.Wrap(err, what)
		}
		out = append(out, m)
	}
	return out, errs.Wrap(rows.Err(), what)
}

// ClaimMail implements mail.OutboxTx.
func (t *Tx) ClaimMail(ctx context.Context, now, until time.Time, limit int) ([]mail.Message, error) {
	n := micros(now)
	out, err := t.mailRows(ctx, "claim mail", `UPDATE mail_outbox SET locked_until = ?
		WHERE id IN (SELECT id FROM mail_outbox
			WHERE sent_at IS NULL AND next_at <= ? AND (locked_until IS NULL OR locked_until <= ?)
			ORDER BY next_at, created_at, id LIMIT ?`+t.d.skipLocked()+`)
		RETURNING `+outboxColumns, micros(until), n, n, limit)
	// RETURNING follows no ORDER BY: oldest first is the promise.
	sort.Slice(out, func(i, j int) bool {
		if !out[i].NextAt.Equal(out[j].NextAt) {
			return out[i].NextAt.Before(out[j].NextAt)
		}
		return out[i].CreatedAt.Before(out[j].CreatedAt)
	})
	return out, err
}

// MarkMailSent implements mail.OutboxTx. It does not check the claim: once
// a server accepted the message, recording it stops any further resend.
func (t *Tx) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE mail_outbox SET sent_at = ?, attempts = attempts + 1, locked_until = NULL, last_error = ''
		WHERE id = ? AND sent_at IS NULL`, micros(at), id)
	return errs.Wrap(err, "mark mail sent")
}

var errMailClaimLost = errs.E(errs.Conflict, "err.mail.claim_lost")

// MarkMailFailed implements mail.OutboxTx.
func (t *Tx) MarkMailFailed(ctx context.Context, id string, claim time.Time, lastError string, next time.Time) error {
	return t.execOne(ctx, errMailClaimLost, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?, next_at = ?, locked_until = NULL
		WHERE id = ? AND locked_until = ? AND sent_at IS NULL`, clip(lastError), micros(next), id, micros(claim))
}

// ReleaseMail implements mail.OutboxTx.
func (t *Tx) ReleaseMail(ctx context.Context, id string, claim time.Time) error {
	_, err := t.exec(ctx, `UPDATE mail_outbox SET locked_until = NULL WHERE id = ? AND locked_until = ?`, id, micros(claim))
	return errs.Wrap(err, "release mail")
}

// PruneSentMail implements mail.OutboxTx.
func (t *Tx) PruneSentMail(ctx context.Context, before time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_at < ?`, micros(before))
	if err != nil {
		return 0, errs.Wrap(err, "prune sent mail")
	}
	n, err := res.RowsAffected()
	return int(n), errs.Wrap(err, "prune sent mail")
}

// HoldMail implements mail.OutboxTx.
func (t *Tx) HoldMail(ctx context.Context, limit int) ([]mail.Message, error) {
	return t.mailRows(ctx, "hold mail", `UPDATE mail_outbox SET last_error = ?
		WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND attempts = 0 AND last_error = ''
			ORDER BY created_at, id LIMIT ?`+t.d.skipLocked()+`)
		RETURNING `+outboxColumns, mail.HeldNote, limit)
}

// OutboxMessages implements mail.OutboxTx.
func (t *Tx) OutboxMessages(ctx context.Context, f mail.Filter, limit int, cursor string) ([]mail.Message, string, error) {
	q := `SELECT ` + outboxColumns + ` FROM mail_outbox WHERE 1 = 1`
	var args []any
	if f.To != "" {
		q += ` AND LOWER(recipient) = LOWER(?)`
		args = append(args, f.To)
	}
	if cursor != "" {
		var at int64
		var id string
		if err := decodeCursor(cursor, &at, &id); err != nil {
			return nil, "", err
		}
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, at, at, id)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit+1)
	out, err := t.mailRows(ctx, "list outbox", q, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		next = encodeCursor(micros(last.CreatedAt), last.ID)
	}
	if out == nil {
		out = []mail.Message{}
	}
	return out, next, nil
}
