package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"mysystems/internal/account"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// DEV-4, house rule 4: the device count and the grouped (model, firmware)
// counts behind the list's filters cover one organization only, and count
// what the filter matches.
func TestDEV4_CountDevicesAndVersionsTenantScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := mkTenantFleet(t, db) // A has one M3086-V on 11.0.0 in its root
		seen := t0
		more := []fleet.Device{
			{Model: "M3086-V", Firmware: "12.0.0", Name: "Hall", LastSeenAt: &seen},
			{Model: "P1468-LE", Firmware: "12.0.0", Name: "Gate"},
		}
		bDev := fleet.Device{OrgID: f.b.ID, FolderID: f.b.RootFolderID, Model: "M3086-V", Firmware: "11.0.0", Name: "Lobby B"}
		err := db.Write(ctx, func(tx *store.Tx) error {
			for i, d := range append(more, bDev) {
				if d.OrgID == "" {
					d.OrgID, d.FolderID = f.a.ID, f.a.RootFolderID
				}
				d.ID, d.Serial, d.ClaimedAt = account.NewID("dev_"), fmt.Sprintf("ACCC8E0001%02d", i), t0
				if err := tx.CreateIdentity(ctx, fleet.Identity{Serial: d.Serial, Model: d.Model, CreatedAt: t0}, fleet.Secrets{SecretHash: "s", OAKHash: "o"}); err != nil {
					return err
				}
				if err := tx.CreateDevice(ctx, d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Read(ctx, func(tx *store.Tx) error {
			for _, c := range []struct {
				name string
				org  string
				f    fleet.Filter
				want int
			}{
				{"A all", f.a.ID, fleet.Filter{}, 3},
				{"A model", f.a.ID, fleet.Filter{Model: "M3086-V"}, 2},
				{"A firmware", f.a.ID, fleet.Filter{Firmware: "12.0.0"}, 2},
				{"A online", f.a.ID, fleet.Filter{Status: "online", OnlineSince: t0.Add(-1)}, 1},
				{"A query", f.a.ID, fleet.Filter{Query: "lob"}, 1},
				{"A upgradable", f.a.ID, fleet.Filter{Upgrade: "yes", Upgradable: []firmware.Installed{{Model: "M3086-V", Firmware: "11.0.0"}}}, 1},
				{"A no folder", f.a.ID, fleet.Filter{Folders: []string{}}, 0},
				{"B all", f.b.ID, fleet.Filter{}, 1},
				{"B in A's folder", f.b.ID, fleet.Filter{Folders: []string{f.a.RootFolderID}}, 0},
			} {
				n, err := tx.CountDevices(ctx, c.org, c.f)
				if err != nil || n != c.want {
					t.Errorf("%s: got %d, %v; want %d", c.name, n, err, c.want)
				}
				ds, _, err := tx.Devices(ctx, c.org, c.f, fleet.Page{Limit: 100})
				if err != nil || len(ds) != c.want {
					t.Errorf("%s: the list has %d devices (%v), the count %d", c.name, len(ds), err, c.want)
				}
			}
			vs, err := tx.DeviceVersions(ctx, f.a.ID, nil)
			want := []firmware.Counted{{Installed: firmware.Installed{Model: "M3086-V", Firmware: "11.0.0"}, Devices: 1},
				{Installed: firmware.Installed{Model: "M3086-V", Firmware: "12.0.0"}, Devices: 1},
				{Installed: firmware.Installed{Model: "P1468-LE", Firmware: "12.0.0"}, Devices: 1}}
			if err != nil || !slices.Equal(vs, want) {
				t.Errorf("A's versions: got %v, %v; want %v", vs, err, want)
			}
			vs, err = tx.DeviceVersions(ctx, f.b.ID, []string{f.a.RootFolderID})
			if err != nil || len(vs) != 0 {
				t.Errorf("B's versions in A's folder: got %v, %v; want none", vs, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
