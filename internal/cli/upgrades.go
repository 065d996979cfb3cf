package cli

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/api"
)

// orgFlag adds --org to a command of an organization.
func orgFlag(f *flags, v *string) {
	f.StringVar(v, "org", "", "the organization (id, as 'mysystems orgs list' shows); default $MYSYSTEMS_ORG, or your only organization")
}

// org is the organization a command acts in: --org, else $MYSYSTEMS_ORG,
// else the caller's only organization. Belonging to several without saying
// which is a usage error.
func (e *env) org(ctx context.Context, c *Client, f *flags, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	if v := e.getenv("MYSYSTEMS_ORG"); v != "" {
		return v, nil
	}
	p, err := c.list(ctx, "/api/v1/orgs", url.Values{"limit": {"500"}}, true)
	if err != nil {
		return "", err
	}
	orgs, err := decodeItems[api.OrgJSON](p.Items)
	if err != nil {
		return "", err
	}
	switch len(orgs) {
	case 0:
		return "", fmt.Errorf("you belong to no organization: create one with 'mysystems orgs create NAME'")
	case 1:
		return orgs[0].ID, nil
	}
	return "", usagef(f, "you belong to %d organizations: say which with --org ORG (or set MYSYSTEMS_ORG; see 'mysystems orgs list')", len(orgs))
}

// startOrg parses a command's flags and arguments, then returns a signed-in
// client and the organization of --org (see env.org).
func (e *env) startOrg(ctx context.Context, f *flags, orgID *string, args []string, min, max int, check func() error) ([]string, *Client, string, error) {
	pos, err := e.parse(f, args, min, max)
	if err != nil {
		return nil, nil, "", err
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, nil, "", err
		}
	}
	c, err := e.client(true)
	if err != nil {
		return nil, nil, "", err
	}
	o, err := e.org(ctx, c, f, *orgID)
	if err != nil {
		return nil, nil, "", err
	}
	return pos, c, o, nil
}

// given reports whether the flag called name was set on the command line.
func given(f *flags, name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) {
		if fl.Name == name {
			set = true
		}
	})
	return set
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// minutes is a --soak duration in whole minutes.
func minutes(f *flags, name string, d time.Duration) (int, error) {
	if d < 0 || d%time.Minute != 0 {
		return 0, usagef(f, "--%s must be a whole number of minutes, 0 or more (e.g. 90m, 2h)", name)
	}
	return int(d / time.Minute), nil
}

