package license

import (
	"context"
	"slices"

	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// Gater says whether a license-gated feature may be used in an
// organization now (LIC-14). The domain services that own gated actions
// (upgrades, schedules, device accounts) are given one; without one every
// feature is free.
type Gater interface {
	Gate(ctx context.Context, orgID string, f Feature) error
}

// GatedBy returns the product of the catalogue that gates feature f, if
// any (a feature is gated by one product at most).
func GatedBy(catalogue []Product, f Feature) (Product, bool) {
	for _, p := range catalogue {
		if slices.Contains(p.Gates, f) {
			return p, true
		}
	}
	return Product{}, false
}

// CheckGate applies LIC-14 to a feature gated by product p whose status is
// v: the feature works in trial, licensed and grace; otherwise it is
// refused (conflict: the organization's license state forbids the change)
// with a message that names the feature and the product and says what to
// do: start a trial of it, or allocate the licenses the current year
// lacks.
func CheckGate(p Product, f Feature, v View) error {
	if v.Status.Usable() {
		return nil
	}
	feature := i18n.Key("license.feature." + string(f))
	if v.Status == NotStarted {
		return errs.E(errs.Conflict, "err.license.gate_not_started", feature, p.Name)
	}
	return errs.E(errs.Conflict, "err.license.gate_unlicensed", feature, p.Name, max(1, v.YearNeed-v.Allocated))
}

// Gate refuses feature f in the organization while the product that gates
// it is neither in trial, licensed nor in grace there (LIC-14); a feature
// no product gates is free. It reads in a transaction of its own: the
// domain services call it after their own access checks.
func (s *Service) Gate(ctx context.Context, orgID string, f Feature) error {
	var out error
	err := s.store.Read(ctx, func(tx Tx) error {
		ps, err := tx.LicenseProducts(ctx)
		if err != nil {
			return err
		}
		p, ok := GatedBy(ps, f)
		if !ok {
			return nil
		}
		per, err := tx.LicensePeriod(ctx, orgID)
		if err != nil {
			return err
		}
		sub, err := optionalSubscription(ctx, tx, orgID, p.ID)
		if err != nil {
			return err
		}
		need := 0
		if sub.IsStarted() {
			counts, err := tx.LicenseNeedCounts(ctx, orgID)
			if err != nil {
				return err
			}
			need = p.Need(counts)
		}
		out = CheckGate(p, f, Evaluate(per, sub.Subscribed, need, DateOf(s.clock.Now())))
		return nil
	})
	if err != nil {
		return err
	}
	return out
}
