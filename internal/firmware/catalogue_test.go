package firmware

import (
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/errs"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

const (
	cam   = "AXIS P3265-LVE"
	dome  = "AXIS M3085-V"
	image = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

func rel(model, version string, track Track, released string) Release {
	return Release{Model: model, Version: MustVersion(version), Track: track, Released: day(released), SHA256: image}
}

func withdrawn(r Release) Release { r.Withdrawn = true; return r }

// catalogue: the camera on the active track (newest 12.2.35, withdrawn; so
// 11.11.73 is recommended), LTS 2024 (10.12.240 newest) and LTS 2022;
// the dome on the active track only.
var catalogue = []Release{
	rel(cam, "11.10.61", Active, "2024-04-02"),
	rel(cam, "11.11.73", Active, "2024-06-10"),
	withdrawn(rel(cam, "12.2.35", Active, "2024-09-01")),
	rel(cam, "10.12.220", LTS(2024), "2024-02-01"),
	rel(cam, "10.12.240", LTS(2024), "2024-08-01"),
	rel(cam, "10.12.9", LTS(2024), "2023-12-01"),
	rel(cam, "9.80.3", LTS(2022), "2022-01-10"),
	rel(cam, "9.80.3.8", LTS(2022), "2022-05-10"),
	rel(dome, "11.9.60", Active, "2024-03-01"),
	rel(dome, "12.0.86", Active, "2024-07-01"),
}

func TestFW1_VersionParseAndFormat(t *testing.T) {
	for _, c := range []struct {
		in, want string // want "" for a refused version
	}{
		{"10.12.240", "10.12.240"},
		{"11.11.73", "11.11.73"},
		{"12.2.35", "12.2.35"},
		{"9.80.3.8", "9.80.3.8"},
		{"10.12.240.0", "10.12.240"},
		{"0.0.1", "0.0.1"},
		{"", ""},
		{"10", ""},
		{"10.12", ""},
		{"10.12.240.1.2", ""},
		{"10..240", ""},
		{"10.12.", ""},
		{".10.12", ""},
		{"10.012.240", ""},
		{"10.12.x", ""},
		{"10.12.-1", ""},
		{"+10.12.1", ""},
		{" 10.12.1", ""},
		{"10.12.1-beta", ""},
		{"10.12.1234567", ""},
		{"0.0.0", ""},
		{"１0.1.1", ""},
	} {
		v, err := ParseVersion(c.in)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("ParseVersion(%q) = %v, want an error", c.in, v)
		case c.want == "" && (errs.CodeOf(err) != errs.Invalid || err.(*errs.Error).Field != "version" || err.(*errs.Error).Key != "err.firmware.version"):
			t.Errorf("ParseVersion(%q): error %v, want an invalid version field", c.in, err)
		case c.want != "" && err != nil:
			t.Errorf("ParseVersion(%q): %v", c.in, err)
		case c.want != "" && v.String() != c.want:
			t.Errorf("ParseVersion(%q) = %s, want %s", c.in, v, c.want)
		}
	}
	if (Version{}).String() != "" || !(Version{}).IsZero() {
		t.Error("the zero version is no version")
	}
}

func TestFW1_VersionOrder(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"10.9.0", "10.12.0", -1},
		{"10.12.9", "10.12.240", -1},
		{"9.80.3", "10.0.0", -1},
		{"9.80.3", "9.80.3.8", -1},
		{"11.11.73", "12.2.35", -1},
		{"10.12.240", "10.12.240", 0},
		{"10.12.240", "10.12.240.0", 0},
		{"12.2.35", "11.11.73", 1},
		{"10.12.0", "10.9.99", 1},
		{"2.0.0", "1.99.99.99", 1},
	} {
		a, b := MustVersion(c.a), MustVersion(c.b)
		if got := a.Compare(b); got != c.want {
			t.Errorf("%s vs %s: %d, want %d", c.a, c.b, got, c.want)
		}
		if got := b.Compare(a); got != -c.want {
			t.Errorf("%s vs %s: %d, want %d", c.b, c.a, got, -c.want)
		}
		if a.Less(b) != (c.want < 0) {
			t.Errorf("%s.Less(%s) = %v", c.a, c.b, a.Less(b))
		}
		if (a == b) != (c.want == 0) {
			t.Errorf("%s == %s is %v: equal versions must be == and others not", c.a, c.b, a == b)
		}
	}
}

