package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

type widget struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
}

// widgetServer answers GET /api/v1/orgs/ORG/widgets with five widgets, two a
// page by default, and records the queries it was sent.
type widgetServer struct {
	mu      sync.Mutex
	queries []url.Values
	// sameCursor makes every page point to the same next cursor.
	sameCursor bool
	// none makes the list empty.
	none bool
}

func (ws *widgetServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ws.mu.Lock()
	ws.queries = append(ws.queries, q)
	ws.mu.Unlock()
	if r.URL.Path != "/api/v1/orgs/org_1/widgets" {
		http.NotFound(w, r)
		return
	}
	var all []widget
	for i := range 5 {
		kind := "a"
		if i%2 == 1 {
			kind = "b"
		}
		if k := q.Get("kind"); !ws.none && (k == "" || k == kind) {
			all = append(all, widget{ID: fmt.Sprintf("w%d", i), Kind: kind})
		}
	}
	if q.Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprintln(w, "id,kind")
		for _, x := range all {
			fmt.Fprintf(w, "%s,%s\n", x.ID, x.Kind)
		}
		return
	}
	from, _ := strconv.Atoi(strings.TrimPrefix(q.Get("cursor"), "c"))
	size := 2
	if n, err := strconv.Atoi(q.Get("limit")); err == nil {
		size = n
	}
	to := min(from+size, len(all))
	p := struct {
		Items      []widget `json:"items"`
		NextCursor string   `json:"next_cursor"`
	}{Items: all[min(from, len(all)):to]}
	if to < len(all) {
		p.NextCursor = "c" + strconv.Itoa(to)
	}
	if ws.sameCursor {
		p.NextCursor = "c1"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(p)
}

var widgetsList = listCommand[widget]{
	name:     "widgets list",
	synopsis: "ORG",
	args:     1,
	path:     func(pos []string) string { return pathf("/api/v1/orgs/%s/widgets", pos[0]) },
	filters:  []listFilter{{name: "kind", help: "only this kind"}, {name: "sort", help: "order", orders: true}},
	paged:    true,
	noun:     "widgets",
	allLimit: "100",
	csv:      "every matching widget",
	empty: func(_ []string, narrowed bool) string {
		if narrowed {
			return "No widget matches."
		}
		return "No widgets."
	},
	head: []string{"ID", "KIND"},
	row:  func(w widget, _ map[string]string) []string { return []string{clean(w.ID), clean(w.Kind)} },
}

func runWidgets(t *testing.T, ws *widgetServer, args ...string) (out, errOut string, err error) {
	t.Helper()
	srv := httptest.NewServer(ws)
	t.Cleanup(srv.Close)
	env := map[string]string{"MYSYSTEMS_SERVER": srv.URL, "MYSYSTEMS_TOKEN": "tok", "MYSYSTEMS_CONFIG_DIR": t.TempDir()}
	var o, e bytes.Buffer
	ev := newEnv(strings.NewReader(""), &o, &e, func(k string) string { return env[k] })
	err = widgetsList.run(t.Context(), ev, args)
	return o.String(), e.String(), err
}

func TestListCommand(t *testing.T) {
	t.Run("OK/one page", func(t *testing.T) {
		ws := &widgetServer{}
		out, errOut, err := runWidgets(t, ws, "org_1")
		if err != nil {
			t.Fatal(err)
		}
		if want := "ID  KIND\nw0  a\nw1  b\n"; out != want {
			t.Errorf("got %q, want %q", out, want)
		}
		if want := "More widgets: add --all, or --cursor c2 for the next page.\n"; errOut != want {
			t.Errorf("stderr: got %q, want %q", errOut, want)
		}
	})
	t.Run("OK/all pages", func(t *testing.T) {
		ws := &widgetServer{}
		out, errOut, err := runWidgets(t, ws, "org_1", "--all", "--limit", "2")
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(out, "\n"); n != 6 || errOut != "" {
			t.Errorf("got %d lines %q, stderr %q; want a header and 5 rows, no hint", n, out, errOut)
		}
		var cursors []string
		for _, q := range ws.queries {
			if q.Get("limit") != "2" {
				t.Errorf("query %v: want limit=2", q)
			}
			cursors = append(cursors, q.Get("cursor"))
		}
		if got := strings.Join(cursors, ","); got != ",c2,c4" {
			t.Errorf("cursors sent: got %q, want \",c2,c4\"", got)
		}
	})
	t.Run("OK/all asks for large pages", func(t *testing.T) {
		ws := &widgetServer{}
		out, _, err := runWidgets(t, ws, "org_1", "--all", "--json")
		if err != nil {
			t.Fatal(err)
		}
		var p page
		if err := json.Unmarshal([]byte(out), &p); err != nil || len(p.Items) != 5 || p.NextCursor != "" {
			t.Errorf("--all --json: got %q (%v), want 5 items and no cursor", out, err)
		}
		if len(ws.queries) != 1 || ws.queries[0].Get("limit") != "100" {
			t.Errorf("queries %v: want one, with limit=100", ws.queries)
		}
	})
	t.Run("OK/filters and CSV", func(t *testing.T) {
		ws := &widgetServer{}
		out, _, err := runWidgets(t, ws, "org_1", "--csv", "--kind", "b")
		if err != nil {
			t.Fatal(err)
		}
		if want := "id,kind\nw1,b\nw3,b\n"; out != want {
			t.Errorf("got %q, want %q", out, want)
		}
		if q := ws.queries[0]; q.Get("format") != "csv" || q.Get("kind") != "b" || q.Has("limit") {
			t.Errorf("query %v: want format=csv and kind=b, no limit", q)
		}
	})
	t.Run("OK/empty", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"org_1"}, "No widgets.\n"},
			{[]string{"org_1", "--sort", "id"}, "No widgets.\n"},
			{[]string{"org_1", "--kind", "a"}, "No widget matches.\n"},
			{[]string{"org_1", "--cursor", "c9"}, "No widget matches.\n"},
		} {
			out, errOut, err := runWidgets(t, &widgetServer{none: true}, c.args...)
			if err != nil || out != "" || errOut != c.want {
				t.Errorf("%v: got %q, stderr %q (%v); want stderr %q", c.args, out, errOut, err, c.want)
			}
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"org_1", "--csv", "--all"}, "--csv exports every matching widget: --limit, --cursor and --all do not apply"},
			{[]string{"org_1", "--csv", "--json"}, "--csv and --json do not go together"},
			{[]string{"org_1", "--limit", "-1"}, "--limit must be a positive number"},
			{[]string{}, "missing argument"},
		} {
			e := newEnv(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" })
			err := widgetsList.run(t.Context(), e, c.args)
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(ue.msg, c.want) {
				t.Errorf("%v: got %v, want a usage error %q", c.args, err, c.want)
			}
		}
	})
	t.Run("ErrSameCursor", func(t *testing.T) {
		_, _, err := runWidgets(t, &widgetServer{sameCursor: true}, "org_1", "--all")
		if err == nil || !strings.Contains(err.Error(), "same cursor twice") {
			t.Errorf("got %v, want the repeated cursor refused", err)
		}
	})
}
