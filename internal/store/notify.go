package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notify publishes payload on a channel to every instance listening
// (PostgreSQL NOTIFY). On SQLite, which serves one process, it does nothing:
// in-process wake-ups are enough.
func (db *DB) Notify(ctx context.Context, channel, payload string) error {
	if db.d != postgresDialect {
		return nil
	}
	_, err := db.w.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, payload)
	return err
}

// CanListen reports whether Listen delivers other instances' notifications.
func (db *DB) CanListen() bool { return db.d == postgresDialect }

// Listen calls fn for every notification on channel until ctx ends,
// reconnecting after errors. On SQLite it returns at once.
func (db *DB) Listen(ctx context.Context, channel string, ready func(), fn func(payload string)) error {
	if db.d != postgresDialect {
		if ready != nil {
			ready()
		}
		return nil
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, channel, ready, fn)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
			backoff = min(backoff*2, 5*time.Second)
		}
	}
	return nil
}

func (db *DB) listenOnce(ctx context.Context, channel string, ready func(), fn func(string)) error {
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	if ready != nil {
		ready()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		fn(n.Payload)
	}
}
