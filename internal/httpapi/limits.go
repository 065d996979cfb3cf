package httpapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ReadTimeout and WriteTimeout are the default bounds of reading a request
// and writing its response (a long-poll waits at most a minute).
const (
	ReadTimeout  = 90 * time.Second
	WriteTimeout = 120 * time.Second
)

// Limits bound what a request may hold of the server while its body
// arrives. Zero fields take DefaultLimits' values.
type Limits struct {
	// ReadTimeout bounds reading a request from its start: on HTTP/1.1 its
	// headers and body, on HTTP/2 its body. A request without a body (a
	// long-poll) has no read bound, and no timer.
	ReadTimeout time.Duration
	// WriteTimeout bounds an HTTP/1.1 response from the request's start.
	WriteTimeout time.Duration
	// OpenPaths are the paths whose requests carry no credential in their
	// headers (a device's hello, an ACS Pro server's registration): their
	// body must arrive within OpenReadTimeout and hold at most OpenMaxBody
	// bytes, and one HTTP/2 connection may be sending at most OpenPerConn
	// such bodies at once (the next ones are answered 429 with Retry-After).
	OpenPaths       []string
	OpenReadTimeout time.Duration
	OpenMaxBody     int64
	OpenPerConn     int
}

// DefaultLimits are the production limits (without open paths: the server
// assembling the routes knows them). OpenPerConn leaves room for a large
// site's devices all saying hello at once over their one connection.
func DefaultLimits() Limits {
	return Limits{ReadTimeout: ReadTimeout, WriteTimeout: WriteTimeout,
		OpenReadTimeout: 10 * time.Second, OpenMaxBody: 64 << 10, OpenPerConn: 1000}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = d.ReadTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = d.WriteTimeout
	}
	if l.OpenReadTimeout <= 0 {
		l.OpenReadTimeout = d.OpenReadTimeout
	}
	if l.OpenMaxBody <= 0 {
		l.OpenMaxBody = d.OpenMaxBody
	}
	if l.OpenPerConn <= 0 {
		l.OpenPerConn = d.OpenPerConn
	}
	return l
}

type connKey struct{}

// connState is what the middleware counts per connection: the requests of
// open paths sending their body on it now.
type connState struct{ open atomic.Int32 }

// ConnContext gives each connection the count that Limits.OpenPerConn
// bounds; set it as the http.Server's ConnContext. Without it the count is
// not kept.
func ConnContext(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, new(connState))
}

// errOpenBusy is what a body of an open path reads when its connection
// already sends Limits.OpenPerConn of them.
var errOpenBusy = errors.New("too many bodies without a credential on this connection")

// body is a request body under a read bound. It notices when the bound cut
// it, or when its connection had no room for it; and when it is over (read
// to its end or its length, or failed), which frees its connection's slot
// and, on HTTP/1.1, gives the connection back its ordinary read deadline.
type body struct {
	io.ReadCloser
	bound  time.Duration
	length int64 // the request's Content-Length, -1 unknown
	read   int64

	conn     *connState // counts open bodies being sent; nil: none
	perConn  int32
	counted  bool
	started  bool
	over     func() // run once when the body is over; may be nil
	overOnce sync.Once

	cut  atomic.Bool // the read bound passed
	busy atomic.Bool // the connection had no room
}

func (b *body) Read(p []byte) (int, error) {
	if !b.started {
		b.started = true
		if b.conn != nil {
			if b.conn.open.Add(1) > b.perConn {
				b.conn.open.Add(-1)
				b.busy.Store(true)
				b.finish(false)
				return 0, errOpenBusy
			}
			b.counted = true
		}
	}
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	switch {
	case err == io.EOF:
		b.finish(true)
	case err != nil:
		if errors.Is(err, os.ErrDeadlineExceeded) {
			b.cut.Store(true)
		}
		b.finish(false)
	case b.length > 0 && b.read >= b.length:
		b.finish(true)
	}
	return n, err
}

// finish is called when the body is over (complete: all of it read), and
// when the request ends.
func (b *body) finish(complete bool) {
	b.overOnce.Do(func() {
		if b.counted {
			b.conn.open.Add(-1)
		}
		if complete && b.over != nil {
			b.over()
		}
	})
}

// bound puts r's body under l's read bound and returns it, or nil for a
// request without a body. On HTTP/1.1 the connection's deadlines are set
// for every request, as the server has none of its own (see app.Server).
// On HTTP/2 a deadline costs a timer per stream, so only a request that
// sends a body gets one: 100,000 waiting long-polls have none.
func (l *Limits) bound(w http.ResponseWriter, r *http.Request, start time.Time, open bool) *body {
	h1 := r.ProtoMajor == 1
	// A request without a body: on HTTP/1.1 its Body is http.NoBody; on
	// HTTP/2 its stream ended with its headers (no Content-Length), and
	// its Body reads EOF at once.
	none := r.Body == nil || r.Body == http.NoBody || (h1 && r.ContentLength == 0) ||
		(!h1 && r.ContentLength == 0 && r.Header.Get("Content-Length") == "")
	if none && !h1 {
		return nil
	}
	rc := http.NewResponseController(w)
	if h1 {
		_ = rc.SetWriteDeadline(start.Add(l.WriteTimeout))
	}
	if none {
		_ = rc.SetReadDeadline(start.Add(l.ReadTimeout))
		return nil
	}
	b := &body{ReadCloser: r.Body, bound: l.ReadTimeout, length: r.ContentLength}
	if open {
		b.bound = min(l.OpenReadTimeout, l.ReadTimeout)
		b.ReadCloser = http.MaxBytesReader(w, r.Body, l.OpenMaxBody)
		if c, ok := r.Context().Value(connKey{}).(*connState); ok && !h1 {
			b.conn, b.perConn = c, int32(l.OpenPerConn)
		}
		if h1 {
			// Once the body is in, the request may take the ordinary time
			// (a hello waits its turn): a passed deadline would end it.
			b.over = func() { _ = rc.SetReadDeadline(start.Add(l.ReadTimeout)) }
		}
	}
	r.Body = b
	_ = rc.SetReadDeadline(start.Add(b.bound))
	return b
}
