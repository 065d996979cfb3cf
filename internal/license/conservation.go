package license

import (
	"fmt"
	"sort"
)

// Account names one product's licenses in one organization: the unit of
// conservation (LIC-13).
type Account struct {
	Org     string
	Product string
}

// Terms are the terms of the conservation of one account's licenses
// (LIC-13): at any time
//
//	Wallet + Pending + Allocated + Consumed + TransferredOut + Expired ==
//	Redeemed + TransferredIn + Compensation + Preloaded + UpgradedIn
//
// Pending, Consumed (by upgrades), TransferredOut, TransferredIn, Preloaded
// and UpgradedIn are zero until transfers, hardware-linked and upgrade
// licenses exist.
type Terms struct {
	Wallet         int
	Pending        int
	Allocated      int
	Consumed       int
	TransferredOut int
	Expired        int

	Redeemed      int
	TransferredIn int
	Compensation  int
	Preloaded     int
	UpgradedIn    int
}

// Out returns the left side of the equation: where the licenses are.
func (t Terms) Out() int {
	return t.Wallet + t.Pending + t.Allocated + t.Consumed + t.TransferredOut + t.Expired
}

// In returns the right side of the equation: where the licenses came from.
func (t Terms) In() int {
	return t.Redeemed + t.TransferredIn + t.Compensation + t.Preloaded + t.UpgradedIn
}

// Balanced reports whether the terms satisfy the equation.
func (t Terms) Balanced() bool { return t.Out() == t.In() }

// Tally returns, per account, the terms the history entries alone give
// (LIC-13). Wallet is what the history says the wallet holds: whatever
// came in and did not go out.
func Tally(entries []Entry) map[Account]Terms {
	out := map[Account]Terms{}
	for _, e := range entries {
		a := Account{e.OrgID, e.Product}
		t := out[a]
		switch e.Kind {
		case KindRedeem:
			t.Redeemed += e.Quantity
		case KindCompensation:
			t.Compensation += e.Quantity
		case KindAllocate:
			t.Allocated += e.Quantity
		case KindExpiry:
			t.Expired += e.Quantity
		}
		t.Wallet = t.In() - (t.Pending + t.Allocated + t.Consumed + t.TransferredOut + t.Expired)
		out[a] = t
	}
	return out
}

// Holding is what the tables hold for one account: the wallet's lots and
// the product's years with what is allocated to them.
type Holding struct {
	Lots  []Lot
	Years map[int]Year
}

// Imbalance is one disagreement found by Verify.
type Imbalance struct {
	Account
	// Check names what disagrees: "conservation" (the equation, with the
	// wallet the lots hold), "allocated" (a year's allocation, Year set),
	// "redeemed" and "compensation" (what lots of that source received).
	Check string
	Year  int
	// History and Tables are the two numbers that differ (for
	// conservation: the equation's in and out sides).
	History int
	Tables  int
	// Terms are the account's terms, Wallet as the tables hold it.
	Terms Terms
}

func (i Imbalance) String() string {
	s := fmt.Sprintf("%s %s %s", i.Org, i.Product, i.Check)
	if i.Check == "allocated" {
		s += fmt.Sprintf(" year %d", i.Year)
	}
	return s + fmt.Sprintf(": history %d, tables %d (%+v)", i.History, i.Tables, i.Terms)
}

// Verify checks the history entries against themselves and against what
// the tables hold (LIC-13), and returns every imbalance, by account then
// check: the conservation equation with the wallet the lots hold; each
// year's allocation against the
// allocations the history recorded for it; and what lots from keys and
// from compensation received against the redeemed and compensation
// entries. Accounts found only in held are checked too.
func Verify(entries []Entry, held map[Account]Holding) []Imbalance {
	tally := Tally(entries)
	perYear := map[Account]map[int]int{}
	for _, e := range entries {
		if e.Kind == KindAllocate {
			a := Account{e.OrgID, e.Product}
			if perYear[a] == nil {
				perYear[a] = map[int]int{}
			}
			perYear[a][e.Year] += e.Quantity
		}
	}
	accounts := map[Account]bool{}
	for a := range tally {
		accounts[a] = true
	}
	for a := range held {
		accounts[a] = true
	}
	sorted := make([]Account, 0, len(accounts))
	for a := range accounts {
		sorted = append(sorted, a)
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Org != sorted[j].Org {
			return sorted[i].Org < sorted[j].Org
		}
		return sorted[i].Product < sorted[j].Product
	})

	var out []Imbalance
	for _, a := range sorted {
		h, t := held[a], tally[a]
		var redeemed, compensation int
		t.Wallet = 0
		for _, l := range h.Lots {
			if !l.Expired {
				t.Wallet += l.Quantity
			}
			switch l.Source {
			case FromKey:
				redeemed += l.Original
			case FromCompensation:
				compensation += l.Original
			}
		}
		bad := func(check string, year, history, tables int) {
			out = append(out, Imbalance{Account: a, Check: check, Year: year, History: history, Tables: tables, Terms: t})
		}
		if !t.Balanced() {
			bad("conservation", -1, t.In(), t.Out())
		}
		years := map[int]bool{}
		for k := range perYear[a] {
			years[k] = true
		}
		for k := range h.Years {
			years[k] = true
		}
		ks := make([]int, 0, len(years))
		for k := range years {
			ks = append(ks, k)
		}
		sort.Ints(ks)
		for _, k := range ks {
			if perYear[a][k] != h.Years[k].Allocated {
				bad("allocated", k, perYear[a][k], h.Years[k].Allocated)
			}
		}
		if t.Redeemed != redeemed {
			bad("redeemed", -1, t.Redeemed, redeemed)
		}
		if t.Compensation != compensation {
			bad("compensation", -1, t.Compensation, compensation)
		}
	}
	return out
}
