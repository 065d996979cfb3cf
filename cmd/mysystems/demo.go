package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"mysystems/internal/access"
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

// demoOrgName is the demo organization, where the demo's devices, members
// and servers are.
const demoOrgName = "Demo Company"

// demoVendor is the vendor operator the demo mints devices and publishes
// releases as.
var demoVendor = audit.Actor{Kind: audit.KindVendor, ID: "demo", Email: "vendor:demo"}

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

// demoSeed is what the demo made on its first run, or found on a later
// one: the logins it prints, the pending invitation, the devices waiting to
// be claimed and the devices it simulates.
type demoSeed struct {
	// Owner is the demo account, Owner of both demo organizations.
	Owner demoLogin
	// OrgID is the demo organization's id.
	OrgID string
	// Members are the demo organization's other members, one per role.
	Members []demoMember
	// Invited is the address of the pending invitation (USR-1).
	Invited string
	// Unclaimed are simulated devices no organization has claimed yet: their
	// serial and OAK claim them (DEV-3).
	Unclaimed []fleet.Minted
	// Fleet are the claimed demo devices to simulate; Shelf the devices made
	// to be claimed (Unclaimed, and those claimed since), simulated too.
	Fleet, Shelf []sim.Identity
	// LicenseKey is a license key made for this run, not converted yet
	// (LIC-3): 100 licenses of AXIS Camera Station Edge.
	LicenseKey string
}

// seedDemo creates the demo account, organizations, folders, devices,
// members, invitation and unclaimed devices once; later runs reuse them
// (and make again what a later run needs: a pending invitation, a few
// unclaimed devices).
func seedDemo(ctx context.Context, a *app.App, dataDir string, devices int) (demoSeed, error) {
	seed := demoSeed{Owner: demo}
	var err error
	if err = seedProducts(ctx, a); err != nil {
		return seed, err
	}
	if seed.Fleet, err = seedDemoFleet(ctx, a, dataDir, devices); err != nil {
		return seed, err
	}
	owner, orgID, err := demoOwner(ctx, a)
	if err != nil {
		return seed, err
	}
	seed.OrgID = orgID
	if seed.Members, err = seedDemoMembers(ctx, a, owner, orgID, dataDir); err != nil {
		return seed, fmt.Errorf("demo members: %w", err)
	}
	if seed.Invited, err = seedDemoInvitation(ctx, a, owner, orgID); err != nil {
		return seed, fmt.Errorf("demo invitation: %w", err)
	}
	if seed.Shelf, seed.Unclaimed, err = seedDemoShelf(ctx, a, dataDir); err != nil {
		return seed, fmt.Errorf("demo unclaimed devices: %w", err)
	}
	if seed.LicenseKey, err = demoLicenseKey(ctx, a); err != nil {
		return seed, err
	}
	return seed, nil
}

