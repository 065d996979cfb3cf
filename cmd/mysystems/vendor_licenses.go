package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/license"
)

const vendorProductsUsage = `usage: mysystems vendor products add --id ID --name NAME --licensing subscription|hardware|both [--covers PATTERNS] [--gates FEATURES]
       mysystems vendor products list`

const vendorKeysUsage = `usage: mysystems vendor keys issue --product P --quantity Q --count N`

// shellVendor is the vendor operator of the command line.
var shellVendor = audit.Actor{Kind: audit.KindVendor, ID: "cli", Email: "vendor:shell"}

// listFlag is a flag holding a list: comma-separated, repeatable.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*l = append(*l, x)
		}
	}
	return nil
}

// cmdVendorProducts runs `mysystems vendor products add|list` on the
// configured database, as the vendor (LIC-1, LIC-14), exactly as POST and
// GET /api/v1/vendor/products do.
func cmdVendorProducts(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list") {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprintln(stdout, vendorProductsUsage)
			return nil
		}
		return errors.New("vendor products: say what: add | list\n" + vendorProductsUsage)
	}
	var p license.Product
	var licensing string
	var covers, gates listFlag
	cfg, rest, err := loadConfig("vendor products "+args[0], args[1:], stderr, getenv, func(fs *flag.FlagSet) {
		if args[0] == "add" {
			fs.StringVar(&p.ID, "id", "", "the product's id, a slug such as adm-extend (required)")
			fs.StringVar(&p.Name, "name", "", "the product's name (required)")
			fs.StringVar(&licensing, "licensing", "", "subscription, hardware or both (required)")
			fs.Var(&covers, "covers", `model patterns whose devices count in the need, comma-separated ("AXIS P*,AXIS M*", "*" for every model)`)
			fs.Var(&gates, "gates", "portal features the product licenses, comma-separated: "+featureNames())
		}
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("vendor products %s: unexpected argument %q", args[0], rest[0])
	}
	a, db, _, err := openApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "list" {
		ps, err := a.Licenses.Products(ctx)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			fmt.Fprintln(stdout, "no products in the catalogue")
			return nil
		}
		for _, p := range ps {
			fmt.Fprintf(stdout, "%-20s %-40s %-12s covers %s; gates %s\n", p.ID, p.Name, p.Licensing,
				strings.Join(p.Covers, ", "), orNone(p.Gates))
		}
		return nil
	}
	p.Licensing, p.Covers = license.Licensing(licensing), covers
	for _, g := range gates {
		p.Gates = append(p.Gates, license.Feature(g))
	}
	p, err = a.Licenses.AddProduct(ctx, shellVendor, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "product %s (%s) added to the catalogue\n", p.ID, p.Name)
	return nil
}

func featureNames() string {
	out := make([]string, len(license.Features))
	for i, f := range license.Features {
		out[i] = string(f)
	}
	return strings.Join(out, ", ")
}

func orNone(fs []license.Feature) string {
	if len(fs) == 0 {
		return "nothing"
	}
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return strings.Join(out, ", ")
}

// cmdVendorKeys runs `mysystems vendor keys issue` on the configured
// database, as the vendor (LIC-3), exactly as POST
// /api/v1/vendor/license-keys does: the keys go to standard output, one a
// line, this once (only their hashes are stored).
func cmdVendorKeys(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "issue" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprintln(stdout, vendorKeysUsage)
			return nil
		}
		return errors.New("vendor keys: say what: issue\n" + vendorKeysUsage)
	}
	var product string
	var quantity, count int
	cfg, rest, err := loadConfig("vendor keys issue", args[1:], stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&product, "product", "", "the product's id (required)")
		fs.IntVar(&quantity, "quantity", 0, fmt.Sprintf("licenses per key, 1 to %d (required)", license.MaxKeyQuantity))
		fs.IntVar(&count, "count", 1, fmt.Sprintf("how many keys, 1 to %d", license.MaxIssue))
	})
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return fmt.Errorf("vendor keys issue: unexpected argument %q", rest[0])
	case product == "":
		return errors.New("vendor keys issue: --product is required")
	case quantity == 0:
		return errors.New("vendor keys issue: --quantity is required")
	}
	a, db, _, err := openApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	ks, err := a.Licenses.IssueKeys(ctx, shellVendor, product, quantity, count)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d keys of %d licenses of %s issued; they are shown once:\n", len(ks), quantity, ks[0].Product)
	for _, k := range ks {
		fmt.Fprintln(stdout, k.Key)
	}
	return nil
}

// demoProducts is the license catalogue of the demo: AXIS Device Manager
// Extend counts every device and licenses the portal's device-management
// features; AXIS Camera Station Edge counts the cameras (the M, P and Q
// series: the demo's AXIS M3086-V, P3265-LVE and Q6135-LE, not its I8116-E
// intercom) and gates nothing; AXIS Camera Station Secure Entry counts the
// door controllers and intercoms (A and I series) and gates nothing.
func demoProducts() []license.Product {
	return []license.Product{
		{ID: "adm-extend", Name: "AXIS Device Manager Extend", Licensing: license.Subscription,
			Covers: []string{"*"}, Gates: append([]license.Feature{}, license.Features...)},
		{ID: "acs-edge", Name: "AXIS Camera Station Edge", Licensing: license.Subscription,
			Covers: []string{"AXIS M*", "AXIS P*", "AXIS Q*"}},
		{ID: "secure-entry", Name: "AXIS Camera Station Secure Entry", Licensing: license.Subscription,
			Covers: []string{"AXIS A*", "AXIS I*"}},
	}
}

// seedProducts adds the demo's license catalogue to the database, leaving
// products already there as they are (a demo reuses its data).
func seedProducts(ctx context.Context, a *app.App) error {
	for _, p := range demoProducts() {
		if _, err := a.Licenses.AddProduct(ctx, demoVendor, p); err != nil && !errs.Is(err, errs.Conflict) {
			return fmt.Errorf("demo license catalogue %s: %w", p.ID, err)
		}
	}
	return nil
}

const vendorLicensesUsage = `usage: mysystems vendor licenses verify`

// errImbalanced is the error of a conservation check that found licenses
// that do not balance (they are printed first).
var errImbalanced = errors.New("vendor licenses verify: the licenses do not balance")

// cmdVendorLicenses runs `mysystems vendor licenses verify` on the
// configured database (LIC-13): every organization's history is summed and
// checked against its lots and years; each imbalance is printed with its
// organization, product, check and terms, and the command exits non-zero
// when there is any.
func cmdVendorLicenses(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprintln(stdout, vendorLicensesUsage)
			return nil
		}
		return errors.New("vendor licenses: say what: verify\n" + vendorLicensesUsage)
	}
	cfg, rest, err := loadConfig("vendor licenses verify", args[1:], stderr, getenv, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("vendor licenses verify: unexpected argument %q", rest[0])
	}
	a, db, _, err := openApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := a.Licenses.Verify(ctx, shellVendor)
	if err != nil {
		return err
	}
	for _, im := range v.Imbalances {
		fmt.Fprintln(stdout, im.String())
	}
	if len(v.Imbalances) > 0 {
		fmt.Fprintf(stderr, "%d imbalances in %d accounts of %d organizations\n", len(v.Imbalances), v.Accounts, v.Orgs)
		return errImbalanced
	}
	fmt.Fprintf(stdout, "licenses balance: %d accounts of %d organizations checked\n", v.Accounts, v.Orgs)
	return nil
}
