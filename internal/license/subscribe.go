package license

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
	"mysystems/internal/org"
)

// ProductSubscription is a product started in an organization as the store keeps
// it: the rules' Subscribed, the status last recorded (a change is written
// to the history) and the last day the daily job processed.
type ProductSubscription struct {
	Subscribed
	Status    Status
	Processed Date
	StartedBy string
}

// NeedCount is how many of an organization's devices of one model sit in
// one folder: what the need of every product is counted from.
type NeedCount struct {
	Model    string
	FolderID string
	Devices  int
}

// subscriptionTx is what the subscription use cases need of a store
// transaction, on top of the wallet's and the history's methods.
type subscriptionTx interface {
	// LockLicenses serializes the license changes of one organization
	// (allocations, starts, the daily job) until the transaction ends.
	LockLicenses(ctx context.Context, orgID string) error
	// LicensePeriod returns the organization's period (the zero Period
	// while no product started).
	LicensePeriod(ctx context.Context, orgID string) (Period, error)
	// CreateLicensePeriod sets the organization's anchor, once.
	CreateLicensePeriod(ctx context.Context, orgID string, anchor Date, at time.Time) error
	// LicenseSubscriptions returns the organization's started products, by
	// product id, with their years.
	LicenseSubscriptions(ctx context.Context, orgID string) ([]ProductSubscription, error)
	// LicenseSubscription returns one started product (not found: the
	// product has not started).
	LicenseSubscription(ctx context.Context, orgID, product string) (ProductSubscription, error)
	// CreateLicenseSubscription starts a product; one started already is a
	// conflict.
	CreateLicenseSubscription(ctx context.Context, orgID string, s ProductSubscription, at time.Time) error
	// UpdateLicenseSubscription records a started product's early trial
	// end, status and last processed day.
	UpdateLicenseSubscription(ctx context.Context, orgID string, s ProductSubscription) error
	// SetLicenseYear records what a product has for year k.
	SetLicenseYear(ctx context.Context, orgID, product string, k int, y Year, at time.Time) error
	// LicenseNeedCounts counts the organization's devices per model and
	// folder, in one query.
	LicenseNeedCounts(ctx context.Context, orgID string) ([]NeedCount, error)
}

// ProductStatus is a product of the catalogue as an organization sees it
// (LIC-1, LIC-5): its status on the day, what its wallet holds and when
// its subscription renews.
type ProductStatus struct {
	Product Product
	View
	// Wallet is the licenses the wallet holds; RenewsOn the next renewal
	// (zero for a product not started).
	Wallet   int
	RenewsOn Date
	// Started is the day the product started (zero: not started).
	Started Date
}

// Need returns the need of product p counted from counts: the devices
// whose model it covers.
func (p Product) Need(counts []NeedCount) int {
	n := 0
	for _, c := range counts {
		if p.CoversModel(c.Model) {
			n += c.Devices
		}
	}
	return n
}

func statusOf(p Product, per Period, sub ProductSubscription, counts []NeedCount, lots []Lot, today Date) ProductStatus {
	need := p.Need(counts)
	out := ProductStatus{Product: p, View: Evaluate(per, sub.Subscribed, need, today), Started: sub.Started}
	out.Wallet = Stock{Product: p.Name, Lots: lots}.Available(today)
	if sub.IsStarted() && per.Started() {
		out.RenewsOn = per.NextRenewal(today)
	}
	return out
}

