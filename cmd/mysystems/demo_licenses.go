package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/license"
)

// The demo's licenses (SPEC §9): the demo organization's subscription
// period began a year and 12 days ago, so its first renewal was 12 days
// ago. AXIS Device Manager Extend started two months into the first year
// (its allocation was compensated) and was renewed ahead: licensed.
// AXIS Camera Station Edge started on the anchor and was licensed for the
// first year only: in grace for the second, 18 days left, with licenses in
// its wallet to allocate. AXIS Camera Station Secure Entry started 5 days
// ago: in trial. The lots entered on different days, one of them 5 years
// ago less 60 days, so it expires soon.
const (
	demoAnchorAgoDays = 365 + 12
	demoTrialAgoDays  = 5
)

// seedDemoLicenses plays the demo organization's license story at the
// days it happened, with a license service whose clock is set to each day
// in turn, so that trials, compensation, renewals and lot expiries are
// those of a real history. It runs once, on the first start of the demo.
func seedDemoLicenses(ctx context.Context, a *app.App, owner audit.Actor, orgID string, now time.Time) error {
	clk := clock.NewFake(now)
	// The replay's log lines (products started, licenses allocated) would
	// only be noise in the demo's console; its errors are returned.
	lic := license.NewService(a.DB.Licenses(), clk, slog.New(slog.DiscardHandler))
	today := license.DateOf(now)
	anchor := today.AddDays(-demoAnchorAgoDays)
	// at sets the clock to day d and runs the daily job there, as it ran
	// every day meanwhile (renewals, grace, status changes).
	var dailyErr error
	at := func(d license.Date) {
		clk.Set(d.Time().Add(9*time.Hour + 30*time.Minute))
		if _, err := lic.Daily(ctx); err != nil && dailyErr == nil {
			dailyErr = err
		}
	}
	redeem := func(product string, quantity int, d license.Date) error {
		at(d)
		keys, err := lic.IssueKeys(ctx, demoVendor, product, quantity, 1)
		if err != nil {
			return err
		}
		_, err = lic.Redeem(ctx, owner, orgID, keys[0].Key.String())
		return err
	}
	need := func(product string) (int, error) {
		ps, err := lic.OrgProducts(ctx, owner, orgID)
		if err != nil {
			return 0, err
		}
		for _, p := range ps {
			if p.Product.ID == product {
				return p.Need, nil
			}
		}
		return 0, fmt.Errorf("demo license catalogue: no product %s", product)
	}
	allocate := func(product string, ahead, quantity int, d license.Date) error {
		at(d)
		if quantity <= 0 {
			return nil
		}
		_, err := lic.Allocate(ctx, owner, orgID, product, ahead, quantity, true)
		return err
	}
	start := func(product string, d license.Date) error {
		at(d)
		_, err := lic.Start(ctx, owner, orgID, product)
		return err
	}
	cameras, err := need("acs-edge")
	if err != nil {
		return err
	}
	devices, err := need("adm-extend")
	if err != nil {
		return err
	}
	steps := []func() error{
		// A lot bought long ago for a product started only now: it
		// expires 60 days from today.
		func() error {
			return redeem("secure-entry", 8, license.DateOf(today.AddDays(60).Time().AddDate(-license.LotYears, 0, 0)))
		},
		func() error { return redeem("acs-edge", cameras+cameras/2+5, anchor.AddDays(-20)) },
		func() error { return start("acs-edge", anchor) },
		func() error { return allocate("acs-edge", 0, cameras, anchor.AddDays(10)) },
		func() error { return start("adm-extend", anchor.AddDays(61)) },
		func() error { return redeem("adm-extend", 2*devices+10, anchor.AddDays(70)) },
		func() error { return allocate("adm-extend", 0, devices, anchor.AddDays(70)) },
		func() error { return allocate("adm-extend", 1, devices, anchor.AddDays(300)) },
		func() error { return start("secure-entry", today.AddDays(-demoTrialAgoDays)) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("demo licenses, step %d: %w", i+1, err)
		}
	}
	at(today)
	if dailyErr != nil {
		return fmt.Errorf("demo licenses, daily job: %w", dailyErr)
	}
	return nil
}

// demoLicenseKey issues a key for the banner, to convert in the demo
// organization's AXIS Camera Station Edge wallet and allocate out of grace.
func demoLicenseKey(ctx context.Context, a *app.App) (string, error) {
	keys, err := a.Licenses.IssueKeys(ctx, demoVendor, "acs-edge", 100, 1)
	if err != nil {
		return "", fmt.Errorf("demo license key: %w", err)
	}
	return keys[0].Key.String(), nil
}
