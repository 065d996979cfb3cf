package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// start parses a command's flags and arguments (see parse) and returns a
// client signed in for the server in use.
func (e *env) start(f *flags, args []string, min, max int) ([]string, *Client, error) {
	pos, err := e.parse(f, args, min, max)
	if err != nil {
		return nil, nil, err
	}
	c, err := e.client(true)
	if err != nil {
		return nil, nil, err
	}
	return pos, c, nil
}

// decoded sends a request and decodes the answer into a T, keeping it also
// as it came (for --json); what names the answer in errors.
func decoded[T any](ctx context.Context, c *Client, method, path string, body any, what string) (T, json.RawMessage, error) {
	var v T
	var raw json.RawMessage
	if err := c.do(ctx, method, path, body, &raw); err != nil {
		return v, nil, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, raw, fmt.Errorf("reading the %s: %w", what, err)
	}
	return v, raw, nil
}

// show sends a request answered by one object and prints the answer as it
// came (--json) or as show prints the object decoded; what names the object
// in errors.
func show[T any](ctx context.Context, e *env, c *Client, method, path string, body any, what string, show func(T) error) error {
	var raw json.RawMessage
	if err := c.do(ctx, method, path, body, &raw); err != nil {
		return err
	}
	if e.json {
		return e.printJSON(raw)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("reading the %s: %w", what, err)
	}
	return show(v)
}

// callOne sends a request answered by one object and prints it as JSON
// (--json) or as the sentence done makes of it; what names the object in
// errors.
func callOne[T any](ctx context.Context, e *env, what, method, path string, body any, done func(T) string) error {
	c, err := e.client(true)
	if err != nil {
		return err
	}
	return show(ctx, e, c, method, path, body, what, func(v T) error {
		_, err := fmt.Fprintln(e.out, done(v))
		return err
	})
}

// printJSONOr prints raw with --json; otherwise it calls text.
func (e *env) printJSONOr(raw json.RawMessage, text func()) error {
	if e.json {
		return e.printJSON(raw)
	}
	text()
	return nil
}

// do sends a request with no answer to print, then the sentence done.
func (e *env) do(ctx context.Context, c *Client, method, path string, body any, done string) error {
	if err := c.do(ctx, method, path, body, nil); err != nil {
		return err
	}
	fmt.Fprintln(e.out, done)
	return nil
}

// deleteOne deletes the object at path once the go-ahead is given: --yes,
// or on a terminal "y" to the question ask makes of the object (read first);
// without either it refuses (see confirm). what names the act in messages
// ("delete folder fld_1"); done is printed once it is deleted.
func deleteOne[T any](ctx context.Context, e *env, f *flags, yes bool, what, path string, ask func(T) string, done string) error {
	if !yes && !e.interactive {
		return e.confirm(f, false, what, "")
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	if !yes {
		var v T
		if err := c.do(ctx, http.MethodGet, path, nil, &v); err != nil {
			return err
		}
		if err := e.confirm(f, false, what, ask(v)); err != nil {
			return err
		}
	}
	return e.do(ctx, c, http.MethodDelete, path+"?confirm=true", nil, done)
}

// printFields prints name and value pairs as two aligned columns.
func printFields(w io.Writer, fields ...string) error {
	rows := make([][]string, 0, len(fields)/2)
	for i := 0; i+1 < len(fields); i += 2 {
		rows = append(rows, []string{fields[i], fields[i+1]})
	}
	return printTable(w, nil, rows)
}
