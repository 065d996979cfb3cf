package license

import (
	"math/rand"
	"reflect"
	"testing"

	"mysystems/internal/errs"
)

func TestLIC2_LotExpiry(t *testing.T) {
	tests := []struct{ name, entered, expires string }{
		{"LIC-2/five years later", "2024-03-01", "2029-03-01"},
		{"LIC-2/29 February to 28 February", "2024-02-29", "2029-02-28"},
		{"LIC-2/28 February stays", "2023-02-28", "2028-02-28"},
		{"LIC-2/into a leap year", "2023-03-01", "2028-03-01"},
		{"LIC-2/31 December", "2025-12-31", "2030-12-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LotExpiry(day(tt.entered)); got != day(tt.expires) {
				t.Errorf("LotExpiry(%s) = %s, want %s", tt.entered, got, tt.expires)
			}
		})
	}
	l := NewLot("a", "p", 7, day("2024-02-29"), FromKey)
	want := Lot{ID: "a", Product: "p", Quantity: 7, Original: 7, Entered: day("2024-02-29"), Expires: day("2029-02-28"), Source: FromKey}
	if l != want {
		t.Errorf("NewLot = %+v, want %+v", l, want)
	}
}

func lot(id, entered string, n int) Lot { return NewLot(id, "p", n, day(entered), FromKey) }

func TestLIC2_Available(t *testing.T) {
	w := Stock{Product: "Edge", Lots: []Lot{
		lot("a", "2020-03-01", 5), // expires 2025-03-01
		lot("b", "2021-01-10", 3),
		{ID: "c", Quantity: 4, Original: 4, Entered: day("2021-01-10"), Expires: day("2026-01-10"), Expired: true},
		lot("d", "2022-01-10", 0),
	}}
	tests := []struct {
		name, today string
		want        int
	}{
		{"LIC-2/every lot in date", "2024-01-01", 8},
		{"LIC-2/the day before expiry", "2025-02-28", 8},
		{"LIC-2/the expiry day", "2025-03-01", 3},
		{"LIC-2/all expired", "2026-01-10", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := w.Available(day(tt.today)); got != tt.want {
				t.Errorf("Available(%s) = %d, want %d", tt.today, got, tt.want)
			}
		})
	}
}

func TestLIC2_Take(t *testing.T) {
	w := Stock{Product: "Edge", Lots: []Lot{
		lot("z", "2023-05-01", 4),
		lot("b", "2022-05-01", 2),
		lot("a", "2022-05-01", 2), // same expiry and entry as b: by id
		{ID: "e", Quantity: 1, Original: 1, Entered: day("2022-05-01"), Expires: day("2027-05-01"), Source: FromCompensation},
		lot("old", "2019-05-01", 9), // expired on 2024-05-01
		lot("empty", "2020-01-01", 0),
	}}
	today := day("2024-06-01")
	tests := []struct {
		name string
		n    int
		want []Taken
	}{
		{"LIC-2/one lot", 1, []Taken{{"a", 1}}},
		{"LIC-2/ties by entry then id", 4, []Taken{{"a", 2}, {"b", 2}}},
		{"LIC-2/across lots", 6, []Taken{{"a", 2}, {"b", 2}, {"e", 1}, {"z", 1}}},
		{"LIC-2/everything", 9, []Taken{{"a", 2}, {"b", 2}, {"e", 1}, {"z", 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := w.Take(tt.n, today)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Take(%d) = %v, want %v", tt.n, got, tt.want)
			}
			after := w.After(got)
			if a := after.Available(today); a != 9-tt.n {
				t.Errorf("after Take(%d): %d available, want %d", tt.n, a, 9-tt.n)
			}
			if w.Available(today) != 9 {
				t.Errorf("Take changed the wallet")
			}
		})
	}
	t.Run("ErrWalletShort", func(t *testing.T) {
		_, err := w.Take(10, today)
		e, ok := errs.As(err)
		if !ok || e.Code != errs.Conflict || e.Key != "err.license.wallet_short" {
			t.Fatalf("Take(10) = %v, want conflict err.license.wallet_short", err)
		}
		if want := `the wallet of "Edge" holds 9 licenses; 10 asked`; e.Message != want {
			t.Errorf("message %q, want %q", e.Message, want)
		}
		if got, want := e.In("fr"), "le portefeuille de « Edge » contient 9 licences ; demandé : 10"; got != want {
			t.Errorf("French message %q, want %q", got, want)
		}
	})
	t.Run("ErrWalletShort/one license", func(t *testing.T) {
		one := Stock{Product: "Edge", Lots: []Lot{lot("a", "2024-01-01", 1)}}
		_, err := one.Take(2, today)
		if e, _ := errs.As(err); e == nil || e.Message != `the wallet of "Edge" holds 1 license; 2 asked` {
			t.Errorf("Take(2) = %v", err)
		}
	})
	t.Run("ErrWalletShort/expired lots do not count", func(t *testing.T) {
		if _, err := w.Take(1, day("2030-01-01")); !errs.Is(err, errs.Conflict) {
			t.Errorf("Take(1) in 2030 = %v, want conflict", err)
		}
	})
	for _, n := range []int{0, -3} {
		t.Run("ErrQuantity", func(t *testing.T) {
			_, err := w.Take(n, today)
			if e, ok := errs.As(err); !ok || e.Code != errs.Invalid || e.Field != "quantity" {
				t.Errorf("Take(%d) = %v, want invalid quantity", n, err)
			}
		})
	}
}

