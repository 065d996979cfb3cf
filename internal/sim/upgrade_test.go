package sim

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mysystems/internal/device"
)

const (
	oldVersion = "11.11.0"
	newVersion = "12.3.1"
	testModel  = "AXIS Q1615"
)

// testImage is a random image of n bytes.
func testImage(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// upgradeConfig is testConfig with small chunks and the old version.
func upgradeConfig(g *fakeGW) Config {
	cfg := testConfig(g)
	cfg.Firmware = oldVersion
	cfg.ChunkSize = 32 << 10
	return cfg
}

// rangeStarts are the first bytes of the Range headers seen.
func rangeStarts(t *testing.T, ranges []string) []int64 {
	t.Helper()
	var out []int64
	for _, r := range ranges {
		a, _, ok := strings.Cut(strings.TrimPrefix(r, "bytes="), "-")
		n, err := strconv.ParseInt(a, 10, 64)
		if !strings.HasPrefix(r, "bytes=") || !ok || err != nil {
			t.Fatalf("range %q", r)
		}
		out = append(out, n)
	}
	return out
}

func stages(ps []device.Progress) string {
	var s []string
	for _, p := range ps {
		if p.Stage == device.StageDownloading {
			s = append(s, p.Stage+":"+strconv.Itoa(p.Percent))
		} else {
			s = append(s, p.Stage)
		}
	}
	return strings.Join(s, " ")
}

func TestGW3_RangedDownloadResumesAfterDrop(t *testing.T) {
	for _, mode := range []string{"own connection", "site", "http1"} {
		t.Run("GW-3/"+mode, func(t *testing.T) {
			g := newFakeGW(t)
			id := g.add("ACCC8E00U001")
			cfg := upgradeConfig(g)
			cfg.DropDownload = 0.5
			switch mode {
			case "site":
				cfg.Sites = 1
			case "http1":
				cfg.HTTP1 = true
			}
			img := testImage(t, 300<<10+123)
			args := g.publish("rel_1", testModel, newVersion, img)
			f := startFleet(t, cfg, id)
			waitFor(t, "hello", func() bool { return g.hellos(id.Serial) == 1 })

			cmd := g.send(id.Serial, device.CmdUpgrade, args, 0)
			r := resultOf(t, g, cmd)
			if !r.OK || r.Firmware != newVersion || !strings.Contains(r.Message, newVersion) {
				t.Fatalf("result = %+v", r)
			}
			if fw := f.Device(id.Serial).Firmware(); fw != newVersion {
				t.Fatalf("device runs %s", fw)
			}
			if dev := g.dev(id.Serial); dev.hellos != 2 || dev.firmware != newVersion {
				t.Fatalf("gateway saw %d hellos, firmware %s: want a hello again with the new version", dev.hellos, dev.firmware)
			}
			// Ranges resume where the device was: increasing from 0, by a
			// chunk at most, and by less after a cut mid-chunk.
			starts := rangeStarts(t, g.rangesSeen())
			if starts[0] != 0 {
				t.Fatalf("first range starts at %d", starts[0])
			}
			short := false
			for i := 1; i < len(starts); i++ {
				gap := starts[i] - starts[i-1]
				if gap <= 0 || gap > cfg.ChunkSize {
					t.Fatalf("range starts %v: not resumed from the byte held", starts)
				}
				short = short || gap < cfg.ChunkSize
			}
			s := f.Stats()
			if s.Drops > 0 && (!short || s.DownloadResumes == 0) {
				t.Fatalf("%d cuts but range starts %v, stats %+v", s.Drops, starts, s)
			}
			if s.DownloadBytes != uint64(len(img)) || s.Upgrades != 1 || s.Installs != 1 || s.DoubleInstalls != 0 || s.Applied != 1 {
				t.Fatalf("stats = %+v", s)
			}
			if !strings.Contains(s.String(), "upgrades 1") {
				t.Fatalf("stats line %q", s.String())
			}
			got := stages(g.progressOf(cmd))
			want := "downloading:0 downloading:10 downloading:21 downloading:31 downloading:42 downloading:52 downloading:63 downloading:74 downloading:84 downloading:95 downloading:100 installing rebooting"
			if !strings.HasPrefix(got, "downloading:0 ") || !strings.HasSuffix(got, "downloading:100 installing rebooting") || strings.Count(got, "downloading") > 11 {
				t.Fatalf("progress = %q, want about %q", got, want)
			}
			if n := f.Installs()[args.Task]; n != 1 {
				t.Fatalf("installs of %s = %d", args.Task, n)
			}
			if mode == "own connection" {
				assertOneConnAtATime(t, f)
			}
		})
	}
}

func TestGW3_DropEveryChunkStillCompletes(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E00U002")
	cfg := upgradeConfig(g)
	cfg.DropDownload = 1
	img := testImage(t, 100<<10)
	args := g.publish("rel_2", testModel, newVersion, img)
	f := startFleet(t, cfg, id)
	cmd := g.send(id.Serial, device.CmdUpgrade, args, 0)
	if r := resultOf(t, g, cmd); !r.OK {
		t.Fatalf("result = %+v", r)
	}
	if s := f.Stats(); s.DownloadResumes == 0 || s.DownloadBytes != uint64(len(img)) {
		t.Fatalf("stats = %+v", s)
	}
}

func TestGW3_TamperedImageRefused(t *testing.T) {
	g := newFakeGW(t)
	bad, good := g.add("ACCC8E00U003"), g.add("ACCC8E00U004")
	cfg := upgradeConfig(g)
	cfg.Faults = []Fault{{Serial: bad.Serial, Kind: FaultCorruptImage}}
	img := testImage(t, 70<<10)
	args := g.publish("rel_3", testModel, newVersion, img)
	f := startFleet(t, cfg, bad, good)
	waitFor(t, "hellos", func() bool { return g.hellos(bad.Serial) == 1 && g.hellos(good.Serial) == 1 })

	t.Run("GW-3/corrupted download", func(t *testing.T) {
		r := resultOf(t, g, g.send(bad.Serial, device.CmdUpgrade, args, 0))
		if r.OK || r.Firmware != oldVersion || !strings.Contains(r.Message, "SHA-256") || !strings.Contains(r.Message, "not installed") {
			t.Fatalf("result = %+v", r)
		}
		if fw := f.Device(bad.Serial).Firmware(); fw != oldVersion {
			t.Fatalf("device runs %s", fw)
		}
		if r := resultOf(t, g, g.send(good.Serial, device.CmdUpgrade, args, 0)); !r.OK {
			t.Fatalf("the other device: %+v", r)
		}
	})
	t.Run("GW-3/image altered on the portal", func(t *testing.T) {
		args := g.publish("rel_4", testModel, newVersion, img)
		altered := append([]byte(nil), img...)
		altered[1000] ^= 1
		g.mu.Lock()
		g.images["rel_4"] = altered
		g.mu.Unlock()
		r := resultOf(t, g, g.send(bad.Serial, device.CmdUpgrade, args, 0))
		if r.OK || !strings.Contains(r.Message, "SHA-256 of the downloaded image did not match") {
			t.Fatalf("result = %+v", r)
		}
	})
	t.Run("GW-3/image cut short", func(t *testing.T) {
		args := g.publish("rel_5", testModel, newVersion, img)
		g.mu.Lock()
		g.images["rel_5"] = img[:len(img)-10]
		g.mu.Unlock()
		r := resultOf(t, g, g.send(bad.Serial, device.CmdUpgrade, args, 0))
		if r.OK || !strings.Contains(r.Message, "bytes, not the") || !strings.Contains(r.Message, "not installed") {
			t.Fatalf("result = %+v", r)
		}
	})
	t.Run("GW-3/image for another model", func(t *testing.T) {
		args := g.publish("rel_6", "AXIS P3265-LVE", newVersion, img)
		r := resultOf(t, g, g.send(bad.Serial, device.CmdUpgrade, args, 0))
		if r.OK || !strings.Contains(r.Message, "AXIS P3265-LVE") || len(g.progressOf("rel_6")) != 0 {
			t.Fatalf("result = %+v", r)
		}
	})
	s := f.Stats()
	if s.Refusals != 4 || s.Installs != 1 {
		t.Fatalf("stats = %+v", s)
	}
	if g.keyFetches != 1 {
		t.Fatalf("firmware key fetched %d times, want once per fleet", g.keyFetches)
	}
}

func TestGW3_WrongSignatureRefused(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E00U005")
	img := testImage(t, 40<<10)
	args := g.publish("rel_7", testModel, newVersion, img)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	args.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(other, device.FirmwareSignedMessage(args.Release, args.Model, args.Version, args.SHA256, args.Size)))
	f := startFleet(t, upgradeConfig(g), id)
	cmd := g.send(id.Serial, device.CmdUpgrade, args, 0)
	r := resultOf(t, g, cmd)
	if r.OK || r.Firmware != oldVersion || !strings.Contains(r.Message, "signature") || !strings.Contains(r.Message, "not installed") {
		t.Fatalf("result = %+v", r)
	}
	if got := stages(g.progressOf(cmd)); strings.Contains(got, "installing") {
		t.Fatalf("asked to install a badly signed image: %s", got)
	}
	if s := f.Stats(); s.Installs != 0 || s.Refusals != 1 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestGW3_ProceedFalseNothingInstalled(t *testing.T) {
	for _, at := range []string{device.StageInstalling, "downloading:50"} {
		t.Run("GW-3/stop at "+at, func(t *testing.T) {
			g := newFakeGW(t)
			id := g.add("ACCC8E00U006")
			g.onProgress = func(_ string, p device.Progress) (int, device.ProgressReply) {
				if p.Stage == at || (p.Stage == device.StageDownloading && p.Percent >= 50 && at != device.StageInstalling) {
					return 0, device.ProgressReply{Proceed: false, Reason: "canceled"}
				}
				return 0, device.ProgressReply{Proceed: true}
			}
			args := g.publish("rel_8", testModel, newVersion, testImage(t, 100<<10))
			f := startFleet(t, upgradeConfig(g), id)
			cmd := g.send(id.Serial, device.CmdUpgrade, args, 0)
			waitFor(t, "the stop", func() bool { return f.Stats().UpgradeStops == 1 })
			s := f.Stats()
			if s.Installs != 0 || len(g.resultsOf(cmd)) != 0 || f.Device(id.Serial).Firmware() != oldVersion || len(f.Installs()) != 0 {
				t.Fatalf("stats %+v results %v", s, g.resultsOf(cmd))
			}
			got := stages(g.progressOf(cmd))
			if strings.Contains(got, "rebooting") {
				t.Fatalf("progress = %s", got)
			}
			if at != device.StageInstalling && (strings.Contains(got, "installing") || s.DownloadBytes >= uint64(args.Size)) {
				t.Fatalf("went on after a stop while downloading: %s, %d bytes", got, s.DownloadBytes)
			}
		})
	}
}

func TestGW3_InstallRequestRetriedUntilAnswered(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E00U007")
	var failures atomic.Int32
	g.onProgress = func(_ string, p device.Progress) (int, device.ProgressReply) {
		if p.Stage == device.StageInstalling && failures.Add(1) <= 3 {
			return http.StatusServiceUnavailable, device.ProgressReply{}
		}
		return 0, device.ProgressReply{Proceed: true}
	}
	args := g.publish("rel_9", testModel, newVersion, testImage(t, 50<<10))
	f := startFleet(t, upgradeConfig(g), id)
	cmd := g.send(id.Serial, device.CmdUpgrade, args, 0)
	if r := resultOf(t, g, cmd); !r.OK || r.Firmware != newVersion {
		t.Fatalf("result = %+v", r)
	}
	if n := strings.Count(stages(g.progressOf(cmd)), "installing"); n != 4 {
		t.Fatalf("asked to install %d times, want 4 (3 failures)", n)
	}
	if s := f.Stats(); s.Installs != 1 || s.ProgressErrors < 3 || f.Installs()[args.Task] != 1 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestGW3_RedeliveredUpgradeNotInstalledTwice(t *testing.T) {
	g := newFakeGW(t)
	id := g.add("ACCC8E00U008")
	g.onProgress = func(cid string, p device.Progress) (int, device.ProgressReply) {
		if p.Stage == device.StageDownloading && p.Percent == 0 || p.Stage == device.StageInstalling {
			g.redeliver(id.Serial, cid) // the gateway delivers it again while it runs
		}
		return 0, device.ProgressReply{Proceed: true}
	}
	args := g.publish("rel_10", testModel, newVersion, testImage(t, 80<<10))
	f := startFleet(t, upgradeConfig(g), id)
	c := g.send(id.Serial, device.CmdUpgrade, args, 2) // and twice after its result
	waitFor(t, "three results", func() bool { return len(g.resultsOf(c)) == 3 })
	rs := g.resultsOf(c)
	for _, r := range rs {
		if r.Message != rs[0].Message || r.Firmware != rs[0].Firmware || !r.OK {
			t.Fatalf("results = %+v, want the same success three times", rs)
		}
	}
	s := f.Stats()
	if s.Installs != 1 || s.DoubleInstalls != 0 || s.Upgrades != 1 || s.Redelivered < 4 || f.Installs()[args.Task] != 1 {
		t.Fatalf("stats = %+v installs %v", s, f.Installs())
	}
	if n := strings.Count(stages(g.progressOf(c)), "downloading:0"); n != 1 {
		t.Fatalf("downloaded %d times", n)
	}
}

func TestGW4_FailedInstallComesBackOnOldVersion(t *testing.T) {
	g := newFakeGW(t)
	a, b := g.add("ACCC8E00U009"), g.add("ACCC8E00U010")
	cfg := upgradeConfig(g)
	cfg.FailInstall = 1
	args := g.publish("rel_11", testModel, newVersion, testImage(t, 40<<10))
	f := startFleet(t, cfg, a)
	cmd := g.send(a.Serial, device.CmdUpgrade, args, 0)
	r := resultOf(t, g, cmd)
	if r.OK || r.Firmware != oldVersion || !strings.Contains(r.Message, "failed") || !strings.Contains(r.Message, "restarted on AXIS OS "+oldVersion) {
		t.Fatalf("result = %+v", r)
	}
	if dev := g.dev(a.Serial); dev.hellos != 2 || dev.firmware != oldVersion {
		t.Fatalf("gateway saw %d hellos with %s, want a reboot back on the old version", dev.hellos, dev.firmware)
	}
	if s := f.Stats(); s.Installs != 1 || s.InstallFailures != 1 || s.Reboots != 1 || s.Failed != 1 {
		t.Fatalf("stats = %+v", s)
	}
	f.Stop()

	// Scripted: one device's next install fails with its reason.
	cfg = upgradeConfig(g)
	cfg.Faults = []Fault{{Serial: b.Serial, Kind: FaultFailInstall, Message: "flash write error"}}
	f = startFleet(t, cfg, b)
	r = resultOf(t, g, g.send(b.Serial, device.CmdUpgrade, args, 0))
	if r.OK || !strings.Contains(r.Message, "flash write error") || f.Device(b.Serial).Firmware() != oldVersion {
		t.Fatalf("result = %+v", r)
	}
	args.Task = "task-again"
	if r := resultOf(t, g, g.send(b.Serial, device.CmdUpgrade, args, 0)); !r.OK || f.Device(b.Serial).Firmware() != newVersion {
		t.Fatalf("retry: %+v", r)
	}
}

func TestGW4_OfflineThroughAWindow(t *testing.T) {
	g := newFakeGW(t)
	ids := g.addSeries("ACCC8E00W", 4)
	cfg := testConfig(g)
	cfg.OfflineShare = 1
	cfg.OfflineAt = 50 * time.Millisecond
	cfg.OfflineDuring = 300 * time.Millisecond
	f := startFleet(t, cfg, ids...)
	waitFor(t, "the window", func() bool { return f.Stats().Offlines == 4 })
	if f.Stats().Online != 0 {
		t.Fatalf("online during the window: %+v", f.Stats())
	}
	waitFor(t, "back after the window", func() bool {
		for _, id := range ids {
			if g.hellos(id.Serial) < 2 {
				return false
			}
		}
		return f.Stats().Online == 4
	})
}

func TestGW4_UpgradeFaultsValidated(t *testing.T) {
	for _, cfg := range []Config{
		{FailInstall: 1.5}, {DropDownload: -0.1}, {Tamper: 2}, {OfflineShare: 1.1, OfflineDuring: time.Second},
		{OfflineShare: 0.5}, {OfflineAt: -time.Second},
	} {
		cfg.Server = "http://127.0.0.1:1"
		if _, err := New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestGW3_SteppedUpgrade(t *testing.T) {
	g := newFakeGW(t)
	img := testImage(t, 90<<10)
	args := g.publish("rel_12", testModel, newVersion, img)
	newStepped := func(serial string) *Stepped {
		t.Helper()
		id := g.add(serial)
		s, err := NewStepped(Config{Server: g.ts.URL, Firmware: oldVersion, ChunkSize: 16 << 10}, id)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		if _, err := s.Hello(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx := context.Background()
	poll := func(s *Stepped) Command {
		t.Helper()
		cmds, err := s.Poll(ctx, 0)
		if err != nil || len(cmds) != 1 {
			t.Fatalf("poll: %v %v", cmds, err)
		}
		return cmds[0]
	}

	t.Run("GW-3/prepare and finish", func(t *testing.T) {
		s := newStepped("ACCC8E00S001")
		g.send(s.Serial(), device.CmdUpgrade, args, 0)
		c := poll(s)
		p, err := s.Prepare(ctx, c)
		if err != nil || !p.Proceed || p.Refusal != nil || len(p.Percents) != 7 || p.Percents[0] != 0 || p.Percents[len(p.Percents)-1] != 100 {
			t.Fatalf("prepared %+v, %v", p, err)
		}
		if s.Firmware() != oldVersion || len(s.Installs()) != 0 {
			t.Fatal("installed before Finish")
		}
		res, reply, err := s.Finish(ctx, c)
		if err != nil || !res.OK || res.Firmware != newVersion || reply.State != device.StateApplied {
			t.Fatalf("finish: %+v %+v %v", res, reply, err)
		}
		if dev := g.dev(s.Serial()); dev.hellos != 2 || dev.firmware != newVersion {
			t.Fatalf("gateway: %d hellos, %s", dev.hellos, dev.firmware)
		}
		// A redelivery is answered with the same result, not installed.
		if _, err := s.Prepare(ctx, c); err == nil {
			t.Fatal("prepared a finished upgrade again")
		}
		if _, err := s.Apply(ctx, c); err != nil || s.Installs()[args.Task] != 1 || len(g.resultsOf(c.ID)) != 2 {
			t.Fatalf("redelivery: %v, installs %v", err, s.Installs())
		}
	})
	t.Run("GW-3/tampered", func(t *testing.T) {
		s := newStepped("ACCC8E00S002")
		s.TamperNextImage()
		g.send(s.Serial(), device.CmdUpgrade, args, 0)
		c := poll(s)
		p, err := s.Prepare(ctx, c)
		if err != nil || p.Proceed || p.Refusal == nil || !strings.Contains(p.Refusal.Message, "SHA-256") {
			t.Fatalf("prepared %+v, %v", p, err)
		}
		res, reply, err := s.Finish(ctx, c)
		if err != nil || res.OK || reply.State != device.StateFailed || s.Firmware() != oldVersion {
			t.Fatalf("finish: %+v %+v %v", res, reply, err)
		}
	})
	t.Run("GW-3/failed install", func(t *testing.T) {
		s := newStepped("ACCC8E00S003")
		s.Fail(device.CmdUpgrade, "power cut during the install")
		g.send(s.Serial(), device.CmdUpgrade, args, 0)
		reply, err := s.Apply(ctx, poll(s))
		if err != nil || reply.State != device.StateFailed || !strings.Contains(reply.Result, "power cut") || s.Firmware() != oldVersion {
			t.Fatalf("apply: %+v %v", reply, err)
		}
		if g.dev(s.Serial()).hellos != 2 {
			t.Fatal("no reboot after the failed install")
		}
	})
	t.Run("GW-3/stopped", func(t *testing.T) {
		s := newStepped("ACCC8E00S004")
		g.mu.Lock()
		g.onProgress = func(_ string, p device.Progress) (int, device.ProgressReply) {
			return 0, device.ProgressReply{Proceed: p.Stage != device.StageInstalling, Reason: "window closed"}
		}
		g.mu.Unlock()
		t.Cleanup(func() { g.mu.Lock(); g.onProgress = nil; g.mu.Unlock() })
		g.send(s.Serial(), device.CmdUpgrade, args, 0)
		c := poll(s)
		p, err := s.Prepare(ctx, c)
		if err != nil || p.Proceed || p.Refusal != nil || p.Reason != "window closed" {
			t.Fatalf("prepared %+v, %v", p, err)
		}
		if _, _, err := s.Finish(ctx, c); err == nil {
			t.Fatal("finished a stopped upgrade")
		}
		if len(s.Installs()) != 0 || len(g.resultsOf(c.ID)) != 0 {
			t.Fatal("a stopped upgrade installed or posted")
		}
	})
}
