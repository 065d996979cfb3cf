package httpapi_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"mysystems/internal/app"
	"mysystems/internal/store/storetest"
)

// ID-4, SPEC §11: the API's rate limits are keyed by the credential that
// authentication found, and unauthenticated traffic by client address. A
// flood of more than 100,000 random bearer strings from one address is
// limited after the burst (without looking the strings up) and resets
// nobody's bucket: a legitimate caller who spent theirs is still limited,
// and gets requests again as their bucket refills.
func TestID4_APIRateLimitByCredentialAndAddress(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), func(c *app.Config) { c.RateLimit, c.Burst = 1, 5 })
	tok, _ := e.user("ann@example.com")
	e.Clock.Advance(time.Minute) // registering and signing in spent the address's tokens
	for i := range 5 {
		e.want(e.call("GET", "/api/v1/me", tok, nil), 200, "")
		_ = i
	}
	limited := e.call("GET", "/api/v1/me", tok, nil)
	e.want(limited, 429, "rate_limited")
	if got := limited.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}

	// The flood, in process: the same API as the server's.
	mux := http.NewServeMux()
	e.App.API.Register(mux)
	send := func(addr, bearer string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.RemoteAddr = addr + ":40000"
		req.Header.Set("Authorization", "Bearer "+bearer)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w
	}
	random := func() string {
		b := make([]byte, 20)
		_, _ = rand.Read(b)
		return "mst_" + hex.EncodeToString(b)
	}
	counts := map[int]int{}
	for i := range 100_001 {
		w := send("192.0.2.9", random())
		counts[w.Code]++
		if i == 5 && (w.Code != 429 || w.Header().Get("Retry-After") != "1") {
			t.Fatalf("6th random token from one address: %d, Retry-After %q; want 429, 1", w.Code, w.Header().Get("Retry-After"))
		}
	}
	if counts[401] != 5 || counts[429] != 100_001-5 {
		t.Fatalf("random tokens from one address: got %v, want 5 answered 401 (the burst), the rest 429", counts)
	}
	// Another address is not held up by that one.
	if w := send("198.51.100.4", random()); w.Code != 401 {
		t.Errorf("a random token from another address: %d, want 401", w.Code)
	}
	// Ann's bucket was not reset by the flood...
	e.want(e.call("GET", "/api/v1/me", tok, nil), 429, "rate_limited")
	// ...and refills with time.
	e.Clock.Advance(time.Second)
	e.want(e.call("GET", "/api/v1/me", tok, nil), 200, "")
	e.want(e.call("GET", "/api/v1/me", tok, nil), 429, "rate_limited")
}

// SPEC §11: requests without a credential, and to routes that need none,
// are limited per client address.
func TestID4_APIRateLimitUnauthenticated(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), func(c *app.Config) { c.RateLimit, c.Burst = 1, 3 })
	for range 3 {
		e.want(e.call("GET", "/api/v1/me", "", nil), 401, "unauthenticated")
	}
	r := e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "x@example.com", "password": "whatever it is"})
	e.want(r, 429, "rate_limited")
	if r.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q, want 1", r.Header.Get("Retry-After"))
	}
	e.Clock.Advance(time.Second)
	e.want(e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "x@example.com", "password": "whatever it is"}), 401, "unauthenticated")
}
