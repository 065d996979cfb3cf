package fleet

import (
	"encoding/json"
	"time"

	"mysystems/internal/device"
	"mysystems/internal/text"
)

// Command is an order for one device. It is written to the database before
// any device sees it, delivered at least once, and applied at most once: the
// device acknowledges by id, and a repeated result is answered with the
// first one (GW-2).
type Command struct {
	ID          string
	OrgID       string
	DeviceID    string
	Serial      string
	Type        string
	Args        json.RawMessage // the arguments, never a secret in clear
	State       string
	Result      string // the device's reason on failure, or a short outcome
	CreatedBy   string
	CreatedAt   time.Time
	DeliveredAt *time.Time
	DoneAt      *time.Time
	Deliveries  int
	// Held: the device reported it is at work on the command (an upgrade's
	// progress): it has it, and it is not delivered again (read with the
	// device's open commands, not stored on the command).
	Held bool
}

// Done reports whether the command has its outcome.
func (c Command) Done() bool { return c.State == device.StateApplied || c.State == device.StateFailed }

// ApplyResult records a device's result on c and reports whether it changed
// anything: a result for a command already done is ignored (at most once).
// The message is kept to device.MaxMessage characters.
func ApplyResult(c *Command, ok bool, message string, at time.Time) bool {
	if c.Done() {
		return false
	}
	c.State = device.StateFailed
	if ok {
		c.State = device.StateApplied
	}
	c.Result = text.Cut(message, device.MaxMessage)
	c.DoneAt = &at
	return true
}

// RebootGrace bounds how long a device shows as rebooting: a reboot that
// has not brought the device back within it no longer explains its
// silence, and the device's online status says again what is known.
const RebootGrace = 10 * time.Minute

// rebootLookback is how old a reboot command may be and still be the one
// that explains a device's status (a command that waited for an offline
// device is delivered late).
const rebootLookback = time.Hour

// Rebooting reports whether a device is restarting at now after last, its
// latest reboot command (nil: none): the command was delivered to the
// device, or waits for a device that is online and about to take it, or the
// device applied it and has not been heard from since (DEV-7: the status a
// person reads while the device is away for its restart).
func Rebooting(d Device, last *Command, now time.Time, heartbeat time.Duration) bool {
	if last == nil || last.Type != device.CmdReboot {
		return false
	}
	switch last.State {
	case device.StatePending:
		return now.Sub(last.CreatedAt) < RebootGrace && d.Online(now, heartbeat)
	case device.StateDelivered:
		at := last.CreatedAt
		if last.DeliveredAt != nil {
			at = *last.DeliveredAt
		}
		return now.Sub(at) < RebootGrace
	case device.StateApplied:
		return last.DoneAt != nil && now.Sub(*last.DoneAt) < RebootGrace &&
			(d.LastSeenAt == nil || !d.LastSeenAt.After(*last.DoneAt))
	}
	return false
}

// Wire is the command as its device receives it.
func (c Command) Wire() device.WireCommand {
	return device.WireCommand{ID: c.ID, Type: c.Type, Args: c.Args, IssuedAt: c.CreatedAt}
}

// Due picks, among a device's open commands, those to deliver now (GW-2, at
// least once): never delivered, or delivered redeliver ago or more without a
// result nor a word from the device that it is at work on it (Held). next is
// when the first of the others falls due, zero if none.
func Due(open []Command, now time.Time, redeliver time.Duration) (due []Command, next time.Time) {
	for _, c := range open {
		if c.Held {
			continue // acknowledged: what becomes of it is its task's time-outs' concern
		}
		if c.State == device.StateDelivered && c.DeliveredAt != nil && now.Sub(*c.DeliveredAt) < redeliver {
			if at := c.DeliveredAt.Add(redeliver); next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		due = append(due, c)
	}
	return due, next
}
