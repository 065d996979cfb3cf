package httpapi_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"mysystems/internal/harness"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// TestAUD1_AuditCSVAndFilters: the API's CSV keeps the raw codes and adds
// the English sentence; its filters read like the web's (spaces trimmed, an
// until date taking its whole day, groups of actions, a bad cursor refused).
func TestAUD1_AuditCSVAndFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tok, _ := e.user("csv@example.com")
		id := e.org(tok, "Old name")
		if r := e.call("PATCH", "/api/v1/orgs/"+id, tok, map[string]any{"name": "=New name"}); r.Status != 200 {
			t.Fatalf("rename: %d %s", r.Status, r.Body)
		}
		r := e.call("GET", "/api/v1/orgs/"+id+"/audit?format=csv&action=%20org.update%20", tok, nil)
		rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("CSV: %v %q", err, r.Body)
		}
		if h := strings.Join(rows[0], ","); h != "id,time,actor_kind,actor_id,actor_email,client_addr,action,target_type,target_id,details,sentence" {
			t.Errorf("header %s", h)
		}
		if got, want := rows[1][len(rows[1])-1], " renamed the organization =New name (was Old name)"; rows[1][6] != "org.update" || !strings.HasSuffix(got, want) {
			t.Errorf("row %v, want the sentence %q", rows[1], want)
		}
		// AUD-1: the sentence in the language the request asks for.
		if r := e.CallIn("GET", "/api/v1/orgs/"+id+"/audit?format=csv&action=org.update", tok, "fr-FR,fr;q=0.9", nil); !strings.Contains(string(r.Body), " a renommé l'organisation =New name") {
			t.Errorf("French CSV: %s", r.Body)
		}
		today := harness.T0.Format("2006-01-02") // the harness's clock
		before := harness.T0.AddDate(0, 0, -1).Format("2006-01-02")
		for q, n := range map[string]int{"until=" + today: 2, "until=%20" + today + "%20": 2, "action=org.create,org.update": 2,
			"action=folder.,member.": 0, "until=" + before: 0} {
			r := e.call("GET", "/api/v1/orgs/"+id+"/audit?"+q, tok, nil)
			if got := len(r.JSON["items"].([]any)); r.Status != 200 || got != n {
				t.Errorf("%s: got %d %d entries, want %d", q, r.Status, got, n)
			}
		}
		e.want(e.call("GET", "/api/v1/orgs/"+id+"/audit?cursor="+strings.Repeat("x", 600), tok, nil), 400, "invalid")
	})
}
