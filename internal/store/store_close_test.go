package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"mysystems/internal/store"
)

// Closing a SQLite store twice is allowed, as with sql.DB (the second close
// must not stop the checkpointer again).
func TestSQLiteCloseTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}
