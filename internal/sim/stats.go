package sim

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a running fleet. Counters are cumulative since
// Start; the percentiles cover the samples of the last Config.StatsWindow.
type Stats struct {
	Devices     int // simulated devices
	Online      int // devices holding a session whose last exchange succeeded
	Connections int // TCP connections open right now
	Dials       uint64

	Hellos          uint64
	HelloErrors     uint64
	Heartbeats      uint64 // heartbeats answered 200
	HeartbeatErrors uint64
	Polls           uint64 // long-polls started
	PollErrors      uint64

	HeartbeatSamples int
	HeartbeatP50     time.Duration
	HeartbeatP99     time.Duration

	Received     uint64 // command deliveries, redeliveries included
	Redelivered  uint64 // deliveries of a command already applied
	Applied      uint64 // commands applied with success
	Failed       uint64 // commands answered with a failure
	Results      uint64 // results posted and acknowledged
	ResultErrors uint64 // results given up on (the gateway will deliver again)

	// Issue→receive latency, only when the gateway sends issued_at.
	IssueSamples int
	IssueP50     time.Duration
	IssueP99     time.Duration

	Reboots  uint64
	Drops    uint64
	Offlines uint64

	// AXIS OS upgrades (GW-3).
	Upgrades        uint64 // upgrade commands started
	DownloadBytes   uint64 // image bytes downloaded
	DownloadResumes uint64 // range requests resumed after a cut or an error
	ProgressErrors  uint64 // progress reports that got no answer
	Installs        uint64
	InstallFailures uint64 // installs that failed (the device came back on its version)
	DoubleInstalls  uint64 // installs of a task the device had already installed: always 0
	Refusals        uint64 // upgrades refused before installing (bad image, wrong model, …)
	UpgradeStops    uint64 // upgrades the portal stopped before the install
}

// String is the one-line report of `mysystems sim`.
func (s Stats) String() string {
	line := fmt.Sprintf("online %d/%d conns %d | hello %d (err %d) | hb %d (err %d) p50 %s p99 %s | poll %d (err %d) | cmd recv %d redeliv %d ok %d fail %d results %d (err %d)",
		s.Online, s.Devices, s.Connections, s.Hellos, s.HelloErrors,
		s.Heartbeats, s.HeartbeatErrors, fmtDur(s.HeartbeatP50), fmtDur(s.HeartbeatP99),
		s.Polls, s.PollErrors,
		s.Received, s.Redelivered, s.Applied, s.Failed, s.Results, s.ResultErrors)
	if s.IssueSamples > 0 {
		line += fmt.Sprintf(" issue→recv p50 %s p99 %s", fmtDur(s.IssueP50), fmtDur(s.IssueP99))
	}
	if s.Upgrades > 0 {
		line += fmt.Sprintf(" | upgrades %d dl %.1f MB resumes %d installs %d (fail %d) refused %d stopped %d",
			s.Upgrades, float64(s.DownloadBytes)/1e6, s.DownloadResumes, s.Installs, s.InstallFailures, s.Refusals, s.UpgradeStops)
		if s.DoubleInstalls > 0 {
			line += fmt.Sprintf(" DOUBLE INSTALLS %d", s.DoubleInstalls)
		}
	}
	if s.Reboots+s.Drops+s.Offlines > 0 {
		line += fmt.Sprintf(" | reboots %d drops %d offline %d", s.Reboots, s.Drops, s.Offlines)
	}
	return line
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// counters are the fleet's cumulative counts.
type counters struct {
	online, conns                          atomic.Int64
	dials                                  atomic.Uint64
	hellos, helloErrors                    atomic.Uint64
	heartbeats, heartbeatErrors            atomic.Uint64
	polls, pollErrors                      atomic.Uint64
	received, redelivered, applied, failed atomic.Uint64
	results, resultErrors                  atomic.Uint64
	reboots, drops, offlines               atomic.Uint64

	upgrades, downloadBytes, downloadResumes, progressErrors atomic.Uint64
	installs, installFailures, doubleInstalls                atomic.Uint64
	upgradeRefusals, upgradeStops                            atomic.Uint64
}

// windowCap bounds the samples a window keeps: beyond it the oldest go
// first, so at very high rates the window is the last windowCap samples.
const windowCap = 1 << 16

// window holds latency samples and computes percentiles over those younger
// than span.
type window struct {
	span time.Duration
	mu   sync.Mutex
	at   []int64 // unix nanoseconds
	d    []time.Duration
	next int
}

func newWindow(span time.Duration) *window { return &window{span: span} }

func (w *window) add(d time.Duration) {
	now := time.Now().UnixNano()
	w.mu.Lock()
	if len(w.d) < windowCap {
		w.at = append(w.at, now)
		w.d = append(w.d, d)
	} else {
		w.at[w.next], w.d[w.next] = now, d
		w.next = (w.next + 1) % windowCap
	}
	w.mu.Unlock()
}

// percentiles returns p50, p99 and the sample count over the window.
func (w *window) percentiles() (p50, p99 time.Duration, n int) {
	cut := time.Now().Add(-w.span).UnixNano()
	w.mu.Lock()
	s := make([]time.Duration, 0, len(w.d))
	for i, at := range w.at {
		if at >= cut {
			s = append(s, w.d[i])
		}
	}
	w.mu.Unlock()
	if len(s) == 0 {
		return 0, 0, 0
	}
	slices.Sort(s)
	pick := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return pick(0.50), pick(0.99), len(s)
}
