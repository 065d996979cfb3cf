package cli

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"mysystems/internal/api"
)

// The license commands (SPEC §9): the products' status, the wallet,
// converting keys, starting a product, allocating licenses and the
// history.

func warningsText(ws []api.LicenseWarningJSON) string {
	var out []string
	for _, w := range ws {
		switch w.Code {
		case "growth_limit_exceeded":
			out = append(out, fmt.Sprintf("growth limit exceeded: allocate %d now", w.Quantity))
		case "renewal_due":
			out = append(out, fmt.Sprintf("renewal due in %d days: %d missing", w.Days, w.Quantity))
		default:
			out = append(out, w.Code)
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, "; ")
}

func statusText(p api.ProductStatusJSON) string {
	switch p.Status {
	case "trial", "grace":
		return fmt.Sprintf("%s (%d days left)", p.Status, p.DaysLeft)
	}
	return p.Status
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cmdLicensesProducts(ctx context.Context, e *env, args []string) error {
	f := e.flags("licenses products", "ORG", "List every product of the catalogue with its license status in the organization:\n"+
		"trial or grace days left, need, licenses allocated to the current year, wallet,\n"+
		"warnings and renewal date (every member).", withJSON)
	pos, c, err := e.start(f, args, 1, 1)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodGet, pathf("/api/v1/orgs/%s/products", pos[0]), nil, "products", func(l api.List[api.ProductStatusJSON]) error {
		if len(l.Items) == 0 {
			fmt.Fprintln(e.out, "The license catalogue has no product yet.")
			return nil
		}
		var rows [][]string
		for _, p := range l.Items {
			rows = append(rows, []string{clean(p.ID), clean(p.Name), clean(statusText(p)), strconv.Itoa(p.Need),
				strconv.Itoa(p.Allocated), strconv.Itoa(p.Wallet), orDash(p.RenewsOn), clean(warningsText(p.Warnings))})
		}
		return printTable(e.out, []string{"ID", "NAME", "STATUS", "NEED", "ALLOCATED", "WALLET", "RENEWS", "WARNINGS"}, rows)
	})
}

func cmdLicensesWallet(ctx context.Context, e *env, args []string) error {
	f := e.flags("licenses wallet", "ORG PRODUCT", "Show a product's wallet: its lots, those expiring first first, and the\nlicenses available (every member).", withJSON)
	pos, c, err := e.start(f, args, 2, 2)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodGet, pathf("/api/v1/orgs/%s/products/%s/wallet", pos[0], pos[1]), nil, "wallet", func(w api.WalletJSON) error {
		fmt.Fprintf(e.out, "%s: %d licenses available.\n", clean(w.Product), w.Available)
		if len(w.Items) == 0 {
			return nil
		}
		var rows [][]string
		for _, l := range w.Items {
			rows = append(rows, []string{clean(l.ID), strconv.Itoa(l.Quantity), strconv.Itoa(l.Original), clean(l.Source), l.EnteredAt, l.ExpiresAt})
		}
		return printTable(e.out, []string{"LOT", "LEFT", "ENTERED WITH", "SOURCE", "ENTERED", "EXPIRES"}, rows)
	})
}

func cmdLicensesRedeem(ctx context.Context, e *env, args []string) error {
	f := e.flags("licenses redeem", "ORG KEY", "Convert a license key: its licenses enter the product's wallet (owner or admin).\n"+
		"Case, spaces and hyphens are ignored; a mistyped key is refused before any look-up.", withJSON)
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	return callOne(ctx, e, "redemption", http.MethodPost, pathf("/api/v1/orgs/%s/license-keys/redeem", pos[0]), api.RedeemRequest{Key: pos[1]},
		func(r api.RedeemedJSON) string {
			return fmt.Sprintf("Converted: %d licenses of %s entered the wallet (lot %s, expires %s).",
				r.Lot.Quantity, clean(r.ProductName), clean(r.Lot.ID), r.Lot.ExpiresAt)
		})
}

func cmdLicensesSubscribe(ctx context.Context, e *env, args []string) error {
	f := e.flags("licenses subscribe", "ORG PRODUCT", "Start a product in the organization: its 30-day trial opens (owner or admin).\n"+
		"The first product started sets the organization's subscription period.", withJSON)
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	return callOne(ctx, e, "product", http.MethodPost, pathf("/api/v1/orgs/%s/products/%s/subscription", pos[0], pos[1]), nil,
		func(p api.ProductStatusJSON) string {
			return fmt.Sprintf("Started %s: trial until %s; the subscription renews on %s.", clean(p.Name), p.TrialEnds, p.RenewsOn)
		})
}

