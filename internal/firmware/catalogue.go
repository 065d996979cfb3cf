package firmware

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/errs"
)

// The AXIS OS catalogue (SPEC §7, FW-1 to FW-3): version numbers, tracks,
// releases, the recommended version per model and track, and the checks of
// an upgrade's target. Pure functions over a list of releases: the store
// loads the releases, the services decide with these.

// Version is an AXIS OS version number: three numbers and an optional fourth
// (10.12.240, 11.11.73, 12.2.35, 9.80.3.8). Versions compare number by
// number, so 10.9.0 < 10.12.0 and 9.80.3 < 10.0.0. A fourth number of 0 is
// the same version as none (10.12.240.0 is 10.12.240), so a Version is
// canonical and == compares it. The zero Version is no version.
type Version struct {
	Major, Minor, Patch, Build int
}

// ParseVersion reads an AXIS OS version: three or four decimal numbers of
// at most six digits (so parsing cannot overflow) separated by dots, without
// signs, spaces or leading zeros.
func ParseVersion(s string) (Version, error) {
	bad := errs.InvalidField("version", "err.firmware.version")
	parts := strings.Split(s, ".")
	if len(parts) != 3 && len(parts) != 4 {
		return Version{}, bad
	}
	var n [4]int
	for i, p := range parts {
		if p == "" || len(p) > 6 || (len(p) > 1 && p[0] == '0') {
			return Version{}, bad
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return Version{}, bad
			}
		}
		n[i], _ = strconv.Atoi(p)
	}
	v := Version{n[0], n[1], n[2], n[3]}
	if v.IsZero() {
		return Version{}, bad
	}
	return v, nil
}

// MustVersion is ParseVersion for versions known to be valid (tests, the
// demo); it panics on a bad one.
func MustVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic("firmware: bad version " + strconv.Quote(s))
	}
	return v
}

// IsZero reports whether v is no version.
func (v Version) IsZero() bool { return v == Version{} }

// String formats v as AXIS OS does: 11.11.73, with the fourth number only
// when it is not 0.
func (v Version) String() string {
	if v.IsZero() {
		return ""
	}
	s := strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) + "." + strconv.Itoa(v.Patch)
	if v.Build != 0 {
		s += "." + strconv.Itoa(v.Build)
	}
	return s
}

// Compare returns -1, 0 or +1 as v is older than, the same as or newer than w.
func (v Version) Compare(w Version) int {
	if c := cmp.Compare(v.Major, w.Major); c != 0 {
		return c
	}
	if c := cmp.Compare(v.Minor, w.Minor); c != 0 {
		return c
	}
	if c := cmp.Compare(v.Patch, w.Patch); c != 0 {
		return c
	}
	return cmp.Compare(v.Build, w.Build)
}

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }

// Track is a line of AXIS OS releases a device follows (FW-1): the active
// track, with the newest features, or a long-term-support track named by
// its year, "lts-2024". The string is the track's code in the API, the CLI
// and the database.
type Track string

// Active is the active track. A version the catalogue does not know is on it.
const Active Track = "active"

// LTS returns the long-term-support track of year.
func LTS(year int) Track { return Track("lts-" + strconv.Itoa(year)) }

// ParseTrack reads a track code: "active" or "lts-YYYY" (any case, so
// "LTS-2024" too), with a year from 2000 to 2999.
func ParseTrack(s string) (Track, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == string(Active) {
		return Active, nil
	}
	if y, ok := strings.CutPrefix(s, "lts-"); ok && len(y) == 4 && y[0] == '2' {
		if n, err := strconv.Atoi(y); err == nil && n >= 2000 {
			return Track(s), nil
		}
	}
	return "", errs.InvalidField("track", "err.firmware.track")
}

// IsLTS reports whether t is a long-term-support track.
func (t Track) IsLTS() bool { return t.Year() != 0 }

// Year is the year of an LTS track, 0 for the active track.
func (t Track) Year() int {
	y, ok := strings.CutPrefix(string(t), "lts-")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(y)
	if err != nil {
		return 0
	}
	return n
}

// Label is the track as people read it: "LTS 2024", or "Active" for the
// active track. These are AXIS OS's names for its tracks, the same in every
// language.
func (t Track) Label() string {
	if t.IsLTS() {
		return "LTS " + strconv.Itoa(t.Year())
	}
	if t == Active {
		return "Active"
	}
	return string(t)
}

// Release is one AXIS OS version published for one model (FW-1): its track,
// its release date, the SHA-256 of its image (lower-case hex), and whether
// the vendor has withdrawn it.
type Release struct {
	Model     string
	Version   Version
	Track     Track
	Released  time.Time
	SHA256    string
	Withdrawn bool
}

