package license

import "time"

// Period is an organization's one subscription period (LIC-4). The first
// product started sets its Anchor; subscription year k runs from
// YearStart(k) to the day before YearStart(k+1), and these dates never move.
//
// An anchor on 29 February has its anniversary on 28 February in years
// that have no 29 February, so every year begins on the anchor's month
// and day or the closest day before it, and years never overlap or leave a
// gap: year k is [YearStart(k), YearStart(k+1)).
type Period struct {
	// Anchor is the day the organization's first product started; the
	// zero Date while none has.
	Anchor Date
}

// Started reports whether the organization has started a product, and so
// has a period.
func (p Period) Started() bool { return !p.Anchor.IsZero() }

// YearStart returns the first day of year k: the anchor plus k years.
func (p Period) YearStart(k int) Date { return addYears(p.Anchor, k) }

// YearEnd returns the last day of year k (the day before the next
// renewal).
func (p Period) YearEnd(k int) Date { return p.YearStart(k + 1).AddDays(-1) }

// DaysInYear returns the number of days of year k: 365 or 366.
func (p Period) DaysInYear(k int) int { return p.YearStart(k + 1).Sub(p.YearStart(k)) }

// YearOf returns the year d falls in: the k with YearStart(k) ≤ d <
// YearStart(k+1). It is negative for a day before the anchor.
func (p Period) YearOf(d Date) int {
	k := d.Year - p.Anchor.Year
	for p.YearStart(k).After(d) {
		k--
	}
	for !p.YearStart(k + 1).After(d) {
		k++
	}
	return k
}

// NextRenewal returns the first renewal after d: the start of the year
// after the one d falls in.
func (p Period) NextRenewal(d Date) Date { return p.YearStart(p.YearOf(d) + 1) }

// addYears returns d n years later, on 28 February when d is 29 February
// and the year reached has none.
func addYears(d Date, n int) Date {
	y := d.Year + n
	if d.Month == time.February && d.Day == 29 && !isLeap(y) {
		return Date{y, time.February, 28}
	}
	return Date{y, d.Month, d.Day}
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
