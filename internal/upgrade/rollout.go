package upgrade

import (
	"slices"
	"strconv"
	"time"

	"mysystems/internal/errs"
)

// RolloutState is where a phased rollout is (FW-7).
type RolloutState string

// The states of a rollout.
const (
	RolloutRunning RolloutState = "running" // its current phase's tasks start
	RolloutSoaking RolloutState = "soaking" // the first ring is done; the rest waits for the soak time
	RolloutPaused  RolloutState = "paused"  // nothing new starts until resumed
	RolloutAborted RolloutState = "aborted" // its tasks not yet installing were canceled
	RolloutDone    RolloutState = "done"
)

// Rollout is a phased rollout over the tasks of one upgrade request: a
// first ring (a count, a percentage, or a folder's devices), a soak time once
// it is done, then the rest; it pauses by itself when more than
// FailurePercent of a ring's tasks failed.
type Rollout struct {
	ID      string
	OrgID   string
	State   RolloutState
	Phase   int // 1: the first ring, 2: the rest
	Ring    RingSpec
	Reason  Reason
	SoakEnd *time.Time
	// ResumedPhase is the phase in which a person resumed a rollout the
	// failure rate paused: in that phase it does not pause again by itself.
	ResumedPhase            int
	CreatedBy, CreatedLabel string
	CreatedAt, UpdatedAt    time.Time
	FinishedAt              *time.Time
}

// RingSpec says how a rollout is phased: one of Count, Percent or Folder
// picks the first ring; Soak is the wait between the first ring's end and
// the rest; FailurePercent the failure rate that pauses it.
type RingSpec struct {
	Count          int
	Percent        int
	Folder         string
	Soak           time.Duration
	FailurePercent int
}

// Rollout defaults and bounds.
const (
	DefaultSoak           = time.Hour
	DefaultFailurePercent = 10
	MaxSoak               = 30 * 24 * time.Hour
)

// Check validates a ring specification, filling defaults.
func (s *RingSpec) Check() error {
	n := 0
	if s.Count > 0 {
		n++
	}
	if s.Percent > 0 {
		n++
	}
	if s.Folder != "" {
		n++
	}
	switch {
	case s.Count < 0:
		return errs.InvalidField("rollout.ring_count", "err.rollout.count")
	case s.Percent < 0 || s.Percent > 99:
		return errs.InvalidField("rollout.ring_percent", "err.rollout.percent")
	case n != 1:
		return errs.InvalidField("rollout", "err.rollout.ring_one")
	case s.Soak < 0 || s.Soak > MaxSoak:
		return errs.InvalidField("rollout.soak_minutes", "err.rollout.soak", strconv.Itoa(int(MaxSoak/time.Hour/24)))
	case s.FailurePercent < 0 || s.FailurePercent > 100:
		return errs.InvalidField("rollout.failure_percent", "err.rollout.failure_percent")
	}
	if s.FailurePercent == 0 {
		s.FailurePercent = DefaultFailurePercent
	}
	return nil
}

// AssignRings puts each task in ring 1 or 2. With a folder, ring 1 is the
// tasks whose device is in it (inFolder); with a count or a percentage
// (rounded up, at least one), the first tasks in the order given, spread
// over sites: one task of each site in turn. It refuses a split that leaves
// a ring empty.
func AssignRings(tasks []*Task, siteOf func(*Task) string, spec RingSpec, inFolder func(*Task) bool) error {
	if len(tasks) < 2 {
		return errs.InvalidField("rollout", "err.rollout.too_few")
	}
	first := 0
	if spec.Folder != "" {
		for _, t := range tasks {
			t.Ring = 2
			if inFolder(t) {
				t.Ring = 1
				first++
			}
		}
	} else {
		n := spec.Count
		if spec.Percent > 0 {
			n = max(1, (len(tasks)*spec.Percent+99)/100)
		}
		if n >= len(tasks) {
			return errs.InvalidField("rollout.ring_count", "err.rollout.ring_all", len(tasks))
		}
		// Round-robin over sites, so the first ring samples every site.
		var sites []string
		bySite := map[string][]*Task{}
		for _, t := range tasks {
			s := siteOf(t)
			if _, ok := bySite[s]; !ok {
				sites = append(sites, s)
			}
			bySite[s] = append(bySite[s], t)
			t.Ring = 2
		}
		slices.Sort(sites)
		for i := 0; first < n; i++ {
			for _, s := range sites {
				if i < len(bySite[s]) && first < n {
					bySite[s][i].Ring = 1
					first++
				}
			}
		}
	}
	if first == 0 || first == len(tasks) {
		return errs.InvalidField("rollout.ring_folder", "err.rollout.ring_folder_split")
	}
	return nil
}

