package errs_test

import (
	"errors"
	"fmt"
	"testing"

	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// TestI18nErrorKeys: a constructor given a catalogue key keeps the key and
// its arguments and resolves the English text at once; In gives the text
// in another language; a string that is not a key is a format, as before.
func TestI18nErrorKeys(t *testing.T) {
	e := errs.E(errs.Conflict, "err.folder.exists", i18n.Quoted("Hall"), "Default")
	if e.Key != "err.folder.exists" || len(e.Args) != 2 || e.Message != `a folder named "Hall" already exists in Default` {
		t.Fatalf("got %+v", e)
	}
	if got := e.Error(); got != `conflict: a folder named "Hall" already exists in Default` {
		t.Errorf("Error() = %q", got)
	}
	if got := e.In("fr"); got != "un dossier nommé « Hall » existe déjà dans Default" {
		t.Errorf("In(fr) = %q", got)
	}
	if got := e.In("en"); got != e.Message {
		t.Errorf("In(en) = %q, want the Message", got)
	}
	f := errs.InvalidField("password", "err.password.too_short", 12)
	if f.Field != "password" || f.Code != errs.Invalid || f.In("fr") != "le mot de passe doit faire au moins 12 caractères" {
		t.Errorf("InvalidField: %+v, %q", f, f.In("fr"))
	}
	n := errs.NotFoundf("err.folder.not_found", "fld_1")
	if n.Code != errs.NotFound || n.Message != "folder fld_1 not found" || n.In("fr") != "le dossier fld_1 est introuvable" {
		t.Errorf("NotFoundf: %+v, %q", n, n.In("fr"))
	}
	// Not a key: a format string, untranslated.
	old := errs.E(errs.Invalid, "value %d is %s", 3, "odd")
	if old.Key != "" || old.Message != "value 3 is odd" || old.In("fr") != "value 3 is odd" {
		t.Errorf("format: %+v", old)
	}
}

// TestI18nLocalMessage: what a person reading a language sees of any error:
// internal and foreign errors show only the generic text.
func TestI18nLocalMessage(t *testing.T) {
	for _, c := range []struct {
		err    error
		en, fr string
	}{
		{errs.E(errs.Conflict, "err.folder.not_empty"), "the folder is not empty", "le dossier n'est pas vide"},
		{fmt.Errorf("wrapped: %w", errs.E(errs.Conflict, "err.folder.not_empty")), "the folder is not empty", "le dossier n'est pas vide"},
		{errs.Wrap(errors.New("disk full"), "save"), "internal error", "erreur interne"},
		{errs.E(errs.Internal, "job runner already started"), "internal error", "erreur interne"},
		{errors.New("boom"), "internal error", "erreur interne"},
	} {
		if got := errs.LocalMessage(c.err, "en"); got != c.en {
			t.Errorf("LocalMessage(%v, en) = %q, want %q", c.err, got, c.en)
		}
		if got := errs.LocalMessage(c.err, "fr"); got != c.fr {
			t.Errorf("LocalMessage(%v, fr) = %q, want %q", c.err, got, c.fr)
		}
	}
}
