// Package mail holds the durable outbox of AUD-2: a message is written to the
// outbox in the same transaction as the change that causes it, and delivered
// later by a job that retries while the mail server is down. Nothing accepted
// is lost; each message carries a stable Message-ID so the one unavoidable
// duplicate (a crash after the SMTP server accepted the message but before
// the outbox recorded it) is recognisable.
package mail

import (
	"context"
	"time"
)

// Message is an e-mail waiting in, or delivered from, the outbox.
type Message struct {
	ID        string
	OrgID     string // the organization it concerns, if any ("" for account mail)
	To        string
	Subject   string
	Text      string // plain-text body
	HTML      string // optional HTML body
	MessageID string // RFC 5322 Message-ID, stable across retries
	Kind      string // e.g. "invitation", "mfa_code": for operators and tests
	CreatedAt time.Time

	Attempts  int
	NextAt    time.Time
	SentAt    *time.Time
	LastError string
}

// Tx is what a domain transaction needs to queue mail.
type Tx interface {
	EnqueueMail(ctx context.Context, m Message) error
}
