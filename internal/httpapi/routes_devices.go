package httpapi

import (
	"encoding/csv"
	"net/http"

	"mysystems/internal/api"
	"mysystems/internal/device"
	"mysystems/internal/edge"
	"mysystems/internal/fleet"
	"mysystems/internal/org"
)

func (a *API) deviceJSON(d fleet.Device, t org.Tree) api.DeviceJSON {
	return api.DeviceJSON{ID: d.ID, Serial: d.Serial, Name: d.Name, Model: d.Model, Firmware: d.Firmware, FolderID: d.FolderID,
		FolderPath: t.Path(d.FolderID), Online: d.Online(a.d.Clock.Now(), a.d.Fleet.Heartbeat()), LastSeenAt: d.LastSeenAt, ClaimedAt: d.ClaimedAt,
		RecommendedVersion: d.UpgradeTo}
}

func commandJSON(c fleet.Command) api.CommandJSON {
	return api.CommandJSON{ID: c.ID, DeviceID: c.DeviceID, Type: c.Type, State: c.State, Result: c.Result,
		CreatedAt: c.CreatedAt, DeliveredAt: c.DeliveredAt, DoneAt: c.DoneAt}
}

func deviceAccountJSON(ac device.Account) api.DeviceAccountJSON {
	return api.DeviceAccountJSON{Username: ac.Username, Role: ac.Role, Service: ac.Service}
}

func mintedJSON(m fleet.Minted) api.MintedJSON {
	return api.MintedJSON{Serial: m.Serial, Model: m.Model, Secret: m.Secret, OAK: m.OAK}
}

var deviceParams = append([]Param{
	{"folder", "folder id: that folder and everything below it"},
	{"model", "model name"},
	{"firmware", "firmware version"},
	{"status", "online or offline"},
	{"upgrade", "yes (devices with a recommended AXIS OS upgrade) or no (devices without one)"},
	{"q", "search in name and serial"},
	{"sort", "name, serial, model, firmware, last_seen, claimed; prefix - to reverse"},
	{"format", "json (default) or csv (every matching device)"},
}, pageParams...)

func deviceFilter(r *http.Request) fleet.Filter { return fleet.ParseFilter(r.URL.Query()) }