// RingCount is the tally of one ring's tasks.
type RingCount struct {
	Total, Done, Failed int
}

// Starts reports whether tasks of ring may start now.
func (r *Rollout) Starts(ring int) bool {
	return r.State == RolloutRunning && ring <= r.Phase
}

// Advance moves the rollout on from its rings' tallies: it pauses when a
// ring's failures pass the threshold (failed tasks over the ring's size),
// soaks when the first ring is done, starts the rest after the soak, and is
// done when every task is. It reports whether it changed.
func (r *Rollout) Advance(rings [3]RingCount, now time.Time) bool {
	over := func(c RingCount) bool {
		return c.Total > 0 && c.Failed*100 > r.Ring.FailurePercent*c.Total
	}
	switch r.State {
	case RolloutRunning:
		cur := rings[r.Phase]
		if r.ResumedPhase != r.Phase && over(cur) {
			r.State, r.Reason = RolloutPaused, Because("rollout.reason.failures", strconv.Itoa(cur.Failed), strconv.Itoa(cur.Total), strconv.Itoa(r.Ring.FailurePercent))
			r.UpdatedAt = now
			return true
		}
		if cur.Done < cur.Total {
			return false
		}
		if r.Phase == 1 {
			end := now.Add(r.Ring.Soak)
			r.State, r.SoakEnd, r.UpdatedAt = RolloutSoaking, &end, now
			return true
		}
		r.State, r.FinishedAt, r.UpdatedAt = RolloutDone, &now, now
		return true
	case RolloutSoaking:
		if r.SoakEnd != nil && now.Before(*r.SoakEnd) {
			return false
		}
		r.State, r.Phase, r.UpdatedAt = RolloutRunning, 2, now
		return true
	}
	return false
}

// Pause stops new starts (an Owner or Admin; the service checks who).
func (r *Rollout) Pause(who string, now time.Time) error {
	if r.State != RolloutRunning && r.State != RolloutSoaking {
		return errs.E(errs.Conflict, "err.rollout.not_running")
	}
	r.State, r.Reason, r.UpdatedAt = RolloutPaused, Because("rollout.reason.paused_by", who), now
	return nil
}

// Resume lets a paused rollout go on; a pause for failures is overruled for
// the rest of the phase.
func (r *Rollout) Resume(now time.Time) error {
	if r.State != RolloutPaused {
		return errs.E(errs.Conflict, "err.rollout.not_paused")
	}
	r.State, r.Reason, r.ResumedPhase, r.UpdatedAt = RolloutRunning, Reason{}, r.Phase, now
	if r.SoakEnd != nil && r.Phase == 1 {
		r.State = RolloutSoaking // paused while soaking: the soak goes on
	}
	return nil
}

// Abort ends the rollout: its tasks that have not started installing are
// canceled by the caller.
func (r *Rollout) Abort(who string, now time.Time) error {
	if r.State == RolloutDone || r.State == RolloutAborted {
		return errs.E(errs.Conflict, "err.rollout.finished")
	}
	r.State, r.Reason, r.UpdatedAt, r.FinishedAt = RolloutAborted, Because("rollout.reason.aborted_by", who), now, &now
	return nil
}
