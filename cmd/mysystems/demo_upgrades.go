package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/upgrade"
)

// demoDevice is a claimed demo device: its id, model, the version it
// reports (demoFirmware) and its site's folder.
type demoDevice struct {
	ID, Model, Firmware, Site string
}

// seedDemoUpgrades shows AXIS OS management in the demo organization
// (FW-3..7): devices on each software scheduling mode, a small rollout that
// finishes within minutes of the start, and a larger one that is still
// running (its first ring done, the rest soaking) for two hours. The
// simulated devices carry the upgrades out, with a few failing.
func seedDemoUpgrades(ctx context.Context, a *app.App, actor audit.Actor, orgID string, ds []demoDevice, sites map[string]string) error {
	var asap, window []string
	for i, d := range ds {
		switch i % 10 {
		case 1:
			asap = append(asap, d.ID)
		case 2, 5:
			window = append(window, d.ID)
		}
	}
	w, err := firmware.ParseWindow("mon-fri 22:00 3h Europe/Paris")
	if err != nil {
		return err
	}
	if _, err := a.Upgrades.SetSchedule(ctx, actor, orgID, upgrade.ScheduleRequest{DeviceIDs: asap, Mode: upgrade.ASAP}); err != nil {
		return fmt.Errorf("demo schedules: %w", err)
	}
	if _, err := a.Upgrades.SetSchedule(ctx, actor, orgID, upgrade.ScheduleRequest{DeviceIDs: window, Mode: upgrade.InWindow, Window: &w}); err != nil {
		return fmt.Errorf("demo schedules: %w", err)
	}
	// A small rollout at Headquarters: devices on the older active version,
	// one first, then the rest at once.
	var small []string
	for i, d := range ds {
		if d.Site == sites["Headquarters"] && d.Firmware == "11.11.73" && i%10 != 1 && i%10 != 2 && i%10 != 5 && len(small) < 8 {
			small = append(small, d.ID)
		}
	}
	if len(small) >= 2 {
		if _, err := a.Upgrades.Start(ctx, actor, orgID, upgrade.Request{DeviceIDs: small,
			Rollout: &upgrade.RingSpec{Count: 1, FailurePercent: 50}}); err != nil && !tooFewToRoll(err) {
			return fmt.Errorf("demo rollout: %w", err)
		}
	}
	// A larger one in the Warehouse: one AXIS M3086-V in five first, then a
	// two-hour soak before the rest. A small demo (--demo-devices) may have
	// none or only one there to upgrade.
	_, err = a.Upgrades.Start(ctx, actor, orgID, upgrade.Request{Model: "AXIS M3086-V", FolderID: sites["Warehouse"],
		Rollout: &upgrade.RingSpec{Percent: 20, Soak: 2 * time.Hour, FailurePercent: 25}})
	if err != nil && !tooFewToRoll(err) {
		return fmt.Errorf("demo rollout: %w", err)
	}
	return nil
}

// tooFewToRoll reports whether a demo rollout was refused because a small
// demo (--demo-devices) has too few devices there to upgrade.
func tooFewToRoll(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && (e.Key == "err.upgrade.no_devices" || e.Key == "err.rollout.too_few")
}
