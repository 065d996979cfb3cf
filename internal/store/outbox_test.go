package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/mail"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

func putMail(t *testing.T, db *store.DB, to string, at time.Time) mail.Message {
	t.Helper()
	m := mail.NewMessage(clock.NewFake(at), "example.test", "invitation", to, "Subject "+to, "Body for "+to)
	if err := db.Write(context.Background(), func(tx *store.Tx) error { return tx.EnqueueMail(context.Background(), m) }); err != nil {
		t.Fatalf("enqueue mail: %v", err)
	}
	return m
}

func outboxOp[T any](t *testing.T, db *store.DB, fn func(tx mail.OutboxTx) (T, error)) T {
	t.Helper()
	var out T
	err := db.Outbox().Write(context.Background(), func(tx mail.OutboxTx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func listMail(t *testing.T, db *store.DB, f mail.Filter) []mail.Message {
	t.Helper()
	out, _, err := mail.NewOutbox(db.Outbox()).List(context.Background(), f, 200, "")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	each := func(name string, fn func(t *testing.T, db *store.DB)) {
		t.Run(name, func(t *testing.T) { storetest.Each(t, fn) })
	}
	each("ClaimLocks", func(t *testing.T, db *store.DB) {
		a := putMail(t, db, "a@example.com", t0)
		b := putMail(t, db, "b@example.com", t0.Add(time.Second))
		claim := t0.Add(time.Minute)
		got := outboxOp(t, db, func(tx mail.OutboxTx) ([]mail.Message, error) {
			return tx.ClaimMail(ctx, t0.Add(time.Second), claim, 10)
		})
		if len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID || got[0].MessageID != a.MessageID || got[0].Text != a.Text {
			t.Fatalf("claimed %+v, want a then b", got)
		}
		again := outboxOp(t, db, func(tx mail.OutboxTx) ([]mail.Message, error) {
			return tx.ClaimMail(ctx, t0.Add(30*time.Second), claim, 10)
		})
		if len(again) != 0 {
			t.Fatalf("claimed messages were claimed again before the lease ended: %+v", again)
		}
		// The claim expires: another deliverer may take them.
		late := outboxOp(t, db, func(tx mail.OutboxTx) ([]mail.Message, error) {
			return tx.ClaimMail(ctx, claim, claim.Add(time.Minute), 10)
		})
		if len(late) != 2 {
			t.Fatalf("got %d after the lease expired, want 2", len(late))
		}
		// The first claim's failure report no longer counts.
		err := db.Outbox().Write(ctx, func(tx mail.OutboxTx) error {
			return tx.MarkMailFailed(ctx, a.ID, claim, "stale", claim.Add(time.Hour))
		})
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("stale failure report: got %v, want conflict", err)
		}
	})
	each("SentFailedReleased", func(t *testing.T, db *store.DB) {
		a := putMail(t, db, "a@example.com", t0)
		b := putMail(t, db, "b@example.com", t0)
		c := putMail(t, db, "c@example.com", t0)
		claim := t0.Add(time.Minute)
		outboxOp(t, db, func(tx mail.OutboxTx) ([]mail.Message, error) { return tx.ClaimMail(ctx, t0, claim, 10) })
		outboxOp(t, db, func(tx mail.OutboxTx) (int, error) { return 0, tx.MarkMailSent(ctx, a.ID, t0.Add(time.Second)) })
		outboxOp(t, db, func(tx mail.OutboxTx) (int, error) {
			return 0, tx.MarkMailFailed(ctx, b.ID, claim, "421 try later", t0.Add(time.Hour))
		})
		outboxOp(t, db, func(tx mail.OutboxTx) (int, error) { return 0, tx.ReleaseMail(ctx, c.ID, claim) })
		byID := map[string]mail.Message{}
		for _, m := range listMail(t, db, mail.Filter{}) {
			byID[m.ID] = m
		}
		if m := byID[a.ID]; m.SentAt == nil || !m.SentAt.Equal(t0.Add(time.Second)) || m.Attempts != 1 || m.Status() != "sent" {
			t.Fatalf("sent message %+v", m)
		}
		if m := byID[b.ID]; m.SentAt != nil || m.Attempts != 1 || m.LastError != "421 try later" || !m.NextAt.Equal(t0.Add(time.Hour)) || m.Status() != "retrying" {
			t.Fatalf("failed message %+v", m)
		}
		if m := byID[c.ID]; m.Attempts != 0 || m.Status() != "pending" {
			t.Fatalf("released message %+v", m)
		}
		got := outboxOp(t, db, func(tx mail.OutboxTx) ([]mail.Message, error) {
			return tx.ClaimMail(ctx, t0.Add(time.Second), claim, 10)
		})
		if len(got) != 1 || got[0].ID != c.ID {
			t.Fatalf("claimable now: %+v, want only the released one", got)
		}
	})
	each("HoldOnce", func(t *testing.T, db *store.DB) {
		a := putMail(t, db, "a@example.com", t0)
		held := outboxOp(t, db, func(tx mail.OutboxTx) ([]mail.Message, error) { return tx.HoldMail(ctx, 10) })
		if len(held) != 1 || held[0].ID != a.ID {
			t.Fatalf("held %+v", held)
		}
		if again := outboxOp(t, db, func(tx mail.OutboxTx) ([]mail.Message, error) { return tx.HoldMail(ctx, 10) }); len(again) != 0 {
			t.Fatalf("held twice: %+v", again)
		}
		if m := listMail(t, db, mail.Filter{})[0]; m.Status() != "held" {
			t.Fatalf("status %q, want held", m.Status())
		}
		// Configuring SMTP later delivers held mail.
		if got := outboxOp(t, db, func(tx mail.OutboxTx) ([]mail.Message, error) { return tx.ClaimMail(ctx, t0, t0.Add(time.Minute), 10) }); len(got) != 1 {
			t.Fatalf("held mail not claimable: %+v", got)
		}
	})
	each("ListPagesAndFilters", func(t *testing.T, db *store.DB) {
		var ids []string
		for i := 0; i < 5; i++ {
			ids = append(ids, putMail(t, db, fmt.Sprintf("u%d@example.com", i%2), t0.Add(time.Duration(i)*time.Second)).ID)
		}
		ob := mail.NewOutbox(db.Outbox())
		var seen []string
		cursor := ""
		for {
			page, next, err := ob.List(ctx, mail.Filter{}, 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page {
				seen = append(seen, m.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Fatalf("got %v, want newest first %v", seen, want)
		}
		got := listMail(t, db, mail.Filter{To: "U1@Example.com"})
		if len(got) != 2 || got[0].ID != ids[3] || got[1].ID != ids[1] {
			t.Fatalf("filtered %+v", got)
		}
		if _, _, err := ob.List(ctx, mail.Filter{}, 2, "garbage"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad cursor: got %v, want invalid", err)
		}
	})
	each("ConcurrentClaims", func(t *testing.T, db *store.DB) {
		const n = 30
		for i := 0; i < n; i++ {
			putMail(t, db, fmt.Sprintf("r%d@example.com", i), t0)
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					var got []mail.Message
					err := db.Outbox().Write(ctx, func(tx mail.OutboxTx) error {
						var err error
						got, err = tx.ClaimMail(ctx, t0, t0.Add(time.Minute), 4)
						return err
					})
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d distinct messages, want %d", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("message %s claimed %d times", id, c)
			}
		}
	})
}
