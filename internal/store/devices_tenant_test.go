package store_test

import (
	"context"
	"testing"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// tenantFleet is a device claimed into organization A with an open
// command, and an organization B.
type tenantFleet struct {
	a, b org.Org
	dev  fleet.Device
	cmd  fleet.Command
}

func mkTenantFleet(t *testing.T, db *store.DB) tenantFleet {
	t.Helper()
	ctx := context.Background()
	f := tenantFleet{a: mkOrg(t, db, "Org A", mkUser(t, db, "a@example.com")), b: mkOrg(t, db, "Org B", mkUser(t, db, "b@example.com"))}
	f.dev = fleet.Device{ID: account.NewID("dev_"), OrgID: f.a.ID, FolderID: f.a.RootFolderID, Serial: "ACCC8E000001",
		Model: "M3086-V", Firmware: "11.0.0", Name: "Lobby", ClaimedAt: t0}
	f.cmd = fleet.Command{ID: account.NewID("cmd_"), OrgID: f.a.ID, DeviceID: f.dev.ID, Serial: f.dev.Serial,
		Type: device.CmdReboot, State: device.StatePending, CreatedAt: t0}
	err := db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateIdentity(ctx, fleet.Identity{Serial: f.dev.Serial, Model: f.dev.Model, CreatedAt: t0}, fleet.Secrets{SecretHash: "s", OAKHash: "o"}); err != nil {
			return err
		}
		if err := tx.SetClaim(ctx, f.dev.Serial, f.a.ID, f.dev.ID); err != nil {
			return err
		}
		if err := tx.CreateDevice(ctx, f.dev); err != nil {
			return err
		}
		return tx.CreateCommand(ctx, f.cmd)
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// state reads A's device and command back.
func (f tenantFleet) state(t *testing.T, db *store.DB) (fleet.Device, fleet.Command) {
	t.Helper()
	ctx := context.Background()
	var d fleet.Device
	var c fleet.Command
	err := db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = tx.Device(ctx, f.a.ID, f.dev.ID); err != nil {
			return err
		}
		c, err = tx.Command(ctx, f.a.ID, f.cmd.ID)
		return err
	})
	if err != nil {
		t.Fatalf("A's rows: %v", err)
	}
	return d, c
}

