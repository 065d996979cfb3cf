package httpapi_test

import (
	"slices"
	"testing"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// TestI18nAPIMessageLanguage: the API's error answers keep their code and
// English message, and carry the message in French when the request says
// Accept-Language: fr; the JSON's shape does not change.
func TestI18nAPIMessageLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tok, _ := e.user("lea@example.com")
		call := func(method, path, lang, body string) (int, map[string]any) {
			t.Helper()
			status, _, out := e.callIn(method, path, tok, "application/json", lang, body)
			return status, out
		}
		for _, c := range []struct {
			name, method, path, body string
			status                   int
			code, en, fr             string
		}{
			{"MissingName", "POST", "/api/v1/orgs", `{}`, 400, "invalid", "name is required", "le nom est obligatoire"},
			{"UnknownOrg", "GET", "/api/v1/orgs/org_nope", ``, 404, "not_found", "organization org_nope not found", "l'organisation org_nope est introuvable"},
			{"UnknownField", "POST", "/api/v1/orgs", `{"name":"x","owner":"me"}`, 400, "invalid", `unknown field "owner"`, `champ inconnu "owner"`},
			{"WrongType", "POST", "/api/v1/orgs", `{"name":5}`, 400, "invalid", "field name must be a string", "le champ name doit être une chaîne"},
		} {
			t.Run(c.name, func(t *testing.T) {
				for _, l := range []struct{ header, want string }{
					{"", c.en}, {"en-GB,en;q=0.9", c.en}, {"de", c.en}, {"fr", c.fr}, {"fr-CA,fr;q=0.9,en;q=0.5", c.fr},
				} {
					status, body := call(c.method, c.path, l.header, c.body)
					if status != c.status || body["code"] != c.code || body["message"] != l.want {
						t.Errorf("Accept-Language %q: got %d %v, want %d %s %q", l.header, status, body, c.status, c.code, l.want)
					}
				}
				_, en := call(c.method, c.path, "", c.body)
				_, fr := call(c.method, c.path, "fr", c.body)
				if !slices.Equal(keys(en), keys(fr)) {
					t.Errorf("the French answer has the fields %v, the English %v", keys(fr), keys(en))
				}
			})
		}
	})
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
