package org

import (
	"encoding/json"
	"errors"
	"testing"

	"mysystems/internal/errs"
)

// The typed details marshal to the JSON the API has always answered.
func TestErrorDetailsJSON(t *testing.T) {
	err := ErrMFARequired(Org{Name: "Acme"})
	if !errors.Is(err, ErrMFAEnrolment) {
		t.Fatalf("ErrMFARequired: errors.Is(ErrMFAEnrolment) is false")
	}
	d, ok := errs.DetailsAs[MFAEnrolment](err)
	if !ok || !d.Required {
		t.Fatalf("DetailsAs[MFAEnrolment]: got %v, %v", d, ok)
	}
	for name, c := range map[string]struct {
		v    any
		want string
	}{
		"mfa":     {d, `{"mfa_enrolment_required":true}`},
		"refused": {Refusals{Refused: []Refusal{{UserID: "usr_1", Reason: "r"}}}, `{"refused":[{"user_id":"usr_1","reason":"r"}]}`},
	} {
		b, err := json.Marshal(c.v)
		if err != nil || string(b) != c.want {
			t.Errorf("%s: got %s (%v), want %s", name, b, err, c.want)
		}
	}
	if _, ok := errs.DetailsAs[Refusals](err); ok {
		t.Error("DetailsAs[Refusals] of an MFA refusal: got ok")
	}
}
