package fleet_test

import (
	"context"
	"testing"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
	"mysystems/internal/harness"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// DEV-3: wrong claims are limited in a sliding window: 20 wrong claims
// from one address just before a quarter hour still hold its claims up
// just after it (a window aligned to the clock would have allowed 20
// more), until exactly when the oldest leaves the window.
func TestDEV3_ClaimSlidingWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := harness.New(t, db)
		owner := e.User("owner@example.com")
		org, root := e.Org(owner.Token, "Acme")
		ctx := context.Background()
		actor := audit.Actor{Kind: audit.KindUser, ID: owner.ID, Email: owner.Email, ClientAddr: "192.0.2.1"}
		ms := e.Mint(1)
		claim := func(oak string) error {
			_, err := e.App.Fleet.Claim(ctx, actor, org, fleet.ClaimInput{Serial: ms[0].Serial, OAK: oak, FolderID: root})
			return err
		}
		quarter := e.Clock.Now().Truncate(15 * time.Minute).Add(15 * time.Minute)
		e.Clock.Set(quarter.Add(-3 * time.Minute))
		for i := range 20 {
			if i == 10 {
				e.Clock.Set(quarter.Add(-time.Second))
			}
			if err := claim("WRONG-OAK"); errs.CodeOf(err) == errs.RateLimited || err == nil {
				t.Fatalf("wrong claim %d: %v", i, err)
			}
		}
		e.Clock.Set(quarter.Add(time.Minute))
		err := claim(ms[0].OAK)
		if ee, ok := errs.As(err); !ok || ee.Code != errs.RateLimited || ee.RetryAfterSeconds != int((11*time.Minute).Seconds()) {
			t.Fatalf("just after the quarter hour: got %v, want rate_limited with a retry in 660s", err)
		}
		e.Clock.Set(quarter.Add(12 * time.Minute))
		if err := claim(ms[0].OAK); err != nil {
			t.Fatalf("once the ten oldest left the window: %v", err)
		}
	})
}
