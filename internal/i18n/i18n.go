// Package i18n holds the product's message catalogues (English and French)
// and translates a message key into a language. It is a leaf: it imports
// nothing of ours, so the domain's errors (internal/errs) and every adapter
// can use it.
//
// The catalogues are one JSON object per language (en.json, fr.json), key →
// text, read by github.com/nicksnyder/go-i18n, whose CLDR plural rules pick a
// text's plural form. Conventions:
//
//   - A text with arguments uses fmt verbs with explicit indexes (%[1]s,
//     %[2]d) so that a translation can reorder them; both languages use the
//     same verbs (a test checks it).
//   - A plural text is an object of CLDR plural forms instead of a string,
//     e.g. {"one": "%[1]d device", "other": "%[1]d devices"}. Its form is
//     chosen by its first argument of an integer type (int, int64 …): the
//     count, shown with %[n]d. Pass any other number that comes before the
//     count as a string or a float. Every plural text has the forms "one"
//     and "other" in every language (the CLDR forms of English and French).
//   - An argument that implements Text (such as Key) is itself translated into
//     the target language before it is formatted, so that a message can name
//     a role, a state or another message in the reader's language.
//   - Keys are dotted and grouped by area: "devices.title" for the web UI's
//     words, "err.folder.not_empty" for the errors of internal/errs.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

//go:embed *.json
var files embed.FS

// Default is the language of the product when nothing else is known: the
// language of the API's messages and of logs.
const Default = "en"

// Langs are the languages of the product, the default first.
var Langs = []string{"en", "fr"}

// Text is an argument that translates itself.
type Text interface {
	In(lang string) string
}

// Key is a message key used as an argument: it is shown translated.
type Key string

// In returns the key's text in lang.
func (k Key) In(lang string) string { return T(lang, string(k)) }

// Quoted is a value (a name, an address) shown in quotes: Go's %q in
// English, as the messages always did, the language's own quotes elsewhere.
type Quoted string

// In returns the value quoted for lang.
func (q Quoted) In(lang string) string {
	if lang == Default || !IsLang(lang) {
		return strconv.Quote(string(q))
	}
	return T(lang, "quote.open") + string(q) + T(lang, "quote.close")
}

// Message is a key with its arguments, shown translated: an argument that
// is a whole message (e.g. the reasons listed in a refusal).
type Message struct {
	Key  string
	Args []any
}

// In returns the message's text in lang.
func (m Message) In(lang string) string { return T(lang, m.Key, m.Args...) }

var (
	bundle     = goi18n.NewBundle(language.English)
	raw        = map[string]map[string]any{} // lang → key → string or map of plural forms
	localizers = map[string]*goi18n.Localizer{}
)

func init() {
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, l := range Langs {
		b, err := files.ReadFile(l + ".json")
		if err != nil {
			panic(err)
		}
		if _, err := bundle.ParseMessageFileBytes(b, l+".json"); err != nil {
			panic(fmt.Sprintf("i18n/%s.json: %v", l, err))
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("i18n/%s.json: %v", l, err))
		}
		raw[l] = m
		localizers[l] = goi18n.NewLocalizer(bundle, l)
	}
}

// IsLang reports whether s is one of Langs.
func IsLang(s string) bool {
	_, ok := raw[s]
	return ok
}

// Has reports whether key is in the default catalogue.
func Has(key string) bool {
	_, ok := raw[Default][key]
	return ok
}

// T returns the text of key in lang, formatted with args (see the package
// documentation for plural texts and translated arguments). A key missing
// from lang falls back to the default language; a key missing everywhere
// shows itself (and fails the catalogue tests), never an empty string.
func T(lang, key string, args ...any) string {
	loc, ok := localizers[lang]
	if !ok {
		lang, loc = Default, localizers[Default]
	}
	if !Has(key) {
		return key
	}
	lc := &goi18n.LocalizeConfig{MessageID: key, TemplateParser: template.IdentityParser{}}
	for _, a := range args {
		if isCount(a) {
			lc.PluralCount = a
			break
		}
	}
	s, err := loc.Localize(lc)
	if err != nil && s == "" {
		return key
	}
	if len(args) == 0 || !strings.Contains(s, "%") {
		return s // e.g. a plural form that does not show its count
	}
	shown := make([]any, len(args))
	for i, a := range args {
		if t, ok := a.(Text); ok {
			a = t.In(lang)
		}
		shown[i] = a
	}
	return fmt.Sprintf(s, shown...)
}

func isCount(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	}
	return false
}

// Match picks the language of an Accept-Language header: the most preferred
// one the catalogues have (French for fr, fr-CA …), English when none is.
// Quality values are honoured only to skip q=0.
func Match(header string) string {
	if l := Asked(header); l != "" {
		return l
	}
	return Default
}

// Asked returns the first language of the catalogues that an Accept-Language
// header asks for, or "" when it asks for none of them (or is empty): then
// the person's own preference applies.
func Asked(header string) string {
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		if strings.ReplaceAll(strings.TrimSpace(params), " ", "") == "q=0" {
			continue
		}
		for _, l := range Langs {
			if tag == l || strings.HasPrefix(tag, l+"-") {
				return l
			}
		}
	}
	return ""
}

// Keys returns the sorted keys of lang's catalogue.
func Keys(lang string) []string {
	out := make([]string, 0, len(raw[lang]))
	for k := range raw[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Forms returns the texts of key in lang by plural form: {"other": text}
// for a plain text, every form for a plural one; nil for a missing key.
func Forms(lang, key string) map[string]string {
	switch v := raw[lang][key].(type) {
	case string:
		return map[string]string{"other": v}
	case map[string]any:
		out := map[string]string{}
		for f, s := range v {
			if s, ok := s.(string); ok {
				out[f] = s
			}
		}
		return out
	}
	return nil
}

// IsPlural reports whether key's default text has plural forms.
func IsPlural(key string) bool {
	_, ok := raw[Default][key].(map[string]any)
	return ok
}
