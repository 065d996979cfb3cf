package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"mysystems/internal/account"
	"mysystems/internal/app"
	"mysystems/internal/clock"
	"mysystems/internal/store"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// env is a whole server (the production object graph from app.New) over a
// real database, with a fake clock. Every JSON response it sees is checked
// against the server's own OpenAPI document.
type env struct {
	t      *testing.T
	app    *app.App
	srv    *httptest.Server
	clock  *clock.Fake
	router routers.Router
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T, db *store.DB, tweak ...func(*app.Config)) *env {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.Account.Hash = account.TestHashParams
	cfg.RateLimit = 0
	for _, f := range tweak {
		f(&cfg)
	}
	e := &env{t: t, clock: clock.NewFake(t0), logs: &syncBuffer{}}
	e.app = app.New(cfg, db, e.clock, slog.New(slog.NewTextHandler(e.logs, nil)))
	e.srv = httptest.NewServer(e.app.Handler)
	t.Cleanup(e.srv.Close)
	doc := e.openAPI()
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("router from OpenAPI: %v", err)
	}
	e.router = r
	return e
}

func (e *env) openAPI() *openapi3.T {
	e.t.Helper()
	raw := e.get("/api/v1/openapi.json")
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		e.t.Fatalf("load OpenAPI: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		e.t.Fatalf("OpenAPI document invalid: %v", err)
	}
	return doc
}

func (e *env) get(path string) []byte {
	e.t.Helper()
	res, err := http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return b
}

// resp is a decoded API answer.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

func (r resp) ErrCode() string {
	if e, ok := r.JSON["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

func (r resp) ErrMessage() string {
	if e, ok := r.JSON["error"].(map[string]any); ok {
		s, _ := e["message"].(string)
		return s
	}
	return ""
}

func (r resp) Str(key string) string {
	v, _ := r.JSON[key].(string)
	return v
}

// call sends a request; body may be nil, a string (sent raw) or a value
// (sent as JSON).
func (e *env) call(method, path, token string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out := resp{Status: res.StatusCode, Header: res.Header}
	out.Body, _ = io.ReadAll(res.Body)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(out.Body) > 0 {
		if err := json.Unmarshal(out.Body, &out.JSON); err != nil {
			e.t.Fatalf("%s %s: response is not JSON: %v: %s", method, path, err, out.Body)
		}
	}
	if out.Status >= 500 {
		e.t.Errorf("%s %s answered %d: %s", method, path, out.Status, out.Body)
	}
	e.checkContract(req, raw, res, out)
	return out
}

// checkContract validates the response against the OpenAPI document.
func (e *env) checkContract(req *http.Request, raw []byte, res *http.Response, out resp) {
	e.t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return
	}
	route, params, err := e.router.FindRoute(req)
	if err != nil {
		if out.Status != http.StatusNotFound && out.Status != http.StatusMethodNotAllowed {
			e.t.Errorf("%s %s answered %d but is not in the OpenAPI document", req.Method, req.URL.Path, out.Status)
		}
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true}}
	v := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: out.Status, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(out.Body)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), v); err != nil {
		e.t.Errorf("%s %s: response %d does not match the OpenAPI document: %v", req.Method, req.URL.Path, out.Status, err)
	}
}

// user registers and signs in a person; it returns their session token and id.
func (e *env) user(email string) (token, id string) {
	e.t.Helper()
	r := e.call("POST", "/api/v1/auth/register", "", map[string]string{"email": email, "name": "User " + email, "password": "a long enough passphrase"})
	if r.Status != http.StatusCreated {
		e.t.Fatalf("register %s: %d %s", email, r.Status, r.Body)
	}
	r = e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "a long enough passphrase"})
	if r.Status != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	u := r.JSON["user"].(map[string]any)
	return r.Str("token"), u["id"].(string)
}

// org creates an organization and returns its id.
func (e *env) org(token, name string) string {
	e.t.Helper()
	r := e.call("POST", "/api/v1/orgs", token, map[string]string{"name": name})
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create org: %d %s", r.Status, r.Body)
	}
	return r.Str("id")
}

func (e *env) want(r resp, status int, code string) {
	e.t.Helper()
	if r.Status != status || r.ErrCode() != code {
		e.t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, status, code)
	}
}
