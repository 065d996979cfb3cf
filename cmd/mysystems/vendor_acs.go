package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"mysystems/internal/acs"
	"mysystems/internal/audit"
)

const vendorACSUsage = `usage: mysystems vendor acs publish --version V [--released YYYY-MM-DD] [--url URL]`

// cmdVendorACS runs `mysystems vendor acs publish` on the configured
// database, as the vendor (SRV-2), exactly as POST
// /api/v1/vendor/acs-versions does.
func cmdVendorACS(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "publish" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, vendorACSUsage)
			return nil
		}
		return errors.New("vendor acs: say what: publish\n" + vendorACSUsage)
	}
	var in acs.PublishInput
	cfg, rest, err := loadConfig("vendor acs publish", args[1:], stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&in.Version, "version", "", "the ACS Pro version, e.g. 6.5.2 (required)")
		fs.StringVar(&in.ReleasedAt, "released", "", "the release date, YYYY-MM-DD (default: now)")
		fs.StringVar(&in.URL, "url", "", "where servers download it (default: the vendor's usual address for the version)")
	})
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return fmt.Errorf("vendor acs publish: unexpected argument %q", rest[0])
	case in.Version == "":
		return errors.New("vendor acs publish: --version is required")
	}
	a, db, _, err := openApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := a.ACS.PublishVersion(ctx, audit.Actor{Kind: audit.KindVendor, ID: "cli", Email: "vendor:shell"}, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ACS Pro %s published (released %s): servers on older versions now have a recommended upgrade\n",
		p.Version, p.ReleasedAt.Format("2006-01-02"))
	return nil
}
