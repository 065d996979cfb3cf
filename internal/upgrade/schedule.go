package upgrade

import (
	"time"

	"mysystems/internal/errs"
	"mysystems/internal/firmware"
)

// Mode is a device's upgrade schedule (FW-4).
type Mode string

// The modes.
const (
	// None: upgrades only when a person starts one.
	None Mode = "none"
	// ASAP: as soon as a newer recommended version is published, at any time.
	ASAP Mode = "asap"
	// InWindow: a recommended upgrade starts only inside the device's
	// maintenance window; one that misses it waits for the next.
	InWindow Mode = "window"
)

// ParseMode validates a mode.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case None, ASAP, InWindow:
		return Mode(s), nil
	}
	return "", errs.InvalidField("mode", "err.schedule.mode")
}

// Schedule is one device's schedule.
type Schedule struct {
	DeviceID  string
	Mode      Mode
	Window    firmware.Window // for InWindow
	UpdatedAt time.Time
	UpdatedBy string
}

// Slot is when a task the schedule creates at now may start: any time for
// ASAP (nil bounds), the open or next occurrence of the window for InWindow.
func (s Schedule) Slot(now time.Time) (notBefore, notAfter *time.Time) {
	if s.Mode != InWindow {
		return nil, nil
	}
	start, end := s.Window.Next(now)
	return &start, &end
}
