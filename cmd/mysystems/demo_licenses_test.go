package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"mysystems/internal/audit"
	"mysystems/internal/harness"
	"mysystems/internal/license"
)

// TestLIC5_DemoLicenses: the demo organization has one product licensed
// (renewed ahead, its allocation compensated), one in grace for its second
// year with licenses in its wallet, one in trial whose wallet holds a lot
// expiring soon; its history tells the story; the banner's key converts.
func TestLIC5_DemoLicenses(t *testing.T) {
	ctx := context.Background()
	s := harness.New(t, nil, harness.NoRateLimit())
	dir := t.TempDir()
	seed, err := seedDemo(ctx, s.App, dir, 40)
	if err != nil {
		t.Fatal(err)
	}
	owner := audit.Actor{Kind: audit.KindUser, ID: demoOwnerID(t, s)}
	ps, err := s.App.Licenses.OrgProducts(ctx, owner, seed.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]license.ProductStatus{}
	for _, p := range ps {
		by[p.Product.ID] = p
	}
	today := license.DateOf(s.Clock.Now())
	for _, c := range []struct {
		product  string
		status   license.Status
		daysLeft int
		need     int
	}{
		{"adm-extend", license.Licensed, 0, 40},
		{"acs-edge", license.Grace, 30 - 12, 30},
		{"secure-entry", license.Trial, 30 - demoTrialAgoDays, 10},
	} {
		p := by[c.product]
		if p.Status != c.status || p.DaysLeft != c.daysLeft || p.Need != c.need {
			t.Errorf("%s: %s, %d days left, need %d; want %s, %d days left, need %d", c.product, p.Status, p.DaysLeft, p.Need, c.status, c.daysLeft, c.need)
		}
		if got, want := p.RenewsOn, today.AddDays(-demoAnchorAgoDays); p.Status != license.Trial && got.Sub(want) < 365 {
			t.Errorf("%s renews on %s, anchor %s", c.product, got, want)
		}
	}
	if p := by["adm-extend"]; p.Allocated != 40 || p.Ahead[0] != 0 {
		t.Errorf("adm-extend: %d allocated to the current year, %d to the next; want 40 and 0", p.Allocated, p.Ahead[0])
	}
	if p := by["acs-edge"]; p.Wallet < 30/2+5 {
		t.Errorf("acs-edge: the wallet holds %d, want at least %d to allocate out of grace", p.Wallet, 30/2+5)
	}
	w, err := s.App.Licenses.Wallet(ctx, owner, seed.OrgID, "secure-entry")
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Lots) != 1 || w.Lots[0].Expires != today.AddDays(60) {
		t.Errorf("secure-entry wallet: %+v; want one lot expiring on %s", w.Lots, today.AddDays(60))
	}
	h, err := s.App.Licenses.History(ctx, owner, seed.OrgID, license.HistoryFilter{}, audit.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[license.Kind]int{}
	for _, e := range h.Entries {
		kinds[e.Kind]++
	}
	for _, k := range []license.Kind{license.KindStart, license.KindRedeem, license.KindAllocate, license.KindCompensation, license.KindRenewal, license.KindStatus} {
		if kinds[k] == 0 {
			t.Errorf("the demo's history has no %s entry: %v", k, kinds)
		}
	}
	var banner bytes.Buffer
	printDemoBanner(&banner, defaultConfig(), "sqlite", seed)
	if !strings.Contains(seed.LicenseKey, "-") || !strings.Contains(banner.String(), seed.LicenseKey) {
		t.Fatalf("banner key %q not in the banner:\n%s", seed.LicenseKey, banner.String())
	}
	if _, err := s.App.Licenses.Redeem(ctx, owner, seed.OrgID, seed.LicenseKey); err != nil {
		t.Errorf("the banner's key: %v", err)
	}
	v, err := s.App.Licenses.Verify(ctx, demoVendor)
	if err != nil || len(v.Imbalances) != 0 || v.Accounts < 3 {
		t.Errorf("conservation of the demo's licenses: %+v, %v", v, err)
	}
	// A later run keeps the story and makes a new key.
	again, err := seedDemo(ctx, s.App, dir, 40)
	if err != nil {
		t.Fatal(err)
	}
	if again.LicenseKey == "" || again.LicenseKey == seed.LicenseKey {
		t.Errorf("second run's key %q (first %q)", again.LicenseKey, seed.LicenseKey)
	}
}

func demoOwnerID(t *testing.T, s *harness.Server) string {
	t.Helper()
	res, err := s.App.Accounts.Login(context.Background(), demo.Email, demo.Password, "t", "t")
	if err != nil {
		t.Fatal(err)
	}
	return res.User.ID
}
