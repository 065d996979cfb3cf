package gateway

import (
	"context"

	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
)

// Upgrades is what the gateway needs of AXIS OS upgrades (upgrade.Service):
// a device's progress reports and results on its upgrade commands (GW-3).
type Upgrades interface {
	Progress(ctx context.Context, orgID, serial, command string, p device.Progress) (device.ProgressReply, error)
	Result(ctx context.Context, orgID, serial, command string, res device.Result) error
}

// SetUpgrades wires the upgrade tasks.
func (g *Gateway) SetUpgrades(u Upgrades) { g.upgrades = u }

// progress takes a device's report on an upgrade under way and answers
// whether it goes on (see device.CmdUpgrade).
func (g *Gateway) progress(c *call) (any, error) {
	var in device.Progress
	if err := decode(c.r, c.w, &in); err != nil {
		return nil, err
	}
	if g.upgrades == nil {
		return nil, errs.NotFoundf("err.command.not_found", c.r.PathValue("id"))
	}
	ctx := c.r.Context()
	var org string
	err := g.store.Read(ctx, func(tx fleet.DeviceTx) error {
		var err error
		org, _, err = g.orgOf(ctx, tx, c.serial, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	if org == "" {
		return device.ProgressReply{Reason: "this device belongs to no organization"}, nil
	}
	g.presence.seen(c.serial, g.clock.Now())
	return g.upgrades.Progress(ctx, org, c.serial, c.r.PathValue("id"), in)
}
