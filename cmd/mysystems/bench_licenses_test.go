package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// LIC-13: a small run of `mysystems bench licenses` plays its ten years of
// history, times the products' status, runs the operations with no error
// and ends with a conservation check that finds no imbalance.
func TestLIC13_BenchLicensesConserves(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a database and runs clients for a second")
	}
	var out, errOut bytes.Buffer
	err := cmdBenchLicenses(context.Background(), []string{"--devices", "200", "--ops-devices", "20", "--clients", "4",
		"--measure", "1s", "--requests", "20"}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), errOut.String())
	}
	s := out.String()
	for _, want := range []string{"status  GET …/products, 200 devices", "adm-extend licensed (need 200, allocated 200",
		"acs-edge licensed (need 200, allocated 200", "of 9 organization and product accounts: 0 imbalances"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in:\n%s", want, s)
		}
	}
	if m := regexp.MustCompile(`all .*\(\d+: (\d+) done, \d+ business refusals, (\d+) errors\)`).FindStringSubmatch(s); m == nil || m[1] == "0" || m[2] != "0" {
		t.Errorf("operations: %q in:\n%s", m, s)
	}
}
