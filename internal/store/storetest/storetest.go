// Package storetest opens real databases for tests: a fresh SQLite file
// always, and a throwaway PostgreSQL schema when MYSYSTEMS_TEST_POSTGRES is
// set. Under CI=true a missing PostgreSQL fails the test instead of skipping.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"mysystems/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL URL for tests.
const EnvPostgres = "MYSYSTEMS_TEST_POSTGRES"

// Each runs fn as subtests "sqlite" and "postgres" on fresh, migrated
// databases.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a migrated database in a new file under t.TempDir.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return migrated(t, filepath.Join(t.TempDir(), "test.db"))
}

// Open opens a database setting (e.g. from Empty) without migrating it;
// it is closed at the end of the test.
func Open(t testing.TB, database string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), database)
	if err != nil {
		t.Fatalf("open %s database: %v", kindOf(database), err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func migrated(t testing.TB, database string) *store.DB {
	t.Helper()
	db := Open(t, database)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", kindOf(database), err)
	}
	return db
}

func kindOf(database string) string {
	if store.IsPostgres(database) {
		return "postgres"
	}
	return "sqlite"
}

// PostgresURL returns the test server's URL, skipping the test when none is
// configured (and failing under CI, where nothing may be skipped).
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvPostgres)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests", EnvPostgres)
		}
		t.Skipf("%s not set; PostgreSQL tests skipped (scripts/test.sh sets it)", EnvPostgres)
	}
	return u
}

// Postgres opens a migrated database in a throwaway schema, dropped at the
// end of the test, so concurrent runs never see each other's rows.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	return migrated(t, postgresSchema(t))
}

// Empty returns a database setting for a fresh database of the given kind
// ("sqlite" or "postgres") on which no migration has run: the schema tests
// load a fixture into it first.
func Empty(t testing.TB, kind string) string {
	t.Helper()
	if kind == "sqlite" {
		return filepath.Join(t.TempDir(), "empty.db")
	}
	return postgresSchema(t)
}

// postgresSchema creates an empty throwaway schema, dropped at the end of
// the test, and returns a URL whose search_path names it.
func postgresSchema(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	base := PostgresURL(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgres at %s: create schema: %v", redact(base), err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// URL returns a database setting for a fresh database of the given kind
// ("sqlite" or "postgres") for tests that start a whole server process.
func URL(t testing.TB, kind string) string {
	t.Helper()
	if kind == "sqlite" {
		return filepath.Join(t.TempDir(), "server.db")
	}
	db := Postgres(t) // creates the schema and its cleanup
	_ = db
	return db.DSN()
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
