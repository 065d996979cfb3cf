package fleet

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"mysystems/internal/device"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"mysystems/internal/errs"
)

func TestSeal(t *testing.T) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := base64.StdEncoding.EncodeToString(priv.PublicKey().Bytes())
	sealed, err := device.Seal(pub, []byte("s3cret pass"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "s3cret") {
		t.Fatal("sealed text holds the secret")
	}
	got, err := device.Open(priv, sealed)
	if err != nil || string(got) != "s3cret pass" {
		t.Fatalf("open: %q %v", got, err)
	}
	other, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if _, err := device.Open(other, sealed); err == nil {
		t.Error("another key opened the secret")
	}
	if _, err := device.Seal("not-a-key", []byte("x")); !errs.Is(err, errs.Conflict) {
		t.Errorf("bad key: %v", err)
	}
}

// DEV-6 account rules.
func TestDEV6_AccountRules(t *testing.T) {
	accts := []device.Account{{Username: "root", Role: device.RoleAdministrator}, {Username: "acs-service", Role: device.RoleAdministrator, Service: true}, {Username: "ops", Role: device.RoleOperator}}
	cases := []struct {
		name string
		err  error
		code errs.Code
	}{
		{"create OK", device.CheckCreateAccount(accts, "guard", device.RoleViewer, "pa ss~!"), ""},
		{"create dup", device.CheckCreateAccount(accts, "ops", device.RoleViewer, "x"), errs.Conflict},
		{"create bad role", device.CheckCreateAccount(accts, "x", "god", "x"), errs.Invalid},
		{"create empty password", device.CheckCreateAccount(accts, "x", device.RoleViewer, ""), errs.Invalid},
		{"create long password", device.CheckCreateAccount(accts, "x", device.RoleViewer, strings.Repeat("a", 65)), errs.Invalid},
		{"create non-ASCII", device.CheckCreateAccount(accts, "x", device.RoleViewer, "mötley"), errs.Invalid},
		{"create control char", device.CheckCreateAccount(accts, "x", device.RoleViewer, "a\tb"), errs.Invalid},
		{"create bad name", device.CheckCreateAccount(accts, "-x", device.RoleViewer, "p"), errs.Invalid},
		{"password OK", device.CheckChangePassword(accts, "ops", strings.Repeat("z", 64)), ""},
		{"password service", device.CheckChangePassword(accts, "acs-service", "p"), errs.Conflict},
		{"password missing", device.CheckChangePassword(accts, "nobody", "p"), errs.NotFound},
		{"delete OK", device.CheckDeleteAccount(accts, "ops"), ""},
		{"delete root", device.CheckDeleteAccount(accts, "root"), errs.Conflict},
		{"delete service", device.CheckDeleteAccount(accts, "acs-service"), errs.Conflict},
		{"delete missing", device.CheckDeleteAccount(accts, "nobody"), errs.NotFound},
	}
	for _, c := range cases {
		if got := errs.CodeOf(c.err); got != c.code {
			t.Errorf("%s: got %q (%v), want %q", c.name, got, c.err, c.code)
		}
	}
	var full []device.Account
	for i := 0; i < device.MaxAccounts; i++ {
		full = append(full, device.Account{Username: "u" + strings.Repeat("x", i%20) + string(rune('a'+i%26)), Role: device.RoleViewer})
	}
	if err := device.CheckCreateAccount(full, "one-more", device.RoleViewer, "p"); !errs.Is(err, errs.Conflict) {
		t.Errorf("101st account: %v", err)
	}
}

func TestGW2_ResultsAtMostOnce(t *testing.T) {
	c := Command{State: device.StateDelivered}
	t0 := time.Unix(0, 0)
	if !ApplyResult(&c, true, "", t0) || c.State != device.StateApplied {
		t.Fatalf("first result: %+v", c)
	}
	if ApplyResult(&c, false, "late failure", t0.Add(time.Second)) || c.State != device.StateApplied || !c.DoneAt.Equal(t0) {
		t.Fatalf("second result changed the command: %+v", c)
	}
}

// A device's long message is kept cut between two characters, so the
// stored result stays text the database holds.
func TestGW2_LongResultCutOnACharacter(t *testing.T) {
	c := Command{State: device.StateDelivered}
	msg := strings.Repeat("x", 499) + strings.Repeat("é", 5)
	ApplyResult(&c, false, msg, time.Unix(0, 0))
	if !utf8.ValidString(c.Result) || utf8.RuneCountInString(c.Result) != 500 || !strings.HasPrefix(msg, c.Result) {
		t.Fatalf("result %q: %d characters, valid %v", c.Result[490:], utf8.RuneCountInString(c.Result), utf8.ValidString(c.Result))
	}
}

// DEV-7: offline after exactly 3 silent intervals of the recorded last
// contact; the gateway's resolution leaves room to write a silent device's
// exact last contact before then.
func TestDEV7_Online(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	seen := now.Add(-179 * time.Second)
	d := Device{LastSeenAt: &seen}
	if !d.Online(now, time.Minute) {
		t.Error("last contact 179 s ago with 60 s heartbeats: offline")
	}
	seen = now.Add(-180 * time.Second)
	if d.Online(now, time.Minute) || (Device{}).Online(now, time.Minute) {
		t.Error("last contact 180 s ago (3 intervals), or never seen: online")
	}
	for _, hb := range []time.Duration{time.Second, 15 * time.Second, 21 * time.Second, time.Minute, 10 * time.Minute} {
		r, w := PresenceResolution(hb), OnlineWindow(hb)
		// A live device's recorded contact lags at most an interval, a
		// resolution and a flush; a silent one's exact last contact is
		// written within two resolutions and a flush.
		if r < 0 || r > hb || hb+r+PresenceFlush > w || r > 0 && 2*r+PresenceFlush >= w {
			t.Errorf("heartbeat %v: resolution %v does not fit a %v window", hb, r, w)
		}
		if hb >= 5*time.Second && w != 3*hb {
			t.Errorf("heartbeat %v: window %v, want 3 intervals", hb, w)
		}
	}
	if PresenceResolution(time.Minute) != time.Minute {
		t.Errorf("resolution with 60 s heartbeats: %v", PresenceResolution(time.Minute))
	}
}

func TestNormalize(t *testing.T) {
	if s, err := NormalizeSerial(" accc8e:0a1b2c "); err != nil || s != "ACCC8E0A1B2C" {
		t.Errorf("serial %q %v", s, err)
	}
	for _, bad := range []string{"", "abc", "ACCC8E0A1B2C!", strings.Repeat("A", 33)} {
		if _, err := NormalizeSerial(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("serial %q accepted", bad)
		}
	}
	if NormalizeOAK(" abcd-efgh 1234 ") != "ABCDEFGH1234" {
		t.Error("OAK grouping not removed")
	}
}
