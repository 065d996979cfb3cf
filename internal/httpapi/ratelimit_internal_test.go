package httpapi

import (
	"fmt"
	"testing"
	"time"

	"mysystems/internal/clock"
)

// SPEC §11: a full set of buckets evicts its least recently used one, not
// every bucket: a caller who spent their bucket stays limited however many
// new keys arrive while they keep calling.
func TestID4_APIBucketsEvictLeastRecentlyUsed(t *testing.T) {
	c := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	b := newBuckets(1, 2, 3, c)
	for range 2 {
		if d := b.take("ann"); d != 0 {
			t.Fatalf("within the burst: wait %v", d)
		}
	}
	for i := range 1000 {
		b.take(fmt.Sprint("stranger-", i))
		if d := b.take("ann"); d <= 0 {
			t.Fatalf("after %d strangers, ann's spent bucket was forgotten", i+1)
		}
		if n := b.len(); n > 3 {
			t.Fatalf("%d buckets held, want at most 3", n)
		}
	}
	c.Advance(time.Second)
	if d := b.take("ann"); d != 0 {
		t.Errorf("after a second: wait %v, want a token", d)
	}
}

// SPEC §11: unauthenticated traffic from any number of addresses cannot
// push out a credential's bucket: the two are held apart.
func TestID4_APIAddressBucketsApartFromCredentials(t *testing.T) {
	c := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	l := &limiter{callers: newBuckets(1, 1, 10, c), addrs: newBuckets(1, 1, 10, c)}
	if err := l.caller("token:tok_1"); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		_ = l.anonymous(fmt.Sprintf("10.%d.%d.1", i/256, i%256))
	}
	if err := l.caller("token:tok_1"); err == nil {
		t.Error("the token's spent bucket was forgotten under a flood from many addresses")
	}
	if n := l.addrs.len(); n != 10 {
		t.Errorf("%d address buckets held, want 10", n)
	}
}

// SPEC §11: IPv6 clients are limited by their /64, which one subscriber
// usually holds whole; IPv4 (and IPv4-mapped) addresses by themselves.
func TestID4_APIAddressKeys(t *testing.T) {
	for _, c := range []struct{ addr, want string }{
		{"192.0.2.1", "addr:192.0.2.1"},
		{"2001:db8:1:2:aaaa::1", "addr:2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:1:2:3", "addr:2001:db8:1:2::/64"},
		{"::ffff:192.0.2.1", "addr:::ffff:192.0.2.1"},
		{"not an address", "addr:not an address"},
	} {
		if got := addrKey(c.addr); got != c.want {
			t.Errorf("%s: got %q, want %q", c.addr, got, c.want)
		}
	}
}

// ID-4: credentials looked up at the same time from one address each spend
// its budget before the lookup: past the burst they are refused, however
// many are in flight; a good credential gives its request back.
func TestID4_APIGuessesInFlightSpendTheBudget(t *testing.T) {
	c := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	l := newLimiter(1, 3, c)
	var inFlight []func()
	for i := range 12 {
		giveBack, err := l.beforeCredential("192.0.2.9")
		if i < 3 && err != nil || i >= 3 && err == nil {
			t.Fatalf("lookup %d in flight: %v; want the first 3 let through and no more", i, err)
		}
		if err == nil {
			inFlight = append(inFlight, giveBack)
		}
	}
	inFlight[0]() // that one was good
	if _, err := l.beforeCredential("192.0.2.9"); err != nil {
		t.Fatalf("after a good credential gave its request back: %v", err)
	}
}
