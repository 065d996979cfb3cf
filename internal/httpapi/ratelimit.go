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
//     fails. An address whose bucket is empty is refused before its
//     credential is even looked up, so guessing tokens costs the database
//     nothing past the burst.
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
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	res := b.get(key).ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

// empty returns how long until key's bucket has a token again, 0 if it
// has one (or no bucket: a full one), spending nothing.
func (b *buckets) empty(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	el, ok := b.byKey[key]
	if !ok {
		return 0
	}
	now := b.clock.Now()
	l := el.Value.(*bucket).l
	if tokens := l.TokensAt(now); tokens < 1 {
		return time.Duration((1 - tokens) / float64(b.limit) * float64(time.Second))
	}
	return 0
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

// beforeCredential refuses a request with a credential from an address
// whose unauthenticated traffic is over its limit, before the credential
// is looked up.
func (l *limiter) beforeCredential(addr string) error {
	if l == nil {
		return nil
	}
	if d := l.addrs.empty(addrKey(addr)); d > 0 {
		return tooMany(d)
	}
	return nil
}

// failedCredential counts a missing or failed credential against addr
// and returns err.
func (l *limiter) failedCredential(addr string, err error) error {
	if l != nil && errs.Is(err, errs.Unauthenticated) {
		l.addrs.take(addrKey(addr))
	}
	return err
}
