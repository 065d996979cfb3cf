package sim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// link is one client connection's worth of transport: a site (shared by its
// devices as concurrent HTTP/2 streams) or a single device. It holds exactly
// one connection (http.Transport.NewClientConn), dialled again only when the
// previous one is dead: the standard Transport's pool may open a spare
// connection while it has not yet noticed a cut one, which would break "one
// connection per site/device". Requests beyond the server's stream limit
// wait for a free stream.
type link struct {
	f      *Fleet
	shared bool // a site: several devices on the one connection
	src    net.IP
	tr     *http.Transport // the connection factory (dialer, protocols)
	client *http.Client    // sends on the link's connection
	sem    chan struct{}   // one dial at a time

	mu    sync.Mutex
	cc    *http.ClientConn
	conns map[*trackedConn]struct{}
	peak  int // most TCP connections open at once: always 1
}

func newLink(f *Fleet, index int, shared bool) *link {
	l := &link{f: f, shared: shared, conns: map[*trackedConn]struct{}{}, sem: make(chan struct{}, 1)}
	if f.bindLoopback.Load() {
		l.src = loopbackSource(index)
	}
	protocols := new(http.Protocols)
	if f.cfg.HTTP1 {
		protocols.SetHTTP1(true)
	} else {
		protocols.SetUnencryptedHTTP2(true)
	}
	l.tr = &http.Transport{
		Protocols:          protocols,
		DialContext:        l.dial,
		DisableCompression: true,
		HTTP2: &http.HTTP2Config{
			SendPingTimeout: time.Minute,
			PingTimeout:     15 * time.Second,
		},
	}
	l.client = &http.Client{Transport: l}
	return l
}

// RoundTrip sends req on the link's connection, dialling it if needed.
func (l *link) RoundTrip(req *http.Request) (*http.Response, error) {
	cc, err := l.conn(req.Context())
	if err != nil {
		return nil, err
	}
	return cc.RoundTrip(req)
}

// conn returns the link's live connection, or dials one.
func (l *link) conn(ctx context.Context) (*http.ClientConn, error) {
	if cc := l.current(); cc != nil {
		return cc, nil
	}
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-l.sem }()
	if cc := l.current(); cc != nil {
		return cc, nil
	}
	cc, err := l.tr.NewClientConn(ctx, "http", l.f.hostport)
	if err != nil {
		return nil, err
	}
	l.replace(cc)
	return cc, nil
}

// replace makes cc (nil: none) the link's client connection and closes the
// one it had.
func (l *link) replace(cc *http.ClientConn) {
	l.mu.Lock()
	old := l.cc
	l.cc = cc
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

func (l *link) current() *http.ClientConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cc != nil && l.cc.Err() == nil {
		return l.cc
	}
	return nil
}

// dial opens the link's TCP connection, from its own loopback source
// address when the gateway is on loopback (so 100,000 connections do not
// exhaust one address's ephemeral ports).
func (l *link) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	if l.src != nil && l.f.bindLoopback.Load() {
		d.LocalAddr = &net.TCPAddr{IP: l.src}
	}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil && d.LocalAddr != nil && errors.Is(err, syscall.EADDRNOTAVAIL) {
		// Not every system routes all of 127.0.0.0/8 (macOS has only
		// 127.0.0.1): dial from the default address from now on.
		l.f.bindLoopback.Store(false)
		d.LocalAddr = nil
		c, err = d.DialContext(ctx, network, addr)
	}
	if err != nil {
		return nil, err
	}
	l.f.st.dials.Add(1)
	l.f.st.conns.Add(1)
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.peak = max(l.peak, len(l.conns))
	l.mu.Unlock()
	return tc, nil
}

// closeConns cuts the link's connections, in-flight requests included.
func (l *link) closeConns() {
	l.mu.Lock()
	cs := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		cs = append(cs, c)
	}
	l.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
	l.replace(nil)
}

// trackedConn lets a link find and close its connections.
type trackedConn struct {
	net.Conn
	l      *link
	closed atomic.Bool
}

func (c *trackedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		c.l.f.st.conns.Add(-1)
	}
	return c.Conn.Close()
}

// loopbackSource is the i-th source address in 127.1.0.1 onwards, skipping
// host bytes 0 and 255: 254 × 256 × 254 addresses, far more than needed.
func loopbackSource(i int) net.IP {
	const per = 254
	return net.IPv4(127, byte(1+i/(per*256)%254), byte(i/per%256), byte(1+i%per))
}

// isLoopbackHost reports whether host (no port) names this machine.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.To4() != nil && ip.IsLoopback()
}
