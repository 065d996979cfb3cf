package device

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"mysystems/internal/errs"
)

func accountList(n int) []Account {
	out := []Account{{Username: RootAccount, Role: RoleAdministrator}}
	for i := 1; i < n; i++ {
		out = append(out, Account{Username: fmt.Sprintf("u%03d", i), Role: RoleViewer, Service: i%10 == 0})
	}
	return out
}

// wantField fails unless err is Invalid naming field ("" for no error).
func wantField(t *testing.T, what string, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Errorf("%s: %v, want accepted", what, err)
		}
		return
	}
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || e.Field != field || e.Key == "" {
		t.Errorf("%s: %v (field %q), want invalid naming %q", what, err, func() string {
			if ok {
				return e.Field
			}
			return ""
		}(), field)
	}
}

// DEV-6: a reported account list is held to the rules of an account
// created through the portal (CheckUsername, CheckRole, MaxAccounts), and
// names no username twice.
func TestDEV6_CheckAccounts(t *testing.T) {
	with := func(a Account) []Account { return append(accountList(2), a) }
	for _, c := range []struct {
		name     string
		accounts []Account
		field    string
	}{
		{"OK/none", []Account{}, ""},
		{"OK/100", accountList(MaxAccounts), ""},
		{"OK/32-character username", with(Account{Username: strings.Repeat("a", 32), Role: RoleOperator}), ""},
		{"OK/service account", with(Account{Username: "acs-service", Role: RoleAdministrator, Service: true}), ""},
		{"ErrInvalid/101", accountList(MaxAccounts + 1), "accounts"},
		{"ErrInvalid/5000", accountList(5000), "accounts"},
		{"ErrInvalid/2000-character username", with(Account{Username: strings.Repeat("a", 2000), Role: RoleViewer}), "accounts[2].username"},
		{"ErrInvalid/33-character username", with(Account{Username: strings.Repeat("a", 33), Role: RoleViewer}), "accounts[2].username"},
		{"ErrInvalid/empty username", with(Account{Role: RoleViewer}), "accounts[2].username"},
		{"ErrInvalid/username with a NUL", with(Account{Username: "a\x00b", Role: RoleViewer}), "accounts[2].username"},
		{"ErrInvalid/accented username", with(Account{Username: "josé", Role: RoleViewer}), "accounts[2].username"},
		{"ErrInvalid/unknown role", with(Account{Username: "guard", Role: "root"}), "accounts[2].role"},
		{"ErrInvalid/role in capitals", with(Account{Username: "guard", Role: "Viewer"}), "accounts[2].role"},
		{"ErrInvalid/username twice", with(Account{Username: RootAccount, Role: RoleViewer}), "accounts[2].username"},
	} {
		t.Run(c.name, func(t *testing.T) { wantField(t, c.name, CheckAccounts(c.accounts), c.field) })
	}
	// The rules are those of an account a person creates.
	for _, u := range []string{"", strings.Repeat("a", 33), "a b"} {
		if (CheckUsername(u) == nil) != (CheckAccounts([]Account{{Username: u, Role: RoleViewer}}) == nil) {
			t.Errorf("username %q: CheckUsername and CheckAccounts disagree", u)
		}
	}
}

func publicKey(t *testing.T) string {
	t.Helper()
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k.PublicKey().Bytes())
}

