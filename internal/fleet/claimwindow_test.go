package fleet_test

import (
	"context"
	"sync"
	"sync/atomic"
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

// DEV-3: wrong claims made at the same time cannot all pass the limit
// before any is counted: of 40 at once from one address, at most the
// limit (20) are answered as wrong, the others are refused for the rate.
func TestDEV3_ClaimLimitHoldsForClaimsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := harness.New(t, db)
		owner := e.User("owner@example.com")
		org, root := e.Org(owner.Token, "Acme")
		ctx := context.Background()
		actor := audit.Actor{Kind: audit.KindUser, ID: owner.ID, Email: owner.Email, ClientAddr: "192.0.2.7"}
		ms := e.Mint(1)
		var wg sync.WaitGroup
		var wrong, limited atomic.Int32
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.App.Fleet.Claim(ctx, actor, org, fleet.ClaimInput{Serial: ms[0].Serial, OAK: "WRONG-OAK", FolderID: root})
				switch errs.CodeOf(err) {
				case errs.RateLimited:
					limited.Add(1)
				case errs.Invalid:
					wrong.Add(1)
				default:
					t.Errorf("wrong claim: %v", err)
				}
			}()
		}
		wg.Wait()
		if wrong.Load() > 20 || wrong.Load()+limited.Load() != 40 {
			t.Fatalf("DEV-3/%d wrong claims answered as wrong, %d refused for the rate; want at most 20 wrong", wrong.Load(), limited.Load())
		}
	})
}
