package httpapi

import (
	"time"

	"mysystems/internal/errs"
	"mysystems/internal/mail"
)

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

func outboxMessageJSON(m mail.Message) OutboxMessageJSON {
	return OutboxMessageJSON{ID: m.ID, OrgID: m.OrgID, Kind: m.Kind, To: m.To, Subject: m.Subject, Text: m.Text,
		HTML: m.HTML, MessageID: m.MessageID, Status: m.Status(), Attempts: m.Attempts, NextAt: m.NextAt,
		SentAt: m.SentAt, LastError: m.LastError, CreatedAt: m.CreatedAt}
}

func (a *API) vendorMailRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/vendor/outbox", Tag: "vendor", Summary: "List e-mails in the outbox, newest first (AUD-2)",
			Auth: AuthVendor, Response: List[OutboxMessageJSON]{},
			Query: append([]Param{{"to", "recipient address (exact, case-insensitive)"}}, pageParams...),
			handle: func(c *Call) (any, error) {
				if a.d.Outbox == nil {
					return nil, errs.E(errs.Internal, "the outbox is not available")
				}
				p, err := page(c.R)
				if err != nil {
					return nil, err
				}
				ms, next, err := a.d.Outbox.List(c.R.Context(), mail.Filter{To: c.R.URL.Query().Get("to")}, p.Limit, p.Cursor)
				if err != nil {
					return nil, err
				}
				out := List[OutboxMessageJSON]{Items: []OutboxMessageJSON{}, NextCursor: next}
				for _, m := range ms {
					out.Items = append(out.Items, outboxMessageJSON(m))
				}
				return out, nil
			}},
	}
}