// Find returns the release of model with version, withdrawn or not.
func Find(releases []Release, model string, v Version) (Release, bool) {
	for _, r := range releases {
		if r.Model == model && r.Version == v {
			return r, true
		}
	}
	return Release{}, false
}

// CheckPublish checks a release before it joins the catalogue (FW-1): a
// model, a version, a valid track, a release date, the image's SHA-256, and
// a version not already published for that model (on any track: a version
// belongs to one track).
func CheckPublish(releases []Release, r Release) error {
	switch {
	case strings.TrimSpace(r.Model) == "":
		return errs.InvalidField("model", "err.firmware.model_required")
	case r.Version.IsZero():
		return errs.InvalidField("version", "err.firmware.version")
	case r.Released.IsZero():
		return errs.InvalidField("released", "err.firmware.released_required")
	case !isSHA256(r.SHA256):
		return errs.InvalidField("sha256", "err.firmware.sha256")
	}
	if t, err := ParseTrack(string(r.Track)); err != nil || t != r.Track {
		return errs.InvalidField("track", "err.firmware.track")
	}
	if old, ok := Find(releases, r.Model, r.Version); ok {
		return errs.E(errs.Conflict, "err.firmware.exists", r.Version.String(), r.Model, old.Track.Label())
	}
	return nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Recommended returns the recommended release of model on track (FW-1): the
// newest that is not withdrawn. ok is false when the track has none.
func Recommended(releases []Release, model string, track Track) (rec Release, ok bool) {
	for _, r := range releases {
		if r.Model != model || r.Track != track || r.Withdrawn {
			continue
		}
		if !ok || rec.Version.Less(r.Version) {
			rec, ok = r, true
		}
	}
	return rec, ok
}

// Recommendations returns the recommended release of every model and track
// of the catalogue that has one, by model, then the active track first and
// the LTS tracks newest first (the listing of GET /api/v1/firmware).
func Recommendations(releases []Release) []Release {
	type key struct {
		model string
		track Track
	}
	best := map[key]Release{}
	for _, r := range releases {
		k := key{r.Model, r.Track}
		if b, ok := best[k]; !r.Withdrawn && (!ok || b.Version.Less(r.Version)) {
			best[k] = r
		}
	}
	out := make([]Release, 0, len(best))
	for _, r := range best {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Release) int {
		if c := strings.Compare(a.Model, b.Model); c != 0 {
			return c
		}
		return trackOrder(a.Track, b.Track)
	})
	return out
}

// trackOrder orders the active track before the LTS tracks, and those
// newest first.
func trackOrder(a, b Track) int {
	ya, yb := a.Year(), b.Year()
	switch {
	case ya == yb:
		return strings.Compare(string(a), string(b))
	case ya == 0:
		return -1
	case yb == 0:
		return 1
	}
	return cmp.Compare(yb, ya)
}

// TrackOf returns the track a device of model on version follows (FW-1): the
// track of that release in the catalogue (withdrawn or not), and the active
// track for a version the catalogue does not know.
func TrackOf(releases []Release, model string, v Version) Track {
	if r, ok := Find(releases, model, v); ok {
		return r.Track
	}
	return Active
}

// Advice is what the catalogue recommends for one device (FW-1, FW-2).
type Advice struct {
	// Track is the track the device follows.
	Track Track
	// Recommended is the recommended version of that track for the device's
	// model; zero when the track has no release for it.
	Recommended Version
	// Upgrade is true when Recommended is newer than the device's version:
	// an upgrade is available (never a downgrade).
	Upgrade bool
}

// Recommendation returns the advice for a device of model that reports
// current (its firmware as it reports it). A version the catalogue does not
// know follows the active track; one that is not an AXIS OS version number
// at all follows it too, but is never offered an upgrade, since nothing says
// the recommended version is newer.
func Recommendation(releases []Release, model, current string) Advice {
	v, err := ParseVersion(current)
	if err != nil {
		v = Version{}
	}
	a := Advice{Track: TrackOf(releases, model, v)}
	if rec, ok := Recommended(releases, model, a.Track); ok {
		a.Recommended = rec.Version
		a.Upgrade = !v.IsZero() && v.Less(rec.Version)
	}
	return a
}

// Outcome is what an upgrade to a target does to a device (FW-3).
type Outcome string

// The outcomes of CheckTarget.
const (
	// Upgrade: the target is newer than the device's version.
	Upgrade Outcome = "upgrade"
	// Downgrade: the target is older, and the downgrade is forced by an
	// Owner or Admin.
	Downgrade Outcome = "downgrade"
	// AlreadyCurrent: the device is on the target already; it is reported,
	// not upgraded.
	AlreadyCurrent Outcome = "already_current"
)

