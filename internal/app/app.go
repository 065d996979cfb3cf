// Package app assembles the object graph of a server (services over a store,
// the API, the web UI, metrics) from a Config and an open database. It holds
// no logic of its own; it exists so tests start exactly the server that
// cmd/mysystems starts.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/httpapi"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/web"
)

// Config is what a server needs to know beyond its database.
type Config struct {
	// BaseURL is the public URL of the server, used in links in e-mails and to
	// decide whether cookies are Secure.
	BaseURL    string
	TrustProxy bool
	// RateLimit is the API's sustained requests per second per credential and
	// per organization; Burst its bucket size. 0 disables the limit.
	RateLimit float64
	Burst     int
	// Account holds password hashing cost, login limits and session lifetime.
	Account account.Config
}

// DefaultConfig is the production configuration.
func DefaultConfig() Config {
	return Config{BaseURL: "http://127.0.0.1:8080", RateLimit: 50, Burst: 200, Account: account.DefaultConfig()}
}

// App is an assembled server.
type App struct {
	DB       *store.DB
	Accounts *account.Service
	Platform *account.Platform
	Orgs     *org.Service
	Audit    *audit.Service
	API      *httpapi.API
	Web      *web.UI
	Registry *prometheus.Registry
	Handler  http.Handler
}

// New builds the server over db.
func New(cfg Config, db *store.DB, clk clock.Clock, log *slog.Logger) *App {
	if clk == nil {
		clk = clock.Real{}
	}
	a := &App{DB: db, Registry: prometheus.NewRegistry()}
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.Accounts = account.NewService(db.Accounts(), clk, cfg.Account)
	a.Platform = account.NewPlatform(db.Platform(), clk)
	a.Orgs = org.NewService(db.Orgs(), clk)
	a.Audit = audit.NewService(db.Audit())
	a.API = httpapi.New(httpapi.Deps{
		Accounts: a.Accounts, Platform: a.Platform, Orgs: a.Orgs, Audit: a.Audit, Clock: clk, Log: log,
		Gatherer: a.Registry, Ready: db.Ping, TrustProxy: cfg.TrustProxy, RateLimit: cfg.RateLimit, Burst: cfg.Burst,
	})
	a.Web = web.New(web.Deps{
		Accounts: a.Accounts, Orgs: a.Orgs, Audit: a.Audit, Clock: clk, Log: log,
		SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://"), TrustProxy: cfg.TrustProxy,
		SessionTTL: cfg.Account.SessionTTL,
	})
	mux := http.NewServeMux()
	a.API.Register(mux)
	a.Web.Register(mux)
	a.Handler = httpapi.Wrap(mux, log, httpapi.NewMetrics(a.Registry))
	return a
}

// Server returns an http.Server for the app with sane timeouts.
func (a *App) Server(addr string) *http.Server {
	return &http.Server{Addr: addr, Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 60 * time.Second, WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second}
}

// Shutdown is a no-op hook for now; background workers will stop here.
func (a *App) Shutdown(ctx context.Context) error { return nil }