// ORG-5, house rule 4: every device and command method of the store, given
// organization B, finds nothing of organization A's and changes nothing.
func TestORG5_DeviceStoreTenantScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mkTenantFleet(t, db)
		b := f.b.ID
		read := func(name string, fn func(tx *store.Tx) error) {
			t.Helper()
			if err := db.Read(ctx, fn); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		write := func(name string, want errs.Code, fn func(tx *store.Tx) error) {
			t.Helper()
			if err := db.Write(ctx, fn); errs.CodeOf(err) != want {
				t.Errorf("%s with org B: got %v, want code %q", name, err, want)
			}
		}
		t.Run("ErrNotFound/reads", func(t *testing.T) {
			read("reads", func(tx *store.Tx) error {
				if _, err := tx.Device(ctx, b, f.dev.ID); !errs.Is(err, errs.NotFound) {
					t.Errorf("Device: got %v, want not_found", err)
				}
				if _, err := tx.Command(ctx, b, f.cmd.ID); !errs.Is(err, errs.NotFound) {
					t.Errorf("Command: got %v, want not_found", err)
				}
				ds, next, err := tx.Devices(ctx, b, fleet.Filter{}, fleet.Page{Limit: 10})
				if err != nil || len(ds) != 0 || next != "" {
					t.Errorf("Devices: got %d devices, next %q, err %v; want none", len(ds), next, err)
				}
				ds, _, err = tx.Devices(ctx, b, fleet.Filter{Folders: []string{f.a.RootFolderID}, Query: "Lobby"}, fleet.Page{Limit: 10})
				if err != nil || len(ds) != 0 {
					t.Errorf("Devices in A's folder: got %d devices, err %v; want none", len(ds), err)
				}
				if n, err := tx.CountFolderDevices(ctx, b, f.a.RootFolderID); err != nil || n != 0 {
					t.Errorf("CountFolderDevices: got %d, %v; want 0", n, err)
				}
				if cs, err := tx.LatestCommands(ctx, b, device.CmdReboot, []string{f.dev.Serial}, t0.Add(-time.Hour)); err != nil || len(cs) != 0 {
					t.Errorf("LatestCommands: got %v, %v; want none", cs, err)
				}
				return nil
			})
		})
		t.Run("ErrNotFound/writes", func(t *testing.T) {
			moved := f.dev
			moved.OrgID, moved.Name = b, "Stolen"
			write("UpdateDevice", errs.NotFound, func(tx *store.Tx) error { return tx.UpdateDevice(ctx, moved) })
			write("DeleteDevice", errs.NotFound, func(tx *store.Tx) error { return tx.DeleteDevice(ctx, b, f.dev.ID) })
			done := f.cmd
			done.OrgID, done.State, done.Result, done.DoneAt = b, device.StateApplied, "done", &t0
			write("SaveCommandOutcome", errs.NotFound, func(tx *store.Tx) error { return tx.SaveCommandOutcome(ctx, done) })
			write("MarkDelivered", "", func(tx *store.Tx) error {
				if got, err := tx.MarkDelivered(ctx, b, []string{f.cmd.ID}, t0); err != nil || len(got) != 0 {
					t.Errorf("MarkDelivered through org B took %v (%v)", got, err)
				}
				return nil
			})
			write("FailOpenCommands", "", func(tx *store.Tx) error {
				return tx.FailOpenCommands(ctx, b, f.dev.Serial, "removed", t0)
			})
			rep := fleet.Reported{Serial: f.dev.Serial, Model: f.dev.Model, Firmware: "12.0.0", OrgID: b}
			write("SetReported", "", func(tx *store.Tx) error { return tx.SetReported(ctx, rep) })
			rep.Firmware = "12.1.0"
			write("SetReportedBatch", "", func(tx *store.Tx) error { return tx.SetReportedBatch(ctx, []fleet.Reported{rep}) })

			d, c := f.state(t, db)
			if d.Name != "Lobby" || d.Firmware != "11.0.0" {
				t.Errorf("A's device changed through org B: %+v", d)
			}
			if c.State != device.StatePending || c.Deliveries != 0 || c.DeliveredAt != nil || c.Result != "" {
				t.Errorf("A's command changed through org B: %+v", c)
			}
		})
		t.Run("OK", func(t *testing.T) { // the same calls with A's id do change A's rows
			write("MarkDelivered", "", func(tx *store.Tx) error {
				if got, err := tx.MarkDelivered(ctx, f.a.ID, []string{f.cmd.ID}, t0); err != nil || len(got) != 1 || got[0] != f.cmd.ID {
					t.Errorf("MarkDelivered with A's id took %v (%v), want the open command", got, err)
				}
				return nil
			})
			rep := fleet.Reported{Serial: f.dev.Serial, Model: f.dev.Model, Firmware: "12.0.0", OrgID: f.a.ID}
			write("SetReported", "", func(tx *store.Tx) error { return tx.SetReported(ctx, rep) })
			if d, c := f.state(t, db); c.State != device.StateDelivered || c.Deliveries != 1 || d.Firmware != "12.0.0" {
				t.Errorf("with A's id: device %+v, command %+v", d, c)
			}
			rep.Firmware = "12.1.0"
			write("SetReportedBatch", "", func(tx *store.Tx) error { return tx.SetReportedBatch(ctx, []fleet.Reported{rep}) })
			done := f.cmd
			done.State, done.Result, done.DoneAt = device.StateApplied, "done", &t0
			write("SaveCommandOutcome", "", func(tx *store.Tx) error { return tx.SaveCommandOutcome(ctx, done) })
			if d, c := f.state(t, db); c.State != device.StateApplied || d.Firmware != "12.1.0" {
				t.Errorf("with A's id: device %+v, command %+v", d, c)
			}
			write("DeleteDevice", "", func(tx *store.Tx) error { return tx.DeleteDevice(ctx, f.a.ID, f.dev.ID) })
		})
	})
}

// DEV-5: removing a device fails its open commands in its organization
// only.
func TestDEV5_FailOpenCommandsTenantScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mkTenantFleet(t, db)
		if err := db.Write(ctx, func(tx *store.Tx) error {
			return tx.FailOpenCommands(ctx, f.a.ID, f.dev.Serial, "removed", t0)
		}); err != nil {
			t.Fatal(err)
		}
		if _, c := f.state(t, db); c.State != device.StateFailed || c.Result != "removed" {
			t.Errorf("got %+v, want failed: removed", c)
		}
	})
}
