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
// devices as concurrent HTTP/2 streams) or a single device. Its transport
// never holds more than one TCP connection: MaxConnsPerHost 1 and, for
// HTTP/2, StrictMaxConcurrentRequests (requests beyond the server's stream
// limit wait for a free stream instead of opening a second connection).
type link struct {
	f      *Fleet
	shared bool // a site: several devices on the one connection
	src    net.IP
	tr     *http.Transport
	client *http.Client

	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func newLink(f *Fleet, index int, shared bool) *link {
	l := &link{f: f, shared: shared, conns: map[*trackedConn]struct{}{}}
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
		Protocols:           protocols,
		DialContext:         l.dial,
		MaxConnsPerHost:     1,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     5 * time.Minute,
		DisableCompression:  true,
		HTTP2: &http.HTTP2Config{
			StrictMaxConcurrentRequests: true,
			SendPingTimeout:             time.Minute,
			PingTimeout:                 15 * time.Second,
		},
	}
	l.client = &http.Client{Transport: l.tr}
	return l
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
	l.tr.CloseIdleConnections()
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
