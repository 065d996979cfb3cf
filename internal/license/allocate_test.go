package license

import (
	"testing"

	"mysystems/internal/errs"
)

func wallet(n int, entered string) Stock {
	return Stock{Product: "Edge", Lots: []Lot{NewLot("l1", "p", n, day(entered), FromKey)}}
}

func TestLIC6_PlanAllocation(t *testing.T) {
	s := sub("2023-06-15", map[int]Year{0: {Allocated: 5, Need: 5, Recorded: true}})
	w := wallet(20, "2023-06-01")
	today := day("2023-09-01")
	errTests := []struct {
		name       string
		p          Period
		s          Subscribed
		ahead, n   int
		code       errs.Code
		field, key string
	}{
		{"ErrYear/before the current year", org2023, s, -1, 1, errs.Invalid, "year", "err.license.year"},
		{"ErrYear/six years ahead", org2023, s, 6, 1, errs.Invalid, "year", "err.license.year"},
		{"ErrQuantity/zero", org2023, s, 0, 0, errs.Invalid, "quantity", "err.license.quantity"},
		{"ErrQuantity/negative", org2023, s, 0, -2, errs.Invalid, "quantity", "err.license.quantity"},
		{"ErrNotStarted/LIC-1", org2023, Subscribed{}, 0, 1, errs.Conflict, "", "err.license.not_started"},
		{"ErrNotStarted/no period", Period{}, Subscribed{}, 0, 1, errs.Conflict, "", "err.license.not_started"},
		{"ErrWalletShort/LIC-6", org2023, s, 0, 21, errs.Conflict, "", "err.license.wallet_short"},
		{"ErrWalletShort/ahead too", org2023, s, 5, 21, errs.Conflict, "", "err.license.wallet_short"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PlanAllocation(tt.p, tt.s, w, 5, tt.ahead, tt.n, today)
			e, ok := errs.As(err)
			if !ok || e.Code != tt.code || e.Field != tt.field || e.Key != tt.key {
				t.Fatalf("got %v, want %s %s on %q", err, tt.code, tt.key, tt.field)
			}
			if e.In("fr") == e.Message {
				t.Errorf("no French message: %q", e.Message)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		for ahead := 0; ahead <= YearsAhead; ahead++ {
			plan, err := PlanAllocation(org2023, s, w, 5, ahead, 20, today)
			if err != nil {
				t.Fatalf("ahead %d: %v", ahead, err)
			}
			if plan.Year != ahead || plan.Quantity != 20 || len(plan.Taken) != 1 || plan.Taken[0] != (Taken{"l1", 20}) {
				t.Errorf("ahead %d: plan %+v", ahead, plan)
			}
			if got := plan.After.Year(ahead).Allocated; got != s.Year(ahead).Allocated+20 {
				t.Errorf("ahead %d: %d allocated after", ahead, got)
			}
			if s.Year(ahead).Allocated != map[int]int{0: 5}[ahead] {
				t.Errorf("ahead %d: the plan changed the subscription it was given", ahead)
			}
		}
	})
}

// TestLIC6_AheadAcrossLeapYears: years ahead are counted from the current
// year and begin on the anchor's anniversaries, 28 or 29 February.
func TestLIC6_AheadAcrossLeapYears(t *testing.T) {
	p := Period{Anchor: day("2024-02-29")}
	s := sub("2024-02-29", map[int]Year{3: {Need: 2, Recorded: true}})
	w := wallet(50, "2027-01-01")
	tests := []struct {
		today       string
		ahead, year int
		start, end  string
	}{
		{"2027-03-10", 0, 3, "2027-02-28", "2028-02-28"},
		{"2027-03-10", 1, 4, "2028-02-29", "2029-02-27"},
		{"2027-03-10", 4, 7, "2031-02-28", "2032-02-28"},
		{"2027-03-10", 5, 8, "2032-02-29", "2033-02-27"},
		{"2028-02-28", 5, 8, "2032-02-29", "2033-02-27"}, // still year 3
		{"2028-02-29", 5, 9, "2033-02-28", "2034-02-27"},
	}
	for _, tt := range tests {
		t.Run("LIC-6/"+tt.today, func(t *testing.T) {
			plan, err := PlanAllocation(p, s, w, 2, tt.ahead, 7, day(tt.today))
			if err != nil {
				t.Fatal(err)
			}
			if plan.Year != tt.year || p.YearStart(plan.Year) != day(tt.start) || p.YearEnd(plan.Year) != day(tt.end) {
				t.Errorf("ahead %d: year %d %s..%s, want %d %s..%s", tt.ahead, plan.Year, p.YearStart(plan.Year), p.YearEnd(plan.Year), tt.year, tt.start, tt.end)
			}
			if tt.ahead > 0 && plan.View.Ahead[tt.ahead-1] != 7 {
				t.Errorf("view ahead %v, want 7 at %d", plan.View.Ahead, tt.ahead-1)
			}
			if tt.ahead > 0 && (plan.Compensation != 0 || plan.From != day(tt.start)) {
				t.Errorf("ahead %d: compensation %d from %s, want none", tt.ahead, plan.Compensation, plan.From)
			}
		})
	}
}

func TestLIC9_CompensationExact(t *testing.T) {
	p := Period{Anchor: day("2022-06-15")} // year 0: 365 days; year 1 holds 29 February 2024: 366
	tests := []struct {
		name   string
		k, n   int
		offset int // t − year start
		want   int
	}{
		{"LIC-9/12 licenses, 100 days into 365", 0, 12, 100, 3},
		{"LIC-9/12 licenses, 100 days into 366", 1, 12, 100, 3},
		{"LIC-9/365 licenses, 1 day into 365", 0, 365, 1, 1},
		{"LIC-9/365 licenses, 1 day into 366", 1, 365, 1, 0},
		{"LIC-9/366 licenses, 183 days into 366", 1, 366, 183, 183},
		{"LIC-9/10 licenses, the last day of 365", 0, 10, 364, 9},
		{"LIC-9/1 license never earns any", 0, 1, 364, 0},
		{"LIC-9/t is the year start", 0, 50, 0, 0},
		{"LIC-9/73 licenses, 5 days into 365", 0, 73, 5, 1},
		{"LIC-9/73 licenses, 4 days into 365", 0, 73, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Compensation(p, tt.k, tt.n, p.YearStart(tt.k).AddDays(tt.offset)); got != tt.want {
				t.Errorf("Compensation(%d, +%d days of %d) = %d, want %d", tt.n, tt.offset, p.DaysInYear(tt.k), got, tt.want)
			}
		})
	}
}

