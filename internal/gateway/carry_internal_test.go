package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/device"
	"mysystems/internal/fleet"
)

// carryStore is a database of open commands for the carried wake-ups'
// tests: it counts the reads of a device's open commands and records the
// deliveries written.
type carryStore struct {
	touchStore
	open     map[string][]fleet.Command // by serial: what a read finds
	pending  map[string]bool            // by command id: true pending, false delivered; absent: ended
	reads    int
	marked   []markCall
	failMark bool
}

type markCall struct {
	org string
	ids []string
}

type carryTx struct {
	touchTx
	s *carryStore
}

func newCarryStore() *carryStore {
	return &carryStore{touchStore: touchStore{touched: map[string]time.Time{}}, open: map[string][]fleet.Command{}, pending: map[string]bool{}}
}

func (s *carryStore) Read(_ context.Context, fn func(fleet.DeviceTx) error) error {
	return fn(carryTx{touchTx: touchTx{s: &s.touchStore}, s: s})
}

func (s *carryStore) Write(_ context.Context, fn func(fleet.DeviceTx) error) error {
	return fn(carryTx{touchTx: touchTx{s: &s.touchStore}, s: s})
}

func (s *carryStore) WriteGrouped(ctx context.Context, fn func(fleet.DeviceTx) error) error {
	return s.Write(ctx, fn)
}

func (t carryTx) OpenCommands(_ context.Context, orgID, serial string, _ int) ([]fleet.Command, error) {
	t.s.reads++
	var out []fleet.Command
	for _, c := range t.s.open[serial] {
		if c.OrgID == orgID {
			out = append(out, c)
		}
	}
	return out, nil
}

func (t carryTx) MarkDelivered(_ context.Context, orgID string, ids []string, _ time.Time) ([]string, error) {
	t.s.marked = append(t.s.marked, markCall{orgID, slices.Clone(ids)})
	if t.s.failMark {
		return nil, errors.New("disk I/O error")
	}
	var out []string
	for _, id := range ids {
		if _, open := t.s.pending[id]; open {
			t.s.pending[id] = false
			out = append(out, id)
		}
	}
	return out, nil
}

// newCarryGateway returns a gateway over s whose devices S1 and S2, of
// testOrg, each have a long-poll state with nothing waiting.
func newCarryGateway(t *testing.T, s *carryStore) (*Gateway, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))
	g := New(s, nil, clk, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Heartbeat: time.Minute})
	g.hub.settled.Store(true)
	for _, serial := range []string{"S1", "S2"} {
		g.hub.setOrg(serial, testOrg)
		if due, _, _ := g.hub.check(serial, clk.Now()); due {
			t.Fatalf("%s is due before any command", serial)
		}
	}
	return g, clk
}

// pollNow is a device's long-poll with ?wait=0.
func pollNow(t *testing.T, g *Gateway, serial string) ([]device.WireCommand, error) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/device/v1/commands?wait=0", nil)
	out, err := g.poll(&call{w: httptest.NewRecorder(), r: r, serial: serial})
	if err != nil {
		return nil, err
	}
	cmds, ok := out.(device.Commands)
	if !ok {
		t.Fatalf("poll answered %T %+v", out, out)
	}
	return cmds.Commands, nil
}

func upgradeCommand(id, serial string, at time.Time) fleet.Command {
	return fleet.Command{ID: id, OrgID: testOrg, DeviceID: "dev_" + serial, Serial: serial, Type: device.CmdUpgrade,
		Args: json.RawMessage(`{"task":"upt_` + id + `","version":"12.3.1"}`), State: device.StatePending, CreatedAt: at}
}

