package fleet

import (
	"testing"
	"time"

	"mysystems/internal/device"
)

// GW-2: a hello's report is written only when it brings something new
// (firmware, accounts, key) or the recorded hello time is an hour old.
func TestGW2_ReportedAfterHello(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	recent := now.Add(-time.Minute)
	accts := []device.Account{{Username: device.RootAccount, Role: device.RoleAdministrator}}
	known := Reported{Serial: "ACCC8E000001", Firmware: "11.0.0", Accounts: accts, PublicKey: "k1", HelloAt: &recent}
	same := device.Hello{Firmware: "11.0.0", Accounts: accts, PublicKey: "k1"}
	if _, changed := known.AfterHello(same, now); changed {
		t.Error("the same hello a minute later: changed, want unchanged")
	}
	cases := []struct {
		name  string
		hello device.Hello
		at    time.Time
	}{
		{"firmware", device.Hello{Firmware: "12.0.0", Accounts: accts, PublicKey: "k1"}, now},
		{"accounts", device.Hello{Firmware: "11.0.0", Accounts: accts[:0], PublicKey: "k1"}, now},
		{"key", device.Hello{Firmware: "11.0.0", Accounts: accts, PublicKey: "k2"}, now},
		{"an hour later", same, now.Add(time.Hour)},
	}
	for _, c := range cases {
		t.Run("OK/"+c.name, func(t *testing.T) {
			got, changed := known.AfterHello(c.hello, c.at)
			if !changed || got.HelloAt == nil || !got.HelloAt.Equal(c.at) {
				t.Errorf("got %+v, changed %v; want changed with hello_at %v", got, changed, c.at)
			}
		})
	}
	if got, _ := known.AfterHello(device.Hello{Firmware: "not a version!"}, now); got.Firmware != "11.0.0" || len(got.Accounts) != 1 {
		t.Errorf("a bad firmware and no accounts: got %+v, want the known firmware and accounts kept", got)
	}
	if got := known.AfterHeartbeat(device.Heartbeat{Firmware: "12.1.0"}); got.Firmware != "12.1.0" || len(got.Accounts) != 1 {
		t.Errorf("heartbeat with firmware: got %+v", got)
	}
}