func cmdUpgrade(ctx context.Context, e *env, args []string) error {
	f := e.flags("upgrade", "[--org ORG] (--device ID... | --model M [--folder FOLDER_ID]) [--version V] [--force]\n"+
		"         [--ring-count N | --ring-percent P | --ring-folder FOLDER_ID] [--soak 60m] [--failure-percent 10]",
		"Upgrade AXIS OS now (owners and admins): the devices given with --device (repeat it),\n"+
			"or every device of a model (within --folder and the folders below it). Without\n"+
			"--version each device goes to its recommended version; a downgrade needs --force.\n"+
			"Each device gets a task, which follows its software scheduling (see 'mysystems\n"+
			"schedule') and the organization's limits; devices left alone are listed with why.\n"+
			"A ring flag phases the upgrade: the first ring (N devices, P percent of them, or\n"+
			"those in a folder) goes first, the rest --soak after it is done; the rollout pauses\n"+
			"when more than --failure-percent of a ring failed.", withJSON)
	var orgID, model, folder, version, ringFolder string
	var devices stringList
	var force bool
	var ringCount, ringPercent, failurePercent int
	var soak time.Duration
	orgFlag(f, &orgID)
	f.Var(&devices, "device", "a device to upgrade (id); repeat for several")
	f.StringVar(&model, "model", "", "upgrade every device of this model you can see")
	f.StringVar(&folder, "folder", "", "with --model: only in this folder (id) and the folders below it")
	f.StringVar(&version, "version", "", "the version to install (default: each device's recommended version)")
	f.BoolVar(&force, "force", false, "allow installing an older version than the device has")
	f.IntVar(&ringCount, "ring-count", 0, "phase it: the first ring is this many devices")
	f.IntVar(&ringPercent, "ring-percent", 0, "phase it: the first ring is this percentage of the devices (1-99)")
	f.StringVar(&ringFolder, "ring-folder", "", "phase it: the first ring is the devices in this folder (id)")
	f.DurationVar(&soak, "soak", 60*time.Minute, "with a ring: how long after the first ring is done the rest start")
	f.IntVar(&failurePercent, "failure-percent", 10, "with a ring: pause the rollout when more than this percentage of a ring failed")
	var req api.UpgradeRequest
	check := func() error {
		switch {
		case len(devices) > 0 && model != "":
			return usagef(f, "give --device or --model, not both")
		case len(devices) == 0 && model == "":
			return usagef(f, "say which devices: --device ID (repeat it) or --model M")
		case folder != "" && model == "":
			return usagef(f, "--folder goes with --model")
		}
		req = api.UpgradeRequest{DeviceIDs: devices, Model: model, FolderID: folder, Version: version, Force: force}
		rings := 0
		for _, n := range []string{"ring-count", "ring-percent", "ring-folder"} {
			if given(f, n) {
				rings++
			}
		}
		switch {
		case rings > 1:
			return usagef(f, "give one of --ring-count, --ring-percent and --ring-folder")
		case rings == 0 && (given(f, "soak") || given(f, "failure-percent")):
			return usagef(f, "--soak and --failure-percent phase an upgrade: give its first ring too (--ring-count, --ring-percent or --ring-folder)")
		case rings == 0:
			return nil
		case given(f, "ring-count") && ringCount <= 0:
			return usagef(f, "--ring-count must be a positive number")
		case given(f, "ring-percent") && (ringPercent <= 0 || ringPercent >= 100):
			return usagef(f, "--ring-percent must be between 1 and 99")
		case given(f, "ring-folder") && ringFolder == "":
			return usagef(f, "--ring-folder needs a folder id")
		case failurePercent < 1 || failurePercent > 100:
			return usagef(f, "--failure-percent must be between 1 and 100")
		}
		m, err := minutes(f, "soak", soak)
		if err != nil {
			return err
		}
		req.Rollout = &api.RolloutRequest{RingCount: ringCount, RingPercent: ringPercent, RingFolder: ringFolder,
			SoakMinutes: &m, FailurePercent: failurePercent}
		return nil
	}
	_, c, o, err := e.startOrg(ctx, f, &orgID, args, 0, 0, check)
	if err != nil {
		return err
	}
	st, raw, err := decoded[api.UpgradeStartedJSON](ctx, c, http.MethodPost, pathf("/api/v1/orgs/%s/upgrades", o), req, "upgrade")
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(raw)
	}
	if len(st.Tasks) == 0 {
		fmt.Fprintln(e.out, "No upgrade task was made.")
	} else {
		fmt.Fprintf(e.out, "Started %s:\n", plural(len(st.Tasks), "upgrade task", "upgrade tasks"))
		var rows [][]string
		for _, t := range st.Tasks {
			rows = append(rows, []string{clean(t.ID), clean(t.DeviceID), clean(t.Serial), clean(t.Model), clean(t.From), clean(t.To), clean(t.State), ringName(t.Ring)})
		}
		if err := printTable(e.out, []string{"TASK", "DEVICE", "SERIAL", "MODEL", "FROM", "TO", "STATE", "RING"}, rows); err != nil {
			return err
		}
	}
	if r := st.Rollout; r != nil {
		first, rest := 0, 0
		if len(r.Rings) == 2 {
			first, rest = r.Rings[0].Total, r.Rings[1].Total
		}
		fmt.Fprintf(e.out, "Rollout %s: the first ring (%s) goes first, the other %s %s after it is done;\n"+
			"it pauses when more than %d%% of a ring failed.\n",
			clean(r.ID), plural(first, "device", "devices"), plural(rest, "device", "devices"), soakText(r.SoakMinutes), r.FailurePercent)
	}
	if len(st.Skipped) > 0 {
		fmt.Fprintf(e.out, "Left alone %s:\n", plural(len(st.Skipped), "device", "devices"))
		var rows [][]string
		for _, s := range st.Skipped {
			rows = append(rows, []string{clean(s.DeviceID), clean(s.Serial), clean(s.Reason)})
		}
		if err := printTable(e.out, []string{"DEVICE", "SERIAL", "WHY"}, rows); err != nil {
			return err
		}
	}
	switch {
	case st.Rollout != nil:
		fmt.Fprintf(e.errw, "Follow it with: mysystems tasks watch --org %s --rollout %s\n", clean(o), clean(st.Rollout.ID))
	case len(st.Tasks) > 0:
		ids := make([]string, 0, len(st.Tasks))
		for _, t := range st.Tasks {
			ids = append(ids, clean(t.ID))
		}
		fmt.Fprintf(e.errw, "Follow them with: mysystems tasks watch --org %s %s\n", clean(o), strings.Join(ids, " "))
	}
	return nil
}

