package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/errs"
)

// NewMessage makes an outbox message: a fresh id, a Message-ID under host
// (the host of the server's base URL) that stays the same on every retry,
// and the creation time from clk.
func NewMessage(clk clock.Clock, host, kind, to, subject, text string) Message {
	if host == "" {
		host = "mysystems.localhost"
	}
	id := newID("mail_")
	now := clk.Now().UTC()
	return Message{ID: id, Kind: kind, To: to, Subject: subject, Text: text,
		MessageID: "<" + id + "@" + host + ">", CreatedAt: now, NextAt: now}
}

// Host is the host name of a base URL, for Message-IDs and the default
// sender address.
func Host(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "mysystems.localhost"
}

// Status says where a message is: sent, held (no SMTP server configured),
// retrying (failed at least once) or pending.
func (m Message) Status() string {
	switch {
	case m.SentAt != nil:
		return "sent"
	case m.LastError == HeldNote:
		return "held"
	case m.Attempts > 0:
		return "retrying"
	}
	return "pending"
}

// HeldNote is the last_error of a message kept in the outbox because no
// SMTP server is configured.
const HeldNote = "not sent: no SMTP server is configured (the message is kept in the outbox)"

func newID(prefix string) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// Format renders m as an RFC 5322 message from from: UTF-8 text in
// quoted-printable, multipart/alternative when there is an HTML body. The
// bytes depend only on m and from, so a resent message is identical.
func Format(m Message, from *mail.Address) ([]byte, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, errs.InvalidField("to", "err.mail.bad_recipient", m.To)
	}
	if strings.ContainsAny(m.MessageID, "\r\n") || !strings.HasPrefix(m.MessageID, "<") {
		return nil, errs.E(errs.Internal, "malformed Message-ID %q", m.MessageID)
	}
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", strings.Join(strings.Fields(m.Subject), " ")))
	h("Date", m.CreatedAt.UTC().Format(time.RFC1123Z))
	h("Message-ID", m.MessageID)
	h("MIME-Version", "1.0")
	h("Auto-Submitted", "auto-generated") // RFC 3834: no vacation replies, please
	if m.HTML == "" {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	// A boundary derived from the stable id keeps a resend byte-identical.
	if err := mw.SetBoundary("=_" + strings.Trim(m.ID, "<>@") + "_alt"); err != nil {
		return nil, errs.Wrap(err, "mime boundary")
	}
	h("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, errs.Wrap(err, "mime part")
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, errs.Wrap(err, "mime")
	}
	return b.Bytes(), nil
}

func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(strings.ReplaceAll(s, "\r\n", "\n"))); err != nil {
		return errs.Wrap(err, "encode body")
	}
	return errs.Wrap(qp.Close(), "encode body")
}
