package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/sim"
	"mysystems/internal/store"
)

const benchServersUsage = `usage: mysystems bench servers [flags]

Measures what ACS Pro servers cost the portal (SPEC §8): it seeds a database
with an organization and one enrolment token per server, starts 'mysystems
serve' as a child process, registers N simulated servers from this process
and lets them poll (every --poll, their first polls spread over one
interval), then reports the poll latency seen by the servers and the
server's CPU and RSS over the window, against its RSS before any server
registered. Long: not part of the test suite.

`

type benchServersConfig struct {
	servers         int
	poll            time.Duration
	settle, measure time.Duration
	database        string
	keep            bool
}

// cmdBenchServers runs `mysystems bench servers`.
func cmdBenchServers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c benchServersConfig
	fs := flag.NewFlagSet("bench servers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchServersUsage); fs.PrintDefaults() }
	fs.IntVar(&c.servers, "servers", 5000, "simulated ACS Pro servers")
	fs.DurationVar(&c.poll, "poll", 60*time.Second, "how often each server polls")
	fs.DurationVar(&c.settle, "settle", 0, "wait after the first round of polls before measuring (0: one poll interval)")
	fs.DurationVar(&c.measure, "measure", 120*time.Second, "measurement window")
	fs.StringVar(&c.database, "database", "", "postgres:// URL of an empty database to use (default: a SQLite file in a temporary directory)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.settle == 0 {
		c.settle = c.poll
	}
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	dir, dbURL, cleanup, err := benchDatabase(ctx, benchConfig{database: c.database, keep: c.keep})
	if err != nil {
		return err
	}
	defer cleanup()

	say("seeding an organization and %d enrolment tokens in %s", c.servers, redactURL(dbURL))
	seed, err := benchSeed(ctx, dbURL, 1, 1)
	if err != nil {
		return err
	}
	tokens, err := benchEnrolmentTokens(ctx, dbURL, seed.org, c.servers)
	if err != nil {
		return err
	}
	srv, err := startBenchServer(ctx, benchConfig{heartbeat: 60 * time.Second, pprofAddr: "127.0.0.1:0"}, dir, dbURL, stderr)
	if err != nil {
		return err
	}
	defer srv.stop()
	// The idle RSS is the lowest of ten seconds' readings: right after
	// start the runtime has not yet returned the migration's memory.
	var rssIdle int64
	for range 10 {
		if err := sleepCtx(ctx, time.Second); err != nil {
			return err
		}
		if r := procRSS(srv.pid); rssIdle == 0 || r < rssIdle {
			rssIdle = r
		}
	}
	say("server pid %d at %s, RSS %d MiB before any server registered", srv.pid, srv.base, rssIdle>>20)

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2048}}
	f := sim.NewServerFleet(sim.ServerConfig{Server: srv.base, Client: client, PollEvery: c.poll, StartSpread: c.poll,
		FailUpgrades: 0, StatsWindow: c.measure, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, "Bench server", c.servers)
	t0 := time.Now()
	if err := f.Register(ctx, tokens); err != nil {
		return err
	}
	say("%d servers registered in %v", c.servers, time.Since(t0).Round(time.Millisecond))
	f.Start(ctx)
	defer f.Stop()
	say("settling for %v (every server polls once), then measuring for %v", c.settle, c.measure)
	if err := sleepCtx(ctx, c.settle); err != nil {
		return err
	}
	before, cpu0 := f.Stats(), procCPU(srv.pid)
	stopRSS := sampleRSS(srv.pid)
	if err := sleepCtx(ctx, c.measure); err != nil {
		stopRSS()
		return err
	}
	cpu1, rssMax := procCPU(srv.pid), stopRSS()
	after := f.Stats()
	polls := after.Polls - before.Polls
	db := "SQLite"
	if c.database != "" {
		db = "PostgreSQL"
	}
	fmt.Fprintf(stdout, "ACS Pro servers: %d polling every %v on %s, measured over %v\n", c.servers, c.poll, db, c.measure)
	fmt.Fprintf(stdout, "  polls          %d (%.1f/s), errors %d\n", polls, float64(polls)/c.measure.Seconds(), after.Errors-before.Errors)
	fmt.Fprintf(stdout, "  poll latency   p50 %s, p99 %s (%d timed)\n", ms(after.PollP50), ms(after.PollP99), after.Samples)
	fmt.Fprintf(stdout, "  server CPU     %.1f%% of one core\n", 100*(cpu1-cpu0)/c.measure.Seconds())
	fmt.Fprintf(stdout, "  server RSS     %d MiB idle before any server, %d MiB peak with them\n", rssIdle>>20, rssMax>>20)
	return nil
}

// benchEnrolmentTokens creates n enrolment tokens in the bench
// organization as the bench account.
func benchEnrolmentTokens(ctx context.Context, dbURL, orgID string, n int) ([]string, error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	a := app.New(app.DefaultConfig(), db, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	res, err := a.Accounts.Login(ctx, benchEmail, benchPassword, "bench", "bench")
	if err != nil {
		return nil, err
	}
	actor := audit.Actor{Kind: audit.KindUser, ID: res.User.ID, Email: res.User.Email}
	out := make([]string, 0, n)
	for range n {
		tok, _, err := a.ACS.CreateEnrollment(ctx, actor, orgID)
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	return out, nil
}
