package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/fleet"
	"mysystems/internal/httpapi"
)

// mintChunk is how many identities one call to Mint makes; a progress line
// follows each chunk of a larger run.
var mintChunk = 5000

// cmdVendorDevices runs `mysystems vendor devices mint --model M --count N
// [--out FILE]` on the configured database, as the vendor: new device
// identities, written once as CSV serial,model,secret,oak (the simulator's
// input) to FILE (created, mode 0600) or standard output.
func cmdVendorDevices(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "mint" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, "usage: mysystems vendor devices mint --model M --count N [--out FILE]")
			return nil
		}
		return errors.New("vendor devices: say what: mint --model M --count N [--out FILE]")
	}
	var model, out string
	var count int
	cfg, rest, err := loadConfig("vendor devices mint", args[1:], stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&model, "model", "", "the model of the new devices (required)")
		fs.IntVar(&count, "count", 0, fmt.Sprintf("how many identities to mint, 1 to %d (required)", fleet.MaxMint))
		fs.StringVar(&out, "out", "", "write the CSV to this new file (mode 0600) instead of standard output")
	})
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return fmt.Errorf("vendor devices mint: unexpected argument %q", rest[0])
	case model == "":
		return errors.New("vendor devices mint: --model is required")
	case count < 1 || count > fleet.MaxMint:
		return fmt.Errorf("vendor devices mint: --count must be between 1 and %d", fleet.MaxMint)
	}
	// The file is created first: a wrong path must fail before identities
	// whose secrets would be shown nowhere exist. An existing file is never
	// overwritten, since it may hold the secrets of an earlier run.
	w, f := stdout, (*os.File)(nil)
	if out != "" {
		f, err = os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("vendor devices mint: %s already exists: choose a new file (it may hold the secrets of devices minted before)", out)
		}
		if err != nil {
			return fmt.Errorf("vendor devices mint: %w", err)
		}
		w = f
	}
	closeOut := func() error {
		if f == nil {
			return nil
		}
		return f.Close()
	}
	log := newLogger(cfg, stderr)
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		closeOut()
		if f != nil {
			os.Remove(out)
		}
		return err
	}
	defer db.Close()
	a := app.New(appConfig(cfg), db, nil, log)
	minted, mintErr := mintAll(ctx, a, model, count, stderr)
	if len(minted) == 0 {
		closeOut()
		if f != nil {
			os.Remove(out)
		}
		return mintErr
	}
	// Whatever was minted is written, even when a later chunk failed: these
	// secrets exist nowhere else.
	werr := httpapi.WriteMintedCSV(w, minted)
	if cerr := closeOut(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("writing the minted identities: %w", werr)
	}
	if mintErr != nil {
		return fmt.Errorf("minted %d of %d identities, then: %w (the %d are written)", len(minted), count, mintErr, len(minted))
	}
	if out != "" {
		fmt.Fprintf(stderr, "minted %d %s identities into %s; it holds their secrets: keep it safe\n", len(minted), model, out)
	} else {
		fmt.Fprintf(stderr, "minted %d %s identities\n", len(minted), model)
	}
	return nil
}

// mintAll mints count identities chunk by chunk, reporting progress on
// stderr when there is more than one chunk. It returns what was minted
// before an error too.
func mintAll(ctx context.Context, a *app.App, model string, count int, stderr io.Writer) ([]fleet.Minted, error) {
	actor := audit.Actor{Kind: audit.KindVendor, ID: "cli", Email: "vendor:shell"}
	out := make([]fleet.Minted, 0, count)
	for len(out) < count {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		ms, err := a.Fleet.Mint(ctx, actor, model, min(mintChunk, count-len(out)))
		if err != nil {
			return out, err
		}
		out = append(out, ms...)
		if count > mintChunk {
			fmt.Fprintf(stderr, "minted %d of %d…\n", len(out), count)
		}
	}
	return out, nil
}