func allocationText(a api.AllocationJSON) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Allocate %d licenses of %s to the subscription year beginning %s.\n", a.Quantity, clean(a.Product), a.YearStart)
	for _, l := range a.Lots {
		fmt.Fprintf(&b, "  from lot %s: %d (expires %s)\n", clean(l.Lot), l.Quantity, l.ExpiresAt)
	}
	if a.Compensation > 0 {
		fmt.Fprintf(&b, "Compensation: %d licenses credited back to the wallet (counted from %s).\n", a.Compensation, a.From)
	} else {
		b.WriteString("Compensation: none.\n")
	}
	fmt.Fprintf(&b, "Wallet: %d → %d. Status: %s → %s.", a.WalletBefore, a.Status.Wallet, a.StatusBefore, statusText(a.Status))
	return b.String()
}

func cmdLicensesAllocate(ctx context.Context, e *env, args []string) error {
	f := e.flags("licenses allocate", "ORG PRODUCT --quantity N [--year K] [--yes]",
		"Allocate licenses of the wallet to the current subscription year (--year 0) or up to\n"+
			"5 years ahead (owner or admin). The summary (lots taken, compensation, status after)\n"+
			"is shown first; on a terminal you are asked to confirm, otherwise pass --yes.", withJSON)
	quantity := f.Int("quantity", 0, "how many licenses (required)")
	year := f.Int("year", 0, "0 for the current year, 1 to 5 for years ahead")
	yes := f.Bool("yes", false, "allocate without asking")
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	if *quantity < 1 {
		return usagef(f, "--quantity N is required (1 or more)")
	}
	if !*yes && !e.interactive {
		return e.confirm(f, false, "allocate licenses", "")
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	path := pathf("/api/v1/orgs/%s/products/%s/allocations", pos[0], pos[1])
	if !*yes {
		sum, _, err := decoded[api.AllocationJSON](ctx, c, http.MethodPost, path, api.AllocationRequest{Year: *year, Quantity: *quantity}, "summary")
		if err != nil {
			return err
		}
		fmt.Fprintln(e.out, allocationText(sum))
		if err := e.confirm(f, false, "allocate licenses", "Confirm allocation?"); err != nil {
			return err
		}
	}
	return show(ctx, e, c, http.MethodPost, path, api.AllocationRequest{Year: *year, Quantity: *quantity, Confirm: true}, "allocation",
		func(a api.AllocationJSON) error {
			if *yes {
				fmt.Fprintln(e.out, allocationText(a))
			}
			_, err := fmt.Fprintf(e.out, "Allocated %d licenses of %s; the wallet holds %d.\n", a.Quantity, clean(a.Product), a.Status.Wallet)
			return err
		})
}

var cmdLicensesHistory = listCommand[api.LicenseEntryJSON]{
	name:     "licenses history",
	synopsis: "ORG [--product P] [--kind K] [--since T] [--until T] [--limit N] [--cursor C] [--all] [--csv]",
	about: "Read the organization's license history, newest first (every member). Without --all\n" +
		"one page is shown; --csv exports the whole filtered history. Kinds: start, redeem,\n" +
		"allocate, compensation, renewal, expiry, status.",
	args: 1,
	path: func(pos []string) string { return pathf("/api/v1/orgs/%s/license-history", pos[0]) },
	filters: []listFilter{
		{name: "product", help: "only this product (id)"},
		{name: "kind", help: "only entries of this kind"},
		{name: "since", help: "from this time or date (inclusive)"},
		{name: "until", help: "before this time or date (exclusive)"},
	},
	paged: true,
	noun:  "entries",
	csv:   "the whole filtered history",
	head:  []string{"ID", "DAY", "ACTOR", "PRODUCT", "KIND", "QUANTITY", "YEAR", "LOT"},
	row: func(x api.LicenseEntryJSON, _ map[string]string) []string {
		actor := x.Actor.Email
		if actor == "" {
			actor = x.Actor.Kind + ":" + x.Actor.ID
		}
		year := "-"
		if x.Year != nil {
			year = strconv.Itoa(*x.Year)
		}
		return []string{clean(x.ID), x.Day, clean(actor), clean(x.Product), clean(x.Kind), strconv.Itoa(x.Quantity), year, orDash(clean(x.Lot))}
	},
}.run
