package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"mysystems/internal/app"
	"mysystems/internal/httpapi"
	"mysystems/internal/store/storetest"
)

// get answers a GET of path on the handler h, with a bearer token when
// token is not empty.
func get(t *testing.T, h http.Handler, path, token string) *http.Response {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

// Every answer says X-Content-Type-Options: nosniff: the API's JSON, its
// errors, the metrics, the device gateway's answers, the web pages and
// their static files, even a path nothing serves; Strict-Transport-Security
// only when the server is reached over HTTPS (SPEC §11).
func TestOperationalEndpoints_HeadersOfEveryAnswer(t *testing.T) {
	paths := []string{"/healthz", "/api/v1/me", "/api/v1/openapi.json", "/metrics", "/device/v1/commands",
		"/server/v1/nothing", "/login", "/static/style.css", "/nothing"}
	post := func(h http.Handler, path, body string) *http.Response {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Result()
	}
	for _, c := range []struct {
		name string
		cfg  func(*app.Config)
		hsts bool
	}{
		{"cleartext", func(*app.Config) {}, false},
		{"https base URL", func(c *app.Config) { c.BaseURL = "https://portal.example.com" }, true},
		{"serving TLS", func(c *app.Config) { c.HSTS = true }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, storetest.SQLite(t), c.cfg)
			h := e.App.Handler
			answers := map[string]*http.Response{
				"POST /device/v1/hello":    post(h, "/device/v1/hello", `{"serial":"ACCC8E000001","secret":"wrong"}`),
				"POST /server/v1/register": post(h, "/server/v1/register", `{}`),
			}
			for _, p := range paths {
				answers["GET "+p] = get(t, h, p, "")
			}
			for what, res := range answers {
				if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("%s (%d): X-Content-Type-Options %q", what, res.StatusCode, got)
				}
				got := res.Header.Get("Strict-Transport-Security")
				if c.hsts && !strings.HasPrefix(got, "max-age=") || !c.hsts && got != "" {
					t.Errorf("%s (%d): Strict-Transport-Security %q", what, res.StatusCode, got)
				}
			}
		})
	}
}

// /metrics with a token answers 401 without it (or with another one) and
// the metrics with it (SPEC §11).
func TestOperationalEndpoints_MetricsToken(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), func(c *app.Config) { c.MetricsToken = "scrape-secret" })
	for _, tok := range []string{"", "wrong", "scrape-secre"} {
		res := get(t, e.App.Handler, "/metrics", tok)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"unauthenticated"`) ||
			res.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("/metrics with token %q: %d %s", tok, res.StatusCode, body)
		}
		if strings.Contains(string(body), "mysystems_http_requests_total") {
			t.Fatalf("/metrics without the token shows metrics")
		}
	}
	res := get(t, e.App.Handler, "/metrics", "scrape-secret")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "mysystems_http_requests_total") {
		t.Fatalf("/metrics with the token: %d %.300s", res.StatusCode, body)
	}
}

// With its own listener, /metrics is not on the main one (SPEC §11).
func TestOperationalEndpoints_MetricsApart(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), func(c *app.Config) { c.MetricsApart = true })
	if res := get(t, e.App.Handler, "/metrics", ""); res.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics on the main listener: %d", res.StatusCode)
	}
	e.Call("GET", "/healthz", "", nil)
	m := httptest.NewServer(e.App.MetricsServer("").Handler)
	defer m.Close()
	res, err := http.Get(m.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `route="GET /healthz"`) ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("/metrics on its own listener: %d %.300s", res.StatusCode, body)
	}
	if res, _ := http.Get(m.URL + "/api/v1/me"); res == nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("the metrics listener serves the API")
	}
}

// deadlines is a response writer that records the deadlines set on it, as
// an HTTP/2 stream turns each into a timer.
type deadlines struct {
	*httptest.ResponseRecorder
	read, write []time.Time
}

func (d *deadlines) SetReadDeadline(t time.Time) error  { d.read = append(d.read, t); return nil }
func (d *deadlines) SetWriteDeadline(t time.Time) error { d.write = append(d.write, t); return nil }

// GW-1: on HTTP/2 only a request that sends a body gets a read deadline, a
// timer of its stream: 100,000 devices waiting in long-polls hold none. On
// HTTP/1.1 every request gets its read and write deadlines, and a request
// of an open path gets the ordinary read deadline back once its body is in
// (a hello then waits its turn without being cut).
func TestGW1_ReadDeadlineOnlyWhileABodyArrives(t *testing.T) {
	lim := httpapi.Limits{ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute, OpenPaths: []string{"/open"},
		OpenReadTimeout: time.Second}
	h := httpapi.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }),
		slog.New(slog.DiscardHandler), nil, httpapi.Options{Limits: lim})
	for _, c := range []struct {
		name         string
		proto        int
		method, path string
		body         string
		length       int64
		header       bool // a Content-Length header
		read, write  int
		bound        time.Duration
	}{
		{"HTTP/2 long-poll", 2, "GET", "/device/v1/commands", "", 0, false, 0, 0, 0},
		{"HTTP/2 body of unknown length", 2, "POST", "/device/v1/heartbeat", `{}`, -1, false, 1, 0, time.Minute},
		{"HTTP/2 body of known length", 2, "POST", "/device/v1/heartbeat", `{}`, 2, true, 1, 0, time.Minute},
		{"HTTP/2 open path", 2, "POST", "/open", `{}`, -1, false, 1, 0, time.Second},
		{"HTTP/1.1 long-poll", 1, "GET", "/device/v1/commands", "", 0, false, 1, 1, time.Minute},
		{"HTTP/1.1 body", 1, "POST", "/device/v1/heartbeat", `{}`, 2, true, 1, 1, time.Minute},
		// The open path's bound, then, the body in, the ordinary one.
		{"HTTP/1.1 open path", 1, "POST", "/open", `{}`, 2, true, 2, 1, time.Second},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		req.ProtoMajor, req.Proto = c.proto, map[int]string{1: "HTTP/1.1", 2: "HTTP/2.0"}[c.proto]
		req.Body, req.ContentLength = io.NopCloser(strings.NewReader(c.body)), c.length
		if c.proto == 1 && c.length == 0 {
			req.Body = http.NoBody
		}
		if c.header {
			req.Header.Set("Content-Length", "2")
		}
		w := &deadlines{ResponseRecorder: httptest.NewRecorder()}
		before := time.Now()
		h.ServeHTTP(w, req)
		if len(w.read) != c.read || len(w.write) != c.write {
			t.Errorf("%s: %d read and %d write deadlines, want %d and %d", c.name, len(w.read), len(w.write), c.read, c.write)
			continue
		}
		if c.read > 0 {
			if d := w.read[0].Sub(before); d < c.bound || d > c.bound+time.Second {
				t.Errorf("%s: read deadline in %v, want %v", c.name, d, c.bound)
			}
		}
		if c.read > 1 {
			if d := w.read[len(w.read)-1].Sub(before); d < lim.ReadTimeout || d > lim.ReadTimeout+time.Second {
				t.Errorf("%s: read deadline once the body is in: in %v, want %v", c.name, d, lim.ReadTimeout)
			}
		}
	}
}
