package audit_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mysystems/internal/audit"
	"mysystems/internal/device"
)

// actionConstants reads the string constants of actions.go: name → code.
func actionConstants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "actions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					if bl, ok := vs.Values[i].(*ast.BasicLit); ok && bl.Kind == token.STRING {
						out[n.Name], _ = strconv.Unquote(bl.Value)
					}
				}
			}
		}
	}
	if len(out) < 15 {
		t.Fatalf("actions.go has only %d action constants", len(out))
	}
	return out
}

// Every action code the product writes has a place in a filter group (and
// so a label and a sentence, checked with the catalogues in internal/web).
func TestAUD1_EveryWrittenActionIsKnown(t *testing.T) {
	written := map[string]bool{}
	lit := regexp.MustCompile(`Action:\s*"([a-z_.]*[a-z_])"`) // "device." + type: below
	named := regexp.MustCompile(`Action:\s*audit\.([A-Z]\w*)`)
	consts := actionConstants(t)
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			written[m[1]] = true
		}
		for _, m := range named.FindAllStringSubmatch(string(b), -1) {
			v, ok := consts[m[1]]
			if !ok {
				t.Errorf("%s writes the action audit.%s, which is no string constant of actions.go", path, m[1])
			}
			written[v] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Commands are written as "device." + their type.
	for _, c := range []string{device.CmdReboot, device.CmdIdentify, device.CmdAccountCreate, device.CmdAccountPassword, device.CmdAccountDelete} {
		written["device."+c] = true
	}
	if len(written) < 15 {
		t.Fatalf("found only %d action codes in the sources: is the pattern still right?", len(written))
	}
	known := audit.Actions()
	for a := range written {
		if !slices.Contains(known, a) {
			t.Errorf("%s is written but in no group of audit.Groups", a)
		}
	}
	for name, v := range consts {
		if !slices.Contains(known, v) {
			t.Errorf("audit.%s (%s) is in no group of audit.Groups", name, v)
		}
	}
	seen := map[string]bool{}
	for _, a := range known {
		if seen[a] {
			t.Errorf("%s is in two groups", a)
		}
		seen[a] = true
	}
}

func TestAUD1_GroupFilter(t *testing.T) {
	for _, g := range audit.Groups {
		got := g.Filter()
		want := map[string]string{"org": "org.", "folder": "folder.", "device.account": "device.account.", "upgrade": "upgrade.", "rollout": "rollout.", "server": "server.", "account": "account.", "license": "license.",
			"member": "member.update,member.remove,invitation.create,invitation.revoke,invitation.accept",
			"device": "device.claim,device.update,device.remove,device.reboot,device.identify,device.command_result"}[g.Name]
		if got != want {
			t.Errorf("%s: got %q, want %q", g.Name, got, want)
		}
	}
}

// en is a stand-in catalogue: the key and its arguments.
func en(key string, args ...any) string {
	if len(args) == 0 {
		return key
	}
	return key + fmt.Sprint(args...)
}

func TestAUD1_Describe(t *testing.T) {
	admin := audit.Actor{Kind: audit.KindUser, ID: "usr_1", Email: "admin@example.com"}
	names := audit.Names{{Type: "user", ID: "usr_1"}: "Demo Admin", {Type: "device", ID: "dev_1"}: "Lobby cam 1",
		{Type: "folder", ID: "fld_1"}: "Lobby", {Type: audit.FormerMember, ID: "usr_2"}: "Olivia"}
	for _, c := range []struct {
		name string
		e    audit.Entry
		key  string
		args []any
	}{
		{"rename", audit.Entry{Actor: admin, Action: "device.update", TargetType: "device", TargetID: "dev_1",
			Details: map[string]any{"name": map[string]any{"from": "I8116-E 226", "to": "Lobby cam 1"}}},
			"audit.say.device.update.name", []any{"Demo Admin", audit.Target{Ref: audit.Ref{Type: "device", ID: "dev_1"}, Name: "Lobby cam 1", Exists: true}, "I8116-E 226"}},
		{"removed device named from its details", audit.Entry{Actor: audit.Actor{Kind: audit.KindUser, ID: "usr_9", Email: "x@example.com"},
			Action: "device.remove", TargetType: "device", TargetID: "dev_2", Details: map[string]any{"name": "Old", "serial": "S1"}},
			"audit.say.device.remove", []any{"x@example.com", audit.Target{Ref: audit.Ref{Type: "device", ID: "dev_2"}, Name: "Old (S1)"}}},
		{"former member", audit.Entry{Actor: admin, Action: "member.remove", TargetType: "user", TargetID: "usr_2",
			Details: map[string]any{"role": "viewer"}},
			"audit.say.member.remove", []any{"Demo Admin", audit.Target{Ref: audit.Ref{Type: "user", ID: "usr_2"}, Name: "Olivia"}}},
		{"unknown", audit.Entry{Actor: audit.System("job"), Action: "x.y", TargetType: "thing", TargetID: "t1"},
			"audit.say.other", []any{audit.Phrase{Key: "audit.actor.system"}, audit.Target{Ref: audit.Ref{Type: "thing", ID: "t1"}}, "x.y"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := audit.Describe(c.e, names)
			if d.Sentence.Key != c.key || fmt.Sprint(d.Sentence.Args) != fmt.Sprint(c.args) {
				t.Errorf("got %s %v, want %s %v", d.Sentence.Key, d.Sentence.Args, c.key, c.args)
			}
		})
	}
	d := audit.Describe(audit.Entry{Actor: admin, Action: "folder.update", TargetType: "folder", TargetID: "fld_1",
		Details: map[string]any{"name": map[string]any{"from": "A", "to": "Lobby"}, "parent": map[string]any{"from": "R", "to": "R / HQ"}}}, names)
	if d.Sentence.Key != "audit.say.folder.update" || len(d.Lines) != 2 || d.Lines[0].From != "A" || d.Lines[1].To != "R / HQ" {
		t.Errorf("rename and move: got %+v", d)
	}
	if got := d.Text(en); !strings.Contains(got, "Demo Admin") || !strings.Contains(got, "Lobby") {
		t.Errorf("Text: got %q", got)
	}
}
