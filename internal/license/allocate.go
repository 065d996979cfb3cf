package license

import (
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// Plan is what an allocation would do (LIC-6, LIC-9): shown as a summary,
// then carried out as it is when confirmed.
type Plan struct {
	// Year is the subscription year (k) the licenses go to, Quantity how
	// many.
	Year     int
	Quantity int
	// Taken are the lots the licenses leave the wallet from.
	Taken []Taken
	// Compensation is the licenses credited back to the wallet (a new lot
	// entering on the allocation day), computed from day From (LIC-9);
	// zero, with From the year's first day, when none is due.
	Compensation int
	From         Date
	// EndsTrial is set when the allocation ends the product's trial
	// (LIC-5): After then has TrialEnded set to the allocation day and the
	// year's need recorded.
	EndsTrial bool
	// After is the product's subscription once the allocation is made,
	// View its status then.
	After Subscribed
	View  View
}

// PlanAllocation plans the allocation of quantity licenses from wallet w
// to the year ahead years after the current one (0: the current year; at
// most YearsAhead) of product s in period p, on day today, the product's
// current need being need.
//
// It refuses a year outside 0..YearsAhead (invalid, field "year"), a
// quantity that is not positive (invalid, field "quantity"), a product not
// started (conflict, LIC-1) and more than the wallet holds (conflict).
// Allocations to the current year earn compensation (see CompensationFrom);
// allocations ahead earn none. An allocation to the current year during
// the trial that brings it to at least the current need (and the year's
// recorded need) ends the trial.
func PlanAllocation(p Period, s Subscribed, w Stock, need, ahead, quantity int, today Date) (Plan, error) {
	if ahead < 0 || ahead > YearsAhead {
		return Plan{}, errs.InvalidField("year", "err.license.year", YearsAhead, ahead)
	}
	if quantity <= 0 {
		return Plan{}, errs.InvalidField("quantity", "err.license.quantity", quantity)
	}
	if !p.Started() || !s.IsStarted() || today.Before(s.Started) {
		return Plan{}, NotStartedError(w.Product)
	}
	taken, err := w.Take(quantity, today)
	if err != nil {
		return Plan{}, err
	}
	k := p.YearOf(today) + ahead
	plan := Plan{Year: k, Quantity: quantity, Taken: taken, From: p.YearStart(k), After: s.Clone()}
	y := plan.After.Years[k]
	y.Allocated += quantity
	if ahead == 0 {
		plan.From = CompensationFrom(p, s, today)
		plan.Compensation = Compensation(p, k, quantity, plan.From)
		if s.InTrial(today) && y.Allocated >= need && (!y.Recorded || y.Allocated >= y.Need) {
			plan.EndsTrial = true
			plan.After.TrialEnded = today
			if !y.Recorded {
				y.Need, y.Recorded = need, true
			}
		}
	}
	plan.After.Years[k] = y
	plan.View = Evaluate(p, plan.After, need, today)
	return plan, nil
}

// NotStartedError is the error for using the licenses of a product that
// has not started in the organization (LIC-1); product is its name.
func NotStartedError(product string) error {
	return errs.E(errs.Conflict, "err.license.not_started", i18n.Quoted(product))
}

// CompensationFrom returns the day t from which licenses allocated on day
// today to the current year of product s are counted (LIC-9):
//
//   - today, when it comes after the product's trial or the year's grace
//     period ended, that is after the last of their GraceDays (TrialDays)
//     days, even when an allocation made the product licensed earlier;
//   - else the product's start day, when the product started after the
//     year began;
//   - else the year's first day (no compensation).
//
// An allocation on the last day of a trial or grace period is within it.
func CompensationFrom(p Period, s Subscribed, today Date) Date {
	k := p.YearOf(today)
	start := p.YearStart(k)
	last := GraceLast(p, k)
	if k == s.FirstYear(p) {
		last = s.TrialLast()
	}
	switch {
	case today.After(last):
		return today
	case k == s.FirstYear(p) && s.Started.After(start):
		return s.Started
	}
	return start
}

// Compensation returns the licenses credited back for n licenses allocated
// to year k and counted from day t: floor(n × (t − year start) / days in
// the year) (LIC-9).
func Compensation(p Period, k, n int, t Date) int {
	d := t.Sub(p.YearStart(k))
	if n <= 0 || d <= 0 {
		return 0
	}
	return n * d / p.DaysInYear(k)
}
