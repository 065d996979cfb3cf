package fleet

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/i18n"
	"mysystems/internal/license"
	"mysystems/internal/org"
)

// FirmwareUnknown is the firmware recorded for a device claimed before it
// ever reported one (a value of the API and exports; the web UI shows it in
// the reader's language).
const FirmwareUnknown = "unknown"

// Config configures the fleet service.
type Config struct {
	Heartbeat time.Duration
	// ClaimLimit is the wrong claims (bad OAK or unknown serial) allowed per
	// client address in ClaimWindow (DEV-3); an organization as a whole is
	// allowed orgClaimFactor times as many, so one person's mistyped CSV
	// holds up that person, not every admin of the organization, while
	// guessing from many addresses stays bounded.
	ClaimLimit  int
	ClaimWindow time.Duration
}

// DefaultConfig is the production configuration.
func DefaultConfig() Config {
	return Config{Heartbeat: device.DefaultHeartbeat, ClaimLimit: 20, ClaimWindow: 15 * time.Minute}
}

// Service implements the device use cases of members (the device side is
// the gateway's).
type Service struct {
	store     Store
	clock     clock.Clock
	cfg       Config
	notify    Notifier
	catalogue Catalogue
	gate      license.Gater
}

// SetGate wires the license gate of device-account changes (LIC-14:
// feature device-accounts). Without one they are free; listing accounts
// never needs one.
func (s *Service) SetGate(g license.Gater) { s.gate = g }

// Catalogue returns the AXIS OS releases, withdrawn or not (the firmware
// service's Releases), for the device list's recommendations (FW-2).
type Catalogue func(ctx context.Context) ([]firmware.Release, error)

// SetCatalogue wires the AXIS OS catalogue. Without one, no device has a
// recommended upgrade.
func (s *Service) SetCatalogue(c Catalogue) { s.catalogue = c }

// releases reads the catalogue (none when none is wired).
func (s *Service) releases(ctx context.Context) ([]firmware.Release, error) {
	if s.catalogue == nil {
		return nil, nil
	}
	return s.catalogue(ctx)
}

// NewService returns a fleet service. notify may be nil until a gateway is
// wired.
func NewService(s Store, c clock.Clock, cfg Config, notify Notifier) *Service {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = device.DefaultHeartbeat
	}
	if cfg.ClaimLimit <= 0 {
		cfg.ClaimLimit, cfg.ClaimWindow = DefaultConfig().ClaimLimit, DefaultConfig().ClaimWindow
	}
	return &Service{store: s, clock: c, cfg: cfg, notify: notify}
}

// SetNotifier wires the gateway's wake-ups.
func (s *Service) SetNotifier(n Notifier) { s.notify = n }

// Heartbeat is the configured heartbeat interval.
func (s *Service) Heartbeat() time.Duration { return s.cfg.Heartbeat }

// Minted is a new device identity with its secrets in clear, shown once to
// the vendor operator who minted it.
type Minted struct {
	Serial string
	Model  string
	Secret string
	OAK    string
}

// MaxMint bounds one minting request.
const MaxMint = 200000

