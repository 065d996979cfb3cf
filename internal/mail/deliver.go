package mail

import (
	"context"
	"log/slog"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/jobs"
)

// OutboxTx is the deliverer's and the operator view's side of the outbox.
type OutboxTx interface {
	// ClaimMail locks up to limit unsent messages due at now until until,
	// so no other deliverer takes them meanwhile. until is the claim's
	// token for MarkMailFailed and ReleaseMail.
	ClaimMail(ctx context.Context, now, until time.Time, limit int) ([]Message, error)
	// MarkMailSent records that the server accepted the message.
	MarkMailSent(ctx context.Context, id string, at time.Time) error
	// MarkMailFailed records a failed attempt under claim and when to try
	// again; a message whose claim was lost meanwhile is left alone.
	MarkMailFailed(ctx context.Context, id string, claim time.Time, lastError string, next time.Time) error
	// ReleaseMail gives back a claimed message not attempted.
	ReleaseMail(ctx context.Context, id string, claim time.Time) error
	// HoldMail marks up to limit new messages with HeldNote and returns
	// them, each once: with no SMTP server, that is when they are logged.
	HoldMail(ctx context.Context, limit int) ([]Message, error)
	// OutboxMessages lists messages newest first.
	OutboxMessages(ctx context.Context, f Filter, limit int, cursor string) ([]Message, string, error)
	// PruneSentMail deletes the messages sent before before; unsent ones
	// are never deleted.
	PruneSentMail(ctx context.Context, before time.Time) (int, error)
}

// Store runs outbox transactions.
type Store interface {
	Read(ctx context.Context, fn func(OutboxTx) error) error
	Write(ctx context.Context, fn func(OutboxTx) error) error
}

// Filter narrows the operator's list of messages.
type Filter struct {
	To string // recipient, case-insensitive
}

// Deliverer sends the outbox. Its Run is a periodic job: several instances
// may run it; a message is claimed by one of them at a time.
type Deliverer struct {
	store  Store
	sender Sender // nil: no SMTP server, messages are held
	clk    clock.Clock
	log    *slog.Logger

	// Batch is how many messages one claim takes (20).
	Batch int
	// Lease is how long a claim keeps other deliverers off (10 min): longer
	// than a batch can take, since a message whose claim expires before it
	// is marked sent may be sent again.
	Lease time.Duration
	// Backoff is the delay before attempt n+1 after n failed attempts;
	// default doubling from 30 s up to 30 min, retried without end: mail
	// accepted is never dropped.
	Backoff func(attempts int) time.Duration
	// Keep is how long a sent message stays in the outbox, for operators
	// to look up (30 days); Prune deletes it after that. Its body held
	// links and codes that have long expired by then.
	Keep time.Duration
}

// NewDeliverer returns a deliverer; a nil sender holds mail in the outbox.
func NewDeliverer(s Store, sender Sender, clk clock.Clock, log *slog.Logger) *Deliverer {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Deliverer{store: s, sender: sender, clk: clk, log: log, Batch: 20, Lease: 10 * time.Minute, Keep: 30 * 24 * time.Hour,
		Backoff: func(n int) time.Duration { return jobs.Backoff(n, 30*time.Second, 30*time.Minute) }}
}

// Sending reports whether an SMTP server is configured.
func (d *Deliverer) Sending() bool { return d.sender != nil }

const maxBatchesPerRun = 10

// Prune deletes the messages sent more than Keep ago (a periodic job).
func (d *Deliverer) Prune(ctx context.Context) error {
	before := d.clk.Now().Add(-d.Keep)
	var n int
	err := d.store.Write(ctx, func(tx OutboxTx) error {
		var err error
		n, err = tx.PruneSentMail(ctx, before)
		return err
	})
	if n > 0 {
		d.log.Info("sent mail pruned", "count", n, "sent_before", before)
	}
	return err
}