// TestLIC9_CompensationAfterGrace: the day compensation counts from, for
// allocations to the current year, around trials and grace periods.
func TestLIC9_CompensationAfterGrace(t *testing.T) {
	// org2023: year 0 2023-06-15..2024-06-14 (366 days), year 1 from
	// 2024-06-15 (365 days), grace of year 1 2024-06-15..2024-07-14.
	y := func(alloc, need int) Year { return Year{Allocated: alloc, Need: need, Recorded: true} }
	old := map[int]Year{0: y(12, 12), 1: y(0, 12)}
	tests := []struct {
		name  string
		s     Subscribed
		today string
		from  string
		comp  int // of 12
	}{
		{"LIC-9/during grace", sub("2023-06-15", old), "2024-06-20", "2024-06-15", 0},
		{"LIC-9/last day of grace", sub("2023-06-15", old), "2024-07-14", "2024-06-15", 0},
		{"LIC-9/after grace", sub("2023-06-15", old), "2024-07-15", "2024-07-15", 12 * 30 / 365},
		{"LIC-9/long after grace", sub("2023-06-15", old), "2024-09-23", "2024-09-23", 12 * 100 / 365},
		{"LIC-9/licensed at the renewal, within its first 30 days", sub("2023-06-15", map[int]Year{1: y(12, 12)}), "2024-07-01", "2024-06-15", 0},
		{"LIC-9/licensed at the renewal, after its first 30 days", sub("2023-06-15", map[int]Year{1: y(12, 12)}), "2024-09-23", "2024-09-23", 3},
		{"LIC-9/product started on the year start, in trial", sub("2023-06-15", nil), "2023-06-20", "2023-06-15", 0},
		{"LIC-9/product started on the year start, last day of trial", sub("2023-06-15", nil), "2023-07-14", "2023-06-15", 0},
		{"LIC-9/product started on the year start, after trial", sub("2023-06-15", nil), "2023-07-15", "2023-07-15", 12 * 30 / 366},
		{"LIC-9/product started later, in trial", sub("2023-09-23", nil), "2023-09-30", "2023-09-23", 12 * 100 / 366},
		{"LIC-9/product started later, last day of trial", sub("2023-09-23", nil), "2023-10-22", "2023-09-23", 12 * 100 / 366},
		{"LIC-9/product started later, after trial", sub("2023-09-23", nil), "2023-10-23", "2023-10-23", 12 * 130 / 366},
		{"LIC-9/trial ended early, later allocation in its 30 days", Subscribed{Product: "p", Started: day("2023-09-23"), TrialEnded: day("2023-09-25"), Years: map[int]Year{0: y(12, 12)}}, "2023-10-01", "2023-09-23", 3},
		{"LIC-4/product started on the anniversary", sub("2024-06-15", nil), "2024-06-20", "2024-06-15", 0},
		{"LIC-4/product started on the anniversary, after trial", sub("2024-06-15", nil), "2024-07-15", "2024-07-15", 12 * 30 / 365},
		{"LIC-9/trial running over the renewal, in the new year's first days", sub("2024-06-01", nil), "2024-06-20", "2024-06-15", 0},
		{"LIC-9/trial running over the renewal, after the grace", sub("2024-06-01", nil), "2024-07-15", "2024-07-15", 12 * 30 / 365},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wallet(12, "2023-06-01")
			plan, err := PlanAllocation(org2023, tt.s, w, 12, 0, 12, day(tt.today))
			if err != nil {
				t.Fatal(err)
			}
			if plan.From != day(tt.from) || plan.Compensation != tt.comp {
				t.Errorf("compensation %d from %s, want %d from %s", plan.Compensation, plan.From, tt.comp, tt.from)
			}
		})
	}
}

