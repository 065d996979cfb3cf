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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"mysystems/internal/account"
	"mysystems/internal/acs"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/gateway"
	"mysystems/internal/httpapi"
	"mysystems/internal/jobs"
	"mysystems/internal/license"
	"mysystems/internal/mail"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/upgrade"
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
	// Fleet holds the heartbeat interval and claim limits.
	Fleet fleet.Config
	// Gateway holds the device protocol's timings and the data directory
	// (firmware images).
	Gateway gateway.Config
	// Firmware holds the data directory of AXIS OS images and their size
	// limit.
	Firmware firmware.Config
	// Upgrade holds the default pacing limits of AXIS OS upgrades.
	Upgrade upgrade.Config
	// ACS holds the ACS Pro servers' poll interval, enrolment token
	// lifetime and sampling (SPEC §8).
	ACS acs.Config
	// HTTP bounds the time and size of request bodies (its OpenPaths are
	// the gateway's, unless set).
	HTTP httpapi.Limits
	// HSTS sends Strict-Transport-Security on every answer; an https://
	// BaseURL implies it. cmd/mysystems sets it when it serves TLS.
	HSTS bool
	// MetricsToken, when set, is the bearer token /metrics asks for.
	MetricsToken string
	// MetricsApart takes /metrics off Handler: MetricsServer serves it, on
	// a listener of its own.
	MetricsApart bool
	// SMTPURL is where e-mail goes (smtp://user:pass@host:587?from=…); empty
	// keeps it in the outbox, readable by vendor operators.
	SMTPURL string
}

// DefaultConfig is the production configuration.
func DefaultConfig() Config {
	return Config{BaseURL: "http://127.0.0.1:8080", RateLimit: 50, Burst: 200, Account: account.DefaultConfig(), Fleet: fleet.DefaultConfig(), Gateway: gateway.DefaultConfig(),
		HTTP: httpapi.DefaultLimits()}
}

// App is an assembled server.
type App struct {
	DB *store.DB
	// Clock is the clock every service reads.
	Clock    clock.Clock
	Accounts *account.Service
	Platform *account.Platform
	Orgs     *org.Service
	Fleet    *fleet.Service
	Gateway  *gateway.Gateway
	Firmware *firmware.Service
	Upgrades *upgrade.Service
	ACS      *acs.Service
	Licenses *license.Service

	base        context.Context
	cancelBase  context.CancelFunc
	stopGateway context.CancelFunc
	gatewayDone chan struct{}
	Audit       *audit.Service
	API         *httpapi.API
	Web         *web.UI
	Registry    *prometheus.Registry
	Handler     http.Handler
	metrics     http.Handler
	wrap        func(http.Handler) http.Handler
	Jobs        *jobs.Runner
	Mail        *mail.Deliverer
	Outbox      *mail.Outbox
}

