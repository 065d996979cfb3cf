package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"mysystems/internal/errs"
	"mysystems/internal/fleet"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// ORG-5, house rule 4 on the device side: the gateway's command reads and
// the presence flush, given organization B, find nothing of A's device and
// change nothing; given A they do. The start-up scan names each device
// with its organization, and Claims answers the organization a serial
// belongs to.
func TestORG5_DeviceSideTenantScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mkTenantFleet(t, db)
		a, b, serial := f.a.ID, f.b.ID, f.dev.Serial
		seen := t0.Add(time.Minute)
		lastSeen := func() *time.Time {
			t.Helper()
			d, _ := f.state(t, db)
			return d.LastSeenAt
		}
		err := db.Write(ctx, func(tx *store.Tx) error {
			if open, err := tx.OpenCommands(ctx, b, serial, 10); err != nil || len(open) != 0 {
				t.Errorf("OpenCommands with org B: %v, %v; want none", open, err)
			}
			if _, err := tx.CommandByID(ctx, b, serial, f.cmd.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("CommandByID with org B: got %v, want not_found", err)
			}
			return tx.TouchDevices(ctx, map[fleet.DeviceKey]time.Time{{OrgID: b, Serial: serial}: seen})
		})
		if err != nil {
			t.Fatal(err)
		}
		if at := lastSeen(); at != nil && !at.Before(seen) {
			t.Errorf("TouchDevices with org B moved A's device's last contact to %v", at)
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			if open, err := tx.OpenCommands(ctx, a, serial, 10); err != nil || len(open) != 1 || open[0].ID != f.cmd.ID {
				t.Errorf("OpenCommands with org A: %v, %v; want %s", open, err, f.cmd.ID)
			}
			if c, err := tx.CommandByID(ctx, a, serial, f.cmd.ID); err != nil || c.OrgID != a {
				t.Errorf("CommandByID with org A: %+v, %v", c, err)
			}
			keys, err := tx.OpenCommandDevices(ctx)
			if err != nil || !slices.Equal(keys, []fleet.DeviceKey{{OrgID: a, Serial: serial}}) {
				t.Errorf("OpenCommandDevices: %v, %v; want A's device", keys, err)
			}
			claims, err := tx.Claims(ctx, []string{serial, "ACCC8E999999"})
			if err != nil || len(claims) != 1 || claims[serial] != a {
				t.Errorf("Claims: %v, %v; want %s: %s only", claims, err, serial, a)
			}
			return tx.TouchDevices(ctx, map[fleet.DeviceKey]time.Time{{OrgID: a, Serial: serial}: seen})
		})
		if err != nil {
			t.Fatal(err)
		}
		if at := lastSeen(); at == nil || !at.Equal(seen) {
			t.Errorf("TouchDevices with org A: last contact %v, want %v", at, seen)
		}
	})
}
