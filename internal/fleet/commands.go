package fleet

import (
	"encoding/json"
	"time"

	"mysystems/internal/errs"
)

// Command types a device understands (GW-2).
const (
	CmdReboot          = "reboot"
	CmdIdentify        = "identify"
	CmdAccountCreate   = "account.create"
	CmdAccountPassword = "account.password"
	CmdAccountDelete   = "account.delete"
)

// Command states: written pending, delivered when a device took it in a
// poll (it may be delivered again until a result arrives), then applied or
// failed with the device's reason.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateApplied   = "applied"
	StateFailed    = "failed"
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
}

// Done reports whether the command has its outcome.
func (c Command) Done() bool { return c.State == StateApplied || c.State == StateFailed }

// CheckAction validates a device action type (reboot, identify).
func CheckAction(t string) error {
	switch t {
	case CmdReboot, CmdIdentify:
		return nil
	}
	return errs.InvalidField("type", "err.command.type")
}

// ApplyResult records a device's result on c and reports whether it changed
// anything: a result for a command already done is ignored (at most once).
func ApplyResult(c *Command, ok bool, message string, at time.Time) bool {
	if c.Done() {
		return false
	}
	c.State = StateFailed
	if ok {
		c.State = StateApplied
	}
	if len(message) > 500 {
		message = message[:500]
	}
	c.Result = message
	c.DoneAt = &at
	return true
}
