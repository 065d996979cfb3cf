package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mysystems/internal/cli"
)

// helpCommands are the commands of the binary itself (server, database,
// vendor, simulator, benchmarks); the client's come from cli.Usage.
var helpCommands = []string{
	"serve", "demo", "migrate",
	"vendor", "vendor token", "vendor restore", "vendor outbox",
	"vendor devices", "vendor devices mint",
	"vendor firmware", "vendor firmware publish", "vendor firmware withdraw",
	"vendor acs", "vendor acs publish",
	"vendor products", "vendor products add", "vendor products list",
	"vendor keys", "vendor keys issue",
	"sim",
	"bench", "bench fleet", "bench servers",
	"bench upgrades", "bench upgrades dispatch", "bench upgrades cycle", "bench upgrades download", "bench upgrades window",
}

// clientCommands lists the client's commands from its usage: the words
// after "mysystems" up to the first argument or flag.
func clientCommands(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(cli.Usage, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "mysystems ")
		if !ok {
			continue
		}
		rest, _, _ = strings.Cut(rest, "  ") // the description column
		var words []string
		for _, w := range strings.Fields(rest) {
			if !regexp.MustCompile(`^[a-z][a-z-]*$`).MatchString(w) {
				break
			}
			words = append(words, w)
		}
		if name := strings.Join(words, " "); name != "" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	if len(out) < 30 {
		t.Fatalf("only %d client commands found in cli.Usage: %v", len(out), out)
	}
	return out
}

// helpOf runs `mysystems NAME --help` and returns what it printed.
func helpOf(t *testing.T, name string) string {
	t.Helper()
	var out, errb bytes.Buffer
	args := append(strings.Fields(name), "--help")
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, env(map[string]string{"MYSYSTEMS_DATA_DIR": t.TempDir()}))
	if code != 0 {
		t.Errorf("mysystems %s --help: exit %d\n%s%s", name, code, out.String(), errb.String())
	}
	return out.String() + errb.String()
}

// TestHelp_EveryCommandNamesItself (GW-4, the CLI of SPEC §1): every
// command's --help exits 0 and its usage line names the command as one types
// it ("usage: mysystems demo …"), not another one's ("Usage of serve").
func TestHelp_EveryCommandNamesItself(t *testing.T) {
	for _, name := range append(helpCommands, clientCommands(t)...) {
		help := helpOf(t, name)
		first, _, _ := strings.Cut(strings.TrimSpace(help), "\n")
		if !strings.Contains(strings.ToLower(help), "usage: mysystems "+name) {
			t.Errorf("mysystems %s --help does not say \"usage: mysystems %s\"; it begins %q", name, name, first)
		}
		if strings.Contains(help, "Usage of ") {
			t.Errorf("mysystems %s --help: Go's default usage line %q", name, first)
		}
	}
}

// workWords are ways of speaking about how the product was made rather than
// about the product: numbered issues or findings, working sessions,
// helpers, who measured what, "we".
var workWords = regexp.MustCompile(`(?i)\bissues?\s*#?\d|\bissue's|\bfindings?\s*#?\d|\b(this|previous|earlier|working|last|next|second|first|helper) sessions?\b|\bsessions?\s*#?\d|\bhelpers?\b|\bwho measured|\bmeasured by\b|\bwe\b|\bour\b|\bus\b|\bsandbox\b|\bthe brief\b|\bother work\b|\bthis morning\b`)

// testHelpers is the one use of "helper" that is about the product's code:
// its test helpers.
var testHelpers = regexp.MustCompile(`(?i)\btest helpers?\b`)

// workWord returns the first work word of line, or "".
func workWord(line string) string {
	return workWords.FindString(testHelpers.ReplaceAllString(line, ""))
}

// TestHelp_SpeaksAboutTheProduct: no help text speaks about the work that
// made the product (issues, sessions, helpers, who measured): only about
// the product.
func TestHelp_SpeaksAboutTheProduct(t *testing.T) {
	texts := map[string]string{"mysystems": helpOf(t, "help"), "mysystems help client": helpOf(t, "help client")}
	for _, name := range append(helpCommands, clientCommands(t)...) {
		texts["mysystems "+name] = helpOf(t, name)
	}
	for name, text := range texts {
		for _, line := range strings.Split(text, "\n") {
			if w := workWord(line); w != "" {
				t.Errorf("%s --help says %q: %s", name, w, strings.TrimSpace(line))
			}
		}
	}
}

// TestHelp_WorkWordsCaught: the word list catches what it is for and lets
// the product's own words through.
func TestHelp_WorkWordsCaught(t *testing.T) {
	for _, bad := range []string{"issue 4's figures", "see issue #12", "figures of the previous session", "as we measured",
		"the helper's run", "who measured it", "session 3", "while other work kept the load high"} {
		if workWord(bad) == "" {
			t.Errorf("%q not caught", bad)
		}
	}
	for _, good := range []string{"end the session and forget the saved token", "the API call that sends a command",
		"sign in and save the session token", "open sessions and tokens", "only tests use the test helpers",
		"Finding a rule's code"} {
		if w := workWord(good); w != "" {
			t.Errorf("%q caught (%q)", good, w)
		}
	}
}

// TestHelp_DocsSpeakAboutTheProduct: the README and the documentation speak
// to users and operators about the product, never about the work that made
// it; benchmark figures say when and at which commit they were measured,
// not who measured them.
func TestHelp_DocsSpeakAboutTheProduct(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	for _, path := range append(docs, filepath.Join("..", "..", "README.md")) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if w := workWord(line); w != "" {
				t.Errorf("%s:%d says %q: %s", filepath.Base(path), i+1, w, strings.TrimSpace(line))
			}
		}
	}
}
