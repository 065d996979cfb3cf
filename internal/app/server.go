//lint:file-ignore SA1019 x/net/http2's write scheduler is kept on purpose: see Server.

package app

import (
	"context"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"

	"mysystems/internal/httpapi"
)

// Server returns an http.Server for the app with sane timeouts.
// It speaks HTTP/1.1 and HTTP/2, including cleartext HTTP/2 with prior
// knowledge (for loopback and behind a TLS-terminating proxy), with enough
// concurrent streams per connection that a site controller carries all its
// devices' long-polls over one connection (GW-1).
//
// HTTP/2 is served by golang.org/x/net/http2 with its random write
// scheduler, although x/net marks that API deprecated in favour of
// net/http's own HTTP/2: the standard library's round-robin scheduler walks
// every open stream of a connection for each frame it writes, and with a
// site's ~1,000 idle long-poll streams per connection that loop took a
// quarter of the CPU. Measured A/B with `mysystems bench fleet --devices
// 100000 --sites 200` (docs/BENCHMARKS.md): with net/http's scheduler the
// server saturated and stalled at ~54,000 devices online with hellos timing
// out; with this one all 100,000 came online.
func (a *App) Server(addr string) *http.Server {
	h2 := &http2.Server{MaxConcurrentStreams: MaxStreams, IdleTimeout: 180 * time.Second,
		NewWriteScheduler: newWriteScheduler}
	// No server-wide ReadTimeout or WriteTimeout: for HTTP/2 the server
	// turns them into two timers per stream, 200,000 timers for 100,000
	// waiting long-polls. httpapi.Wrap sets the deadlines per request
	// instead (Config.HTTP): on HTTP/1.1 every request's, where a
	// connection carries one request at a time; on HTTP/2 the read
	// deadline of a request that sends a body only, so a long-poll has no
	// timer. ConnContext keeps the per-connection count of bodies sent
	// without a credential.
	srv := &http.Server{Addr: addr, Handler: h2cHandler(a.Handler, h2), ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 180 * time.Second, ConnContext: httpapi.ConnContext,
		// Cleartext HTTP/2 connections are hijacked from the HTTP/1 server,
		// which then no longer closes them; long-polls end when this
		// context does (EndRequests), so a shutdown does not wait for them.
		BaseContext: func(net.Listener) context.Context { return a.base }}
	_ = http2.ConfigureServer(srv, h2)
	return srv
}

// MetricsServer serves /metrics alone (Config.MetricsApart), with the
// headers and bounds of every answer.
func (a *App) MetricsServer(addr string) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics)
	return &http.Server{Addr: addr, Handler: a.wrap(mux), ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 180 * time.Second}
}

func newWriteScheduler() http2.WriteScheduler { return http2.NewRandomWriteScheduler() }

func h2cHandler(h http.Handler, s *http2.Server) http.Handler { return h2c.NewHandler(h, s) }
