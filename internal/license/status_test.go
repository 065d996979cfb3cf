package license

import (
	"reflect"
	"testing"
)

// org2023 is an organization whose period began on 2023-06-15 (year 0:
// 2023-06-15..2024-06-14, 366 days; year 1 from 2024-06-15, 365 days).
var org2023 = Period{Anchor: day("2023-06-15")}

func sub(started string, years map[int]Year) Subscribed {
	if years == nil {
		years = map[int]Year{}
	}
	return Subscribed{Product: "p", Started: day(started), Years: years}
}

func TestLIC4_Start(t *testing.T) {
	t.Run("LIC-4/the first product sets the anchor", func(t *testing.T) {
		p, s := Start(Period{}, "edge", day("2024-02-29"))
		if p.Anchor != day("2024-02-29") || s.Started != day("2024-02-29") || s.Product != "edge" {
			t.Errorf("Start = %+v, %+v", p, s)
		}
	})
	t.Run("LIC-4/a later product joins the current year", func(t *testing.T) {
		p, s := Start(org2023, "dm", day("2025-01-10"))
		if p != org2023 {
			t.Errorf("anchor moved: %s", p.Anchor)
		}
		v := Evaluate(p, s, 3, day("2025-01-10"))
		if v.Year != 1 || v.YearStart != day("2024-06-15") || v.YearEnd != day("2025-06-14") {
			t.Errorf("view %+v, want year 1 2024-06-15..2025-06-14", v)
		}
	})
}

func TestLIC4_Trial(t *testing.T) {
	s := sub("2024-01-10", nil)
	tests := []struct {
		name, day string
		status    Status
		left      int
	}{
		{"LIC-4/the day before the start", "2024-01-09", NotStarted, 0},
		{"LIC-4/the start day is day 1 of 30", "2024-01-10", Trial, 30},
		{"LIC-4/day 2", "2024-01-11", Trial, 29},
		{"LIC-4/the 30th day is the trial's last", "2024-02-08", Trial, 1},
		{"LIC-4/the 31st day is past the trial", "2024-02-09", Unlicensed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Evaluate(org2023, s, 4, day(tt.day))
			if v.Status != tt.status || v.DaysLeft != tt.left {
				t.Errorf("on %s: %s with %d days left, want %s with %d", tt.day, v.Status, v.DaysLeft, tt.status, tt.left)
			}
			if tt.status != NotStarted && v.TrialEnd != day("2024-02-08") {
				t.Errorf("trial end %s, want 2024-02-08", v.TrialEnd)
			}
		})
	}
}

