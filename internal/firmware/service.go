package firmware

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/device"
	"mysystems/internal/errs"
)

// The catalogue's use cases (FW-1): vendor operators publish and withdraw
// AXIS OS releases; every signed-in person reads the catalogue; devices
// download the images and the key that signs them. The catalogue is the
// platform's, no organization's: nothing here writes an organization's
// audit log, and the vendor's actions are logged instead.

// Published is a release in the catalogue with what the store keeps of it.
type Published struct {
	Release
	ID   string
	Size int64
	// Signature is the platform's Ed25519 signature, base64, of
	// device.FirmwareSignedMessage of the release.
	Signature       string
	WithdrawnAt     *time.Time
	WithdrawnReason string
	CreatedAt       time.Time
	CreatedBy       string // the vendor operator (platform token id, or "cli")
}

// Tx is what the catalogue needs of a store transaction.
type Tx interface {
	// Releases returns every release, withdrawn or not.
	Releases(ctx context.Context) ([]Published, error)
	// Release returns one release by id (not found: errs.NotFound).
	Release(ctx context.Context, id string) (Published, error)
	// CreateRelease stores a release; a (model, version) already there is
	// errs.Conflict.
	CreateRelease(ctx context.Context, p Published) error
	// WithdrawRelease records the withdrawal of a release.
	WithdrawRelease(ctx context.Context, id string, at time.Time, reason string) error
	// SettingOrInit returns a platform-wide setting, storing value first if
	// there is none (the first instance to ask wins).
	SettingOrInit(ctx context.Context, name, value string) (string, error)
}

// Store runs catalogue transactions.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
}

// DefaultMaxImage bounds an uploaded image: 1 GiB, well above an AXIS OS
// image (a few hundred MiB at most). A larger upload is refused.
const DefaultMaxImage int64 = 1 << 30

// Config configures the catalogue.
type Config struct {
	// DataDir is the data directory; images are kept in DataDir/firmware,
	// named by their SHA-256.
	DataDir string
	// MaxImage bounds an image's size in bytes (DefaultMaxImage if 0).
	MaxImage int64
}

// Service implements the catalogue's use cases.
type Service struct {
	store Store
	clock clock.Clock
	log   *slog.Logger
	cfg   Config

	keyMu sync.Mutex
	key   ed25519.PrivateKey

	// images maps a release id to its image's SHA-256, once read: a
	// release's image never changes, so downloads (one request per range)
	// do not read the release each time.
	images sync.Map

	hooks Hooks
}

// Hooks are told of changes to the catalogue, after they commit: a
// publication (schedules create their tasks, FW-4) and a withdrawal (tasks to
// the release that have not started are canceled, FW-1). An error is logged:
// the change stands, and the periodic work catches up.
type Hooks struct {
	Published func(ctx context.Context, p Published) error
	Withdrawn func(ctx context.Context, p Published) error
}

// SetHooks wires the hooks.
func (s *Service) SetHooks(h Hooks) { s.hooks = h }

// NewService returns the catalogue service.
func NewService(s Store, c clock.Clock, log *slog.Logger, cfg Config) *Service {
	if cfg.MaxImage <= 0 {
		cfg.MaxImage = DefaultMaxImage
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: s, clock: c, log: log, cfg: cfg}
}

// MaxImage is the largest image accepted, in bytes.
func (s *Service) MaxImage() int64 { return s.cfg.MaxImage }

// PublishInput is a release to publish, as the vendor gives it.
type PublishInput struct {
	Model   string
	Version string
	Track   string
	// Released is the release date, YYYY-MM-DD or RFC 3339; empty is today.
	Released string
}

// parse reads a release's metadata; the image's SHA-256 comes later.
func (s *Service) parse(in PublishInput) (Release, error) {
	r := Release{Model: strings.TrimSpace(in.Model)}
	if r.Model == "" {
		return r, errs.InvalidField("model", "err.firmware.model_required")
	}
	var err error
	if r.Model, err = device.CheckModel(r.Model); err != nil {
		return r, err
	}
	if r.Version, err = ParseVersion(strings.TrimSpace(in.Version)); err != nil {
		return r, err
	}
	if r.Track, err = ParseTrack(in.Track); err != nil {
		return r, err
	}
	if r.Released, err = parseDate(in.Released, s.clock.Now()); err != nil {
		return r, err
	}
	return r, nil
}

func parseDate(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		y, m, d := now.UTC().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, errs.InvalidField("released", "err.firmware.released_format", s)
}

func vendorOnly(actor audit.Actor) error {
	if actor.Kind != audit.KindVendor {
		return errs.E(errs.Forbidden, "err.firmware.vendor_only")
	}
	return nil
}