func TestFW1_Tracks(t *testing.T) {
	for _, c := range []struct {
		in    string
		want  Track
		label string
		year  int
	}{
		{"active", Active, "Active", 0},
		{"ACTIVE", Active, "Active", 0},
		{"lts-2024", "lts-2024", "LTS 2024", 2024},
		{"LTS-2022", "lts-2022", "LTS 2022", 2022},
		{" lts-2020 ", "lts-2020", "LTS 2020", 2020},
	} {
		got, err := ParseTrack(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseTrack(%q) = %q, %v, want %q", c.in, got, err, c.want)
		}
		if got.Label() != c.label || got.Year() != c.year || got.IsLTS() != (c.year != 0) {
			t.Errorf("%q: label %q year %d LTS %v", got, got.Label(), got.Year(), got.IsLTS())
		}
	}
	for _, in := range []string{"", "lts", "lts-", "lts-24", "lts-1999", "lts-20245", "lts-20x4", "lts 2024", "LTS 2024", "beta"} {
		got, err := ParseTrack(in)
		if e, ok := errs.As(err); !ok || e.Code != errs.Invalid || e.Field != "track" || e.Key != "err.firmware.track" {
			t.Errorf("ParseTrack(%q) = %q, %v: want an invalid track field", in, got, err)
		}
	}
	if LTS(2024) != "lts-2024" {
		t.Errorf("LTS(2024) = %q", LTS(2024))
	}
}

// TestFW1_Recommended: per model and track the newest release that is not
// withdrawn.
func TestFW1_Recommended(t *testing.T) {
	for _, c := range []struct {
		name  string
		model string
		track Track
		want  string // "" for none
	}{
		{"active: the newest is withdrawn, the one before it is recommended", cam, Active, "11.11.73"},
		{"LTS 2024: the newest by version, not by release date or order", cam, LTS(2024), "10.12.240"},
		{"LTS 2022: a fourth number counts", cam, LTS(2022), "9.80.3.8"},
		{"another model has its own recommendation", dome, Active, "12.0.86"},
		{"a track without releases of the model", dome, LTS(2024), ""},
		{"a model the catalogue does not know", "AXIS Q1656", Active, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, ok := Recommended(catalogue, c.model, c.track)
			if c.want == "" {
				if ok {
					t.Fatalf("recommended %s, want none", r.Version)
				}
				return
			}
			if !ok || r.Version.String() != c.want || r.Model != c.model || r.Track != c.track {
				t.Fatalf("recommended %+v (%v), want %s", r, ok, c.want)
			}
		})
	}
	t.Run("every release of a track withdrawn: none", func(t *testing.T) {
		all := []Release{withdrawn(rel(dome, "11.9.60", Active, "2024-03-01")), withdrawn(rel(dome, "12.0.86", Active, "2024-07-01"))}
		if r, ok := Recommended(all, dome, Active); ok {
			t.Fatalf("recommended %s", r.Version)
		}
	})
}

func TestFW1_Recommendations(t *testing.T) {
	var got []string
	for _, r := range Recommendations(catalogue) {
		got = append(got, r.Model+" "+string(r.Track)+" "+r.Version.String())
	}
	want := []string{
		dome + " active 12.0.86",
		cam + " active 11.11.73",
		cam + " lts-2024 10.12.240",
		cam + " lts-2022 9.80.3.8",
	}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %q, want %q", i, got[i], want[i])
		}
	}
}

// TestFW1_TrackOf: a device follows the track of its version; a version the
// catalogue does not know is on the active track.
func TestFW1_TrackOf(t *testing.T) {
	for _, c := range []struct {
		model, version string
		want           Track
	}{
		{cam, "10.12.220", LTS(2024)},
		{cam, "9.80.3", LTS(2022)},
		{cam, "11.10.61", Active},
		{cam, "12.2.35", Active}, // withdrawn, still its track
		{cam, "10.11.5", Active}, // unknown to the catalogue
		{dome, "10.12.220", Active},
		{"AXIS Q1656", "10.12.240", Active},
	} {
		if got := TrackOf(catalogue, c.model, MustVersion(c.version)); got != c.want {
			t.Errorf("%s on %s: track %q, want %q", c.model, c.version, got, c.want)
		}
	}
}

