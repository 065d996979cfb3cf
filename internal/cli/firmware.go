package cli

import (
	"context"
	"fmt"
	"net/http"

	"mysystems/internal/api"
)

// cmdFirmwareList prints the AXIS OS catalogue (FW-1): per model and track
// the recommended version, then every release.
func cmdFirmwareList(ctx context.Context, e *env, args []string) error {
	f := e.flags("firmware list", "", "Show the AXIS OS catalogue: models, tracks and recommended versions,\nthen every release (withdrawn ones marked).", withJSON)
	_, c, err := e.start(f, args, 0, 0)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodGet, "/api/v1/firmware", nil, "catalogue", func(cat api.FirmwareCatalogueJSON) error {
		if len(cat.Models) == 0 {
			fmt.Fprintln(e.out, "No AXIS OS release is published yet.")
			return nil
		}
		var rows [][]string
		for _, m := range cat.Models {
			for _, t := range m.Tracks {
				rec := t.Recommended
				if rec == "" {
					rec = "(none: withdrawn)"
				}
				rows = append(rows, []string{clean(m.Model), clean(t.Label), clean(rec)})
			}
		}
		if err := printTable(e.out, []string{"MODEL", "TRACK", "RECOMMENDED"}, rows); err != nil {
			return err
		}
		fmt.Fprintln(e.out)
		rows = rows[:0]
		for _, r := range cat.Releases {
			state := "published"
			if r.Withdrawn {
				state = "withdrawn: " + r.WithdrawnReason
			}
			rows = append(rows, []string{clean(r.ID), clean(r.Model), clean(r.Version), clean(r.TrackLabel),
				r.Released.Format("2006-01-02"), fmt.Sprint(r.Size), clean(state)})
		}
		return printTable(e.out, []string{"RELEASE", "MODEL", "VERSION", "TRACK", "RELEASED", "SIZE", "STATE"}, rows)
	})
}
