// Package web serves the server-rendered web UI (html/template, embedded
// assets, English and French).
package web

import (
	"log/slog"
	"net/http"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/org"
)

// Deps are what the UI needs.
type Deps struct {
	Accounts      *account.Service
	Orgs          *org.Service
	Audit         *audit.Service
	Clock         clock.Clock
	Log           *slog.Logger
	SecureCookies bool
	TrustProxy    bool
	SessionTTL    time.Duration
}

// UI is the web UI.
type UI struct{ d Deps }

// New returns the UI.
func New(d Deps) *UI { return &UI{d: d} }

// Register mounts the UI's pages on mux.
func (u *UI) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>My Systems</title><h1>My Systems</h1>"))
	})
}
