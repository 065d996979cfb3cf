package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// LIC-5: the need is counted from device_counts, which triggers keep equal
// to the devices themselves through every insert, move, change of model
// and removal, per organization, model and folder; counts that fell to 0
// leave the table.
func TestLIC5_DeviceCountsFollowDevices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := mkLicenseOrgs(t, db)
		exec := func(q string, args ...any) {
			t.Helper()
			if err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.ExecForTest(ctx, q, args...); return err }); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// Folders of its own in org A; the root folder in org B.
		exec(`INSERT INTO folders (org_id, id, parent_id, name, created_at) VALUES (?, 'fld_x', ?, 'X', 0)`, l.a.ID, l.a.RootFolderID)
		for i := range 12 {
			serial := fmt.Sprintf("S%02d", i)
			exec(`INSERT INTO device_identities (serial, model, secret_hash, oak_hash, created_at) VALUES (?, ?, 's', 'o', 0)`,
				serial, fmt.Sprintf("AXIS P%d", i%3))
			org, folder := l.a.ID, l.a.RootFolderID
			if i%4 == 3 {
				org, folder = l.b.ID, l.b.RootFolderID
			}
			exec(`INSERT INTO devices (org_id, id, serial, folder_id, name, model, firmware, claimed_at) VALUES (?, ?, ?, ?, ?, ?, '11.0.0', 0)`,
				org, "dev_"+serial, serial, folder, serial, fmt.Sprintf("AXIS P%d", i%3))
		}
		check := func(when string) {
			t.Helper()
			var counted, kept string
			err := db.Read(ctx, func(tx *store.Tx) error {
				read := func(q string) (string, error) {
					var s []string
					rows, err := tx.QueryForTest(ctx, q)
					if err != nil {
						return "", err
					}
					defer rows.Close()
					for rows.Next() {
						var o, m, f string
						var n int
						if err := rows.Scan(&o, &m, &f, &n); err != nil {
							return "", err
						}
						s = append(s, fmt.Sprintf("%s/%s/%s=%d", o, m, f, n))
					}
					return strings.Join(s, " "), rows.Err()
				}
				var err error
				if counted, err = read(`SELECT org_id, model, folder_id, COUNT(*) FROM devices GROUP BY org_id, model, folder_id ORDER BY 1, 2, 3`); err != nil {
					return err
				}
				kept, err = read(`SELECT org_id, model, folder_id, devices FROM device_counts ORDER BY 1, 2, 3`)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if counted != kept || counted == "" {
				t.Fatalf("%s: device_counts %q, want %q", when, kept, counted)
			}
		}
		check("inserted")
		exec(`UPDATE devices SET folder_id = 'fld_x' WHERE org_id = ? AND model = 'AXIS P1'`, l.a.ID)
		check("moved")
		exec(`UPDATE devices SET model = 'AXIS Q1' WHERE org_id = ? AND id = 'dev_S00'`, l.a.ID)
		check("model changed")
		exec(`UPDATE devices SET name = 'renamed', firmware = '12.0.0' WHERE org_id = ?`, l.a.ID)
		check("renamed")
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.DeleteDevice(ctx, l.a.ID, "dev_S04") }); err != nil {
			t.Fatal(err)
		}
		check("one removed")
		exec(`DELETE FROM devices WHERE org_id = ? AND model = 'AXIS P2'`, l.a.ID)
		check("a model removed")
		ps, err := l.svc.OrgProducts(ctx, l.ownerB, l.b.ID)
		if err != nil || ps[0].Need != 3 || ps[1].Need != 3 {
			t.Fatalf("org B's products: %+v %v", ps, err)
		}
	})
}

// LIC-5: the products' status of an organization of 100,000 devices reads
// device_counts by its primary key, never the devices.
func TestLIC5_NeedOf100000Devices(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 devices")
	}
	db := storetest.SQLite(t)
	ctx := context.Background()
	l := mkLicenseOrgs(t, db)
	err := db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecForTest(ctx, `INSERT INTO device_identities (serial, model, secret_hash, oak_hash, created_at)
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
			SELECT 'S' || i, 'AXIS P' || (i % 40), 's', 'o', 0 FROM n`); err != nil {
			return err
		}
		_, err := tx.ExecForTest(ctx, `INSERT INTO devices (org_id, id, serial, folder_id, name, model, firmware, claimed_at)
			SELECT ?, 'dev_' || serial, serial, ?, serial, model, '11.0.0', 0 FROM device_identities`, l.a.ID, l.a.RootFolderID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AnalyzeForTest(ctx); err != nil {
		t.Fatal(err)
	}
	var plan string
	err = db.Read(ctx, func(tx *store.Tx) error {
		var id, parent, unused int
		return tx.QueryRowForTest(ctx, `EXPLAIN QUERY PLAN `+store.NeedCountsQuery, l.a.ID).Scan(&id, &parent, &unused, &plan)
	})
	if err != nil || !strings.Contains(plan, "device_counts") || strings.Contains(plan, "devices ") {
		t.Fatalf("the need's query plan: %q %v", plan, err)
	}
	start := time.Now()
	ps, err := l.svc.OrgProducts(ctx, l.ownerA, l.a.ID)
	if err != nil || ps[1].Need != 100000 || ps[0].Need != 100000 {
		t.Fatalf("products: %+v %v", ps, err)
	}
	t.Logf("the products' status of 100,000 devices in %v", time.Since(start))
}
