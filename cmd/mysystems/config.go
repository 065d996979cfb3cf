package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/app"
)

// Config is the whole configuration of a server process: a plain struct
// built from defaults, then an optional JSON file, then MYSYSTEMS_*
// environment variables (secrets also as *_FILE), then flags.
type Config struct {
	Listen     string  `json:"listen"`
	DataDir    string  `json:"data_dir"`
	Database   string  `json:"database"` // SQLite file path or postgres:// URL; default <data_dir>/mysystems.db
	BaseURL    string  `json:"base_url"`
	TrustProxy bool    `json:"trust_proxy"`
	LogFormat  string  `json:"log_format"` // text or json
	LogLevel   string  `json:"log_level"`  // debug, info, warn, error
	RateLimit  float64 `json:"rate_limit"`
	RateBurst  int     `json:"rate_burst"`
	// Pprof is an address for Go's profiling endpoints (off when empty).
	Pprof string `json:"pprof"`
	// Heartbeat is the interval devices are asked to heartbeat at.
	Heartbeat time.Duration `json:"heartbeat"`
	SMTPURL   string        `json:"smtp_url"` // smtp://user:pass@host:587?from=…; empty keeps mail in the outbox
	// TLSCert and TLSKey are PEM files: with both, the server speaks
	// HTTPS (HTTP/2 and HTTP/1.1 over TLS); without, cleartext, for
	// loopback and behind a TLS-terminating proxy.
	TLSCert string `json:"tls_cert"`
	TLSKey  string `json:"tls_key"`
	// MetricsListen is an address serving /metrics instead of the main
	// listener (empty: /metrics is on the main listener).
	MetricsListen string `json:"metrics_listen"`
	// MetricsToken, when set, is the bearer token /metrics asks for.
	MetricsToken string `json:"metrics_token"`
}

func defaultConfig() Config {
	d := app.DefaultConfig()
	return Config{Listen: "127.0.0.1:8080", DataDir: "./data", LogFormat: "text", LogLevel: "info",
		RateLimit: d.RateLimit, RateBurst: d.Burst, Heartbeat: d.Fleet.Heartbeat}
}

// DatabaseSetting is the database to open: the configured one or the SQLite
// file in the data directory.
func (c Config) DatabaseSetting() string {
	if c.Database != "" {
		return c.Database
	}
	return filepath.Join(c.DataDir, "mysystems.db")
}

// URL is the base URL, derived from the listen address when not set.
func (c Config) URL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	host := c.Listen
	if strings.HasPrefix(host, ":") {
		host = "127.0.0.1" + host
	}
	if c.TLS() {
		return "https://" + host
	}
	return "http://" + host
}

// TLS reports whether the server serves HTTPS itself.
func (c Config) TLS() bool { return c.TLSCert != "" || c.TLSKey != "" }

// bindFlags registers the server flags on fs, writing into c. Call
// loadFileAndEnv first so flags override them.
func (c *Config) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to listen on")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory (SQLite file, firmware images)")
	fs.StringVar(&c.Database, "database", c.Database, "SQLite file path or postgres:// URL (default: <data-dir>/mysystems.db)")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL of the server, used in e-mailed links (default: from --listen)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", c.TrustProxy, "take client addresses from X-Forwarded-For (only behind a proxy)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
	fs.Float64Var(&c.RateLimit, "rate-limit", c.RateLimit, "API requests per second per token and per organization (0: unlimited)")
	fs.IntVar(&c.RateBurst, "rate-burst", c.RateBurst, "API rate-limit burst")
	fs.StringVar(&c.Pprof, "pprof", c.Pprof, "serve Go's profiling endpoints (/debug/pprof/) on this address, e.g. 127.0.0.1:6060 (off by default)")
	fs.DurationVar(&c.Heartbeat, "heartbeat", c.Heartbeat, "interval devices heartbeat at; silent for 3 intervals is offline")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "PEM certificate chain: serve HTTPS (HTTP/2 and HTTP/1.1 over TLS) with --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key of --tls-cert")
	fs.StringVar(&c.MetricsListen, "metrics-listen", c.MetricsListen, "serve /metrics on this address instead of --listen, e.g. 127.0.0.1:9090")
	fs.StringVar(&c.MetricsToken, "metrics-token", c.MetricsToken, "bearer token /metrics asks for (prefer MYSYSTEMS_METRICS_TOKEN_FILE)")
	fs.StringVar(&c.SMTPURL, "smtp-url", c.SMTPURL, "mail server, smtp://user:pass@host:587?from=noreply@example.com&tls=starttls|tls|none (default: keep e-mail in the outbox; see 'vendor outbox')")
}

// loadFileAndEnv applies the config file (path from --config found in args
// or MYSYSTEMS_CONFIG) and the environment.
func (c *Config) loadFileAndEnv(args []string, getenv func(string) string) error {
	path := getenv("MYSYSTEMS_CONFIG")
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			path = v
		} else if (a == "--config" || a == "-config") && i+1 < len(args) {
			path = args[i+1]
		}
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("config file: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(c); err != nil {
			return fmt.Errorf("config file %s: %w", path, err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return fmt.Errorf("config file %s: more than one JSON object (or text after it)", path)
		}
	}
	str := func(name string, dst *string) error {
		if v := getenv(name); v != "" {
			*dst = v
		}
		if f := getenv(name + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("%s_FILE: %w", name, err)
			}
			*dst = strings.TrimSpace(string(b))
		}
		return nil
	}
	for name, dst := range map[string]*string{
		"MYSYSTEMS_LISTEN": &c.Listen, "MYSYSTEMS_DATA_DIR": &c.DataDir, "MYSYSTEMS_DATABASE": &c.Database,
		"MYSYSTEMS_BASE_URL": &c.BaseURL, "MYSYSTEMS_LOG_FORMAT": &c.LogFormat, "MYSYSTEMS_LOG_LEVEL": &c.LogLevel,
		"MYSYSTEMS_SMTP_URL": &c.SMTPURL, "MYSYSTEMS_TLS_CERT": &c.TLSCert, "MYSYSTEMS_TLS_KEY": &c.TLSKey,
		"MYSYSTEMS_METRICS_LISTEN": &c.MetricsListen, "MYSYSTEMS_METRICS_TOKEN": &c.MetricsToken,
	} {
		if err := str(name, dst); err != nil {
			return err
		}
	}
	if v := getenv("MYSYSTEMS_TRUST_PROXY"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("MYSYSTEMS_TRUST_PROXY: %w", err)
		}
		c.TrustProxy = b
	}
	if v := getenv("MYSYSTEMS_RATE_LIMIT"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("MYSYSTEMS_RATE_LIMIT: %w", err)
		}
		c.RateLimit = f
	}
	return nil
}

// check refuses settings the server cannot run with, whichever of the file,
// the environment or the flags gave them, rather than starting with
// something else than what was asked.
func (c Config) check() error {
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	if math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) || c.RateLimit < 0 {
		return fmt.Errorf("rate limit %v: want a number of requests per second, 0 for none", c.RateLimit)
	}
	if c.RateBurst < 0 || c.RateLimit > 0 && c.RateBurst < 1 {
		return fmt.Errorf("rate burst %d: want at least 1 with a rate limit", c.RateBurst)
	}
	if c.Heartbeat < 0 {
		return fmt.Errorf("heartbeat %v: want a positive interval, 0 for the default", c.Heartbeat)
	}
	return nil
}
