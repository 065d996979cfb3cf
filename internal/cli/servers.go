package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"mysystems/internal/api"
)

// The ACS Pro server commands (SPEC §8): monitoring, enrolment tokens and
// the upgrade queue.

func serverHealth(h api.ServerHealthJSON) string {
	rec := "not recording"
	if h.Recording {
		rec = "recording"
	}
	return fmt.Sprintf("CPU %.0f%%, memory %.0f%%, storage %.0f%%, %s, %d cameras", h.CPUPercent, h.MemoryPercent, h.StoragePercent, rec, h.Cameras)
}

func serverUpgradeText(u *api.ServerUpgradeJSON) string {
	if u == nil {
		return "-"
	}
	return u.State + " to " + u.Version
}

func cmdServersList(ctx context.Context, e *env, args []string) error {
	f := e.flags("servers list", "ORG", "List the organization's ACS Pro servers: status, version, health now,\nrecommended upgrade and the upgrade queued or running (owner, admin, operator).", withJSON)
	pos, c, err := e.start(f, args, 1, 1)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodGet, pathf("/api/v1/orgs/%s/servers", pos[0]), nil, "servers", func(l api.List[api.ServerJSON]) error {
		if len(l.Items) == 0 {
			fmt.Fprintln(e.out, "No ACS Pro server is enrolled yet: create an enrolment token with 'mysystems servers enrol ORG'.")
			return nil
		}
		var rows [][]string
		for _, s := range l.Items {
			rec := s.RecommendedVersion
			if rec == "" {
				rec = "-"
			}
			rows = append(rows, []string{clean(s.ID), clean(s.Name), clean(s.Status), clean(s.Version), clean(rec),
				clean(serverUpgradeText(s.Upgrade)), clean(serverHealth(s.Health)), stamp(s.LastPollAt)})
		}
		return printTable(e.out, []string{"ID", "NAME", "STATUS", "VERSION", "RECOMMENDED", "UPGRADE", "HEALTH", "LAST POLL"}, rows)
	})
}

func cmdServersShow(ctx context.Context, e *env, args []string) error {
	f := e.flags("servers show", "ORG ID", "Show an ACS Pro server: health now and over the last 24 hours, alert\nsettings and its latest upgrades.", withJSON)
	pos, c, err := e.start(f, args, 2, 2)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodGet, pathf("/api/v1/orgs/%s/servers/%s", pos[0], pos[1]), nil, "server", func(s api.ServerJSON) error {
		rec := s.RecommendedVersion
		if rec == "" {
			rec = "none (up to date)"
		}
		to := "the organization's owners and admins"
		if len(s.Alerts.Recipients) > 0 {
			to = strings.Join(s.Alerts.Recipients, ", ")
		}
		onOff := func(b bool) string {
			if b {
				return "on"
			}
			return "off"
		}
		lastErr := s.Health.LastError
		if lastErr == "" {
			lastErr = "-"
		}
		if err := printFields(e.out, "id", clean(s.ID), "name", clean(s.Name), "status", clean(s.Status), "version", clean(s.Version),
			"recommended", clean(rec), "upgrade", clean(serverUpgradeText(s.Upgrade)), "health", clean(serverHealth(s.Health)),
			"last error", clean(lastErr), "last poll", stamp(s.LastPollAt), "enrolled", stamp(s.EnrolledAt),
			"alert offline", onOff(s.Alerts.Offline), "alert online", onOff(s.Alerts.Online), "alerts to", clean(to)); err != nil {
			return err
		}
		if len(s.History) > 0 {
			lo, hi := s.History[0], s.History[0]
			for _, h := range s.History {
				if h.CPUPercent < lo.CPUPercent {
					lo = h
				}
				if h.CPUPercent > hi.CPUPercent {
					hi = h
				}
			}
			fmt.Fprintf(e.out, "\nLast 24 hours: %d samples, CPU from %.0f%% to %.0f%%, storage now %.0f%%\n",
				len(s.History), lo.CPUPercent, hi.CPUPercent, s.History[len(s.History)-1].StoragePercent)
		}
		if len(s.Upgrades) == 0 {
			return nil
		}
		fmt.Fprintln(e.out)
		var rows [][]string
		for _, u := range s.Upgrades {
			outcome := u.Reason
			if u.State == "succeeded" {
				outcome = "now " + u.NewVersion
			}
			rows = append(rows, []string{clean(u.ID), clean(u.FromVersion) + " → " + clean(u.Version), clean(u.State), stamp(u.CreatedAt), clean(outcome)})
		}
		return printTable(e.out, []string{"UPGRADE", "VERSIONS", "STATE", "REQUESTED", "OUTCOME"}, rows)
	})
}

