package web

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"mysystems/internal/audit"
)

// englishOnly are words of English that French text never uses: one of
// them on a French page is a sentence, a label or a date left in English.
// Words French shares (page, minute, notes, total, type, date, code, an, as,
// me, on, sent…) are left out, and so are names of the product's own
// (My Systems, ACS Pro) and codes (OAK, CSV, API).
var englishOnly = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		the and or your you yours our we they their them it its this these that those there here
		is are was were be been being has have had does did do don doesn isn can cannot could would should will shall may might must
		not no yes only already again first last next previous back more less than then into about after before until since
		of to in for from with without by at if when which who what where why how all any none some every each other
		found required invalid wrong error errors expected least inside allow allowed needs higher
		device devices folder folders owner owners member members user users password passwords line lines columns
		choose delete move remove removed rename renamed moved add added edit save saved cancel show hide search filter
		sign signed out up new create created update updated deleted settings account accounts security name names
		never ago today yesterday hour hours day days week weeks month months year years
		online offline pending applied failed delivered claimed invited accepted revoked archived restored changed
		reboot rebooted identify command commands state status serial model seen please vendor portal unknown
		january february april may june july august september october december jan feb apr jun jul aug sep dec
		monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat
		am pm`) {
		m[w] = true
	}
	return m
}()

// code is a code a message names after its words: a parameter's value in
// parentheses ("par nom (name)").
var code = regexp.MustCompile(`\(\s*[a-z][a-z_]*\s*\)`)

// EnglishIn returns the English words (see englishOnly) of text, in order.
// Identifiers (next_cursor, last_seen, serials with digits) and codes in
// parentheses are not words.
func EnglishIn(text string) []string {
	var out []string
	text = code.ReplaceAllString(text, " ")
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }) {
		if englishOnly[strings.ToLower(w)] {
			out = append(out, w)
		}
	}
	return out
}

func TestEnglishIn(t *testing.T) {
	if got := EnglishIn("Le périphérique « Lobby » a été renommé; the device was renamed, le 3 mars à 14 h 05"); strings.Join(got, " ") != "the device was renamed" {
		t.Errorf("EnglishIn: %q", got)
	}
	if got := EnglishIn("Aucun utilisateur n'a été supprimé : cet utilisateur ne peut pas l'être. Mes systèmes (My Systems), OAK, CSV, " +
		"utilisez le next_cursor, triez par nom (name) ou dernier contact (last_seen)"); got != nil {
		t.Errorf("EnglishIn of French: %q", got)
	}
}

// TestAUD1_FrenchSentencesHaveNoEnglish: the French sentence of every
// action of the audit log, in each of its shapes, has no English word of
// its own (the names in the samples are chosen free of them).
func TestAUD1_FrenchSentencesHaveNoEnglish(t *testing.T) {
	names := audit.Names{{Type: "user", ID: "usr_1"}: "Ann", {Type: "user", ID: "usr_2"}: "Bob", {Type: "device", ID: "dev_1"}: "Caméra 1",
		{Type: "folder", ID: "fld_1"}: "Siège", {Type: "org", ID: "org_1"}: "Acme", {Type: "invitation", ID: "inv_1"}: "bob@exemple.fr"}
	tr := func(key string, args ...any) string { return translate("fr", key, args...) }
	for _, e := range auditSamples() {
		d := audit.Describe(e, names)
		s := d.Text(tr)
		for _, l := range d.Lines {
			s += "\n" + tr(l.Label) + " " + audit.ArgText(l.From, tr) + " " + audit.ArgText(l.To, tr)
		}
		// The samples' own values (folder paths "Default / HQ", device
		// answers) are data, not the product's words.
		for _, v := range []string{"Default", "HQ", "Lobby cam 1", "Lobby", "Old", "rebooting"} {
			s = strings.ReplaceAll(s, v, "")
		}
		if w := EnglishIn(s); len(w) > 0 {
			t.Errorf("%s %v: the French sentence has the English words %q: %s", e.Action, e.Details, w, s)
		}
	}
}
