package gateway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"mysystems/internal/account"
	proto "mysystems/internal/device"
	"mysystems/internal/fleet"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// ORG-5, DEV-5, house rule 4 on the device side: a device removed from
// organization A and claimed by organization B, without a new hello, is
// never delivered A's commands (even one left open) and its results are
// never recorded against A; B gets its commands, results and presence.
func TestORG5_DeviceMovedToAnotherOrg(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		ownerA, ownerB := e.user("a@example.com"), e.user("b@example.com")
		orgA, rootA := e.org(ownerA)
		orgB, rootB := e.org(ownerB)
		m := e.Mint(1)[0]
		dev := e.Device(m)
		dev.Hello()
		dA := e.claim(ownerA, orgA, m, rootA)
		var c cmdJSON
		e.do("POST", "/api/v1/orgs/"+orgA+"/devices/"+dA.ID+"/actions", ownerA, map[string]string{"type": "identify"}, &c)
		if cmds := dev.Poll(0); len(cmds) != 1 || cmds[0].ID != c.ID {
			t.Fatalf("A's command before the move: %+v", cmds)
		}
		if code := e.do("DELETE", "/api/v1/orgs/"+orgA+"/devices/"+dA.ID+"?confirm=true", ownerA, nil, nil); code != 204 {
			t.Fatalf("removal: %d", code)
		}
		dB := e.claim(ownerB, orgB, m, rootB)
		// Presence goes to B's record, before any command of B's.
		if !e.onlineAfterSilence(dev, ownerB, orgB, dB.ID) {
			t.Fatal("the device heartbeating in B is offline in B")
		}
		// A command of A's left open for the serial (removal fails them; a
		// leftover must still not reach the device now in B).
		left := fleet.Command{ID: account.NewID("cmd_"), OrgID: orgA, DeviceID: dA.ID, Serial: dA.Serial,
			Type: proto.CmdReboot, State: proto.StatePending, CreatedAt: e.Clock.Now()}
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateCommand(ctx, left) }); err != nil {
			t.Fatal(err)
		}
		var cb cmdJSON
		e.do("POST", "/api/v1/orgs/"+orgB+"/devices/"+dB.ID+"/actions", ownerB, map[string]string{"type": "identify"}, &cb)
		cmds := dev.Poll(0)
		if len(cmds) != 1 || cmds[0].ID != cb.ID {
			t.Fatalf("the device in B was delivered %+v, want only B's %s", cmds, cb.ID)
		}
		// A result for A's command is not recorded: not found.
		if code := e.do("POST", "/device/v1/commands/"+left.ID+"/result", dev.Token(), proto.Result{OK: true}, nil); code != http.StatusNotFound {
			t.Errorf("result for A's command from the device in B: %d, want 404", code)
		}
		var got fleet.Command
		if err := db.Read(ctx, func(tx *store.Tx) error {
			var err error
			got, err = tx.Command(ctx, orgA, left.ID)
			return err
		}); err != nil || got.State != proto.StatePending || got.Deliveries != 0 {
			t.Errorf("A's leftover command changed through the device in B: %+v, %v", got, err)
		}
		// B's result is B's.
		if r := dev.Apply(cmds[0]); r.State != proto.StateApplied {
			t.Fatalf("B's result: %+v", r)
		}
		if n := len(e.Audited(orgB, "device.command_result")); n != 1 {
			t.Errorf("B's audit log has %d command results, want 1", n)
		}
		if n := len(e.Audited(orgA, "device.command_result")); n != 0 {
			t.Errorf("A's audit log has %d command results after the move, want 0", n)
		}
	})
}

// DEV-3, DEV-7: a device that said hello unclaimed and is then claimed is
// shown online and gets its commands without a new hello.
func TestDEV3_ClaimedAfterHello(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner, org, dev, d := e.helloClaimed()
		// GW-1: the heartbeat says the device is claimed at once, not after
		// its next hello.
		var hb proto.HeartbeatReply
		if code := e.do("POST", "/device/v1/heartbeat", dev.Token(), proto.Heartbeat{}, &hb); code != 200 || !hb.Claimed {
			t.Fatalf("heartbeat after the claim: %d %+v, want claimed", code, hb)
		}
		if cmds := dev.Poll(0); len(cmds) != 0 {
			t.Fatalf("commands before any: %+v", cmds)
		}
		if !e.onlineAfterSilence(dev, owner, org, d.ID) {
			t.Fatal("the device claimed after its hello is offline while heartbeating")
		}
		var c cmdJSON
		e.do("POST", "/api/v1/orgs/"+org+"/devices/"+d.ID+"/actions", owner, map[string]string{"type": "identify"}, &c)
		if cmds := dev.Poll(0); len(cmds) != 1 || cmds[0].ID != c.ID {
			t.Fatalf("delivered %+v, want %s", cmds, c.ID)
		}
	})
}

// onlineAfterSilence lets the device fall silent past the online window,
// then heartbeat, flushes presence and tells whether the device's record in
// org shows it online.
func (e *env) onlineAfterSilence(dev *device, token, org, id string) bool {
	e.t.Helper()
	e.Clock.Advance(2 * fleet.OnlineWindow(time.Minute))
	e.do("POST", "/device/v1/heartbeat", dev.Token(), proto.Heartbeat{}, nil)
	if err := e.App.Gateway.Flush(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	var d deviceJSON
	e.do("GET", "/api/v1/orgs/"+org+"/devices/"+id, token, nil, &d)
	return d.Online
}
