package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"mysystems/internal/app"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
	"mysystems/internal/harness"
	"mysystems/internal/store/storetest"
)

// queryTarget is a server with an organization of a few devices (and an
// audit log of their claims, an upgrade task each, a rollout), two
// identities minted but not claimed, and a vendor operator's token.
type queryTarget struct {
	s             *harness.Server
	owner, vendor string
	org, device   string
	free          []fleet.Minted
}

func newQueryTarget(f *testing.F, kind string) queryTarget {
	opts := []harness.Option{harness.NoRateLimit(), harness.Config(func(c *app.Config) { c.Fleet.ClaimLimit = 1 << 30 })}
	var s *harness.Server
	if kind == "postgres" {
		s = harness.New(f, storetest.Postgres(f), opts...)
	} else {
		s = harness.New(f, nil, opts...)
	}
	owner := s.User("owner@example.com")
	orgID, root := s.Org(owner.Token, "Fuzz")
	ms := s.Mint(5)
	s.Publish(ms[0].Model, "12.2.35", "active", nil)
	var ids []string
	for _, m := range ms[:3] {
		var d struct {
			ID string `json:"id"`
		}
		if err := s.Claim(owner.Token, orgID, m, root).Decode(&d); err != nil {
			f.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	if r := s.Call("POST", "/api/v1/orgs/"+orgID+"/upgrades", owner.Token, map[string]any{"device_ids": ids,
		"rollout": map[string]any{"ring_count": 1}}); r.Status != http.StatusAccepted {
		f.Fatalf("upgrade: %d %s", r.Status, r.Body)
	}
	if r := s.Call("POST", "/api/v1/orgs/"+orgID+"/invitations", owner.Token, map[string]any{"email": "guest@example.com", "folders": []string{root}}); r.Status != http.StatusCreated {
		f.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	_, vtok, err := s.App.Platform.CreateToken(context.Background(), "ops")
	if err != nil {
		f.Fatal(err)
	}
	return queryTarget{s: s, owner: owner.Token, vendor: vtok, org: orgID, device: ids[0], free: ms[3:]}
}

// queryRoutes are the lists whose query a client writes: filters, sort,
// page size and cursor.
var queryRoutes = []struct{ path, params string }{
	{"/api/v1/orgs/{org}/devices", "folder model firmware status upgrade q sort format limit cursor"},
	{"/api/v1/orgs/{org}/audit", "action actor target since until format limit cursor"},
	{"/api/v1/orgs/{org}/tasks", "state device model folder rollout since until format limit cursor"},
	{"/api/v1/orgs/{org}/members", "limit cursor"},
	{"/api/v1/orgs/{org}/invitations", "limit cursor"},
	{"/api/v1/orgs", "limit cursor"},
	{"/api/v1/orgs/{org}/rollouts", "limit cursor"},
	{"/api/v1/vendor/outbox", "to limit cursor"},
	{"/api/v1/orgs/{org}/upgrade-schedule", "device"},
}

// FuzzAPIQueries sends arbitrary queries to every list of the API (device
// list filters and sort, audit and task filters, page sizes and cursors)
// and arbitrary CSV to the device import, through the whole server. It
// never answers 5xx; a refusal is a JSON error whose code maps to its
// status, a 400 names a parameter of the route or of the query (or "csv"
// for the import);
// a page is a JSON list, or CSV when asked, and its next_cursor fetches the
// next page. In an import, $SERIAL and $OAK stand for an identity minted
// and not yet claimed. It runs on SQLite and, when MYSYSTEMS_TEST_POSTGRES
// is set, on PostgreSQL too. The seeds are f.Add below, which `go test`
// runs, and the inputs fuzzing found failing, in
// testdata/fuzz/FuzzAPIQueries.
func FuzzAPIQueries(f *testing.F) {
	f.Add(uint8(0), "status=online&sort=-firmware&limit=1")
	f.Add(uint8(0), "model=AXIS%20P3265-LVE&firmware=11.11.0&upgrade=yes&q=%25_&sort=claimed&limit=2&cursor=WyJ4IiwieSJd")
	f.Add(uint8(0), "sort=last_seen&cursor=WzEuNSwieSJd")
	f.Add(uint8(0), "folder=fld_unknown&format=csv")
	f.Add(uint8(0), "q=%00&limit=-1")
	f.Add(uint8(1), "action=device.,org.&since=2026-01-01&until=2099-12-31T00:00:00Z&limit=1")
	f.Add(uint8(1), "cursor=WzkyMjMzNzIwMzY4NTQ3NzU4MDdd&format=csv")
	f.Add(uint8(1), "since=0000-01-01T00:00:00%2B23:59&until=9999-12-31")
	f.Add(uint8(2), "state=queued,scheduled&limit=1&since=2026-02-29")
	f.Add(uint8(2), "rollout=%00&device=x&format=xml")
	f.Add(uint8(3), "limit=1&cursor=WyJcdTAwMDAiLCJcdWQ4MDAiXQ")
	f.Add(uint8(4), "limit=1")
	f.Add(uint8(5), "limit=99999999999999999999")
	f.Add(uint8(6), "limit=1&cursor=WzEsMl0")
	f.Add(uint8(7), "to=GUEST@example.com&limit=1")
	f.Add(uint8(8), "device=$DEVICE&device=dev_x")
	f.Add(uint8(9), "serial,oak,folder\n$SERIAL,$OAK,Fuzz\n")
	f.Add(uint8(9), "$SERIAL,wrong\n$SERIAL,$OAK,/No/Such\n")
	f.Add(uint8(9), "\x00,\x00\n")
	targets := []queryTarget{newQueryTarget(f, "sqlite")}
	if os.Getenv("MYSYSTEMS_TEST_POSTGRES") != "" {
		targets = append(targets, newQueryTarget(f, "postgres"))
	}
	f.Fuzz(func(t *testing.T, kind uint8, in string) {
		for _, tg := range targets {
			tg.check(t, kind, in)
		}
	})
}

// urlSafe drops what a client cannot send in a request target.
func urlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == '#' || r >= 0x7f {
			return -1
		}
		return r
	}, s)
}