// Publish adds a release to the catalogue (FW-1): it checks the metadata
// (and that the version is new for the model) before reading the image, so
// a mistake costs no upload; streams the image into the data directory,
// computing its SHA-256 and refusing more than MaxImage bytes; then, in
// one transaction, checks again (another instance may have published the
// same version meanwhile), signs the release, moves the image into place
// and stores the release.
func (s *Service) Publish(ctx context.Context, actor audit.Actor, in PublishInput, image io.Reader) (Published, error) {
	if err := vendorOnly(actor); err != nil {
		return Published{}, err
	}
	r, err := s.parse(in)
	if err != nil {
		return Published{}, err
	}
	probe := r
	probe.SHA256 = strings.Repeat("0", 64)
	if err := s.store.Read(ctx, func(tx Tx) error {
		rs, err := tx.Releases(ctx)
		if err != nil {
			return err
		}
		return CheckPublish(plain(rs), probe)
	}); err != nil {
		return Published{}, err
	}
	img, err := stageImage(s.cfg.DataDir, image, s.cfg.MaxImage)
	if err != nil {
		return Published{}, err
	}
	defer img.discard()
	r.SHA256 = img.sha256
	p := Published{Release: r, ID: account.NewID("fw_"), Size: img.size, CreatedAt: s.clock.Now(), CreatedBy: actor.ID}
	err = s.store.Write(ctx, func(tx Tx) error {
		rs, err := tx.Releases(ctx)
		if err != nil {
			return err
		}
		if err := CheckPublish(plain(rs), r); err != nil {
			return err
		}
		key, err := s.signingKey(ctx, tx)
		if err != nil {
			return err
		}
		p.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, SignedMessage(p)))
		// The image is moved into place before the release is committed: a
		// failed commit leaves an unreferenced image (named by its content,
		// so harmless and reused by a retry), never a release without one.
		if err := img.commit(); err != nil {
			return err
		}
		return tx.CreateRelease(ctx, p)
	})
	if err != nil {
		return Published{}, err
	}
	s.log.Info("firmware published", "release", p.ID, "model", p.Model, "version", p.Version.String(),
		"track", string(p.Track), "sha256", p.SHA256, "size", p.Size, "vendor", actor.ID)
	if s.hooks.Published != nil {
		if err := s.hooks.Published(ctx, p); err != nil {
			s.log.Warn("after publishing", "release", p.ID, "err", err)
		}
	}
	return p, nil
}

// SignedMessage is what the platform signs for p (device.FirmwareSignedMessage).
func SignedMessage(p Published) []byte {
	return device.FirmwareSignedMessage(p.ID, p.Model, p.Version.String(), p.SHA256, p.Size)
}

// MaxReason bounds a withdrawal's reason.
const MaxReason = 500

// Withdraw takes a release out of the recommendations (FW-1), with the
// reason the vendor gives. The release stays in the catalogue, marked
// withdrawn, and its image stays downloadable.
func (s *Service) Withdraw(ctx context.Context, actor audit.Actor, id, reason string) (Published, error) {
	if err := vendorOnly(actor); err != nil {
		return Published{}, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Published{}, errs.InvalidField("reason", "err.firmware.reason_required")
	case len([]rune(reason)) > MaxReason:
		return Published{}, errs.InvalidField("reason", "err.firmware.reason_long", MaxReason)
	}
	var p Published
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if p, err = tx.Release(ctx, id); err != nil {
			return err
		}
		if p.Withdrawn {
			return errs.E(errs.Conflict, "err.firmware.already_withdrawn", p.Version.String(), p.Model)
		}
		now := s.clock.Now()
		if err := tx.WithdrawRelease(ctx, id, now, reason); err != nil {
			return err
		}
		p.Withdrawn, p.WithdrawnAt, p.WithdrawnReason = true, &now, reason
		return nil
	})
	if err != nil {
		return Published{}, err
	}
	s.log.Info("firmware withdrawn", "release", p.ID, "model", p.Model, "version", p.Version.String(),
		"reason", reason, "vendor", actor.ID)
	if s.hooks.Withdrawn != nil {
		if err := s.hooks.Withdrawn(ctx, p); err != nil {
			s.log.Warn("after withdrawing", "release", p.ID, "err", err)
		}
	}
	return p, nil
}

// Pick is the recommended release of one model on one track.
type Pick struct {
	Model   string
	Track   Track
	Release Published
}

// ModelTracks is a model of the catalogue and its tracks.
type ModelTracks struct {
	Model string
	// Tracks are the tracks the model has releases on, the active track
	// first, then the LTS tracks newest first.
	Tracks []TrackPick
}

// TrackPick is a track and its recommended release; nil when every
// release on the track is withdrawn.
type TrackPick struct {
	Track       Track
	Recommended *Published
}

// Catalogue is the whole catalogue (GET /api/v1/firmware).
type Catalogue struct {
	// Models are the models with at least one release, by name.
	Models []ModelTracks
	// Releases are every release, by model, then newest version first.
	Releases []Published
	// Recommended is the recommended release of each model and track that
	// has one (Recommendations' order).
	Recommended []Pick
}

// Catalogue returns the catalogue: models, releases and the recommended
// version of every model and track (FW-1).
func (s *Service) Catalogue(ctx context.Context) (Catalogue, error) {
	rs, err := s.published(ctx)
	if err != nil {
		return Catalogue{}, err
	}
	return catalogueOf(rs), nil
}

