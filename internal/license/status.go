package license

// Year is what a started product has for one subscription year (LIC-6,
// LIC-7).
type Year struct {
	// Allocated is the licenses allocated to the year.
	Allocated int
	// Need is the year's need, recorded when the year began for the
	// product (Recorded): the need on the renewal day (LIC-7) or, for the
	// year the product started in, the need when its trial ended.
	Need     int
	Recorded bool
}

// Subscribed is a subscription product started in an organization
// (LIC-1, LIC-4). The zero Subscribed is a product not started.
type Subscribed struct {
	Product string
	// Started is the day the product started: the first day of its
	// trial.
	Started Date
	// TrialEnded is the day an allocation of the need ended the trial
	// early (LIC-5); the zero Date when the trial ran, or runs, its
	// course.
	TrialEnded Date
	// Years are the product's subscription years by k (0 is the year
	// beginning on the anchor); a year missing has nothing allocated and
	// no need recorded.
	Years map[int]Year
}

// IsStarted reports whether the product has started (LIC-1).
func (s Subscribed) IsStarted() bool { return !s.Started.IsZero() }

// Year returns what the product has for year k.
func (s Subscribed) Year(k int) Year { return s.Years[k] }

// TrialLast returns the last day of the product's 30-day trial as started:
// day 0 is the start day, so the trial gives TrialDays usable days, the
// last being Started + TrialDays − 1.
func (s Subscribed) TrialLast() Date { return s.Started.AddDays(TrialDays - 1) }

// InTrial reports whether day d is in the product's trial: from its start
// to its last day, unless an allocation ended it earlier (the day of that
// allocation is no longer trial).
func (s Subscribed) InTrial(d Date) bool {
	if !s.IsStarted() || d.Before(s.Started) || d.After(s.TrialLast()) {
		return false
	}
	return s.TrialEnded.IsZero() || d.Before(s.TrialEnded)
}

// Clone returns a copy of s that shares nothing with it.
func (s Subscribed) Clone() Subscribed {
	c := s
	c.Years = make(map[int]Year, len(s.Years))
	for k, y := range s.Years {
		c.Years[k] = y
	}
	return c
}

// Start returns the organization's period and the product's subscription
// after the product starts on day today (LIC-4): the first product started
// sets the anchor, a later one joins the current year. The caller refuses
// a product already started.
func Start(p Period, product string, today Date) (Period, Subscribed) {
	if !p.Started() {
		p.Anchor = today
	}
	return p, Subscribed{Product: product, Started: today, Years: map[int]Year{}}
}

// FirstYear returns the year the product started in.
func (s Subscribed) FirstYear(p Period) int { return p.YearOf(s.Started) }

// GraceLast returns the last day of the grace period of year k, which
// begins on the year's renewal day and lasts GraceDays days (LIC-7).
func GraceLast(p Period, k int) Date { return p.YearStart(k).AddDays(GraceDays - 1) }

// View is a product's license status on a given day, as the portal shows
// it (LIC-5).
type View struct {
	Status Status
	// DaysLeft is, in trial or grace, the days left counting the day
	// evaluated on (1 on the last day).
	DaysLeft int
	// Year is the current subscription year (k), YearStart and YearEnd its
	// first and last days; zero when the organization has no period.
	Year      int
	YearStart Date
	YearEnd   Date
	// TrialEnd is the last day of the product's 30-day trial (as started,
	// even when an allocation ended it earlier); GraceEnd the last day of
	// the grace period, set while the product is in grace.
	TrialEnd Date
	GraceEnd Date
	// Need is the current need; YearNeed the current year's need (as
	// recorded when the year began for the product, else the current
	// need).
	Need     int
	YearNeed int
	// Allocated is what is allocated to the current year, Ahead what is
	// allocated to each of the YearsAhead years after it.
	Allocated int
	Ahead     [YearsAhead]int
	Warnings  []Warning
}

// Warning returns the view's warning with code c, if any.
func (v View) Warning(c WarningCode) (Warning, bool) {
	for _, w := range v.Warnings {
		if w.Code == c {
			return w, true
		}
	}
	return Warning{}, false
}

// How many days before a renewal the renewal_due warning shows and the
// first reminder goes out, and when the last reminder goes out.
const (
	RenewalNoticeDays = 30
	RenewalLastNotice = 7
)

// Evaluate returns the status of product s in period p on day today, its
// current need being need (LIC-5, LIC-7, LIC-8):
//
//   - not_started before the product started;
//   - trial during its trial;
//   - licensed when what is allocated to the current year is at least the
//     year's need;
//   - grace during the first GraceDays days of a year the product did not
//     start in (from the renewal day), when not licensed;
//   - unlicensed otherwise, until enough is allocated.
//
// Warnings: growth_limit_exceeded while licensed and the current need is
// over GrowthFactor × allocated (Quantity: need − 2 × allocated);
// renewal_due from RenewalNoticeDays days before the next renewal when less
// than the current need is allocated to the next year (Days: days until the
// renewal; Quantity: what is missing).
func Evaluate(p Period, s Subscribed, need int, today Date) View {
	v := View{Status: NotStarted, Need: need, YearNeed: need}
	if !p.Started() {
		return v
	}
	k := p.YearOf(today)
	v.Year, v.YearStart, v.YearEnd = k, p.YearStart(k), p.YearEnd(k)
	if !s.IsStarted() || today.Before(s.Started) {
		return v
	}
	y := s.Year(k)
	v.Allocated = y.Allocated
	for i := range v.Ahead {
		v.Ahead[i] = s.Year(k + 1 + i).Allocated
	}
	if y.Recorded {
		v.YearNeed = y.Need
	}
	v.TrialEnd = s.TrialLast()
	switch {
	case s.InTrial(today):
		v.Status, v.DaysLeft = Trial, v.TrialEnd.Sub(today)+1
	case y.Allocated >= v.YearNeed:
		v.Status = Licensed
	case k > s.FirstYear(p) && !today.After(GraceLast(p, k)):
		v.GraceEnd = GraceLast(p, k)
		v.Status, v.DaysLeft = Grace, v.GraceEnd.Sub(today)+1
	default:
		v.Status = Unlicensed
	}
	if v.Status == Licensed && need > GrowthFactor*y.Allocated {
		v.Warnings = append(v.Warnings, Warning{Code: GrowthLimitExceeded, Quantity: need - GrowthFactor*y.Allocated})
	}
	if days := p.NextRenewal(today).Sub(today); days <= RenewalNoticeDays && s.Year(k+1).Allocated < need {
		v.Warnings = append(v.Warnings, Warning{Code: RenewalDue, Days: days, Quantity: need - s.Year(k+1).Allocated})
	}
	return v
}
