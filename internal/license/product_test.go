package license

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"mysystems/internal/errs"
)

func TestLIC1_CheckProduct(t *testing.T) {
	ok := Product{ID: " ADM-Extend ", Name: " AXIS Device Manager Extend ", Licensing: Subscription,
		Covers: []string{" * "}, Gates: []Feature{FeatureUpgrades, FeatureSchedules, FeatureDeviceAccounts}}
	t.Run("OK", func(t *testing.T) {
		p, err := CheckProduct(ok)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID != "adm-extend" || p.Name != "AXIS Device Manager Extend" || !slices.Equal(p.Covers, []string{"*"}) || len(p.Gates) != 3 {
			t.Fatalf("tidied: %+v", p)
		}
		hw, err := CheckProduct(Product{ID: "acs-pro-recorder", Name: "ACS Pro recorder", Licensing: Hardware})
		if err != nil || hw.Covers == nil || hw.Gates == nil {
			t.Fatalf("a hardware product covers no model and gates nothing: %+v %v", hw, err)
		}
	})
	with := func(f func(*Product)) Product {
		p := ok
		p.Covers, p.Gates = slices.Clone(ok.Covers), slices.Clone(ok.Gates)
		f(&p)
		return p
	}
	many := make([]string, MaxCovers+1)
	for i := range many {
		many[i] = "AXIS P" + strings.Repeat("1", i+1)
	}
	for _, c := range []struct {
		name, field, key string
		p                Product
	}{
		{"ErrIDEmpty", "id", "err.license.product_id", with(func(p *Product) { p.ID = " " })},
		{"ErrIDSpace", "id", "err.license.product_id", with(func(p *Product) { p.ID = "adm extend" })},
		{"ErrIDHyphens", "id", "err.license.product_id", with(func(p *Product) { p.ID = "adm--extend" })},
		{"ErrIDEdge", "id", "err.license.product_id", with(func(p *Product) { p.ID = "-adm" })},
		{"ErrIDLong", "id", "err.license.product_id", with(func(p *Product) { p.ID = strings.Repeat("a", MaxProductID+1) })},
		{"ErrIDAccent", "id", "err.license.product_id", with(func(p *Product) { p.ID = "caméra" })},
		{"ErrNameEmpty", "name", "err.license.product_name_required", with(func(p *Product) { p.Name = "  " })},
		{"ErrNameLong", "name", "err.license.product_name", with(func(p *Product) { p.Name = strings.Repeat("é", MaxProductName+1) })},
		{"ErrNameLines", "name", "err.license.product_name", with(func(p *Product) { p.Name = "AXIS\nEdge" })},
		{"ErrLicensing", "licensing", "err.license.licensing", with(func(p *Product) { p.Licensing = "perpetual" })},
		{"ErrLicensingEmpty", "licensing", "err.license.licensing", with(func(p *Product) { p.Licensing = "" })},
		{"ErrCoversNone", "covers", "err.license.covers_required", with(func(p *Product) { p.Covers = nil })},
		{"ErrCoversEmptyPattern", "covers", "err.license.pattern_empty", with(func(p *Product) { p.Covers = []string{"AXIS P*", " "} })},
		{"ErrCoversInnerStar", "covers", "err.license.pattern_star", with(func(p *Product) { p.Covers = []string{"AXIS *-LVE"} })},
		{"ErrCoversTwoStars", "covers", "err.license.pattern_star", with(func(p *Product) { p.Covers = []string{"AXIS P**"} })},
		{"ErrCoversTwice", "covers", "err.license.covers_twice", with(func(p *Product) { p.Covers = []string{"AXIS P*", "axis p*"} })},
		{"ErrCoversLong", "covers", "err.license.pattern", with(func(p *Product) { p.Covers = []string{strings.Repeat("P", MaxPattern+1)} })},
		{"ErrCoversControl", "covers", "err.license.pattern", with(func(p *Product) { p.Covers = []string{"AXIS\tP*"} })},
		{"ErrCoversMany", "covers", "err.license.covers_many", with(func(p *Product) { p.Covers = many })},
		{"ErrGateUnknown", "gates", "err.license.gate_unknown", with(func(p *Product) { p.Gates = []Feature{"video"} })},
		{"ErrGateTwice", "gates", "err.license.gate_twice", with(func(p *Product) { p.Gates = []Feature{FeatureUpgrades, FeatureUpgrades} })},
		{"ErrGatesHardware", "gates", "err.license.gates_hardware", with(func(p *Product) { p.Licensing = Hardware })},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := CheckProduct(c.p)
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || e.Field != c.field || e.Key != c.key {
				t.Fatalf("got %v, want invalid %s on field %s", err, c.key, c.field)
			}
		})
	}
}

// LIC-5: a product's need counts the devices whose model its patterns
// cover: "*" every model, a trailing * any rest, else the model itself,
// ignoring case.
func TestLIC5_ProductCoversModel(t *testing.T) {
	edge := Product{Covers: []string{"AXIS M*", "AXIS P*", "AXIS Q*", "AXIS F41"}}
	all := Product{Covers: []string{"*"}}
	none := Product{}
	for _, c := range []struct {
		p     Product
		model string
		want  bool
	}{
		{edge, "AXIS P3265-LVE", true},
		{edge, "axis p3265-lve", true},
		{edge, " AXIS M3086-V ", true},
		{edge, "AXIS Q6135-LE", true},
		{edge, "AXIS I8116-E", false},
		{edge, "AXIS F41", true},
		{edge, "AXIS F410", false},
		{edge, "AXIS", false},
		{edge, "", false},
		{edge, "BXIS P1", false},
		{all, "AXIS I8116-E", true},
		{all, "", true},
		{none, "AXIS P3265-LVE", false},
		{Product{Covers: []string{"AXIS P3265-LVE"}}, "AXIS P3265-LVE ", true},
		{Product{Covers: []string{"AXIS P3265-LVE"}}, "AXIS P3265-LV", false},
		{Product{Covers: []string{"Caméra É*"}}, "CAMÉRA éte", true},
	} {
		if got := c.p.CoversModel(c.model); got != c.want {
			t.Errorf("%v covers %q = %v, want %v", c.p.Covers, c.model, got, c.want)
		}
	}
}

// LIC-2: a lot leaves the wallet LotYears after it entered, on that day.
// LIC-13: the history's filters read like the audit log's.
func TestLIC13_ParseHistoryFilter(t *testing.T) {
	f, err := ParseHistoryFilter(url.Values{"product": {" adm-extend "}, "kind": {"redeem"}, "since": {"2026-03-01"}, "until": {"2026-03-02"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Product != "adm-extend" || f.Kind != KindRedeem || !f.Since.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) ||
		!f.Until.After(time.Date(2026, 3, 2, 23, 59, 59, 0, time.UTC)) {
		t.Fatalf("filter %+v", f)
	}
	if f, err := ParseHistoryFilter(url.Values{}); err != nil || f != (HistoryFilter{}) {
		t.Fatalf("no filter: %+v %v", f, err)
	}
	for q, field := range map[string]string{"kind=bought": "kind", "since=yesterday": "since", "until=2026-13-01": "until",
		"since=2026-03-02&until=2026-03-01": "until", "product=" + strings.Repeat("p", 41): "product"} {
		v, _ := url.ParseQuery(q)
		_, err := ParseHistoryFilter(v)
		if e, ok := errs.As(err); !ok || e.Code != errs.Invalid || e.Field != field {
			t.Errorf("%s: %v, want invalid on %s", q, err, field)
		}
	}
}
