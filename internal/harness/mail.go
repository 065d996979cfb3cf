package harness

import (
	"context"
	"net/url"
	"regexp"

	"mysystems/internal/store"
)

// LastMail returns the text of the newest message queued in the outbox for
// recipient.
func (s *Server) LastMail(recipient string) string {
	s.T.Helper()
	return s.LastMailOf(recipient, "")
}

// LastMailOf returns the text of the newest message of a kind
// ("invitation", "mfa_code", …; "" for any) queued for recipient.
func (s *Server) LastMailOf(recipient, kind string) string {
	s.T.Helper()
	ctx := context.Background()
	q, args := `SELECT body_text FROM mail_outbox WHERE recipient = ?`, []any{recipient}
	if kind != "" {
		q, args = q+` AND kind = ?`, append(args, kind)
	}
	var body string
	if err := s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRowForTest(ctx, q+` ORDER BY created_at DESC, id DESC LIMIT 1`, args...).Scan(&body)
	}); err != nil {
		s.T.Fatalf("no mail %q to %s in the outbox: %v", kind, recipient, err)
	}
	return body
}

var invitationLink = regexp.MustCompile(`https?://\S+/invitations/accept\?token=[A-Za-z0-9_%.-]+`)

// InvitationLink returns the invitation link (an absolute URL) of the
// newest mail to recipient.
func (s *Server) InvitationLink(recipient string) *url.URL {
	s.T.Helper()
	body := s.LastMailOf(recipient, "invitation")
	link := invitationLink.FindString(body)
	if link == "" {
		s.T.Fatalf("no invitation link in the mail to %s: %q", recipient, body)
	}
	u, err := url.Parse(link)
	if err != nil {
		s.T.Fatal(err)
	}
	return u
}
