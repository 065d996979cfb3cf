package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"mysystems/internal/harness"
	"mysystems/internal/sim"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

func wantRefused(t *testing.T, what string, r harness.Resp, status int, code, field string) {
	t.Helper()
	if r.Status != status || r.ErrCode() != code || r.ErrMessage() == "" {
		t.Errorf("%s: got %d %.300s, want %d %s with a message", what, r.Status, r.Body, status, code)
		return
	}
	if f, _ := r.JSON["error"].(map[string]any)["field"].(string); field != "" && f != field {
		t.Errorf("%s: field %q, want %q", what, f, field)
	}
}

// post sends body as it is, with the Content-Type given ("" for none).
func (e *env) post(path, token, contentType, body string) harness.Resp {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.Do(req)
}

// GW-2, SRV-1: what devices and ACS Pro servers send goes through the same
// edge as the API: a NUL character in any string of a body (a result's
// message first), an id of the path or a query parameter that is not
// text, is a 400 naming it on SQLite as on PostgreSQL, never a 5xx; a body
// sent without Content-Type: application/json is a 415, null a 400.
func TestBadInput_GatewayNULAndInvalidUTF8(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner, org, dev, d := e.helloClaimed()
		var c cmdJSON
		if code := e.do("POST", "/api/v1/orgs/"+org+"/devices/"+d.ID+"/actions", owner, map[string]string{"type": "identify"}, &c); code != 202 {
			t.Fatalf("action: %d", code)
		}
		if cmds := dev.Poll(0); len(cmds) != 1 {
			t.Fatalf("delivered %v", cmds)
		}
		tok := dev.Token()
		result := "/device/v1/commands/" + c.ID + "/result"
		const js = "application/json"
		for _, bad := range []string{"%00", "a%00b", "%FF", "x%C3"} {
			wantRefused(t, "result id "+bad, e.post("/device/v1/commands/"+bad+"/result", tok, js, `{"ok":true}`), 400, "invalid", "id")
			wantRefused(t, "progress id "+bad, e.post("/device/v1/commands/"+bad+"/progress", tok, js, `{"stage":"downloading"}`), 400, "invalid", "id")
			wantRefused(t, "firmware "+bad, e.Call("GET", "/device/v1/firmware/"+bad, tok, nil), 400, "invalid", "release")
			wantRefused(t, "wait "+bad, e.Call("GET", "/device/v1/commands?wait="+bad, tok, nil), 400, "invalid", "wait")
			wantRefused(t, "server result id "+bad, e.post("/server/v1/upgrades/"+bad+"/result", "mss_x", js, `{"ok":true}`), 400, "invalid", "id")
		}
		for what, k := range map[string]struct{ path, body, field string }{
			"result message":    {result, `{"ok":false,"message":"disk \u0000 full"}`, "message"},
			"result account":    {result, `{"ok":true,"accounts":[{"username":"root"},{"username":"\u0000"}]}`, "accounts[1].username"},
			"heartbeat version": {"/device/v1/heartbeat", `{"firmware":"11.\u0000"}`, "firmware"},
			"progress stage":    {"/device/v1/commands/" + c.ID + "/progress", `{"stage":"\u0000"}`, "stage"},
			"hello serial":      {"/device/v1/hello", `{"serial":"\u0000","secret":"x"}`, "serial"},
			"register token":    {"/server/v1/register", `{"enrollment_token":"mse_\u0000","name":"n","version":"6.3"}`, "enrollment_token"},
			"poll last error":   {"/server/v1/poll", `{"version":"6.3","health":{"last_error":"\u0000"}}`, "health.last_error"},
		} {
			wantRefused(t, what, e.post(k.path, tok, js, k.body), 400, "invalid", k.field)
		}
		// Refused before anything was recorded: the command is still open,
		// and a message in bytes that are not UTF-8 is kept as U+FFFD.
		if st := e.command(owner, org, c.ID).State; st != "delivered" {
			t.Fatalf("a refused result changed the command: %s", st)
		}
		if r := e.post(result, tok, js, "{\"ok\":false,\"message\":\"caf\xc3 \xff\"}"); r.Status != 200 {
			t.Fatalf("result in bytes that are not UTF-8: %d %s", r.Status, r.Body)
		}
		if got := e.command(owner, org, c.ID); got.State != "failed" || !strings.Contains(got.Result, "caf\uFFFD") {
			t.Fatalf("recorded %+v", got)
		}

		// Bodies: JSON only, and an object.
		for _, path := range []string{"/device/v1/hello", "/device/v1/heartbeat", result, "/server/v1/register", "/server/v1/poll"} {
			for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
				wantRefused(t, path+" as "+ct, e.post(path, tok, ct, `{"ok":true}`), 415, "unsupported_media_type", "")
			}
			for _, body := range []string{`null`, `[]`, `"x"`} {
				wantRefused(t, path+" "+body, e.post(path, tok, js, body), 400, "invalid", "")
			}
		}
		// Headers are cleaned: a device token that is not UTF-8 is unknown.
		wantRefused(t, "token not UTF-8", e.post("/device/v1/heartbeat", "\xff\xfe", js, `{}`), 401, "unauthenticated", "")
		wantRefused(t, "server token not UTF-8", e.post("/server/v1/poll", "mss_\xff", js, `{"version":"6.3"}`), 401, "unauthenticated", "")
		// The simulators, as every client of ours, send their bodies as JSON.
		dev.Hello()
		if r := e.post("/device/v1/heartbeat", dev.Token(), "application/json; charset=utf-8", `{}`); r.Status != 200 {
			t.Fatalf("heartbeat: %d %s", r.Status, r.Body)
		}
		e.EnrolledServer(owner, org, "Site A", sim.ServerConfig{})
	})
}
