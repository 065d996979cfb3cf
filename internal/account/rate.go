package account

import (
	"context"
	"time"

	"mysystems/internal/errs"
)

// Rate limits (ID-4) are sliding windows: an attempt counts against its
// limit for one window's length after it was made, so no moment lets more
// than the budget through in any window's length (a window aligned to the
// clock let a budget through at its end and another at the next one's
// start). Attempts live in the store, so every instance counts the same
// ones; a refused attempt is not recorded, so a refusal never extends
// itself.

// limit is one rate limit: at most max attempts under key in any window.
type limit struct {
	key    string
	max    int
	window time.Duration
}

// checkLimits refuses with rate_limited once any of the limits is spent,
// with Retry-After saying when the next attempt would be allowed (when
// the attempt that spent the budget's first unit leaves the window).
func checkLimits(ctx context.Context, tx RateTx, now time.Time, ls ...limit) error {
	for _, l := range ls {
		n, next, err := tx.RateCount(ctx, l.key, now, l.window, l.max)
		if err != nil {
			return err
		}
		if n >= l.max {
			return rateLimited(next.Sub(now))
		}
	}
	return nil
}

// hitLimits records one attempt under each limit and returns their ids.
func hitLimits(ctx context.Context, tx RateTx, now time.Time, ls ...limit) ([]string, error) {
	ids := make([]string, 0, len(ls))
	for _, l := range ls {
		id, err := tx.RateHit(ctx, l.key, now, l.window)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// RetryAfterSeconds is a wait as the whole seconds of a Retry-After
// header: rounded up, at least 1.
func RetryAfterSeconds(wait time.Duration) int {
	secs := int((wait + time.Second - 1) / time.Second)
	return max(secs, 1)
}

func rateLimited(wait time.Duration) error {
	e := errs.E(errs.RateLimited, "err.rate.attempts")
	e.RetryAfterSeconds = RetryAfterSeconds(wait)
	return e
}

// PruneRateAttempts deletes the attempts no rate limit counts any more
// (a periodic job).
func (s *Service) PruneRateAttempts(ctx context.Context) error {
	return s.store.Write(ctx, func(tx Tx) error {
		_, err := tx.PruneRate(ctx, s.clock.Now())
		return err
	})
}
