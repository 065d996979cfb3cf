package web

import "mysystems/internal/i18n"

// The catalogues live in internal/i18n; these are the web's short names.

// langs are the languages of the UI, the default first.
var langs = i18n.Langs

// catalogues is every plain text by language and key; a plural text shows
// as its "other" form (internal/i18n's tests check every form).
var catalogues = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range langs {
		m := map[string]string{}
		for _, k := range i18n.Keys(l) {
			m[k] = i18n.Forms(l, k)["other"]
		}
		out[l] = m
	}
	return out
}()

// hasKey reports whether key is in the default catalogue.
func hasKey(key string) bool { return i18n.Has(key) }

// translate returns the text of key in lang, formatted with args.
func translate(lang, key string, args ...any) string { return i18n.T(lang, key, args...) }

// catalogueKeys returns the sorted keys of lang's catalogue (for tests).
func catalogueKeys(lang string) []string { return i18n.Keys(lang) }

// t translates in the request's language.
func (c *call) t(key string, args ...any) string { return translate(c.lang, key, args...) }