func TestLIC5_Status(t *testing.T) {
	y := func(alloc, need int) Year { return Year{Allocated: alloc, Need: need, Recorded: true} }
	tests := []struct {
		name   string
		p      Period
		s      Subscribed
		need   int
		today  string
		status Status
		left   int
		grace  string
	}{
		{"LIC-1/no period", Period{}, Subscribed{}, 3, "2024-01-01", NotStarted, 0, ""},
		{"LIC-1/product not started", org2023, Subscribed{}, 3, "2024-01-01", NotStarted, 0, ""},
		{"LIC-5/trial whatever is allocated", org2023, sub("2023-06-15", nil), 9, "2023-06-20", Trial, 25, ""},
		{"LIC-5/trial ended early by an allocation", org2023, Subscribed{Product: "p", Started: day("2023-06-15"), TrialEnded: day("2023-06-20"), Years: map[int]Year{0: y(9, 9)}}, 9, "2023-06-20", Licensed, 0, ""},
		{"LIC-5/still trial the day before it ended early", org2023, Subscribed{Product: "p", Started: day("2023-06-15"), TrialEnded: day("2023-06-20"), Years: map[int]Year{0: y(9, 9)}}, 9, "2023-06-19", Trial, 26, ""},
		{"LIC-5/after the trial, licensed with the need allocated", org2023, sub("2023-06-15", map[int]Year{0: y(5, 5)}), 5, "2023-08-01", Licensed, 0, ""},
		{"LIC-5/after the trial, more allocated than needed", org2023, sub("2023-06-15", map[int]Year{0: y(6, 5)}), 5, "2023-08-01", Licensed, 0, ""},
		{"LIC-5/after the trial, short of the need", org2023, sub("2023-06-15", map[int]Year{0: y(4, 5)}), 5, "2023-08-01", Unlicensed, 0, ""},
		{"LIC-5/need not yet recorded: the current need counts", org2023, sub("2023-06-15", map[int]Year{0: {Allocated: 4}}), 5, "2023-08-01", Unlicensed, 0, ""},
		{"LIC-5/need zero needs nothing", org2023, sub("2023-06-15", map[int]Year{0: y(0, 0)}), 0, "2023-08-01", Licensed, 0, ""},
		{"LIC-8/growth does not change the status", org2023, sub("2023-06-15", map[int]Year{0: y(5, 5)}), 40, "2023-08-01", Licensed, 0, ""},
		{"LIC-7/renewal day, nothing allocated: grace", org2023, sub("2023-06-15", map[int]Year{0: y(5, 5), 1: y(0, 5)}), 5, "2024-06-15", Grace, 30, "2024-07-14"},
		{"LIC-7/last day of grace", org2023, sub("2023-06-15", map[int]Year{0: y(5, 5), 1: y(0, 5)}), 5, "2024-07-14", Grace, 1, "2024-07-14"},
		{"LIC-7/after grace: unlicensed", org2023, sub("2023-06-15", map[int]Year{0: y(5, 5), 1: y(0, 5)}), 5, "2024-07-15", Unlicensed, 0, ""},
		{"LIC-7/after grace, allocated since: licensed", org2023, sub("2023-06-15", map[int]Year{0: y(5, 5), 1: y(5, 5)}), 5, "2024-08-01", Licensed, 0, ""},
		{"LIC-7/allocated ahead: licensed on the renewal day", org2023, sub("2023-06-15", map[int]Year{0: y(5, 5), 1: y(5, 5)}), 5, "2024-06-15", Licensed, 0, ""},
		{"LIC-7/short of the recorded need in grace", org2023, sub("2023-06-15", map[int]Year{1: y(4, 5)}), 1, "2024-06-20", Grace, 25, "2024-07-14"},
		{"LIC-7/unlicensed year 0 then grace in year 1", org2023, sub("2023-06-15", map[int]Year{0: y(0, 5), 1: y(0, 5)}), 5, "2024-06-15", Grace, 30, "2024-07-14"},
		{"LIC-7/a trial running over the renewal stays trial", org2023, sub("2024-06-01", map[int]Year{1: y(0, 5)}), 5, "2024-06-20", Trial, 11, ""},
		{"LIC-7/then grace for what is left of it", org2023, sub("2024-06-01", map[int]Year{1: y(0, 5)}), 5, "2024-07-01", Grace, 14, "2024-07-14"},
		{"LIC-7/no grace in the year the product started", org2023, sub("2024-01-10", map[int]Year{0: y(0, 5)}), 5, "2024-02-09", Unlicensed, 0, ""},
		{"LIC-4/product started on the anniversary: trial, not grace", org2023, sub("2024-06-15", nil), 5, "2024-06-15", Trial, 30, ""},
		{"LIC-4/product started on the anniversary: after the trial no grace", org2023, sub("2024-06-15", map[int]Year{1: y(0, 5)}), 5, "2024-07-15", Unlicensed, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Evaluate(tt.p, tt.s, tt.need, day(tt.today))
			if v.Status != tt.status || v.DaysLeft != tt.left {
				t.Errorf("%s with %d days left, want %s with %d", v.Status, v.DaysLeft, tt.status, tt.left)
			}
			var grace Date
			if tt.grace != "" {
				grace = day(tt.grace)
			}
			if v.GraceEnd != grace {
				t.Errorf("grace end %s, want %s", v.GraceEnd, grace)
			}
			if v.Status.Usable() != (tt.status == Trial || tt.status == Licensed || tt.status == Grace) {
				t.Errorf("usable %v for %s", v.Status.Usable(), v.Status)
			}
		})
	}
}

