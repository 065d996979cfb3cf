package device

import (
	"time"

	"mysystems/internal/errs"
)

// DefaultHeartbeat is how often a device heartbeats unless the portal says
// otherwise in its Welcome.
const DefaultHeartbeat = 60 * time.Second

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

// CheckAction validates a device action type (reboot, identify).
func CheckAction(t string) error {
	switch t {
	case CmdReboot, CmdIdentify:
		return nil
	}
	return errs.InvalidField("type", "err.command.type")
}
