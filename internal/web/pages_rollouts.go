package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/upgrade"
)

// rolloutRow is a phased rollout as its list and its page show it (FW-7).
type rolloutRow struct {
	ID, State, StateLabel, Reason string
	Phase                         int
	FirstRing                     string // how the first ring was chosen, in words
	Soak                          string
	Threshold                     int
	SoakUntil                     *time.Time
	StartedBy                     string
	Created                       time.Time
	Finished                      *time.Time
	Rings                         []ringRow
	Href, Tasks                   string
	CanPause, CanResume, CanAbort bool
}

// ringRow is one ring's progress.
type ringRow struct {
	Ring, Total, Done, Failed, Percent int
}

func (c *call) rolloutRow(v upgrade.RolloutView, folderPath func(string) string) rolloutRow {
	r := v.Rollout
	manage := c.can(access.ManageUpgrades)
	row := rolloutRow{ID: r.ID, State: string(r.State), StateLabel: c.t("rollouts.state." + string(r.State)),
		Reason: r.Reason.In(c.lang), Phase: r.Phase, Threshold: r.Ring.FailurePercent, SoakUntil: r.SoakEnd,
		StartedBy: r.CreatedLabel, Created: r.CreatedAt, Finished: r.FinishedAt,
		Soak: c.duration(r.Ring.Soak), Href: c.orgURL("rollouts/" + url.PathEscape(r.ID)),
		Tasks:     c.orgURL("tasks") + "?rollout=" + url.QueryEscape(r.ID),
		CanPause:  manage && (r.State == upgrade.RolloutRunning || r.State == upgrade.RolloutSoaking),
		CanResume: manage && r.State == upgrade.RolloutPaused,
		CanAbort:  manage && r.State != upgrade.RolloutDone && r.State != upgrade.RolloutAborted}
	switch {
	case r.Ring.Count > 0:
		row.FirstRing = c.t("rollouts.ring.count", r.Ring.Count)
	case r.Ring.Percent > 0:
		row.FirstRing = c.t("rollouts.ring.percent", r.Ring.Percent)
	default:
		row.FirstRing = c.t("rollouts.ring.folder", folderPath(r.Ring.Folder))
	}
	for ring := 1; ring <= 2; ring++ {
		rc := v.Rings[ring]
		rr := ringRow{Ring: ring, Total: rc.Total, Done: rc.Done, Failed: rc.Failed}
		if rc.Total > 0 {
			rr.Percent = rc.Done * 100 / rc.Total
		}
		row.Rings = append(row.Rings, rr)
	}
	return row
}

// folderPaths names folders by their path in the organization's tree.
func (c *call) folderPaths(ctx context.Context) (func(string) string, error) {
	t, err := c.u.d.Upgrades.Tree(ctx, c.actor, c.org.ID)
	if err != nil {
		return nil, err
	}
	return t.Path, nil
}

// rolloutsPage is the data of the Rollouts page and of a rollout's page.
type rolloutsPage struct {
	Rollouts    []rolloutRow
	Rollout     *rolloutRow
	Next, First string
	Tasks, Back string
}

// rolloutList is the Rollouts page: the organization's phased rollouts,
// newest first, with their rings' progress (FW-7).
func (u *UI) rolloutList(c *call) {
	v := c.view("rollouts.title", "tasks")
	page := &rolloutsPage{Tasks: c.orgURL("tasks")}
	v.Data = page
	p, err := audit.ParsePage(c.r.URL.Query())
	if err != nil {
		c.listFailed("rollouts", v, err)
		return
	}
	p.Limit = 20
	rs, next, err := u.d.Upgrades.Rollouts(c.r.Context(), c.actor, c.org.ID, p)
	if err != nil {
		c.listFailed("rollouts", v, err)
		return
	}
	path, err := c.folderPaths(c.r.Context())
	if err != nil {
		c.fail(err)
		return
	}
	live := false
	for _, r := range rs {
		row := c.rolloutRow(r, path)
		live = live || row.Finished == nil
		page.Rollouts = append(page.Rollouts, row)
	}
	base := c.orgURL("rollouts")
	if next != "" {
		page.Next = base + "?cursor=" + url.QueryEscape(next)
	}
	if p.Cursor != "" {
		page.First = base
	}
	if live {
		v.Refresh = 10
	}
	c.render(http.StatusOK, "rollouts", v)
}

