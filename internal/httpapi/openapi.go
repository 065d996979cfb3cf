package httpapi

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/edge"
)

// OpenAPI builds the OpenAPI 3 document from the route table: every served
// route is documented and nothing else is.
func (a *API) OpenAPI() map[string]any {
	g := &schemaGen{components: map[string]any{}}
	errRef := g.schema(reflect.TypeOf(edge.ErrorBody{}))
	paths := map[string]any{}
	for _, rt := range a.routes {
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"tags":        []string{rt.Tag},
		}
		var params []any
		for _, name := range pathParams(rt.Path) {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true,
				"schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description,
				"schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		switch rt.Auth {
		case AuthUser:
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		case AuthVendor:
			op["security"] = []any{map[string]any{"platform": []string{}}}
		default:
			op["security"] = []any{}
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Request))}}}
		}
		if rt.RawBody != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				rt.RawBody: map[string]any{"schema": map[string]any{"type": "string"}}}}
		}
		if len(rt.Form) > 0 {
			props, required := map[string]any{}, []string{}
			for _, p := range rt.Form {
				prop := map[string]any{"type": "string", "description": p.Description}
				if p.File {
					prop["format"] = "binary"
				}
				props[p.Name] = prop
				required = append(required, p.Name)
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"multipart/form-data": map[string]any{"schema": map[string]any{"type": "object", "properties": props, "required": required}}}}
		}
		responses := map[string]any{}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		if rt.Response == nil {
			responses["204"] = map[string]any{"description": "done"}
		} else {
			content := map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Response))}}
			if rt.CSV {
				content["text/csv"] = map[string]any{"schema": map[string]any{"type": "string"}}
			}
			responses[strconv.Itoa(status)] = map[string]any{"description": http.StatusText(status), "content": content}
		}
		responses["default"] = map[string]any{"description": "error",
			"content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
		op["responses"] = responses
		item[strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "mysystems API", "version": "1",
			"description": "Organizations, people, devices, AXIS OS, ACS Pro servers and licenses. Errors are {\"error\":{\"code\",\"message\"}}; lists are {\"items\",\"next_cursor\"}."},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"bearer":   map[string]any{"type": "http", "scheme": "bearer", "description": "session token from /auth/login or a personal API token"},
				"platform": map[string]any{"type": "http", "scheme": "bearer", "description": "vendor-operator platform token"},
			},
		},
	}
}

var paramRe = regexp.MustCompile(`\{([a-z_]+)\}`)

func pathParams(p string) []string {
	var out []string
	for _, m := range paramRe.FindAllStringSubmatch(p, -1) {
		out = append(out, m[1])
	}
	return out
}

func operationID(rt Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, seg := range strings.Split(strings.TrimPrefix(rt.Path, "/api/v1/"), "/") {
		seg = strings.Trim(seg, "{}")
		for _, part := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '_' }) {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

type schemaGen struct {
	components map[string]any
}

var timeType = reflect.TypeOf(time.Time{})

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		s := g.schema(t.Elem())
		if _, isRef := s["$ref"]; isRef {
			return map[string]any{"allOf": []any{s}, "nullable": true}
		}
		c := map[string]any{}
		for k, v := range s {
			c[k] = v
		}
		c["nullable"] = true
		return c
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := componentName(t)
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		if _, done := g.components[name]; done {
			return ref
		}
		g.components[name] = map[string]any{} // placeholder against recursion
		props := map[string]any{}
		var required []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			parts := strings.Split(tag, ",")
			fname := parts[0]
			if fname == "" {
				fname = f.Name
			}
			props[fname] = g.schema(f.Type)
			omit := false
			for _, p := range parts[1:] {
				omit = omit || p == "omitempty" || p == "omitzero"
			}
			if !omit && f.Type.Kind() != reflect.Pointer {
				required = append(required, fname)
			}
		}
		s := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		g.components[name] = s
		return ref
	}
	return map[string]any{}
}

// componentName turns List[mysystems/internal/api.OrgJSON] into ListOrgJSON.
func componentName(t reflect.Type) string {
	n := t.Name()
	if i := strings.IndexByte(n, '['); i >= 0 {
		inner := n[i+1 : len(n)-1]
		if j := strings.LastIndexByte(inner, '.'); j >= 0 {
			inner = inner[j+1:]
		}
		n = n[:i] + inner
	}
	return n
}
