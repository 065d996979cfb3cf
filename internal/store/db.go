// Package store implements every domain store on database/sql, with one code
// path for SQLite (modernc.org/sqlite) and PostgreSQL (pgx). Dialect
// differences are confined to dialect.go and the per-dialect migrations.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"mysystems/internal/errs"
)

// DB is an open database. On SQLite writes go through one connection (SQLite
// has one writer; queuing in Go beats spinning on SQLITE_BUSY) and reads
// through a pool; on PostgreSQL both are the same pool.
type DB struct {
	w, r           *sql.DB
	d              dialect
	dsn            string
	closeFn        func() error
	group          *group
	wStmts, rStmts *stmtCache // SQLite only
}

// IsPostgres reports whether a database setting names PostgreSQL.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Open opens (creating if needed) the database named by a SQLite file path or
// a postgres:// URL. It does not migrate: call Migrate.
func Open(ctx context.Context, database string) (*DB, error) {
	if IsPostgres(database) {
		// Two pools: writes never queue behind a crowd of reads (the device
		// gateway's hellos), nor reads behind a long write.
		open := func(max int) (*sql.DB, error) {
			db, err := sql.Open("pgx", database)
			if err != nil {
				return nil, fmt.Errorf("open postgres: %w", err)
			}
			db.SetMaxOpenConns(max)
			db.SetMaxIdleConns(max)
			db.SetConnMaxIdleTime(5 * time.Minute)
			if err := db.PingContext(ctx); err != nil {
				db.Close()
				return nil, fmt.Errorf("connect to postgres: %w", err)
			}
			return db, nil
		}
		w, err := open(12)
		if err != nil {
			return nil, err
		}
		r, err := open(24)
		if err != nil {
			w.Close()
			return nil, err
		}
		db := &DB{w: w, r: r, d: postgresDialect, dsn: database, closeFn: func() error {
			return errors.Join(r.Close(), w.Close())
		}}
		db.group = newGroup(db)
		return db, nil
	}
	if database == "" {
		return nil, errors.New("no database configured")
	}
	if dir := filepath.Dir(database); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "foreign_keys(ON)", "busy_timeout(10000)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	// The writer never checkpoints: a checkpoint copies the log into the
	// database file and syncs it, and done inside a commit it held the one
	// writer for as long as the sync took. checkpointer does it beside.
	wq.Add("_pragma", "wal_autocheckpoint(0)")
	w, err := sql.Open("sqlite", "file:"+database+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", database, err)
	}
	cp, err := sql.Open("sqlite", "file:"+database+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	cp.SetMaxOpenConns(1)
	q.Add("_pragma", "query_only(ON)")
	r, err := sql.Open("sqlite", "file:"+database+"?"+q.Encode())
	if err != nil {
		w.Close()
		cp.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	r.SetMaxOpenConns(8)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go checkpointer(cp, stop, stopped)
	var stopOnce sync.Once
	wStmts, rStmts := newStmtCache(w), newStmtCache(r)
	db := &DB{w: w, r: r, d: sqliteDialect, dsn: database, wStmts: wStmts, rStmts: rStmts, closeFn: func() error {
		// Closing twice is allowed, as with sql.DB.
		stopOnce.Do(func() { close(stop) })
		<-stopped
		return errors.Join(wStmts.close(), rStmts.close(), r.Close(), w.Close(), cp.Close())
	}}
	db.group = newGroup(db)
	return db, nil
}

// checkpointer copies SQLite's write-ahead log into the database file every
// second on its own connection (PASSIVE: it waits for no reader and no
// writer), so commits never pay for it; once more, fully, when the store
// closes.
func checkpointer(cp *sql.DB, stop <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, _ = cp.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
			cancel()
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, _ = cp.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
			cancel()
		}
	}
}

// Close closes the database.
func (db *DB) Close() error { return db.closeFn() }

// Dialect names the database kind: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.String() }

// Ping checks the database answers (readiness).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return err
	}
	return db.r.PingContext(ctx)
}

// Tx is a store transaction. It implements every domain's Tx interface.
type Tx struct {
	tx *sql.Tx
	d  dialect
	// detached: the statements outlive their caller's context (a grouped
	// transaction, which other calls share).
	detached bool
	stmts    *stmtCache // SQLite's prepared statements, for exec and queryRow
}

func (t *Tx) ctx(ctx context.Context) context.Context {
	if t.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (t *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx, q = t.ctx(ctx), t.d.rebind(q)
	if st := t.stmts.get(q); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx(ctx), t.d.rebind(q), args...)
}

