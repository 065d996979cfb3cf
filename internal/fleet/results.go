package fleet

import (
	"context"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/device"
)

// RecordResult is a device's result for one of its commands (GW-2) in its
// organization orgID, in the caller's transaction: the outcome is applied once (a repeated result
// changes nothing), the account list the device reports with it is
// recorded, and the change gets its audit line. The answer is the command's
// recorded outcome, for a repeated result the first one.
func RecordResult(ctx context.Context, tx DeviceTx, orgID, serial, id string, in device.Result, now time.Time) (device.ResultReply, error) {
	cmd, err := tx.CommandByID(ctx, orgID, serial, id)
	if err != nil {
		return device.ResultReply{}, err
	}
	if ApplyResult(&cmd, in.OK, in.Message, now) {
		if err := tx.SaveCommandOutcome(ctx, cmd); err != nil {
			return device.ResultReply{}, err
		}
		if in.Accounts != nil {
			rep, err := tx.Reported(ctx, serial)
			if err != nil {
				return device.ResultReply{}, err
			}
			rep.Accounts = in.Accounts
			if err := tx.SetReported(ctx, rep); err != nil {
				return device.ResultReply{}, err
			}
		}
		details := map[string]any{"command": cmd.ID, "type": cmd.Type, "state": cmd.State}
		if cmd.Result != "" {
			details["result"] = cmd.Result
		}
		if err := tx.RecordAudit(ctx, audit.Entry{OrgID: cmd.OrgID, At: now,
			Actor: audit.Actor{Kind: audit.KindSystem, ID: "device:" + serial}, Action: audit.DeviceCommandResult,
			TargetType: "device", TargetID: cmd.DeviceID, Details: details}); err != nil {
			return device.ResultReply{}, err
		}
	}
	return device.ResultReply{State: cmd.State, Result: cmd.Result}, nil
}
