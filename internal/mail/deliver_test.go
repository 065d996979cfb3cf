package mail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	netmail "net/mail"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/jobs"
	"mysystems/internal/mail"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func smtpURL(d *smtpd, extra string) string {
	return "smtp://" + d.addr + "?tls=none&from=noreply@example.test" + extra
}

func sender(t *testing.T, rawURL string) *mail.SMTPSender {
	t.Helper()
	s, err := mail.NewSMTPSender(rawURL, "noreply@example.test", "portal.example.test")
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = 10 * time.Second
	return s
}

// enqueueMail writes a message to the outbox in a domain transaction, as
// the invitation or MFA code use cases do.
func enqueueMail(t *testing.T, db *store.DB, clk clock.Clock, to string) mail.Message {
	t.Helper()
	m, err := mail.NewMailer(clk, "https://portal.example.test").Message("invitation", "fr", to, map[string]string{
		"org": "Société Générale", "inviter": "Ada", "link": "https://portal.example.test/invitations/s3cr3t", "expires": "8 mars 2026"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(context.Background(), func(tx *store.Tx) error { return tx.EnqueueMail(context.Background(), m) }); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return m
}

func outbox(t *testing.T, db *store.DB) map[string]mail.Message {
	t.Helper()
	ms, _, err := mail.NewOutbox(db.Outbox()).List(context.Background(), mail.Filter{}, 200, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]mail.Message{}
	for _, m := range ms {
		out[m.ID] = m
	}
	return out
}

// instance is one server process's mail machinery: a job runner with the
// deliverer as its periodic task, as app.New wires it (every second here, so
// a test's one-second clock steps are never skipped by the periodic lease).
func instance(db *store.DB, s mail.Sender, clk clock.Clock, worker string) (*jobs.Runner, *mail.Deliverer) {
	d := mail.NewDeliverer(db.Outbox(), s, clk, quiet())
	r := jobs.NewRunner(db.Jobs(), clk, quiet(), jobs.Options{Worker: worker})
	r.Every("mail.deliver", time.Second, d.Run)
	return r, d
}

func tick(t *testing.T, r *jobs.Runner) {
	t.Helper()
	if err := r.RunDue(context.Background()); err != nil {
		t.Fatalf("RunDue: %v", err)
	}
}

func messageIDs(got []received) []string {
	var ids []string
	for _, r := range got {
		msg, err := netmail.ReadMessage(strings.NewReader(r.Data))
		if err != nil {
			ids = append(ids, "unparseable")
			continue
		}
		ids = append(ids, msg.Header.Get("Message-ID"))
	}
	return ids
}

func TestDeliverOK(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := newSMTPD(t)
		clk := clock.NewFake(t0)
		r, _ := instance(db, sender(t, smtpURL(srv, "")), clk, "w1")
		m := enqueueMail(t, db, clk, "zoe@example.com")
		tick(t, r)
		got := srv.messages()
		if len(got) != 1 {
			t.Fatalf("server got %d messages, want 1", len(got))
		}
		if got[0].From != "noreply@example.test" || got[0].To != "zoe@example.com" {
			t.Errorf("envelope %s -> %s", got[0].From, got[0].To)
		}
		msg, err := netmail.ReadMessage(strings.NewReader(got[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		for k, want := range map[string]string{"Message-ID": m.MessageID, "From": "<noreply@example.test>",
			"To": "<zoe@example.com>", "Content-Type": "text/plain; charset=utf-8", "MIME-Version": "1.0",
			"Date": t0.Format(time.RFC1123Z)} {
			if got := msg.Header.Get(k); got != want {
				t.Errorf("%s: got %q, want %q", k, got, want)
			}
		}
		if subject != m.Subject || !strings.HasSuffix(m.MessageID, "@portal.example.test>") {
			t.Errorf("subject %q, Message-ID %q", subject, m.MessageID)
		}
		if o := outbox(t, db)[m.ID]; o.Status() != "sent" || o.Attempts != 1 || !o.SentAt.Equal(t0) {
			t.Errorf("outbox row %+v", o)
		}
		clk.Advance(time.Hour)
		tick(t, r)
		if n := len(srv.messages()); n != 1 {
			t.Fatalf("server got %d messages after more ticks, want still 1", n)
		}
	})
}

// Sent messages are deleted once Keep has passed since they were sent;
// unsent ones, however old, never are.
func TestPruneSentMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := newSMTPD(t)
		clk := clock.NewFake(t0)
		r, d := instance(db, sender(t, smtpURL(srv, "")), clk, "w1")
		ctx := context.Background()
		prune := func() {
			t.Helper()
			if err := d.Prune(ctx); err != nil {
				t.Fatal(err)
			}
		}
		sent := enqueueMail(t, db, clk, "zoe@example.com")
		tick(t, r)
		unsent := enqueueMail(t, db, clk, "yann@example.com") // not delivered until later
		clk.Advance(d.Keep + time.Second)
		prune()
		o := outbox(t, db)
		if _, ok := o[sent.ID]; ok {
			t.Fatal("a message sent longer than Keep ago is still in the outbox")
		}
		if m, ok := o[unsent.ID]; !ok || m.Status() == "sent" {
			t.Fatalf("the unsent message was pruned or sent: %+v %v", m, ok)
		}
		tick(t, r) // now it is sent
		clk.Advance(d.Keep - time.Minute)
		prune()
		if m, ok := outbox(t, db)[unsent.ID]; !ok || m.Status() != "sent" {
			t.Fatalf("a message sent less than Keep ago was pruned: %+v %v", m, ok)
		}
		clk.Advance(2 * time.Minute)
		prune()
		if len(outbox(t, db)) != 0 {
			t.Fatalf("outbox after both were kept long enough: %+v", outbox(t, db))
		}
		if n := len(srv.messages()); n != 2 {
			t.Fatalf("server got %d messages, want 2", n)
		}
	})
}

