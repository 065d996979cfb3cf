package main

import (
	"flag"
	"fmt"
)

// commandHelp is the --help of the commands whose flags loadConfig parses:
// what follows the command on its usage line, and what it does.
var commandHelp = map[string]struct{ args, about string }{
	"serve": {"[flags]", `Run the server: the web interface, the API (/api/v1), the device gateway
(/device/v1), the ACS Pro servers' endpoint (/server/v1) and the background
jobs, on SQLite (default: DATA_DIR/mysystems.db) or PostgreSQL. Migrates the
database at start.`},
	"demo": {"[flags]", `Run the server with demo data: organizations, folders, members of every
role, a pending invitation, simulated devices (and a few to add), an AXIS OS
catalogue and simulated ACS Pro servers. Prints the URL, the logins, the
devices to add and where to read the e-mails. The data is made on the first
run and reused by the next ones (same --data-dir or --database).`},
	"migrate": {"[flags]", "Apply the database migrations and exit."},
	"vendor token": {"[--name NAME] [flags]", `Print a new platform (vendor-operator) token for the vendor API; it is
shown once.`},
	"vendor restore": {"ORG_ID [flags]", "Restore an archived organization (directly in the database)."},
	"vendor outbox": {"[--to EMAIL] [--limit N] [flags]", `Show the e-mails in the outbox, newest first, bodies included: without an
SMTP server (--smtp-url) nothing is sent, and invitation links and codes are
read here.`},
	"vendor devices mint": {"--model M --count N [--out FILE] [flags]", `Make new device identities (serial, factory secret, owner authentication
key), written once as CSV serial,model,secret,oak: the simulator's input, and
the OAKs that claim the devices.`},
	"vendor firmware publish": {"--model M --version V --track active|lts-YYYY --file IMAGE [--released YYYY-MM-DD] [flags]",
		"Publish an AXIS OS release: the image is stored by its SHA-256 and the release signed."},
	"vendor firmware withdraw": {"RELEASE_ID --reason TEXT [flags]", "Stop recommending a release (devices can still download it)."},
	"vendor acs publish": {"--version V [--released YYYY-MM-DD] [--url URL] [flags]",
		"Publish an ACS Pro version: servers on an older one get a recommended upgrade."},
	"vendor products add": {"--id ID --name NAME --licensing subscription|hardware|both [--covers PATTERNS] [--gates FEATURES] [flags]",
		`Add a product to the license catalogue: the device models whose devices
count in its need ("AXIS P*", "*") and the portal features it licenses.`},
	"vendor products list": {"[flags]", "Show the license catalogue."},
	"vendor keys issue": {"--product P --quantity Q --count N [flags]", `Issue license keys of a product, each of Q licenses, written to standard
output one a line: they are shown once, only their hashes are kept.`},
	"vendor licenses verify": {"[flags]", `Check that licenses are conserved in every organization (LIC-13): the
history's redemptions, compensations, allocations and expiries against the
lots and the years' allocations. Each imbalance is printed (organization,
product, check, terms) and the command exits 1; it prints a summary and
exits 0 when everything balances.`},
}

// commandUsage is the --help of the command name, whose flags are fs's.
func commandUsage(fs *flag.FlagSet, name string) func() {
	return func() {
		w := fs.Output()
		h, ok := commandHelp[name]
		if !ok {
			h.args = "[flags]"
		}
		fmt.Fprintf(w, "usage: mysystems %s %s\n\n", name, h.args)
		if h.about != "" {
			fmt.Fprintf(w, "%s\n\n", h.about)
		}
		fmt.Fprintln(w, "flags:")
		fs.PrintDefaults()
	}
}

const vendorUsage = `usage: mysystems vendor token [--name NAME]
       mysystems vendor restore ORG_ID
       mysystems vendor outbox [--to EMAIL] [--limit N]
       mysystems vendor devices mint --model M --count N [--out FILE]
       mysystems vendor firmware publish|withdraw …
       mysystems vendor acs publish --version V …
       mysystems vendor products add|list …
       mysystems vendor keys issue --product P --quantity Q --count N
       mysystems vendor licenses verify

Vendor operators' tasks, run on the server's database (the same --data-dir or
--database as the server). 'mysystems vendor COMMAND --help' says more.
`

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}
