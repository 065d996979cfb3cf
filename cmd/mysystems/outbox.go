package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"mysystems/internal/mail"
)

// printOutbox shows the newest e-mails of the outbox with their bodies, so
// an operator without a mail server can hand on an invitation link.
func printOutbox(ctx context.Context, w io.Writer, o *mail.Outbox, to string, limit int) error {
	ms, next, err := o.List(ctx, mail.Filter{To: to}, limit, "")
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		fmt.Fprintln(w, "the outbox is empty")
		return nil
	}
	for i, m := range ms {
		if i > 0 {
			fmt.Fprintln(w, strings.Repeat("-", 72))
		}
		status := m.Status()
		switch {
		case m.SentAt != nil:
			status += " " + m.SentAt.Format(time.RFC3339)
		case m.Attempts > 0:
			status += fmt.Sprintf(" (%d attempts; next %s; last error: %s)", m.Attempts, m.NextAt.Format(time.RFC3339), m.LastError)
		}
		fmt.Fprintf(w, "Id:         %s (%s)\nCreated:    %s\nStatus:     %s\nTo:         %s\nSubject:    %s\nMessage-ID: %s\n\n%s\n",
			m.ID, m.Kind, m.CreatedAt.Format(time.RFC3339), status, m.To, m.Subject, m.MessageID, strings.TrimRight(m.Text, "\n"))
	}
	if next != "" {
		fmt.Fprintf(w, "\n(more: raise --limit or filter with --to)\n")
	}
	return nil
}