// soakText is a soak time as a duration flag takes it ("1h30m", "0m").
func soakText(m int) string {
	h, m := m/60, m%60
	s := ""
	if h > 0 {
		s = strconv.Itoa(h) + "h"
	}
	if m > 0 || h == 0 {
		s += strconv.Itoa(m) + "m"
	}
	return s
}

var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// windowText is a window in the text form 'schedule set --window' takes
// ("mon-fri 22:00 3h Europe/Paris"): runs of three days or more are ranges.
func windowText(w api.WindowJSON) string {
	has := map[string]bool{}
	for _, d := range w.Days {
		has[d] = true
	}
	var parts []string
	if len(has) == 7 {
		parts = []string{"daily"}
	}
	for i := 0; i < 7 && len(has) < 7; {
		if !has[weekdays[i]] {
			i++
			continue
		}
		j := i
		for j+1 < 7 && has[weekdays[j+1]] {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, weekdays[i]+"-"+weekdays[j])
		} else {
			parts = append(parts, weekdays[i:j+1]...)
		}
		i = j + 1
	}
	return clean(strings.Join(parts, ",") + " " + w.Start + " " + soakText(w.DurationMinutes) + " " + w.TimeZone)
}

func cmdScheduleSet(ctx context.Context, e *env, args []string) error {
	f := e.flags("schedule set", "[--org ORG] --device ID... (--none | --asap | --window \"mon-fri 22:00 3h Europe/Paris\")",
		"Set the software scheduling of devices (owners and admins), all or nothing:\n"+
			"  --none    no automatic upgrade: only when someone runs 'mysystems upgrade'\n"+
			"  --asap    upgrade to each newly recommended version as soon as it is published\n"+
			"  --window  upgrade to a newly recommended version, but start only in a maintenance\n"+
			"            window: weekdays (mon,wed,fri, mon-fri or daily), start time HH:MM,\n"+
			"            duration (3h, 45m, 1h30m; at most 24h) and IANA time zone,\n"+
			"            e.g. \"sat,sun 02:00 4h America/New_York\"", withJSON)
	var orgID, window string
	var devices stringList
	var none, asap bool
	orgFlag(f, &orgID)
	f.Var(&devices, "device", "a device (id); repeat for several")
	f.BoolVar(&none, "none", false, "no automatic upgrade")
	f.BoolVar(&asap, "asap", false, "upgrade automatically as soon as a newer version is recommended")
	f.StringVar(&window, "window", "", "upgrade automatically in this maintenance window: \"DAYS HH:MM DURATION TIME_ZONE\"")
	var req api.ScheduleRequest
	check := func() error {
		modes := 0
		for _, n := range []string{"none", "asap", "window"} {
			if given(f, n) {
				modes++
			}
		}
		switch {
		case len(devices) == 0:
			return usagef(f, "say which devices: --device ID (repeat it)")
		case modes != 1 || (given(f, "none") && !none) || (given(f, "asap") && !asap):
			return usagef(f, "give one of --none, --asap and --window")
		case given(f, "window") && strings.TrimSpace(window) == "":
			return usagef(f, "--window needs a window, e.g. \"mon-fri 22:00 3h Europe/Paris\"")
		}
		req = api.ScheduleRequest{DeviceIDs: devices, Mode: "none"}
		switch {
		case asap:
			req.Mode = "asap"
		case window != "":
			req.Mode, req.WindowText = "window", window
		}
		return nil
	}
	_, c, o, err := e.startOrg(ctx, f, &orgID, args, 0, 0, check)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodPut, pathf("/api/v1/orgs/%s/upgrade-schedule", o), req, "schedule", func(r api.ScheduleSetJSON) error {
		what := map[string]string{"none": "no automatic upgrade",
			"asap": "upgraded as soon as a newer version is recommended"}[req.Mode]
		if req.Mode == "window" {
			what = "upgraded in the maintenance window " + clean(req.WindowText)
		}
		_, err := fmt.Fprintf(e.out, "Software scheduling of %s: %s.\n", plural(r.Devices, "device", "devices"), what)
		return err
	})
}