func (a *API) deviceRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/orgs/{org}/devices", Tag: "devices", Summary: "Devices I can see, filtered, sorted, paginated; CSV export (DEV-4)",
			Auth: AuthUser, Response: api.List[api.DeviceJSON]{}, Query: deviceParams, CSV: true, handle: a.listDevices},
		{Method: "POST", Path: "/api/v1/orgs/{org}/devices", Tag: "devices", Summary: "Claim a device with its serial and OAK (DEV-3)",
			Auth: AuthUser, Request: api.ClaimRequest{}, Response: api.DeviceJSON{}, Status: http.StatusCreated,
			handle: withBody(func(c *Call, in api.ClaimRequest) (any, error) {
				d, err := a.d.Fleet.Claim(c.R.Context(), c.Actor, c.Org.ID, fleet.ClaimInput{Serial: in.Serial, OAK: in.OAK, FolderID: in.FolderID, Name: in.Name})
				if err != nil {
					return nil, err
				}
				return a.oneDevice(c, d.ID)
			})},
		{Method: "POST", Path: "/api/v1/orgs/{org}/devices/import", Tag: "devices", Summary: "Claim devices from CSV (serial,oak,folder path), all or nothing with a per-line report (DEV-3)",
			Auth: AuthUser, RawBody: "text/csv", Response: api.List[api.DeviceJSON]{}, Status: http.StatusCreated,
			handle: func(c *Call) (any, error) {
				body := http.MaxBytesReader(c.W, c.R.Body, 4<<20)
				ds, err := a.d.Fleet.Import(c.R.Context(), c.Actor, c.Org.ID, body)
				if err != nil {
					return nil, err
				}
				out := api.List[api.DeviceJSON]{Items: []api.DeviceJSON{}}
				for _, d := range ds {
					j, err := a.oneDevice(c, d.ID)
					if err != nil {
						return nil, err
					}
					out.Items = append(out.Items, j)
				}
				return out, nil
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/devices/move", Tag: "devices", Summary: "Move devices into a folder, all or nothing (DEV-4)",
			Auth: AuthUser, Request: api.MoveRequest{}, handle: withBody(func(c *Call, in api.MoveRequest) (any, error) {
				return nil, a.d.Fleet.Move(c.R.Context(), c.Actor, c.Org.ID, in.DeviceIDs, in.FolderID)
			})},
		{Method: "GET", Path: "/api/v1/orgs/{org}/devices/{id}", Tag: "devices", Summary: "Read a device",
			Auth: AuthUser, Response: api.DeviceJSON{}, handle: func(c *Call) (any, error) {
				return a.oneDevice(c, c.R.PathValue("id"))
			}},
		{Method: "PATCH", Path: "/api/v1/orgs/{org}/devices/{id}", Tag: "devices", Summary: "Rename or move a device",
			Auth: AuthUser, Request: api.DevicePatch{}, Response: api.DeviceJSON{}, handle: withBody(func(c *Call, in api.DevicePatch) (any, error) {
				d, err := a.d.Fleet.Update(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"), fleet.DevicePatch{Name: in.Name, FolderID: in.FolderID})
				if err != nil {
					return nil, err
				}
				return a.oneDevice(c, d.ID)
			})},
		{Method: "DELETE", Path: "/api/v1/orgs/{org}/devices/{id}", Tag: "devices", Summary: "Remove a device from the organization; needs ?confirm=true (DEV-5)",
			Auth: AuthUser, Query: []Param{{"confirm", "must be true"}}, handle: func(c *Call) (any, error) {
				return nil, a.d.Fleet.Remove(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"), c.R.URL.Query().Get("confirm") == "true")
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/devices/{id}/actions", Tag: "devices", Summary: "Reboot or identify a device",
			Auth: AuthUser, Request: api.ActionRequest{}, Response: api.CommandJSON{}, Status: http.StatusAccepted,
			handle: withBody(func(c *Call, in api.ActionRequest) (any, error) {
				cmd, err := a.d.Fleet.Action(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"), in.Type)
				if err != nil {
					return nil, err
				}
				return commandJSON(cmd), nil
			})},
		{Method: "GET", Path: "/api/v1/orgs/{org}/devices/{id}/accounts", Tag: "devices", Summary: "Device local accounts as last reported (DEV-6)",
			Auth: AuthUser, Response: api.List[api.DeviceAccountJSON]{}, handle: func(c *Call) (any, error) {
				accts, err := a.d.Fleet.Accounts(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
				if err != nil {
					return nil, err
				}
				return listOf(accts, "", deviceAccountJSON), nil
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/devices/{id}/accounts", Tag: "devices", Summary: "Create a device account; answered with the command to follow (DEV-6)",
			Auth: AuthUser, Request: api.AccountCreate{}, Response: api.CommandJSON{}, Status: http.StatusAccepted,
			handle: withBody(func(c *Call, in api.AccountCreate) (any, error) {
				return a.accountCommand(c, fleet.AccountChange{Op: device.CmdAccountCreate, Username: in.Username, Role: in.Role, Password: in.Password})
			})},
		{Method: "PATCH", Path: "/api/v1/orgs/{org}/devices/{id}/accounts/{username}", Tag: "devices", Summary: "Change a device account's password (DEV-6)",
			Auth: AuthUser, Request: api.AccountPassword{}, Response: api.CommandJSON{}, Status: http.StatusAccepted,
			handle: withBody(func(c *Call, in api.AccountPassword) (any, error) {
				return a.accountCommand(c, fleet.AccountChange{Op: device.CmdAccountPassword, Username: c.R.PathValue("username"), Password: in.Password})
			})},
		{Method: "DELETE", Path: "/api/v1/orgs/{org}/devices/{id}/accounts/{username}", Tag: "devices", Summary: "Delete a device account (DEV-6)",
			Auth: AuthUser, Response: api.CommandJSON{}, Status: http.StatusAccepted, handle: func(c *Call) (any, error) {
				return a.accountCommand(c, fleet.AccountChange{Op: device.CmdAccountDelete, Username: c.R.PathValue("username")})
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/commands/{id}", Tag: "devices", Summary: "State and result of a device command",
			Auth: AuthUser, Response: api.CommandJSON{}, handle: func(c *Call) (any, error) {
				cmd, err := a.d.Fleet.Command(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
				if err != nil {
					return nil, err
				}
				return commandJSON(cmd), nil
			}},
		{Method: "POST", Path: "/api/v1/vendor/devices", Tag: "vendor", Summary: "Mint device identities: serial, factory secret, OAK (shown once)",
			Auth: AuthVendor, Request: api.MintRequest{}, Response: api.List[api.MintedJSON]{}, Status: http.StatusCreated, CSV: true,
			handle: withBody(func(c *Call, in api.MintRequest) (any, error) {
				ms, err := a.d.Fleet.Mint(c.R.Context(), c.Actor, in.Model, in.Count)
				if err != nil {
					return nil, err
				}
				if c.R.URL.Query().Get("format") == "csv" {
					c.W.Header().Set("Content-Type", "text/csv; charset=utf-8")
					c.W.WriteHeader(http.StatusCreated)
					return written, WriteMintedCSV(c.W, ms)
				}
				return listOf(ms, "", mintedJSON), nil
			})},
	}
}

// WriteMintedCSV writes minted identities with the header the simulator
// reads: serial,model,secret,oak.
func WriteMintedCSV(w interface{ Write([]byte) (int, error) }, ms []fleet.Minted) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"serial", "model", "secret", "oak"})
	for _, m := range ms {
		_ = cw.Write([]string{m.Serial, m.Model, m.Secret, m.OAK})
	}
	cw.Flush()
	return cw.Error()
}

func (a *API) oneDevice(c *Call, id string) (api.DeviceJSON, error) {
	d, t, err := a.d.Fleet.Device(c.R.Context(), c.Actor, c.Org.ID, id)
	if err != nil {
		return api.DeviceJSON{}, err
	}
	return a.deviceJSON(d, t), nil
}

func (a *API) accountCommand(c *Call, ch fleet.AccountChange) (any, error) {
	cmd, err := a.d.Fleet.ChangeAccount(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"), ch)
	if err != nil {
		return nil, err
	}
	return commandJSON(cmd), nil
}

func (a *API) listDevices(c *Call) (any, error) {
	f := deviceFilter(c.R)
	p, asCSV, err := exportable(c.R)
	if err != nil {
		return nil, err
	}
	if asCSV {
		return written, a.devicesCSV(c, f)
	}
	ds, next, t, err := a.d.Fleet.List(c.R.Context(), c.Actor, c.Org.ID, f, p)
	if err != nil {
		return nil, err
	}
	return listOf(ds, next, func(d fleet.Device) api.DeviceJSON { return a.deviceJSON(d, t) }), nil
}

// devicesCSV streams every matching device (DEV-4).
func (a *API) devicesCSV(c *Call, f fleet.Filter) error {
	out := edge.NewCSV(c.W, "devices-"+c.Org.ID+".csv")
	return out.End(a.d.Log, c.R, a.d.Fleet.Export(c.R.Context(), c.Actor, c.Org.ID, f, out))
}
