package edge

import (
	"context"
	"net"
	"net/http"
	"strings"
)

type ctxKey int

const requestIDKey ctxKey = 1

// WithRequestID returns ctx carrying the request id (set by the middleware
// that starts every request).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the id of the request in ctx, if any.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// ClientAddr returns the caller's address: the connection's peer, or with
// trustProxy the first address of X-Forwarded-For (set by the proxy in
// front of the server).
func ClientAddr(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first := strings.TrimSpace(strings.Split(xff, ",")[0])
			if ip := net.ParseIP(first); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