// Run delivers the messages due now, a few batches at most, and returns.
func (d *Deliverer) Run(ctx context.Context) error {
	if d.sender == nil {
		return d.hold(ctx)
	}
	for i := 0; i < maxBatchesPerRun; i++ {
		now := d.clk.Now()
		claim := now.Add(d.Lease)
		var batch []Message
		if err := d.store.Write(ctx, func(tx OutboxTx) error {
			var err error
			batch, err = tx.ClaimMail(ctx, now, claim, d.Batch)
			return err
		}); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		if err := d.deliver(ctx, batch, claim); err != nil {
			return err
		}
		if len(batch) < d.Batch {
			return nil
		}
	}
	return nil
}

func (d *Deliverer) deliver(ctx context.Context, batch []Message, claim time.Time) error {
	var down error // the server could not be reached: don't try the rest now
	for i, m := range batch {
		if ctx.Err() != nil {
			d.release(batch[i:], claim)
			return ctx.Err()
		}
		err := down
		if err == nil {
			err = d.sender.Send(ctx, m)
		}
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		now := d.clk.Now()
		if err == nil {
			if merr := d.store.Write(bctx, func(tx OutboxTx) error { return tx.MarkMailSent(bctx, m.ID, now) }); merr != nil {
				// The server has it; the claim expires and it is sent again,
				// with the same Message-ID: the one accepted duplicate.
				d.log.Error("mail sent but not recorded; it will be sent again", "id", m.ID, "message_id", m.MessageID, "err", merr)
			} else {
				d.log.Info("mail sent", "id", m.ID, "kind", m.Kind, "to", m.To)
			}
			cancel()
			continue
		}
		if isUnreachable(err) {
			down = err
		}
		attempts := m.Attempts + 1
		next := now.Add(d.Backoff(attempts))
		if merr := d.store.Write(bctx, func(tx OutboxTx) error {
			return tx.MarkMailFailed(bctx, m.ID, claim, err.Error(), next)
		}); merr != nil {
			d.log.Error("mail failure not recorded", "id", m.ID, "err", merr)
		}
		cancel()
		d.log.Warn("mail not sent; will retry", "id", m.ID, "kind", m.Kind, "to", m.To, "attempts", attempts,
			"retry_at", next, "err", err)
	}
	return nil
}

func (d *Deliverer) release(ms []Message, claim time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, m := range ms {
		if err := d.store.Write(ctx, func(tx OutboxTx) error { return tx.ReleaseMail(ctx, m.ID, claim) }); err != nil {
			d.log.Warn("mail claim not released; it waits for its lease", "id", m.ID, "err", err)
		}
	}
}

// hold logs each new message once, without its body (which may hold a
// secret link or code): an operator reads bodies with `mysystems vendor
// outbox` or GET /api/v1/vendor/outbox.
func (d *Deliverer) hold(ctx context.Context) error {
	for i := 0; i < maxBatchesPerRun; i++ {
		var held []Message
		if err := d.store.Write(ctx, func(tx OutboxTx) error {
			var err error
			held, err = tx.HoldMail(ctx, d.Batch)
			return err
		}); err != nil {
			return err
		}
		for _, m := range held {
			d.log.Info("mail kept in the outbox: no SMTP server configured (see 'mysystems vendor outbox')",
				"id", m.ID, "kind", m.Kind, "to", m.To, "subject", m.Subject)
		}
		if len(held) < d.Batch {
			return nil
		}
	}
	return nil
}

// Outbox is the operator's view of the outbox.
type Outbox struct{ store Store }

// NewOutbox returns the operator view.
func NewOutbox(s Store) *Outbox { return &Outbox{store: s} }

// List returns one page of messages, newest first, bodies included: only
// vendor operators may call it.
func (o *Outbox) List(ctx context.Context, f Filter, limit int, cursor string) ([]Message, string, error) {
	if limit <= 0 {
		limit = 50
	}
	if limit > 200 {
		limit = 200
	}
	if len(f.To) > 320 {
		return nil, "", errs.InvalidField("to", "err.mail.to_too_long")
	}
	var out []Message
	var next string
	err := o.store.Read(ctx, func(tx OutboxTx) error {
		var err error
		out, next, err = tx.OutboxMessages(ctx, f, limit, cursor)
		return err
	})
	return out, next, err
}