// TestFW1_Recommendation: LTS devices are recommended the newest of their
// LTS track, active devices the newest active, unknown versions are active;
// an upgrade is available only when the recommended version is newer.
func TestFW1_Recommendation(t *testing.T) {
	for _, c := range []struct {
		name, model, current string
		track                Track
		recommended          string
		upgrade              bool
	}{
		{"LTS device: newest of its LTS track, not the newer active", cam, "10.12.220", LTS(2024), "10.12.240", true},
		{"LTS device on the newest of its track", cam, "10.12.240", LTS(2024), "10.12.240", false},
		{"older LTS track", cam, "9.80.3", LTS(2022), "9.80.3.8", true},
		{"active device: newest active", cam, "11.10.61", Active, "11.11.73", true},
		{"active device on the recommended version", cam, "11.11.73", Active, "11.11.73", false},
		{"on the withdrawn newest: no downgrade offered", cam, "12.2.35", Active, "11.11.73", false},
		{"unknown version is active", cam, "10.11.5", Active, "11.11.73", true},
		{"unknown version newer than the catalogue", cam, "13.0.1", Active, "11.11.73", false},
		{"unknown version, another model", dome, "10.12.240", Active, "12.0.86", true},
		{"not a version number: active, no upgrade claimed", cam, "10.12.240-beta", Active, "11.11.73", false},
		{"nothing reported yet", cam, "", Active, "11.11.73", false},
		{"model without releases", "AXIS Q1656", "10.12.240", Active, "", false},
		{"an old version of another model, unknown to the catalogue", dome, "9.9.9", Active, "12.0.86", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := Recommendation(catalogue, c.model, c.current)
			if a.Track != c.track || a.Recommended.String() != c.recommended || a.Upgrade != c.upgrade {
				t.Fatalf("got track %q recommended %q upgrade %v, want %q %q %v", a.Track, a.Recommended, a.Upgrade, c.track, c.recommended, c.upgrade)
			}
		})
	}
	t.Run("LTS track all withdrawn: nothing recommended, not the active", func(t *testing.T) {
		cat := []Release{withdrawn(rel(dome, "10.12.240", LTS(2024), "2024-08-01")), rel(dome, "12.0.86", Active, "2024-07-01")}
		a := Recommendation(cat, dome, "10.12.240")
		if a.Track != LTS(2024) || !a.Recommended.IsZero() || a.Upgrade {
			t.Fatalf("got %+v", a)
		}
	})
}

func TestFW1_CheckPublish(t *testing.T) {
	good := rel(dome, "12.1.1", Active, "2024-10-01")
	for _, c := range []struct {
		name  string
		edit  func(*Release)
		code  errs.Code
		field string
		key   string
	}{
		{"a new version", func(*Release) {}, "", "", ""},
		{"a new LTS track", func(r *Release) { r.Track = LTS(2026) }, "", "", ""},
		{"no model", func(r *Release) { r.Model = " " }, errs.Invalid, "model", "err.firmware.model_required"},
		{"no version", func(r *Release) { r.Version = Version{} }, errs.Invalid, "version", "err.firmware.version"},
		{"no date", func(r *Release) { r.Released = time.Time{} }, errs.Invalid, "released", "err.firmware.released_required"},
		{"bad track", func(r *Release) { r.Track = "beta" }, errs.Invalid, "track", "err.firmware.track"},
		{"track not in its canonical form", func(r *Release) { r.Track = "LTS-2024" }, errs.Invalid, "track", "err.firmware.track"},
		{"short SHA-256", func(r *Release) { r.SHA256 = image[:63] }, errs.Invalid, "sha256", "err.firmware.sha256"},
		{"upper-case SHA-256", func(r *Release) { r.SHA256 = "9F" + image[2:] }, errs.Invalid, "sha256", "err.firmware.sha256"},
		{"version already published", func(r *Release) { r.Version = MustVersion("12.0.86") }, errs.Conflict, "", "err.firmware.exists"},
		{"already published on another track", func(r *Release) { r.Version = MustVersion("12.0.86"); r.Track = LTS(2024) }, errs.Conflict, "", "err.firmware.exists"},
		{"same version, another model", func(r *Release) { r.Version = MustVersion("11.11.73") }, "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := good
			c.edit(&r)
			err := CheckPublish(catalogue, r)
			checkErr(t, err, c.code, c.field, c.key)
		})
	}
}

