package api

import "time"

// MintRequest mints device identities (vendor).
type MintRequest struct {
	Model string `json:"model"`
	Count int    `json:"count"`
}

// MintedJSON is a minted identity with its secrets, shown once.
type MintedJSON struct {
	Serial string `json:"serial"`
	Model  string `json:"model"`
	Secret string `json:"secret"`
	OAK    string `json:"oak"`
}

// OutboxMessageJSON is an e-mail in the outbox (AUD-2), body included: only
// vendor operators see it, so a demo without SMTP can still hand out an
// invitation link.
type OutboxMessageJSON struct {
	ID        string     `json:"id"`
	OrgID     string     `json:"org_id,omitempty"`
	Kind      string     `json:"kind"`
	To        string     `json:"to"`
	Subject   string     `json:"subject"`
	Text      string     `json:"text"`
	HTML      string     `json:"html,omitempty"`
	MessageID string     `json:"message_id"`
	Status    string     `json:"status"` // pending, retrying, held (no SMTP server) or sent
	Attempts  int        `json:"attempts"`
	NextAt    time.Time  `json:"next_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}
