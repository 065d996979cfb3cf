package store

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"mysystems/internal/errs"
)

// Dialect differences live in this file and nowhere else: placeholders,
// locking and how each driver reports a constraint violation.

type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

func (d dialect) String() string {
	if d == postgresDialect {
		return "postgres"
	}
	return "sqlite"
}

// rebind turns the portable `?` placeholders into PostgreSQL's `$n`.
// Queries in this package never contain a literal `?` in a string.
func (d dialect) rebind(q string) string {
	if d != postgresDialect || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// forUpdate is the row-locking suffix for a SELECT inside a write
// transaction. SQLite needs none: its write transactions are exclusive
// (BEGIN IMMEDIATE on the single writer connection).
func (d dialect) forUpdate() string {
	if d == postgresDialect {
		return " FOR UPDATE"
	}
	return ""
}

// lockKey takes a lock on a name until the transaction ends, so that
// transactions working on the same name, on any instance, run one after the
// other. On PostgreSQL it is an advisory lock on the name's hash (two names
// sharing a hash merely wait for each other); SQLite's single writer
// already runs write transactions one at a time.
func (t *Tx) lockKey(ctx context.Context, name string) error {
	if t.d != postgresDialect {
		return nil
	}
	_, err := t.exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, name)
	return err
}

// skipLocked is the suffix of a SELECT that claims queue rows: on
// PostgreSQL concurrent claimers skip each other's rows instead of waiting.
// SQLite's single writer already serializes claims.
func (d dialect) skipLocked() string {
	if d == postgresDialect {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// isUniqueViolation reports whether err is a unique-constraint violation.
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isForeignKeyViolation reports whether err is a foreign-key violation.
func isForeignKeyViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// conflictOr maps a unique violation to the conflict error and wraps
// anything else as internal.
func conflictOr(err error, conflict *errs.Error, what string) error {
	if err == nil {
		return nil
	}
	if isUniqueViolation(err) {
		return conflict
	}
	return errs.Wrap(err, what)
}