func checkErr(t *testing.T, err error, code errs.Code, field, key string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	e, ok := errs.As(err)
	if !ok || e.Code != code || e.Field != field || e.Key != key {
		t.Fatalf("error %v, want %s field %q key %s", err, code, field, key)
	}
}

// TestFW3_CheckTarget: the target of an upgrade is a published release that
// is not withdrawn; a device on it is reported, not upgraded; a downgrade
// needs force, by an Owner or Admin.
func TestFW3_CheckTarget(t *testing.T) {
	for _, c := range []struct {
		name           string
		model, current string
		target         string
		force          bool
		role           access.Role
		version        string
		outcome        Outcome
		code           errs.Code
		field, key     string
	}{
		{name: "recommended, active", model: cam, current: "11.10.61", role: access.Admin, version: "11.11.73", outcome: Upgrade},
		{name: "recommended, LTS stays on its track", model: cam, current: "10.12.220", role: access.Owner, version: "10.12.240", outcome: Upgrade},
		{name: "recommended for an unknown version is the active one", model: cam, current: "10.11.5", role: access.Admin, version: "11.11.73", outcome: Upgrade},
		{name: "recommended, already on it", model: cam, current: "11.11.73", role: access.Admin, version: "11.11.73", outcome: AlreadyCurrent},
		{name: "recommended when on the withdrawn newest is a downgrade", model: cam, current: "12.2.35", role: access.Admin, code: errs.Conflict, key: "err.firmware.downgrade"},
		{name: "no recommendation for the model", model: "AXIS Q1656", current: "10.12.240", role: access.Admin, code: errs.Conflict, key: "err.firmware.no_recommended"},
		{name: "a chosen newer version on another track", model: cam, current: "10.12.240", target: "11.11.73", role: access.Admin, version: "11.11.73", outcome: Upgrade},
		{name: "a chosen version equal to the current one", model: cam, current: "10.12.240.0", target: "10.12.240", role: access.Admin, version: "10.12.240", outcome: AlreadyCurrent},
		{name: "unknown target", model: cam, current: "10.12.240", target: "11.12.1", role: access.Admin, code: errs.Invalid, field: "version", key: "err.firmware.unknown_release"},
		{name: "target of another model", model: dome, current: "11.9.60", target: "11.11.73", role: access.Admin, code: errs.Invalid, field: "version", key: "err.firmware.unknown_release"},
		{name: "withdrawn target", model: cam, current: "11.11.73", target: "12.2.35", role: access.Admin, code: errs.Invalid, field: "version", key: "err.firmware.withdrawn"},
		{name: "withdrawn target, forced", model: cam, current: "11.11.73", target: "12.2.35", force: true, role: access.Owner, code: errs.Invalid, field: "version", key: "err.firmware.withdrawn"},
		{name: "not a version", model: cam, current: "11.11.73", target: "latest", role: access.Admin, code: errs.Invalid, field: "version", key: "err.firmware.version"},
		{name: "current not a version number: any published target", model: cam, current: "11.11.73-beta", target: "11.10.61", role: access.Admin, version: "11.10.61", outcome: Upgrade},
		{name: "current not reported: recommended", model: cam, current: "", role: access.Admin, version: "11.11.73", outcome: Upgrade},

		{name: "downgrade by an Operator without force", model: cam, current: "11.11.73", target: "10.12.240", role: access.Operator, code: errs.Conflict, key: "err.firmware.downgrade"},
		{name: "downgrade by an Operator with force", model: cam, current: "11.11.73", target: "10.12.240", force: true, role: access.Operator, code: errs.Forbidden, key: "err.firmware.downgrade_role"},
		{name: "downgrade by a Viewer without force", model: cam, current: "11.11.73", target: "10.12.240", role: access.Viewer, code: errs.Conflict, key: "err.firmware.downgrade"},
		{name: "downgrade by a Viewer with force", model: cam, current: "11.11.73", target: "10.12.240", force: true, role: access.Viewer, code: errs.Forbidden, key: "err.firmware.downgrade_role"},
		{name: "downgrade by an Admin without force", model: cam, current: "11.11.73", target: "10.12.240", role: access.Admin, code: errs.Conflict, key: "err.firmware.downgrade"},
		{name: "downgrade by an Admin with force", model: cam, current: "11.11.73", target: "10.12.240", force: true, role: access.Admin, version: "10.12.240", outcome: Downgrade},
		{name: "downgrade by an Owner with force", model: cam, current: "11.11.73", target: "9.80.3", force: true, role: access.Owner, version: "9.80.3", outcome: Downgrade},
		{name: "downgrade by no role with force", model: cam, current: "11.11.73", target: "10.12.240", force: true, role: "", code: errs.Forbidden, key: "err.firmware.downgrade_role"},
		{name: "10.9 is older than 10.12", model: cam, current: "10.12.9", target: "10.12.220", role: access.Admin, version: "10.12.220", outcome: Upgrade},
		{name: "force on an upgrade changes nothing", model: cam, current: "10.12.9", target: "10.12.220", force: true, role: access.Operator, version: "10.12.220", outcome: Upgrade},
		{name: "force when already on the target changes nothing", model: cam, current: "10.12.220", target: "10.12.220", force: true, role: access.Admin, version: "10.12.220", outcome: AlreadyCurrent},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := CheckTarget(catalogue, c.model, c.current, c.target, c.force, c.role)
			checkErr(t, err, c.code, c.field, c.key)
			if c.code != "" {
				return
			}
			if got.Outcome != c.outcome || got.Release.Version.String() != c.version || got.Release.Model != c.model {
				t.Fatalf("got %s to %s (%s), want %s to %s", got.Outcome, got.Release.Version, got.Release.Model, c.outcome, c.version)
			}
		})
	}
}

