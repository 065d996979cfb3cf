package httpapi_test

import (
	"strconv"
	"testing"
	"time"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// ID-4: failed logins are limited in a sliding window, not in windows
// aligned to the clock: 5 failures a little before a quarter hour and 5 at
// its very end spend carol's 10, so just after the quarter hour she gets
// none (a clock-aligned window would have given 10 more), and Retry-After
// says exactly when the oldest failure stops counting.
func TestID4_LoginSlidingWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user("carol@example.com")
		login := func(password string) resp {
			return e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "carol@example.com", "password": password})
		}
		quarter := e.Clock.Now().Truncate(15 * time.Minute).Add(15 * time.Minute)
		e.Clock.Set(quarter.Add(-2 * time.Minute))
		for range 5 {
			e.want(login("guess"), 401, "unauthenticated")
		}
		e.Clock.Set(quarter.Add(-time.Second))
		for range 5 {
			e.want(login("guess"), 401, "unauthenticated")
		}
		retry := func(r resp) int {
			t.Helper()
			e.want(r, 429, "rate_limited")
			n, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if err != nil {
				t.Fatalf("Retry-After %q: %v", r.Header.Get("Retry-After"), err)
			}
			return n
		}
		e.Clock.Set(quarter.Add(10 * time.Second))
		// The oldest failure (quarter-2m) counts until quarter+13m.
		if got, want := retry(login("guess")), int((13*time.Minute - 10*time.Second).Seconds()); got != want {
			t.Errorf("Retry-After just after the quarter hour: got %d, want %d", got, want)
		}
		if got, want := retry(login("a long enough passphrase")), 770; got != want {
			t.Errorf("the right password, still refused: Retry-After %d, want %d", got, want)
		}
		e.Clock.Set(quarter.Add(13*time.Minute - time.Second))
		if got := retry(login("a long enough passphrase")); got != 1 {
			t.Errorf("a second before: Retry-After %d, want 1", got)
		}
		// The five older failures have left the window: five more are
		// allowed, then the five of quarter-1s still count until
		// quarter+15m-1s.
		e.Clock.Set(quarter.Add(13 * time.Minute))
		for range 5 {
			e.want(login("guess"), 401, "unauthenticated")
		}
		if got, want := retry(login("guess")), int((2*time.Minute - time.Second).Seconds()); got != want {
			t.Errorf("after the older five left: Retry-After %d, want %d", got, want)
		}
		e.Clock.Set(quarter.Add(15*time.Minute - time.Second))
		if r := login("a long enough passphrase"); r.Status != 200 {
			t.Fatalf("once the failures of before the quarter hour left: %d %s", r.Status, r.Body)
		}
	})
}
