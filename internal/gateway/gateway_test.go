package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"mysystems/internal/harness"
	"mysystems/internal/store"
)

var t0 = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// env is the whole server (internal/harness) with the app's background work
// running, as a process has it.
type env struct {
	*harness.Server
	t *testing.T
}

type device = harness.Device

func newEnv(t *testing.T, db *store.DB, opts ...harness.Option) *env {
	t.Helper()
	opts = append([]harness.Option{harness.At(t0), harness.NoRateLimit(), harness.Started()}, opts...)
	return &env{Server: harness.New(t, db, opts...), t: t}
}

// another is a second instance over the same database and clock.
func (e *env) another() *env {
	return newEnv(e.t, e.DB, harness.SharedClock(e.Clock))
}

// do sends a request and decodes a JSON answer into out; it returns the
// status.
func (e *env) do(method, path, token string, body any, out any) int {
	e.t.Helper()
	if body == nil && method != "GET" {
		body = "" // always a body, as a device sends
	}
	r := e.Call(method, path, token, body)
	if out != nil && len(r.Body) > 0 {
		if err := json.Unmarshal(r.Body, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, r.Body)
		}
	}
	if r.Status >= 500 {
		e.t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	return r.Status
}

func (e *env) user(email string) string {
	e.t.Helper()
	return e.User(email).Token
}

func io_copy(w io.Writer, res *http.Response) (int64, error) {
	defer res.Body.Close()
	return io.Copy(w, res.Body)
}
