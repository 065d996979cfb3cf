package fleet

import (
	"slices"
	"testing"
	"time"

	"mysystems/internal/org"
)

// DEV-4: a device's line of the export, the same for the API and the web
// UI: its folder's path, online status and last contact in UTC. Cells stay
// raw here; the CSV writer (edge.CSV) escapes them.
func TestDEV4_ExportRow(t *testing.T) {
	tree := org.NewTree([]org.Folder{{ID: "fld_root", Name: "Acme"}, {ID: "fld_hall", ParentID: "fld_root", Name: "Hall"}})
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	seen := now.Add(-time.Minute).In(time.FixedZone("CEST", 2*3600))
	cases := []struct {
		name string
		d    Device
		want []string
	}{
		{"OK/online", Device{ID: "dev_1", Serial: "ACCC8E000001", Name: "=Lobby", Model: "M3086-V", Firmware: "11.0.0", FolderID: "fld_hall", LastSeenAt: &seen},
			[]string{"dev_1", "ACCC8E000001", "=Lobby", "M3086-V", "11.0.0", "Acme / Hall", "online", "2026-06-01T11:59:00Z", ""}},
		{"OK/never seen", Device{ID: "dev_2", Serial: "ACCC8E000002", Name: "Gate", Model: "M3086-V", Firmware: "11.0.0", FolderID: "fld_root"},
			[]string{"dev_2", "ACCC8E000002", "Gate", "M3086-V", "11.0.0", "Acme", "offline", "", ""}},
		// FW-2: the last column is the recommended version, when an
		// upgrade is recommended.
		{"OK/upgrade recommended", Device{ID: "dev_3", Serial: "ACCC8E000003", Name: "Yard", Model: "M3086-V", Firmware: "11.0.0", FolderID: "fld_root", UpgradeTo: "11.11.73"},
			[]string{"dev_3", "ACCC8E000003", "Yard", "M3086-V", "11.0.0", "Acme", "offline", "", "11.11.73"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := exportRow(c.d, tree, now, time.Minute)
			if !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if len(got) != len(ExportColumns) {
				t.Errorf("got %d cells, want %d columns", len(got), len(ExportColumns))
			}
		})
	}
}
