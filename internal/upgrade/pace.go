package upgrade

import "mysystems/internal/errs"

// Limits bound concurrent upgrades (FW-7): in the whole organization and in
// each site folder. A task counts while it is scheduled, downloading or
// installing. Zero is no limit.
type Limits struct {
	Org  int
	Site int
}

// DefaultLimits are an organization's limits until an Admin changes them:
// 200 devices upgrading at once in the organization and 20 in any one site.
// A site's devices often share one uplink, and an image is tens of megabytes.
var DefaultLimits = Limits{Org: 200, Site: 20}

// MaxLimit bounds a limit an Admin may set.
const MaxLimit = 100000

// Check validates limits an Admin sets (each at least 1).
func (l Limits) Check() error {
	if l.Org < 1 || l.Org > MaxLimit {
		return errs.InvalidField("max_concurrent", "err.upgrade.limit", MaxLimit)
	}
	if l.Site < 1 || l.Site > MaxLimit {
		return errs.InvalidField("max_per_site", "err.upgrade.limit", MaxLimit)
	}
	return nil
}

// SiteOf is the site folder of a folder whose path from the root is
// ancestry (root first): the top-level folder it is in, or the root itself
// for devices kept at the top.
func SiteOf(ancestry []string) string {
	switch len(ancestry) {
	case 0:
		return ""
	case 1:
		return ancestry[0]
	}
	return ancestry[1]
}

// Candidate is a queued task the dispatcher may start, with its device's
// site and whether the device is online.
type Candidate struct {
	Task   *Task
	Site   string
	Online bool
}

// Pick chooses, in order, the candidates to start now under the limits,
// given how many tasks run already in the organization and per site. Only
// online devices are started: a task for an offline device waits for it to
// come back (FW-3). The counts are updated with what was picked.
func Pick(cands []Candidate, lim Limits, running int, perSite map[string]int) []*Task {
	var out []*Task
	for _, c := range cands {
		if lim.Org > 0 && running >= lim.Org {
			break
		}
		if !c.Online || lim.Site > 0 && perSite[c.Site] >= lim.Site {
			continue
		}
		out = append(out, c.Task)
		running++
		perSite[c.Site]++
	}
	return out
}