func TestLIC5_AllocationEndsTrial(t *testing.T) {
	w := wallet(30, "2023-06-01")
	s := sub("2023-09-23", nil) // trial 2023-09-23..2023-10-22
	tests := []struct {
		name     string
		s        Subscribed
		need     int
		ahead, n int
		today    string
		ends     bool
		status   Status
	}{
		{"LIC-5/the need allocated ends the trial", s, 10, 0, 10, "2023-09-30", true, Licensed},
		{"LIC-5/more than the need ends it too", s, 10, 0, 15, "2023-09-30", true, Licensed},
		{"LIC-5/less than the need does not", s, 10, 0, 9, "2023-09-30", false, Trial},
		{"LIC-5/on the trial's last day", s, 10, 0, 10, "2023-10-22", true, Licensed},
		{"LIC-5/on the start day", s, 10, 0, 10, "2023-09-23", true, Licensed},
		{"LIC-5/years ahead do not end it", s, 10, 1, 10, "2023-09-30", false, Trial},
		{"LIC-5/with what was allocated before", sub("2023-09-23", map[int]Year{0: {Allocated: 6}}), 10, 0, 4, "2023-09-30", true, Licensed},
		{"LIC-5/after the trial: licensed, no trial to end", s, 10, 0, 10, "2023-10-23", false, Licensed},
		{"LIC-5/after the trial, short: unlicensed", s, 10, 0, 5, "2023-10-23", false, Unlicensed},
		{"LIC-5/trial over a renewal: the year's recorded need counts", sub("2024-06-01", map[int]Year{1: {Need: 12, Recorded: true}}), 10, 0, 10, "2024-06-20", false, Trial},
		{"LIC-5/trial over a renewal: both needs met", sub("2024-06-01", map[int]Year{1: {Need: 12, Recorded: true}}), 10, 0, 12, "2024-06-20", true, Licensed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := PlanAllocation(org2023, tt.s, w, tt.need, tt.ahead, tt.n, day(tt.today))
			if err != nil {
				t.Fatal(err)
			}
			if plan.EndsTrial != tt.ends || plan.View.Status != tt.status {
				t.Errorf("ends trial %v, status %s; want %v, %s", plan.EndsTrial, plan.View.Status, tt.ends, tt.status)
			}
			k := org2023.YearOf(day(tt.today))
			if tt.ends {
				if plan.After.TrialEnded != day(tt.today) {
					t.Errorf("trial ended %s, want %s", plan.After.TrialEnded, tt.today)
				}
				if y := plan.After.Year(k); !y.Recorded || y.Need != max(tt.need, tt.s.Year(k).Need) {
					t.Errorf("year %d after: %+v, want its need recorded", k, y)
				}
			} else if !plan.After.TrialEnded.IsZero() {
				t.Errorf("trial ended %s, want not", plan.After.TrialEnded)
			}
		})
	}
}

// TestLIC7_AllocationInGrace: allocating the need in grace, up to its last
// day, makes the product licensed with no compensation; the day after, it
// makes an unlicensed product licensed with compensation.
func TestLIC7_AllocationInGrace(t *testing.T) {
	s := sub("2023-06-15", map[int]Year{0: {Allocated: 8, Need: 8, Recorded: true}, 1: {Need: 8, Recorded: true}})
	w := wallet(20, "2024-01-01")
	for _, tt := range []struct {
		today  string
		before Status
		comp   int
	}{{"2024-06-15", Grace, 0}, {"2024-07-14", Grace, 0}, {"2024-07-15", Unlicensed, 8 * 30 / 365}} {
		t.Run("LIC-7/"+tt.today, func(t *testing.T) {
			if v := Evaluate(org2023, s, 8, day(tt.today)); v.Status != tt.before {
				t.Fatalf("before: %s, want %s", v.Status, tt.before)
			}
			plan, err := PlanAllocation(org2023, s, w, 8, 0, 8, day(tt.today))
			if err != nil {
				t.Fatal(err)
			}
			if plan.View.Status != Licensed || plan.Compensation != tt.comp || plan.EndsTrial {
				t.Errorf("after: %s, compensation %d, ends trial %v; want licensed, %d", plan.View.Status, plan.Compensation, plan.EndsTrial, tt.comp)
			}
		})
	}
}
