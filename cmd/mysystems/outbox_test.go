package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mysystems/internal/clock"
	"mysystems/internal/mail"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// Offline demo: `mysystems vendor outbox` reads the invitation link from
// the database when no SMTP server is configured.
func TestVendorOutbox(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	dbPath := db.DSN()
	for _, to := range []string{"zoe@example.com", "ada@example.com"} {
		m, err := mail.NewMailer(clock.Real{}, "http://127.0.0.1:8080").Message("invitation", "en", to, map[string]string{
			"org": "Acme", "inviter": "Ada", "link": "http://127.0.0.1:8080/invitations/for-" + to, "expires": "soon"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.EnqueueMail(ctx, m) }); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"vendor", "outbox", "--database", dbPath, "--to", "zoe@example.com"}, nil, &out, &errb, env(nil)); code != 0 {
		t.Fatalf("vendor outbox: %d %s", code, errb.String())
	}
	if s := out.String(); !strings.Contains(s, "/invitations/for-zoe@example.com") || strings.Contains(s, "ada@example.com") ||
		!strings.Contains(s, "Message-ID: <mail_") {
		t.Fatalf("output:\n%s", s)
	}
}

// A wrong --smtp-url stops the server at start, not at the first e-mail;
// the URL, which holds a password, may come from a file.
func TestSMTPURLConfig(t *testing.T) {
	var out, errb bytes.Buffer
	dir := t.TempDir()
	code := run(context.Background(), []string{"serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--smtp-url", "smtp://h?tls=maybe"},
		nil, &out, &errb, env(nil))
	if code != 1 || !strings.Contains(errb.String(), "tls must be") {
		t.Fatalf("got %d %q, want a clear error", code, errb.String())
	}
	f := filepath.Join(dir, "smtp")
	if err := os.WriteFile(f, []byte("smtp://u:secret@mail.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	if err := cfg.loadFileAndEnv(nil, env(map[string]string{"MYSYSTEMS_SMTP_URL_FILE": f})); err != nil {
		t.Fatal(err)
	}
	if cfg.SMTPURL != "smtp://u:secret@mail.example.com" || appConfig(cfg).SMTPURL != cfg.SMTPURL {
		t.Fatalf("SMTP URL from file: %q", cfg.SMTPURL)
	}
}
