// Package archtest holds the tests of the code's shape: which package may
// import which (docs/ARCHITECTURE.md, "Packages").
package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "mysystems"

// The packages of the module by kind. A new package must be put in one, so
// that the rules below say what it may import.
var (
	// domain: the product's rules and use cases.
	domain = []string{"access", "account", "org", "audit", "fleet", "mail", "jobs", "firmware", "upgrade", "acs", "license"}
	// protocol: what devices (and later ACS Pro servers) speak with the
	// portal; the simulator shares it with the gateway and the fleet.
	protocol = []string{"device"}
	// leaf: small utilities everything may use; they import only each other.
	// api, the wire types of /api/v1, is one too: httpapi and cli share it.
	leaf = []string{"errs", "clock", "i18n", "api", "text"}
	// adapter: the edges of the program (database, HTTP, devices, CLI) and
	// the wiring.
	adapter = []string{"store", "httpapi", "web", "gateway", "sim", "cli", "app", "edge"}
	// testing: helpers for tests only.
	testing_ = []string{"store/storetest", "testcert", "harness", "archtest"}
	// wiring: the packages allowed to import adapters besides edge.
	wiring = []string{"app", "cmd/mysystems"}
)

// pending are imports that break a rule today, each with what must happen
// for it to go. The test fails once one is no longer needed, so the list
// only shrinks.
var pending = map[[2]string]string{}

// rule says why from may not import to, or "" if it may.
func rule(from, to string) string {
	switch {
	case strings.HasPrefix(to, "cmd/"):
		return "nothing imports cmd"
	case in(from, leaf) && !in(to, leaf):
		return "a leaf package imports only other leaf packages"
	case in(from, protocol) && !in(to, leaf):
		return "the device protocol imports no domain package and no adapter"
	case in(from, domain) && (in(to, adapter) || in(to, testing_)):
		return "a domain package imports no adapter"
	case to == "api" && (in(from, domain) || in(from, protocol)):
		return "the API's JSON shapes are the API's and its client's: the domain and the device protocol do not know them"
	case (from == "sim" || from == "cli") && in(to, domain):
		return from + " imports no domain package: it speaks only the protocol or the API"
	case from == "cli" && !in(to, leaf):
		return "cli is a plain HTTP client of the API"
	case from == "edge" && !in(to, leaf):
		return "edge is a leaf of the HTTP edge: it imports only leaf packages"
	case in(from, adapter) && in(to, adapter) && to != "edge" && !in(from, wiring):
		return "an adapter imports no other adapter but edge; only app and cmd/mysystems wire them together"
	case !in(from, testing_) && in(to, testing_):
		return "only tests use the test helpers"
	}
	return ""
}

func in(p string, group []string) bool { return slices.Contains(group, p) }

func kinds() [][]string { return [][]string{domain, protocol, leaf, adapter, testing_, wiring} }

// imports returns, for each package of the module (path relative to the
// module, e.g. "fleet" for internal/fleet), the module packages its non-test
// files import.
func imports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			pkg := name(filepath.ToSlash(rel))
			if _, ok := out[pkg]; !ok {
				out[pkg] = nil
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if p == module || !strings.HasPrefix(p, module+"/") {
					continue
				}
				if to := name(strings.TrimPrefix(p, module+"/")); !slices.Contains(out[pkg], to) {
					out[pkg] = append(out[pkg], to)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// name shortens internal/x to x; cmd/... stays as it is.
func name(rel string) string { return strings.TrimPrefix(rel, "internal/") }

func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := imports(t, root)
	if len(pkgs["fleet"]) == 0 || len(pkgs["cmd/mysystems"]) == 0 {
		t.Fatalf("found no imports of fleet or cmd/mysystems under %s: wrong module root?", root)
	}
	used := map[[2]string]bool{}
	for from, tos := range pkgs {
		known := false
		for _, k := range kinds() {
			known = known || in(from, k)
		}
		if !known {
			t.Errorf("package %s is of no kind: add it to domain, protocol, leaf, adapter or testing in %s", from, "internal/archtest/imports_test.go")
		}
		for _, to := range tos {
			why := rule(from, to)
			if why == "" {
				continue
			}
			if _, ok := pending[[2]string{from, to}]; ok {
				used[[2]string{from, to}] = true
				continue
			}
			t.Errorf("%s imports %s: %s", from, to, why)
		}
	}
	for k, until := range pending {
		if !used[k] {
			t.Errorf("%s no longer imports %s (%s): remove the entry from pending", k[0], k[1], until)
		}
	}
}