// rolloutView loads the rollout of the path.
func (c *call) rolloutView(titleKey string) (*view, *rolloutsPage, bool) {
	r, err := c.u.d.Upgrades.RolloutByID(c.r.Context(), c.actor, c.org.ID, c.r.PathValue("id"))
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	path, err := c.folderPaths(c.r.Context())
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	row := c.rolloutRow(r, path)
	v := c.view(titleKey, "tasks")
	v.Data = &rolloutsPage{Rollout: &row, Tasks: row.Tasks, Back: c.orgURL("rollouts")}
	return v, v.Data.(*rolloutsPage), true
}

// rolloutPage shows a rollout: its state, its rings' progress, and the
// actions an Owner or Admin may take (FW-7). Without JavaScript it reloads
// itself while the rollout goes on.
func (u *UI) rolloutPage(c *call) {
	v, page, ok := c.rolloutView("rollouts.view.title")
	if !ok {
		return
	}
	if page.Rollout.Finished == nil {
		v.Refresh = 10
	}
	c.render(http.StatusOK, "rollout", v)
}

// rolloutAct pauses or resumes a rollout and shows it again.
func (u *UI) rolloutAct(verb string) func(*call) {
	return func(c *call) {
		fn, flash := u.d.Upgrades.Pause, "flash.rollout.paused"
		if verb == "resume" {
			fn, flash = u.d.Upgrades.Resume, "flash.rollout.resumed"
		}
		r, err := fn(c.r.Context(), c.actor, c.org.ID, c.r.PathValue("id"))
		if err != nil {
			c.fail(err)
			return
		}
		c.flash(flash, "")
		c.redirect(c.orgURL("rollouts/" + url.PathEscape(r.ID)))
	}
}

func (u *UI) abortRolloutForm(c *call) {
	if !c.allowed(access.ManageUpgrades) {
		return
	}
	if v, _, ok := c.rolloutView("rollouts.abort.title"); ok {
		c.render(http.StatusOK, "rollout_abort", v)
	}
}

// abortRollout ends a rollout once the risk is acknowledged: its tasks
// that have not started installing are canceled (FW-7).
func (u *UI) abortRollout(c *call) {
	if !c.allowed(access.ManageUpgrades) {
		return
	}
	v, page, ok := c.rolloutView("rollouts.abort.title")
	if !ok {
		return
	}
	if !c.acknowledged("rollout_abort", v) {
		return
	}
	if _, err := u.d.Upgrades.Abort(c.r.Context(), c.actor, c.org.ID, page.Rollout.ID); err != nil {
		c.failedTo("form.error.rollout.abort", "rollout_abort", v, err)
		return
	}
	c.flash("flash.rollout.aborted", "")
	c.redirect(page.Rollout.Href)
}

// rolloutJSON is a rollout's progress as its page's script refreshes it.
type rolloutJSON struct {
	State      string         `json:"state"`
	StateLabel string         `json:"state_label"`
	Reason     string         `json:"reason"`
	Done       bool           `json:"done"`
	Rings      []ringJSONView `json:"rings"`
}

type ringJSONView struct {
	Ring  int    `json:"ring"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
	Text  string `json:"text"`
}

// rolloutProgress answers GET /orgs/{org}/rollouts/{id}/progress: the
// rollout's state and its rings' progress, for its page to follow live.
func (u *UI) rolloutProgress(c *call) {
	r, err := u.d.Upgrades.RolloutByID(c.r.Context(), c.actor, c.org.ID, c.r.PathValue("id"))
	if err != nil {
		c.jsonError(err)
		return
	}
	row := c.rolloutRow(r, func(string) string { return "" })
	out := rolloutJSON{State: row.State, StateLabel: row.StateLabel, Reason: row.Reason, Done: row.Finished != nil, Rings: []ringJSONView{}}
	for _, rr := range row.Rings {
		out.Rings = append(out.Rings, ringJSONView{Ring: rr.Ring, Done: rr.Done, Total: rr.Total,
			Text: c.t("rollouts.ring.progress", rr.Ring, rr.Done, rr.Total, rr.Failed)})
	}
	c.writeJSON(http.StatusOK, out)
}
