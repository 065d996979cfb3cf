package org

import (
	"testing"
	"unicode/utf8"

	"mysystems/internal/errs"
)

// ORG-3: the last owner stays.
func TestORG3_CanLeaveOwnership(t *testing.T) {
	if err := CanLeaveOwnership(1); !errs.Is(err, errs.Conflict) {
		t.Errorf("last owner: got %v, want conflict", err)
	}
	if err := CanLeaveOwnership(2); err != nil {
		t.Errorf("two owners: got %v", err)
	}
}

// ORG-4: archiving needs the exact id and the acknowledgement.
func TestORG4_CheckArchive(t *testing.T) {
	o := Org{ID: "org_abc"}
	cases := []struct {
		name    string
		confirm string
		ack     bool
		field   string
	}{
		{"OK", "org_abc", true, ""},
		{"ErrWrongID", "org_abd", true, "confirm_id"},
		{"ErrCase", "ORG_ABC", true, "confirm_id"},
		{"ErrEmpty", "", true, "confirm_id"},
		{"ErrNoAck", "org_abc", false, "acknowledge"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckArchive(o, c.confirm, c.ack)
			if c.field == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || e.Field != c.field {
				t.Fatalf("got %v, want invalid on %s", err, c.field)
			}
		})
	}
}

// USR-1: the invitation's masked address keeps whole characters of the
// local part, so the message naming it stays valid text.
func TestUSR1_MaskEmailKeepsWholeCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.com": "a***e@example.com", "al@example.com": "a***@example.com",
		"élodie.andré@example.fr": "é***é@example.fr", "éa@example.fr": "é***@example.fr", "@x": "***",
	} {
		got := MaskEmail(in)
		if got != want || !utf8.ValidString(got) {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
