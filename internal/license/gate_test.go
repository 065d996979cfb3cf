package license

import (
	"strings"
	"testing"

	"mysystems/internal/errs"
)

// LIC-14: a gated feature works in trial, licensed and grace; not started
// it asks to start a trial, unlicensed to allocate what the year lacks.
func TestLIC14_CheckGate(t *testing.T) {
	p := Product{ID: "adm-extend", Name: "AXIS Device Manager Extend", Gates: []Feature{FeatureUpgrades}}
	for _, tc := range []struct {
		name string
		view View
		want string // "" when allowed; else a part of the English message
	}{
		{"LIC-14/trial", View{Status: Trial}, ""},
		{"LIC-14/licensed", View{Status: Licensed}, ""},
		{"LIC-14/grace", View{Status: Grace}, ""},
		{"LIC-14/not started", View{Status: NotStarted}, "start a trial of AXIS Device Manager Extend"},
		{"LIC-14/unlicensed", View{Status: Unlicensed, YearNeed: 12, Allocated: 5}, "allocate 7 licenses to AXIS Device Manager Extend"},
		{"LIC-14/unlicensed, one missing", View{Status: Unlicensed, YearNeed: 6, Allocated: 5}, "allocate 1 license to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckGate(p, FeatureUpgrades, tc.view)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e, ok := errs.As(err)
			if !errs.Is(err, errs.Conflict) || !ok {
				t.Fatalf("got %v, want a conflict", err)
			}
			if !strings.Contains(e.Message, tc.want) || !strings.Contains(e.Message, "AXIS OS upgrades") {
				t.Fatalf("message %q, want %q", e.Message, tc.want)
			}
			if fr := e.In("fr"); !strings.Contains(fr, "Mises à niveau d'AXIS OS : une licence de AXIS Device Manager Extend") {
				t.Fatalf("in French: %q", fr)
			}
		})
	}
	if _, ok := GatedBy([]Product{p}, FeatureSchedules); ok {
		t.Fatal("a feature no product gates is gated")
	}
}
