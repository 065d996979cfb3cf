package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var verbs = regexp.MustCompile(`%\[\d+\][a-zA-Z]`)

// TestI18nCataloguesMatch: every key of one catalogue is in the other, with
// the same arguments (fmt verbs) in every plural form, and every plural
// text has the forms "one" and "other" in both languages.
func TestI18nCataloguesMatch(t *testing.T) {
	en := Keys("en")
	if len(en) < 400 {
		t.Fatalf("the English catalogue has only %d keys", len(en))
	}
	for _, pair := range [][2]string{{"en", "fr"}, {"fr", "en"}} {
		for _, k := range Keys(pair[0]) {
			if Forms(pair[1], k) == nil {
				t.Errorf("%s.json lacks %q, which %s.json has", pair[1], k, pair[0])
			}
		}
	}
	uses := func(l, k string) []string { // the arguments of the "other" form, as often as it uses them
		v := verbs.FindAllString(Forms(l, k)["other"], -1)
		slices.Sort(v)
		return v
	}
	want := func(k string) []string { return slices.Compact(uses("en", k)) }
	for _, k := range en {
		plural := IsPlural(k)
		for _, l := range Langs {
			forms := Forms(l, k)
			if plural && (forms["one"] == "" || forms["other"] == "") {
				t.Errorf("%s.json: plural %q needs the forms one and other, has %v", l, k, forms)
			}
			if _, isPlural := raw[l][k].(map[string]any); isPlural != plural {
				t.Errorf("%s.json: %q is plural in one language only", l, k)
			}
			for f, s := range forms {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s.json: %q (%s) is empty", l, k, f)
				}
				got := verbs.FindAllString(s, -1)
				slices.Sort(got)
				got = slices.Compact(got)
				if !slices.Equal(got, want(k)) {
					t.Errorf("%s.json: %q (%s) has arguments %v, English %v", l, k, f, got, want(k))
				}
			}
			if !slices.Equal(uses(l, k), uses("en", k)) {
				t.Errorf("%s.json: %q uses the arguments %v, English %v", l, k, uses(l, k), uses("en", k))
			}
		}
	}
}

// TestI18nPluralForms: CLDR rules pick the form, by the first integer
// argument: French says "0 périphérique" and "1 périphérique", English
// "0 devices" and "1 device".
func TestI18nPluralForms(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 0, "0 devices inside A"},
		{"en", 1, "1 device inside A"},
		{"en", 43, "43 devices inside A"},
		{"fr", 0, "0 périphérique dans A"},
		{"fr", 1, "1 périphérique dans A"},
		{"fr", 43, "43 périphériques dans A"},
	} {
		if got := T(c.lang, "err.folder.has_devices", c.n, "A"); !strings.HasPrefix(got, c.want) {
			t.Errorf("T(%s, has_devices, %d) = %q, want it to start with %q", c.lang, c.n, got, c.want)
		}
	}
	// The count need not be the first argument.
	if got := T("fr", "err.name.too_long", Key("err.field.name"), 1); got != "le nom fait au plus 1 caractère" {
		t.Errorf("singular with the count second: %q", got)
	}
}

// TestI18nTranslatedArguments: a Key or Message argument is shown in the
// target language.
func TestI18nTranslatedArguments(t *testing.T) {
	if got := T("fr", "err.access.forbidden", Key("err.role.viewer"), Key("err.role.operator")); got != "votre rôle (observateur) ne le permet pas ; il faut être opérateur ou plus" {
		t.Errorf("fr: %q", got)
	}
	if got := T("en", "err.access.forbidden", Key("err.role.viewer"), Key("err.role.operator")); got != "your role (viewer) does not allow this; it needs operator or higher" {
		t.Errorf("en: %q", got)
	}
	if got := T("en", "err.unit.minutes", 1); got != "1 minute" {
		t.Errorf("en 1 minute: %q", got)
	}
	if got := (Message{Key: "err.unit.minutes", Args: []any{2}}).In("fr"); got != "2 minutes" {
		t.Errorf("fr 2 minutes: %q", got)
	}
}

