package mail_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/mail"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func sample() mail.Message {
	m := mail.NewMessage(clock.NewFake(t0), "portal.example.com", "invitation", "Zoë <zoe@example.com>",
		"Invitation à rejoindre l'organisation « Société Générale »", "Bonjour Zoë,\n\n.une ligne qui commence par un point\nhttps://portal.example.com/invitations/abc\n")
	return m
}

func TestFormatPlain(t *testing.T) {
	from, _ := netmail.ParseAddress("My Systems <noreply@example.com>")
	m := sample()
	raw, err := mail.Format(m, from)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("\r\n\r\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("lines must end in CRLF")
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject: got %q (%v), want %q", subject, err, m.Subject)
	}
	if !strings.HasPrefix(h.Get("Subject"), "=?utf-8?q?") {
		t.Errorf("Subject %q is not Q-encoded", h.Get("Subject"))
	}
	for k, want := range map[string]string{
		"From": `"My Systems" <noreply@example.com>`, "Message-ID": m.MessageID, "MIME-Version": "1.0",
		"Content-Type": "text/plain; charset=utf-8", "Content-Transfer-Encoding": "quoted-printable",
		"Date": "Sun, 01 Mar 2026 09:00:00 +0000",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Name != "Zoë" || to[0].Address != "zoe@example.com" {
		t.Errorf("To: %q (%v)", h.Get("To"), err)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != m.Text {
		t.Errorf("body: got %q, want %q", got, m.Text)
	}
	again, _ := mail.Format(m, from)
	if !bytes.Equal(raw, again) {
		t.Error("formatting the same message twice differs: a resend must be identical")
	}
}

func TestFormatAlternative(t *testing.T) {
	from, _ := netmail.ParseAddress("noreply@example.com")
	m := sample()
	m.HTML = "<p>Bonjour Zoë</p>"
	raw, err := mail.Format(m, from)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types, bodies []string
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(quotedprintable.NewReader(p))
		types = append(types, p.Header.Get("Content-Type"))
		bodies = append(bodies, strings.ReplaceAll(string(b), "\r\n", "\n"))
	}
	if len(types) != 2 || types[0] != "text/plain; charset=utf-8" || types[1] != "text/html; charset=utf-8" ||
		bodies[0] != m.Text || bodies[1] != m.HTML {
		t.Fatalf("parts %q %q", types, bodies)
	}
}

func TestFormatErrBadRecipient(t *testing.T) {
	from, _ := netmail.ParseAddress("noreply@example.com")
	m := sample()
	m.To = "not an address"
	if _, err := mail.Format(m, from); !errs.Is(err, errs.Invalid) {
		t.Fatalf("got %v, want invalid", err)
	}
}

func TestParseSMTPURL(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want mail.SMTPConfig
	}{
		{"smtp://u:p%40ss@mail.example.com:587?from=noreply@example.com&tls=starttls",
			mail.SMTPConfig{Host: "mail.example.com", Port: "587", Username: "u", Password: "p@ss", From: "noreply@example.com", TLS: "starttls"}},
		{"smtp://mail.example.com", mail.SMTPConfig{Host: "mail.example.com", Port: "587", TLS: "starttls"}},
		{"smtps://u:p@mail.example.com", mail.SMTPConfig{Host: "mail.example.com", Port: "465", Username: "u", Password: "p", TLS: "tls"}},
		{"smtp://relay:25?tls=none", mail.SMTPConfig{Host: "relay", Port: "25", TLS: "none"}},
		{"smtp://relay?from=My%20Systems%20%3Cnoreply%40example.com%3E",
			mail.SMTPConfig{Host: "relay", Port: "587", TLS: "starttls", From: "My Systems <noreply@example.com>"}},
	} {
		got, err := mail.ParseSMTPURL(c.raw)
		if err != nil || got != c.want {
			t.Errorf("%s: got %+v (%v), want %+v", c.raw, got, err, c.want)
		}
	}
	for _, raw := range []string{"http://mail.example.com", "smtp://", "smtp://h?tls=maybe", "smtp://h?form=x@y.z",
		"smtp://h?from=nobody", "::"} {
		if _, err := mail.ParseSMTPURL(raw); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: got %v, want invalid", raw, err)
		}
	}
	c, _ := mail.ParseSMTPURL("smtp://user:secret@mail.example.com")
	if strings.Contains(c.String(), "secret") {
		t.Errorf("String() shows the password: %s", c)
	}
}