// TLS with a verified certificate and AUTH PLAIN: STARTTLS, as a
// submission server wants, and smtps, TLS from the first byte. An untrusted
// certificate is not accepted: the message waits.
func TestDeliverTLS(t *testing.T) {
	for _, c := range []struct {
		name, url      string // url: %s is the server's address
		implicit       bool
		user, password string
	}{
		{"STARTTLS", "smtp://portal:p%%40ss%%20word@%s?from=noreply@example.test", false, "portal", "p@ss word"},
		{"smtps", "smtps://portal:pw@%s?from=noreply@example.test", true, "portal", "pw"},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := storetest.SQLite(t)
			cfg, pool := selfSigned(t)
			srv := newSMTPD(t, func(d *smtpd) { d.tls, d.implicitTLS, d.user, d.pass = cfg, c.implicit, c.user, c.password })
			clk := clock.NewFake(t0)
			s := sender(t, fmt.Sprintf(c.url, srv.addr))
			s.TLSConfig = &tls.Config{RootCAs: pool}
			r, _ := instance(db, s, clk, "w1")
			m := enqueueMail(t, db, clk, "zoe@example.com")
			tick(t, r)
			if ids := messageIDs(srv.messages()); len(ids) != 1 || ids[0] != m.MessageID {
				t.Fatalf("server got %v; outbox: %+v", ids, outbox(t, db)[m.ID])
			}

			r2, _ := instance(db, sender(t, fmt.Sprintf(c.url, srv.addr)), clk, "w2")
			m2 := enqueueMail(t, db, clk, "ada@example.com")
			clk.Advance(5 * time.Second)
			tick(t, r2)
			if o := outbox(t, db)[m2.ID]; o.SentAt != nil || !strings.Contains(o.LastError, "certificate") {
				t.Fatalf("sent over an unverified TLS connection: %+v", o)
			}
		})
	}
}

