package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/api"
)

// taskStates are the states of an upgrade task, in their order.
var taskStates = []string{"queued", "scheduled", "downloading", "installing", "succeeded", "failed", "canceled"}

// activeStates are those of a task not done yet.
const activeStates = "queued,scheduled,downloading,installing"

// taskDone says whether a task has reached its end.
func taskDone(t api.TaskJSON) bool {
	return t.State == "succeeded" || t.State == "failed" || t.State == "canceled"
}

func checkStates(f *flags, s string) error {
	for _, st := range strings.Split(s, ",") {
		if !slices.Contains(taskStates, strings.TrimSpace(st)) {
			return usagef(f, "--state: %q is no task state (%s; several with commas)", st, strings.Join(taskStates, ", "))
		}
	}
	return nil
}

// taskProgress is a task's state with the device's last report.
func taskProgress(t api.TaskJSON) string {
	switch t.State {
	case "downloading":
		return fmt.Sprintf("downloading %d%%", t.Percent)
	case "installing":
		if t.Stage != "" && t.Stage != "installing" {
			return "installing (" + clean(t.Stage) + ")"
		}
	}
	return clean(t.State)
}

var taskFilters = []listFilter{
	{name: "state", help: "only tasks in these states, comma-separated: " + strings.Join(taskStates, ", ")},
	{name: "device", help: "only the tasks of this device (id)"},
	{name: "model", help: "only devices of this model"},
	{name: "folder", help: "only devices in this folder (id) and the folders below it"},
	{name: "rollout", help: "only the tasks of this rollout (id)"},
	{name: "since", help: "created at or after (YYYY-MM-DD or RFC 3339)"},
	{name: "until", help: "created before (YYYY-MM-DD: that whole day, or RFC 3339)"},
}

func checkTaskFilters(f *flags, v map[string]string) error {
	if s := v["state"]; s != "" {
		return checkStates(f, s)
	}
	return nil
}

var cmdTasksList = listCommand[api.TaskJSON]{
	name: "tasks list",
	synopsis: "[--org ORG] [--state S[,S]] [--device ID] [--model M] [--folder FOLDER_ID] [--rollout R]\n" +
		"         [--since T] [--until T] [--limit N] [--cursor C] [--all] [--csv]",
	about: "List the AXIS OS upgrade tasks of an organization, newest first (members see the\n" +
		"tasks of the devices in their folders). Without --all one page is shown; --csv\n" +
		"exports every matching task.",
	org:      true,
	path:     func(pos []string) string { return pathf("/api/v1/orgs/%s/tasks", pos[0]) },
	filters:  taskFilters,
	check:    checkTaskFilters,
	paged:    true,
	noun:     "tasks",
	allLimit: "1000",
	csv:      "every matching task",
	empty: func(_ []string, narrowed bool) string {
		if narrowed {
			return "No task matches."
		}
		return "No upgrade task yet: start one with 'mysystems upgrade'."
	},
	head: []string{"TASK", "DEVICE", "SERIAL", "MODEL", "FOLDER", "FROM", "TO", "STATE", "UPDATED", "WHY"},
	row: func(t api.TaskJSON, _ map[string]string) []string {
		why := clean(t.Reason)
		if why == "" {
			why = "-"
		}
		return []string{clean(t.ID), clean(t.DeviceID), clean(t.Serial), clean(t.Model), clean(t.FolderPath),
			clean(t.From), clean(t.To), taskProgress(t), stamp(t.UpdatedAt), why}
	},
}.run

func taskPath(orgID, id string) string { return pathf("/api/v1/orgs/%s/tasks/%s", orgID, id) }

func cmdTasksRetry(ctx context.Context, e *env, args []string) error {
	return taskAction(ctx, e, "retry", "Retry a failed upgrade task (owners and admins): a new task to the same version.",
		func(t api.TaskJSON) string {
			return fmt.Sprintf("Retrying: task %s upgrades device %s to %s (it is %s).", clean(t.ID), clean(t.DeviceID), clean(t.To), clean(t.State))
		}, args)
}

