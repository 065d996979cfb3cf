package harness_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// root is the module's root directory.
const root = "../.."

var (
	// TestDEV3_ClaimWithOAK proves DEV-3; TestID1_ID2_Refusals proves both.
	topLevel = regexp.MustCompile(`(?m)^func Test((?:[A-Z]+\d+_)+)\w*\(`)
	ruleID   = regexp.MustCompile(`([A-Z]+)(\d+)_`)
	// t.Run("DEV-3/wrong OAK", …) or t.Run("DEV-3 wrong OAK", …).
	subtest = regexp.MustCompile(`\.Run\("([A-Z]+-\d+)[/ "]`)
)

// rules reads the rule ids of testdata/rules.txt.
func rules(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/rules.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			ids = append(ids, l)
		}
	}
	return ids
}

// goFiles calls fn with the path and text of every Go file of the module.
func goFiles(t *testing.T, fn func(path, text string)) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			fn(path, string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every rule of SPEC §1–§6 and §10 has a test named for it, so that
// `go test -run DEV3 ./...` (or -run /DEV-3 for subtests) finds its proof.
func TestEveryRuleHasATest(t *testing.T) {
	named := map[string][]string{}
	goFiles(t, func(path, text string) {
		if !strings.HasSuffix(path, "_test.go") {
			return
		}
		for _, m := range topLevel.FindAllStringSubmatch(text, -1) {
			for _, r := range ruleID.FindAllStringSubmatch(m[1], -1) {
				named[r[1]+"-"+r[2]] = append(named[r[1]+"-"+r[2]], path)
			}
		}
		for _, m := range subtest.FindAllStringSubmatch(text, -1) {
			named[m[1]] = append(named[m[1]], path)
		}
	})
	ids := rules(t)
	if len(ids) < 20 {
		t.Fatalf("testdata/rules.txt lists %d rules: it is not the list of SPEC's rules", len(ids))
	}
	for _, id := range ids {
		if len(named[id]) == 0 {
			t.Errorf("rule %s has no test named for it (TestXXXn_… or a subtest %q)", id, id+"/…")
		}
	}
	for id, paths := range named {
		if !slices.Contains(ids, id) && isListedFamily(id, ids) {
			t.Errorf("tests in %v are named for %s, which SPEC does not have", paths, id)
		}
	}
}

// isListedFamily reports whether id's prefix (DEV of DEV-9) is one of the
// listed sections, so that a test named for a rule that does not exist
// there is caught.
func isListedFamily(id string, ids []string) bool {
	fam, _, _ := strings.Cut(id, "-")
	return slices.ContainsFunc(ids, func(x string) bool { return strings.HasPrefix(x, fam+"-") })
}

// When SPEC.md is beside the repository (as in CI), the list matches it.
func TestRuleListMatchesSPEC(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "..", "shared", "SPEC.md"))
	if err != nil {
		t.Skip("no ../shared/SPEC.md beside the repository")
	}
	var want []string
	for _, m := range regexp.MustCompile(`(?m)^- ((?:ID|ORG|USR|ACC|DEV|GW|FW|SRV|AUD)-\d+) `).FindAllStringSubmatch(string(b), -1) {
		want = append(want, m[1])
	}
	if got := rules(t); !slices.Equal(got, want) {
		t.Errorf("testdata/rules.txt lists %v, SPEC has %v: regenerate it (see its header)", got, want)
	}
}

// Only tests import the harness.
func TestOnlyTestsImportTheHarness(t *testing.T) {
	goFiles(t, func(path, text string) {
		if !strings.HasSuffix(path, "_test.go") && !strings.HasPrefix(filepath.ToSlash(path), root+"/internal/harness/") &&
			strings.Contains(text, `"mysystems/internal/harness"`) {
			t.Errorf("%s imports internal/harness, which is for tests only", path)
		}
	})
}