func productID(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// OrgProducts returns every product of the catalogue with its status in the
// organization on the day (LIC-1, LIC-5; every member): not_started for
// those not started, the need now, what is allocated to the current year
// and to each year ahead, the wallet, the warnings, the trial's and grace
// period's ends and the renewal date. The need is counted with one query.
func (s *Service) OrgProducts(ctx context.Context, actor audit.Actor, orgID string) ([]ProductStatus, error) {
	var out []ProductStatus
	err := s.store.Read(ctx, func(tx Tx) error {
		if err := enter(ctx, tx, actor, orgID, access.ViewLicenses); err != nil {
			return err
		}
		ps, err := tx.LicenseProducts(ctx)
		if err != nil {
			return err
		}
		per, err := tx.LicensePeriod(ctx, orgID)
		if err != nil {
			return err
		}
		subs, err := tx.LicenseSubscriptions(ctx, orgID)
		if err != nil {
			return err
		}
		counts, err := tx.LicenseNeedCounts(ctx, orgID)
		if err != nil {
			return err
		}
		today := DateOf(s.clock.Now())
		out = make([]ProductStatus, 0, len(ps))
		for _, p := range ps {
			var sub ProductSubscription
			for _, x := range subs {
				if x.Product == p.ID {
					sub = x
				}
			}
			lots, err := tx.LicenseWalletLots(ctx, orgID, p.ID)
			if err != nil {
				return err
			}
			out = append(out, statusOf(p, per, sub, counts, lots, today))
		}
		return nil
	})
	return out, err
}

// ModelNeed and FolderNeed break a product's need down.
type ModelNeed struct {
	Model   string
	Devices int
}

// FolderNeed is how many devices a product covers in one folder.
type FolderNeed struct {
	FolderID string
	Name     string
	Path     string
	Devices  int
}

// Overview is one product in an organization with its need broken down
// per model and per folder (LIC-5: the product's overview page).
type Overview struct {
	ProductStatus
	Models  []ModelNeed
	Folders []FolderNeed
}

// Product returns a product's overview in the organization (every
// member).
func (s *Service) Product(ctx context.Context, actor audit.Actor, orgID, product string) (Overview, error) {
	var out Overview
	err := s.store.Read(ctx, func(tx Tx) error {
		if err := enter(ctx, tx, actor, orgID, access.ViewLicenses); err != nil {
			return err
		}
		p, err := tx.LicenseProduct(ctx, productID(product))
		if err != nil {
			return err
		}
		per, err := tx.LicensePeriod(ctx, orgID)
		if err != nil {
			return err
		}
		sub, err := optionalSubscription(ctx, tx, orgID, p.ID)
		if err != nil {
			return err
		}
		counts, err := tx.LicenseNeedCounts(ctx, orgID)
		if err != nil {
			return err
		}
		lots, err := tx.LicenseWalletLots(ctx, orgID, p.ID)
		if err != nil {
			return err
		}
		folders, err := tx.Folders(ctx, orgID)
		if err != nil {
			return err
		}
		out.ProductStatus = statusOf(p, per, sub, counts, lots, DateOf(s.clock.Now()))
		out.Models, out.Folders = breakDown(p, counts, folders)
		return nil
	})
	return out, err
}

// breakDown sums the devices p covers per model (by model) and per folder
// (by path).
func breakDown(p Product, counts []NeedCount, folders []org.Folder) ([]ModelNeed, []FolderNeed) {
	models, perFolder := map[string]int{}, map[string]int{}
	for _, c := range counts {
		if p.CoversModel(c.Model) {
			models[c.Model] += c.Devices
			perFolder[c.FolderID] += c.Devices
		}
	}
	ms := make([]ModelNeed, 0, len(models))
	for m, n := range models {
		ms = append(ms, ModelNeed{m, n})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Model < ms[j].Model })
	byID := map[string]org.Folder{}
	for _, f := range folders {
		byID[f.ID] = f
	}
	path := func(id string) string {
		var parts []string
		for seen := 0; id != "" && seen < len(folders)+1; seen++ {
			f, ok := byID[id]
			if !ok {
				break
			}
			parts = append([]string{f.Name}, parts...)
			id = f.ParentID
		}
		return strings.Join(parts, " / ")
	}
	fs := make([]FolderNeed, 0, len(perFolder))
	for id, n := range perFolder {
		fs = append(fs, FolderNeed{FolderID: id, Name: byID[id].Name, Path: path(id), Devices: n})
	}
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].Path != fs[j].Path {
			return fs[i].Path < fs[j].Path
		}
		return fs[i].FolderID < fs[j].FolderID
	})
	return ms, fs
}

// optionalSubscription returns the product's subscription, the zero one
// when it has not started.
func optionalSubscription(ctx context.Context, tx Tx, orgID, product string) (ProductSubscription, error) {
	sub, err := tx.LicenseSubscription(ctx, orgID, product)
	if errs.Is(err, errs.NotFound) {
		return ProductSubscription{}, nil
	}
	return sub, err
}

