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
// X-Request-Id header when the response starts (not before: a long-poll
// waiting a minute need not hold a header map meanwhile).
type statusWriter struct {
	http.ResponseWriter
	id     string
	status int
	bytes  int
}

func (w *statusWriter) start(code int) {
	if w.status == 0 {
		w.status = code
		w.ResponseWriter.Header().Set("X-Request-Id", w.id)
	}
}

func (w *statusWriter) WriteHeader(code int) {
	w.start(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.start(http.StatusOK)
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// ReadFrom lets a body copied from a file (an AXIS OS image served by
// http.ServeContent) reach the connection by sendfile, as it does without
// the wrapper: hiding the connection's io.ReaderFrom would copy every byte
// through user space.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	w.start(http.StatusOK)
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

// ReadTimeout and WriteTimeout bound an HTTP/1.1 request's body and
// response (a long-poll waits at most a minute).
const (
	ReadTimeout  = 90 * time.Second
	WriteTimeout = 120 * time.Second
)

// Wrap adds what every request gets: a request id, panic recovery (a 500
// JSON error, never a dropped connection), a structured access log line,
// metrics by route pattern, and cross-origin request forgery protection for
// unsafe methods (Origin / Sec-Fetch-Site checks).
func Wrap(h http.Handler, log *slog.Logger, m *Metrics) http.Handler {
	csrf := http.NewCrossOriginProtection()
	h = csrf.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		r = r.WithContext(edge.WithRequestID(r.Context(), id))
		sw := &statusWriter{ResponseWriter: w, id: id}
		if r.ProtoMajor == 1 {
			// The server has no ReadTimeout or WriteTimeout (see
			// app.Server): an HTTP/1.1 request gets them here.
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(start.Add(ReadTimeout))
			_ = rc.SetWriteDeadline(start.Add(WriteTimeout))
		}
		defer func() {
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
				sw.status = http.StatusOK
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
