package web

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

	"mysystems/internal/access"
)

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	en, fr := catalogueKeys("en"), catalogueKeys("fr")
	if len(en) == 0 {
		t.Fatal("the English catalogue is empty")
	}
	for _, k := range en {
		if _, ok := catalogues["fr"][k]; !ok {
			t.Errorf("fr.json lacks %q", k)
		}
	}
	for _, k := range fr {
		if _, ok := catalogues["en"][k]; !ok {
			t.Errorf("en.json lacks %q", k)
		}
	}
	verbs := regexp.MustCompile(`%\[\d+\][a-z]`)
	for _, k := range en {
		for _, l := range langs {
			if strings.TrimSpace(catalogues[l][k]) == "" {
				t.Errorf("%s.json: %q is empty", l, k)
			}
		}
		a, b := verbs.FindAllString(catalogues["en"][k], -1), verbs.FindAllString(catalogues["fr"][k], -1)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%q: English has arguments %v, French %v", k, a, b)
		}
	}
}

// templateKey finds {{t "key" …}} and (t "key" …) in templates.
var templateKey = regexp.MustCompile(`[{(\s]t\s+"([^"]+)"`)

func TestTemplateKeysExist(t *testing.T) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	for _, f := range files {
		b, err := templateFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
			used++
			if !hasKey(m[1]) {
				t.Errorf("%s uses %q, which is not in the catalogues", f, m[1])
			}
		}
	}
	if used < 50 {
		t.Fatalf("found only %d translated strings in templates: is the pattern still right?", used)
	}
}

// TestGoKeysExist checks the keys that Go code passes to the catalogue:
// every string literal in the package's sources that is shaped like a key
// and starts with one of the catalogue's namespaces.
func TestGoKeysExist(t *testing.T) {
	spaces := map[string]bool{}
	for _, k := range catalogueKeys("en") {
		spaces[strings.SplitN(k, ".", 2)[0]] = true
	}
	keyShape := regexp.MustCompile(`^[a-z]+(\.[a-z0-9_]+)+$`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	used := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !keyShape.MatchString(s) || !spaces[strings.SplitN(s, ".", 2)[0]] {
				return true
			}
			used++
			if !hasKey(s) {
				t.Errorf("%s uses %q, which is not in the catalogues", fset.Position(lit.Pos()), s)
			}
			return true
		})
	}
	if used < 15 {
		t.Fatalf("found only %d keys in Go code: is the pattern still right?", used)
	}
	// Keys built at run time.
	for _, r := range access.Roles {
		if !hasKey("role." + string(r)) {
			t.Errorf("no catalogue entry for role %q", r)
		}
	}
}

func TestFrenchUsesOrganisation(t *testing.T) {
	for k, v := range catalogues["fr"] {
		low := strings.ToLower(v)
		if strings.Contains(low, "organization") || strings.Contains(low, "société") {
			t.Errorf("fr.json %q says %q: the French UI says \"organisation\"", k, v)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "/",
		"/":                         "/",
		"/orgs/org_1/settings":      "/orgs/org_1/settings",
		"/orgs/org_1/audit?a=b&c=d": "/orgs/org_1/audit?a=b&c=d",
		"//evil.example":            "/",
		"/\\evil.example":           "/",
		"https://evil.example/":     "/",
		"javascript:alert(1)":       "/",
		"evil.example":              "/",
		"/x\r\nSet-Cookie: a=b":     "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAcceptLang(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "en",
		"fr":                      "fr",
		"fr-CA,en;q=0.8":          "fr",
		"FR-fr":                   "fr",
		"en-GB,fr;q=0.9":          "en",
		"de-DE,fr;q=0.7,en;q=0.5": "fr",
		"de-DE":                   "en",
		"fr;q=0,en":               "en",
		"french":                  "en",
	} {
		if got := acceptLang(in); got != want {
			t.Errorf("acceptLang(%q) = %q, want %q", in, got, want)
		}
	}
}