// Target is the release an upgrade installs and what it does to the device.
type Target struct {
	Release Release
	Outcome Outcome
}

// CheckTarget checks the target of an upgrade of a device of model on
// current (FW-3). target is the version asked for; "" asks for the
// recommended version of the device's track. It refuses a target the
// catalogue does not have for the model or has withdrawn, and a downgrade
// unless force is set by an Owner or Admin; a device already on the target
// is not an error (Outcome AlreadyCurrent). A current version that is not an
// AXIS OS version number cannot be compared: any published target is an
// upgrade. Whether role may start upgrades at all (access.ManageUpgrades) is
// the caller's check.
func CheckTarget(releases []Release, model, current, target string, force bool, role access.Role) (Target, error) {
	cur, err := ParseVersion(current)
	if err != nil {
		cur = Version{}
	}
	var rel Release
	if strings.TrimSpace(target) == "" {
		track := TrackOf(releases, model, cur)
		r, ok := Recommended(releases, model, track)
		if !ok {
			return Target{}, errs.E(errs.Conflict, "err.firmware.no_recommended", model, track.Label())
		}
		rel = r
	} else {
		v, err := ParseVersion(target)
		if err != nil {
			return Target{}, err
		}
		r, ok := Find(releases, model, v)
		switch {
		case !ok:
			return Target{}, errs.InvalidField("version", "err.firmware.unknown_release", v.String(), model)
		case r.Withdrawn:
			return Target{}, errs.InvalidField("version", "err.firmware.withdrawn", v.String(), model)
		}
		rel = r
	}
	t := Target{Release: rel, Outcome: Upgrade}
	if cur.IsZero() {
		if current == rel.Version.String() {
			t.Outcome = AlreadyCurrent
		}
		return t, nil
	}
	switch c := rel.Version.Compare(cur); {
	case c == 0:
		t.Outcome = AlreadyCurrent
	case c < 0:
		if !force {
			return Target{}, errs.E(errs.Conflict, "err.firmware.downgrade", rel.Version.String(), cur.String())
		}
		if role != access.Owner && role != access.Admin {
			return Target{}, errs.E(errs.Forbidden, "err.firmware.downgrade_role")
		}
		t.Outcome = Downgrade
	}
	return t, nil
}

// Installed is what one device runs: its model and the firmware it reports.
type Installed struct {
	Model, Firmware string
}

// ModelSummary counts, for one model, the devices, those on the recommended
// version of their track and those with an upgrade available (FW-2).
type ModelSummary struct {
	Model            string
	Devices          int
	OnRecommended    int
	UpgradeAvailable int
}

// Summarize returns the summary of each model of devices, by model name
// (FW-2: the device view's per-model recommendations). A device whose
// version cannot be compared, or whose track has no recommendation, is
// counted in Devices only.
func Summarize(releases []Release, devices []Installed) []ModelSummary {
	counted := make([]Counted, len(devices))
	for i, d := range devices {
		counted[i] = Counted{Installed: d, Devices: 1}
	}
	return SummarizeCounted(releases, counted)
}

// Counted is how many devices run one model and firmware (the store
// answers them grouped, so the summary of a large fleet reads one row per
// model and version, not per device).
type Counted struct {
	Installed
	Devices int
}

// SummarizeCounted is Summarize over grouped devices.
func SummarizeCounted(releases []Release, devices []Counted) []ModelSummary {
	byModel := map[string]*ModelSummary{}
	for _, d := range devices {
		s := byModel[d.Model]
		if s == nil {
			s = &ModelSummary{Model: d.Model}
			byModel[d.Model] = s
		}
		s.Devices += d.Devices
		a := Recommendation(releases, d.Model, d.Firmware)
		v, err := ParseVersion(d.Firmware)
		switch {
		case a.Upgrade:
			s.UpgradeAvailable += d.Devices
		case err == nil && !a.Recommended.IsZero() && v == a.Recommended:
			s.OnRecommended += d.Devices
		}
	}
	out := make([]ModelSummary, 0, len(byModel))
	for _, s := range byModel {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b ModelSummary) int { return strings.Compare(a.Model, b.Model) })
	return out
}

// Upgradable returns those of installed (model and firmware pairs) that
// have a recommended upgrade (FW-2: the device list's "upgrade recommended"
// filter), in their order.
func Upgradable(releases []Release, installed []Installed) []Installed {
	out := []Installed{}
	for _, d := range installed {
		if Recommendation(releases, d.Model, d.Firmware).Upgrade {
			out = append(out, d)
		}
	}
	return out
}