// seedDemoFleet creates the demo account, organizations, folders, catalogue
// and claimed devices on the first run, and returns the identities of the
// devices to simulate (read back from the data directory on later runs).
func seedDemoFleet(ctx context.Context, a *app.App, dataDir string, devices int) ([]sim.Identity, error) {
	path := filepath.Join(dataDir, demoFleetFile)
	_, err := a.Accounts.Register(ctx, account.RegisterInput{Email: demo.Email, Name: "Demo Admin", Password: demo.Password}, "demo")
	if errs.Is(err, errs.Invalid) {
		if _, lerr := a.Accounts.Login(ctx, demo.Email, demo.Password, "demo", "demo"); lerr != nil {
			return nil, err
		}
		ids, err := sim.LoadIdentities(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // seeded without devices: no fleet to play
		}
		return ids, err
	}
	if err != nil {
		return nil, err
	}
	res, err := a.Accounts.Login(ctx, demo.Email, demo.Password, "demo", "demo")
	if err != nil {
		return nil, err
	}
	actor := audit.Actor{Kind: audit.KindUser, ID: res.User.ID, Email: res.User.Email, ClientAddr: "demo"}
	o, err := a.Orgs.Create(ctx, actor, demoOrgName, "Demonstration organization created by mysystems demo.")
	if err != nil {
		return nil, err
	}
	if _, err := a.Orgs.Create(ctx, actor, "Demo Integrator Customer", ""); err != nil {
		return nil, err
	}
	var areas []string
	siteOf := map[string]string{} // area → site folder
	sites := map[string]string{}  // site name → folder
	for _, s := range demoSites {
		site, err := a.Orgs.CreateFolder(ctx, actor, o.ID, "", s.site)
		if err != nil {
			return nil, err
		}
		sites[s.site] = site.ID
		for _, name := range s.areas {
			f, err := a.Orgs.CreateFolder(ctx, actor, o.ID, site.ID, name)
			if err != nil {
				return nil, err
			}
			areas = append(areas, f.ID)
			siteOf[f.ID] = site.ID
		}
	}
	if err := seedCatalogue(ctx, a, demoVendor); err != nil {
		return nil, err
	}
	if devices <= 0 {
		return nil, seedDemoLicenses(ctx, a, actor, o.ID, a.Clock.Now())
	}
	var minted []fleet.Minted
	for i, model := range demoModels {
		n := devices / len(demoModels)
		if i == 0 {
			n += devices % len(demoModels)
		}
		ms, err := a.Fleet.Mint(ctx, demoVendor, model, n)
		if err != nil {
			return nil, err
		}
		minted = append(minted, ms...)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	if err := httpapi.WriteMintedCSV(f, minted); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	ids := make([]sim.Identity, 0, len(minted))
	var claimed []demoDevice
	for i, m := range minted {
		name := fmt.Sprintf("%s %03d", m.Model[5:], i+1)
		area := areas[i%len(areas)]
		d, err := a.Fleet.Claim(ctx, actor, o.ID, fleet.ClaimInput{Serial: m.Serial, OAK: m.OAK, FolderID: area, Name: name})
		if err != nil {
			return nil, fmt.Errorf("claim demo device: %w", err)
		}
		claimed = append(claimed, demoDevice{ID: d.ID, Model: m.Model, Firmware: demoFirmware(i), Site: siteOf[area]})
		ids = append(ids, sim.Identity{Serial: m.Serial, Model: m.Model, Secret: m.Secret})
	}
	if err := seedDemoLicenses(ctx, a, actor, o.ID, a.Clock.Now()); err != nil {
		return nil, err
	}
	if err := seedDemoUpgrades(ctx, a, actor, o.ID, claimed, sites); err != nil {
		return nil, err
	}
	return ids, nil
}

// demoOwner signs the demo account in and finds the demo organization.
func demoOwner(ctx context.Context, a *app.App) (audit.Actor, string, error) {
	res, err := a.Accounts.Login(ctx, demo.Email, demo.Password, "demo", "demo")
	if err != nil {
		return audit.Actor{}, "", err
	}
	actor := audit.Actor{Kind: audit.KindUser, ID: res.User.ID, Email: res.User.Email, ClientAddr: "demo"}
	mine, _, err := a.Orgs.Mine(ctx, res.User.ID, audit.Page{Limit: 10})
	if err != nil {
		return actor, "", err
	}
	for _, m := range mine {
		if m.Org.Name == demoOrgName {
			return actor, m.Org.ID, nil
		}
	}
	return actor, "", errors.New("demo: no " + demoOrgName + " organization")
}

// startDemoFleet plays the demo devices against the server at url: the
// claimed ones over a few HTTP/2 "sites", with a few devices offline now and
// then, and the devices made to be claimed (the shelf) each on its own
// connection, all online from the start, so a claim shows them online at
// once. It returns the shelf's fleet beside the stop function.
func startDemoFleet(ctx context.Context, url string, seed demoSeed, log *slog.Logger) (stop func(), shelf *sim.Fleet, err error) {
	var fleets []*sim.Fleet
	stop = func() {
		for _, f := range fleets {
			f.Stop()
		}
	}
	if ids := seed.Fleet; len(ids) > 0 {
		for i := range ids {
			ids[i].Firmware = demoFirmware(i)
		}
		f, err := sim.New(sim.Config{Server: url, Sites: len(demoSites), StartSpread: 10e9, HeartbeatJitter: 5e9,
			Offline: 0.002, Speed: 1, FailInstall: 0.05, Log: log})
		if err != nil {
			return nil, nil, err
		}
		if err := f.Start(ctx, ids); err != nil {
			return nil, nil, err
		}
		fleets = append(fleets, f)
	}
	if ids := seed.Shelf; len(ids) > 0 {
		for i := range ids {
			ids[i].Firmware = demoFirmware(i + 1)
		}
		f, err := sim.New(sim.Config{Server: url, HeartbeatJitter: 5e9, Speed: 1, Log: log})
		if err == nil {
			err = f.Start(ctx, ids)
		}
		if err != nil {
			stop()
			return nil, nil, err
		}
		fleets = append(fleets, f)
		shelf = f
	}
	return stop, shelf, nil
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

// startDemo seeds the demo data, plays its simulated devices and ACS Pro
// servers against the server at url and prints the banner: the URL, every
// login, the pending invitation, where the e-mails are, the devices to add.
func startDemo(ctx context.Context, a *app.App, cfg Config, dialect, url string, devices int, stdout io.Writer, log *slog.Logger) (stop func(), err error) {
	seed, err := seedDemo(ctx, a, cfg.DataDir, devices)
	if err != nil {
		return nil, err
	}
	stopDevices, _, err := startDemoFleet(ctx, url, seed, log)
	if err != nil {
		return nil, err
	}
	stopServers, err := startDemoServers(ctx, a, cfg.DataDir, url, log)
	if err != nil {
		stopDevices()
		return nil, err
	}
	printDemoBanner(stdout, cfg, dialect, seed)
	return func() { stopServers(); stopDevices() }, nil
}

// printDemoBanner prints what one needs to try the demo. The passwords are
// the demo's own, made for it (the demo serves loopback by default).
func printDemoBanner(w io.Writer, cfg Config, dialect string, seed demoSeed) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("My Systems demo is running at %s", cfg.URL())
	p("  sign in as %s", seed.Owner.Email)
	p("  password   %s", seed.Owner.Password)
	p("             (Owner of %s and of Demo Integrator Customer)", demoOrgName)
	if len(seed.Members) > 0 {
		p("  members    of %s, one per role: e-mail, password", demoOrgName)
		for _, m := range seed.Members {
			line := fmt.Sprintf("             %-9s %-22s %s", roleName(m.Role), m.Email, m.Password)
			if m.Folder != "" {
				line += "  (sees " + m.Folder + ")"
			}
			p("%s", line)
		}
	}
	if seed.Invited != "" {
		p("  invited    %s, pending: a Viewer of %s once they accept the e-mailed link", seed.Invited, demoInviteFolder)
	}
	outbox := "mysystems vendor outbox --data-dir " + shellQuote(cfg.DataDir)
	if cfg.Database != "" {
		outbox = "mysystems vendor outbox --database " + shellQuote(cfg.Database)
	}
	if cfg.SMTPURL == "" {
		p("  e-mail     none is sent: every message (invitations, codes, alerts) waits in the outbox;")
	} else {
		p("  e-mail     sent through the SMTP server; every message is also kept in the outbox;")
	}
	p("             read them, links included, in another terminal with")
	p("               %s [--to %s]", outbox, demoInvitee)
	p("  devices    %d simulated in %s", len(seed.Fleet), demoOrgName)
	if len(seed.Unclaimed) > 0 {
		p("  to add     %d simulated devices, online, not claimed yet: Devices, Add device, with", len(seed.Unclaimed))
		for _, m := range seed.Unclaimed {
			p("             %-15s serial %s  OAK %s", m.Model, m.Serial, m.OAK)
		}
		p("             or: mysystems devices claim %s SERIAL --oak OAK", seed.OrgID)
	}
	if seed.LicenseKey != "" {
		p("  licenses   %s: AXIS Device Manager Extend licensed, AXIS Camera Station Edge in grace,", demoOrgName)
		p("             AXIS Camera Station Secure Entry in trial (Licenses, Products); a key to convert,")
		p("             100 licenses of AXIS Camera Station Edge: %s", seed.LicenseKey)
	}
	p("  database   %s (%s)", cfg.DatabaseSetting(), dialect)
	p("Press Ctrl+C to stop.")
	p("")
}

// roleName is a role as the product names it: Owner, Admin, Operator,
// Viewer.
func roleName(r access.Role) string {
	s := string(r)
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and ./_-:@=,+ (a path or URL to paste).
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("./_-:@=,+", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
