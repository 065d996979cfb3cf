package httpapi

import (
	"context"

	"mysystems/internal/audit"
	"net/http"
	"time"

	"mysystems/internal/api"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/org"
	"mysystems/internal/upgrade"
)

func (a *API) lang(c *Call) string { return c.Actor.LangOr("en") }

func taskJSON(tk upgrade.Task, t org.Tree, lang string) api.TaskJSON {
	return api.TaskJSON{ID: tk.ID, DeviceID: tk.DeviceID, Serial: tk.Serial, Model: tk.Model, FolderID: tk.FolderID,
		FolderPath: t.Path(tk.FolderID), From: tk.From, To: tk.To, State: string(tk.State), Stage: tk.Stage,
		Percent: tk.Percent, Reason: tk.Reason.In(lang), ReasonKey: tk.Reason.Key, Origin: string(tk.Origin),
		StartedBy: tk.CreatedLabel, RolloutID: tk.RolloutID, Ring: tk.Ring, RetryOf: tk.RetryOf,
		NotBefore: tk.NotBefore, NotAfter: tk.NotAfter, CreatedAt: tk.CreatedAt, UpdatedAt: tk.UpdatedAt,
		ScheduledAt: tk.ScheduledAt, StartedAt: tk.StartedAt, InstallingAt: tk.InstallingAt, FinishedAt: tk.FinishedAt}
}

func rolloutJSON(v upgrade.RolloutView, lang string) api.RolloutJSON {
	r := v.Rollout
	out := api.RolloutJSON{ID: r.ID, State: string(r.State), Phase: r.Phase, RingCount: r.Ring.Count,
		RingPercent: r.Ring.Percent, RingFolder: r.Ring.Folder, SoakMinutes: int(r.Ring.Soak / time.Minute),
		FailurePercent: r.Ring.FailurePercent, Reason: r.Reason.In(lang), SoakUntil: r.SoakEnd,
		StartedBy: r.CreatedLabel, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt}
	for ring := 1; ring <= 2; ring++ {
		c := v.Rings[ring]
		out.Rings = append(out.Rings, api.RingJSON{Ring: ring, Total: c.Total, Done: c.Done, Failed: c.Failed})
	}
	return out
}

// WindowJSON is a window as the API shows it.
func windowJSON(w firmware.Window) *api.WindowJSON {
	return &api.WindowJSON{Days: w.Days.DayNames(), Start: w.Start.String(), DurationMinutes: int(w.Duration / time.Minute),
		TimeZone: w.Zone.String()}
}

var taskParams = append([]Param{
	{"state", "one or more states, comma-separated: queued, scheduled, downloading, installing, succeeded, failed, canceled"},
	{"device", "device id"},
	{"model", "model name"},
	{"folder", "folder id: that folder and everything below it"},
	{"rollout", "rollout id"},
	{"since", "created at or after (RFC 3339, or YYYY-MM-DD)"},
	{"until", "created before (RFC 3339, or YYYY-MM-DD: that whole day)"},
	{"format", "json (default) or csv (every matching task)"},
}, pageParams...)

