package store_test

import (
	"context"
	"testing"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/device"
	"mysystems/internal/fleet"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// TestDEV7_LatestCommands: a device's latest command of a type since a
// time, for the status its last reboot gives it; other types, older ones
// and other devices' are left out.
func TestDEV7_LatestCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mkTenantFleet(t, db) // a pending reboot of f.dev at t0
		cmd := func(typ string, at time.Time, state string) fleet.Command {
			return fleet.Command{ID: account.NewID("cmd_"), OrgID: f.a.ID, DeviceID: f.dev.ID, Serial: f.dev.Serial,
				Type: typ, State: state, CreatedAt: at}
		}
		later := cmd(device.CmdReboot, t0.Add(time.Minute), device.StateDelivered)
		identify := cmd(device.CmdIdentify, t0.Add(2*time.Minute), device.StatePending)
		if err := db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.CreateCommand(ctx, later); err != nil {
				return err
			}
			return tx.CreateCommand(ctx, identify)
		}); err != nil {
			t.Fatal(err)
		}
		latest := func(since time.Time, serials ...string) map[string]fleet.Command {
			t.Helper()
			var out map[string]fleet.Command
			if err := db.Read(ctx, func(tx *store.Tx) error {
				var err error
				out, err = tx.LatestCommands(ctx, f.a.ID, device.CmdReboot, serials, since)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		got := latest(t0.Add(-time.Hour), f.dev.Serial, "ACCC8E0000FF")
		if len(got) != 1 || got[f.dev.ID].ID != later.ID || got[f.dev.ID].State != device.StateDelivered {
			t.Fatalf("latest reboot: %+v, want %s", got, later.ID)
		}
		if got := latest(t0.Add(2 * time.Minute)); len(got) != 0 {
			t.Fatalf("no serials: %+v", got)
		}
		if got := latest(t0.Add(2*time.Minute), f.dev.Serial); len(got) != 0 {
			t.Fatalf("none since: %+v", got)
		}
	})
}