func cmdScheduleShow(ctx context.Context, e *env, args []string) error {
	f := e.flags("schedule show", "[--org ORG] --device ID...",
		"Show the software scheduling of devices; for a maintenance window, its next (or\n"+
			"current) occurrence.", withJSON)
	var orgID string
	var devices stringList
	orgFlag(f, &orgID)
	f.Var(&devices, "device", "a device (id); repeat for several")
	_, c, o, err := e.startOrg(ctx, f, &orgID, args, 0, 0, func() error {
		if len(devices) == 0 {
			return usagef(f, "say which devices: --device ID (repeat it)")
		}
		return nil
	})
	if err != nil {
		return err
	}
	q := url.Values{"device": devices}
	return show(ctx, e, c, http.MethodGet, pathf("/api/v1/orgs/%s/upgrade-schedule", o)+"?"+q.Encode(), nil, "schedules",
		func(l api.List[api.ScheduleJSON]) error {
			var rows [][]string
			for _, s := range l.Items {
				w := "-"
				if s.Window != nil {
					w = windowText(*s.Window)
				}
				rows = append(rows, []string{clean(s.DeviceID), clean(s.Mode), w, maybe(s.NextStart, "-"), maybe(s.NextEnd, "-")})
			}
			return printTable(e.out, []string{"DEVICE", "MODE", "WINDOW", "NEXT START", "NEXT END"}, rows)
		})
}

