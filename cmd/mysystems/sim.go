package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"mysystems/internal/sim"
)

const simUsage = `usage: mysystems sim --server URL --devices devices.csv [flags]
       mysystems sim --server URL --servers N --enrollment-tokens tokens.txt [flags]

Plays a fleet of simulated devices against a device gateway (GW-4): each
device says hello, heartbeats, long-polls for commands and applies them
(reboot, identify, local accounts, AXIS OS upgrades: ranged download,
SHA-256 and signature checks, install when the portal says so, reboot), with
optional injected faults. The CSV is
the one 'mysystems vendor devices mint' writes (serial,model,secret,oak).
With --servers N it plays N ACS Pro servers instead (SPEC §8): each registers
with one enrolment token of the file, polls with a drifting health, takes an
upgrade when one is queued, is silent for --install-time and reports the
outcome (a share --fail-upgrades fail); --offline makes some go silent.
Prints a stats line every --report interval; runs until Ctrl+C.

`

// cmdSim runs `mysystems sim`.
func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, simUsage)
		fs.PrintDefaults()
	}
	server := fs.String("server", "", "gateway base URL, e.g. http://127.0.0.1:8080 (cleartext: h2c or HTTP/1.1)")
	devices := fs.String("devices", "", "devices CSV (serial,model,secret,oak)")
	count := fs.Int("count", 0, "devices to simulate, the first N of the file (0: all)")
	sites := fs.Int("sites", 0, "spread devices over S sites, one HTTP/2 connection each (0: one connection per device)")
	http1 := fs.Bool("http1", false, "one HTTP/1.1 connection per device instead of HTTP/2 (heartbeats go between polls)")
	hbJitter := fs.Duration("heartbeat-jitter", 5*time.Second, "move each heartbeat by up to ± this much")
	heartbeat := fs.Duration("heartbeat", 0, "heartbeat interval override (0: the gateway's)")
	ramp := fs.Duration("ramp", 10*time.Second, "spread the first hellos over this duration")
	speed := fs.Float64("speed", 1, "divide device-side times (reboot 20–40 s, reconnect backoff) by this factor")
	wait := fs.Int("wait", 55, "long-poll wait in seconds (the gateway allows up to 60)")
	firmware := fs.String("firmware", "", "firmware version the devices report (default 12.2.54)")
	failAccounts := fs.Float64("fail-accounts", 0, "probability that a device refuses a valid account change")
	drop := fs.Float64("drop", 0, "probability, per long-poll, that the connection is cut during it")
	offline := fs.Float64("offline", 0, "probability, per heartbeat, that a device goes silent for --offline-for")
	offlineFor := fs.Duration("offline-for", 0, "how long an offline fault lasts (0: 4 heartbeat intervals)")
	offlineShare := fs.Float64("offline-share", 0, "share of the devices (0–1, picked at random) that go silent --offline-at after the start for --offline-during, e.g. through a maintenance window")
	offlineAt := fs.Duration("offline-at", 0, "when the offline window of --offline-share starts, after the start")
	offlineDuring := fs.Duration("offline-during", 0, "how long the offline window of --offline-share lasts (wall-clock, not divided by --speed)")
	installMin := fs.Duration("install-min", 60*time.Second, "shortest AXIS OS install (before --speed)")
	installMax := fs.Duration("install-max", 120*time.Second, "longest AXIS OS install (before --speed)")
	chunk := fs.Int64("chunk", 256<<10, "size in bytes of the range requests that download an image")
	failInstall := fs.Float64("fail-install", 0, "share of installs that fail (the device comes back on its version)")
	dropDownload := fs.Float64("drop-download", 0, "probability, per range request of a download, that the connection is cut midway (the device resumes)")
	tamper := fs.Float64("tamper", 0, "probability that a download is corrupted, so the device refuses the image")
	report := fs.Duration("report", 10*time.Second, "stats line interval")
	verbose := fs.Bool("v", false, "log device errors")
	var srv simServerFlags
	fs.IntVar(&srv.count, "servers", 0, "play N ACS Pro servers instead of devices (SPEC §8)")
	fs.StringVar(&srv.tokens, "enrollment-tokens", "", "servers: file of enrolment tokens, one a line ('mysystems servers enrol ORG --count N')")
	fs.StringVar(&srv.version, "server-version", "", "servers: the ACS Pro version they run at first (default "+sim.DefaultServerVersion+")")
	fs.DurationVar(&srv.install, "install-time", 0, "servers: how long an upgrade keeps one silent (default 8m divided by --speed)")
	fs.Float64Var(&srv.failShare, "fail-upgrades", 0.1, "servers: share of upgrades that fail")
	fs.DurationVar(&srv.poll, "poll", 0, "servers: poll interval override (0: the portal's, 60 s by default)")
	fs.StringVar(&srv.prefix, "server-name", "ACS Pro server", "servers: name prefix (names are PREFIX-1 … PREFIX-N)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim: unexpected argument %q", fs.Arg(0))
	}
	if srv.count > 0 {
		if *server == "" {
			return errors.New("sim: --server is required")
		}
		srv.server, srv.speed, srv.ramp, srv.report, srv.verbose = *server, *speed, *ramp, *report, *verbose
		srv.offline, srv.offlineFor = *offline, *offlineFor
		return runSimServers(ctx, srv, stdout, stderr)
	}
	if *server == "" || *devices == "" {
		fs.Usage()
		return errors.New("sim: --server and --devices are required")
	}
	if *count < 0 || *report <= 0 {
		return errors.New("sim: --count must be 0 or more and --report positive")
	}
	if *installMin <= 0 || *installMax < *installMin || *chunk <= 0 {
		return errors.New("sim: --install-min must be positive, --install-max at least --install-min, and --chunk positive")
	}
	ids, err := sim.LoadIdentities(*devices)
	if err != nil {
		return err
	}
	if *count > 0 {
		if *count > len(ids) {
			return fmt.Errorf("sim: --count %d but %s has %d devices", *count, *devices, len(ids))
		}
		ids = ids[:*count]
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	loadGeneratorGC()
	f, err := sim.New(sim.Config{
		Server:          *server,
		Sites:           *sites,
		HTTP1:           *http1,
		Speed:           *speed,
		StartSpread:     *ramp,
		HeartbeatJitter: *hbJitter,
		HeartbeatEvery:  *heartbeat,
		PollWait:        *wait,
		Firmware:        *firmware,
		FailAccounts:    *failAccounts,
		Drop:            *drop,
		Offline:         *offline,
		OfflineFor:      *offlineFor,
		OfflineShare:    *offlineShare,
		OfflineAt:       *offlineAt,
		OfflineDuring:   *offlineDuring,
		InstallMin:      *installMin,
		InstallMax:      *installMax,
		ChunkSize:       *chunk,
		FailInstall:     *failInstall,
		DropDownload:    *dropDownload,
		Tamper:          *tamper,
		StatsWindow:     *report,
		Log:             slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return err
	}
	mode := "one HTTP/2 connection per device"
	switch {
	case *sites > 0:
		mode = fmt.Sprintf("%d sites, one HTTP/2 connection each", *sites)
		if per := (len(ids) + *sites - 1) / *sites; 2*per > 250 {
			fmt.Fprintf(stderr, "sim: note: %d devices per site hold up to %d concurrent streams on one connection; the gateway must allow that many (mysystems serve: 5000; Go's default: 250) or requests wait for a free stream\n", per, 2*per)
		}
	case *http1:
		mode = "one HTTP/1.1 connection per device"
	}
	fmt.Fprintf(stdout, "sim: %d devices against %s, %s; Ctrl+C to stop\n", len(ids), *server, mode)
	if err := f.Start(ctx, ids); err != nil {
		return err
	}
	tick := time.NewTicker(*report)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintf(stdout, "%s %s\n", time.Now().Format("15:04:05"), f.Stats())
			f.Stop()
			return nil
		case <-tick.C:
			fmt.Fprintf(stdout, "%s %s\n", time.Now().Format("15:04:05"), f.Stats())
		}
	}
}

// loadGeneratorGC lets the simulator's heap grow to five times its live
// size before collecting (unless GOGC says otherwise). Playing 100,000
// devices holds ~1.5 GB live; with the default, each collection took 4–5 s
// of marking on this 2-core machine and requests made meanwhile stalled in
// GC assists, so the simulator measured its own pauses as gateway latency.
// A load generator's memory is not what is being measured.
func loadGeneratorGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
