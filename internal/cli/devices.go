package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
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

// deviceCall sends a request answered by a device (see callOne).
func (e *env) deviceCall(ctx context.Context, method, path string, body any, done func(device) string) error {
	return callOne(ctx, e, method, path, body, "device", done)
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
