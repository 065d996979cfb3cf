package fleet

import (
	"testing"
	"time"

	"mysystems/internal/device"
)

// GW-2: an open command is delivered when new, and again once it has waited
// for its result for the redelivery delay; the others say when they fall due.
func TestGW2_Due(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	open := []Command{
		{ID: "new", State: device.StatePending},
		{ID: "recent", State: device.StateDelivered, DeliveredAt: at(-10 * time.Second)},
		{ID: "older", State: device.StateDelivered, DeliveredAt: at(-50 * time.Second)},
		{ID: "overdue", State: device.StateDelivered, DeliveredAt: at(-60 * time.Second)},
	}
	due, next := Due(open, now, time.Minute)
	var ids []string
	for _, c := range due {
		ids = append(ids, c.ID)
	}
	if len(ids) != 2 || ids[0] != "new" || ids[1] != "overdue" {
		t.Errorf("got due %v, want [new overdue]", ids)
	}
	if want := now.Add(10 * time.Second); !next.Equal(want) {
		t.Errorf("got next %v, want %v (when older falls due)", next, want)
	}
	if due, next := Due(open[:1], now, time.Minute); len(due) != 1 || !next.IsZero() {
		t.Errorf("only a new command: got %d due, next %v; want 1 and none", len(due), next)
	}
}
