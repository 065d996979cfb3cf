package license

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// ledger plays an organization's product as the service would: every
// change to its tables has its history entry.
type ledger struct {
	org     string
	st      State
	entries []Entry
	lots    int
	last    Date
}

func (l *ledger) add(e Entry) {
	e.OrgID, e.Product, e.Seq = l.org, "p", int64(len(l.entries)+1)
	l.entries = append(l.entries, e)
}

func (l *ledger) redeem(n int, today Date) {
	l.lots++
	lot := NewLot(fmt.Sprint(l.org, "-k", l.lots), "p", n, today, FromKey)
	l.st.Wallet.Lots = append(l.st.Wallet.Lots, lot)
	l.add(Entry{Day: today, Kind: KindRedeem, Quantity: n, Year: -1, Lot: lot.ID})
}

func (l *ledger) allocate(ahead, n int, today Date) error {
	plan, err := PlanAllocation(l.st.Period, l.st.Subscribed, l.st.Wallet, l.st.Need, ahead, n, today)
	if err != nil {
		return err
	}
	l.st.Wallet = l.st.Wallet.After(plan.Taken)
	l.st.Subscribed = plan.After
	l.add(Entry{Day: today, Kind: KindAllocate, Quantity: n, Year: plan.Year})
	if plan.Compensation > 0 {
		l.lots++
		lot := NewLot(fmt.Sprint(l.org, "-c", l.lots), "p", plan.Compensation, today, FromCompensation)
		l.st.Wallet.Lots = append(l.st.Wallet.Lots, lot)
		l.add(Entry{Day: today, Kind: KindCompensation, Quantity: plan.Compensation, Year: plan.Year, Lot: lot.ID})
	}
	return nil
}

func (l *ledger) job(today Date) {
	events, st := Advance(l.st, l.last, today)
	l.st, l.last = st, today
	for _, e := range events {
		switch e.Kind {
		case EventExpiry:
			l.add(Entry{Day: e.Day, Kind: KindExpiry, Quantity: e.Quantity, Year: -1, Lot: e.Lot, EventKey: e.Key})
		case EventRenewal:
			l.add(Entry{Day: e.Day, Kind: KindRenewal, Year: e.Year, EventKey: e.Key})
		case EventStatus:
			l.add(Entry{Day: e.Day, Kind: KindStatus, Year: e.Year, EventKey: e.Key})
		}
	}
}

func (l *ledger) holding() Holding {
	return Holding{Lots: l.st.Wallet.Lots, Years: l.st.Subscribed.Years}
}

// play runs random redemptions, allocations and daily jobs for two
// organizations.
func play(r *rand.Rand) []*ledger {
	var out []*ledger
	for _, org := range []string{"o1", "o2"} {
		p, s := Start(Period{}, "p", day("2023-01-01").AddDays(r.Intn(800)))
		l := &ledger{org: org, st: State{Period: p, Subscribed: s, Wallet: Stock{Product: "Edge"}}}
		today := s.Started
		l.add(Entry{Day: today, Kind: KindStart, Year: p.YearOf(today)})
		for step := 0; step < 40; step++ {
			today = today.AddDays(r.Intn(120))
			l.st.Need = r.Intn(30)
			switch r.Intn(3) {
			case 0:
				l.redeem(1+r.Intn(40), today)
			case 1:
				_ = l.allocate(r.Intn(YearsAhead+1), 1+r.Intn(20), today)
			}
			l.job(today)
		}
		out = append(out, l)
	}
	return out
}

func TestLIC13_Tally(t *testing.T) {
	entries := []Entry{
		{OrgID: "o1", Product: "p", Kind: KindStart},
		{OrgID: "o1", Product: "p", Kind: KindRedeem, Quantity: 10},
		{OrgID: "o1", Product: "p", Kind: KindAllocate, Quantity: 6, Year: 0},
		{OrgID: "o1", Product: "p", Kind: KindCompensation, Quantity: 1},
		{OrgID: "o1", Product: "p", Kind: KindExpiry, Quantity: 2},
		{OrgID: "o1", Product: "p", Kind: KindRenewal, Year: 1},
		{OrgID: "o1", Product: "q", Kind: KindRedeem, Quantity: 4},
		{OrgID: "o2", Product: "p", Kind: KindRedeem, Quantity: 7},
	}
	want := map[Account]Terms{
		{"o1", "p"}: {Wallet: 3, Allocated: 6, Expired: 2, Redeemed: 10, Compensation: 1},
		{"o1", "q"}: {Wallet: 4, Redeemed: 4},
		{"o2", "p"}: {Wallet: 7, Redeemed: 7},
	}
	got := Tally(entries)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Tally = %+v, want %+v", got, want)
	}
	for a, terms := range got {
		if !terms.Balanced() {
			t.Errorf("%v: %+v not balanced", a, terms)
		}
	}
	if (Terms{Wallet: 1, Redeemed: 2}).Balanced() {
		t.Error("1 in the wallet of 2 redeemed is balanced")
	}
}