// Start starts a product's trial in the organization (LIC-1, LIC-4;
// Owners and Admins): the first product started sets the organization's
// anchor, a later one joins the current year. A product started already is
// a conflict; a product that is not a subscription product is refused
// (invalid). The start is written to the license history (kind start) and
// the audit log.
func (s *Service) Start(ctx context.Context, actor audit.Actor, orgID, product string) (ProductStatus, error) {
	var out ProductStatus
	err := s.store.WriteGrouped(ctx, func(tx Tx) error {
		if err := enter(ctx, tx, actor, orgID, access.ManageLicenses); err != nil {
			return err
		}
		if err := tx.LockLicenses(ctx, orgID); err != nil {
			return err
		}
		p, err := tx.LicenseProduct(ctx, productID(product))
		if err != nil {
			return err
		}
		if p.Licensing == Hardware {
			return errs.E(errs.Conflict, "err.license.not_subscription", i18n.Quoted(p.Name))
		}
		old, err := optionalSubscription(ctx, tx, orgID, p.ID)
		if err != nil {
			return err
		}
		if old.IsStarted() {
			return errs.E(errs.Conflict, "err.license.started", i18n.Quoted(p.Name), old.Started.String())
		}
		per, err := tx.LicensePeriod(ctx, orgID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		today := DateOf(now)
		first := !per.Started()
		per, subd := Start(per, p.ID, today)
		if first {
			if err := tx.CreateLicensePeriod(ctx, orgID, per.Anchor, now); err != nil {
				return err
			}
		}
		counts, err := tx.LicenseNeedCounts(ctx, orgID)
		if err != nil {
			return err
		}
		sub := ProductSubscription{Subscribed: subd, StartedBy: actor.ID}
		sub.Status = Evaluate(per, subd, p.Need(counts), today).Status
		sub.Processed = today
		if err := tx.CreateLicenseSubscription(ctx, orgID, sub, now); err != nil {
			return err
		}
		k := per.YearOf(today)
		details := map[string]string{"trial_ends": subd.TrialLast().String(), "anchor": per.Anchor.String()}
		if _, err := tx.AppendLicenseHistory(ctx, Entry{OrgID: orgID, At: now, Day: today, Actor: historyActor(actor),
			Product: p.ID, Kind: KindStart, Year: k, Details: details}); err != nil {
			return err
		}
		if err := tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.LicenseStart,
			TargetType: audit.TargetProduct, TargetID: p.ID, Details: map[string]any{"name": p.Name,
				"trial_ends": subd.TrialLast().String(), "anchor": per.Anchor.String()}}); err != nil {
			return err
		}
		lots, err := tx.LicenseWalletLots(ctx, orgID, p.ID)
		if err != nil {
			return err
		}
		out = statusOf(p, per, sub, counts, lots, today)
		return nil
	})
	if err != nil {
		return ProductStatus{}, err
	}
	s.log.Info("license product started", "org", orgID, "product", out.Product.ID, "by", actor.ID)
	return out, nil
}

// TakenLot is a lot an allocation takes licenses from, with its expiry.
type TakenLot struct {
	Lot      string
	Quantity int
	Expires  Date
}

// Allocation is an allocation's summary (LIC-6, LIC-9): what it takes,
// what it credits back, the status it leads to; Done says it was carried
// out (else it only shows what confirming would do).
type Allocation struct {
	Product Product
	Plan
	Lots []TakenLot
	// CompensationLot is the lot the compensation entered as (set once
	// done and when compensation is due).
	CompensationLot *Lot
	// Before is the status before the allocation; Wallet what the wallet
	// holds before it.
	Before Status
	Wallet int
	// YearStart is the first day of the year the licenses go to.
	YearStart Date
	// Status is the product as the allocation leaves it.
	Status ProductStatus
	Done   bool
}

