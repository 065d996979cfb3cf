package httpapi

import (
	"container/list"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"mysystems/internal/account"
	"mysystems/internal/clock"
	"mysystems/internal/errs"
)

// The API's rate limits (SPEC §11) are token buckets, per instance:
//
//   - per credential, keyed by what authentication found (the personal API
//     token, or the person for a session), so only a caller who proved who
//     they are gets, or spends, a bucket of their own;
//   - per organization, for every request into it;
//   - per client address for unauthenticated traffic: requests to routes
//     without authentication, and requests whose credential is missing or
//     fails. A credential spends a request of its address's budget before
//     it is looked up (given back when it is good), so guessing tokens,
//     one at a time or many at once, costs the database nothing past the
//     burst;
//   - per platform (vendor) token.
//
// Credentials and addresses are held apart, each set bounded by evicting
// its least recently used bucket (the one most likely refilled, whose loss
// forgets nothing): traffic from many addresses can only push out other
// addresses' buckets, never a credential's or an organization's.

// maxBuckets bounds each set of buckets.
const maxBuckets = 100_000

// buckets is a bounded set of token buckets keyed by string.
type buckets struct {
	limit rate.Limit
	burst int
	max   int
	clock clock.Clock

	mu    sync.Mutex
	byKey map[string]*list.Element // of *bucket
	lru   list.List                // most recently used first
}

type bucket struct {
	key string
	l   *rate.Limiter
}

func newBuckets(perSecond float64, burst, max int, c clock.Clock) *buckets {
	return &buckets{limit: rate.Limit(perSecond), burst: burst, max: max, clock: c, byKey: map[string]*list.Element{}}
}

// get returns key's bucket, made full if it had none, and marks it used.
func (b *buckets) get(key string) *rate.Limiter {
	if el, ok := b.byKey[key]; ok {
		b.lru.MoveToFront(el)
		return el.Value.(*bucket).l
	}
	for b.lru.Len() >= b.max {
		old := b.lru.Back()
		b.lru.Remove(old)
		delete(b.byKey, old.Value.(*bucket).key)
	}
	l := rate.NewLimiter(b.limit, b.burst)
	b.byKey[key] = b.lru.PushFront(&bucket{key, l})
	return l
}

// take spends a token of key's bucket; when it has none, it returns how
// long until it will and spends nothing.
func (b *buckets) take(key string) time.Duration {
	_, d := b.reserve(key)
	return d
}

// reserve spends a token of key's bucket as take does, and returns a func
// that gives it back.
func (b *buckets) reserve(key string) (func(), time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	res := b.get(key).ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return nil, d
	}
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		res.CancelAt(b.clock.Now())
	}, 0
}

// len is how many buckets are held.
func (b *buckets) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lru.Len()
}

// limiter holds the API's two sets of buckets.
type limiter struct {
	callers *buckets // credentials and organizations
	addrs   *buckets // unauthenticated traffic
}

func newLimiter(perSecond float64, burst int, c clock.Clock) *limiter {
	if perSecond <= 0 {
		return nil
	}
	if c == nil {
		c = clock.Real{}
	}
	return &limiter{callers: newBuckets(perSecond, burst, maxBuckets, c), addrs: newBuckets(perSecond, burst, maxBuckets, c)}
}

func tooMany(wait time.Duration) error {
	e := errs.E(errs.RateLimited, "err.api.rate")
	e.RetryAfterSeconds = account.RetryAfterSeconds(wait)
	return e
}

// caller spends a request of an authenticated caller (its credential, or
// "org:" and an organization id).
func (l *limiter) caller(key string) error {
	if l == nil {
		return nil
	}
	if d := l.callers.take(key); d > 0 {
		return tooMany(d)
	}
	return nil
}

// credentialKey names the bucket of an authenticated principal: its
// personal API token, else its person (every session of theirs).
func credentialKey(p account.Principal) string {
	if p.TokenID != "" {
		return "token:" + p.TokenID
	}
	return "user:" + p.User.ID
}

// addrKey groups an IPv6 address by its /64, the block one subscriber
// usually gets: an address a client can change at will is no key.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() || a.Is4In6() {
		return "addr:" + addr
	}
	p, _ := a.Prefix(64)
	return "addr:" + p.String()
}

// anonymous spends a request of unauthenticated traffic from addr.
func (l *limiter) anonymous(addr string) error {
	if l == nil {
		return nil
	}
	if d := l.addrs.take(addrKey(addr)); d > 0 {
		return tooMany(d)
	}
	return nil
}

// beforeCredential spends, before a credential is looked up, a request of
// its address's budget for unauthenticated traffic, refusing the request
// when that is spent: requests sent at once cannot all reach the lookup.
// The returned func gives the request back once the credential is good.
func (l *limiter) beforeCredential(addr string) (func(), error) {
	if l == nil {
		return func() {}, nil
	}
	giveBack, d := l.addrs.reserve(addrKey(addr))
	if d > 0 {
		return nil, tooMany(d)
	}
	return giveBack, nil
}

// failedCredential counts a missing credential against addr and returns
// err (a credential that failed its lookup was counted by beforeCredential).
func (l *limiter) failedCredential(addr string, err error) error {
	if l != nil && err == errNoCredential {
		l.addrs.take(addrKey(addr))
	}
	return err
}