// TestFW3_TargetErrorsTranslate: the refusals read in French too, with
// their versions and model.
func TestFW3_TargetErrorsTranslate(t *testing.T) {
	_, err := CheckTarget(catalogue, cam, "11.11.73", "10.12.240", false, access.Admin)
	if en := errs.LocalMessage(err, "en"); en != "AXIS OS 10.12.240 is older than the device's 11.11.73: a downgrade must be forced (force), by an owner or admin" {
		t.Errorf("en: %q", en)
	}
	if fr := errs.LocalMessage(err, "fr"); fr == errs.LocalMessage(err, "en") {
		t.Errorf("fr: %q is the English text", fr)
	}
	_, err = CheckTarget(catalogue, "AXIS Q1656", "11.11.73", "", false, access.Admin)
	if en := errs.LocalMessage(err, "en"); en != "no AXIS OS release is recommended for AXIS Q1656 on the track Active" {
		t.Errorf("en: %q", en)
	}
}

// TestFW2_Summarize: per model, the devices, those on the recommended
// version of their own track and those with an upgrade available.
func TestFW2_Summarize(t *testing.T) {
	devices := []Installed{
		{cam, "11.11.73"},       // active, recommended
		{cam, "11.10.61"},       // active, upgrade
		{cam, "10.12.240"},      // LTS 2024, recommended (not offered the active)
		{cam, "10.12.220"},      // LTS 2024, upgrade
		{cam, "12.2.35"},        // on the withdrawn newest: neither
		{cam, "10.11.5"},        // unknown: active, upgrade
		{cam, "11.11.73-beta"},  // not comparable: neither
		{dome, "12.0.86"},       // recommended
		{dome, "12.0.86.0"},     // recommended, written with a fourth 0
		{"AXIS Q1656", "1.2.3"}, // no release: neither
	}
	got := Summarize(catalogue, devices)
	want := []ModelSummary{
		{Model: dome, Devices: 2, OnRecommended: 2},
		{Model: cam, Devices: 7, OnRecommended: 2, UpgradeAvailable: 3},
		{Model: "AXIS Q1656", Devices: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if s := Summarize(catalogue, nil); len(s) != 0 {
		t.Errorf("no devices: %+v", s)
	}
}