// GW-2: a hello, heartbeat or result is held to the formats the portal
// keeps a device in (model 64 characters, firmware 32, a usable key, the
// accounts of DEV-6); a result's message is cut to MaxMessage characters
// on a character boundary, never refused.
func TestGW2_CheckReports(t *testing.T) {
	key := publicKey(t)
	good := Hello{Serial: "ACCC8E000001", Secret: "s", Model: " AXIS P3265-LVE ", Firmware: " 11.11.0 ", PublicKey: key, Accounts: accountList(3)}
	got, err := CheckHello(good)
	if err != nil || got.Model != "AXIS P3265-LVE" || got.Firmware != "11.11.0" || len(got.Accounts) != 3 {
		t.Fatalf("a good hello: %+v %v", got, err)
	}
	if _, err := CheckHello(Hello{Serial: "ACCC8E000001", Secret: "s"}); err != nil {
		t.Errorf("a hello that reports nothing: %v", err)
	}
	for _, c := range []struct {
		name  string
		set   func(*Hello)
		field string
	}{
		{"OK/64-character model", func(h *Hello) { h.Model = "A" + strings.Repeat("x", 63) }, ""},
		{"OK/32-character firmware", func(h *Hello) { h.Firmware = "1" + strings.Repeat("2", 31) }, ""},
		{"ErrInvalid/65-character model", func(h *Hello) { h.Model = "A" + strings.Repeat("x", 64) }, "model"},
		{"ErrInvalid/model with a tab", func(h *Hello) { h.Model = "AXIS\tP3265" }, "model"},
		{"ErrInvalid/33-character firmware", func(h *Hello) { h.Firmware = "1" + strings.Repeat("2", 32) }, "firmware"},
		{"ErrInvalid/firmware of spaces", func(h *Hello) { h.Firmware = "  " }, "firmware"},
		{"ErrInvalid/key not base64", func(h *Hello) { h.PublicKey = "not a key!" }, "public_key"},
		{"ErrInvalid/key of 31 bytes", func(h *Hello) { h.PublicKey = base64.StdEncoding.EncodeToString(make([]byte, 31)) }, "public_key"},
		{"ErrInvalid/key unpadded", func(h *Hello) { h.PublicKey = strings.TrimRight(key, "=") }, "public_key"},
		{"ErrInvalid/101 accounts", func(h *Hello) { h.Accounts = accountList(101) }, "accounts"},
	} {
		t.Run("Hello/"+c.name, func(t *testing.T) {
			h := good
			c.set(&h)
			_, err := CheckHello(h)
			wantField(t, c.name, err, c.field)
		})
	}
	if hb, err := CheckHeartbeat(Heartbeat{Firmware: " 12.0.1 "}); err != nil || hb.Firmware != "12.0.1" {
		t.Errorf("a good heartbeat: %+v %v", hb, err)
	}
	if _, err := CheckHeartbeat(Heartbeat{}); err != nil {
		t.Errorf("an empty heartbeat: %v", err)
	}
	_, err = CheckHeartbeat(Heartbeat{Firmware: strings.Repeat("1", 2000)})
	wantField(t, "heartbeat firmware of 2000", err, "firmware")
	_, err = CheckHeartbeat(Heartbeat{Accounts: []Account{{Username: "x", Role: "god"}}})
	wantField(t, "heartbeat role", err, "accounts[0].role")
	_, err = CheckResult(Result{OK: true, Firmware: "12 beta"})
	wantField(t, "result firmware", err, "firmware")
	_, err = CheckResult(Result{OK: true, Accounts: accountList(101)})
	wantField(t, "result accounts", err, "accounts")

	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"  done \n", "done"},
		{strings.Repeat("a", MaxMessage), strings.Repeat("a", MaxMessage)},
		{strings.Repeat("a", 2000), strings.Repeat("a", MaxMessage)},
		{strings.Repeat("€", 2000), strings.Repeat("€", MaxMessage)},
		{strings.Repeat("é", MaxMessage), strings.Repeat("é", MaxMessage)},
		{"x" + strings.Repeat("日本", 600), "x" + strings.Repeat("日本", 249) + "日"},
	} {
		res, err := CheckResult(Result{OK: false, Message: c.in})
		if err != nil || res.Message != c.want || !utf8.ValidString(res.Message) {
			t.Errorf("message of %d bytes: got %d characters (%v), want %d", len(c.in), utf8.RuneCountInString(res.Message), err, utf8.RuneCountInString(c.want))
		}
	}
}
