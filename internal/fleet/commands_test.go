package fleet

import (
	"testing"
	"time"

	"mysystems/internal/device"
)

// GW-2: an open command is delivered when new, and again once it has waited
// for its result for the redelivery delay, unless its device said it is at
// work on it; the others say when they fall due.
func TestGW2_Due(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	open := []Command{
		{ID: "new", State: device.StatePending},
		{ID: "recent", State: device.StateDelivered, DeliveredAt: at(-10 * time.Second)},
		{ID: "older", State: device.StateDelivered, DeliveredAt: at(-50 * time.Second)},
		{ID: "overdue", State: device.StateDelivered, DeliveredAt: at(-60 * time.Second)},
		{ID: "held", State: device.StateDelivered, DeliveredAt: at(-time.Hour), Held: true},
		{ID: "held soon", State: device.StateDelivered, DeliveredAt: at(-5 * time.Second), Held: true},
	}
	due, next := Due(open, now, time.Minute)
	var ids []string
	for _, c := range due {
		ids = append(ids, c.ID)
	}
	if len(ids) != 2 || ids[0] != "new" || ids[1] != "overdue" {
		t.Errorf("got due %v, want [new overdue] (a held command is never due)", ids)
	}
	if want := now.Add(10 * time.Second); !next.Equal(want) {
		t.Errorf("got next %v, want %v (when older falls due; a held one never does)", next, want)
	}
	if due, next := Due(open[:1], now, time.Minute); len(due) != 1 || !next.IsZero() {
		t.Errorf("only a new command: got %d due, next %v; want 1 and none", len(due), next)
	}
}

// DEV-7: a device shows as rebooting while its reboot is delivered, while
// it waits for an online device, and once applied until the device is
// heard from again; never for long, never for other commands or a failed
// reboot.
func TestDEV7_Rebooting(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	hb := time.Minute
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	online := Device{LastSeenAt: at(-30 * time.Second)}
	offline := Device{LastSeenAt: at(-time.Hour)}
	reboot := func(state string, created time.Duration, delivered, done *time.Time) *Command {
		return &Command{Type: device.CmdReboot, State: state, CreatedAt: now.Add(created), DeliveredAt: delivered, DoneAt: done}
	}
	for name, c := range map[string]struct {
		d    Device
		cmd  *Command
		want bool
	}{
		"no reboot":                     {online, nil, false},
		"identify":                      {online, &Command{Type: device.CmdIdentify, State: device.StateDelivered, CreatedAt: now}, false},
		"pending, device online":        {online, reboot(device.StatePending, -time.Second, nil, nil), true},
		"pending, device offline":       {offline, reboot(device.StatePending, -time.Second, nil, nil), false},
		"pending for long":              {online, reboot(device.StatePending, -RebootGrace, nil, nil), false},
		"delivered":                     {online, reboot(device.StateDelivered, -time.Second, at(-time.Second), nil), true},
		"delivered long ago":            {online, reboot(device.StateDelivered, -time.Hour, at(-RebootGrace-time.Second), nil), false},
		"delivered late":                {online, reboot(device.StateDelivered, -time.Hour, at(-time.Second), nil), true},
		"applied, not back":             {Device{LastSeenAt: at(-20 * time.Second)}, reboot(device.StateApplied, -time.Minute, at(-time.Minute), at(-20*time.Second)), true},
		"applied, never seen":           {Device{}, reboot(device.StateApplied, -time.Minute, at(-time.Minute), at(-20*time.Second)), true},
		"applied, back":                 {online, reboot(device.StateApplied, -time.Minute, at(-time.Minute), at(-40*time.Second)), false},
		"applied long ago, not back":    {offline, reboot(device.StateApplied, -time.Hour, at(-time.Hour), at(-RebootGrace)), false},
		"failed":                        {online, reboot(device.StateFailed, -time.Minute, at(-time.Minute), at(-40*time.Second)), false},
		"applied without its done time": {online, reboot(device.StateApplied, -time.Minute, nil, nil), false},
	} {
		if got := Rebooting(c.d, c.cmd, now, hb); got != c.want {
			t.Errorf("%s: Rebooting = %v, want %v", name, got, c.want)
		}
	}
}
