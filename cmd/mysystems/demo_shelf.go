package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"mysystems/internal/app"
	"mysystems/internal/fleet"
	"mysystems/internal/sim"
	"mysystems/internal/store"
)

// The demo's shelf: a few simulated devices that no organization has
// claimed, online from the start, whose serial and owner authentication key
// (OAK) the banner prints, as printed on a real device's label, so adding a
// device (DEV-3) can be tried from the web (Devices, Add device) or the CLI
// (mysystems devices claim ORG SERIAL --oak OAK).

// demoShelfFile keeps the shelf's identities, OAKs included, so a later
// demo run plays the same devices; a device claimed since is still played.
const demoShelfFile = "demo-unclaimed.json"

// demoShelfSize is how many unclaimed devices each demo run offers: the
// shelf is topped up when some were claimed.
const demoShelfSize = 3

// seedDemoShelf reads the shelf, mints devices to bring its unclaimed ones
// to demoShelfSize, and returns the identities to simulate (every shelf
// device) and the devices still unclaimed.
func seedDemoShelf(ctx context.Context, a *app.App, dataDir string) ([]sim.Identity, []fleet.Minted, error) {
	path := filepath.Join(dataDir, demoShelfFile)
	var shelf []fleet.Minted
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &shelf); err != nil {
			return nil, nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	unclaimed, err := demoUnclaimed(ctx, a, shelf)
	if err != nil {
		return nil, nil, err
	}
	if missing := demoShelfSize - len(unclaimed); missing > 0 {
		made := len(shelf)
		for i := range missing {
			model := demoModels[(made+i)%len(demoModels)]
			ms, err := a.Fleet.Mint(ctx, demoVendor, model, 1)
			if err != nil {
				return nil, nil, err
			}
			shelf = append(shelf, ms...)
			unclaimed = append(unclaimed, ms...)
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, nil, err
		}
		b, err := json.MarshalIndent(shelf, "", "  ")
		if err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, nil, err
		}
	}
	ids := make([]sim.Identity, len(shelf))
	for i, m := range shelf {
		ids[i] = sim.Identity{Serial: m.Serial, Model: m.Model, Secret: m.Secret}
	}
	return ids, unclaimed, nil
}

// demoUnclaimed returns the shelf's devices that no organization claimed.
func demoUnclaimed(ctx context.Context, a *app.App, shelf []fleet.Minted) ([]fleet.Minted, error) {
	if len(shelf) == 0 {
		return nil, nil
	}
	serials := make([]string, len(shelf))
	for i, m := range shelf {
		serials[i] = m.Serial
	}
	var claims map[string]string
	if err := a.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		claims, err = tx.Claims(ctx, serials)
		return err
	}); err != nil {
		return nil, err
	}
	var out []fleet.Minted
	for _, m := range shelf {
		if claims[m.Serial] == "" {
			out = append(out, m)
		}
	}
	return out, nil
}