func TestI18nFallbacks(t *testing.T) {
	if got := T("de", "err.folder.not_empty"); got != "the folder is not empty" {
		t.Errorf("unknown language: %q", got)
	}
	if got := T("fr", "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key: %q", got)
	}
	for in, want := range map[string]string{
		"": "en", "fr": "fr", "fr-CA,en;q=0.8": "fr", "de, fr;q=0.5": "fr", "fr;q=0, en": "en", "EN-gb": "en", "de": "en",
		"FR-fr": "fr", "en-GB,fr;q=0.9": "en", "de-DE,fr;q=0.7,en;q=0.5": "fr", "de-DE": "en", "fr;q=0,en": "en", "french": "en",
	} {
		if got := Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}

// keyFuncs are the calls whose argument at the index is a message key:
// the errs constructors and the translation functions.
var keyFuncs = map[string]int{
	"errs.E": 1, "errs.InvalidField": 1, "errs.NotFoundf": 0, "SetMessage": 0,
	"i18n.T": 1, "i18n.Key": 0, "T": 1, "Key": 0, "c.t": 0, "translate": 1, "c.flash": 0,
}

// TestI18nKeysInCodeExist scans the Go sources of the module for message
// keys: the key argument of the errs constructors (except internal errors,
// whose text is never shown) and of the translation functions, given as a
// string literal (or a literal prefix: "err.role."+role needs some key
// under err.role.), and fails for any that either catalogue lacks.
func TestI18nKeysInCodeExist(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	used := 0
	check := func(pos token.Pos, key string, prefix bool) {
		used++
		if prefix {
			for _, k := range Keys("en") {
				if strings.HasPrefix(k, key) {
					return
				}
			}
			t.Errorf("%s: no catalogue key starts with %q", fset.Position(pos), key)
			return
		}
		for _, l := range Langs {
			if Forms(l, key) == nil {
				t.Errorf("%s: %q is not in %s.json", fset.Position(pos), key, l)
			}
		}
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.CompositeLit); ok {
				if name(lit.Type) == "i18n.Message" || name(lit.Type) == "Message" {
					for _, el := range lit.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok && name(kv.Key) == "Key" {
							keyArg(kv.Value, check)
						}
					}
				}
				return true
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn := name(call.Fun)
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "SetMessage" {
				fn = "SetMessage"
			}
			i, ok := keyFuncs[fn]
			if !ok || i >= len(call.Args) {
				return true
			}
			if fn == "errs.E" && name(call.Args[0]) == "errs.Internal" {
				return true
			}
			keyArg(call.Args[i], check)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if used < 250 {
		t.Fatalf("found only %d keys in Go code: is the scan still right?", used)
	}
}

// templateKey finds {{t "key" …}} and (t "key" …) in templates.
var templateKey = regexp.MustCompile(`[{(\s]t\s+"([^"]+)"`)

// TestI18nKeysInTemplatesExist: every key the web templates translate is
// in both catalogues.
func TestI18nKeysInTemplatesExist(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "web", "templates", "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates found: %v", err)
	}
	used := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
			used++
			for _, l := range Langs {
				if Forms(l, m[1]) == nil {
					t.Errorf("%s uses %q, which is not in %s.json", f, m[1], l)
				}
			}
		}
	}
	if used < 200 {
		t.Fatalf("found only %d keys in templates: is the pattern still right?", used)
	}
}

// keyArg checks a key argument: a literal, or a literal prefix + something.
func keyArg(e ast.Expr, check func(token.Pos, string, bool)) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if s, err := strconv.Unquote(e.Value); err == nil && e.Kind == token.STRING {
			check(e.Pos(), s, false)
		}
	case *ast.BinaryExpr:
		if lit, ok := e.X.(*ast.BasicLit); ok && e.Op == token.ADD && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				check(lit.Pos(), s, true)
			}
		}
	}
}

// name renders a call's function or a type as "pkg.Name" or "x.y".
func name(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return name(e.X) + "." + e.Sel.Name
	}
	return ""
}

// TestI18nConcurrentUse: T is safe for concurrent use (run with -race).
func TestI18nConcurrentUse(t *testing.T) {
	done := make(chan bool)
	for i := range 8 {
		go func() {
			for n := range 200 {
				_ = T(Langs[(i+n)%len(Langs)], "err.folder.has_devices", n, "A")
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
}
