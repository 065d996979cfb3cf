package acs

import (
	"math"
	"strings"
	"testing"
	"time"

	"mysystems/internal/errs"
)

func mustV(t *testing.T, s string) Version {
	t.Helper()
	v, err := ParseVersion(s)
	if err != nil {
		t.Fatalf("ParseVersion(%q): %v", s, err)
	}
	return v
}

func pubs(t *testing.T, vs ...string) []Published {
	var out []Published
	for _, v := range vs {
		out = append(out, Published{Version: mustV(t, v)})
	}
	return out
}

func TestSRV2_ParseVersion(t *testing.T) {
	for _, ok := range []struct{ in, out string }{{"6.5", "6.5"}, {"6.5.2", "6.5.2"}, {" 6.05.2.17 ", "6.5.2.17"}} {
		if got := mustV(t, ok.in).String(); got != ok.out {
			t.Errorf("ParseVersion(%q) = %q, want %q", ok.in, got, ok.out)
		}
	}
	for _, bad := range []string{"", "6", "6.", ".5", "6.5.2.1.0", "6.x", "v6.5", "6.5-beta", "1234567.1", strings.Repeat("1.", 20) + "1", "６.5"} {
		if _, err := ParseVersion(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("ParseVersion(%q) = %v, want invalid", bad, err)
		}
	}
	cmp := []struct {
		a, b string
		want int
	}{{"6.5", "6.5.0", 0}, {"6.5.1", "6.5", 1}, {"6.10", "6.9.9", 1}, {"5.58.1", "6.0", -1}}
	for _, c := range cmp {
		if got := mustV(t, c.a).Compare(mustV(t, c.b)); got != c.want {
			t.Errorf("%s vs %s = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestSRV2_Recommended(t *testing.T) {
	ps := pubs(t, "6.3.1", "6.5.2", "6.4", "5.58")
	cases := []struct {
		current, want string
	}{{"6.3.1", "6.5.2"}, {"5.0", "6.5.2"}, {"6.5.2", ""}, {"6.6", ""}}
	for _, c := range cases {
		p, ok := Recommended(ps, mustV(t, c.current))
		got := ""
		if ok {
			got = p.Version.String()
		}
		if got != c.want {
			t.Errorf("SRV-2/recommended for %s: got %q, want %q", c.current, got, c.want)
		}
	}
	if _, ok := Recommended(nil, mustV(t, "6.0")); ok {
		t.Error("SRV-2/no versions: want no recommendation")
	}
}

func TestSRV2_Target(t *testing.T) {
	ps := pubs(t, "6.3.1", "6.4", "6.5.2")
	cur := mustV(t, "6.3.1")
	if p, err := Target(ps, cur, ""); err != nil || p.Version.String() != "6.5.2" {
		t.Errorf("SRV-2/default: got %v, %v; want 6.5.2", p.Version, err)
	}
	if p, err := Target(ps, cur, "6.4"); err != nil || p.Version.String() != "6.4" {
		t.Errorf("SRV-2/explicit: got %v, %v; want 6.4", p.Version, err)
	}
	for _, c := range []struct {
		current, req string
		code         errs.Code
		key          string
	}{
		{"6.3.1", "6.9", errs.Invalid, "err.server.version_unknown"},
		{"6.4", "6.3.1", errs.Invalid, "err.server.version_not_newer"},
		{"6.4", "6.4", errs.Invalid, "err.server.version_not_newer"},
		{"6.5.2", "", errs.Conflict, "err.server.no_upgrade"},
		{"6.5.2", "6.4", errs.Conflict, "err.server.no_upgrade"},
		{"6.3.1", "six", errs.Invalid, "err.server.version_format"},
	} {
		_, err := Target(ps, mustV(t, c.current), c.req)
		e, ok := errs.As(err)
		if !ok || e.Code != c.code || e.Key != c.key {
			t.Errorf("SRV-2/refused %s → %q: got %v, want %s %s", c.current, c.req, err, c.code, c.key)
		}
	}
}

func TestSRV1_OfflineAfterThreePolls(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	srv := Server{LastPollAt: t0, PollEvery: time.Minute}
	for _, c := range []struct {
		after time.Duration
		want  Status
	}{{0, Online}, {2*time.Minute + 59*time.Second, Online}, {3 * time.Minute, Offline}, {time.Hour, Offline}} {
		if got := StatusAt(srv, nil, t0.Add(c.after)); got != c.want {
			t.Errorf("SRV-1/silent %s: got %s, want %s", c.after, got, c.want)
		}
	}
	started := t0.Add(30 * time.Second)
	up := &Upgrade{State: Started, StartedAt: &started}
	if got := StatusAt(srv, up, t0.Add(10*time.Minute)); got != Upgrading {
		t.Errorf("SRV-2/installing: got %s, want upgrading", got)
	}
	if got := StatusAt(srv, up, started.Add(MaxInstall)); got != Offline {
		t.Errorf("SRV-2/install too long: got %s, want offline", got)
	}
	if got := StatusAt(srv, &Upgrade{State: Queued}, t0.Add(10*time.Minute)); got != Offline {
		t.Errorf("SRV-1/queued upgrade does not excuse silence: got %s", got)
	}
	if !IsSilent(t0, 0, t0.Add(3*DefaultPoll)) {
		t.Error("SRV-1/default interval: want silent after 3 minutes")
	}
}

func TestSRV3_CancelOnlyWhileQueued(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if err := CanCancel(Upgrade{State: Queued}); err != nil {
		t.Errorf("SRV-3/queued: %v", err)
	}
	err := CanCancel(Upgrade{State: Started, StartedAt: &at, Version: mustV(t, "6.5")})
	if e, ok := errs.As(err); !ok || e.Code != errs.Conflict || e.Key != "err.server.cancel_started" || !strings.Contains(e.Message, "2026-03-01T09:00:00Z") {
		t.Errorf("SRV-3/started: got %v, want a conflict saying when it started", err)
	}
	for _, s := range []State{Succeeded, Failed, Canceled} {
		if e, ok := errs.As(CanCancel(Upgrade{State: s})); !ok || e.Code != errs.Conflict || e.Key != "err.server.cancel_done" {
			t.Errorf("SRV-3/%s: got %v", s, e)
		}
	}
}

func TestSRV1_CheckHealth(t *testing.T) {
	ok := Health{CPUPercent: 0, MemoryPercent: 100, StoragePercent: 55.5, Cameras: 12, LastError: "  disk 2 full "}
	h, err := CheckHealth(ok)
	if err != nil || h.LastError != "disk 2 full" {
		t.Fatalf("SRV-1/valid: %v %q", err, h.LastError)
	}
	for name, h := range map[string]Health{
		"cpu below 0":     {CPUPercent: -0.1},
		"memory over 100": {MemoryPercent: 100.01},
		"storage NaN":     {StoragePercent: math.NaN()},
		"cpu +Inf":        {CPUPercent: math.Inf(1)},
		"cameras < 0":     {Cameras: -1},
		"cameras huge":    {Cameras: MaxCameras + 1},
		"error not UTF-8": {LastError: "disk \xff"},
		"error too long":  {LastError: strings.Repeat("é", MaxLastError+1)},
	} {
		if _, err := CheckHealth(h); !errs.Is(err, errs.Invalid) {
			t.Errorf("SRV-1/%s: got %v, want invalid", name, err)
		}
	}
}

func TestSRV1_CheckNameAndRecipients(t *testing.T) {
	if n, err := CheckName("  Site A recorder "); err != nil || n != "Site A recorder" {
		t.Errorf("name: %q %v", n, err)
	}
	for _, bad := range []string{"", "  ", strings.Repeat("x", MaxName+1), "a\nb", "bad \xff"} {
		if _, err := CheckName(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("CheckName(%q) = %v, want invalid", bad, err)
		}
	}
	got, err := CheckRecipients([]string{"a@example.com", " A@example.com", "", "b@example.org"})
	if err != nil || strings.Join(got, ",") != "a@example.com,b@example.org" {
		t.Errorf("recipients: %v %v", got, err)
	}
	for _, bad := range [][]string{{"not an address"}, {"Name <a@example.com>"}, make([]string, MaxRecipients+1)} {
		if bad[0] == "" {
			for i := range bad {
				bad[i] = "x@example.com"
			}
		}
		if _, err := CheckRecipients(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("CheckRecipients(%v) = %v, want invalid", bad, err)
		}
	}
}

func TestSRV1_Tokens(t *testing.T) {
	tok := newToken(TokenPrefix, "org_abc", "srv_def")
	o, id, ok := splitToken(TokenPrefix, tok)
	if !ok || o != "org_abc" || id != "srv_def" {
		t.Fatalf("splitToken(%q) = %q %q %v", tok, o, id, ok)
	}
	for _, bad := range []string{"", "mss_", "mss_a.b", "mss_a..c", "mse_a.b.c", tok + ".x"} {
		if _, _, ok := splitToken(TokenPrefix, bad); ok {
			t.Errorf("splitToken(%q) accepted", bad)
		}
	}
}