// published reads every release, withdrawn or not.
// Published returns every release of the catalogue with its image's size and
// signature, withdrawn or not (what an upgrade needs to send a device).
func (s *Service) Published(ctx context.Context) ([]Published, error) { return s.published(ctx) }

func (s *Service) published(ctx context.Context) ([]Published, error) {
	var rs []Published
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		rs, err = tx.Releases(ctx)
		return err
	})
	return rs, err
}

// Releases returns every release of the catalogue, withdrawn or not, as
// the catalogue's rules take them (what the fleet's device list needs for
// its recommendations, FW-2).
func (s *Service) Releases(ctx context.Context) ([]Release, error) {
	rs, err := s.published(ctx)
	if err != nil {
		return nil, err
	}
	return plain(rs), nil
}

func catalogueOf(rs []Published) Catalogue {
	slices.SortFunc(rs, func(a, b Published) int {
		if c := strings.Compare(a.Model, b.Model); c != 0 {
			return c
		}
		return b.Version.Compare(a.Version)
	})
	c := Catalogue{Releases: rs, Models: []ModelTracks{}, Recommended: []Pick{}}
	for _, rec := range Recommendations(plain(rs)) {
		i := slices.IndexFunc(rs, func(p Published) bool { return p.Model == rec.Model && p.Version == rec.Version })
		c.Recommended = append(c.Recommended, Pick{Model: rec.Model, Track: rec.Track, Release: rs[i]})
	}
	for _, r := range rs {
		if len(c.Models) == 0 || c.Models[len(c.Models)-1].Model != r.Model {
			c.Models = append(c.Models, ModelTracks{Model: r.Model})
		}
		m := &c.Models[len(c.Models)-1]
		if !slices.ContainsFunc(m.Tracks, func(t TrackPick) bool { return t.Track == r.Track }) {
			m.Tracks = append(m.Tracks, TrackPick{Track: r.Track})
		}
	}
	for i := range c.Models {
		m := &c.Models[i]
		slices.SortFunc(m.Tracks, func(a, b TrackPick) int { return trackOrder(a.Track, b.Track) })
		for j := range m.Tracks {
			for k := range c.Recommended {
				if p := &c.Recommended[k]; p.Model == m.Model && p.Track == m.Tracks[j].Track {
					m.Tracks[j].Recommended = &p.Release
				}
			}
		}
	}
	return c
}

// plain returns the releases as the catalogue's rules take them.
func plain(rs []Published) []Release {
	out := make([]Release, len(rs))
	for i, p := range rs {
		out[i] = p.Release
	}
	return out
}

// signingKeySetting names the platform's firmware signing key in the
// settings table: the hex of its 32-byte Ed25519 seed.
const signingKeySetting = "firmware_signing_key"

// signingKey returns the platform's Ed25519 key, made by the first
// instance that needs it and kept in the settings table, so every instance
// signs with the same key and devices know one public key.
func (s *Service) signingKey(ctx context.Context, tx Tx) (ed25519.PrivateKey, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, errs.Wrap(err, "firmware key")
	}
	stored, err := tx.SettingOrInit(ctx, signingKeySetting, hex.EncodeToString(seed))
	if err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(stored)
	if err != nil || len(raw) != ed25519.SeedSize {
		return nil, errs.E(errs.Internal, "the stored firmware signing key is malformed")
	}
	s.key = ed25519.NewKeyFromSeed(raw)
	return s.key, nil
}

// PublicKey returns the public key devices check image signatures with
// (making the key pair if no instance has yet).
func (s *Service) PublicKey(ctx context.Context) (ed25519.PublicKey, error) {
	s.keyMu.Lock()
	key := s.key
	s.keyMu.Unlock()
	if key == nil {
		err := s.store.Write(ctx, func(tx Tx) error {
			var err error
			key, err = s.signingKey(ctx, tx)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return key.Public().(ed25519.PublicKey), nil
}

// FirmwareKey is PublicKey as the device protocol serves it.
func (s *Service) FirmwareKey(ctx context.Context) (device.FirmwareKey, error) {
	pub, err := s.PublicKey(ctx)
	if err != nil {
		return device.FirmwareKey{}, err
	}
	return device.FirmwareKey{Algorithm: device.FirmwareKeyAlgorithm, PublicKey: base64.StdEncoding.EncodeToString(pub)}, nil
}

// OpenImage opens the image of release id for a download (GW-3). A
// withdrawn release's image stays downloadable.
func (s *Service) OpenImage(ctx context.Context, id string) (*os.File, error) {
	sum, ok := s.images.Load(id)
	if !ok {
		var p Published
		if err := s.store.Read(ctx, func(tx Tx) error {
			var err error
			p, err = tx.Release(ctx, id)
			return err
		}); err != nil {
			return nil, err
		}
		sum = p.SHA256
		s.images.Store(id, sum)
	}
	f, err := openImage(s.cfg.DataDir, sum.(string))
	if err != nil {
		return nil, errs.NotFoundf("err.firmware.not_found", id)
	}
	return f, nil
}
