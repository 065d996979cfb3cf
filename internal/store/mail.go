package store

import (
	"context"

	"mysystems/internal/errs"
	"mysystems/internal/mail"
)

// EnqueueMail writes a message to the outbox in the caller's transaction.
func (t *Tx) EnqueueMail(ctx context.Context, m mail.Message) error {
	if m.ID == "" || m.MessageID == "" || m.To == "" {
		return errs.E(errs.Internal, "outbox message without id, Message-ID or recipient")
	}
	next := m.NextAt
	if next.IsZero() {
		next = m.CreatedAt
	}
	_, err := t.exec(ctx, `INSERT INTO mail_outbox (id, org_id, kind, recipient, subject, body_text, body_html, message_id, created_at, next_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.OrgID, m.Kind, m.To, m.Subject, m.Text, m.HTML, m.MessageID,
		micros(m.CreatedAt), micros(next))
	return errs.Wrap(err, "enqueue mail")
}
