package license

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// brief writes events one a line, for comparisons.
func brief(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%s %s", e.Day, e.Key)
		switch e.Kind {
		case EventRenewal:
			fmt.Fprintf(&b, " need=%d", e.Need)
		case EventStatus:
			fmt.Fprintf(&b, " %s>%s", e.From, e.To)
			if e.RecordNeed {
				fmt.Fprintf(&b, " need=%d", e.Need)
			}
		case EventExpiry:
			fmt.Fprintf(&b, " %d", e.Quantity)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestLIC7_AdvanceRenewal(t *testing.T) {
	y := func(alloc, need int) Year { return Year{Allocated: alloc, Need: need, Recorded: true} }
	tests := []struct {
		name        string
		s           Subscribed
		need        int
		last, today string
		want        string
	}{
		{"LIC-7/reminders, renewal, grace, unlicensed", sub("2023-06-15", map[int]Year{0: y(5, 5)}), 6, "2024-05-01", "2024-08-01", `
2024-05-16 notice:renewal_30:1
2024-06-08 notice:renewal_7:1
2024-06-15 renewal:1 need=6
2024-06-15 status:2024-06-15 licensed>grace
2024-06-15 notice:grace_started:1
2024-07-15 status:2024-07-15 grace>unlicensed
2024-07-15 notice:unlicensed:1
`},
		{"LIC-7/renewed ahead: no reminder, no grace", sub("2023-06-15", map[int]Year{0: y(5, 5), 1: {Allocated: 6}}), 6, "2024-05-01", "2024-08-01", `
2024-06-15 renewal:1 need=6
`},
		{"LIC-7/renewed ahead for less than the need at renewal", sub("2023-06-15", map[int]Year{0: y(5, 5), 1: {Allocated: 5}}), 6, "2024-06-10", "2024-06-16", `
2024-06-15 renewal:1 need=6
2024-06-15 status:2024-06-15 licensed>grace
2024-06-15 notice:grace_started:1
`},
		{"LIC-7/unlicensed, then grace of the new year", sub("2023-06-15", map[int]Year{0: y(0, 5)}), 5, "2024-06-14", "2024-06-15", `
2024-06-15 renewal:1 need=5
2024-06-15 status:2024-06-15 unlicensed>grace
2024-06-15 notice:grace_started:1
`},
		{"LIC-7/need zero: licensed at once", sub("2023-06-15", map[int]Year{0: y(0, 0)}), 0, "2024-06-14", "2024-07-30", `
2024-06-15 renewal:1 need=0
`},
		{"LIC-5/the trial runs out", sub("2023-09-23", nil), 4, "2023-10-01", "2023-10-31", `
2023-10-23 status:2023-10-23 trial>unlicensed need=4
2023-10-23 notice:unlicensed:0
`},
		{"LIC-5/the trial runs out with the need allocated", sub("2023-09-23", map[int]Year{0: {Allocated: 4}}), 4, "2023-10-01", "2023-10-31", `
2023-10-23 status:2023-10-23 trial>licensed need=4
`},
		{"LIC-5/a trial ended early is no event", Subscribed{Product: "p", Started: day("2023-09-23"), TrialEnded: day("2023-10-01"), Years: map[int]Year{0: y(4, 4)}}, 4, "2023-09-23", "2023-11-30", ``},
		{"LIC-7/a trial over the renewal: renewal then grace when it ends", sub("2024-06-01", nil), 3, "2024-06-01", "2024-07-20", `
2024-06-08 notice:renewal_7:1
2024-06-15 renewal:1 need=3
2024-07-01 status:2024-07-01 trial>grace
2024-07-01 notice:grace_started:1
2024-07-15 status:2024-07-15 grace>unlicensed
2024-07-15 notice:unlicensed:1
`},
		{"LIC-7/a trial ending on the renewal day", sub("2024-05-16", nil), 3, "2024-05-16", "2024-06-15", `
2024-06-08 notice:renewal_7:1
2024-06-15 renewal:1 need=3
2024-06-15 status:2024-06-15 trial>grace
2024-06-15 notice:grace_started:1
`},
		{"LIC-4/started on the anniversary: no renewal that year", sub("2024-06-15", nil), 2, "2024-06-15", "2024-07-20", `
2024-07-15 status:2024-07-15 trial>unlicensed need=2
2024-07-15 notice:unlicensed:1
`},
		{"LIC-7/nothing before the start", sub("2024-06-15", nil), 2, "2020-01-01", "2024-06-15", ``},
		{"LIC-7/today already processed", sub("2023-06-15", map[int]Year{0: y(5, 5)}), 6, "2024-06-15", "2024-06-15", ``},
		{"LIC-7/several years of downtime", sub("2023-06-15", map[int]Year{0: y(5, 5), 1: {Allocated: 5}, 2: {Allocated: 3}}), 5, "2024-06-14", "2025-07-20", `
2024-06-15 renewal:1 need=5
2025-05-16 notice:renewal_30:2
2025-06-08 notice:renewal_7:2
2025-06-15 renewal:2 need=5
2025-06-15 status:2025-06-15 licensed>grace
2025-06-15 notice:grace_started:2
2025-07-15 status:2025-07-15 grace>unlicensed
2025-07-15 notice:unlicensed:2
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := State{Period: org2023, Subscribed: tt.s, Wallet: Stock{Product: "Edge"}, Need: tt.need}
			events, after := Advance(st, day(tt.last), day(tt.today))
			if got, want := brief(events), strings.TrimPrefix(tt.want, "\n"); got != want {
				t.Errorf("events\n%s\nwant\n%s", got, want)
			}
			for _, e := range events {
				if e.RecordNeed && after.Subscribed.Year(e.Year) != (Year{Allocated: tt.s.Year(e.Year).Allocated, Need: e.Need, Recorded: true}) {
					t.Errorf("year %d after: %+v, want need %d recorded", e.Year, after.Subscribed.Year(e.Year), e.Need)
				}
			}
			if !reflect.DeepEqual(st.Subscribed, tt.s) {
				t.Errorf("Advance changed the state it was given")
			}
		})
	}
}

func TestLIC2_AdvanceExpiry(t *testing.T) {
	w := Stock{Product: "Edge", Lots: []Lot{
		lot("b", "2019-06-20", 3), // expires 2024-06-20
		lot("a", "2019-06-10", 2), // 2024-06-10, stale when processed after it
		lot("empty", "2019-06-12", 0),
		lot("later", "2020-01-01", 1),
	}}
	st := State{Period: org2023, Subscribed: Subscribed{}, Wallet: w, Need: 1}
	events, after := Advance(st, day("2024-06-15"), day("2024-06-30"))
	if got, want := brief(events), "2024-06-10 expiry:a 2\n2024-06-20 expiry:b 3\n"; got != want {
		t.Errorf("events\n%s\nwant\n%s", got, want)
	}
	if got := after.Wallet.Available(day("2024-06-01")); got != 1 {
		t.Errorf("after: %d available (on a day before the expiries), want 1", got)
	}
	for _, l := range after.Wallet.Lots {
		if (l.ID == "a" || l.ID == "b") != l.Expired {
			t.Errorf("lot %s expired %v", l.ID, l.Expired)
		}
	}
	if again, _ := Advance(after, day("2024-06-15"), day("2024-06-30")); len(again) != 0 {
		t.Errorf("second run: %s", brief(again))
	}
}

// randomState builds a product state with random dates, allocations,
// needs, an early trial end and lots.
func randomState(r *rand.Rand) (State, Date) {
	p := Period{Anchor: day("2023-01-01").AddDays(r.Intn(3 * 365))}
	if r.Intn(8) == 0 {
		p.Anchor = day("2024-02-29")
	}
	st := State{Period: p, Wallet: Stock{Product: "Edge"}, Need: r.Intn(12)}
	if r.Intn(10) > 0 {
		s := Subscribed{Product: "p", Started: p.Anchor.AddDays(r.Intn(3 * 365)), Years: map[int]Year{}}
		if r.Intn(3) == 0 && r.Intn(2) == 0 {
			s.Started = p.YearStart(r.Intn(3))
		}
		if r.Intn(4) == 0 {
			s.TrialEnded = s.Started.AddDays(r.Intn(TrialDays))
		}
		for k := p.YearOf(s.Started); k < p.YearOf(s.Started)+7; k++ {
			if r.Intn(2) == 0 {
				s.Years[k] = Year{Allocated: r.Intn(14)}
			}
		}
		st.Subscribed = s
	}
	for i := 0; i < r.Intn(6); i++ {
		st.Wallet.Lots = append(st.Wallet.Lots, NewLot(fmt.Sprint("l", i), "p", r.Intn(5), p.Anchor.AddDays(r.Intn(4*365)-5*365), FromKey))
	}
	last := p.Anchor.AddDays(r.Intn(3 * 365))
	if r.Intn(10) == 0 {
		last = Date{}
	}
	// What happened up to last, as the job would have recorded it.
	if !last.IsZero() {
		_, st = Advance(st, Date{}, last)
	}
	return st, last
}

// TestLIC7_AdvanceDayByDayEqualsJump: running the daily job for each day in
// turn, or once after days of downtime, gives the same events, in the same
// order, and the same state.
func TestLIC7_AdvanceDayByDayEqualsJump(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	kinds := map[EventKind]int{}
	defer func() {
		for _, k := range []EventKind{EventExpiry, EventRenewal, EventStatus, EventNotice} {
			if kinds[k] < 20 {
				t.Errorf("only %d %s events in all runs: the states are too tame", kinds[k], k)
			}
		}
	}()
	for run := 0; run < 400; run++ {
		st, last := randomState(r)
		from := last
		if from.IsZero() {
			from = st.Period.Anchor.AddDays(-1)
		}
		today := from.AddDays(1 + r.Intn(500))
		jump, jumped := Advance(st, last, today)
		for _, e := range jump {
			kinds[e.Kind]++
		}

		var daily []Event
		step, prev := st, last
		for d := from.AddDays(1); !d.After(today); d = d.AddDays(1) {
			ev, next := Advance(step, prev, d)
			daily = append(daily, ev...)
			step, prev = next, d
		}
		if brief(daily) != brief(jump) || !reflect.DeepEqual(daily, jump) {
			t.Fatalf("run %d (%+v, last %s, today %s):\nday by day\n%s\none jump\n%s", run, st, last, today, brief(daily), brief(jump))
		}
		if !reflect.DeepEqual(step, jumped) {
			t.Fatalf("run %d: state day by day\n%+v\none jump\n%+v", run, step, jumped)
		}
	}
}

// TestLIC7_AdvanceTwice: running the job again over days already processed
// brings no event with a key not seen before and leaves the state as it
// was, so applying the events of both runs is the same as applying the
// first's.
func TestLIC7_AdvanceTwice(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	for run := 0; run < 300; run++ {
		st, last := randomState(r)
		today := st.Period.Anchor.AddDays(r.Intn(5 * 365))
		first, after := Advance(st, last, today)
		again, twice := Advance(after, last, today)
		keys := map[string]bool{}
		for _, e := range first {
			if keys[e.Key] {
				t.Fatalf("run %d: key %s twice in one run", run, e.Key)
			}
			keys[e.Key] = true
		}
		for _, e := range again {
			if !keys[e.Key] {
				t.Fatalf("run %d: second run has the new event %s", run, e.Key)
			}
		}
		if !reflect.DeepEqual(after, twice) {
			t.Fatalf("run %d: the second run changed the state", run)
		}
	}
}

// TestLIC7_LateRunRecordsTodaysNeed: devices are not versioned, so a
// renewal processed days late records the need of the day the job runs.
func TestLIC7_LateRunRecordsTodaysNeed(t *testing.T) {
	s := sub("2023-06-15", map[int]Year{0: {Allocated: 5, Need: 5, Recorded: true}})
	events, after := Advance(State{Period: org2023, Subscribed: s, Need: 9}, day("2024-06-14"), day("2024-06-20"))
	if len(events) == 0 || events[0].Kind != EventRenewal || events[0].Day != day("2024-06-15") || events[0].Need != 9 {
		t.Fatalf("events %s", brief(events))
	}
	if y := after.Subscribed.Year(1); y.Need != 9 || !y.Recorded {
		t.Errorf("year 1 %+v, want need 9", y)
	}
}