func (a *API) upgradeRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/api/v1/orgs/{org}/upgrades", Tag: "upgrades",
			Summary: "Upgrade now: devices by id, or a model in a folder, to the recommended or a chosen version; optionally phased (FW-3, FW-7)",
			Auth:    AuthUser, Request: api.UpgradeRequest{}, Response: api.UpgradeStartedJSON{}, Status: http.StatusAccepted,
			handle: withBody(a.startUpgrades)},
		{Method: "PUT", Path: "/api/v1/orgs/{org}/upgrade-schedule", Tag: "upgrades",
			Summary: "Set the software scheduling of devices: none, asap, or a maintenance window, as an object or its text form window_text (FW-4)",
			Auth:    AuthUser, Request: api.ScheduleRequest{}, Response: api.ScheduleSetJSON{},
			handle: withBody(func(c *Call, in api.ScheduleRequest) (any, error) {
				req := upgrade.ScheduleRequest{DeviceIDs: in.DeviceIDs, Mode: upgrade.Mode(in.Mode)}
				switch {
				case in.Window != nil && in.WindowText != "":
					return nil, errs.InvalidField("window_text", "err.schedule.window_twice")
				case in.Window != nil:
					w, err := firmware.WindowOf(in.Window.Days, in.Window.Start, in.Window.DurationMinutes, in.Window.TimeZone)
					if err != nil {
						return nil, err
					}
					req.Window = &w
				case in.WindowText != "":
					w, err := firmware.ParseWindow(in.WindowText)
					if err != nil {
						return nil, err
					}
					req.Window = &w
				}
				n, err := a.d.Upgrades.SetSchedule(c.R.Context(), c.Actor, c.Org.ID, req)
				if err != nil {
					return nil, err
				}
				return api.ScheduleSetJSON{Devices: n}, nil
			})},
		{Method: "GET", Path: "/api/v1/orgs/{org}/upgrade-schedule", Tag: "upgrades",
			Summary: "The software scheduling of devices (?device=id, repeated), with each window's next occurrence (FW-4)",
			Auth:    AuthUser, Query: []Param{{"device", "device id; repeat for several"}}, Response: api.List[api.ScheduleJSON]{},
			handle: func(c *Call) (any, error) {
				ids := c.R.URL.Query()["device"]
				ss, err := a.d.Upgrades.Schedules(c.R.Context(), c.Actor, c.Org.ID, ids)
				if err != nil {
					return nil, err
				}
				now := a.d.Clock.Now()
				out := api.List[api.ScheduleJSON]{Items: []api.ScheduleJSON{}}
				for _, id := range ids {
					s, ok := ss[id]
					j := api.ScheduleJSON{DeviceID: id, Mode: string(upgrade.None)}
					if ok {
						j.Mode = string(s.Mode)
						if s.Mode == upgrade.InWindow {
							j.Window = windowJSON(s.Window)
							j.NextStart, j.NextEnd = s.Slot(now)
						}
					}
					out.Items = append(out.Items, j)
				}
				return out, nil
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/tasks", Tag: "upgrades", Summary: "Upgrade tasks, newest first, filtered; CSV export (FW-5)",
			Auth: AuthUser, Response: api.List[api.TaskJSON]{}, Query: taskParams, CSV: true, handle: a.listTasks},
		{Method: "GET", Path: "/api/v1/orgs/{org}/tasks/{id}", Tag: "upgrades", Summary: "Read an upgrade task (FW-5)",
			Auth: AuthUser, Response: api.TaskJSON{}, handle: func(c *Call) (any, error) {
				tk, err := a.d.Upgrades.Task(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
				if err != nil {
					return nil, err
				}
				return a.oneTask(c, tk)
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/tasks/{id}/retry", Tag: "upgrades", Summary: "Retry a failed upgrade task: a new task to the same version (FW-6)",
			Auth: AuthUser, Response: api.TaskJSON{}, Status: http.StatusAccepted, handle: func(c *Call) (any, error) {
				tk, err := a.d.Upgrades.Retry(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
				if err != nil {
					return nil, err
				}
				return a.oneTask(c, tk)
			}},
		{Method: "POST", Path: "/api/v1/orgs/{org}/tasks/{id}/cancel", Tag: "upgrades", Summary: "Cancel an upgrade task that has not started installing (FW-5)",
			Auth: AuthUser, Response: api.TaskJSON{}, handle: func(c *Call) (any, error) {
				tk, err := a.d.Upgrades.Cancel(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
				if err != nil {
					return nil, err
				}
				return a.oneTask(c, tk)
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/rollouts", Tag: "upgrades", Summary: "Phased rollouts, newest first, with their rings' progress (FW-7)",
			Auth: AuthUser, Response: api.List[api.RolloutJSON]{}, Query: pageParams, handle: func(c *Call) (any, error) {
				p, err := page(c.R)
				if err != nil {
					return nil, err
				}
				rs, next, err := a.d.Upgrades.Rollouts(c.R.Context(), c.Actor, c.Org.ID, p)
				if err != nil {
					return nil, err
				}
				lang := a.lang(c)
				return listOf(rs, next, func(v upgrade.RolloutView) api.RolloutJSON { return rolloutJSON(v, lang) }), nil
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/rollouts/{id}", Tag: "upgrades", Summary: "A phased rollout and its rings' progress (FW-7)",
			Auth: AuthUser, Response: api.RolloutJSON{}, handle: func(c *Call) (any, error) {
				v, err := a.d.Upgrades.RolloutByID(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
				if err != nil {
					return nil, err
				}
				return rolloutJSON(v, a.lang(c)), nil
			}},
		a.rolloutAction("pause", "Pause a rollout: nothing new starts (FW-7)", a.d.Upgrades.Pause),
		a.rolloutAction("resume", "Resume a paused rollout (FW-7)", a.d.Upgrades.Resume),
		a.rolloutAction("abort", "Abort a rollout: its tasks not yet installing are canceled (FW-7)", a.d.Upgrades.Abort),
		{Method: "GET", Path: "/api/v1/orgs/{org}/upgrade-limits", Tag: "upgrades", Summary: "The organization's limits of concurrent upgrades (FW-7)",
			Auth: AuthUser, Response: api.UpgradeLimitsJSON{}, handle: func(c *Call) (any, error) {
				l, err := a.d.Upgrades.Limits(c.R.Context(), c.Actor, c.Org.ID)
				if err != nil {
					return nil, err
				}
				return api.UpgradeLimitsJSON{MaxConcurrent: l.Org, MaxPerSite: l.Site}, nil
			}},
		{Method: "PUT", Path: "/api/v1/orgs/{org}/upgrade-limits", Tag: "upgrades", Summary: "Set the organization's limits of concurrent upgrades, in all and per site folder (FW-7)",
			Auth: AuthUser, Request: api.UpgradeLimitsJSON{}, Response: api.UpgradeLimitsJSON{},
			handle: withBody(func(c *Call, in api.UpgradeLimitsJSON) (any, error) {
				l, err := a.d.Upgrades.SetLimits(c.R.Context(), c.Actor, c.Org.ID, upgrade.Limits{Org: in.MaxConcurrent, Site: in.MaxPerSite})
				if err != nil {
					return nil, err
				}
				return api.UpgradeLimitsJSON{MaxConcurrent: l.Org, MaxPerSite: l.Site}, nil
			})},
	}
}

type rolloutFn func(ctx context.Context, actor audit.Actor, orgID, id string) (upgrade.RolloutView, error)

func (a *API) rolloutAction(verb, summary string, fn rolloutFn) Route {
	return Route{Method: "POST", Path: "/api/v1/orgs/{org}/rollouts/{id}/" + verb, Tag: "upgrades", Summary: summary,
		Auth: AuthUser, Response: api.RolloutJSON{}, handle: func(c *Call) (any, error) {
			v, err := fn(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
			if err != nil {
				return nil, err
			}
			return rolloutJSON(v, a.lang(c)), nil
		}}
}

func (a *API) startUpgrades(c *Call, in api.UpgradeRequest) (any, error) {
	req := upgrade.Request{DeviceIDs: in.DeviceIDs, Model: in.Model, FolderID: in.FolderID, Version: in.Version, Force: in.Force}
	if r := in.Rollout; r != nil {
		spec := upgrade.RingSpec{Count: r.RingCount, Percent: r.RingPercent, Folder: r.RingFolder,
			Soak: upgrade.DefaultSoak, FailurePercent: r.FailurePercent}
		if r.SoakMinutes != nil {
			spec.Soak = time.Duration(*r.SoakMinutes) * time.Minute
		}
		req.Rollout = &spec
	}
	st, err := a.d.Upgrades.Start(c.R.Context(), c.Actor, c.Org.ID, req)
	if err != nil {
		return nil, err
	}
	t, err := a.d.Upgrades.Tree(c.R.Context(), c.Actor, c.Org.ID)
	if err != nil {
		return nil, err
	}
	lang := a.lang(c)
	out := api.UpgradeStartedJSON{Tasks: []api.TaskJSON{}, Skipped: []api.SkippedJSON{}}
	for _, tk := range st.Tasks {
		out.Tasks = append(out.Tasks, taskJSON(tk, t, lang))
	}
	for _, s := range st.Skipped {
		out.Skipped = append(out.Skipped, api.SkippedJSON{DeviceID: s.DeviceID, Serial: s.Serial, Reason: s.Reason.In(lang), ReasonKey: s.Reason.Key})
	}
	if st.Rollout != nil {
		v := rolloutJSON(upgrade.RolloutView{Rollout: *st.Rollout}, lang)
		for _, tk := range st.Tasks {
			v.Rings[tk.Ring-1].Total++
		}
		out.Rollout = &v
	}
	return out, nil
}

func (a *API) oneTask(c *Call, tk upgrade.Task) (any, error) {
	t, err := a.d.Upgrades.Tree(c.R.Context(), c.Actor, c.Org.ID)
	if err != nil {
		return nil, err
	}
	return taskJSON(tk, t, a.lang(c)), nil
}

func (a *API) listTasks(c *Call) (any, error) {
	f, err := upgrade.ParseTaskFilter(c.R.URL.Query())
	if err != nil {
		return nil, err
	}
	p, asCSV, err := exportable(c.R)
	if err != nil {
		return nil, err
	}
	if asCSV {
		out := edge.NewCSV(c.W, "tasks-"+c.Org.ID+".csv")
		return written, out.End(a.d.Log, c.R, a.d.Upgrades.Export(c.R.Context(), c.Actor, c.Org.ID, f, a.lang(c), out))
	}
	ts, next, t, err := a.d.Upgrades.Tasks(c.R.Context(), c.Actor, c.Org.ID, f, p)
	if err != nil {
		return nil, err
	}
	lang := a.lang(c)
	return listOf(ts, next, func(tk upgrade.Task) api.TaskJSON { return taskJSON(tk, t, lang) }), nil
}
