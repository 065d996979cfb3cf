package license

import (
	"sort"

	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// LotExpiry returns the day a lot that entered the wallet on entered
// leaves it: LotYears later, on 28 February for a lot that entered on 29
// February when that year has none (LIC-2). The lot can be allocated up to
// the day before.
func LotExpiry(entered Date) Date { return addYears(entered, LotYears) }

// NewLot returns a lot of n licenses entering a product's wallet on day
// entered, with its expiry.
func NewLot(id, product string, n int, entered Date, source LotSource) Lot {
	return Lot{ID: id, Product: product, Quantity: n, Original: n, Entered: entered, Expires: LotExpiry(entered), Source: source}
}

// Usable reports whether the lot's licenses can be taken on day today: it
// has some left and has not reached its expiry.
func (l Lot) Usable(today Date) bool {
	return l.Quantity > 0 && !l.Expired && today.Before(l.Expires)
}

// Stock is the lots of one product's wallet in one organization (LIC-2),
// as the rules see them: including those already empty or expired, which
// are simply skipped. (Wallet is what the service shows of it.)
type Stock struct {
	// Product is the product's name, as messages show it.
	Product string
	Lots    []Lot
}

// Taken is what an allocation takes from one lot.
type Taken struct {
	Lot      string
	Quantity int
}

// Available returns the licenses the wallet holds on day today (the lots
// that have not reached their expiry).
func (w Stock) Available(today Date) int {
	n := 0
	for _, l := range w.Lots {
		if l.Usable(today) {
			n += l.Quantity
		}
	}
	return n
}

// Take returns the lots n licenses taken on day today come from: the
// lots that expire first (then the earliest entered, then by id), never a
// lot that has reached its expiry. It refuses a quantity that is not
// positive (invalid, field "quantity") and more than the wallet holds
// (conflict, err.license.wallet_short). The wallet is not changed: see
// Stock.After.
func (w Stock) Take(n int, today Date) ([]Taken, error) {
	if n <= 0 {
		return nil, errs.InvalidField("quantity", "err.license.quantity", n)
	}
	if have := w.Available(today); have < n {
		return nil, errs.E(errs.Conflict, "err.license.wallet_short", have, i18n.Quoted(w.Product), n)
	}
	lots := w.byExpiry(today)
	var taken []Taken
	for _, l := range lots {
		q := min(l.Quantity, n)
		taken = append(taken, Taken{Lot: l.ID, Quantity: q})
		if n -= q; n == 0 {
			break
		}
	}
	return taken, nil
}

// After returns a copy of the wallet with taken removed from its lots.
func (w Stock) After(taken []Taken) Stock {
	out := Stock{Product: w.Product, Lots: append([]Lot(nil), w.Lots...)}
	for _, t := range taken {
		for i := range out.Lots {
			if out.Lots[i].ID == t.Lot {
				out.Lots[i].Quantity -= t.Quantity
			}
		}
	}
	return out
}

// Expiring returns the lots that must leave the wallet on day today: those
// with licenses left whose expiry is today or earlier and that have not
// left yet, in the order they expired (then entry, then id).
func (w Stock) Expiring(today Date) []Lot {
	var out []Lot
	for _, l := range w.Lots {
		if l.Quantity > 0 && !l.Expired && !today.Before(l.Expires) {
			out = append(out, l)
		}
	}
	sortLots(out)
	return out
}

// byExpiry returns the usable lots in the order they are taken.
func (w Stock) byExpiry(today Date) []Lot {
	var out []Lot
	for _, l := range w.Lots {
		if l.Usable(today) {
			out = append(out, l)
		}
	}
	sortLots(out)
	return out
}

func sortLots(lots []Lot) {
	sort.SliceStable(lots, func(i, j int) bool {
		a, b := lots[i], lots[j]
		if a.Expires != b.Expires {
			return a.Expires.Before(b.Expires)
		}
		if a.Entered != b.Entered {
			return a.Entered.Before(b.Entered)
		}
		return a.ID < b.ID
	})
}
