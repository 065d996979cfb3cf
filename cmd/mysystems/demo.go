package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"mysystems/internal/account"
	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/httpapi"
	"mysystems/internal/sim"
)

// demoLogin is printed by `mysystems demo`. The demo runs on loopback by
// default; the password is public by design.
type demoLogin struct{ Email, Password string }

var demo = demoLogin{Email: "demo@example.com", Password: "demo-password-2026"}

// demoFleetFile keeps the demo devices' factory secrets, so a later demo run
// over the same data plays the same devices.
const demoFleetFile = "demo-devices.csv"

// demoSites are the demo organization's folders: site → areas.
var demoSites = []struct {
	site  string
	areas []string
}{
	{"Headquarters", []string{"Lobby", "Offices", "Server room"}},
	{"Warehouse", []string{"Loading dock", "Storage"}},
	{"Parking", []string{"Entrance", "Level -1"}},
}

// demoModels are the simulated devices' models, in the proportions played.
var demoModels = []string{"AXIS P3265-LVE", "AXIS M3086-V", "AXIS Q6135-LE", "AXIS I8116-E"}

// seedDemo creates the demo account, organizations, folders and devices
// once; later runs reuse them. It returns the login and the identities of
// the devices to simulate.
func seedDemo(ctx context.Context, a *app.App, dataDir string, devices int) (demoLogin, []sim.Identity, error) {
	path := filepath.Join(dataDir, demoFleetFile)
	_, err := a.Accounts.Register(ctx, account.RegisterInput{Email: demo.Email, Name: "Demo Admin", Password: demo.Password}, "demo")
	if errs.Is(err, errs.Invalid) {
		if _, lerr := a.Accounts.Login(ctx, demo.Email, demo.Password, "demo", "demo"); lerr != nil {
			return demo, nil, err
		}
		ids, err := sim.LoadIdentities(path)
		if errors.Is(err, fs.ErrNotExist) {
			return demo, nil, nil // seeded before devices existed: no fleet to play
		}
		return demo, ids, err
	}
	if err != nil {
		return demo, nil, err
	}
	res, err := a.Accounts.Login(ctx, demo.Email, demo.Password, "demo", "demo")
	if err != nil {
		return demo, nil, err
	}
	actor := audit.Actor{Kind: audit.KindUser, ID: res.User.ID, Email: res.User.Email, ClientAddr: "demo"}
	o, err := a.Orgs.Create(ctx, actor, "Demo Company", "Demonstration organization created by mysystems demo.")
	if err != nil {
		return demo, nil, err
	}
	if _, err := a.Orgs.Create(ctx, actor, "Demo Integrator Customer", ""); err != nil {
		return demo, nil, err
	}
	var areas []string
	siteOf := map[string]string{} // area → site folder
	sites := map[string]string{}  // site name → folder
	for _, s := range demoSites {
		site, err := a.Orgs.CreateFolder(ctx, actor, o.ID, "", s.site)
		if err != nil {
			return demo, nil, err
		}
		sites[s.site] = site.ID
		for _, name := range s.areas {
			f, err := a.Orgs.CreateFolder(ctx, actor, o.ID, site.ID, name)
			if err != nil {
				return demo, nil, err
			}
			areas = append(areas, f.ID)
			siteOf[f.ID] = site.ID
		}
	}
	vendor := audit.Actor{Kind: audit.KindVendor, ID: "demo", Email: "vendor:demo"}
	if err := seedCatalogue(ctx, a, vendor); err != nil {
		return demo, nil, err
	}
	if devices <= 0 {
		return demo, nil, nil
	}
	var minted []fleet.Minted
	for i, model := range demoModels {
		n := devices / len(demoModels)
		if i == 0 {
			n += devices % len(demoModels)
		}
		ms, err := a.Fleet.Mint(ctx, vendor, model, n)
		if err != nil {
			return demo, nil, err
		}
		minted = append(minted, ms...)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return demo, nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return demo, nil, err
	}
	if err := httpapi.WriteMintedCSV(f, minted); err != nil {
		f.Close()
		return demo, nil, err
	}
	if err := f.Close(); err != nil {
		return demo, nil, err
	}
	ids := make([]sim.Identity, 0, len(minted))
	var claimed []demoDevice
	for i, m := range minted {
		name := fmt.Sprintf("%s %03d", m.Model[5:], i+1)
		area := areas[i%len(areas)]
		d, err := a.Fleet.Claim(ctx, actor, o.ID, fleet.ClaimInput{Serial: m.Serial, OAK: m.OAK, FolderID: area, Name: name})
		if err != nil {
			return demo, nil, fmt.Errorf("claim demo device: %w", err)
		}
		claimed = append(claimed, demoDevice{ID: d.ID, Model: m.Model, Firmware: demoFirmware(i), Site: siteOf[area]})
		ids = append(ids, sim.Identity{Serial: m.Serial, Model: m.Model, Secret: m.Secret})
	}
	if err := seedDemoUpgrades(ctx, a, actor, o.ID, claimed, sites); err != nil {
		return demo, nil, err
	}
	return demo, ids, nil
}

