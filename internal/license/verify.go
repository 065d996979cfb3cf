package license

import (
	"context"

	"mysystems/internal/audit"
)

// verifyTx is what the conservation check needs of a store transaction.
type verifyTx interface {
	// LicenseOrgs returns every organization that has license data (a
	// history entry, a lot or a started product): a platform query.
	LicenseOrgs(ctx context.Context) ([]string, error)
}

// Verified is what a conservation check covered and found.
type Verified struct {
	Orgs       int
	Accounts   int
	Imbalances []Imbalance
}

// Verify checks the conservation of licenses (LIC-13) in every
// organization (vendor operators only): for each one, in one transaction
// holding its license lock (so the history and the tables are read at the
// same moment), it reads the whole history, the lots and the years of
// every product, and runs the rules' Verify.
func (s *Service) Verify(ctx context.Context, actor audit.Actor) (Verified, error) {
	if err := vendorOnly(actor); err != nil {
		return Verified{}, err
	}
	var orgs []string
	var catalogue []Product
	if err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		if orgs, err = tx.LicenseOrgs(ctx); err != nil {
			return err
		}
		catalogue, err = tx.LicenseProducts(ctx)
		return err
	}); err != nil {
		return Verified{}, err
	}
	out := Verified{Orgs: len(orgs)}
	for _, orgID := range orgs {
		var entries []Entry
		held := map[Account]Holding{}
		err := s.store.Write(ctx, func(tx Tx) error {
			entries, held = nil, map[Account]Holding{}
			if err := tx.LockLicenses(ctx, orgID); err != nil {
				return err
			}
			p := audit.Page{Limit: 1000}
			for {
				page, next, err := tx.LicenseHistory(ctx, orgID, HistoryFilter{}, p)
				if err != nil {
					return err
				}
				entries = append(entries, page...)
				if next == "" {
					break
				}
				p.Cursor = next
			}
			subs, err := tx.LicenseSubscriptions(ctx, orgID)
			if err != nil {
				return err
			}
			for _, pr := range catalogue {
				lots, err := tx.LicenseLots(ctx, orgID, pr.ID)
				if err != nil {
					return err
				}
				h := Holding{Lots: lots}
				for _, sub := range subs {
					if sub.Product == pr.ID {
						h.Years = sub.Years
					}
				}
				if len(h.Lots) > 0 || h.Years != nil {
					held[Account{orgID, pr.ID}] = h
				}
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		accounts := map[Account]bool{}
		for a := range held {
			accounts[a] = true
		}
		for _, e := range entries {
			accounts[Account{e.OrgID, e.Product}] = true
		}
		out.Accounts += len(accounts)
		out.Imbalances = append(out.Imbalances, Verify(entries, held)...)
	}
	return out, nil
}
