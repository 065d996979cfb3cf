package httpapi

import (
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/edge"
	"mysystems/internal/license"
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
		key := rt.Method + " " + rt.Path
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"tags":        []string{rt.Tag},
		}
		var params []any
		for _, name := range pathParams(rt.Path) {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true,
				"schema": map[string]any{"type": "string", "minLength": 1}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description,
				"schema": queryParamSchema(rt, q.Name)})
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
			op["requestBody"] = map[string]any{"required": !optionalBody[key], "content": map[string]any{
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
		for _, st := range errorStatuses(rt) {
			responses[strconv.Itoa(st)] = map[string]any{"$ref": "#/components/responses/" + errorResponses[st].name}
		}
		op["responses"] = responses
		item[strings.ToLower(rt.Method)] = op
	}
	errorComponents := map[string]any{}
	for st, r := range errorResponses {
		resp := map[string]any{"description": r.description,
			"content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
		if st == http.StatusTooManyRequests {
			resp["headers"] = map[string]any{"Retry-After": map[string]any{
				"description": "seconds to wait before trying again",
				"schema":      map[string]any{"type": "integer", "minimum": 1}}}
		}
		errorComponents[r.name] = resp
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "mysystems API", "version": "1",
			"description": "Organizations, people, devices, AXIS OS, ACS Pro servers and licenses. Errors are {\"error\":{\"code\",\"message\"}}; lists are {\"items\",\"next_cursor\"}."},
		// Relative: the API is at the root of the server that serves this
		// document, whatever its address.
		"servers": []any{map[string]any{"url": "/", "description": "the server that serves this document"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":   g.components,
			"responses": errorComponents,
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
			// Every component is an object; OpenAPI 3.0 wants the type of
			// what is nullable next to nullable.
			return map[string]any{"type": "object", "allOf": []any{s}, "nullable": true}
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

// errorResponses are the error answers the API documents, each a shared
// response of the document (components/responses) with the error body.
var errorResponses = map[int]struct{ name, description string }{
	http.StatusBadRequest:           {"BadRequest", "the request is not valid: a body, parameter or path value that cannot be read, or a value the rules refuse (error.field names it)"},
	http.StatusUnauthorized:         {"Unauthorized", "no credential, or one that is unknown, expired or revoked (or, for a sign-in, wrong)"},
	http.StatusForbidden:            {"Forbidden", "the caller may not do this: their role, the organization's MFA requirement, or the kind of credential"},
	http.StatusNotFound:             {"NotFound", "no such resource, or none the caller can see"},
	http.StatusRequestTimeout:       {"RequestTimeout", "the request body did not arrive in time"},
	http.StatusConflict:             {"Conflict", "the resource's state does not allow this now"},
	http.StatusUnsupportedMediaType: {"UnsupportedMediaType", "the body is not sent as application/json"},
	http.StatusTooManyRequests:      {"TooManyRequests", "over a rate limit: try again after Retry-After seconds"},
	http.StatusInternalServerError:  {"InternalError", "the server failed; error.request_id finds its log line"},
}

// errorStatuses are the error statuses an operation can answer, from its
// shape and from the rules of its domain (operationErrors):
//
//   - every operation: 400 (a path value or query parameter, documented or
//     not, that is not text a database holds: a NUL, bytes that are not
//     UTF-8), 429 (the API's rate limits, per credential, per organization
//     and, before authentication, per client address) and 500;
//   - with a credential: 401; with a vendor operator's credential: 403 (a
//     person's token); under an organization: 403 (role, the organization's
//     MFA requirement) and 404 (not a member, archived);
//   - with path values: 404 (no such resource); with query parameters:
//     400 (a value the rules refuse);
//   - with a body: 400 and 408 (a body cut short); with a JSON body: 415
//     (not sent as application/json).
func errorStatuses(rt Route) []int {
	set := map[int]bool{http.StatusBadRequest: true, http.StatusTooManyRequests: true, http.StatusInternalServerError: true}
	if rt.Auth != AuthNone {
		set[http.StatusUnauthorized] = true
	}
	if rt.Auth == AuthVendor {
		set[http.StatusForbidden] = true
	}
	params := pathParams(rt.Path)
	if len(params) > 0 {
		set[http.StatusNotFound] = true
	}
	for _, p := range params {
		if p == "org" && rt.Auth == AuthUser {
			set[http.StatusForbidden] = true
		}
	}
	if rt.Request != nil || rt.RawBody != "" || len(rt.Form) > 0 {
		set[http.StatusRequestTimeout] = true
	}
	if rt.Request != nil {
		set[http.StatusUnsupportedMediaType] = true
	}
	for _, st := range operationErrors[rt.Method+" "+rt.Path] {
		set[st] = true
	}
	out := make([]int, 0, len(set))
	for st := range set {
		out = append(out, st)
	}
	sort.Ints(out)
	return out
}

// operationErrors are the statuses an operation's own rules add to those of
// its shape (errorStatuses): a wrong sign-in, a state that forbids the
// change (409), a personal API token where a session is needed (403), a
// link that leads nowhere (404).
var operationErrors = map[string][]int{
	"POST /api/v1/auth/login":                                    {401},
	"POST /api/v1/auth/logout":                                   {400}, // a personal API token is not a session
	"POST /api/v1/auth/mfa":                                      {401},
	"POST /api/v1/me/tokens":                                     {403, 409}, // only a session creates tokens; too many
	"POST /api/v1/me/mfa/totp":                                   {403, 409}, // MFA changes need a session; already on
	"POST /api/v1/me/mfa/totp/confirm":                           {403, 409},
	"POST /api/v1/me/mfa/recovery-codes":                         {403},
	"POST /api/v1/me/mfa/email":                                  {403, 409},
	"POST /api/v1/me/mfa/email/confirm":                          {403, 409},
	"POST /api/v1/me/mfa/email/code":                             {400, 403}, // the method is not e-mail
	"DELETE /api/v1/me/mfa":                                      {403},
	"POST /api/v1/vendor/orgs/{org}/restore":                     {409}, // not archived
	"POST /api/v1/orgs/{org}/folders":                            {409}, // a sibling has the name
	"PATCH /api/v1/orgs/{org}/folders/{id}":                      {409},
	"DELETE /api/v1/orgs/{org}/folders/{id}":                     {409}, // the root, or not empty
	"PATCH /api/v1/orgs/{org}/members/{user}":                    {409}, // the last owner
	"DELETE /api/v1/orgs/{org}/members/{user}":                   {409},
	"POST /api/v1/orgs/{org}/members/remove":                     {409},
	"POST /api/v1/orgs/{org}/invitations":                        {409},           // already a member
	"DELETE /api/v1/orgs/{org}/invitations/{id}":                 {409},           // no longer pending
	"POST /api/v1/invitations/accept":                            {403, 404, 409}, // another address; no such link; used
	"POST /api/v1/invitations/preview":                           {404},
	"POST /api/v1/orgs/{org}/devices":                            {409}, // claimed already
	"POST /api/v1/orgs/{org}/devices/{id}/accounts":              {409}, // exists, full, the device never said hello
	"PATCH /api/v1/orgs/{org}/devices/{id}/accounts/{username}":  {409},
	"DELETE /api/v1/orgs/{org}/devices/{id}/accounts/{username}": {409},
	"POST /api/v1/vendor/firmware":                               {409}, // the version is published
	"POST /api/v1/vendor/firmware/{id}/withdraw":                 {409},
	"POST /api/v1/orgs/{org}/upgrades":                           {409}, // no recommended version, a downgrade, under way
	"POST /api/v1/orgs/{org}/tasks/{id}/retry":                   {409},
	"POST /api/v1/orgs/{org}/tasks/{id}/cancel":                  {409},
	"POST /api/v1/orgs/{org}/rollouts/{id}/pause":                {409},
	"POST /api/v1/orgs/{org}/rollouts/{id}/resume":               {409},
	"POST /api/v1/orgs/{org}/rollouts/{id}/abort":                {409},
	"POST /api/v1/orgs/{org}/servers/{id}/upgrade":               {409}, // nothing to upgrade to, one queued already
	"DELETE /api/v1/orgs/{org}/servers/{id}/upgrade":             {409}, // picked up, or none queued
	"POST /api/v1/vendor/acs-versions":                           {409}, // the version is published
	"POST /api/v1/vendor/products":                               {409}, // the id is taken, a feature gated already
	"POST /api/v1/vendor/license-keys":                           {404}, // no such product
	"POST /api/v1/orgs/{org}/license-keys/redeem":                {409}, // converted already (404: no such key)
	"POST /api/v1/orgs/{org}/products/{product}/subscription":    {409}, // started already, a hardware-linked product
	"POST /api/v1/orgs/{org}/products/{product}/allocations":     {409}, // not started, more than the wallet holds
}

// optionalBody are the operations whose JSON body may be left out.
var optionalBody = map[string]bool{"POST /api/v1/orgs/{org}/servers/{id}/upgrade": true}

// pageSizes are the default and the largest page of each list (a larger
// limit is served as the largest).
var pageSizes = map[string][2]int{
	"/api/v1/orgs":                       {100, 500},
	"/api/v1/orgs/{org}/members":         {100, 500},
	"/api/v1/orgs/{org}/invitations":     {100, 500},
	"/api/v1/orgs/{org}/audit":           {50, 1000},
	"/api/v1/orgs/{org}/devices":         {50, 1000},
	"/api/v1/orgs/{org}/tasks":           {50, 1000},
	"/api/v1/orgs/{org}/rollouts":        {20, 200},
	"/api/v1/vendor/outbox":              {50, 200},
	"/api/v1/orgs/{org}/license-history": {50, 1000},
}

// deviceSorts are the device list's sort keys (fleet's), each also
// descending with a leading "-".
var deviceSorts = []string{"name", "serial", "model", "firmware", "last_seen", "claimed"}

// queryParamSchema is the schema of a query parameter of rt.
func queryParamSchema(rt Route, name string) map[string]any {
	str := map[string]any{"type": "string"}
	switch name {
	case "limit":
		s := map[string]any{"type": "integer", "minimum": 1}
		if ps, ok := pageSizes[rt.Path]; ok {
			s["default"], s["maximum"] = ps[0], ps[1]
		}
		return s
	case "cursor":
		return map[string]any{"type": "string", "maxLength": audit.MaxCursor}
	case "format":
		return map[string]any{"type": "string", "enum": []string{"json", "csv"}, "default": "json"}
	case "confirm":
		return map[string]any{"type": "boolean"}
	case "since", "until":
		return map[string]any{"type": "string", "pattern": `^\d{4}-\d{2}-\d{2}(T.+)?$`}
	case "to":
		return map[string]any{"type": "string", "maxLength": 320}
	}
	switch rt.Path {
	case "/api/v1/orgs/{org}/devices":
		switch name {
		case "status":
			return map[string]any{"type": "string", "enum": []string{"online", "offline"}}
		case "upgrade":
			return map[string]any{"type": "string", "enum": []string{"yes", "no"}}
		case "q":
			return map[string]any{"type": "string", "maxLength": 100}
		case "sort":
			var keys []string
			for _, k := range deviceSorts {
				keys = append(keys, k, "-"+k)
			}
			return map[string]any{"type": "string", "enum": keys}
		}
	case "/api/v1/orgs/{org}/tasks":
		switch name {
		case "device", "model", "rollout":
			return map[string]any{"type": "string", "maxLength": 100}
		}
	case "/api/v1/orgs/{org}/license-history":
		switch name {
		case "kind":
			kinds := make([]string, len(license.Kinds))
			for i, k := range license.Kinds {
				kinds[i] = string(k)
			}
			return map[string]any{"type": "string", "enum": kinds}
		case "product":
			return map[string]any{"type": "string", "maxLength": license.MaxProductID}
		}
	case "/api/v1/orgs/{org}/upgrade-schedule":
		if name == "device" {
			return map[string]any{"type": "array", "items": str}
		}
	}
	return str
}
