package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// LIC-5: the products' status counts the need of every product with one
// query that an index covers (devices_model_folder): with 100,000 devices
// SQLite reads the index alone, never the table.
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
		return tx.QueryRowForTest(ctx, `EXPLAIN QUERY PLAN SELECT model, folder_id, COUNT(*) FROM devices WHERE org_id = ?
			GROUP BY model, folder_id ORDER BY model, folder_id`, l.a.ID).Scan(&id, &parent, &unused, &plan)
	})
	if err != nil || !strings.Contains(plan, "COVERING INDEX devices_model_folder") {
		t.Fatalf("the need's query plan: %q %v", plan, err)
	}
	start := time.Now()
	ps, err := l.svc.OrgProducts(ctx, l.ownerA, l.a.ID)
	if err != nil || ps[1].Need != 100000 || ps[0].Need != 100000 {
		t.Fatalf("products: %+v %v", ps, err)
	}
	t.Logf("the products' status of 100,000 devices in %v", time.Since(start))
}