// startDemoFleet plays the demo devices against the server at url, over a
// few HTTP/2 "sites", with a few devices offline now and then.
func startDemoFleet(ctx context.Context, url string, ids []sim.Identity, log *slog.Logger) (stop func(), err error) {
	if len(ids) == 0 {
		return func() {}, nil
	}
	for i := range ids {
		ids[i].Firmware = demoFirmware(i)
	}
	f, err := sim.New(sim.Config{Server: url, Sites: len(demoSites), StartSpread: 10e9, HeartbeatJitter: 5e9,
		Offline: 0.002, Speed: 1, FailInstall: 0.05, Log: log})
	if err != nil {
		return nil, err
	}
	if err := f.Start(ctx, ids); err != nil {
		return nil, err
	}
	return f.Stop, nil
}

// demoFirmwares are the versions the demo devices report, in turn, against
// demoReleases (FW-2): the newest active (nothing to do), an older active
// (an upgrade to 12.2.35), an older LTS 2024 (an upgrade to 10.12.252, its
// track's newest; for a model without it, a version the catalogue does not
// know: the active track) and the newest LTS 2024. About half of the demo's
// catalogued devices have a recommended upgrade.
var demoFirmwares = []string{"12.2.35", "11.11.73", "10.12.240", "10.12.252"}

// demoFirmware is the version the i-th demo device reports.
func demoFirmware(i int) string { return demoFirmwares[i%len(demoFirmwares)] }

// demoReleases are the demo's AXIS OS catalogue (FW-1): two models on the
// active track and the LTS 2024 track.
var demoReleases = []firmware.PublishInput{
	{Model: "AXIS P3265-LVE", Version: "11.11.73", Track: "active", Released: "2025-03-10"},
	{Model: "AXIS P3265-LVE", Version: "12.2.35", Track: "active", Released: "2025-11-04"},
	{Model: "AXIS P3265-LVE", Version: "10.12.240", Track: "lts-2024", Released: "2025-01-20"},
	{Model: "AXIS P3265-LVE", Version: "10.12.252", Track: "lts-2024", Released: "2025-09-15"},
	{Model: "AXIS M3086-V", Version: "11.11.73", Track: "active", Released: "2025-03-10"},
	{Model: "AXIS M3086-V", Version: "12.2.35", Track: "active", Released: "2025-11-04"},
	{Model: "AXIS M3086-V", Version: "10.12.252", Track: "lts-2024", Released: "2025-09-15"},
}

// seedCatalogue publishes the demo's releases, each with a small image of
// random bytes made now (a few KiB: enough to download, verify and show).
func seedCatalogue(ctx context.Context, a *app.App, vendor audit.Actor) error {
	for _, r := range demoReleases {
		image := make([]byte, 4<<10)
		_, _ = rand.Read(image)
		if _, err := a.Firmware.Publish(ctx, vendor, r, bytes.NewReader(image)); err != nil {
			return fmt.Errorf("demo catalogue %s %s: %w", r.Model, r.Version, err)
		}
	}
	return nil
}
