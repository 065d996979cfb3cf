package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

type device struct {
	ID         string     `json:"id"`
	Serial     string     `json:"serial"`
	Name       string     `json:"name"`
	Model      string     `json:"model"`
	Firmware   string     `json:"firmware"`
	FolderID   string     `json:"folder_id"`
	FolderPath string     `json:"folder_path"`
	Online     bool       `json:"online"`
	LastSeenAt *time.Time `json:"last_seen_at"`
	ClaimedAt  time.Time  `json:"claimed_at"`
}

func (d device) status() string {
	if d.Online {
		return "online"
	}
	return "offline"
}

// command is a device command's state: pending, delivered, then applied or
// failed with the device's reason.
type command struct {
	ID          string     `json:"id"`
	DeviceID    string     `json:"device_id"`
	Type        string     `json:"type"`
	State       string     `json:"state"`
	Result      string     `json:"result"`
	CreatedAt   time.Time  `json:"created_at"`
	DeliveredAt *time.Time `json:"delivered_at"`
	DoneAt      *time.Time `json:"done_at"`
}

func (c command) done() bool { return c.State == "applied" || c.State == "failed" }

type deviceAccount struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Service  bool   `json:"service"`
}

// Following a command: how often its state is read, and for how long by
// default.
var (
	commandPollEvery      = 500 * time.Millisecond
	defaultCommandTimeout = 60 * time.Second
)

// maxImport is the largest CSV the server takes in one import.
const maxImport = 4 << 20

