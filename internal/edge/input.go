package edge

import (
	"bytes"
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"mysystems/internal/errs"
	"mysystems/internal/i18n"
	"mysystems/internal/text"
)

// What a request carries reaches the database as text, and PostgreSQL holds
// neither a NUL character nor bytes that are not UTF-8 (SQLite holds both):
// the checks below keep every input to text both databases hold
// (text.Valid). Each adapter runs them at its one entry: CheckRequest
// before any handler of the API, the web UI and the gateway reads the
// request, CheckForm once the web UI has parsed a form, CheckJSON on every
// JSON body before it is decoded. What is refused is a 400 naming the
// field; the headers a handler keeps (the User-Agent of a session) are
// cleaned instead, so an odd browser still signs in.

// CheckRequest cleans the request's header values in place (text.Clean)
// and refuses a path or a query parameter that is not text: a value of the
// route's path (named by its wildcard in r.Pattern: "org", "id"), the rest
// of the path, or a query parameter's name or value. Call it once routed.
func CheckRequest(r *http.Request) error {
	for _, vs := range r.Header {
		for i, v := range vs {
			vs[i] = text.Clean(v)
		}
	}
	for _, name := range wildcards(r.Pattern) {
		if !text.Valid(r.PathValue(name)) {
			return errs.InvalidField(name, "err.input.path", name)
		}
	}
	if !text.Valid(r.URL.Path) {
		return errs.InvalidField("path", "err.input.address")
	}
	return checkValues(r.URL.Query(), "err.input.query")
}

// CheckForm refuses a form (the query and the posted fields, as
// http.Request.Form holds them after parsing) with a name or a value that is
// not text.
func CheckForm(form url.Values) error { return checkValues(form, "err.input.field") }

func checkValues(v url.Values, key string) error {
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if !text.Valid(name) {
			return errs.InvalidField(text.Clean(name), key, text.Clean(name))
		}
		for _, s := range v[name] {
			if !text.Valid(s) {
				return errs.InvalidField(name, key, name)
			}
		}
	}
	return nil
}

// wildcards returns the names of the wildcards of a mux pattern
// ("GET /api/v1/orgs/{org}/devices/{id}" → org, id; "{path...}" → path).
func wildcards(pattern string) []string {
	var out []string
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			return out
		}
		if name := strings.TrimSuffix(pattern[i+1:i+j], "..."); name != "$" && name != "" {
			out = append(out, name)
		}
		pattern = pattern[i+j+1:]
	}
}

// CheckJSONType refuses a JSON body sent without Content-Type:
// application/json (a form's or text/plain's body is not read as JSON): 415
// unsupported_media_type.
func CheckJSONType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return errs.E(errs.UnsupportedMedia, "err.input.json_type_missing")
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return errs.E(errs.UnsupportedMedia, "err.input.json_type", ct)
	}
	return nil
}

// CheckJSON checks a JSON body before it is decoded into dst: a body for a
// struct or a map must be an object (null, an array, a string… are
// refused rather than decoded as nothing), and no string of it, a name or
// a value at any depth, may hold a NUL character (JSON can only spell one
// as \u0000; the decoder turns bytes that are not UTF-8 into U+FFFD). A
// body that is not JSON at all passes: the decoder then says what is wrong
// with it.
func CheckJSON(raw []byte, dst any) error {
	body := bytes.TrimLeft(raw, " \t\r\n")
	if len(body) == 0 {
		return nil
	}
	if body[0] != '{' && wantsObject(dst) && json.Valid(body) {
		return errs.E(errs.Invalid, "err.input.body_object", jsonKindOf(body[0]))
	}
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return nil // the only way a JSON string holds NUL
	}
	if field, ok := nulString(body); ok {
		return errs.InvalidField(field, "err.input.field", field)
	}
	return nil
}

func wantsObject(dst any) bool {
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t != nil && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map)
}

func jsonKindOf(first byte) i18n.Key {
	switch first {
	case 'n':
		return "err.json.null"
	case '[':
		return "err.json.array"
	case '"':
		return "err.json.string"
	case 't', 'f':
		return "err.json.bool"
	}
	return "err.json.number"
}

// nulString walks a JSON document and returns where the first string
// holding NUL is ("name", "items[2].name", "body" for the document
// itself).
func nulString(body []byte) (string, bool) {
	type level struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []*level
	where := func() string {
		var b strings.Builder
		for _, l := range stack {
			if l.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(text.Clean(l.key))
			} else {
				b.WriteString("[" + strconv.Itoa(l.index) + "]")
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	// value starts a value in the current container; done ends it.
	value := func() {
		if n := len(stack); n > 0 && !stack[n-1].object {
			stack[n-1].index++
		}
	}
	done := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *level
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				value()
				stack = append(stack, &level{object: v == '{', index: -1, wantKey: v == '{'})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
		case string:
			if top != nil && top.object && top.wantKey {
				top.key, top.wantKey = v, false
				if strings.IndexByte(v, 0) >= 0 {
					return where(), true
				}
				continue
			}
			value()
			if strings.IndexByte(v, 0) >= 0 {
				return where(), true
			}
			done()
		default:
			value()
			done()
		}
	}
}