func cmdTasksCancel(ctx context.Context, e *env, args []string) error {
	return taskAction(ctx, e, "cancel", "Cancel an upgrade task that has not started installing (owners and admins).",
		func(t api.TaskJSON) string {
			return fmt.Sprintf("Canceled task %s (device %s).", clean(t.ID), clean(t.DeviceID))
		}, args)
}

func taskAction(ctx context.Context, e *env, verb, about string, done func(api.TaskJSON) string, args []string) error {
	f := e.flags("tasks "+verb, "[--org ORG] TASK_ID", about, withJSON)
	var orgID string
	orgFlag(f, &orgID)
	pos, c, o, err := e.startOrg(ctx, f, &orgID, args, 1, 1, nil)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodPost, taskPath(o, pos[0])+"/"+verb, nil, "task", func(t api.TaskJSON) error {
		_, err := fmt.Fprintln(e.out, done(t))
		return err
	})
}

// Watching tasks: how often they are read again. watchWait waits for the
// next reading (tests replace it to step the watch).
var (
	watchPollEvery = 2 * time.Second
	watchWait      = func(ctx context.Context) error {
		t := time.NewTimer(watchPollEvery)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
)

// watched is the set of tasks a watch follows and how to read them again.
type watched struct {
	c     *Client
	org   string
	ids   []string // the tasks, in the order shown
	query url.Values
}

// read reads the watched tasks: with a query, the list it selects (by
// rollout, or the filters given, from the oldest watched task on); else
// each task by id.
func (w *watched) read(ctx context.Context) (map[string]api.TaskJSON, error) {
	out := make(map[string]api.TaskJSON, len(w.ids))
	if w.query == nil {
		for _, id := range w.ids {
			var t api.TaskJSON
			if err := w.c.do(ctx, http.MethodGet, taskPath(w.org, id), nil, &t); err != nil {
				return nil, err
			}
			out[id] = t
		}
		return out, nil
	}
	ts, err := w.list(ctx, w.query)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		out[t.ID] = t
	}
	return out, nil
}

func (w *watched) list(ctx context.Context, q url.Values) ([]api.TaskJSON, error) {
	p, err := w.c.list(ctx, pathf("/api/v1/orgs/%s/tasks", w.org), q, true)
	if err != nil {
		return nil, err
	}
	return decodeItems[api.TaskJSON](p.Items)
}

func cmdTasksWatch(ctx context.Context, e *env, args []string) error {
	f := e.flags("tasks watch", "[--org ORG] (--rollout R | TASK_ID... | [--state S] [--device ID] [--model M] [--folder FOLDER_ID])",
		"Follow upgrade tasks live, with a progress bar each: the tasks given, those of a\n"+
			"rollout, or those the filters select (without --state: the tasks not done yet).\n"+
			"On a terminal the bars are redrawn in place; otherwise a line is printed at each\n"+
			"change. Ends when every task is done: exit 0 if none failed, 1 otherwise.", 0)
	var orgID, rollout, state, device, model, folder string
	orgFlag(f, &orgID)
	f.StringVar(&rollout, "rollout", "", "the tasks of this rollout (id)")
	f.StringVar(&state, "state", "", "with filters: tasks in these states, comma-separated (default: not done yet)")
	f.StringVar(&device, "device", "", "the tasks of this device (id)")
	f.StringVar(&model, "model", "", "the tasks of devices of this model")
	f.StringVar(&folder, "folder", "", "the tasks of devices in this folder (id) and the folders below it")
	var ids []string
	filtered := func() bool { return state != "" || device != "" || model != "" || folder != "" }
	check := func() error {
		switch {
		case rollout != "" && (len(ids) > 0 || filtered()):
			return usagef(f, "--rollout goes alone: no task ids nor filters with it")
		case len(ids) > 0 && filtered():
			return usagef(f, "give task ids or filters, not both")
		case len(ids) == 0 && rollout == "" && !filtered():
			return usagef(f, "say which tasks: task ids, --rollout R, or filters (--device, --model, --folder, --state)")
		case state != "":
			return checkStates(f, state)
		}
		return nil
	}
	pos, err := e.parse(f, args, 0, 1000)
	if err != nil {
		return err
	}
	ids = pos
	if err := check(); err != nil {
		return err
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	o, err := e.org(ctx, c, f, orgID)
	if err != nil {
		return err
	}
	w := &watched{c: c, org: o, ids: ids}
	if len(ids) == 0 {
		q := url.Values{"limit": {"1000"}}
		if rollout != "" {
			q.Set("rollout", rollout)
		}
		for k, v := range map[string]string{"device": device, "model": model, "folder": folder} {
			if v != "" {
				q.Set(k, v)
			}
		}
		first := url.Values{}
		for k, v := range q {
			first[k] = v
		}
		switch {
		case state != "":
			first.Set("state", state)
		case rollout == "":
			first.Set("state", activeStates)
		}
		ts, err := w.list(ctx, first)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			fmt.Fprintln(e.errw, "No task to watch.")
			return nil
		}
		// Oldest first; later readings need only what was created since the
		// oldest (the list's times are to the second at least).
		sort.SliceStable(ts, func(i, j int) bool { return ts[i].CreatedAt.Before(ts[j].CreatedAt) })
		for _, t := range ts {
			w.ids = append(w.ids, t.ID)
		}
		q.Set("since", ts[0].CreatedAt.UTC().Truncate(time.Second).Format(time.RFC3339))
		w.query = q
	}
	return e.watch(ctx, w)
}