// New builds the server over db.
func New(cfg Config, db *store.DB, clk clock.Clock, log *slog.Logger) *App {
	if clk == nil {
		clk = clock.Real{}
	}
	a := &App{DB: db, Clock: clk, Registry: prometheus.NewRegistry()}
	a.base, a.cancelBase = context.WithCancel(context.Background())
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mailer := mail.NewMailer(clk, cfg.BaseURL)
	acfg := cfg.Account
	acfg.Compose = mailer.Message
	a.Accounts = account.NewService(db.Accounts(), clk, acfg)
	a.Platform = account.NewPlatform(db.Platform(), clk)
	a.Orgs = org.NewService(db.Orgs(), clk, org.Config{BaseURL: cfg.BaseURL, Compose: mailer.Message})
	a.Audit = audit.NewService(db.Audit())
	a.Fleet = fleet.NewService(db.Fleet(), clk, cfg.Fleet, nil)
	gcfg := cfg.Gateway
	gcfg.Heartbeat = a.Fleet.Heartbeat()
	var bus gateway.Bus
	if db.CanListen() {
		bus = db
	}
	a.Gateway = gateway.New(db.Gateway(), bus, clk, log, gcfg)
	a.Fleet.SetNotifier(a.Gateway)
	a.Firmware = firmware.NewService(db.Firmware(), clk, log, cfg.Firmware)
	a.Gateway.SetFirmware(a.Firmware)
	a.Fleet.SetCatalogue(a.Firmware.Releases)
	ucfg := cfg.Upgrade
	ucfg.Heartbeat = a.Fleet.Heartbeat()
	a.Upgrades = upgrade.NewService(db.Upgrades(), clk, log, ucfg, a.Firmware.Published, a.Gateway)
	a.Gateway.SetUpgrades(a.Upgrades)
	a.Firmware.SetHooks(firmware.Hooks{
		Published: func(ctx context.Context, _ firmware.Published) error { return a.Upgrades.Scheduler(ctx) },
		Withdrawn: func(ctx context.Context, p firmware.Published) error {
			_, err := a.Upgrades.Withdrawn(ctx, p.ID, p.Version.String(), p.WithdrawnReason)
			return err
		},
	})
	acsCfg := cfg.ACS
	acsCfg.BaseURL, acsCfg.Compose = cfg.BaseURL, mailer.Message
	a.ACS = acs.NewService(db.ACS(), clk, log, acsCfg)
	a.Gateway.SetServers(a.ACS)
	a.Licenses = license.NewService(db.Licenses(), clk, log)
	a.Licenses.SetMail(cfg.BaseURL, mailer.Message)
	a.Upgrades.SetGate(a.Licenses)
	a.Fleet.SetGate(a.Licenses)
	a.buildJobs(cfg, db, clk, log)
	var gatherer prometheus.Gatherer = a.Registry
	if cfg.MetricsApart {
		gatherer = nil
	}
	a.metrics = httpapi.MetricsHandler(a.Registry, cfg.MetricsToken, log)
	a.API = httpapi.New(httpapi.Deps{
		Accounts: a.Accounts, Platform: a.Platform, Orgs: a.Orgs, Fleet: a.Fleet, Firmware: a.Firmware, Upgrades: a.Upgrades, ACS: a.ACS, Licenses: a.Licenses, Audit: a.Audit, Outbox: a.Outbox, Clock: clk, Log: log,
		Gatherer: gatherer, MetricsToken: cfg.MetricsToken, Ready: db.Ping, TrustProxy: cfg.TrustProxy, RateLimit: cfg.RateLimit, Burst: cfg.Burst,
	})
	a.Web = web.New(web.Deps{
		Accounts: a.Accounts, Orgs: a.Orgs, Fleet: a.Fleet, Firmware: a.Firmware, Upgrades: a.Upgrades, ACS: a.ACS, Licenses: a.Licenses, Audit: a.Audit,
		Clock: clk, Log: log, SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://"), TrustProxy: cfg.TrustProxy,
		SessionTTL: cfg.Account.SessionTTL,
	})
	mux := http.NewServeMux()
	a.API.Register(mux)
	a.Web.Register(mux)
	a.Gateway.Register(mux)
	limits := cfg.HTTP
	if limits.OpenPaths == nil {
		limits.OpenPaths = gateway.OpenPaths()
	}
	opts := httpapi.Options{Limits: limits, HSTS: cfg.HSTS || strings.HasPrefix(cfg.BaseURL, "https://")}
	a.Handler = httpapi.Wrap(mux, log, httpapi.NewMetrics(a.Registry), opts)
	a.wrap = func(h http.Handler) http.Handler { return httpapi.Wrap(h, log, nil, opts) }
	return a
}

// EndRequests cancels the context of every request in flight (long-polls
// answer at once); call it before http.Server.Shutdown.
func (a *App) EndRequests() { a.cancelBase() }

// MaxStreams is how many requests one HTTP/2 connection may have open: a
// site controller's devices each hold a long-poll.
const MaxStreams = 5000

// Shutdown stops the background work, letting running jobs finish until ctx
// is done.
func (a *App) Shutdown(ctx context.Context) error {
	a.cancelBase()
	err := a.Jobs.Stop(ctx)
	if a.stopGateway != nil {
		a.stopGateway() // flushes presence once more
		select {
		case <-a.gatewayDone:
		case <-ctx.Done():
		}
	}
	return err
}