func TestLIC5_View(t *testing.T) {
	s := sub("2023-07-01", map[int]Year{0: {Allocated: 2, Need: 1, Recorded: true}, 1: {Allocated: 3}, 2: {Allocated: 4}, 6: {Allocated: 5}, 7: {Allocated: 99}})
	v := Evaluate(org2023, s, 2, day("2024-01-01"))
	want := View{
		Status: Licensed, Year: 0, YearStart: day("2023-06-15"), YearEnd: day("2024-06-14"),
		TrialEnd: day("2023-07-30"), Need: 2, YearNeed: 1, Allocated: 2, Ahead: [YearsAhead]int{3, 4, 0, 0, 0},
	}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("view\n%+v, want\n%+v", v, want)
	}
	v = Evaluate(org2023, s, 2, day("2028-06-15"))
	if v.Year != 5 || v.Ahead != [YearsAhead]int{5, 99, 0, 0, 0} {
		t.Errorf("year %d ahead %v, want 5 [5 99 0 0 0]", v.Year, v.Ahead)
	}
}

func TestLIC8_GrowthLimitExceeded(t *testing.T) {
	s := func(alloc int) Subscribed {
		return sub("2023-06-15", map[int]Year{0: {Allocated: alloc, Need: alloc, Recorded: true}, 1: {Allocated: 100}})
	}
	tests := []struct {
		name        string
		alloc, need int
		today       string
		want        int // 0: no warning
	}{
		{"LIC-8/need equal to allocated", 10, 10, "2023-09-01", 0},
		{"LIC-8/growth up to 100 % is allowed", 10, 20, "2023-09-01", 0},
		{"LIC-8/one past the limit", 10, 21, "2023-09-01", 1},
		{"LIC-8/far past the limit", 10, 35, "2023-09-01", 15},
		{"LIC-8/nothing allocated, need 0", 0, 0, "2023-09-01", 0},
		{"LIC-8/nothing allocated, need recorded 0, devices since", 0, 3, "2023-09-01", 3},
		{"LIC-8/not during the trial", 0, 50, "2023-06-20", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Evaluate(org2023, s(tt.alloc), tt.need, day(tt.today))
			w, ok := v.Warning(GrowthLimitExceeded)
			if tt.want == 0 && ok {
				t.Errorf("warning %+v, want none", w)
			}
			if tt.want != 0 && (!ok || w.Quantity != tt.want) {
				t.Errorf("warning %+v (%v), want quantity %d", w, ok, tt.want)
			}
		})
	}
	t.Run("LIC-8/not in grace", func(t *testing.T) {
		v := Evaluate(org2023, sub("2023-06-15", map[int]Year{1: {Need: 5, Recorded: true}}), 50, day("2024-06-20"))
		if _, ok := v.Warning(GrowthLimitExceeded); ok || v.Status != Grace {
			t.Errorf("%s %v, want grace without growth warning", v.Status, v.Warnings)
		}
	})
}

func TestLIC5_RenewalDue(t *testing.T) {
	// Year 1 begins on 2024-06-15.
	tests := []struct {
		name        string
		next, need  int
		today       string
		days, short int // days 0: no warning
	}{
		{"LIC-5/31 days before: none", 0, 5, "2024-05-15", 0, 0},
		{"LIC-5/30 days before", 0, 5, "2024-05-16", 30, 5},
		{"LIC-5/7 days before, part allocated", 2, 5, "2024-06-08", 7, 3},
		{"LIC-5/the last day of the year", 0, 5, "2024-06-14", 1, 5},
		{"LIC-5/next year allocated: none", 5, 5, "2024-06-08", 0, 0},
		{"LIC-5/need zero: none", 0, 0, "2024-06-08", 0, 0},
		{"LIC-5/the renewal day is of the next renewal", 0, 5, "2024-06-15", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sub("2023-06-15", map[int]Year{0: {Allocated: 5, Need: 5, Recorded: true}, 1: {Allocated: tt.next}})
			w, ok := Evaluate(org2023, s, tt.need, day(tt.today)).Warning(RenewalDue)
			if tt.days == 0 && ok {
				t.Errorf("warning %+v, want none", w)
			}
			if tt.days != 0 && (!ok || w.Days != tt.days || w.Quantity != tt.short) {
				t.Errorf("warning %+v (%v), want %d days, %d missing", w, ok, tt.days, tt.short)
			}
		})
	}
	t.Run("LIC-5/in trial too", func(t *testing.T) {
		w, ok := Evaluate(org2023, sub("2024-06-01", nil), 5, day("2024-06-08")).Warning(RenewalDue)
		if !ok || w.Days != 7 {
			t.Errorf("warning %+v (%v), want 7 days", w, ok)
		}
	})
}
