package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"mysystems/internal/sim"
)

// simServerFlags are the flags of `mysystems sim --servers N`.
type simServerFlags struct {
	count      int
	tokens     string
	version    string
	install    time.Duration
	failShare  float64
	offline    float64
	offlineFor time.Duration
	poll       time.Duration
	prefix     string
	speed      float64
	ramp       time.Duration
	report     time.Duration
	verbose    bool
	server     string
}

// readTokens reads enrolment tokens, one a line ('mysystems servers enrol
// ORG --count N' prints them so); blank lines and # comments are skipped.
func readTokens(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

// runSimServers plays --servers N ACS Pro servers until ctx ends (SPEC §8).
func runSimServers(ctx context.Context, fl simServerFlags, stdout, stderr io.Writer) error {
	if fl.tokens == "" {
		return errors.New("sim: --servers needs --enrollment-tokens FILE (one token a line, from 'mysystems servers enrol ORG --count N')")
	}
	tokens, err := readTokens(fl.tokens)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if len(tokens) < fl.count {
		return fmt.Errorf("sim: --servers %d but %s has %d enrolment tokens", fl.count, fl.tokens, len(tokens))
	}
	level := slog.LevelWarn
	if fl.verbose {
		level = slog.LevelDebug
	}
	f := sim.NewServerFleet(sim.ServerConfig{
		Server: fl.server, Version: fl.version, InstallTime: fl.install, Speed: fl.speed, FailUpgrades: fl.failShare,
		Offline: fl.offline, OfflineFor: fl.offlineFor, PollEvery: fl.poll, StartSpread: fl.ramp,
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}, fl.prefix, fl.count)
	if err := f.Register(ctx, tokens[:fl.count]); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	fmt.Fprintf(stdout, "sim: %d ACS Pro servers registered with %s; Ctrl+C to stop\n", fl.count, fl.server)
	f.Start(ctx)
	tick := time.NewTicker(fl.report)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			f.Stop()
			fmt.Fprintf(stdout, "%s %s\n", time.Now().Format("15:04:05"), f.Stats())
			return nil
		case <-tick.C:
			fmt.Fprintf(stdout, "%s %s\n", time.Now().Format("15:04:05"), f.Stats())
		}
	}
}
