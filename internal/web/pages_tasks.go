package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/device"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
	"mysystems/internal/org"
	"mysystems/internal/upgrade"
)

// tasksPageSize is the number of tasks on one page of the task list.
const tasksPageSize = 50

// taskFilterParams are the task list's filters in its URL (the API's,
// upgrade.ParseTaskFilter), in the order links keep them.
var taskFilterParams = []string{"state", "model", "folder", "since", "until", "device", "rollout"}

// unfinishedStates is the task list's "not finished" choice.
const unfinishedStates = "queued,scheduled,downloading,installing"

// taskRow is a task as the task list shows it, and as its JSON refreshes it
// live (FW-5).
type taskRow struct {
	ID, DeviceID, DeviceHref, Serial, Model, Folder string
	From, To                                        string
	State, StateLabel                               string
	// Progress is what the device reported last, in words ("Downloading
	// 40 %"); Percent the share downloaded, shown as a bar while
	// downloading.
	Progress    string
	Percent     int
	ShowPercent bool
	Reason      string
	// DeviceWords are the device's own words when it said why it failed
	// (English, as devices speak; quoted, not translated).
	DeviceWords string
	// Waiting says when a queued task may start (its maintenance window).
	Waiting               string
	StartedBy             string
	Created               time.Time
	Finished              *time.Time
	RolloutHref           string
	Ring                  int
	Done                  bool
	CanCancel, CanRetry   bool
	CancelHref, RetryHref string
}

func (c *call) taskRow(tk upgrade.Task, t org.Tree) taskRow {
	manage := c.can(access.ManageUpgrades)
	base := c.orgURL("tasks/" + url.PathEscape(tk.ID))
	from := tk.From
	if from == fleet.FirmwareUnknown {
		from = c.t("devices.firmware.unknown")
	}
	r := taskRow{ID: tk.ID, DeviceID: tk.DeviceID, DeviceHref: c.deviceURL(tk.DeviceID), Serial: tk.Serial, Model: tk.Model,
		Folder: t.Path(tk.FolderID), From: from, To: tk.To, State: string(tk.State), StateLabel: c.t("upgrade.state." + string(tk.State)),
		Reason: tk.Reason.In(c.lang), StartedBy: tk.CreatedLabel, Created: tk.CreatedAt, Finished: tk.FinishedAt, Ring: tk.Ring,
		Done: tk.State.Done(), CanCancel: manage && tk.State.Cancelable(), CanRetry: manage && tk.State == upgrade.Failed,
		CancelHref: base + "/cancel", RetryHref: base + "/retry"}
	if tk.Reason.Key == upgrade.ReasonDevice && len(tk.Reason.Args) == 1 {
		r.Reason, r.DeviceWords = c.t("tasks.device.says"), fmt.Sprint(tk.Reason.Args[0])
	}
	if tk.Origin == upgrade.BySchedule && tk.CreatedLabel == "" {
		r.StartedBy = c.t("tasks.by.schedule")
	}
	if tk.RolloutID != "" {
		r.RolloutHref = c.orgURL("rollouts/" + url.PathEscape(tk.RolloutID))
	}
	if tk.State.Running() {
		switch tk.Stage {
		case device.StageDownloading:
			r.Progress, r.Percent, r.ShowPercent = c.t("tasks.stage.downloading", tk.Percent), tk.Percent, true
		case device.StageInstalling, device.StageRebooting:
			r.Progress = c.t("tasks.stage." + tk.Stage)
		default:
			r.Progress = c.t("tasks.stage.sent")
		}
	}
	if tk.State == upgrade.Queued {
		r.Waiting = c.t("tasks.waiting")
		if tk.NotBefore != nil && tk.NotBefore.After(c.now()) {
			r.Waiting = c.t("tasks.waiting.window", when(*tk.NotBefore))
		}
	}
	return r
}

// when is a time as pages show it, in UTC.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// tasksPage is the data of the task list.
type tasksPage struct {
	Tasks   []taskRow
	States  []option
	Folders []folderOption
	// Live is the JSON the page's script refreshes the rows from (with the
	// ids of the unfinished ones).
	Live                       string
	Next, First, Export, Clear string
	Filtered, CanManage        bool
	Rollout, Device            string // filters kept from a link
	Limits                     upgrade.Limits
	LimitsHref                 string
	Rollouts, Upgrades         string
}

// taskQuery reads the task list's filters and the values links keep.
func (c *call) taskQuery() (upgrade.TaskFilter, url.Values, error) {
	q := c.r.URL.Query()
	f, err := upgrade.ParseTaskFilter(q)
	// The API's messages name its codes; the page names its own fields.
	if e, ok := errs.As(err); ok {
		switch e.Field {
		case "state":
			err = errs.InvalidField("state", "tasks.err.state")
		case "since", "until":
			err = errs.InvalidField(e.Field, "tasks.err.date")
		}
	}
	keep := url.Values{}
	for _, k := range taskFilterParams {
		if s := strings.TrimSpace(q.Get(k)); s != "" {
			keep.Set(k, s)
		}
	}
	return f, keep, err
}