func cmdDevicesList(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices list", "ORG [--folder ID] [--model M] [--firmware V] [--status online|offline] [--q TEXT] [--sort KEY] [--limit N] [--cursor C] [--all] [--csv]",
		"List the devices of an organization you can see (owners and admins see all; other\n"+
			"members the devices in their folders). Without --all one page is shown (--limit\n"+
			"devices); --csv exports every matching device. --folder includes the folders below.", withJSON)
	folder := f.String("folder", "", "only devices in this folder (id) and the folders below it")
	model := f.String("model", "", "only this model")
	firmware := f.String("firmware", "", "only this firmware version")
	status := f.String("status", "", "only online or offline devices")
	search := f.String("q", "", "search in names and serial numbers")
	sortKey := f.String("sort", "", "name, serial, model, firmware, last_seen or claimed; prefix - to reverse (-last_seen)")
	limit := f.Int("limit", 0, "devices per page (default: the server's)")
	cursor := f.String("cursor", "", "go on from a previous page's next cursor")
	all := f.Bool("all", false, "follow every page")
	csv := f.Bool("csv", false, "write every matching device as CSV")
	pos, err := e.parse(f, args, 1, 1)
	if err != nil {
		return err
	}
	switch {
	case *status != "" && *status != "online" && *status != "offline":
		return usagef(f, "--status must be online or offline")
	case *csv && e.json:
		return usagef(f, "--csv and --json do not go together")
	case *csv && (*limit != 0 || *cursor != "" || *all):
		return usagef(f, "--csv exports every matching device: --limit, --cursor and --all do not apply")
	case *limit < 0:
		return usagef(f, "--limit must be a positive number")
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	q := url.Values{}
	for name, v := range map[string]string{"folder": *folder, "model": *model, "firmware": *firmware,
		"status": *status, "q": *search, "sort": *sortKey} {
		if v != "" {
			q.Set(name, v)
		}
	}
	filtered := len(q) > 0 && !(len(q) == 1 && q.Has("sort"))
	path := pathf("/api/v1/orgs/%s/devices", pos[0])
	if *csv {
		q.Set("format", "csv")
		return c.stream(ctx, path+"?"+q.Encode(), "text/csv", e.out)
	}
	switch {
	case *limit > 0:
		q.Set("limit", strconv.Itoa(*limit))
	case *all:
		q.Set("limit", "1000")
	}
	if *cursor != "" {
		q.Set("cursor", *cursor)
	}
	p, err := c.list(ctx, path, q, *all)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(p)
	}
	ds, err := decodeItems[device](p.Items)
	if err != nil {
		return err
	}
	if len(ds) == 0 && p.NextCursor == "" {
		if filtered || *cursor != "" {
			fmt.Fprintln(e.errw, "No device matches.")
		} else {
			fmt.Fprintf(e.errw, "No devices you can see here: claim one with 'mysystems devices claim %s SERIAL --oak OAK'.\n", clean(pos[0]))
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSERIAL\tMODEL\tFIRMWARE\tFOLDER\tSTATUS\tLAST SEEN")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(d.ID), clean(d.Name), clean(d.Serial), clean(d.Model),
			clean(d.Firmware), clean(d.FolderPath), d.status(), maybe(d.LastSeenAt, "never"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if p.NextCursor != "" {
		fmt.Fprintf(e.errw, "More devices: add --all, or --cursor %s for the next page.\n", p.NextCursor)
	}
	return nil
}

func cmdDevicesClaim(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices claim", "ORG SERIAL --oak OAK [--folder ID] [--name N]",
		"Claim a device into the organization (owner or admin) with its serial number and\n"+
			"owner authentication key (OAK), both printed on the device or its box. It goes into\n"+
			"the root folder unless --folder names another. Failed claims are rate limited.", withJSON)
	oak := f.String("oak", "", "the device's owner authentication key (required)")
	folder := f.String("folder", "", "the id of the folder to put it in (default: the root folder)")
	name := f.String("name", "", "a name for the device (default: its model and the end of its serial)")
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	if *oak == "" {
		return usagef(f, "--oak OAK is required")
	}
	body := map[string]string{"serial": pos[1], "oak": *oak}
	if *folder != "" {
		body["folder_id"] = *folder
	}
	if *name != "" {
		body["name"] = *name
	}
	return e.deviceCall(ctx, http.MethodPost, pathf("/api/v1/orgs/%s/devices", pos[0]), body, func(d device) string {
		return fmt.Sprintf("Claimed device %q (%s): %s %s in %s.", clean(d.Name), clean(d.ID), clean(d.Model), clean(d.Serial), clean(d.FolderPath))
	})
}

// deviceCall sends a request answered by a device (see callOne).
func (e *env) deviceCall(ctx context.Context, method, path string, body any, done func(device) string) error {
	return callOne(ctx, e, method, path, body, "device", done)
}

// importLine is one line of the server's report on a refused import.
type importLine struct {
	Line   int    `json:"line"`
	Serial string `json:"serial"`
	Error  string `json:"error"`
}

// importError is a refused import with the server's report on each line.
type importError struct {
	code  string
	total int
	bad   []importLine
}

func (e *importError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no device was claimed (%s): %d of %d lines have errors:", e.code, len(e.bad), e.total)
	for _, l := range e.bad {
		if l.Serial != "" {
			fmt.Fprintf(&b, "\n  line %d (%s): %s", l.Line, clean(l.Serial), clean(l.Error))
		} else {
			fmt.Fprintf(&b, "\n  line %d: %s", l.Line, clean(l.Error))
		}
	}
	return b.String()
}

// withImportReport turns an API error carrying a per-line report into an
// importError; other errors of the import also say that nothing was claimed.
func withImportReport(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status >= 500 || ae.Status == http.StatusTooManyRequests ||
		ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden || ae.Status == http.StatusNotFound {
		return err
	}
	var d struct {
		Lines []importLine `json:"lines"`
	}
	if len(ae.Details) > 0 && json.Unmarshal(ae.Details, &d) == nil && len(d.Lines) > 0 {
		ie := &importError{code: ae.Code, total: len(d.Lines)}
		for _, l := range d.Lines {
			if l.Error != "" {
				ie.bad = append(ie.bad, l)
			}
		}
		if len(ie.bad) > 0 {
			return ie
		}
	}
	if strings.Contains(ae.Message, "no device was claimed") {
		return err
	}
	return fmt.Errorf("no device was claimed: %w", err)
}

func cmdDevicesImport(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices import", "ORG FILE.csv",
		"Claim many devices at once (owner or admin) from a CSV file (- for stdin) with one\n"+
			"device a line: serial,oak,folder path. The header line is optional; the folder\n"+
			"path is folder names below the root joined by / (\"Site A/Lobby\"; empty: the root).\n"+
			"All or nothing: if any line is wrong, no device is claimed and each wrong line is\n"+
			"listed. At most 10000 devices (4 MiB) at once.", withJSON)
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	var r io.Reader = e.in
	name := "stdin"
	if pos[1] != "-" {
		file, err := os.Open(pos[1])
		if err != nil {
			return err
		}
		defer file.Close()
		r, name = file, pos[1]
	}
	data, err := io.ReadAll(io.LimitReader(r, maxImport+1))
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > maxImport {
		return fmt.Errorf("%s is larger than 4 MiB: split it (at most 10000 devices at once)", name)
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	body := rawBody{contentType: "text/csv; charset=utf-8", data: data}
	if err := c.do(ctx, http.MethodPost, pathf("/api/v1/orgs/%s/devices/import", pos[0]), body, &raw); err != nil {
		return withImportReport(err)
	}
	if e.json {
		return e.printJSON(raw)
	}
	var p struct {
		Items []device `json:"items"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("reading the claimed devices: %w", err)
	}
	if len(p.Items) == 1 {
		fmt.Fprintf(e.out, "Claimed 1 device from %s.\n", clean(name))
	} else {
		fmt.Fprintf(e.out, "Claimed %d devices from %s.\n", len(p.Items), clean(name))
	}
	fmt.Fprintf(e.errw, "See them with: mysystems devices list %s\n", clean(pos[0]))
	return nil
}

func cmdDevicesShow(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices show", "ORG ID", "Show a device.", withJSON)
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, pathf("/api/v1/orgs/%s/devices/%s", pos[0], pos[1]), nil, &raw); err != nil {
		return err
	}
	if e.json {
		return e.printJSON(raw)
	}
	var d device
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("reading the device: %w", err)
	}
	tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%s\nname\t%s\nserial\t%s\nmodel\t%s\nfirmware\t%s\nfolder\t%s (%s)\nstatus\t%s\nlast seen\t%s\nclaimed\t%s\n",
		clean(d.ID), clean(d.Name), clean(d.Serial), clean(d.Model), clean(d.Firmware), clean(d.FolderPath), clean(d.FolderID),
		d.status(), maybe(d.LastSeenAt, "never"), stamp(d.ClaimedAt))
	return tw.Flush()
}

func cmdDevicesRename(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices rename", "ORG ID NAME", "Rename a device (owner or admin).", withJSON)
	pos, err := e.parse(f, args, 3, 3)
	if err != nil {
		return err
	}
	return e.deviceCall(ctx, http.MethodPatch, pathf("/api/v1/orgs/%s/devices/%s", pos[0], pos[1]), map[string]string{"name": pos[2]},
		func(d device) string { return fmt.Sprintf("Renamed device %s to %q.", clean(d.ID), clean(d.Name)) })
}

func cmdDevicesMove(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices move", "ORG --to FOLDER_ID ID...",
		"Move devices into a folder (owner or admin). Several move all or nothing: if one\n"+
			"cannot be moved, none is.", withJSON)
	to := f.String("to", "", "the id of the folder to move them into (required)")
	pos, err := e.parse(f, args, 2, manyArgs)
	if err != nil {
		return err
	}
	if *to == "" {
		return usagef(f, "--to FOLDER_ID is required")
	}
	orgID, ids := pos[0], pos[1:]
	if len(ids) == 1 {
		return e.deviceCall(ctx, http.MethodPatch, pathf("/api/v1/orgs/%s/devices/%s", orgID, ids[0]), map[string]string{"folder_id": *to},
			func(d device) string {
				return fmt.Sprintf("Moved device %q (%s) to %s.", clean(d.Name), clean(d.ID), clean(d.FolderPath))
			})
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	if err := c.do(ctx, http.MethodPost, pathf("/api/v1/orgs/%s/devices/move", orgID), map[string]any{"device_ids": ids, "folder_id": *to}, nil); err != nil {
		return err
	}
	if e.json {
		return e.printJSON(map[string]any{"device_ids": ids, "folder_id": *to})
	}
	where := clean(*to)
	if _, fs, err := c.folders(ctx, orgID); err == nil {
		for _, fo := range fs {
			if fo.ID == *to && fo.Path != "" {
				where = clean(fo.Path)
			}
		}
	}
	fmt.Fprintf(e.out, "Moved %d devices to %s.\n", len(ids), where)
	return nil
}

func cmdDevicesRemove(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices remove", "ORG ID [--yes]",
		"Remove a device from the organization (owner or admin). It leaves at once, its\n"+
			"pending commands fail, and to come back it must be claimed again with its serial\n"+
			"and OAK (as a new device; its history stays in the audit log). On a terminal you\n"+
			"are asked to confirm; otherwise pass --yes.", 0)
	yes := f.Bool("yes", false, "do not ask for confirmation")
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	orgID, id := pos[0], pos[1]
	what := "remove device " + id
	if !*yes && !e.interactive {
		fmt.Fprintf(e.errw, "Removing device %s takes it out of %s: to come back it must be claimed again with its OAK.\n", clean(id), clean(orgID))
		return e.confirm(f, false, what, "")
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	if !*yes {
		var d device
		if err := c.do(ctx, http.MethodGet, pathf("/api/v1/orgs/%s/devices/%s", orgID, id), nil, &d); err != nil {
			return err
		}
		fmt.Fprintf(e.errw, "Device %q (%s %s, in %s) leaves %s at once and its pending commands fail.\n"+
			"To come back it must be claimed again with its serial and owner authentication key (OAK).\n",
			clean(d.Name), clean(d.Model), clean(d.Serial), clean(d.FolderPath), clean(orgID))
		if err := e.confirm(f, false, what, "Remove this device?"); err != nil {
			return err
		}
	}
	if err := c.do(ctx, http.MethodDelete, pathf("/api/v1/orgs/%s/devices/%s", orgID, id)+"?confirm=true", nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "Removed device %s; claim it again with its serial and OAK to bring it back.\n", clean(id))
	return nil
}

// waitFlags adds --wait and --timeout to a command that sends a device
// command.
func waitFlags(f *flags) (wait *bool, timeout *time.Duration) {
	wait = f.Bool("wait", false, "wait until the device has applied the command (or failed to), showing its progress")
	timeout = f.Duration("timeout", defaultCommandTimeout, "with --wait, how long to wait (e.g. 90s, 5m)")
	return wait, timeout
}

func checkTimeout(f *flags, timeout time.Duration) error {
	if timeout <= 0 {
		return usagef(f, "--timeout must be positive")
	}
	return nil
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
	wait, timeout := waitFlags(f)
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	if err := checkTimeout(f, *timeout); err != nil {
		return err
	}
	return e.sendCommand(ctx, pos[0], http.MethodPost, pathf("/api/v1/orgs/%s/devices/%s/actions", pos[0], pos[1]),
		map[string]string{"type": typ}, *wait, *timeout, func(cmd command) string {
			return fmt.Sprintf("Sent %s to device %s: command %s.", typ, clean(pos[1]), clean(cmd.ID))
		})
}

// sendCommand sends a request answered by a device command, prints it, and
// with wait follows it to its end.
func (e *env) sendCommand(ctx context.Context, orgID, method, path string, body any, wait bool, timeout time.Duration, sent func(command) string) error {
	c, err := e.client(true)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.do(ctx, method, path, body, &raw); err != nil {
		return err
	}
	var cmd command
	if err := json.Unmarshal(raw, &cmd); err != nil {
		return fmt.Errorf("reading the command: %w", err)
	}
	if !e.json {
		fmt.Fprintln(e.out, sent(cmd))
	}
	if !wait {
		if e.json {
			return e.printJSON(raw)
		}
		fmt.Fprintf(e.errw, "Follow it with: mysystems devices command %s %s --wait\n", clean(orgID), clean(cmd.ID))
		return nil
	}
	return e.follow(ctx, c, orgID, cmd, raw, timeout)
}

// follow reads a command's state every commandPollEvery until the device has
// applied it or failed to, printing each state it reaches. A failure is an
// error with the device's reason; so is running out of time.
func (e *env) follow(ctx context.Context, c *Client, orgID string, cmd command, raw json.RawMessage, timeout time.Duration) error {
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
		if cmd.done() {
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
		var next json.RawMessage
		if err := c.do(ctx, http.MethodGet, pathf("/api/v1/orgs/%s/commands/%s", orgID, cmd.ID), nil, &next); err != nil {
			return err
		}
		if err := json.Unmarshal(next, &cmd); err != nil {
			return fmt.Errorf("reading the command: %w", err)
		}
		raw = next
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

func (e *env) printState(cmd command) {
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
	wait, timeout := waitFlags(f)
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	if err := checkTimeout(f, *timeout); err != nil {
		return err
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, pathf("/api/v1/orgs/%s/commands/%s", pos[0], pos[1]), nil, &raw); err != nil {
		return err
	}
	var cmd command
	if err := json.Unmarshal(raw, &cmd); err != nil {
		return fmt.Errorf("reading the command: %w", err)
	}
	if *wait {
		if !e.json {
			fmt.Fprintf(e.out, "Command %s (%s on device %s):\n", clean(cmd.ID), clean(cmd.Type), clean(cmd.DeviceID))
		}
		return e.follow(ctx, c, pos[0], cmd, raw, *timeout)
	}
	if e.json {
		return e.printJSON(raw)
	}
	tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%s\ntype\t%s\ndevice\t%s\nstate\t%s\n", clean(cmd.ID), clean(cmd.Type), clean(cmd.DeviceID), clean(cmd.State))
	if cmd.Result != "" {
		fmt.Fprintf(tw, "result\t%s\n", clean(cmd.Result))
	}
	fmt.Fprintf(tw, "created\t%s\ndelivered\t%s\ndone\t%s\n", stamp(cmd.CreatedAt), maybe(cmd.DeliveredAt, "not yet"), maybe(cmd.DoneAt, "not yet"))
	return tw.Flush()
}

// accountsSubcommands are the subcommands of devices accounts.
const accountsSubcommands = "list | create | passwd | delete"

// cmdDevicesAccounts is reached only without a known subcommand.
func cmdDevicesAccounts(_ context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "devices accounts: say which: " + accountsSubcommands}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(e.out, "usage: mysystems devices accounts %s\nRun 'mysystems devices accounts COMMAND -h' for details.\n", accountsSubcommands)
		return nil
	}
	return &usageError{msg: fmt.Sprintf("devices accounts: unknown command %q (%s)", args[0], accountsSubcommands)}
}

func cmdDevicesAccountsList(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices accounts list", "ORG ID",
		"List a device's local accounts as the device last reported them (owner or admin).\n"+
			"Service accounts belong to the platform's applications and cannot be changed.", withJSON)
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, pathf("/api/v1/orgs/%s/devices/%s/accounts", pos[0], pos[1]), nil, &raw); err != nil {
		return err
	}
	if e.json {
		return e.printJSON(raw)
	}
	var p struct {
		Items []deviceAccount `json:"items"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("reading the accounts: %w", err)
	}
	if len(p.Items) == 0 {
		fmt.Fprintln(e.errw, "The device has reported no accounts yet (it reports them when it connects).")
		return nil
	}
	tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tROLE\tSERVICE")
	for _, a := range p.Items {
		svc := ""
		if a.Service {
			svc = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", clean(a.Username), clean(a.Role), svc)
	}
	return tw.Flush()
}

// devicePassword reads a device account's password: from stdin with
// --password-stdin, else prompted twice without echo on a terminal. It is
// never taken from MYSYSTEMS_PASSWORD, which is the portal password.
func (e *env) devicePassword(f *flags, fromStdin bool, username string) (string, error) {
	return e.secret(f, fromStdin, true, "", fmt.Sprintf("Password for %s on the device: ", clean(username)))
}

func cmdDevicesAccountsCreate(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices accounts create", "ORG ID USERNAME --role R [--password-stdin] [--wait] [--timeout D]",
		"Create a local account on a device (owner or admin); ROLE is administrator, operator\n"+
			"or viewer. The password (1 to 64 printable ASCII characters) is prompted twice on a\n"+
			"terminal or read from the first line of stdin (--password-stdin); it travels sealed\n"+
			"to the device and is never stored by the portal. Prints the command id; with --wait,\n"+
			"follows it until the device has applied it.", withJSON)
	role := f.String("role", "", "administrator, operator or viewer (required)")
	fromStdin := f.Bool("password-stdin", false, "read the password from the first line of stdin")
	wait, timeout := waitFlags(f)
	pos, err := e.parse(f, args, 3, 3)
	if err != nil {
		return err
	}
	if *role == "" {
		return usagef(f, "--role is required: administrator, operator or viewer")
	}
	if err := checkTimeout(f, *timeout); err != nil {
		return err
	}
	orgID, id, username := pos[0], pos[1], pos[2]
	pw, err := e.devicePassword(f, *fromStdin, username)
	if err != nil {
		return err
	}
	body := map[string]string{"username": username, "role": *role, "password": pw}
	return e.sendCommand(ctx, orgID, http.MethodPost, pathf("/api/v1/orgs/%s/devices/%s/accounts", orgID, id), body, *wait, *timeout,
		func(cmd command) string {
			return fmt.Sprintf("Sent the creation of account %s (%s) to device %s: command %s.", clean(username), clean(*role), clean(id), clean(cmd.ID))
		})
}

func cmdDevicesAccountsPasswd(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices accounts passwd", "ORG ID USERNAME [--password-stdin] [--wait] [--timeout D]",
		"Change the password of a device's local account (owner or admin); service accounts\n"+
			"cannot be changed. The new password is prompted twice on a terminal or read from the\n"+
			"first line of stdin (--password-stdin), and travels sealed to the device.", withJSON)
	fromStdin := f.Bool("password-stdin", false, "read the password from the first line of stdin")
	wait, timeout := waitFlags(f)
	pos, err := e.parse(f, args, 3, 3)
	if err != nil {
		return err
	}
	if err := checkTimeout(f, *timeout); err != nil {
		return err
	}
	orgID, id, username := pos[0], pos[1], pos[2]
	pw, err := e.devicePassword(f, *fromStdin, username)
	if err != nil {
		return err
	}
	return e.sendCommand(ctx, orgID, http.MethodPatch, pathf("/api/v1/orgs/%s/devices/%s/accounts/%s", orgID, id, username),
		map[string]string{"password": pw}, *wait, *timeout, func(cmd command) string {
			return fmt.Sprintf("Sent the new password of %s to device %s: command %s.", clean(username), clean(id), clean(cmd.ID))
		})
}

