package httpapi

import (
	"mysystems/internal/api"
	"mysystems/internal/errs"
	"mysystems/internal/mail"
)

func outboxMessageJSON(m mail.Message) api.OutboxMessageJSON {
	return api.OutboxMessageJSON{ID: m.ID, OrgID: m.OrgID, Kind: m.Kind, To: m.To, Subject: m.Subject, Text: m.Text,
		HTML: m.HTML, MessageID: m.MessageID, Status: m.Status(), Attempts: m.Attempts, NextAt: m.NextAt,
		SentAt: m.SentAt, LastError: m.LastError, CreatedAt: m.CreatedAt}
}

func (a *API) vendorMailRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/vendor/outbox", Tag: "vendor", Summary: "List e-mails in the outbox, newest first (AUD-2)",
			Auth: AuthVendor, Response: api.List[api.OutboxMessageJSON]{},
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
				return listOf(ms, next, outboxMessageJSON), nil
			}},
	}
}