// GW-2: the wake-up of a new command made on this instance carries the
// command to its device's long-poll, which sends it without reading the
// database; only a command still pending is sent, only to its own device,
// and any other wake-up (or a failed write) makes the poll read again.
func TestGW2_WakeUpCarriesItsCommand(t *testing.T) {
	t.Run("GW-2/sent without a read", func(t *testing.T) {
		s := newCarryStore()
		g, clk := newCarryGateway(t, s)
		c := upgradeCommand("cmd_1", "S1", clk.Now())
		s.pending[c.ID] = true
		g.NotifyCommands([]fleet.Command{c})
		got, err := pollNow(t, g, "S1")
		if err != nil {
			t.Fatal(err)
		}
		if want := []device.WireCommand{c.Wire()}; !reflect.DeepEqual(got, want) {
			t.Fatalf("delivered %+v, want %+v", got, want)
		}
		if s.reads != 0 {
			t.Errorf("%d reads of the open commands, want none", s.reads)
		}
		if want := []markCall{{testOrg, []string{c.ID}}}; !reflect.DeepEqual(s.marked, want) {
			t.Errorf("deliveries written %+v, want %+v", s.marked, want)
		}
		// Sent once: the next poll has nothing, and reads nothing.
		if again, err := pollNow(t, g, "S1"); err != nil || len(again) != 0 {
			t.Fatalf("second poll: %+v %v", again, err)
		}
		if s.reads != 0 {
			t.Errorf("the second poll read the database")
		}
		// Not acknowledged: it comes again after the redelivery delay, read
		// from the database.
		s.open["S1"] = []fleet.Command{{ID: c.ID, OrgID: testOrg, Serial: "S1", Type: c.Type, Args: c.Args,
			State: device.StateDelivered, DeliveredAt: new(clk.Now()), CreatedAt: c.CreatedAt}}
		clk.Advance(g.cfg.Redeliver)
		if again, err := pollNow(t, g, "S1"); err != nil || len(again) != 1 || again[0].ID != c.ID || s.reads != 1 {
			t.Fatalf("after the redelivery delay: %+v %v (%d reads)", again, err, s.reads)
		}
	})
	t.Run("GW-2/several, in their order", func(t *testing.T) {
		s := newCarryStore()
		g, clk := newCarryGateway(t, s)
		a, b := upgradeCommand("cmd_a", "S1", clk.Now()), upgradeCommand("cmd_b", "S1", clk.Now())
		b.Type, b.Args = device.CmdIdentify, json.RawMessage(`{}`)
		s.pending[a.ID], s.pending[b.ID] = true, true
		g.NotifyCommands([]fleet.Command{a})
		g.NotifyCommands([]fleet.Command{b})
		got, err := pollNow(t, g, "S1")
		if want := []device.WireCommand{a.Wire(), b.Wire()}; err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("delivered %+v (%v), want %+v", got, err, want)
		}
	})
	t.Run("GW-2/ended meanwhile", func(t *testing.T) {
		s := newCarryStore()
		g, clk := newCarryGateway(t, s)
		c := upgradeCommand("cmd_1", "S1", clk.Now())
		// Not open (ended before the poll took it), with no writer of
		// batched deliveries: the poll's own write finds it ended.
		g.NotifyCommands([]fleet.Command{c})
		if got, err := pollNow(t, g, "S1"); err != nil || len(got) != 0 {
			t.Fatalf("a command no longer open was sent: %+v %v", got, err)
		}
	})
	t.Run("GW-2/canceled before its poll", func(t *testing.T) {
		s := newCarryStore()
		g, clk := newCarryGateway(t, s)
		g.marks.running.Store(true)
		c := upgradeCommand("cmd_1", "S1", clk.Now())
		s.pending[c.ID] = true
		g.NotifyCommands([]fleet.Command{c})
		delete(s.pending, c.ID)
		g.Notify(testOrg, "S1") // the cancel's wake-up: the database decides
		if got, err := pollNow(t, g, "S1"); err != nil || len(got) != 0 || s.reads != 1 {
			t.Fatalf("a canceled command was sent: %+v %v (%d reads)", got, err, s.reads)
		}
	})
	t.Run("GW-2/deliveries written in batches", func(t *testing.T) {
		s := newCarryStore()
		g, clk := newCarryGateway(t, s)
		g.marks.running.Store(true) // as Run does
		c1, c2 := upgradeCommand("cmd_1", "S1", clk.Now()), upgradeCommand("cmd_2", "S2", clk.Now())
		s.pending[c1.ID], s.pending[c2.ID] = true, true
		g.NotifyCommands([]fleet.Command{c1, c2})
		for _, c := range []fleet.Command{c1, c2} {
			got, err := pollNow(t, g, c.Serial)
			if want := []device.WireCommand{c.Wire()}; err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s was sent %+v (%v), want %+v", c.Serial, got, err, want)
			}
		}
		if len(s.marked) != 0 || s.reads != 0 {
			t.Fatalf("the polls wrote %+v and read %d times, want neither", s.marked, s.reads)
		}
		g.flushMarks(context.Background())
		if want := []markCall{{testOrg, []string{c1.ID, c2.ID}}}; !reflect.DeepEqual(s.marked, want) {
			t.Fatalf("deliveries written %+v, want %+v", s.marked, want)
		}
		// A batch whose write failed: the devices' next polls read, and
		// send again what the database still has open.
		c3 := upgradeCommand("cmd_3", "S1", clk.Now())
		s.pending[c3.ID] = true
		s.open["S1"] = []fleet.Command{c3}
		g.NotifyCommands([]fleet.Command{c3})
		if got, err := pollNow(t, g, "S1"); err != nil || len(got) != 1 || got[0].ID != c3.ID {
			t.Fatalf("S1 was sent %+v (%v)", got, err)
		}
		s.failMark = true
		g.flushMarks(context.Background())
		s.failMark = false
		if got, err := pollNow(t, g, "S1"); err != nil || len(got) != 1 || got[0].ID != c3.ID || s.reads != 1 {
			t.Fatalf("after the failed write S1 was sent %+v (%v, %d reads), want its open command again", got, err, s.reads)
		}
	})
	t.Run("GW-2/to its own device only", func(t *testing.T) {
		s := newCarryStore()
		g, clk := newCarryGateway(t, s)
		c := upgradeCommand("cmd_2", "S2", clk.Now())
		s.pending[c.ID] = true
		g.NotifyCommands([]fleet.Command{c})
		if got, err := pollNow(t, g, "S1"); err != nil || len(got) != 0 {
			t.Fatalf("S1 was sent %+v (%v), a command of S2", got, err)
		}
		got, err := pollNow(t, g, "S2")
		if err != nil || len(got) != 1 || got[0].ID != c.ID {
			t.Fatalf("S2 was sent %+v (%v)", got, err)
		}
		if want := []markCall{{testOrg, []string{c.ID}}}; !reflect.DeepEqual(s.marked, want) {
			t.Errorf("deliveries written %+v, want %+v", s.marked, want)
		}
	})
	t.Run("GW-2/another wake-up reads", func(t *testing.T) {
		s := newCarryStore()
		g, clk := newCarryGateway(t, s)
		c := upgradeCommand("cmd_1", "S1", clk.Now())
		s.pending[c.ID] = true
		g.NotifyCommands([]fleet.Command{c})
		// A command made elsewhere (or a cancel) wakes the device plainly:
		// the database, which holds both, decides.
		other := fleet.Command{ID: "cmd_0", OrgID: testOrg, Serial: "S1", Type: device.CmdReboot, State: device.StatePending, CreatedAt: clk.Now()}
		s.pending[other.ID] = true
		s.open["S1"] = []fleet.Command{other, c}
		g.Notify(testOrg, "S1")
		got, err := pollNow(t, g, "S1")
		if err != nil || len(got) != 2 || got[0].ID != other.ID || got[1].ID != c.ID || s.reads != 1 {
			t.Fatalf("delivered %+v (%v, %d reads), want both commands read from the database", got, err, s.reads)
		}
		if want := []markCall{{testOrg, []string{other.ID, c.ID}}}; !reflect.DeepEqual(s.marked, want) {
			t.Errorf("deliveries written %+v, want %+v", s.marked, want)
		}
	})
	t.Run("GW-2/a device this instance does not know reads", func(t *testing.T) {
		s := newCarryStore()
		g, clk := newCarryGateway(t, s)
		c := upgradeCommand("cmd_3", "S3", clk.Now())
		s.pending[c.ID] = true
		s.open["S3"] = []fleet.Command{c}
		g.NotifyCommands([]fleet.Command{c})
		got, err := pollNow(t, g, "S3")
		if err != nil || len(got) != 1 || got[0].ID != c.ID || s.reads != 1 {
			t.Fatalf("delivered %+v (%v, %d reads), want the command read from the database", got, err, s.reads)
		}
	})
	t.Run("GW-2/failed write reads at the next poll", func(t *testing.T) {
		s := newCarryStore()
		g, clk := newCarryGateway(t, s)
		c := upgradeCommand("cmd_1", "S1", clk.Now())
		s.pending[c.ID] = true
		s.open["S1"] = []fleet.Command{c}
		g.NotifyCommands([]fleet.Command{c})
		s.failMark = true
		if got, err := pollNow(t, g, "S1"); err == nil {
			t.Fatalf("the delivery's write failed, yet the poll answered %+v", got)
		}
		s.failMark = false
		got, err := pollNow(t, g, "S1")
		if err != nil || len(got) != 1 || got[0].ID != c.ID || s.reads != 1 {
			t.Fatalf("next poll: %+v (%v, %d reads), want the command read from the database", got, err, s.reads)
		}
	})
}

