package fleet_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
	"mysystems/internal/harness"
	"mysystems/internal/store/storetest"
)

// DEV-3: wrong claims (bad OAK or unknown serial, alone or in an import)
// are limited per client address, 20 per 15 minutes, and per organization
// five times as loosely: one person's mistakes hold up that person, not the
// organization, and guessing from many addresses stays bounded.
func TestDEV3_ClaimRateLimit(t *testing.T) {
	e := harness.New(t, storetest.SQLite(t))
	owner := e.User("owner@example.com")
	org, root := e.Org(owner.Token, "Acme")
	ctx := context.Background()
	from := func(addr string) audit.Actor {
		return audit.Actor{Kind: audit.KindUser, ID: owner.ID, Email: owner.Email, ClientAddr: addr}
	}
	ms := e.Mint(4)
	claim := func(addr string, m fleet.Minted, oak string) error {
		_, err := e.App.Fleet.Claim(ctx, from(addr), org, fleet.ClaimInput{Serial: m.Serial, OAK: oak, FolderID: root})
		return err
	}
	limited := func(err error) bool {
		e, ok := errs.As(err)
		return ok && e.Code == errs.RateLimited && e.RetryAfterSeconds > 0
	}
	// 20 wrong claims from one address: the next claim from it is refused,
	// even a right one, with Retry-After.
	for i := range 20 {
		if err := claim("192.0.2.1", ms[0], "WRONG-OAK"); err == nil || limited(err) {
			t.Fatalf("wrong claim %d: %v", i, err)
		}
	}
	err := claim("192.0.2.1", ms[0], ms[0].OAK)
	if !limited(err) || !strings.Contains(err.Error(), "from your address") {
		t.Fatalf("21st claim from the same address: %v", err)
	}
	// Another admin, elsewhere, still onboards.
	if err := claim("198.51.100.7", ms[0], ms[0].OAK); err != nil {
		t.Fatalf("claim from another address: %v", err)
	}
	// A failed import counts its bad lines (unknown serials here) against
	// the importer's address.
	csv := "serial,oak\n"
	for i := range 20 {
		csv += fmt.Sprintf("ACCC8E%06X,WRONG-OAK\n", 0xF00000+i)
	}
	if _, err := e.App.Fleet.Import(ctx, from("203.0.113.9"), org, strings.NewReader(csv)); err == nil || limited(err) {
		t.Fatalf("import of wrong OAKs: %v", err)
	}
	if err := claim("203.0.113.9", ms[1], ms[1].OAK); !limited(err) {
		t.Fatalf("claim after an import of 20 wrong lines: %v", err)
	}
	// The organization as a whole: 100 wrong claims from many addresses.
	for i := 0; i < 60; i++ {
		_ = claim(fmt.Sprintf("10.0.%d.1", i), ms[2], "WRONG-OAK")
	}
	err = claim("10.1.0.1", ms[2], ms[2].OAK)
	if !limited(err) || !strings.Contains(err.Error(), "in this organization") {
		t.Fatalf("claim after 100 wrong ones in the organization: %v", err)
	}
	// After the window, claims go through again.
	e.Clock.Advance(15*time.Minute + time.Second)
	if err := claim("192.0.2.1", ms[3], ms[3].OAK); err != nil {
		t.Fatalf("claim after the window: %v", err)
	}
}