// watch reads the tasks until every one is done, drawing them each time.
func (e *env) watch(ctx context.Context, w *watched) error {
	last := map[string]string{} // the line last printed per task (plain output)
	drawn := 0                  // lines drawn last time (terminal)
	for {
		ts, err := w.read(ctx)
		if err != nil {
			return err
		}
		lines := make([]string, 0, len(w.ids))
		done, failed := 0, 0
		width := 0
		for _, id := range w.ids {
			if t, ok := ts[id]; ok && len(clean(t.Serial)) > width {
				width = len(clean(t.Serial))
			}
		}
		for _, id := range w.ids {
			t, ok := ts[id]
			if !ok {
				// Out of sight now (the device moved out of the caller's
				// folders, or it was removed): nothing more to wait for.
				done++
				continue
			}
			if taskDone(t) {
				done++
			}
			if t.State == "failed" {
				failed++
			}
			lines = append(lines, watchLine(t, width))
		}
		if e.outTerminal {
			if drawn > 0 {
				fmt.Fprintf(e.out, "\x1b[%dA", drawn)
			}
			for _, l := range lines {
				fmt.Fprintf(e.out, "\x1b[2K%s\n", l)
			}
			drawn = len(lines)
		} else {
			for i, id := range w.ids {
				if i < len(lines) && last[id] != lines[i] {
					last[id] = lines[i]
					fmt.Fprintln(e.out, lines[i])
				}
			}
		}
		if done == len(w.ids) {
			if failed > 0 {
				return fmt.Errorf("%d of %s failed (see 'mysystems tasks list --org %s --state failed')", failed,
					plural(len(w.ids), "upgrade", "upgrades"), clean(w.org))
			}
			fmt.Fprintf(e.errw, "All %s done.\n", plural(len(w.ids), "upgrade", "upgrades"))
			return nil
		}
		if err := watchWait(ctx); err != nil {
			return err
		}
	}
}

// barWidth is the number of cells of a progress bar.
const barWidth = 20

// watchLine is a task as a watch shows it: serial, bar, state and versions.
func watchLine(t api.TaskJSON, width int) string {
	filled := 0
	switch t.State {
	case "downloading":
		// The download is the first half of the way, installing the second.
		filled = t.Percent * barWidth / 200
	case "installing":
		filled = barWidth / 2
		if t.Stage == "rebooting" {
			filled = barWidth * 3 / 4
		}
	case "succeeded":
		filled = barWidth
	}
	bar := "[" + strings.Repeat("#", filled) + strings.Repeat("-", barWidth-filled) + "]"
	serial := clean(t.Serial)
	line := fmt.Sprintf("%-*s  %s  %-24s %s -> %s", width, serial, bar, taskProgress(t), clean(t.From), clean(t.To))
	if t.Reason != "" && taskDone(t) {
		line += ": " + clean(t.Reason)
	}
	return line + "  (" + clean(t.ID) + ")"
}

// ringName is only for the tables: a ring number, or "-".
func ringName(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}
