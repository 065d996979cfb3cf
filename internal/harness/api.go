package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Resp is a decoded answer.
type Resp struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// ErrCode is the code of an error answer.
func (r Resp) ErrCode() string {
	if e, ok := r.JSON["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// ErrMessage is the message of an error answer.
func (r Resp) ErrMessage() string {
	if e, ok := r.JSON["error"].(map[string]any); ok {
		s, _ := e["message"].(string)
		return s
	}
	return ""
}

// Str is a string member of a JSON object answer.
func (r Resp) Str(key string) string {
	v, _ := r.JSON[key].(string)
	return v
}

// Decode unmarshals the body into out.
func (r Resp) Decode(out any) error { return json.Unmarshal(r.Body, out) }

// Call sends a request; body may be nil, a string (sent raw) or a value
// (sent as JSON). An answer of 500 or more fails the test, and an /api/v1
// answer that does not match the OpenAPI document too.
func (s *Server) Call(method, path, token string, body any) Resp {
	s.T.Helper()
	return s.CallIn(method, path, token, "", body)
}

// CallIn is Call with an Accept-Language header (none when lang is empty).
func (s *Server) CallIn(method, path, token, lang string, body any) Resp {
	s.T.Helper()
	var rd io.Reader
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			s.T.Fatal(err)
		}
	}
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.T.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	return s.Do(req)
}

// Do sends a request built by the test (a multipart body, say) and checks
// its answer as Call does.
func (s *Server) Do(req *http.Request) Resp {
	s.T.Helper()
	method, path := req.Method, req.URL.RequestURI()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.T.Fatal(err)
	}
	defer res.Body.Close()
	out := Resp{Status: res.StatusCode, Header: res.Header}
	out.Body, _ = io.ReadAll(res.Body)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(out.Body) > 0 {
		if err := json.Unmarshal(out.Body, &out.JSON); err != nil {
			s.T.Fatalf("%s %s: response is not JSON: %v: %s", method, path, err, out.Body)
		}
	}
	if out.Status >= 500 {
		s.T.Errorf("%s %s answered %d: %s", method, path, out.Status, out.Body)
	}
	s.checkContract(req, res, out)
	return out
}

// Want fails the test unless r has status and error code (code "" for a
// success).
func (s *Server) Want(r Resp, status int, code string) {
	s.T.Helper()
	if r.Status != status || r.ErrCode() != code {
		s.T.Fatalf("got %d %s, want %d %q", r.Status, r.Body, status, code)
	}
}

// OpenAPI loads and validates the server's OpenAPI document.
func (s *Server) OpenAPI() *openapi3.T {
	s.T.Helper()
	res, err := http.Get(s.URL + "/api/v1/openapi.json")
	if err != nil {
		s.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		s.T.Fatalf("load OpenAPI: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		s.T.Fatalf("OpenAPI document invalid: %v", err)
	}
	return doc
}

// checkContract validates an /api/v1 answer against the OpenAPI document.
func (s *Server) checkContract(req *http.Request, res *http.Response, out Resp) {
	s.T.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") || req.URL.Path == "/api/v1/openapi.json" {
		return
	}
	s.routerOnce.Do(func() {
		doc := s.OpenAPI()
		// The document's server is relative ("/", wherever it is served):
		// the router is to match the test server's absolute URLs.
		doc.Servers = nil
		r, err := legacy.NewRouter(doc)
		if err != nil {
			s.T.Fatalf("router from OpenAPI: %v", err)
		}
		s.router = r
	})
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		if out.Status != http.StatusNotFound && out.Status != http.StatusMethodNotAllowed {
			s.T.Errorf("%s %s answered %d but is not in the OpenAPI document", req.Method, req.URL.Path, out.Status)
		}
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true}}
	v := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: out.Status, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(out.Body)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), v); err != nil {
		s.T.Errorf("%s %s: response %d does not match the OpenAPI document: %v", req.Method, req.URL.Path, out.Status, err)
	}
}
