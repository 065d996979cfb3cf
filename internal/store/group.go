package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"mysystems/internal/errs"
)

// Group commit. A fleet's devices write all the time in small
// transactions of their own (a command taken, a progress report, a result),
// and a commit costs far more than the few statements inside it: on SQLite
// every transaction also waits for the one writer connection. WriteGrouped
// runs the calls that arrive while a transaction is being written together
// in the next one, each call in its own savepoint: a call that fails (or
// panics) is undone alone, and the others commit. A call returns once its
// writes are committed, or with the reason they are not.

// groupMax bounds the calls of one grouped transaction. PostgreSQL keeps a
// transaction's first 64 subtransactions (savepoints that wrote) in shared
// memory and other sessions' snapshots slow down past that, so its groups
// stay under it; SQLite's savepoints cost nothing of the kind.
func (d dialect) groupMax() int {
	if d == postgresDialect {
		return 48
	}
	return 256
}

// groupRunners is how many grouped transactions run at once: one on SQLite
// (one writer), a few on PostgreSQL, out of the write pool.
func (d dialect) groupRunners() int {
	if d == postgresDialect {
		return 4
	}
	return 1
}

type group struct {
	db    *DB
	mu    sync.Mutex
	queue []*groupCall
	slots chan struct{} // one per running grouped transaction
}

type groupCall struct {
	ctx context.Context
	fn  func(*Tx) error
	// taken: in a transaction; dropped: given up while queued (both under
	// group.mu).
	taken, dropped bool
	err            error
	panic          any
	done           chan struct{}
}

func newGroup(db *DB) *group {
	return &group{db: db, slots: make(chan struct{}, db.d.groupRunners())}
}

// WriteGrouped runs fn as Write does, in a transaction it shares with the
// other grouped calls waiting meanwhile (see above). fn's statements are not
// interrupted when ctx ends after they began: they belong to a transaction
// other calls share; a call whose ctx ended before its turn is not run.
func (db *DB) WriteGrouped(ctx context.Context, fn func(*Tx) error) error {
	c := &groupCall{ctx: ctx, fn: fn, done: make(chan struct{})}
	g := db.group
	g.mu.Lock()
	g.queue = append(g.queue, c)
	start := false
	select {
	case g.slots <- struct{}{}:
		start = true
	default: // the running transactions take it next
	}
	g.mu.Unlock()
	if start {
		go g.run()
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		// Still queued, the call leaves the queue: callers that gave up
		// (a device's request timed out, and it asks again) must not
		// pile up behind a busy writer. Taken into a transaction already,
		// it waits for that transaction's outcome.
		if g.drop(c) {
			return ctx.Err()
		}
		<-c.done
	}
	if c.panic != nil {
		panic(c.panic)
	}
	return c.err
}

// drop gives c up if no transaction has taken it yet: the runner skips it.
func (g *group) drop(c *groupCall) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.taken {
		return false
	}
	c.dropped = true
	return true
}

// run writes grouped transactions while calls are waiting. A slot is taken
// and given back under mu, where calls are queued, so no call waits with no
// runner to take it.
func (g *group) run() {
	normal := false
	defer func() {
		if normal {
			return
		}
		// A call ended this goroutine (runtime.Goexit): the slot is given
		// back, and another runner takes the calls still waiting.
		g.mu.Lock()
		<-g.slots
		start := len(g.queue) > 0
		if start {
			g.slots <- struct{}{}
		}
		g.mu.Unlock()
		if start {
			go g.run()
		}
	}()
	for {
		g.mu.Lock()
		if len(g.queue) == 0 {
			g.queue = nil
			<-g.slots
			g.mu.Unlock()
			normal = true
			return
		}
		g.mu.Unlock()
		g.db.runGroup(g)
	}
}

// take returns the next calls to run (none given up), at most groupMax;
// they can no longer be given up.
func (g *group) take() []*groupCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := min(len(g.queue), g.db.d.groupMax())
	batch := make([]*groupCall, 0, n)
	for _, c := range g.queue[:n] {
		if !c.dropped {
			c.taken = true
			batch = append(batch, c)
		}
	}
	clear(g.queue[:n]) // the calls taken are the batch's now
	g.queue = g.queue[n:]
	return batch
}

