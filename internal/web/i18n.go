package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
)

// The catalogues: one flat JSON object per language, key → text. A text
// with arguments uses fmt verbs with explicit indexes (%[1]s) so that a
// translation can reorder them.
//
//go:embed i18n/*.json
var i18nFS embed.FS

// langs are the languages of the UI, the default first.
var langs = []string{"en", "fr"}

var catalogues = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range langs {
		b, err := i18nFS.ReadFile("i18n/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("i18n/%s.json: %v", l, err))
		}
		out[l] = m
	}
	return out
}()

// hasKey reports whether key is in the default catalogue.
func hasKey(key string) bool {
	_, ok := catalogues[langs[0]][key]
	return ok
}

// translate returns the text of key in lang, formatted with args. A missing
// key shows itself (and fails the catalogue test), never an empty string.
func translate(lang, key string, args ...any) string {
	s, ok := catalogues[lang][key]
	if !ok {
		if s, ok = catalogues[langs[0]][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// catalogueKeys returns the sorted keys of lang's catalogue (for tests).
func catalogueKeys(lang string) []string {
	var out []string
	for k := range catalogues[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// t translates in the request's language.
func (c *call) t(key string, args ...any) string { return translate(c.lang, key, args...) }
