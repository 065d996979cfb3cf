package httpapi_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"mysystems/internal/app"
	"mysystems/internal/harness"
	"mysystems/internal/store"
)

var t0 = harness.T0

// env is a whole server over a real database with a fake clock
// (internal/harness); every JSON response it sees is checked against the
// server's own OpenAPI document.
type env struct {
	*harness.Server
	t *testing.T
}

// resp is a decoded API answer.
type resp = harness.Resp

func newEnv(t *testing.T, db *store.DB, tweak ...func(*app.Config)) *env {
	t.Helper()
	opts := []harness.Option{harness.NoRateLimit()}
	for _, f := range tweak {
		opts = append(opts, harness.Config(f))
	}
	return &env{Server: harness.New(t, db, opts...), t: t}
}

func (e *env) openAPI() *openapi3.T { return e.OpenAPI() }

func (e *env) get(path string) []byte {
	e.t.Helper()
	res, err := http.Get(e.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return b
}

// call sends a request; body may be nil, a string (sent raw) or a value
// (sent as JSON).
func (e *env) call(method, path, token string, body any) resp {
	e.t.Helper()
	return e.Call(method, path, token, body)
}

// user registers and signs in a person; it returns their session token and id.
func (e *env) user(email string) (token, id string) {
	e.t.Helper()
	u := e.User(email)
	return u.Token, u.ID
}

// org creates an organization and returns its id.
func (e *env) org(token, name string) string {
	e.t.Helper()
	id, _ := e.Org(token, name)
	return id
}

func (e *env) want(r resp, status int, code string) {
	e.t.Helper()
	e.Want(r, status, code)
}