func (tg queryTarget) do(method, target, token, contentType string, body []byte) (*http.Response, []byte) {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	tg.s.App.Handler.ServeHTTP(w, req)
	return w.Result(), w.Body.Bytes()
}

func (tg queryTarget) check(t *testing.T, kind uint8, in string) {
	n := int(kind) % (len(queryRoutes) + 1)
	if n == len(queryRoutes) {
		free := tg.free[int(kind/16)%len(tg.free)]
		body := strings.NewReplacer("$SERIAL", free.Serial, "$OAK", free.OAK).Replace(in)
		target := "/api/v1/orgs/" + tg.org + "/devices/import"
		res, raw := tg.do("POST", target, tg.owner, "text/csv", []byte(body))
		tg.answer(t, "POST "+target, in, res, raw, []string{"csv"})
		return
	}
	rt := queryRoutes[n]
	token := tg.owner
	if strings.HasPrefix(rt.path, "/api/v1/vendor/") {
		token = tg.vendor
	}
	path := strings.ReplaceAll(rt.path, "{org}", tg.org)
	target := path + "?" + urlSafe(strings.ReplaceAll(in, "$DEVICE", tg.device))
	res, raw := tg.do("GET", target, token, "", nil)
	fields := strings.Fields(rt.params)
	sent, _ := url.ParseQuery(strings.SplitN(target, "?", 2)[1]) // what the server reads of it
	for k := range sent {
		// A value that is not text is refused on its own name, shown as
		// text (U+FFFD for a NUL and for bytes that are not UTF-8).
		fields = append(fields, k, strings.ReplaceAll(strings.ToValidUTF8(k, "\uFFFD"), "\x00", "\uFFFD"))
	}
	tg.answer(t, "GET "+target, in, res, raw, fields)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return
	}
	var page struct {
		Items      []json.RawMessage `json:"items"`
		NextCursor string            `json:"next_cursor"`
	}
	if err := json.Unmarshal(raw, &page); err != nil || page.Items == nil {
		t.Fatalf("GET %s: 200 is not a list: %v: %s", target, err, raw)
	}
	if page.NextCursor == "" {
		return
	}
	// The next page is there, with the same query.
	q, _ := url.ParseQuery(strings.SplitN(target, "?", 2)[1])
	q.Set("cursor", page.NextCursor)
	next := path + "?" + q.Encode()
	res, raw = tg.do("GET", next, token, "", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s (the next page of %s): %d %s", next, target, res.StatusCode, raw)
	}
}

// answer checks one answer: never 5xx; an error is JSON, its code maps to
// its status, and a 400 names one of fields.
func (tg queryTarget) answer(t *testing.T, what, in string, res *http.Response, raw []byte, fields []string) {
	t.Helper()
	switch {
	case res.StatusCode >= 500:
		t.Fatalf("%s (from %q): %d %s", what, in, res.StatusCode, raw)
	case res.StatusCode >= 400:
		var e edge.ErrorBody
		if err := json.Unmarshal(raw, &e); err != nil || e.Error.Message == "" ||
			edge.Status(errs.E(errs.Code(e.Error.Code), "")) != res.StatusCode {
			t.Fatalf("%s (from %q): %d is not a JSON error of that status: %s", what, in, res.StatusCode, raw)
		}
		if res.StatusCode == http.StatusBadRequest && !contains(fields, e.Error.Field) {
			t.Fatalf("%s (from %q): 400 on field %q, not one of %q: %s", what, in, e.Error.Field, fields, raw)
		}
	case res.StatusCode == http.StatusOK, res.StatusCode == http.StatusCreated:
	default:
		t.Fatalf("%s (from %q): %d %s", what, in, res.StatusCode, raw)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
