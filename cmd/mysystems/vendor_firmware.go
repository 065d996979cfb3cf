package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"mysystems/internal/audit"
	"mysystems/internal/firmware"
)

const vendorFirmwareUsage = `usage: mysystems vendor firmware publish --model M --version V --track active|lts-YYYY --file IMAGE [--released YYYY-MM-DD]
       mysystems vendor firmware withdraw RELEASE_ID --reason TEXT`

// cmdVendorFirmware runs `mysystems vendor firmware publish|withdraw` on the
// configured database, as the vendor (FW-1): the image is copied into the
// data directory by its SHA-256 and the release signed with the platform's
// key, exactly as POST /api/v1/vendor/firmware does.
func cmdVendorFirmware(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || (args[0] != "publish" && args[0] != "withdraw") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, vendorFirmwareUsage)
			return nil
		}
		return errors.New("vendor firmware: say what: publish | withdraw\n" + vendorFirmwareUsage)
	}
	var in firmware.PublishInput
	var file, reason string
	flags := args[1:]
	if args[0] == "withdraw" && len(flags) > 0 && !strings.HasPrefix(flags[0], "-") {
		// withdraw RELEASE_ID --reason TEXT: the id may come before the flags.
		flags = append(append([]string{}, flags[1:]...), flags[0])
	}
	cfg, rest, err := loadConfig("vendor firmware "+args[0], flags, stderr, getenv, func(fs *flag.FlagSet) {
		if args[0] == "publish" {
			fs.StringVar(&in.Model, "model", "", "the model the release is for (required)")
			fs.StringVar(&in.Version, "version", "", "the AXIS OS version, e.g. 12.2.35 (required)")
			fs.StringVar(&in.Track, "track", "", "active, or an LTS track such as lts-2024 (required)")
			fs.StringVar(&file, "file", "", "the image file (required)")
			fs.StringVar(&in.Released, "released", "", "the release date, YYYY-MM-DD (default: today)")
		} else {
			fs.StringVar(&reason, "reason", "", "why the release is withdrawn (required)")
		}
	})
	if err != nil {
		return err
	}
	actor := audit.Actor{Kind: audit.KindVendor, ID: "cli", Email: "vendor:shell"}
	if args[0] == "withdraw" {
		if len(rest) != 1 || reason == "" {
			return errors.New("vendor firmware withdraw: give the release id and --reason TEXT")
		}
		a, db, _, err := openApp(ctx, cfg, stderr)
		if err != nil {
			return err
		}
		defer db.Close()
		p, err := a.Firmware.Withdraw(ctx, actor, rest[0], reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "release %s (%s %s) withdrawn: it is no longer recommended\n", p.ID, p.Model, p.Version)
		return nil
	}
	switch {
	case len(rest) > 0:
		return fmt.Errorf("vendor firmware publish: unexpected argument %q", rest[0])
	case in.Model == "" || in.Version == "" || in.Track == "" || file == "":
		return errors.New("vendor firmware publish: --model, --version, --track and --file are required")
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("vendor firmware publish: %w", err)
	}
	defer f.Close()
	a, db, _, err := openApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := a.Firmware.Publish(ctx, actor, in, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "release %s published: %s %s on %s, %d bytes, sha256 %s\n", p.ID, p.Model, p.Version, p.Track.Label(), p.Size, p.SHA256)
	return nil
}