// TestLIC13_Conserved: whatever people and the daily job do, the history
// and the tables agree and the licenses are conserved.
func TestLIC13_Conserved(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	expired, compensated := 0, 0
	for run := 0; run < 100; run++ {
		ledgers := play(r)
		var entries []Entry
		held := map[Account]Holding{}
		for _, l := range ledgers {
			entries = append(entries, l.entries...)
			held[Account{l.org, "p"}] = l.holding()
		}
		if bad := Verify(entries, held); len(bad) != 0 {
			t.Fatalf("run %d: %v", run, bad)
		}
		for a, terms := range Tally(entries) {
			expired += terms.Expired
			compensated += terms.Compensation
			if terms.Wallet < 0 {
				t.Fatalf("run %d: %v wallet %d", run, a, terms.Wallet)
			}
		}
	}
	if expired == 0 || compensated == 0 {
		t.Errorf("expired %d, compensated %d: the runs never expire or compensate", expired, compensated)
	}
}

func TestLIC13_Verify(t *testing.T) {
	base := func() ([]Entry, map[Account]Holding) {
		ledgers := play(rand.New(rand.NewSource(11)))
		var entries []Entry
		held := map[Account]Holding{}
		for _, l := range ledgers {
			entries = append(entries, l.entries...)
			h := l.holding()
			h.Lots = append([]Lot(nil), h.Lots...)
			h.Years = l.st.Subscribed.Clone().Years
			held[Account{l.org, "p"}] = h
		}
		return entries, held
	}
	o1 := Account{"o1", "p"}
	firstLive := func(h Holding) int {
		for i, l := range h.Lots {
			if !l.Expired {
				return i
			}
		}
		panic("no lot in the wallet")
	}
	tests := []struct {
		name   string
		tamper func([]Entry, map[Account]Holding) []Entry
		want   []string
	}{
		{"OK", func(e []Entry, _ map[Account]Holding) []Entry { return e }, nil},
		{"ErrWallet/a lot holds one more", func(e []Entry, h map[Account]Holding) []Entry {
			h[o1].Lots[firstLive(h[o1])].Quantity++
			return e
		}, []string{"o1 p conservation"}},
		{"ErrAllocated/a year holds one more", func(e []Entry, h map[Account]Holding) []Entry {
			y := h[o1].Years[h[o1].lastYear()]
			y.Allocated++
			h[o1].Years[h[o1].lastYear()] = y
			return e
		}, []string{"o1 p allocated"}},
		{"ErrAllocated/an allocation without its licenses leaving", func(e []Entry, h map[Account]Holding) []Entry {
			return append(e, Entry{OrgID: "o1", Product: "p", Kind: KindAllocate, Quantity: 2, Year: 0})
		}, []string{"o1 p conservation", "o1 p allocated"}},
		{"ErrRedeemed/a redemption not in the history", func(e []Entry, h map[Account]Holding) []Entry {
			hh := h[o1]
			hh.Lots = append(hh.Lots, NewLot("x", "p", 5, day("2024-01-01"), FromKey))
			h[o1] = hh
			return e
		}, []string{"o1 p conservation", "o1 p redeemed"}},
		{"ErrCompensation/a compensation lot not in the history", func(e []Entry, h map[Account]Holding) []Entry {
			hh := h[o1]
			hh.Lots = append(hh.Lots, NewLot("x", "p", 1, day("2024-01-01"), FromCompensation))
			h[o1] = hh
			return e
		}, []string{"o1 p conservation", "o1 p compensation"}},
		{"ErrConservation/an account only in the tables", func(e []Entry, h map[Account]Holding) []Entry {
			h[Account{"o3", "p"}] = Holding{Lots: []Lot{NewLot("y", "p", 1, day("2024-01-01"), FromKey)}}
			return e
		}, []string{"o3 p conservation", "o3 p redeemed"}},
		{"ErrExpiry/an expiry entry lost", func(e []Entry, h map[Account]Holding) []Entry {
			for i, x := range e {
				if x.Kind == KindExpiry && x.OrgID == "o2" {
					return append(e[:i:i], e[i+1:]...)
				}
			}
			panic("no expiry in o2")
		}, []string{"o2 p conservation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, held := base()
			entries = tt.tamper(entries, held)
			var got []string
			for _, b := range Verify(entries, held) {
				got = append(got, b.Org+" "+b.Product+" "+b.Check)
				if !strings.HasPrefix(b.String(), b.Org+" "+b.Product+" "+b.Check) {
					t.Errorf("String() = %q", b.String())
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("imbalances %v, want %v", got, tt.want)
			}
		})
	}
}

func (h Holding) lastYear() int {
	k := -1
	for y, v := range h.Years {
		if v.Allocated > 0 && y > k {
			k = y
		}
	}
	return k
}
