package mail_test

import (
	"strings"
	"testing"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/mail"
)

// Every kind exists in every language, uses every one of its data keys and
// no other, and renders to a one-line subject and a body.
func TestComposeAllKindsAllLanguages(t *testing.T) {
	for kind, keys := range mail.Kinds {
		for _, lang := range mail.Languages {
			t.Run(kind+"."+lang, func(t *testing.T) {
				data := map[string]string{}
				for _, k := range keys {
					data[k] = "«" + k + "»"
				}
				subject, text, err := mail.Compose(kind, lang, data)
				if err != nil {
					t.Fatalf("Compose: %v", err)
				}
				if subject == "" || strings.ContainsAny(subject, "\r\n") || text == "" {
					t.Fatalf("subject %q, text %q", subject, text)
				}
				for _, k := range keys {
					if !strings.Contains(subject+text, data[k]) {
						t.Errorf("the template does not use %q", k)
					}
				}
				if strings.Contains(text, "<no value>") {
					t.Errorf("a placeholder was left empty:\n%s", text)
				}
			})
		}
	}
}

func TestComposeLanguages(t *testing.T) {
	data := map[string]string{"org": "Acme", "inviter": "Ada", "link": "https://x/i/1", "expires": "8 March 2026"}
	en, _, err := mail.Compose("invitation", "en", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"fr", "fr-CA", "FR_fr"} {
		fr, text, err := mail.Compose("invitation", lang, data)
		if err != nil {
			t.Fatal(err)
		}
		if fr == en || !strings.Contains(text, "organisation") {
			t.Errorf("%s: got subject %q and text %q, want French (organisation)", lang, fr, text)
		}
	}
	if got, _, _ := mail.Compose("invitation", "de", data); got != en {
		t.Errorf("an unknown language: got %q, want English %q", got, en)
	}
}

func TestComposeErrors(t *testing.T) {
	for name, c := range map[string]struct {
		kind string
		data map[string]string
	}{
		"ErrUnknownKind": {"newsletter", map[string]string{}},
		"ErrMissingKey":  {"mfa_code", map[string]string{"code": "123456"}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := mail.Compose(c.kind, "en", c.data); !errs.Is(err, errs.Internal) {
				t.Fatalf("got %v, want an internal error", err)
			}
		})
	}
}

// Data cannot break the subject into two header lines.
func TestComposeSubjectOneLine(t *testing.T) {
	subject, _, err := mail.Compose("invitation", "en", map[string]string{
		"org": "Evil\r\nBcc: victim@example.com", "inviter": "Ada", "link": "l", "expires": "e"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(subject, "\r\n") {
		t.Fatalf("subject %q spans lines", subject)
	}
}

func TestFormatTime(t *testing.T) {
	at := time.Date(2026, 8, 2, 9, 5, 0, 0, time.UTC)
	if got, want := mail.FormatTime(at, "en"), "2 August 2026, 09:05 UTC"; got != want {
		t.Errorf("en: got %q, want %q", got, want)
	}
	if got, want := mail.FormatTime(at, "fr"), "2 août 2026 à 09:05 UTC"; got != want {
		t.Errorf("fr: got %q, want %q", got, want)
	}
}

func TestMailerMessage(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	m, err := mail.NewMailer(clk, "https://portal.example.com:8443/").Message("mfa_code", "fr", "ada@example.com",
		map[string]string{"code": "123456", "minutes": "10"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.ID, "mail_") || m.MessageID != "<"+m.ID+"@portal.example.com>" || !m.CreatedAt.Equal(clk.Now()) ||
		!m.NextAt.Equal(clk.Now()) || m.Kind != "mfa_code" || m.To != "ada@example.com" || !strings.Contains(m.Text, "123456") {
		t.Fatalf("message %+v", m)
	}
	if strings.Contains(m.Subject, "123456") {
		t.Fatalf("the code is in the subject %q, which is logged", m.Subject)
	}
	other := mail.NewMessage(clk, "portal.example.com", "mfa_code", "a@b.c", "s", "t")
	if other.ID == m.ID || other.MessageID == m.MessageID {
		t.Fatal("two messages share an id")
	}
}