// Allocate allocates quantity licenses of the wallet to the year ahead
// years after the current one (0..YearsAhead) of a product (LIC-6, LIC-9;
// Owners and Admins). Without confirm it changes nothing and returns the
// summary: the lots taken with their expiry, the compensation and its day
// t, and the status the allocation leads to. With confirm, in one
// transaction that holds the organization's license lock and reads the
// lots inside it (so two allocations at once never take the same
// licenses): the lots are taken, the year gets the licenses, the
// compensation enters as a new lot, and the history (allocate,
// compensation, status when it changes) and the audit log record it.
// More than the wallet holds is a conflict that says what it holds.
func (s *Service) Allocate(ctx context.Context, actor audit.Actor, orgID, product string, ahead, quantity int, confirm bool) (Allocation, error) {
	var out Allocation
	run := s.store.Read
	if confirm {
		run = s.store.WriteGrouped
	}
	err := run(ctx, func(tx Tx) error {
		if err := enter(ctx, tx, actor, orgID, access.ManageLicenses); err != nil {
			return err
		}
		if confirm {
			if err := tx.LockLicenses(ctx, orgID); err != nil {
				return err
			}
		}
		p, err := tx.LicenseProduct(ctx, productID(product))
		if err != nil {
			return err
		}
		per, err := tx.LicensePeriod(ctx, orgID)
		if err != nil {
			return err
		}
		sub, err := optionalSubscription(ctx, tx, orgID, p.ID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		today := DateOf(now)
		// The lots an allocation of quantity can take, and the total: a
		// wallet of many lots is not read whole.
		lots, available, err := tx.LicenseWalletHead(ctx, orgID, p.ID, today, quantity)
		if err != nil {
			return err
		}
		counts, err := tx.LicenseNeedCounts(ctx, orgID)
		if err != nil {
			return err
		}
		need := p.Need(counts)
		w := Stock{Product: p.Name, Lots: lots}
		plan, err := PlanAllocation(per, sub.Subscribed, w, need, ahead, quantity, today)
		if err != nil {
			return err
		}
		out = Allocation{Product: p, Plan: plan, Before: Evaluate(per, sub.Subscribed, need, today).Status,
			Wallet: available}
		out.Status = ProductStatus{Product: p, View: plan.View, Wallet: out.Wallet - quantity + plan.Compensation,
			RenewsOn: per.NextRenewal(today), Started: sub.Started}
		out.YearStart = per.YearStart(plan.Year)
		for _, t := range plan.Taken {
			for _, l := range lots {
				if l.ID == t.Lot {
					out.Lots = append(out.Lots, TakenLot{Lot: l.ID, Quantity: t.Quantity, Expires: l.Expires})
				}
			}
		}
		if !confirm {
			return nil
		}
		return s.carryOut(ctx, tx, actor, orgID, per, &out, sub, w, now)
	})
	if err != nil {
		return Allocation{}, err
	}
	if confirm {
		s.log.Info("licenses allocated", "org", orgID, "product", out.Product.ID, "year", out.Year,
			"quantity", out.Quantity, "compensation", out.Compensation, "by", actor.ID)
	}
	return out, nil
}

// carryOut makes a planned allocation inside the write transaction.
func (s *Service) carryOut(ctx context.Context, tx Tx, actor audit.Actor, orgID string, per Period, a *Allocation, sub ProductSubscription, w Stock, now time.Time) error {
	today := DateOf(now)
	p, plan := a.Product, a.Plan
	after := w.After(plan.Taken)
	for _, t := range plan.Taken {
		for _, l := range after.Lots {
			if l.ID == t.Lot {
				if err := tx.SetLicenseLotQuantity(ctx, orgID, l.ID, l.Quantity); err != nil {
					return err
				}
			}
		}
	}
	if err := tx.SetLicenseYear(ctx, orgID, p.ID, plan.Year, plan.After.Year(plan.Year), now); err != nil {
		return err
	}
	who := historyActor(actor)
	parts := make([]string, len(a.Lots))
	for i, l := range a.Lots {
		parts[i] = l.Lot + ":" + strconv.Itoa(l.Quantity)
	}
	details := map[string]string{"lots": strings.Join(parts, ","), "status": string(plan.View.Status)}
	if _, err := tx.AppendLicenseHistory(ctx, Entry{OrgID: orgID, At: now, Day: today, Actor: who, Product: p.ID,
		Kind: KindAllocate, Quantity: plan.Quantity, Year: plan.Year, Details: details}); err != nil {
		return err
	}
	if plan.Compensation > 0 {
		l := NewLot(account.NewID("lot_"), p.ID, plan.Compensation, today, FromCompensation)
		if err := tx.AddLicenseLot(ctx, orgID, l, "", now); err != nil {
			return err
		}
		a.CompensationLot = &l
		if _, err := tx.AppendLicenseHistory(ctx, Entry{OrgID: orgID, At: now, Day: today, Actor: who, Product: p.ID,
			Kind: KindCompensation, Quantity: plan.Compensation, Year: plan.Year, Lot: l.ID,
			Details: map[string]string{"from": plan.From.String(), "allocated": strconv.Itoa(plan.Quantity),
				"expires_on": l.Expires.String()}}); err != nil {
			return err
		}
	}
	next := ProductSubscription{Subscribed: plan.After, Status: plan.View.Status, Processed: sub.Processed, StartedBy: sub.StartedBy}
	if next.Status != a.Before {
		if _, err := tx.AppendLicenseHistory(ctx, Entry{OrgID: orgID, At: now, Day: today, Actor: who, Product: p.ID,
			Kind: KindStatus, Year: plan.View.Year, Details: map[string]string{"from": string(a.Before), "to": string(next.Status)}}); err != nil {
			return err
		}
	}
	if err := tx.UpdateLicenseSubscription(ctx, orgID, next); err != nil {
		return err
	}
	a.Done = true
	d := map[string]any{"name": p.Name, "quantity": plan.Quantity, "year": plan.Year,
		"year_starts": per.YearStart(plan.Year).String(), "compensation": plan.Compensation,
		"from": string(a.Before), "to": string(next.Status)}
	return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.LicenseAllocate,
		TargetType: audit.TargetProduct, TargetID: p.ID, Details: d})
}
