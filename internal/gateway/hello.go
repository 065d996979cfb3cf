package gateway

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
)

var errBadDevice = errs.E(errs.Unauthenticated, "err.gateway.bad_device")

func (g *Gateway) hello(c *call) (any, error) {
	var in device.Hello
	if err := decode(c.r, c.w, &in); err != nil {
		return nil, err
	}
	serial, err := fleet.NormalizeSerial(in.Serial)
	if err != nil {
		return nil, errBadDevice
	}
	now := g.clock.Now()
	ctx := c.r.Context()
	// Hellos come in waves (a site or the whole fleet reconnecting): a
	// bounded number are handled at once, the next ones wait their turn
	// for a while, and beyond that they are told to retry later, rather
	// than queueing without end or being refused in a storm of retries.
	if err := g.admitHello(ctx); err != nil {
		return nil, err
	}
	defer func() { <-g.helloSlots }()
	hash, rep, err := g.store.HelloView(ctx, serial)
	if errs.Is(err, errs.NotFound) {
		return nil, errBadDevice
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(account.HashSecret(in.Secret)), []byte(hash)) != 1 {
		return nil, errBadDevice
	}
	// Checked once the device is known, so the refusal is logged with a
	// serial that exists: the device gets no token until it reports
	// within the rules.
	if in, err = device.CheckHello(in); err != nil {
		return nil, g.refused(serial, c.r.URL.Path, err)
	}
	// Most hellos change nothing; what changed (a first hello's key, new
	// firmware) is written behind, with the next presence flush, so a fleet
	// reconnecting costs reads, not a queue of single-row writes.
	merged, changed := rep.AfterHello(in, now)
	if changed {
		if err := g.saveReport(ctx, merged); err != nil {
			return nil, err
		}
	}
	g.known.put(serial, knownOf(merged))
	g.hub.setOrg(serial, rep.OrgID)
	token, exp, err := g.tokens.issue(ctx, g, serial, now)
	if err != nil {
		return nil, err
	}
	claimed := rep.OrgID != ""
	g.presence.seen(serial, now)
	return device.Welcome{Token: token, ExpiresAt: exp, HeartbeatSeconds: int(g.cfg.Heartbeat / time.Second), Claimed: claimed}, nil
}

// refused logs a device's report refused by the device protocol's rules
// (device.CheckHello and its kin) and returns the refusal, answered 400
// naming the field: nothing of the report is recorded.
func (g *Gateway) refused(serial, path string, err error) error {
	field := ""
	if e, ok := errs.As(err); ok {
		field = e.Field
	}
	g.log.Warn("device report refused", "serial", serial, "path", path, "field", field, "reason", errs.LocalMessage(err, "en"))
	return err
}

// admitHello takes one of the MaxHellos slots, waiting at most HelloWait
// with at most HelloQueue others; otherwise the hello is answered 429 with
// Retry-After.
func (g *Gateway) admitHello(ctx context.Context) error {
	select {
	case g.helloSlots <- struct{}{}:
		return nil
	default:
	}
	busy := errs.E(errs.RateLimited, "err.gateway.busy")
	busy.RetryAfterSeconds = 2 + int(g.clock.Now().UnixNano()%5)
	if g.helloQueued.Add(1) > int64(g.cfg.HelloQueue) {
		g.helloQueued.Add(-1)
		return busy
	}
	defer g.helloQueued.Add(-1)
	t := time.NewTimer(g.cfg.HelloWait)
	defer t.Stop()
	select {
	case g.helloSlots <- struct{}{}:
		return nil
	case <-t.C:
		return busy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Gateway) authenticate(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if len(h) < 8 || !strings.EqualFold(h[:7], "bearer ") {
		return "", errs.E(errs.Unauthenticated, "err.gateway.no_token")
	}
	return g.tokens.verify(r.Context(), g, strings.TrimSpace(h[7:]), g.clock.Now())
}
