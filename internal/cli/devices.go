package cli

import (
	"context"
	"fmt"
	"net/http"

	"mysystems/internal/api"
)

// status says whether a device is online.
func status(d api.DeviceJSON) string {
	if d.Online {
		return "online"
	}
	return "offline"
}

// upgradeTo is the version an upgrade is recommended to (FW-2), or "-".
func upgradeTo(d api.DeviceJSON) string {
	if d.RecommendedVersion == "" {
		return "-"
	}
	return clean(d.RecommendedVersion)
}

var cmdDevicesList = listCommand[api.DeviceJSON]{
	name:     "devices list",
	synopsis: "ORG [--folder ID] [--model M] [--firmware V] [--status online|offline] [--upgrade yes|no] [--q TEXT] [--sort KEY] [--limit N] [--cursor C] [--all] [--csv]",
	about: "List the devices of an organization you can see (owners and admins see all; other\n" +
		"members the devices in their folders). Without --all one page is shown (--limit\n" +
		"devices); --csv exports every matching device. --folder includes the folders below.",
	args: 1,
	path: func(pos []string) string { return pathf("/api/v1/orgs/%s/devices", pos[0]) },
	filters: []listFilter{
		{name: "folder", help: "only devices in this folder (id) and the folders below it"},
		{name: "model", help: "only this model"},
		{name: "firmware", help: "only this firmware version"},
		{name: "status", help: "only online or offline devices"},
		{name: "upgrade", help: "yes: only devices with a recommended AXIS OS upgrade; no: only those without one"},
		{name: "q", help: "search in names and serial numbers"},
		{name: "sort", help: "name, serial, model, firmware, last_seen or claimed; prefix - to reverse (-last_seen)", orders: true},
	},
	check: func(f *flags, v map[string]string) error {
		if s := v["status"]; s != "" && s != "online" && s != "offline" {
			return usagef(f, "--status must be online or offline")
		}
		if u := v["upgrade"]; u != "" && u != "yes" && u != "no" {
			return usagef(f, "--upgrade must be yes or no")
		}
		return nil
	},
	paged:    true,
	noun:     "devices",
	allLimit: "1000",
	csv:      "every matching device",
	empty: func(pos []string, narrowed bool) string {
		if narrowed {
			return "No device matches."
		}
		return fmt.Sprintf("No devices you can see here: claim one with 'mysystems devices claim %s SERIAL --oak OAK'.", clean(pos[0]))
	},
	head: []string{"ID", "NAME", "SERIAL", "MODEL", "FIRMWARE", "FOLDER", "STATUS", "LAST SEEN", "UPGRADE TO"},
	row: func(d api.DeviceJSON, _ map[string]string) []string {
		return []string{clean(d.ID), clean(d.Name), clean(d.Serial), clean(d.Model),
			clean(d.Firmware), clean(d.FolderPath), status(d), maybe(d.LastSeenAt, "never"),
			upgradeTo(d)}
	},
}.run

func cmdDevicesShow(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices show", "ORG ID", "Show a device.", withJSON)
	pos, c, err := e.start(f, args, 2, 2)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodGet, pathf("/api/v1/orgs/%s/devices/%s", pos[0], pos[1]), nil, "device", func(d api.DeviceJSON) error {
		return printFields(e.out, "id", clean(d.ID), "name", clean(d.Name), "serial", clean(d.Serial), "model", clean(d.Model),
			"firmware", clean(d.Firmware), "folder", clean(d.FolderPath)+" ("+clean(d.FolderID)+")", "status", status(d),
			"last seen", maybe(d.LastSeenAt, "never"), "claimed", stamp(d.ClaimedAt))
	})
}

func cmdDevicesRename(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices rename", "ORG ID NAME", "Rename a device (owner or admin).", withJSON)
	pos, err := e.parse(f, args, 3, 3)
	if err != nil {
		return err
	}
	return callOne(ctx, e, "device", http.MethodPatch, pathf("/api/v1/orgs/%s/devices/%s", pos[0], pos[1]), api.DevicePatch{Name: &pos[2]},
		func(d api.DeviceJSON) string {
			return fmt.Sprintf("Renamed device %s to %q.", clean(d.ID), clean(d.Name))
		})
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
		return callOne(ctx, e, "device", http.MethodPatch, pathf("/api/v1/orgs/%s/devices/%s", orgID, ids[0]), api.DevicePatch{FolderID: to},
			func(d api.DeviceJSON) string {
				return fmt.Sprintf("Moved device %q (%s) to %s.", clean(d.Name), clean(d.ID), clean(d.FolderPath))
			})
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	move := api.MoveRequest{DeviceIDs: ids, FolderID: *to}
	if err := c.do(ctx, http.MethodPost, pathf("/api/v1/orgs/%s/devices/move", orgID), move, nil); err != nil {
		return err
	}
	if e.json {
		return e.printJSON(move)
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
	if !*yes && !e.interactive {
		fmt.Fprintf(e.errw, "Removing device %s takes it out of %s: to come back it must be claimed again with its OAK.\n", clean(id), clean(orgID))
	}
	return deleteOne(ctx, e, f, *yes, "remove device "+id, pathf("/api/v1/orgs/%s/devices/%s", orgID, id), func(d api.DeviceJSON) string {
		fmt.Fprintf(e.errw, "Device %q (%s %s, in %s) leaves %s at once and its pending commands fail.\n"+
			"To come back it must be claimed again with its serial and owner authentication key (OAK).\n",
			clean(d.Name), clean(d.Model), clean(d.Serial), clean(d.FolderPath), clean(orgID))
		return "Remove this device?"
	}, fmt.Sprintf("Removed device %s; claim it again with its serial and OAK to bring it back.", clean(id)))
}
