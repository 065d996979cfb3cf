package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mysystems/internal/access"
)

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
