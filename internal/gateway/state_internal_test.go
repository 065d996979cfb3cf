package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/device"
	"mysystems/internal/fleet"
)

// touchStore records the presence the gateway writes; nothing else of the
// store is used by Flush with no pending reports. Every device belongs to
// testOrg.
type touchStore struct {
	fleet.DeviceStore
	touched map[string]time.Time
}

type touchTx struct {
	fleet.DeviceTx
	s *touchStore
}

const testOrg = "org_test"

func (s *touchStore) Write(_ context.Context, fn func(fleet.DeviceTx) error) error {
	return fn(touchTx{s: s})
}

func (s *touchStore) Read(_ context.Context, fn func(fleet.DeviceTx) error) error {
	return fn(touchTx{s: s})
}

func (t touchTx) Claims(_ context.Context, serials []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range serials {
		out[s] = testOrg
	}
	return out, nil
}

func (t touchTx) TouchDevices(_ context.Context, seen map[fleet.DeviceKey]time.Time) error {
	for k, v := range seen {
		if k.OrgID != testOrg {
			return fmt.Errorf("%s touched in organization %q", k.Serial, k.OrgID)
		}
		t.s.touched[k.Serial] = v
	}
	return nil
}

// The per-device maps forget a device silent for longer than forgetAfter,
// except while a poll of it waits, a command may wait for it or a
// redelivery is due; a forgotten device that comes back is recorded again.
func TestForgetSilentDevices(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))
	s := &touchStore{touched: map[string]time.Time{}}
	g := New(s, nil, clk, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Heartbeat: time.Minute})
	g.hub.settled.Store(true)
	ctx := context.Background()
	flush := func() {
		t.Helper()
		if err := g.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if g.forgetAfter() != time.Hour {
		t.Fatalf("forgetAfter %v with a 1-minute heartbeat", g.forgetAfter())
	}
	// Five devices in contact now.
	for _, serial := range []string{"GONE", "POLLING", "COMMAND", "REDELIVER", "ALIVE"} {
		g.presence.seen(serial, clk.Now())
		g.known.put(serial, knownState{firmware: "12.0.0"})
		g.hub.check(serial, clk.Now())
	}
	g.hub.enter("POLLING")         // a long-poll is waiting
	g.hub.wake(testOrg, "COMMAND") // a command was issued
	g.hub.recheckAt("REDELIVER", clk.Now().Add(2*time.Hour))
	flush()
	if w, k, h := g.remembered(); w != 5 || k != 5 || h != 5 {
		t.Fatalf("remembered %d written, %d known, %d hub states; want 5 each", w, k, h)
	}
	// ALIVE stays in contact; the others fall silent.
	for range 12 {
		clk.Advance(6 * time.Minute)
		g.presence.seen("ALIVE", clk.Now())
		flush()
	}
	if w, k, h := g.remembered(); w != 1 || k != 1 || h != 4 {
		t.Fatalf("after 72 silent minutes: %d written, %d known, %d hub states; want 1, 1, 4", w, k, h)
	}
	if _, ok := g.known.get("GONE"); ok {
		t.Fatal("a silent device's report is still known")
	}
	for _, serial := range []string{"POLLING", "COMMAND", "REDELIVER"} {
		sh := &g.hub.s[shardOf(serial)]
		sh.mu.Lock()
		st := sh.m[serial]
		sh.mu.Unlock()
		if st == nil {
			t.Fatalf("hub state of %s forgotten", serial)
		}
	}
	if due, _, _ := g.hub.check("COMMAND", clk.Now()); !due {
		t.Fatal("the command waiting for a silent device is no longer due")
	}
	// GONE comes back: its contact is written again.
	delete(s.touched, "GONE")
	g.presence.seen("GONE", clk.Now())
	flush()
	if at, ok := s.touched["GONE"]; !ok || !at.Equal(clk.Now()) {
		t.Fatalf("the returning device's contact was not written: %v %v", at, ok)
	}
	if w, _, _ := g.remembered(); w != 2 {
		t.Fatalf("written %d after GONE came back, want 2", w)
	}
	// Its organization, forgotten with it, was read again for the write.
	if org, known, _ := g.hub.org("GONE"); !known || org != testOrg {
		t.Fatalf("the returning device's organization: %q (known %t), want %q", org, known, testOrg)
	}
}

// failingStore fails the first read of a device's commands (the poll gave
// up waiting for the database), then has one open command for it.
type failingStore struct {
	touchStore
	reads int
}

type failingTx struct {
	touchTx
	s *failingStore
}

func (s *failingStore) Read(_ context.Context, fn func(fleet.DeviceTx) error) error {
	s.reads++
	if s.reads == 1 {
		return fmt.Errorf("begin: %w", context.DeadlineExceeded)
	}
	return fn(failingTx{touchTx: touchTx{s: &s.touchStore}, s: s})
}

func (s *failingStore) Write(_ context.Context, fn func(fleet.DeviceTx) error) error {
	return fn(failingTx{touchTx: touchTx{s: &s.touchStore}, s: s})
}

func (s *failingStore) WriteGrouped(ctx context.Context, fn func(fleet.DeviceTx) error) error {
	return s.Write(ctx, fn)
}

func (t failingTx) OpenCommands(_ context.Context, orgID, serial string, _ int) ([]fleet.Command, error) {
	return []fleet.Command{{ID: "cmd_1", OrgID: orgID, Serial: serial, Type: "identify", State: "pending"}}, nil
}

func (t failingTx) MarkDelivered(_ context.Context, _ string, ids []string, _ time.Time) ([]string, error) {
	return ids, nil
}

// GW-2: a command whose wake-up came while the poll could not read the
// database is still delivered at the device's next poll, not left waiting
// for another wake-up.
func TestGW2_FailedDeliveryLooksAgain(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))
	s := &failingStore{touchStore: touchStore{touched: map[string]time.Time{}}}
	g := New(s, nil, clk, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Heartbeat: time.Minute})
	g.hub.settled.Store(true)
	g.hub.setOrg("S1", testOrg)
	g.hub.check("S1", clk.Now()) // nothing waiting yet
	g.Notify(testOrg, "S1")      // a command was issued
	poll := func() (any, error) {
		r := httptest.NewRequest(http.MethodGet, "/device/v1/commands?wait=0", nil)
		return g.poll(&call{w: httptest.NewRecorder(), r: r, serial: "S1"})
	}
	if _, err := poll(); err == nil {
		t.Fatal("the first poll's read failed, yet it answered")
	}
	out, err := poll()
	if err != nil {
		t.Fatal(err)
	}
	if cmds, ok := out.(device.Commands); !ok || len(cmds.Commands) != 1 {
		t.Fatalf("the next poll answered %+v, want the open command", out)
	}
}