// GW-2 across instances: a message of wake-ups from another instance wakes
// its devices here (read from the database); this instance's own messages,
// which the bus hands back to it, wake nothing, so the commands they
// announce stay carried.
func TestGW2_OwnWakeUpsFromTheBusSkipped(t *testing.T) {
	s := newCarryStore()
	g, clk := newCarryGateway(t, s)
	c := upgradeCommand("cmd_1", "S1", clk.Now())
	s.pending[c.ID] = true
	g.NotifyCommands([]fleet.Command{c})
	g.received(g.fromLine() + "\n" + wakePayload(testOrg, "S1") + "\n" + wakePayload(testOrg, "S2"))
	if due, carried, _ := g.hub.check("S2", clk.Now()); due {
		t.Fatalf("S2 woken by this instance's own message (carried %v)", carried)
	}
	if due, carried, _ := g.hub.check("S1", clk.Now()); !due || len(carried) != 1 || carried[0].ID != c.ID {
		t.Fatalf("S1 after its own message came back: due %t, carried %v; want its command carried", due, carried)
	}
	// After a reconnection of the bus, its own message gives a device its
	// organization back, and wakes nothing.
	g.hub.wakeAll()
	g.hub.check("S2", clk.Now())
	if _, known, _ := g.hub.org("S2"); known {
		t.Fatal("S2's organization is known after the bus reconnected")
	}
	g.received(g.fromLine() + "\n" + wakePayload(testOrg, "S2"))
	if org, known, _ := g.hub.org("S2"); !known || org != testOrg {
		t.Fatalf("S2's organization after its own wake-up came back: %q (known %t), want %s", org, known, testOrg)
	}
	if due, _, _ := g.hub.check("S2", clk.Now()); due {
		t.Fatal("S2 woken by this instance's own message after the reconnection's check")
	}
	g.received(fromMark + "another\n" + wakePayload(testOrg, "S2"))
	if due, carried, _ := g.hub.check("S2", clk.Now()); !due || carried != nil {
		t.Fatalf("S2 after another instance's wake-up: due %t, carried %v; want a read", due, carried)
	}
	g.received(wakePayload(testOrg, "S1")) // a message without its sender's line
	if due, carried, _ := g.hub.check("S1", clk.Now()); !due || carried != nil {
		t.Fatalf("S1 after a wake-up without sender: due %t, carried %v; want a read", due, carried)
	}
}

