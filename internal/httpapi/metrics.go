package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"mysystems/internal/edge"
	"mysystems/internal/errs"
)

// MetricsHandler serves g's metrics in the Prometheus text format. With a
// token, only to requests that send it as a bearer token: the others are
// answered 401.
func MetricsHandler(g prometheus.Gatherer, token string, log *slog.Logger) http.Handler {
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(bearer(r)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			edge.WriteError(log, w, r, errs.E(errs.Unauthenticated, "err.metrics.token"))
			return
		}
		h.ServeHTTP(w, r)
	})
}