func cmdDevicesAccountsDelete(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices accounts delete", "ORG ID USERNAME [--yes] [--wait] [--timeout D]",
		"Delete a device's local account (owner or admin): whoever uses it can no longer sign\n"+
			"in to the device. root and service accounts cannot be deleted. On a terminal you are\n"+
			"asked to confirm; otherwise pass --yes.", withJSON)
	yes := f.Bool("yes", false, "do not ask for confirmation")
	wait, timeout := waitFlags(f)
	pos, err := e.parse(f, args, 3, 3)
	if err != nil {
		return err
	}
	if err := checkTimeout(f, *timeout); err != nil {
		return err
	}
	orgID, id, username := pos[0], pos[1], pos[2]
	q := fmt.Sprintf("Delete account %s on device %s? Whoever uses it can no longer sign in to the device.", clean(username), clean(id))
	if err := e.confirm(f, *yes, "delete account "+username+" of device "+id, q); err != nil {
		return err
	}
	return e.sendCommand(ctx, orgID, http.MethodDelete, pathf("/api/v1/orgs/%s/devices/%s/accounts/%s", orgID, id, username), nil, *wait, *timeout,
		func(cmd command) string {
			return fmt.Sprintf("Sent the deletion of account %s to device %s: command %s.", clean(username), clean(id), clean(cmd.ID))
		})
}