// recordBus records the messages sent to other instances.
type recordBus struct {
	mu   sync.Mutex
	sent []string
}

func (b *recordBus) Notify(_ context.Context, _, payload string) error {
	b.mu.Lock()
	b.sent = append(b.sent, payload)
	b.mu.Unlock()
	return nil
}

func (b *recordBus) Listen(ctx context.Context, _ string, ready func(), _ func(string)) error {
	ready()
	<-ctx.Done()
	return nil
}

// GW-2 across instances: the wake-ups for other instances are sent by the
// sender beside (a dispatch does not wait for them), every one of them, in
// the order they were made, also those made as the gateway stops.
func TestGW2_WakeUpsSentInOrder(t *testing.T) {
	bus := &recordBus{}
	clk := clock.NewFake(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))
	g := New(newCarryStore(), bus, clk, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Heartbeat: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.runSender(ctx) }()
	for !func() bool { g.outbox.mu.Lock(); defer g.outbox.mu.Unlock(); return g.outbox.running }() {
		time.Sleep(time.Millisecond)
	}
	var want []string
	for i := range 500 {
		serial := "S" + strconv.Itoa(i)
		want = append(want, wakePayload(testOrg, serial))
		if i%2 == 0 {
			g.Notify(testOrg, serial)
		} else {
			g.NotifyCommands([]fleet.Command{upgradeCommand("cmd_"+serial, serial, clk.Now())})
		}
	}
	cancel()
	<-done
	g.Notify(testOrg, "LAST") // after the sender stopped: sent at once
	want = append(want, wakePayload(testOrg, "LAST"))
	var got []string
	for _, m := range bus.sent {
		lines := strings.Split(m, "\n")
		if lines[0] != g.fromLine() {
			t.Fatalf("a message starts with %q, not the instance's line", lines[0])
		}
		got = append(got, lines[1:]...)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %d wake-ups, want %d in order (first difference near %v)", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