func cmdServersUpgrade(ctx context.Context, e *env, args []string) error {
	f := e.flags("servers upgrade", "ORG ID [--version V]",
		"Queue an upgrade of an ACS Pro server (owner or admin): to the recommended version\n"+
			"unless --version names another published one. The server picks it up when it\n"+
			"next polls, then downloads and installs it; until then it can be canceled.", withJSON)
	version := f.String("version", "", "the ACS Pro version (default: the recommended one)")
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	return callOne(ctx, e, "upgrade", http.MethodPost, pathf("/api/v1/orgs/%s/servers/%s/upgrade", pos[0], pos[1]),
		api.ServerUpgradeRequest{Version: *version}, func(u api.ServerUpgradeJSON) string {
			return fmt.Sprintf("Upgrade %s of server %s from %s to %s queued: the server picks it up when it next polls.",
				clean(u.ID), clean(u.ServerID), clean(u.FromVersion), clean(u.Version))
		})
}

func cmdServersCancel(ctx context.Context, e *env, args []string) error {
	f := e.flags("servers cancel", "ORG ID", "Cancel a server's queued upgrade (owner or admin). Once the server picked\nit up, the upgrade runs to its end and can no longer be canceled.", withJSON)
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	return callOne(ctx, e, "upgrade", http.MethodDelete, pathf("/api/v1/orgs/%s/servers/%s/upgrade", pos[0], pos[1]), nil,
		func(u api.ServerUpgradeJSON) string {
			return fmt.Sprintf("Upgrade %s of server %s to %s canceled.", clean(u.ID), clean(u.ServerID), clean(u.Version))
		})
}

func cmdServersEnrol(ctx context.Context, e *env, args []string) error {
	f := e.flags("servers enrol", "ORG [--count N]",
		"Create enrolment tokens for new ACS Pro servers (owner or admin), one a line.\n"+
			"Each is shown once, is valid 24 hours and enrols one server.", withJSON)
	count := f.Int("count", 1, "how many tokens (one per server)")
	pos, c, err := e.start(f, args, 1, 1)
	if err != nil {
		return err
	}
	if *count < 1 || *count > 10000 {
		return usagef(f, "--count must be from 1 to 10000")
	}
	var all []api.EnrollmentTokenJSON
	for range *count {
		var t api.EnrollmentTokenJSON
		if err := c.do(ctx, http.MethodPost, pathf("/api/v1/orgs/%s/servers/enrollment-tokens", pos[0]), nil, &t); err != nil {
			return err
		}
		all = append(all, t)
	}
	if e.json {
		return e.printJSON(all)
	}
	for _, t := range all {
		fmt.Fprintln(e.out, clean(t.Token))
	}
	fmt.Fprintf(e.errw, "%d enrolment token(s), valid until %s; each enrols one server and is shown only now.\n", len(all), stamp(all[len(all)-1].ExpiresAt))
	return nil
}

func cmdServersAlerts(ctx context.Context, e *env, args []string) error {
	f := e.flags("servers alerts", "ORG ID [--offline on|off] [--online on|off] [--to EMAIL,…|--owners]",
		"Change a server's alert settings (owner, admin, operator): an e-mail when it goes\n"+
			"offline, one when it comes back, to the addresses given or to the organization's\n"+
			"owners and admins.", withJSON)
	offline := f.String("offline", "", "on or off: e-mail when the server goes offline")
	online := f.String("online", "", "on or off: e-mail when it is back online")
	to := f.String("to", "", "comma-separated e-mail addresses to alert")
	owners := f.Bool("owners", false, "alert the organization's owners and admins (clears --to)")
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	var p api.ServerPatch
	onOff := func(name, v string) (*bool, error) {
		switch v {
		case "":
			return nil, nil
		case "on":
			b := true
			return &b, nil
		case "off":
			b := false
			return &b, nil
		}
		return nil, usagef(f, "--%s is on or off", name)
	}
	if p.AlertOffline, err = onOff("offline", *offline); err != nil {
		return err
	}
	if p.AlertOnline, err = onOff("online", *online); err != nil {
		return err
	}
	switch {
	case *owners && *to != "":
		return usagef(f, "give --to or --owners, not both")
	case *owners:
		p.AlertRecipients = &[]string{}
	case *to != "":
		list := strings.Split(*to, ",")
		p.AlertRecipients = &list
	}
	return callOne(ctx, e, "server", http.MethodPatch, pathf("/api/v1/orgs/%s/servers/%s", pos[0], pos[1]), p,
		func(s api.ServerJSON) string { return fmt.Sprintf("Alert settings of server %s saved.", clean(s.Name)) })
}