func withQuery(path string, q url.Values, extra ...string) string {
	v := url.Values{}
	for k, vs := range q {
		v[k] = vs
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if enc := v.Encode(); enc != "" {
		return path + "?" + enc
	}
	return path
}

// taskList is the Tasks page (FW-5): the upgrade tasks of the devices the
// member sees, newest first, filtered, a page at a time, with their
// progress followed live.
func (u *UI) taskList(c *call) {
	v := c.view("tasks.title", "tasks")
	f, q, ferr := c.taskQuery()
	for k := range q {
		v.Form[k] = q.Get(k)
	}
	base := c.orgURL("tasks")
	page := &tasksPage{Export: withQuery(c.orgURL("tasks/export.csv"), q), Clear: base, CanManage: c.can(access.ManageUpgrades),
		Rollout: q.Get("rollout"), Device: q.Get("device"), LimitsHref: c.orgURL("upgrade-limits"),
		Rollouts: c.orgURL("rollouts"), Upgrades: c.orgURL("upgrades")}
	page.Filtered = len(q) > 0
	states := []string{"", "tasks.state.any", unfinishedStates, "tasks.state.unfinished"}
	for _, s := range upgrade.States {
		states = append(states, string(s), "upgrade.state."+string(s))
	}
	page.States = c.options(q.Get("state"), states...)
	v.Data = page
	fs, err := c.folders()
	if err != nil {
		c.fail(err)
		return
	}
	page.Folders = folderOptions(fs, q.Get("folder"), "")
	if page.Limits, err = u.d.Upgrades.Limits(c.r.Context(), c.actor, c.org.ID); err != nil {
		c.fail(err)
		return
	}
	if ferr != nil {
		c.listFailed("tasks", v, ferr)
		return
	}
	p, err := audit.ParsePage(c.r.URL.Query())
	if err != nil {
		c.listFailed("tasks", v, err)
		return
	}
	p.Limit = tasksPageSize
	ts, next, t, err := u.d.Upgrades.Tasks(c.r.Context(), c.actor, c.org.ID, f, p)
	if err != nil {
		c.listFailed("tasks", v, err)
		return
	}
	live := false
	for _, tk := range ts {
		row := c.taskRow(tk, t)
		live = live || !row.Done
		page.Tasks = append(page.Tasks, row)
	}
	if next != "" {
		page.Next = withQuery(base, q, "cursor", next)
	}
	if p.Cursor != "" {
		page.First = withQuery(base, q)
	}
	page.Live = c.orgURL("tasks/progress")
	if live {
		v.Refresh = 10
	}
	c.render(http.StatusOK, "tasks", v)
}

// taskJSON is a task's row as the task list's script refreshes it.
type taskJSON struct {
	ID          string `json:"id"`
	State       string `json:"state"`
	StateLabel  string `json:"state_label"`
	Progress    string `json:"progress"`
	Percent     int    `json:"percent"`
	ShowPercent bool   `json:"show_percent"`
	Reason      string `json:"reason"`
	DeviceWords string `json:"device_words"`
	Waiting     string `json:"waiting"`
	Finished    string `json:"finished"`
	Done        bool   `json:"done"`
	CanCancel   bool   `json:"can_cancel"`
	CanRetry    bool   `json:"can_retry"`
}

// tasksJSON answers GET /orgs/{org}/tasks/progress?id=…&id=…: the state
// and progress of these tasks (at most a page of them), for the task list
// to follow them live. Tasks the caller does not see are left out.
func (u *UI) tasksJSON(c *call) {
	ids := c.r.URL.Query()["id"]
	if len(ids) > tasksPageSize {
		ids = ids[:tasksPageSize]
	}
	out := struct {
		Items []taskJSON `json:"items"`
	}{Items: []taskJSON{}}
	if len(ids) == 0 {
		c.writeJSON(http.StatusOK, out)
		return
	}
	t, err := u.d.Upgrades.Tree(c.r.Context(), c.actor, c.org.ID)
	if err != nil {
		c.jsonError(err)
		return
	}
	for _, id := range ids {
		tk, err := u.d.Upgrades.Task(c.r.Context(), c.actor, c.org.ID, id)
		if errs.Is(err, errs.NotFound) {
			continue
		}
		if err != nil {
			c.jsonError(err)
			return
		}
		r := c.taskRow(tk, t)
		j := taskJSON{ID: r.ID, State: r.State, StateLabel: r.StateLabel, Progress: r.Progress, Percent: r.Percent,
			ShowPercent: r.ShowPercent, Reason: r.Reason, DeviceWords: r.DeviceWords, Waiting: r.Waiting, Done: r.Done, CanCancel: r.CanCancel, CanRetry: r.CanRetry}
		if r.Finished != nil {
			j.Finished = when(*r.Finished)
		}
		out.Items = append(out.Items, j)
	}
	c.writeJSON(http.StatusOK, out)
}

// tasksCSV exports every task of the filtered list (FW-5), as the API does.
func (u *UI) tasksCSV(c *call) {
	f, _, err := c.taskQuery()
	if err != nil {
		c.fail(err)
		return
	}
	out := edge.NewCSV(c.w, "tasks-"+c.org.ID+".csv")
	if err := out.End(u.d.Log, c.r, u.d.Upgrades.Export(c.r.Context(), c.actor, c.org.ID, f, c.lang, out)); err != nil {
		c.fail(err)
	}
}

// taskActionPage is the data of a task's cancel and retry confirmations.
type taskActionPage struct {
	Task taskRow
	Back string
}

// taskActionView loads the task of the path for an Owner or Admin.
func (c *call) taskActionView(titleKey string) (*view, *taskActionPage, bool) {
	if !c.allowed(access.ManageUpgrades) {
		return nil, nil, false
	}
	tk, err := c.u.d.Upgrades.Task(c.r.Context(), c.actor, c.org.ID, c.r.PathValue("id"))
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	t, err := c.u.d.Upgrades.Tree(c.r.Context(), c.actor, c.org.ID)
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	v := c.view(titleKey, "tasks")
	page := &taskActionPage{Task: c.taskRow(tk, t), Back: c.tasksBack()}
	v.Data = page
	return v, page, true
}

// tasksBack is the task list to come back to: the "back" value when it is
// a task list of this organization, else the whole list.
func (c *call) tasksBack() string {
	back := c.r.URL.Query().Get("back")
	if c.r.Method == http.MethodPost {
		back = c.r.PostFormValue("back")
	}
	base := c.orgURL("tasks")
	if b := localPath(back); b == base || strings.HasPrefix(b, base+"?") {
		return b
	}
	return base
}

func (u *UI) cancelTaskForm(c *call) {
	if v, _, ok := c.taskActionView("tasks.cancel.title"); ok {
		c.render(http.StatusOK, "task_cancel", v)
	}
}

// cancelTask cancels a task that has not started installing (FW-5).
func (u *UI) cancelTask(c *call) {
	v, page, ok := c.taskActionView("tasks.cancel.title")
	if !ok {
		return
	}
	if _, err := u.d.Upgrades.Cancel(c.r.Context(), c.actor, c.org.ID, page.Task.ID); err != nil {
		c.failedTo("form.error.task.cancel", "task_cancel", v, err)
		return
	}
	c.flash("flash.task.canceled", page.Task.Serial)
	c.redirect(page.Back)
}

func (u *UI) retryTaskForm(c *call) {
	if v, _, ok := c.taskActionView("tasks.retry.title"); ok {
		c.render(http.StatusOK, "task_retry", v)
	}
}

// retryTask makes a new task to the same version for a failed one (FW-6).
func (u *UI) retryTask(c *call) {
	v, page, ok := c.taskActionView("tasks.retry.title")
	if !ok {
		return
	}
	if _, err := u.d.Upgrades.Retry(c.r.Context(), c.actor, c.org.ID, page.Task.ID); err != nil {
		c.failedTo("form.error.task.retry", "task_retry", v, err)
		return
	}
	c.flash("flash.task.retried", page.Task.Serial)
	c.redirect(page.Back)
}

// limitsPage is the data of the upgrade limits form.
type limitsPage struct {
	Limits upgrade.Limits
	Back   string
	Max    int
}

func (c *call) limitsView() (*view, *limitsPage, bool) {
	if !c.allowed(access.ManageUpgrades) {
		return nil, nil, false
	}
	l, err := c.u.d.Upgrades.Limits(c.r.Context(), c.actor, c.org.ID)
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	v := c.view("limits.title", "tasks")
	page := &limitsPage{Limits: l, Back: c.orgURL("tasks"), Max: upgrade.MaxLimit}
	v.Form["max_concurrent"], v.Form["max_per_site"] = strconv.Itoa(l.Org), strconv.Itoa(l.Site)
	v.Data = page
	return v, page, true
}

func (u *UI) limitsForm(c *call) {
	if v, _, ok := c.limitsView(); ok {
		c.render(http.StatusOK, "upgrade_limits", v)
	}
}

// saveLimits sets the organization's pacing limits (FW-7), for Owners and
// Admins.
func (u *UI) saveLimits(c *call) {
	v, page, ok := c.limitsView()
	if !ok {
		return
	}
	org, site := c.r.PostFormValue("max_concurrent"), c.r.PostFormValue("max_per_site")
	v.Form["max_concurrent"], v.Form["max_per_site"] = org, site
	n, err1 := strconv.Atoi(strings.TrimSpace(org))
	m, err2 := strconv.Atoi(strings.TrimSpace(site))
	l := upgrade.Limits{Org: n, Site: m}
	if err1 != nil {
		l.Org = -1
	}
	if err2 != nil {
		l.Site = -1
	}
	if _, err := u.d.Upgrades.SetLimits(c.r.Context(), c.actor, c.org.ID, l); err != nil {
		c.formFailed("upgrade_limits", v, err)
		return
	}
	c.flash("flash.limits.saved", "")
	c.redirect(page.Back)
}
