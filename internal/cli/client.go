package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"mysystems/internal/api"
)

const userAgent = "mysystems-cli"

// maxJSON bounds how much of an answer the client decodes; a list page or an
// object is far smaller, so more means the server is not a My Systems server.
const maxJSON = 32 << 20

// Client calls the API of one server.
type Client struct {
	Server string // base URL, without a trailing slash
	Token  string // bearer token; empty for calls that need none
	// Lang is sent as Accept-Language, so the server's error messages are
	// in the user's language (see localeLang); empty: English.
	Lang string
	HTTP *http.Client
}

// NewClient returns a client with timeouts suited to an interactive tool.
func NewClient(server, token string) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 60 * time.Second
	return &Client{Server: server, Token: token, HTTP: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// APIError is an error answered by the server.
type APIError struct {
	Status     int
	Code       string
	Message    string
	Field      string
	RequestID  string
	RetryAfter string // the Retry-After header of a 429
	// Details is the error's structured detail, as sent (may be empty), e.g.
	// {"refused": [{"user_id", "reason"}]} for a refused bulk removal.
	Details json.RawMessage
}

func (e *APIError) Error() string {
	msg := e.Message + " (" + e.Code + ")"
	if e.Status == http.StatusTooManyRequests {
		if e.RetryAfter != "" {
			msg += "; retry after " + e.RetryAfter + "s (Retry-After)"
		} else {
			msg += "; retry later"
		}
	}
	if e.RequestID != "" {
		msg += "; request id " + e.RequestID
	}
	return msg
}

// do sends a JSON request and decodes a JSON answer into out (which may be
// nil, or a *json.RawMessage to keep the answer as it came).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, c.HTTP, method, path, body, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		return c.unexpected(resp, path)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSON)).Decode(out); err != nil {
		return fmt.Errorf("reading the answer to %s %s: %w", method, path, err)
	}
	return nil
}

// stream copies the answer to a GET to w as it arrives (exports can be large
// and slow, so no overall timeout applies, only the context's).
func (c *Client) stream(ctx context.Context, path, accept string, w io.Writer) error {
	hc := *c.HTTP
	hc.Timeout = 0
	resp, err := c.send(ctx, &hc, http.MethodGet, path, nil, accept)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("download interrupted: %w", err)
	}
	return nil
}

// rawBody is a request body sent as it is, with its media type (the CSV of
// a device import) instead of as JSON.
type rawBody struct {
	contentType string
	data        []byte
}

// send makes the request and turns error statuses into *APIError.
func (c *Client) send(ctx context.Context, hc *http.Client, method, path string, body any, accept string) (*http.Response, error) {
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case rawBody:
		rd, contentType = bytes.NewReader(b.data), b.contentType
	default:
		j, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Server+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", userAgent)
	if c.Lang != "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cannot reach %s: %w (is the server running? set --server or MYSYSTEMS_SERVER)", c.Server, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return nil, c.apiError(resp, path)
	}
	return resp, nil
}

func (c *Client) apiError(resp *http.Response, path string) error {
	var body struct {
		Error struct {
			Code      string          `json:"code"`
			Message   string          `json:"message"`
			Field     string          `json:"field"`
			Details   json.RawMessage `json:"details"`
			RequestID string          `json:"request_id"`
		} `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if !isJSON(resp.Header.Get("Content-Type")) || json.Unmarshal(b, &body) != nil || body.Error.Code == "" {
		return &APIError{Status: resp.StatusCode, Code: fmt.Sprintf("http_%d", resp.StatusCode),
			Message:    fmt.Sprintf("%s answered %s to %s; is it a My Systems server?", c.Server, resp.Status, path),
			RetryAfter: resp.Header.Get("Retry-After")}
	}
	return &APIError{Status: resp.StatusCode, Code: body.Error.Code, Message: body.Error.Message,
		Field: body.Error.Field, RequestID: body.Error.RequestID, RetryAfter: resp.Header.Get("Retry-After"),
		Details: body.Error.Details}
}

func (c *Client) unexpected(resp *http.Response, path string) error {
	return fmt.Errorf("%s answered %s to %s with %q instead of JSON; is it a My Systems server?",
		c.Server, resp.Status, path, resp.Header.Get("Content-Type"))
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// page is one page of a list, items kept as the server sent them so --json
// prints fields this client does not know about.
type page = api.List[json.RawMessage]

// list reads a paginated list, following next_cursor when all is set. The
// result's NextCursor is where the caller can go on from ("" at the end).
func (c *Client) list(ctx context.Context, path string, query url.Values, all bool) (page, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	out := page{Items: []json.RawMessage{}}
	for {
		var p page
		if err := c.do(ctx, http.MethodGet, path+"?"+q.Encode(), nil, &p); err != nil {
			return out, err
		}
		out.Items = append(out.Items, p.Items...)
		out.NextCursor = p.NextCursor
		if !all || p.NextCursor == "" {
			return out, nil
		}
		if p.NextCursor == q.Get("cursor") {
			return out, fmt.Errorf("the server sent the same cursor twice for %s; stopping", path)
		}
		q.Set("cursor", p.NextCursor)
	}
}

// decodeItems turns raw list items into typed values for tables.
func decodeItems[T any](raw []json.RawMessage) ([]T, error) {
	out := make([]T, 0, len(raw))
	for _, r := range raw {
		var v T
		if err := json.Unmarshal(r, &v); err != nil {
			return nil, fmt.Errorf("reading a list item: %w", err)
		}
		out = append(out, v)
	}
	return out, nil
}

// pathf builds an API path, escaping each argument as one path segment so
// an id cannot reach another endpoint.
func pathf(format string, ids ...string) string {
	args := make([]any, len(ids))
	for i, id := range ids {
		s := url.PathEscape(id)
		if s == "." || s == ".." {
			s = strings.ReplaceAll(s, ".", "%2E")
		}
		args[i] = s
	}
	return fmt.Sprintf(format, args...)
}