// rolloutRings is the progress of a rollout's rings: done/total each.
func rolloutRings(r api.RolloutJSON) string {
	parts := make([]string, 0, len(r.Rings))
	for _, g := range r.Rings {
		s := fmt.Sprintf("%d/%d", g.Done, g.Total)
		if g.Failed > 0 {
			s += fmt.Sprintf(" (%d failed)", g.Failed)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func firstRing(r api.RolloutJSON) string {
	switch {
	case r.RingCount > 0:
		return plural(r.RingCount, "device", "devices")
	case r.RingPercent > 0:
		return strconv.Itoa(r.RingPercent) + "%"
	case r.RingFolder != "":
		return "folder " + clean(r.RingFolder)
	}
	return "-"
}

var cmdRolloutsList = listCommand[api.RolloutJSON]{
	name:     "rollouts list",
	synopsis: "[--org ORG] [--limit N] [--cursor C] [--all]",
	about:    "List the phased rollouts of an organization, newest first, with their rings' progress.",
	org:      true,
	path:     func(pos []string) string { return pathf("/api/v1/orgs/%s/rollouts", pos[0]) },
	paged:    true,
	noun:     "rollouts",
	allLimit: "500",
	empty: func([]string, bool) string {
		return "No rollout yet: phase an upgrade with 'mysystems upgrade --model M --ring-percent 10'."
	},
	head: []string{"ROLLOUT", "STATE", "PHASE", "FIRST RING", "SOAK", "DONE (RING 1, RING 2)", "STARTED BY", "CREATED"},
	row: func(r api.RolloutJSON, _ map[string]string) []string {
		return []string{clean(r.ID), clean(r.State), strconv.Itoa(r.Phase), firstRing(r), soakText(r.SoakMinutes),
			rolloutRings(r), clean(r.StartedBy), stamp(r.CreatedAt)}
	},
}.run

func printRollout(e *env, r api.RolloutJSON) error {
	fields := []string{"id", clean(r.ID), "state", clean(r.State)}
	if r.Reason != "" {
		fields = append(fields, "why", clean(r.Reason))
	}
	fields = append(fields, "phase", strconv.Itoa(r.Phase), "first ring", firstRing(r), "soak", soakText(r.SoakMinutes),
		"pauses above", strconv.Itoa(r.FailurePercent)+"% failed")
	if r.SoakUntil != nil {
		fields = append(fields, "soak until", stamp(*r.SoakUntil))
	}
	for _, g := range r.Rings {
		fields = append(fields, fmt.Sprintf("ring %d", g.Ring), fmt.Sprintf("%d of %d done, %d failed", g.Done, g.Total, g.Failed))
	}
	fields = append(fields, "started by", clean(r.StartedBy), "created", stamp(r.CreatedAt), "finished", maybe(r.FinishedAt, "not yet"))
	return printFields(e.out, fields...)
}

func cmdRolloutsShow(ctx context.Context, e *env, args []string) error {
	f := e.flags("rollouts show", "[--org ORG] ROLLOUT_ID", "Show a phased rollout and its rings' progress.", withJSON)
	var orgID string
	orgFlag(f, &orgID)
	pos, c, o, err := e.startOrg(ctx, f, &orgID, args, 1, 1, nil)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodGet, pathf("/api/v1/orgs/%s/rollouts/%s", o, pos[0]), nil, "rollout", func(r api.RolloutJSON) error {
		return printRollout(e, r)
	})
}

func cmdRolloutsPause(ctx context.Context, e *env, args []string) error {
	return rolloutAction(ctx, e, "pause", "Pause a phased rollout (owners and admins): no new task of it starts;\ntasks already under way go on.", "Paused", args)
}

func cmdRolloutsResume(ctx context.Context, e *env, args []string) error {
	return rolloutAction(ctx, e, "resume", "Resume a paused rollout (owners and admins).", "Resumed", args)
}

func cmdRolloutsAbort(ctx context.Context, e *env, args []string) error {
	return rolloutAction(ctx, e, "abort", "Abort a phased rollout (owners and admins): its tasks not yet installing\n"+
		"are canceled. Asks on a terminal; needs --yes otherwise.", "Aborted", args)
}

func rolloutAction(ctx context.Context, e *env, verb, about, done string, args []string) error {
	synopsis := "[--org ORG] ROLLOUT_ID"
	if verb == "abort" {
		synopsis += " [--yes]"
	}
	f := e.flags("rollouts "+verb, synopsis, about, withJSON)
	var orgID string
	var yes bool
	orgFlag(f, &orgID)
	if verb == "abort" {
		f.BoolVar(&yes, "yes", false, "abort without asking")
	}
	pos, err := e.parse(f, args, 1, 1)
	if err != nil {
		return err
	}
	what := "abort rollout " + clean(pos[0])
	if verb == "abort" && !yes && !e.interactive {
		return e.confirm(f, false, what, "")
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	o, err := e.org(ctx, c, f, orgID)
	if err != nil {
		return err
	}
	path := pathf("/api/v1/orgs/%s/rollouts/%s", o, pos[0])
	if verb == "abort" && !yes {
		var r api.RolloutJSON
		if err := c.do(ctx, http.MethodGet, path, nil, &r); err != nil {
			return err
		}
		question := fmt.Sprintf("Abort rollout %s (%s; rings %s)? Its tasks not yet installing are canceled.", clean(r.ID), clean(r.State), rolloutRings(r))
		if err := e.confirm(f, false, what, question); err != nil {
			return err
		}
	}
	return show(ctx, e, c, http.MethodPost, path+"/"+verb, nil, "rollout", func(r api.RolloutJSON) error {
		_, err := fmt.Fprintf(e.out, "%s rollout %s: it is %s.\n", done, clean(r.ID), clean(r.State))
		return err
	})
}

func printLimits(e *env, l api.UpgradeLimitsJSON) error {
	return printFields(e.out, "max concurrent", strconv.Itoa(l.MaxConcurrent), "max per site", strconv.Itoa(l.MaxPerSite))
}

func cmdUpgradeLimitsShow(ctx context.Context, e *env, args []string) error {
	f := e.flags("upgrade-limits show", "[--org ORG]", "Show the organization's limits of upgrades under way at once: in all, and per\nsite folder.", withJSON)
	var orgID string
	orgFlag(f, &orgID)
	_, c, o, err := e.startOrg(ctx, f, &orgID, args, 0, 0, nil)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodGet, pathf("/api/v1/orgs/%s/upgrade-limits", o), nil, "limits", func(l api.UpgradeLimitsJSON) error {
		return printLimits(e, l)
	})
}

func cmdUpgradeLimitsSet(ctx context.Context, e *env, args []string) error {
	f := e.flags("upgrade-limits set", "[--org ORG] [--max-concurrent N] [--max-per-site N]",
		"Set the organization's limits of upgrades under way at once (owners and admins):\n"+
			"in all, and per site folder. A limit not given is kept.", withJSON)
	var orgID string
	var maxConcurrent, maxPerSite int
	orgFlag(f, &orgID)
	f.IntVar(&maxConcurrent, "max-concurrent", 0, "at most this many upgrades under way in the organization")
	f.IntVar(&maxPerSite, "max-per-site", 0, "at most this many under way in one site folder")
	_, c, o, err := e.startOrg(ctx, f, &orgID, args, 0, 0, func() error {
		if !given(f, "max-concurrent") && !given(f, "max-per-site") {
			return usagef(f, "give --max-concurrent N, --max-per-site N or both")
		}
		return nil
	})
	if err != nil {
		return err
	}
	path := pathf("/api/v1/orgs/%s/upgrade-limits", o)
	var l api.UpgradeLimitsJSON
	if err := c.do(ctx, http.MethodGet, path, nil, &l); err != nil {
		return err
	}
	if given(f, "max-concurrent") {
		l.MaxConcurrent = maxConcurrent
	}
	if given(f, "max-per-site") {
		l.MaxPerSite = maxPerSite
	}
	return show(ctx, e, c, http.MethodPut, path, l, "limits", func(l api.UpgradeLimitsJSON) error {
		fmt.Fprintln(e.out, "Upgrade limits set:")
		return printLimits(e, l)
	})
}
