package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"mysystems/internal/api"
)

// finished says whether a device command has reached its end: applied, or
// failed with the device's reason.
func finished(c api.CommandJSON) bool { return c.State == "applied" || c.State == "failed" }

// Following a command: how often its state is read, and for how long by
// default.
var (
	commandPollEvery      = 500 * time.Millisecond
	defaultCommandTimeout = 60 * time.Second
)

// waiting holds the --wait and --timeout flags of a command that sends or
// shows a device command.
type waiting struct {
	wait    bool
	timeout time.Duration
}

// waitFlags adds --wait and --timeout to a command that sends a device
// command.
func waitFlags(f *flags) *waiting {
	w := &waiting{}
	f.BoolVar(&w.wait, "wait", false, "wait until the device has applied the command (or failed to), showing its progress")
	f.DurationVar(&w.timeout, "timeout", defaultCommandTimeout, "with --wait, how long to wait (e.g. 90s, 5m)")
	return w
}

// parseWaiting parses the flags and n arguments of a command with
// waitFlags, runs check (if any), then checks --timeout.
func (e *env) parseWaiting(f *flags, w *waiting, args []string, n int, check func() error) ([]string, error) {
	pos, err := e.parse(f, args, n, n)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	if w.timeout <= 0 {
		return nil, usagef(f, "--timeout must be positive")
	}
	return pos, nil
}

func cmdDevicesReboot(ctx context.Context, e *env, args []string) error {
	return e.deviceAction(ctx, "reboot", args)
}

func cmdDevicesIdentify(ctx context.Context, e *env, args []string) error {
	return e.deviceAction(ctx, "identify", args)
}

func (e *env) deviceAction(ctx context.Context, typ string, args []string) error {
	about := map[string]string{
		"reboot":   "Restart a device (operator and up).",
		"identify": "Make a device show itself, e.g. flash its LED (operator and up).",
	}[typ]
	f := e.flags("devices "+typ, "ORG ID [--wait] [--timeout D]", about+"\n"+
		"The command waits for the device if it is offline. Prints the command id; with --wait,\n"+
		"follows it until the device has applied it (exit 0) or failed (exit 1, with its reason).", withJSON)
	w := waitFlags(f)
	pos, err := e.parseWaiting(f, w, args, 2, nil)
	if err != nil {
		return err
	}
	return e.sendCommand(ctx, pos[0], http.MethodPost, pathf("/api/v1/orgs/%s/devices/%s/actions", pos[0], pos[1]),
		api.ActionRequest{Type: typ}, w, func(cmd api.CommandJSON) string {
			return fmt.Sprintf("Sent %s to device %s: command %s.", typ, clean(pos[1]), clean(cmd.ID))
		})
}

func commandPath(orgID, id string) string { return pathf("/api/v1/orgs/%s/commands/%s", orgID, id) }

// sendCommand sends a request answered by a device command, prints it, and
// with --wait follows it to its end.
func (e *env) sendCommand(ctx context.Context, orgID, method, path string, body any, w *waiting, sent func(api.CommandJSON) string) error {
	c, err := e.client(true)
	if err != nil {
		return err
	}
	cmd, raw, err := decoded[api.CommandJSON](ctx, c, method, path, body, "command")
	if err != nil {
		return err
	}
	if !e.json {
		fmt.Fprintln(e.out, sent(cmd))
	}
	if !w.wait {
		return e.printJSONOr(raw, func() {
			fmt.Fprintf(e.errw, "Follow it with: mysystems devices command %s %s --wait\n", clean(orgID), clean(cmd.ID))
		})
	}
	return e.follow(ctx, c, orgID, cmd, raw, w.timeout)
}

// follow reads a command's state every commandPollEvery until the device has
// applied it or failed to, printing each state it reaches. A failure is an
// error with the device's reason; so is running out of time.
func (e *env) follow(ctx context.Context, c *Client, orgID string, cmd api.CommandJSON, raw json.RawMessage, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := ""
	tick := time.NewTicker(commandPollEvery)
	defer tick.Stop()
	for {
		if cmd.State != last {
			last = cmd.State
			if !e.json {
				e.printState(cmd)
			}
		}
		if finished(cmd) {
			break
		}
		if !time.Now().Before(deadline) {
			if e.json {
				_ = e.printJSON(raw)
			}
			return fmt.Errorf("gave up after %s: command %s is still %s (is the device online? follow it later with 'mysystems devices command %s %s --wait')",
				timeout, clean(cmd.ID), clean(cmd.State), clean(orgID), clean(cmd.ID))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		next, nextRaw, err := decoded[api.CommandJSON](ctx, c, http.MethodGet, commandPath(orgID, cmd.ID), nil, "command")
		if err != nil {
			return err
		}
		cmd, raw = next, nextRaw
	}
	if e.json {
		if err := e.printJSON(raw); err != nil {
			return err
		}
	}
	if cmd.State == "failed" {
		reason := cmd.Result
		if reason == "" {
			reason = "no reason given"
		}
		return fmt.Errorf("the device could not apply %s (command %s): %s", clean(cmd.Type), clean(cmd.ID), clean(reason))
	}
	return nil
}

func (e *env) printState(cmd api.CommandJSON) {
	switch cmd.State {
	case "pending":
		fmt.Fprintln(e.out, "  pending: waiting for the device to fetch it")
	case "delivered":
		fmt.Fprintln(e.out, "  delivered to the device")
	case "applied":
		if cmd.Result != "" {
			fmt.Fprintf(e.out, "  applied: %s\n", clean(cmd.Result))
		} else {
			fmt.Fprintln(e.out, "  applied")
		}
	case "failed":
		fmt.Fprintf(e.out, "  failed: %s\n", clean(cmd.Result))
	default:
		fmt.Fprintf(e.out, "  %s\n", clean(cmd.State))
	}
}

func cmdDevicesCommand(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices command", "ORG COMMAND_ID [--wait] [--timeout D]",
		"Show the state of a device command (as reboot, identify and the accounts commands\n"+
			"print): pending, delivered, applied, or failed with the device's reason. With --wait,\n"+
			"follow it until it is done; a failed command exits 1.", withJSON)
	w := waitFlags(f)
	pos, err := e.parseWaiting(f, w, args, 2, nil)
	if err != nil {
		return err
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	cmd, raw, err := decoded[api.CommandJSON](ctx, c, http.MethodGet, commandPath(pos[0], pos[1]), nil, "command")
	if err != nil {
		return err
	}
	if w.wait {
		if !e.json {
			fmt.Fprintf(e.out, "Command %s (%s on device %s):\n", clean(cmd.ID), clean(cmd.Type), clean(cmd.DeviceID))
		}
		return e.follow(ctx, c, pos[0], cmd, raw, w.timeout)
	}
	if e.json {
		return e.printJSON(raw)
	}
	fields := []string{"id", clean(cmd.ID), "type", clean(cmd.Type), "device", clean(cmd.DeviceID), "state", clean(cmd.State)}
	if cmd.Result != "" {
		fields = append(fields, "result", clean(cmd.Result))
	}
	return printFields(e.out, append(fields, "created", stamp(cmd.CreatedAt), "delivered", maybe(cmd.DeliveredAt, "not yet"),
		"done", maybe(cmd.DoneAt, "not yet"))...)
}