// queryOwned is query through SQLite's prepared statements (see stmtCache),
// for a caller that reads its rows to the end, and closes them, before it
// runs anything else: the hot reads of the device gateway.
func (t *Tx) queryOwned(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx, q = t.ctx(ctx), t.d.rebind(q)
	if st := t.stmts.get(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	ctx, q = t.ctx(ctx), t.d.rebind(q)
	if st := t.stmts.get(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

// execOne runs a statement that must touch exactly one row; none is notFound.
func (t *Tx) execOne(ctx context.Context, notFound error, q string, args ...any) error {
	res, err := t.exec(ctx, q, args...)
	if err != nil {
		return errs.Wrap(err, "exec")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return errs.Wrap(err, "rows affected")
	}
	if n == 0 {
		return notFound
	}
	return nil
}

func (db *DB) run(ctx context.Context, pool *sql.DB, stmts *stmtCache, readOnly bool, fn func(*Tx) error) (err error) {
	stmts.prepare(ctx)
	var opts *sql.TxOptions
	if readOnly && db.d == postgresDialect {
		opts = &sql.TxOptions{ReadOnly: true}
	}
	sqlTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return errs.Wrap(err, "begin")
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
			return
		}
		if cerr := sqlTx.Commit(); cerr != nil {
			err = errs.Wrap(cerr, "commit")
		}
	}()
	return fn(&Tx{tx: sqlTx, d: db.d, stmts: stmts})
}

// Read runs fn in a read-only transaction.
func (db *DB) Read(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.r, db.rStmts, true, fn)
}

// Write runs fn in a read-write transaction, committed if fn returns nil.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.w, db.wStmts, false, fn)
}

// runner adapts DB to a domain's Store interface, whose transactions are
// that domain's own Tx interface (which *Tx implements).
type runner[T any] struct {
	db   *DB
	wrap func(*Tx) T
}

func (r runner[T]) Read(ctx context.Context, fn func(T) error) error {
	return r.db.Read(ctx, func(tx *Tx) error { return fn(r.wrap(tx)) })
}

func (r runner[T]) Write(ctx context.Context, fn func(T) error) error {
	return r.db.Write(ctx, func(tx *Tx) error { return fn(r.wrap(tx)) })
}

// WriteGrouped runs fn in a transaction shared with other calls (see
// DB.WriteGrouped).
func (r runner[T]) WriteGrouped(ctx context.Context, fn func(T) error) error {
	return r.db.WriteGrouped(ctx, func(tx *Tx) error { return fn(r.wrap(tx)) })
}

// DSN returns the database setting this DB was opened with.
func (db *DB) DSN() string { return db.dsn }

// QueryRowForTest runs a raw query in the transaction; for tests that check
// what was written (e.g. the outbox), never for product code.
func (t *Tx) QueryRowForTest(ctx context.Context, q string, args ...any) *sql.Row {
	return t.queryRow(ctx, q, args...)
}

// QueryForTest runs a raw query in the transaction; for tests that compare
// what was written, never for product code.
func (t *Tx) QueryForTest(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.query(ctx, q, args...)
}

// ExecForTest runs a raw statement in the transaction; for tests that set
// up bulk data or tamper with what was written, never for product code.
func (t *Tx) ExecForTest(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.exec(ctx, q, args...)
}

// ScanForTest counts the cells of every text column of every table that
// contain s; for tests proving a secret was never stored.
func (db *DB) ScanForTest(ctx context.Context, s string) (int, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if db.d == postgresDialect {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := db.r.QueryContext(ctx, q)
	if err != nil {
		return 0, err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return 0, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	total := 0
	for _, t := range tables {
		r, err := db.r.QueryContext(ctx, `SELECT * FROM `+t)
		if err != nil {
			return 0, err
		}
		cols, _ := r.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for r.Next() {
			if err := r.Scan(ptrs...); err != nil {
				r.Close()
				return 0, err
			}
			for _, v := range vals {
				switch x := v.(type) {
				case string:
					if strings.Contains(x, s) {
						total++
					}
				case []byte:
					if strings.Contains(string(x), s) {
						total++
					}
				}
			}
		}
		r.Close()
	}
	return total, nil
}

// AddMemberForTest adds a member with grants directly (test set-up).
func (t *Tx) AddMemberForTest(ctx context.Context, orgID, userID, role string, folders []string) error {
	if _, err := t.exec(ctx, `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, 0)`, orgID, userID, role); err != nil {
		return err
	}
	return t.SetGrants(ctx, orgID, userID, folders)
}

// AnalyzeForTest refreshes the planner's statistics (benchmark set-up).
func (db *DB) AnalyzeForTest(ctx context.Context) error {
	_, err := db.w.ExecContext(ctx, "ANALYZE")
	return err
}
