package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mysystems/internal/app"
	"mysystems/internal/harness"
	"mysystems/internal/store/storetest"
)

// served is the app's own HTTP server (app.Server, as cmd/mysystems runs
// it) on a loopback port, and an HTTP/2 client speaking cleartext HTTP/2
// with prior knowledge to it, as a site controller does.
type served struct {
	*harness.Server
	base   string
	addr   string
	conns  atomic.Int32
	client *http.Client
}

func serve(t *testing.T, limits func(*app.Config)) *served {
	t.Helper()
	s := &served{Server: harness.New(t, storetest.SQLite(t), harness.NoRateLimit(), harness.Config(limits))}
	srv := s.App.Server("127.0.0.1:0")
	srv.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.addr = ln.Addr().String()
	s.base = "http://" + s.addr
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true) // prior knowledge: HTTP/2 from the first byte
	t.Cleanup(tr.CloseIdleConnections)
	s.client = &http.Client{Transport: tr}
	// The connection the requests of the test share: the client opens one
	// per request while it has none.
	res, err := s.client.Get(s.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.ProtoMajor != 2 {
		t.Fatalf("the client speaks %s", res.Proto)
	}
	return s
}

// answer is what a stalled request got, and when.
type answer struct {
	status int
	code   string
	retry  string
	proto  int
	after  time.Duration
	err    error
}

// stalled sends a request whose body starts and then stops, never ending,
// and returns its answer. The client gives up after 10 s, so a request the
// server never cuts fails the test instead of hanging it.
func (s *served) stalled(path, token string) answer {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { _, _ = pw.Write([]byte(`{"serial":"ACCC8E`)) }()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.base+path, pr)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	res, err := s.client.Do(req)
	if err != nil {
		return answer{err: err, after: time.Since(start)}
	}
	defer res.Body.Close()
	var e struct{ Error struct{ Code string } }
	_ = json.NewDecoder(res.Body).Decode(&e)
	return answer{status: res.StatusCode, code: e.Error.Code, retry: res.Header.Get("Retry-After"),
		proto: res.ProtoMajor, after: time.Since(start)}
}

// GW-1: a connection carries thousands of streams, so a body that never
// ends must not hold one forever. Over one cleartext HTTP/2 connection,
// stalled hellos (no credential) are answered 408 once the short bound of
// open paths passes, and a stalled heartbeat of a device with a token once
// the ordinary read bound passes; an HTTP/1.1 hello the same.
func TestGW1_HTTP2StalledBodiesAreCut(t *testing.T) {
	const open, read = 250 * time.Millisecond, 700 * time.Millisecond
	s := serve(t, func(c *app.Config) { c.HTTP.OpenReadTimeout, c.HTTP.ReadTimeout = open, read })
	token := s.Device(s.Mint(1)[0]).Hello().Token

	const n = 40
	answers := make(chan answer, n+1)
	for range n {
		go func() { answers <- s.stalled("/device/v1/hello", "") }()
	}
	go func() { answers <- s.stalled("/server/v1/register", "") }()
	for range n + 1 {
		a := <-answers
		if a.err != nil || a.status != http.StatusRequestTimeout || a.code != "timeout" || a.proto != 2 {
			t.Fatalf("stalled request without a credential: %+v (%v), want 408 timeout over HTTP/2", a, a.err)
		}
		if a.after < open || a.after > open+3*time.Second {
			t.Fatalf("stalled request without a credential answered after %v, want about %v", a.after, open)
		}
	}

	a := s.stalled("/device/v1/heartbeat", token)
	if a.err != nil || a.status != http.StatusRequestTimeout || a.code != "timeout" || a.proto != 2 {
		t.Fatalf("stalled heartbeat: %+v (%v), want 408 timeout over HTTP/2", a, a.err)
	}
	if a.after < read || a.after > read+3*time.Second {
		t.Fatalf("stalled heartbeat answered after %v, want about %v", a.after, read)
	}
	if c := s.conns.Load(); c != 1 {
		t.Fatalf("%d connections, want the one HTTP/2 connection", c)
	}

	// HTTP/1.1: the request line and headers, then a body that stops.
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	fmt.Fprintf(c, "POST /device/v1/hello HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"serial\":", s.addr)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("HTTP/1.1 stalled hello: %v after %v", err, time.Since(start))
	}
	res.Body.Close()
	if d := time.Since(start); res.StatusCode != http.StatusRequestTimeout || d < open || d > open+3*time.Second {
		t.Fatalf("HTTP/1.1 stalled hello: %d after %v, want 408 after about %v", res.StatusCode, d, open)
	}
}

// GW-1: one HTTP/2 connection may be sending only so many bodies without a
// credential at once; the next ones are answered 429 with Retry-After at
// once, and once the stalled ones are cut the connection says hello again.
func TestGW1_HTTP2OpenBodiesPerConnection(t *testing.T) {
	const perConn, n = 4, 10
	s := serve(t, func(c *app.Config) { c.HTTP.OpenReadTimeout, c.HTTP.OpenPerConn = 400*time.Millisecond, perConn })
	answers := make(chan answer, n)
	for range n {
		go func() { answers <- s.stalled("/device/v1/hello", "") }()
	}
	got := map[int]int{}
	for range n {
		a := <-answers
		switch {
		case a.err != nil:
			t.Fatalf("stalled hello: %v", a.err)
		case a.status == http.StatusTooManyRequests && (a.code != "rate_limited" || a.retry == ""):
			t.Fatalf("429 without its code or Retry-After: %+v", a)
		case a.status == http.StatusTooManyRequests && got[http.StatusRequestTimeout] > 0:
			t.Fatalf("a 429 came after a 408: the extra hellos were not refused at once")
		}
		got[a.status]++
	}
	if got[http.StatusRequestTimeout] != perConn || got[http.StatusTooManyRequests] != n-perConn {
		t.Fatalf("answers %v, want %d × 408 and %d × 429", got, perConn, n-perConn)
	}
	m := s.Mint(1)[0]
	body := fmt.Sprintf(`{"serial":%q,"secret":%q,"model":%q,"firmware":"11.11.0"}`, m.Serial, m.Secret, m.Model)
	res, err := s.client.Post(s.base+"/device/v1/hello", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || s.conns.Load() != 1 {
		t.Fatalf("hello after the stalled ones: %d over %d connections", res.StatusCode, s.conns.Load())
	}
}

// GW-1: a body without a credential is small: a hello of more than 64 KiB
// is refused before the gateway looks at it.
func TestGW1_OpenBodySizeLimit(t *testing.T) {
	e := harness.New(t, storetest.SQLite(t), harness.NoRateLimit())
	m := e.Mint(1)[0]
	pad := strings.Repeat("x", 65<<10)
	r := e.Call("POST", "/device/v1/hello", "", fmt.Sprintf(`{"serial":%q,"secret":"wrong","model":%q,"pad":%q}`, m.Serial, m.Model, pad))
	e.Want(r, http.StatusBadRequest, "invalid")
	r = e.Call("POST", "/device/v1/hello", "", fmt.Sprintf(`{"serial":%q,"secret":"wrong","model":%q,"pad":%q}`, m.Serial, m.Model, pad[:60<<10]))
	e.Want(r, http.StatusUnauthorized, "unauthenticated")
}