// The server is down: nothing is lost, attempts back off, and when it comes
// back every message is delivered exactly once.
func TestAUD2_DeliverServerDownThenBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := newSMTPD(t)
		srv.down()
		clk := clock.NewFake(t0)
		r, _ := instance(db, sender(t, smtpURL(srv, "")), clk, "w1")
		a := enqueueMail(t, db, clk, "a@example.com")
		b := enqueueMail(t, db, clk, "b@example.com")

		tick(t, r)
		for _, m := range []mail.Message{a, b} {
			o := outbox(t, db)[m.ID]
			if o.SentAt != nil || o.Attempts != 1 || !strings.Contains(o.LastError, "connect to mail server") ||
				!o.NextAt.Equal(t0.Add(30*time.Second)) || o.Status() != "retrying" {
				t.Fatalf("after a refused connection: %+v", o)
			}
		}
		// Backoff: nothing is tried before next_at...
		clk.Advance(29 * time.Second)
		tick(t, r)
		if o := outbox(t, db)[a.ID]; o.Attempts != 1 {
			t.Fatalf("retried before the backoff ended: %+v", o)
		}
		// ...then again, with a doubled delay.
		clk.Advance(time.Second)
		tick(t, r)
		if o := outbox(t, db)[a.ID]; o.Attempts != 2 || !o.NextAt.Equal(t0.Add(90*time.Second)) {
			t.Fatalf("second attempt: %+v", o)
		}
		// Up, but refusing messages for now (451): still retried.
		srv.up()
		srv.reject(true)
		clk.Advance(time.Minute)
		tick(t, r)
		if o := outbox(t, db)[a.ID]; o.Attempts != 3 || !strings.Contains(o.LastError, "451") || len(srv.messages()) != 0 {
			t.Fatalf("after a 451: %+v, server has %d", o, len(srv.messages()))
		}
		srv.reject(false)
		clk.Advance(2 * time.Minute)
		tick(t, r)
		for i := 0; i < 5; i++ {
			clk.Advance(time.Hour)
			tick(t, r)
		}
		got := messageIDs(srv.messages())
		sort.Strings(got)
		want := []string{a.MessageID, b.MessageID}
		sort.Strings(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("server got %v, want %s and %s once each", got, a.MessageID, b.MessageID)
		}
		for _, m := range []mail.Message{a, b} {
			if o := outbox(t, db)[m.ID]; o.SentAt == nil || o.LastError != "" {
				t.Fatalf("delivered message %+v", o)
			}
		}
	})
}

// The server process dies after the change committed and before any
// delivery; a new process over the same database delivers the mail.
func TestAUD2_DeliverAfterRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := newSMTPD(t)
		clk := clock.NewFake(t0)
		first := storetest.Open(t, db.DSN()) // a process of its own over the same database
		instance(first, sender(t, smtpURL(srv, "")), clk, "first")
		m := enqueueMail(t, first, clk, "zoe@example.com")
		first.Close() // killed: its runner never ran

		second := storetest.Open(t, db.DSN())
		r, _ := instance(second, sender(t, smtpURL(srv, "")), clk, "second")
		tick(t, r)
		if got := messageIDs(srv.messages()); len(got) != 1 || got[0] != m.MessageID {
			t.Fatalf("after the restart the server got %v, want %s", got, m.MessageID)
		}
	})
}

// Two instances over one database deliver each message exactly once, even
// when their deliverers run at the same moment.
func TestDeliverTwoInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := newSMTPD(t)
		clk := clock.NewFake(t0)
		other := storetest.Open(t, db.DSN()) // a second instance's handle
		want := map[string]bool{}
		for i := 0; i < 25; i++ {
			want[enqueueMail(t, db, clk, fmt.Sprintf("u%d@example.com", i)).MessageID] = true
		}
		var ds []*mail.Deliverer
		for i, h := range []*store.DB{db, other} {
			_, d := instance(h, sender(t, smtpURL(srv, "")), clk, fmt.Sprint("w", i))
			d.Batch = 3
			ds = append(ds, d)
		}
		// Call the deliverers directly, bypassing the periodic lease, so
		// they really race for the rows.
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Add(1)
			go func(d *mail.Deliverer) {
				defer wg.Done()
				for i := 0; i < 5; i++ {
					if err := d.Run(ctx); err != nil {
						t.Error(err)
					}
				}
			}(d)
		}
		wg.Wait()
		seen := map[string]int{}
		for _, id := range messageIDs(srv.messages()) {
			seen[id]++
		}
		for id := range want {
			if seen[id] != 1 {
				t.Errorf("message %s delivered %d times, want 1", id, seen[id])
			}
		}
		if len(seen) != len(want) {
			t.Errorf("server got %d distinct messages, want %d", len(seen), len(want))
		}
	})
}