func TestLIC2_Expiring(t *testing.T) {
	w := Stock{Lots: []Lot{
		lot("b", "2019-06-01", 3),
		lot("a", "2019-05-01", 2),
		lot("empty", "2019-01-01", 0),
		{ID: "gone", Quantity: 2, Original: 2, Entered: day("2019-01-01"), Expires: day("2024-01-01"), Expired: true},
		lot("later", "2020-01-01", 1),
	}}
	var ids []string
	for _, l := range w.Expiring(day("2024-06-01")) {
		ids = append(ids, l.ID)
	}
	if want := []string{"a", "b"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Expiring = %v, want %v", ids, want)
	}
	if got := w.Expiring(day("2024-04-30")); len(got) != 0 {
		t.Errorf("Expiring the day before = %v, want none", got)
	}
	if got := w.Expiring(day("2024-05-01")); len(got) != 1 || got[0].ID != "a" {
		t.Errorf("Expiring on the expiry day = %v, want a", got)
	}
}

// TestLIC2_WalletNeverNegative: whatever plans are made and carried out,
// in any order and on any day, no lot and no wallet goes below zero, and a
// plan asking more than the wallet holds is refused.
func TestLIC2_WalletNeverNegative(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for run := 0; run < 200; run++ {
		p, s := Start(Period{}, "p", day("2024-02-29").AddDays(r.Intn(400)))
		today := s.Started
		w := Stock{Product: "Edge"}
		for step := 0; step < 60; step++ {
			today = today.AddDays(r.Intn(40))
			if r.Intn(3) == 0 {
				w.Lots = append(w.Lots, NewLot(string(rune('A'+step)), "p", 1+r.Intn(20), today, FromKey))
			}
			have := w.Available(today)
			q := r.Intn(25) - 2
			plan, err := PlanAllocation(p, s, w, r.Intn(30), r.Intn(YearsAhead+1), q, today)
			switch {
			case q <= 0 || q > have:
				if err == nil {
					t.Fatalf("run %d: plan of %d with %d available was accepted", run, q, have)
				}
				continue
			case err != nil:
				t.Fatalf("run %d: plan of %d with %d available: %v", run, q, have, err)
			}
			w = w.After(plan.Taken)
			if plan.Compensation > 0 {
				w.Lots = append(w.Lots, NewLot("c"+string(rune('A'+step)), "p", plan.Compensation, today, FromCompensation))
			}
			s = plan.After
			if got := w.Available(today); got != have-q+plan.Compensation {
				t.Fatalf("run %d: %d available after taking %d of %d (+%d), want %d", run, got, q, have, plan.Compensation, have-q+plan.Compensation)
			}
			for _, l := range w.Lots {
				if l.Quantity < 0 || l.Quantity > l.Original {
					t.Fatalf("run %d: lot %s holds %d of %d", run, l.ID, l.Quantity, l.Original)
				}
			}
		}
	}
}
