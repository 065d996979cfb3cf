package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mysystems/internal/edge"
	"mysystems/internal/errs"
)

// Metrics are the HTTP server's Prometheus metrics.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mysystems_http_requests_total", Help: "HTTP requests by route pattern, method and status."},
			[]string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mysystems_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// statusWriter records the status and size of the response, and adds the
// headers every answer carries when the response starts (not before: a
// long-poll waiting a minute need not hold a header map meanwhile). When
// the request's body was cut by its read bound, or found no room on its
// connection, the answer is 408 or 429 whatever the handler says.
type statusWriter struct {
	http.ResponseWriter
	r      *http.Request
	log    *slog.Logger
	id     string
	hsts   bool
	body   *body // the bounded request body, or nil
	status int
	bytes  int
	// dropped says the handler's answer was replaced: its writes go
	// nowhere.
	dropped bool
}

// start begins the response with code and reports whether the handler's
// answer goes out.
func (w *statusWriter) start(code int) bool {
	if w.status != 0 {
		return !w.dropped
	}
	w.status = code
	h := w.ResponseWriter.Header()
	h.Set("X-Request-Id", w.id)
	h.Set("X-Content-Type-Options", "nosniff")
	if w.hsts {
		h.Set("Strict-Transport-Security", hstsValue)
	}
	if b := w.body; b != nil && code >= 400 {
		var err *errs.Error
		switch {
		case b.cut.Load():
			err = errs.E(errs.Timeout, "err.http.body_timeout", b.bound)
		case b.busy.Load():
			err = errs.E(errs.RateLimited, "err.http.open_busy")
			err.RetryAfterSeconds = 1
		}
		if err != nil {
			w.dropped = true
			if w.r.ProtoMajor == 1 {
				h.Set("Connection", "close")
			}
			h.Del("Content-Length")
			w.status = edge.Status(err)
			edge.WriteError(w.log, w.ResponseWriter, w.r, err)
			return false
		}
	}
	return true
}

// hstsValue asks browsers to use HTTPS only for a year.
const hstsValue = "max-age=31536000"

func (w *statusWriter) WriteHeader(code int) {
	if w.start(code) {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.start(http.StatusOK) {
		return len(b), nil
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// ReadFrom lets a body copied from a file (an AXIS OS image served by
// http.ServeContent) reach the connection by sendfile, as it does without
// the wrapper: hiding the connection's io.ReaderFrom would copy every byte
// through user space.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.start(http.StatusOK) {
		return io.Copy(io.Discard, r)
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
	}
	w.bytes += int(n)
	return n, err
}

func (w *statusWriter) FlushError() error {
	w.start(http.StatusOK)
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Options are the middleware's settings.
type Options struct {
	Limits Limits
	// HSTS adds Strict-Transport-Security to every answer: set it when
	// clients reach the server over HTTPS.
	HSTS bool
}

// Wrap adds what every request gets: a request id, panic recovery (a 500
// JSON error, never a dropped connection), a structured access log line,
// metrics by route pattern, cross-origin request forgery protection for
// unsafe methods (Origin / Sec-Fetch-Site checks), the read and write bounds
// of o.Limits, X-Content-Type-Options: nosniff on every answer and, with
// o.HSTS, Strict-Transport-Security.
func Wrap(h http.Handler, log *slog.Logger, m *Metrics, o Options) http.Handler {
	csrf := http.NewCrossOriginProtection()
	h = csrf.Handler(h)
	lim := o.Limits.withDefaults()
	open := make(map[string]bool, len(lim.OpenPaths))
	for _, p := range lim.OpenPaths {
		open[p] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		r = r.WithContext(edge.WithRequestID(r.Context(), id))
		// The server has no ReadTimeout or WriteTimeout (see app.Server):
		// a request gets its bounds here.
		b := lim.bound(w, r, start, open[r.URL.Path])
		sw := &statusWriter{ResponseWriter: w, r: r, log: log, id: id, hsts: o.HSTS, body: b}
		defer func() {
			if b != nil {
				b.finish(false)
			}
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic", "panic", p, "request_id", id, "path", r.URL.Path)
				if sw.status == 0 {
					edge.WriteJSON(sw, http.StatusInternalServerError, edge.ErrorBody{Error: edge.ErrorDetail{Code: "internal", Message: "internal error", RequestID: id}})
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			if sw.status == 0 {
				sw.start(http.StatusOK) // the headers of an empty answer
			}
			d := time.Since(start)
			if m != nil {
				m.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
				m.duration.WithLabelValues(route, r.Method).Observe(d.Seconds())
			}
			level := slog.LevelInfo
			if sw.status < 400 && (strings.HasPrefix(r.URL.Path, "/device/") || strings.HasPrefix(r.URL.Path, "/server/")) {
				// Devices talk all the time: their successful requests are
				// counted in the metrics and logged only at debug level.
				level = slog.LevelDebug
			}
			if log.Enabled(r.Context(), level) { // the arguments cost allocations
				log.Log(r.Context(), level, "request", "request_id", id, "method", r.Method, "route", route,
					"status", sw.status, "bytes", sw.bytes, "duration_ms", float64(d.Microseconds())/1000)
			}
		}()
		h.ServeHTTP(sw, r)
	})
}
