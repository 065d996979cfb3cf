package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLocaleLang(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{nil, ""},
		{map[string]string{"LANG": "fr_FR.UTF-8"}, "fr"},
		{map[string]string{"LANG": "fr"}, "fr"},
		{map[string]string{"LANG": "fr_CA"}, "fr"},
		{map[string]string{"LANG": "de_DE@euro"}, "de"},
		{map[string]string{"LANG": "en_US.UTF-8"}, "en"},
		{map[string]string{"LANG": "C.UTF-8"}, ""},
		{map[string]string{"LANG": "POSIX"}, ""},
		{map[string]string{"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en"},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, "fr"},
		{map[string]string{"LC_ALL": "fr_BE.UTF-8", "LC_MESSAGES": "en_GB", "LANG": "en_US"}, "fr"},
		{map[string]string{"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, ""},
		{map[string]string{"LANG": "fr\r\nX-Evil: 1"}, ""},
	} {
		if got := localeLang(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("localeLang(%v) = %q, want %q", c.env, got, c.want)
		}
	}
}

// TestI18nCLIMessagesInTheLocalesLanguage: the CLI asks the server for the
// user's language (Accept-Language from LC_ALL, LC_MESSAGES, LANG), so the
// server's messages, and the reasons of refusals, reach a French user in
// French; the CLI's own words stay English.
func TestI18nCLIMessagesInTheLocalesLanguage(t *testing.T) {
	h := newHarness(t)
	h.signedIn()
	id := h.createOrg("Acme")
	var who struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(h.ok("", "whoami", "--json").out), &who); err != nil || who.User.ID == "" {
		t.Fatalf("whoami --json: %v", err)
	}
	me := who.User

	h.fail(1, "error: organization org_nope not found (not_found)", "orgs", "show", "org_nope")
	h.env["LANG"] = "fr_FR.UTF-8"
	h.fail(1, "error: l'organisation org_nope est introuvable (not_found)", "orgs", "show", "org_nope")
	r := h.fail(1, "no member was removed (conflict):", "members", "remove", id, me.ID, "usr_ghost", "--yes")
	contains(t, "refusals in French", r.stderr, "usr_ghost: pas membre de cette organisation",
		me.ID+": une organisation doit garder au moins un propriétaire")
	if strings.Contains(r.stderr, "not a member") {
		t.Errorf("an English reason reached a French user: %q", r.stderr)
	}
	h.env["LC_ALL"] = "C"
	h.fail(1, "error: organization org_nope not found (not_found)", "orgs", "show", "org_nope")
}
