package fleet

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"mysystems/internal/errs"
)

func TestSeal(t *testing.T) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := base64.StdEncoding.EncodeToString(priv.PublicKey().Bytes())
	sealed, err := Seal(pub, []byte("s3cret pass"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "s3cret") {
		t.Fatal("sealed text holds the secret")
	}
	got, err := Open(priv, sealed)
	if err != nil || string(got) != "s3cret pass" {
		t.Fatalf("open: %q %v", got, err)
	}
	other, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if _, err := Open(other, sealed); err == nil {
		t.Error("another key opened the secret")
	}
	if _, err := Seal("not-a-key", []byte("x")); !errs.Is(err, errs.Conflict) {
		t.Errorf("bad key: %v", err)
	}
}

// DEV-6 account rules.
func TestDEV6_AccountRules(t *testing.T) {
	accts := []Account{{Username: "root", Role: RoleAdministrator}, {Username: "acs-service", Role: RoleAdministrator, Service: true}, {Username: "ops", Role: RoleOperator}}
	cases := []struct {
		name string
		err  error
		code errs.Code
	}{
		{"create OK", CheckCreateAccount(accts, "guard", RoleViewer, "pa ss~!"), ""},
		{"create dup", CheckCreateAccount(accts, "ops", RoleViewer, "x"), errs.Conflict},
		{"create bad role", CheckCreateAccount(accts, "x", "god", "x"), errs.Invalid},
		{"create empty password", CheckCreateAccount(accts, "x", RoleViewer, ""), errs.Invalid},
		{"create long password", CheckCreateAccount(accts, "x", RoleViewer, strings.Repeat("a", 65)), errs.Invalid},
		{"create non-ASCII", CheckCreateAccount(accts, "x", RoleViewer, "mötley"), errs.Invalid},
		{"create control char", CheckCreateAccount(accts, "x", RoleViewer, "a\tb"), errs.Invalid},
		{"create bad name", CheckCreateAccount(accts, "-x", RoleViewer, "p"), errs.Invalid},
		{"password OK", CheckChangePassword(accts, "ops", strings.Repeat("z", 64)), ""},
		{"password service", CheckChangePassword(accts, "acs-service", "p"), errs.Conflict},
		{"password missing", CheckChangePassword(accts, "nobody", "p"), errs.NotFound},
		{"delete OK", CheckDeleteAccount(accts, "ops"), ""},
		{"delete root", CheckDeleteAccount(accts, "root"), errs.Conflict},
		{"delete service", CheckDeleteAccount(accts, "acs-service"), errs.Conflict},
		{"delete missing", CheckDeleteAccount(accts, "nobody"), errs.NotFound},
	}
	for _, c := range cases {
		if got := errs.CodeOf(c.err); got != c.code {
			t.Errorf("%s: got %q (%v), want %q", c.name, got, c.err, c.code)
		}
	}
	var full []Account
	for i := 0; i < MaxAccounts; i++ {
		full = append(full, Account{Username: "u" + strings.Repeat("x", i%20) + string(rune('a'+i%26)), Role: RoleViewer})
	}
	if err := CheckCreateAccount(full, "one-more", RoleViewer, "p"); !errs.Is(err, errs.Conflict) {
		t.Errorf("101st account: %v", err)
	}
}

func TestGW2_ResultsAtMostOnce(t *testing.T) {
	c := Command{State: StateDelivered}
	t0 := time.Unix(0, 0)
	if !ApplyResult(&c, true, "", t0) || c.State != StateApplied {
		t.Fatalf("first result: %+v", c)
	}
	if ApplyResult(&c, false, "late failure", t0.Add(time.Second)) || c.State != StateApplied || !c.DoneAt.Equal(t0) {
		t.Fatalf("second result changed the command: %+v", c)
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