// crashingStore is an outbox whose process dies right after the SMTP server
// accepted a message: recording it fails.
type crashingStore struct{ mail.Store }

type crashingTx struct{ mail.OutboxTx }

func (s crashingStore) Write(ctx context.Context, fn func(mail.OutboxTx) error) error {
	return s.Store.Write(ctx, func(tx mail.OutboxTx) error { return fn(crashingTx{tx}) })
}

func (crashingTx) MarkMailSent(context.Context, string, time.Time) error {
	return errors.New("killed before recording the delivery")
}

// The one accepted duplicate: a crash after the server accepted a message
// and before the outbox recorded it. The message is sent again once its
// claim expires, with the same Message-ID, so the recipient's mail system
// can tell it is the same message; it is then never sent a third time.
func TestDeliverCrashAfterAcceptResendsSameMessageID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := newSMTPD(t)
		clk := clock.NewFake(t0)
		m := enqueueMail(t, db, clk, "zoe@example.com")
		crashed := mail.NewDeliverer(crashingStore{db.Outbox()}, sender(t, smtpURL(srv, "")), clk, quiet())
		if err := crashed.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(srv.messages()); n != 1 {
			t.Fatalf("server got %d, want 1", n)
		}
		r, d := instance(db, sender(t, smtpURL(srv, "")), clk, "restarted")
		tick(t, r)
		if n := len(srv.messages()); n != 1 {
			t.Fatalf("resent while the dead deliverer's claim was live: server got %d", n)
		}
		clk.Advance(d.Lease)
		tick(t, r)
		for i := 0; i < 3; i++ {
			clk.Advance(time.Hour)
			tick(t, r)
		}
		got := srv.messages()
		ids := messageIDs(got)
		if len(ids) != 2 || ids[0] != m.MessageID || ids[1] != m.MessageID {
			t.Fatalf("server got Message-IDs %v, want %s exactly twice", ids, m.MessageID)
		}
		if got[0].Data != got[1].Data {
			t.Error("the resent message differs from the first copy")
		}
		if o := outbox(t, db)[m.ID]; o.SentAt == nil {
			t.Fatalf("not recorded as sent after the resend: %+v", o)
		}
	})
}

// Without SMTP the demo works offline: mail stays in the outbox, each
// message is logged once without its body, and the operator view shows it.
func TestDeliverNoSMTPHolds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(t0)
		var logs bytes.Buffer
		d := mail.NewDeliverer(db.Outbox(), nil, clk, slog.New(slog.NewTextHandler(&logs, nil)))
		r := jobs.NewRunner(db.Jobs(), clk, quiet(), jobs.Options{Worker: "w"})
		r.Every("mail.deliver", 5*time.Second, d.Run)
		m := enqueueMail(t, db, clk, "zoe@example.com")
		tick(t, r)
		clk.Advance(time.Minute)
		tick(t, r)
		out := logs.String()
		if strings.Count(out, m.ID) != 1 || !strings.Contains(out, "zoe@example.com") || !strings.Contains(out, "invitation") {
			t.Fatalf("want one log line naming the message, its kind and recipient; logs:\n%s", out)
		}
		if strings.Contains(out, "s3cr3t") {
			t.Fatalf("the body's secret link was logged:\n%s", out)
		}
		o := outbox(t, db)[m.ID]
		if o.Status() != "held" || o.SentAt != nil || !strings.Contains(o.Text, "/invitations/s3cr3t") {
			t.Fatalf("outbox row %+v", o)
		}
		// Once an SMTP server is configured, held mail goes out.
		srv := newSMTPD(t)
		r2, _ := instance(db, sender(t, smtpURL(srv, "")), clk, "w2")
		clk.Advance(time.Minute)
		tick(t, r2)
		if ids := messageIDs(srv.messages()); len(ids) != 1 || ids[0] != m.MessageID {
			t.Fatalf("held mail not delivered after configuring SMTP: %v", ids)
		}
	})
}