// Mint creates device identities (vendor operators only): serial numbers,
// factory secrets and owner authentication keys, stored hashed.
func (s *Service) Mint(ctx context.Context, actor audit.Actor, model string, count int) ([]Minted, error) {
	if actor.Kind != audit.KindVendor {
		return nil, errs.E(errs.Forbidden, "err.device.mint_vendor_only")
	}
	model, err := device.CheckModel(model)
	if err != nil {
		return nil, err
	}
	if count < 1 || count > MaxMint {
		return nil, errs.InvalidField("count", "err.device.mint_count", MaxMint)
	}
	now := s.clock.Now()
	out := make([]Minted, 0, count)
	const batch = 2000
	for start := 0; start < count; start += batch {
		n := min(batch, count-start)
		chunk := make([]Minted, n)
		for i := range chunk {
			chunk[i] = Minted{Serial: newSerial(), Model: model, Secret: randomString(32), OAK: randomString(12)}
		}
		err := s.store.Write(ctx, func(tx Tx) error {
			for _, m := range chunk {
				if err := tx.CreateIdentity(ctx, Identity{Serial: m.Serial, Model: model, CreatedAt: now},
					Secrets{SecretHash: account.HashSecret(m.Secret), OAKHash: account.HashSecret(m.OAK)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, chunk...)
	}
	return out, nil
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = crockford[int(b[i])%len(crockford)]
	}
	return string(b)
}

// newSerial makes a serial in the vendor's style: the "ACCC8E" prefix and
// 6 random hex digits… extended to 10 so collisions stay negligible.
func newSerial() string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "ACCC8E" + strings.ToUpper(base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// errBadClaim is the one answer for an unknown serial and a wrong OAK, so a
// claim never tells whether a serial exists (DEV-3).
var errBadClaim = errs.InvalidField("oak", "err.claim.bad")

// ClaimInput names a device to claim.
type ClaimInput struct {
	Serial   string
	OAK      string
	FolderID string
	Name     string
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil
	}
	return account.CheckName("name", name)
}

// Enter enters the organization as a member, checks action (none when
// "") and returns the folder tree: the fleet's and the upgrades' use cases
// start with it.
func Enter(ctx context.Context, tx org.Tx, actor audit.Actor, orgID string, action access.Action) (org.Org, org.Membership, org.Tree, error) {
	o, m, err := org.EnterTx(ctx, tx, actor, orgID)
	if err != nil {
		return o, m, org.Tree{}, err
	}
	folders, err := tx.Folders(ctx, orgID)
	if err != nil {
		return o, m, org.Tree{}, err
	}
	t := org.NewTree(folders)
	if action != "" {
		if err := access.Check(m.Role, action); err != nil {
			return o, m, t, err
		}
	}
	return o, m, t, nil
}

// Claim claims a device into a folder with its serial and OAK (DEV-3). A
// wrong OAK answers exactly like an unknown serial and both count against a
// rate limit per organization and client address.
func (s *Service) Claim(ctx context.Context, actor audit.Actor, orgID string, in ClaimInput) (Device, error) {
	var d Device
	hits, err := s.reserveClaim(ctx, orgID, actor.ClientAddr)
	if err != nil {
		return d, err
	}
	err = s.store.Write(ctx, func(tx Tx) error {
		_, _, t, err := Enter(ctx, tx, actor, orgID, access.ManageFleet)
		if err != nil {
			return err
		}
		d, err = s.claim(ctx, tx, actor, t, in)
		return err
	})
	if !errors.Is(err, errBadClaim) {
		s.takeBackClaim(ctx, hits) // only a wrong serial or OAK counts
	}
	if err == nil {
		// The gateway learns the device's organization now, not at its
		// next hello (GW-1: a claimed device receives commands).
		s.wake(orgID, d.Serial)
	}
	return d, err
}

// checkClaimRate refuses claims once too many failed for the organization
// or the client address in the last ClaimWindow (DEV-3, a sliding window).
func (s *Service) checkClaimRate(ctx context.Context, tx Tx, orgID, addr string) error {
	now := s.clock.Now()
	for _, l := range []struct {
		key, msg string
		limit    int
	}{
		{"claim:addr:" + addr, "err.claim.rate_address", s.cfg.ClaimLimit},
		{"claim:org:" + orgID, "err.claim.rate_org", orgClaimFactor * s.cfg.ClaimLimit},
	} {
		n, next, err := tx.RateCount(ctx, l.key, now, s.cfg.ClaimWindow, l.limit)
		if err != nil {
			return err
		}
		if n >= l.limit {
			wait := max(int((next.Sub(now)+time.Second-1)/time.Second), 1)
			window := i18n.Message{Key: "err.unit.minutes", Args: []any{int((s.cfg.ClaimWindow + time.Minute - 1) / time.Minute)}}
			e := errs.E(errs.RateLimited, l.msg, n, window, i18n.Message{Key: "err.unit.minutes", Args: []any{(wait + 59) / 60}})
			e.RetryAfterSeconds = wait
			return e
		}
	}
	return nil
}

// claimKeys are the rate keys a failed claim counts against.
func claimKeys(orgID, addr string) []string {
	return []string{"claim:org:" + orgID, "claim:addr:" + addr}
}

// reserveClaim checks the claim limits and counts one failed claim in
// advance, in a transaction of its own: claims made at the same time cannot
// all pass the check before any is counted (on PostgreSQL the check locks
// its keys). A claim that does not fail for its serial or OAK takes the
// count back (takeBackClaim).
func (s *Service) reserveClaim(ctx context.Context, orgID, addr string) ([]string, error) {
	var hits []string
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := s.checkClaimRate(ctx, tx, orgID, addr); err != nil {
			return err
		}
		now := s.clock.Now()
		for _, key := range claimKeys(orgID, addr) {
			id, err := tx.RateHit(ctx, key, now, s.cfg.ClaimWindow)
			if err != nil {
				return err
			}
			hits = append(hits, id)
		}
		return nil
	})
	return hits, err
}

// takeBackClaim takes back the failed claim reserveClaim counted, whatever
// became of the caller's request.
func (s *Service) takeBackClaim(ctx context.Context, hits []string) {
	ctx = context.WithoutCancel(ctx)
	_ = s.store.Write(ctx, func(tx Tx) error {
		for _, id := range hits {
			if err := tx.TakeBackRate(ctx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// orgClaimFactor: an organization may fail this many times ClaimLimit.
const orgClaimFactor = 5

// countBadClaims records failed claims in a transaction of its own (the
// claim's was rolled back), whatever became of the caller's request.
func (s *Service) countBadClaims(ctx context.Context, orgID, addr string, n int) {
	ctx = context.WithoutCancel(ctx)
	now := s.clock.Now()
	n = min(n, s.cfg.ClaimLimit)
	_ = s.store.Write(ctx, func(tx Tx) error {
		for i := 0; i < n; i++ {
			for _, key := range claimKeys(orgID, addr) {
				if _, err := tx.RateHit(ctx, key, now, s.cfg.ClaimWindow); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// claim claims one device into the organization whose folder tree is t;
// the caller has entered the organization as a member allowed to manage the
// fleet (once, however many devices it claims).
func (s *Service) claim(ctx context.Context, tx Tx, actor audit.Actor, t org.Tree, in ClaimInput) (Device, error) {
	orgID := t.ByID[t.RootID].OrgID
	now := s.clock.Now()
	serial, err := NormalizeSerial(in.Serial)
	if err != nil {
		return Device{}, err
	}
	oak := NormalizeOAK(in.OAK)
	if oak == "" {
		return Device{}, errs.InvalidField("oak", "err.claim.oak_required")
	}
	folder := in.FolderID
	if folder == "" {
		folder = t.RootID
	}
	if _, ok := t.ByID[folder]; !ok {
		return Device{}, errs.InvalidField("folder_id", "err.folder.not_found", folder)
	}
	name, err := checkName(in.Name)
	if err != nil {
		return Device{}, err
	}
	id, sec, err := tx.IdentitySecrets(ctx, serial)
	if errs.Is(err, errs.NotFound) {
		return Device{}, errBadClaim
	}
	if err != nil {
		return Device{}, err
	}
	if subtle.ConstantTimeCompare([]byte(account.HashSecret(oak)), []byte(sec.OAKHash)) != 1 {
		return Device{}, errBadClaim
	}
	rep, err := tx.Reported(ctx, serial)
	if err != nil {
		return Device{}, err
	}
	if rep.OrgID != "" {
		if rep.OrgID == orgID {
			return Device{}, errs.E(errs.Conflict, "err.claim.already_here", serial)
		}
		// The OAK holder may know; nobody else learns anything.
		return Device{}, errs.E(errs.Conflict, "err.claim.elsewhere", serial)
	}
	fw := rep.Firmware
	if fw == "" {
		fw = FirmwareUnknown
	}
	if name == "" {
		name = id.Model + " " + serial[len(serial)-6:]
	}
	d := Device{ID: account.NewID("dev_"), OrgID: orgID, FolderID: folder, Serial: serial, Model: id.Model,
		Firmware: fw, Name: name, ClaimedAt: now, LastSeenAt: nil}
	if rep.HelloAt != nil {
		d.LastSeenAt = rep.HelloAt
	}
	if err := tx.CreateDevice(ctx, d); err != nil {
		return Device{}, err
	}
	if err := tx.SetClaim(ctx, serial, orgID, d.ID); err != nil {
		return Device{}, err
	}
	return d, tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.DeviceClaim,
		TargetType: "device", TargetID: d.ID, Details: map[string]any{"serial": serial, "model": id.Model, "folder": t.Path(folder)}})
}