// runGroup runs the calls in one transaction, each in a savepoint. The
// calls are taken once the transaction has begun (on SQLite, once it has
// the one writer): until then a caller may still give its call up.
func (db *DB) runGroup(g *group) {
	finished := false
	var sqlTx *sql.Tx
	var batch []*groupCall
	defer func() {
		if !finished { // a call ended the goroutine (runtime.Goexit): nothing commits
			if sqlTx != nil {
				_ = sqlTx.Rollback()
			}
			for _, c := range batch {
				if c.err == nil && c.panic == nil {
					c.err = errors.New("a grouped write ended its goroutine: not committed")
				}
			}
		}
		for _, c := range batch {
			close(c.done)
		}
	}()
	ctx := context.Background() // the calls' contexts end at different times
	db.wStmts.prepare(ctx)
	var err error
	sqlTx, err = db.w.BeginTx(ctx, nil)
	batch = g.take()
	if err != nil {
		sqlTx = nil
		for _, c := range batch {
			c.err = errs.Wrap(err, "begin")
		}
		finished = true
		return
	}
	tx := &Tx{tx: sqlTx, d: db.d, detached: true, stmts: db.wStmts}
	var kept []*groupCall
	broken := error(nil)
	for _, c := range batch {
		if broken != nil {
			c.err = broken
			continue
		}
		if err := c.ctx.Err(); err != nil {
			c.err = err
			continue
		}
		if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT grouped"); err != nil {
			broken = errs.Wrap(err, "savepoint")
			c.err = broken
			continue
		}
		c.panic, c.err = callGrouped(c.fn, tx)
		if c.err != nil || c.panic != nil {
			if _, err := sqlTx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT grouped"); err != nil {
				broken = errs.Wrap(err, "rollback to savepoint")
				continue
			}
		}
		if _, err := sqlTx.ExecContext(ctx, "RELEASE SAVEPOINT grouped"); err != nil {
			broken = errs.Wrap(err, "release savepoint")
			if c.err == nil && c.panic == nil {
				c.err = broken
			}
			continue
		}
		if c.err == nil && c.panic == nil {
			kept = append(kept, c)
		}
	}
	if broken != nil {
		_ = sqlTx.Rollback()
		for _, c := range kept {
			c.err = broken
		}
		finished = true
		return
	}
	err = sqlTx.Commit()
	finished = true
	if err != nil {
		for _, c := range kept {
			c.err = errs.Wrap(err, "commit")
		}
	}
}

// callGrouped runs fn, returning its panic instead of unwinding the
// transaction's goroutine: the caller panics with it.
func callGrouped(fn func(*Tx) error, tx *Tx) (p any, err error) {
	defer func() {
		if r := recover(); r != nil {
			p = r
			if err == nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}
	}()
	return nil, fn(tx)
}

// stmtCache keeps SQLite's prepared statements for reuse: the driver
// parses every statement given as text anew, and parsing the same few
// statements again took a sixth of the server's time under a fleet's
// reports. PostgreSQL's driver keeps its own per-connection cache.
//
// A statement is prepared on its pool between transactions (the writer
// pool's one connection is held by a running transaction), the first time
// it is seen run as text; transactions then run it through the prepared
// statement on their connection. Only statements that return no rows or
// one row (exec, queryRow) go through it: a multi-row query's rows stay
// open while its caller reads them, and running the same statement again
// meanwhile would reset them.
type stmtCache struct {
	pool    *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]struct{}
	noted   atomic.Bool // pending is not empty
}

// stmtCacheMax bounds the statements kept: statements with a list of
// placeholders come in many lengths; past the bound they run as text.
const stmtCacheMax = 1024

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, pending: map[string]struct{}{}}
}

// get returns the prepared statement for q, or nil, noting q to be
// prepared by the next prepare.
func (c *stmtCache) get(q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st
	}
	if len(c.m)+len(c.pending) < stmtCacheMax {
		c.pending[q] = struct{}{}
		c.noted.Store(true)
	}
	return nil
}

// prepare prepares the statements noted since the last call. It runs
// outside any transaction of the pool.
func (c *stmtCache) prepare(ctx context.Context) {
	if c == nil || !c.noted.Load() {
		return
	}
	c.mu.Lock()
	c.noted.Store(false)
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	qs := c.pending
	c.pending = map[string]struct{}{}
	c.mu.Unlock()
	for q := range qs {
		if ctx.Err() != nil {
			return // the rest is noted again when next run
		}
		st, err := c.pool.PrepareContext(ctx, q)
		if err != nil {
			continue // it runs as text, and reports its error there
		}
		c.mu.Lock()
		if _, dup := c.m[q]; dup {
			_ = st.Close()
		} else {
			c.m[q] = st
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for q, st := range c.m {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.m, q)
	}
	return first
}

// CachedStatementsForTest counts the prepared statements kept (SQLite).
func (db *DB) CachedStatementsForTest() int {
	n := 0
	for _, c := range []*stmtCache{db.wStmts, db.rStmts} {
		if c != nil {
			c.mu.Lock()
			n += len(c.m)
			c.mu.Unlock()
		}
	}
	return n
}
