// Command mysystems is the whole product in one binary: the server (serve,
// demo), database maintenance (migrate), vendor-operator tasks (vendor …)
// and the API client (login, orgs, audit, tokens …).
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/cli"
	"mysystems/internal/mail"
	"mysystems/internal/store"
)

const usage = `mysystems: manage organizations, devices, AXIS OS and licenses.

Server:
  mysystems serve    [--listen ADDR] [--data-dir DIR] [--database DB] [--base-url URL]
                     [--tls-cert FILE --tls-key FILE]
  mysystems demo     start a server with demo data; prints its URL, logins, devices to add
  mysystems migrate  apply database migrations and exit
  mysystems vendor token   [--name NAME]   print a new platform (vendor-operator) token
  mysystems vendor restore ORG_ID          restore an archived organization
  mysystems vendor outbox  [--to EMAIL]    show e-mails in the outbox, bodies included (no SMTP: read links here)
  mysystems vendor devices mint --model M --count N [--out FILE]
                                           mint device identities: CSV serial,model,secret,oak
  mysystems vendor firmware publish --model M --version V --track active|lts-YYYY --file IMAGE
                                   [--released YYYY-MM-DD]
                                           publish an AXIS OS release (image stored by SHA-256, signed)
  mysystems vendor firmware withdraw RELEASE_ID --reason TEXT
                                           stop recommending a release
  mysystems vendor acs publish --version V [--released YYYY-MM-DD] [--url URL]
                                           publish an ACS Pro version (servers get a recommended upgrade)
  mysystems vendor products add --id ID --name NAME --licensing subscription|hardware|both
                                [--covers PATTERNS] [--gates FEATURES]
                                           add a product to the license catalogue
  mysystems vendor products list           the license catalogue
  mysystems vendor keys issue --product P --quantity Q --count N
                                           issue license keys (shown once; only their hashes are kept)
  mysystems vendor licenses verify         check that every organization's licenses balance (LIC-13);
                                           prints each imbalance and exits 1 if any

Load and simulation:
  mysystems sim --server URL --devices devices.csv [--sites S]   play simulated devices
  mysystems sim --server URL --servers N --enrollment-tokens FILE  play simulated ACS Pro servers
  mysystems bench fleet [--devices N] [--sites S]                measure the gateway (docs/BENCHMARKS.md)
  mysystems bench servers [--servers N] [--poll D]               measure ACS Pro servers' polls (docs/BENCHMARKS.md)
  mysystems bench upgrades dispatch|cycle|download|window        measure AXIS OS upgrades (docs/BENCHMARKS.md)

Client (talks to a server's API; see 'mysystems help client'):
  mysystems login | logout | whoami | register | mfa …
  mysystems orgs … | members … | invite | invitations … | accept | folders … | devices … | firmware list
  | audit … | tokens …

Configuration: flags, MYSYSTEMS_* environment variables (MYSYSTEMS_DATABASE_FILE for
secrets), or a JSON file given with --config FILE. 'mysystems COMMAND --help' says more.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr, getenv, false)
	case "demo":
		err = cmdServe(ctx, args[1:], stdout, stderr, getenv, true)
	case "bench":
		err = cmdBench(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout, stderr, getenv)
	case "vendor":
		err = cmdVendor(ctx, args[1:], stdout, stderr, getenv)
	case "sim":
		err = cmdSim(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		if len(args) > 1 && args[1] == "client" {
			fmt.Fprint(stdout, cli.Usage)
			return 0
		}
		fmt.Fprint(stdout, usage)
		return 0
	default:
		return cli.Run(ctx, args, stdin, stdout, stderr, getenv)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "mysystems:", err)
		return 1
	}
	return 0
}

func loadConfig(name string, args []string, stderr io.Writer, getenv func(string) string, extra func(*flag.FlagSet)) (Config, []string, error) {
	cfg := defaultConfig()
	if err := cfg.loadFileAndEnv(args, getenv); err != nil {
		return cfg, nil, err
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, name)
	cfg.bindFlags(fs)
	fs.String("config", "", "JSON configuration file")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	if err := cfg.check(); err != nil {
		return cfg, nil, err
	}
	return cfg, fs.Args(), nil
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func openDB(ctx context.Context, cfg Config, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabaseSetting())
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("database migrated", "dialect", db.Dialect(), "applied", strings.Join(applied, ","))
	}
	return db, nil
}

// openApp opens and migrates the database of cfg and assembles the
// application on it, logging to w.
func openApp(ctx context.Context, cfg Config, w io.Writer) (*app.App, *store.DB, *slog.Logger, error) {
	log := newLogger(cfg, w)
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	return app.New(appConfig(cfg), db, nil, log), db, log, nil
}

func appConfig(cfg Config) app.Config {
	ac := app.DefaultConfig()
	ac.BaseURL = cfg.URL()
	ac.TrustProxy = cfg.TrustProxy
	ac.RateLimit, ac.Burst = cfg.RateLimit, cfg.RateBurst
	ac.SMTPURL = cfg.SMTPURL
	ac.HSTS = cfg.TLS()
	ac.MetricsToken = cfg.MetricsToken
	ac.MetricsApart = cfg.MetricsListen != ""
	ac.Firmware.DataDir = cfg.DataDir
	if cfg.Heartbeat > 0 {
		ac.Fleet.Heartbeat = cfg.Heartbeat
	}
	return ac
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, demo bool) error {
	demoDevices := 0
	var extra func(*flag.FlagSet)
	if demo {
		extra = func(fs *flag.FlagSet) {
			fs.IntVar(&demoDevices, "demo-devices", 300, "simulated devices in the demo organization (first run only)")
		}
	}
	name := "serve"
	if demo {
		name = "demo"
	}
	cfg, _, err := loadConfig(name, args, stderr, getenv, extra)
	if err != nil {
		return err
	}
	if cfg.SMTPURL != "" {
		if _, err := mail.ParseSMTPURL(cfg.SMTPURL); err != nil {
			return err
		}
	}
	var cert tls.Certificate
	if cfg.TLS() {
		if cfg.TLSCert == "" || cfg.TLSKey == "" {
			return errors.New("give both --tls-cert and --tls-key (or neither, for cleartext behind a TLS-terminating proxy)")
		}
		if demo {
			return errors.New("the demo serves cleartext HTTP on loopback for its simulated fleet; --tls-cert and --tls-key are for serve")
		}
		if cert, err = tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey); err != nil {
			return fmt.Errorf("TLS certificate: %w", err)
		}
	}
	a, db, log, err := openApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := a.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server running? try --listen 127.0.0.1:8081)", cfg.Listen, err)
	}
	if cfg.BaseURL == "" {
		cfg.Listen = ln.Addr().String()
	}
	if cfg.Pprof != "" {
		if err := startPprof(cfg.Pprof, log); err != nil {
			ln.Close()
			return err
		}
	}
	if cfg.MetricsListen != "" {
		msrv, err := serveMetrics(a, cfg.MetricsListen, log, stdout)
		if err != nil {
			ln.Close()
			return err
		}
		defer msrv.Close()
	}
	srv := a.Server(cfg.Listen)
	srv.ErrorLog = httpErrorLog(log)
	if cfg.TLS() {
		srv.TLSConfig.Certificates = []tls.Certificate{cert}
		srv.TLSConfig.MinVersion = tls.VersionTLS12
		ln = tls.NewListener(ln, srv.TLSConfig)
	} else if !isLoopback(ln.Addr()) && !cfg.TrustProxy {
		log.Warn("serving cleartext HTTP on a non-loopback address: devices and browsers send secrets over it; " +
			"give --tls-cert and --tls-key, or put a TLS-terminating proxy in front (and set --trust-proxy)")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	stopFleet := func() {}
	if demo {
		stopFleet, err = startDemo(ctx, a, cfg, db.Dialect(), "http://"+ln.Addr().String(), demoDevices, stdout, log)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("demo data: %w", err)
		}
	} else {
		fmt.Fprintf(stdout, "mysystems listening on %s (%s)\n", cfg.URL(), db.Dialect())
	}
	defer stopFleet()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	stopFleet()
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	a.EndRequests() // long-polls answer now instead of holding the shutdown
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return a.Shutdown(sctx)
}

// httpErrorLog sends net/http's own error lines to the structured log:
// failed TLS handshakes (scanners, clients without the certificate's CA) at
// debug, anything else at warn.
func httpErrorLog(log *slog.Logger) *stdlog.Logger {
	return stdlog.New(httpErrorWriter{log}, "", 0)
}

type httpErrorWriter struct{ log *slog.Logger }

func (w httpErrorWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelWarn
	if strings.Contains(msg, "TLS handshake error") {
		level = slog.LevelDebug
	}
	w.log.Log(context.Background(), level, "http server", "err", msg)
	return len(p), nil
}

func isLoopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, _, err := loadConfig("migrate", args, stderr, getenv, nil)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseSetting())
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "database is up to date (%s, schema version %d)\n", db.Dialect(), v)
		return nil
	}
	fmt.Fprintf(stdout, "applied %s (%s, schema version %d)\n", strings.Join(applied, ", "), db.Dialect(), v)
	return nil
}

func cmdVendor(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return errors.New("vendor: say what: token | restore ORG_ID | outbox | devices mint | firmware publish|withdraw | acs publish | products add|list | keys issue | licenses verify")
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, vendorUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "devices": // its own flags, parsed after "mint"
		return cmdVendorDevices(ctx, args[1:], stdout, stderr, getenv)
	case "firmware": // its own flags, parsed after "publish" or "withdraw"
		return cmdVendorFirmware(ctx, args[1:], stdout, stderr, getenv)
	case "acs": // its own flags, parsed after "publish"
		return cmdVendorACS(ctx, args[1:], stdout, stderr, getenv)
	case "products": // its own flags, parsed after "add" or "list"
		return cmdVendorProducts(ctx, args[1:], stdout, stderr, getenv)
	case "keys": // its own flags, parsed after "issue"
		return cmdVendorKeys(ctx, args[1:], stdout, stderr, getenv)
	case "licenses": // its own flags, parsed after "verify"
		return cmdVendorLicenses(ctx, args[1:], stdout, stderr, getenv)
	}
	var name, to string
	var limit int
	cfg, rest, err := loadConfig("vendor "+args[0], args[1:], stderr, getenv, func(fs *flag.FlagSet) {
		if args[0] == "token" {
			fs.StringVar(&name, "name", "operator", "a name to recognise the token by")
		}
		if args[0] == "outbox" {
			fs.StringVar(&to, "to", "", "only e-mails to this address")
			fs.IntVar(&limit, "limit", 20, "how many, newest first")
		}
	})
	if err != nil {
		return err
	}
	a, db, _, err := openApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "token":
		t, secret, err := a.Platform.CreateToken(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stderr, "platform token", t.ID, "created; it is shown once:")
		fmt.Fprintln(stdout, secret)
		return nil
	case "outbox":
		return printOutbox(ctx, stdout, a.Outbox, to, limit)
	case "restore":
		if len(rest) != 1 {
			return errors.New("vendor restore: give the organization id")
		}
		o, err := a.Orgs.Restore(ctx, audit.Actor{Kind: audit.KindVendor, ID: "cli", Email: "vendor:shell"}, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "organization %s (%s) restored\n", o.ID, o.Name)
		return nil
	}
	return fmt.Errorf("vendor: unknown command %q (token | restore | outbox | devices | firmware | acs | products | keys | licenses)", args[0])
}

// serveMetrics serves /metrics on its own listener, printing its URL.
func serveMetrics(a *app.App, addr string, log *slog.Logger, stdout io.Writer) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	srv := a.MetricsServer(addr)
	srv.ErrorLog = httpErrorLog(log)
	fmt.Fprintf(stdout, "metrics on http://%s/metrics\n", ln.Addr())
	go func() { _ = srv.Serve(ln) }()
	return srv, nil
}

// startPprof serves Go's profiling endpoints on their own listener, never on
// the public one.
func startPprof(addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pprof listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	log.Info("profiling endpoints", "addr", ln.Addr().String())
	go func() { _ = http.Serve(ln, mux) }()
	return nil
}
