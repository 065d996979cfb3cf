package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"mysystems/internal/access"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// TestI18nDEV3_USR3_APIDetailsLanguage: with Accept-Language: fr the texts
// inside an error's details (the error of each line of a refused import, the
// reason of each refusal of a bulk removal) are French too; without it the
// answer is exactly the English one, and both have the same fields.
func TestI18nDEV3_USR3_APIDetailsLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner := e.User("owner@example.com")
		id, _ := e.Org(owner.Token, "Acme")
		call := func(method, path, contentType, lang, body string) (int, []byte, map[string]any) {
			t.Helper()
			return e.callIn(method, path, owner.Token, contentType, lang, body)
		}
		texts := func(details any, list, field string) []string {
			t.Helper()
			items, _ := details.(map[string]any)[list].([]any)
			var out []string
			for _, it := range items {
				s, _ := it.(map[string]any)[field].(string)
				out = append(out, s)
			}
			return out
		}
		viewer := e.Member(id, "viewer@example.com", access.Viewer)
		for _, c := range []struct {
			name, path, contentType, body string
			status                        int
			list, field                   string
			en, fr                        []string
		}{
			{"DEV-3/import lines", "/api/v1/orgs/" + id + "/devices/import", "text/csv", "serial,oak,folder\nAB!,1234,\nACCC8E000001,1234,Nowhere\nACCC8E000002,1234,\n", 400,
				"lines", "error",
				[]string{"a serial number is 6 to 32 letters and digits", `folder "Nowhere" not found (in Default)`,
					"the serial number and owner authentication key (OAK) do not match a device that can be claimed"},
				// The root folder's name is the English creator's "Default".
				[]string{"un numéro de série fait 6 à 32 lettres et chiffres", "dossier « Nowhere » introuvable (dans Default)",
					"le numéro de série et la clé d'authentification du propriétaire (OAK) ne correspondent à aucun périphérique qui puisse être revendiqué"}},
			{"USR-3/refusals", "/api/v1/orgs/" + id + "/members/remove", "application/json", `{"user_ids":["` + owner.ID + `","usr_ghost","` + viewer.ID + `"]}`, 409,
				"refused", "reason",
				[]string{"not a member of this organization", "an organization must keep at least one owner: make another member owner first"},
				[]string{"pas membre de cette organisation", "une organisation doit garder au moins un propriétaire : nommez d'abord un autre membre propriétaire"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				status, enBody, en := call("POST", c.path, c.contentType, "", c.body)
				if status != c.status {
					t.Fatalf("got %d, want %d: %s", status, c.status, enBody)
				}
				if got := texts(en["details"], c.list, c.field); !reflect.DeepEqual(got, c.en) {
					t.Errorf("English %s: got %q, want %q", c.field, got, c.en)
				}
				for _, lang := range []string{"en-GB,en;q=0.9", "de"} {
					if _, b, _ := call("POST", c.path, c.contentType, lang, c.body); !bytes.Equal(b, enBody) {
						t.Errorf("Accept-Language %q: the answer is not the English one:\n%s\nwant\n%s", lang, b, enBody)
					}
				}
				status, frBody, fr := call("POST", c.path, c.contentType, "fr-FR,fr;q=0.9", c.body)
				if status != c.status {
					t.Fatalf("French: got %d, want %d: %s", status, c.status, frBody)
				}
				if got := texts(fr["details"], c.list, c.field); !reflect.DeepEqual(got, c.fr) {
					t.Errorf("French %s: got %q, want %q", c.field, got, c.fr)
				}
				if !reflect.DeepEqual(shape(en), shape(fr)) {
					t.Errorf("the French answer has the shape %v, the English %v", shape(fr), shape(en))
				}
			})
		}
	})
}

// callIn sends a raw body with Accept-Language: lang (none when empty) and
// returns the status, the answer and its decoded "error".
func (e *env) callIn(method, path, token, contentType, lang, body string) (int, []byte, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out struct {
		Error map[string]any `json:"error"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
	}
	return res.StatusCode, b, out.Error
}

// shape is a JSON value with every string replaced by "": what must not
// change between languages.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range x {
			out[k] = shape(v)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			out[i] = shape(v)
		}
		return out
	case string:
		return ""
	}
	return v
}
