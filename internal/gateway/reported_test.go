package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	proto "mysystems/internal/device"
	"mysystems/internal/fleet"
	"mysystems/internal/harness"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// reporter is a claimed device that said hello, with its credential to say
// hello again by hand.
type reporter struct {
	*env
	owner, org string
	m          fleet.Minted
	dev        *device
	d          deviceJSON
}

func newReporter(t *testing.T, db *store.DB) *reporter {
	e := newEnv(t, db)
	owner := e.user("owner@example.com")
	org, root := e.org(owner)
	m := e.Mint(1)[0]
	dev := e.Device(m)
	dev.Hello()
	return &reporter{env: e, owner: owner, org: org, m: m, dev: dev, d: e.claim(owner, org, m, root)}
}

// hello is a hello with the device's credential and key and what fn sets.
func (r *reporter) hello(fn func(*proto.Hello)) proto.Hello {
	h := proto.Hello{Serial: r.m.Serial, Secret: r.m.Secret, Model: r.m.Model, Firmware: harness.Firmware,
		PublicKey: r.dev.PublicKey(), Accounts: r.dev.Accounts()}
	if fn != nil {
		fn(&h)
	}
	return h
}

// refused sends body to path and fails the test unless the answer is 400
// invalid naming field, with a message.
func (r *reporter) refused(name, path, token string, body any, field string) {
	r.t.Helper()
	res := r.Call("POST", path, token, body)
	e, _ := res.JSON["error"].(map[string]any)
	got, _ := e["field"].(string)
	if res.Status != http.StatusBadRequest || res.ErrCode() != "invalid" || got != field || res.ErrMessage() == "" {
		r.t.Errorf("%s: got %d field %q %.300s, want 400 invalid naming %q", name, res.Status, got, res.Body, field)
	}
	if strings.Contains(string(res.Body), `"token"`) {
		r.t.Errorf("%s: a refused report got a token: %.300s", name, res.Body)
	}
}

func (r *reporter) accounts() []proto.Account {
	r.t.Helper()
	var a struct{ Items []proto.Account }
	if code := r.do("GET", "/api/v1/orgs/"+r.org+"/devices/"+r.d.ID+"/accounts", r.owner, nil, &a); code != 200 {
		r.t.Fatalf("accounts: %d", code)
	}
	return a.Items
}

func (r *reporter) device() deviceJSON {
	r.t.Helper()
	var d deviceJSON
	r.do("GET", "/api/v1/orgs/"+r.org+"/devices/"+r.d.ID, r.owner, nil, &d)
	return d
}

func numbered(n int) []proto.Account {
	out := []proto.Account{{Username: proto.RootAccount, Role: proto.RoleAdministrator}}
	for i := 1; i < n; i++ {
		out = append(out, proto.Account{Username: fmt.Sprintf("user%04d", i), Role: proto.RoleViewer})
	}
	return out
}

// accountClasses are account lists a device may not report, each with the
// field the refusal names.
func accountClasses() []struct {
	name     string
	accounts []proto.Account
	field    string
} {
	with := func(a proto.Account) []proto.Account { return append(numbered(3), a) }
	return []struct {
		name     string
		accounts []proto.Account
		field    string
	}{
		{"5,000 accounts", numbered(5000), "accounts"},
		{"101 accounts", numbered(proto.MaxAccounts + 1), "accounts"},
		{"a 2,000-character username", with(proto.Account{Username: strings.Repeat("n", 2000), Role: proto.RoleViewer}), "accounts[3].username"},
		{"a 33-character username", with(proto.Account{Username: strings.Repeat("n", 33), Role: proto.RoleViewer}), "accounts[3].username"},
		{"an empty username", with(proto.Account{Username: "", Role: proto.RoleViewer}), "accounts[3].username"},
		{"a username with a space", with(proto.Account{Username: "guard one", Role: proto.RoleViewer}), "accounts[3].username"},
		{"a username starting with a dash", with(proto.Account{Username: "-guard", Role: proto.RoleViewer}), "accounts[3].username"},
		{"a username with markup", with(proto.Account{Username: "<script>", Role: proto.RoleViewer}), "accounts[3].username"},
		{"a role outside DEV-6", with(proto.Account{Username: "guard", Role: "god"}), "accounts[3].role"},
		{"an empty role", with(proto.Account{Username: "guard"}), "accounts[3].role"},
		{"a 2,000-character role", with(proto.Account{Username: "guard", Role: strings.Repeat("r", 2000)}), "accounts[3].role"},
		{"a username twice", with(proto.Account{Username: "user0001", Role: proto.RoleOperator}), "accounts[3].username"},
	}
}

// DEV-6, GW-2: the account list a device reports in its hello, its
// heartbeat or a command's result is checked by the rules of an account
// created through the portal: at most 100 accounts, usernames and roles of
// DEV-6, no username twice. A list that breaks one is refused whole (400
// naming the account's field) and nothing of it is recorded: the portal
// keeps listing what the device last reported within the rules. A refused
// hello gets no token.
func TestDEV6_DeviceReportedAccountsValidated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newReporter(t, db)
		before := r.accounts()
		if len(before) != 3 {
			t.Fatalf("accounts after the first hello: %+v", before)
		}
		var c cmdJSON
		if code := r.do("POST", "/api/v1/orgs/"+r.org+"/devices/"+r.d.ID+"/actions", r.owner, map[string]string{"type": "identify"}, &c); code != 202 {
			t.Fatalf("action: %d", code)
		}
		if cmds := r.dev.Poll(0); len(cmds) != 1 {
			t.Fatalf("delivered %+v", cmds)
		}
		for _, k := range accountClasses() {
			helloField := k.field
			if len(k.accounts) > 1000 {
				// A hello that large (no credential yet) is refused for its
				// size before it is read.
				helloField = ""
			}
			r.refused("hello with "+k.name, "/device/v1/hello", "", r.hello(func(h *proto.Hello) { h.Accounts = k.accounts }), helloField)
			r.refused("heartbeat with "+k.name, "/device/v1/heartbeat", r.dev.Token(), proto.Heartbeat{Accounts: k.accounts}, k.field)
			r.refused("result with "+k.name, "/device/v1/commands/"+c.ID+"/result", r.dev.Token(), proto.Result{OK: true, Accounts: k.accounts}, k.field)
		}
		if got := r.accounts(); len(got) != len(before) {
			t.Fatalf("accounts after refused reports: %d, want the %d reported before", len(got), len(before))
		}
		if st := r.command(r.owner, r.org, c.ID).State; st != proto.StateDelivered {
			t.Fatalf("a refused result recorded the outcome: state %s", st)
		}
		// Within the rules, a full device is recorded, and the portal then
		// refuses a 101st account as it does for any full device.
		full := numbered(proto.MaxAccounts)
		var w proto.Welcome
		if code := r.do("POST", "/device/v1/hello", "", r.hello(func(h *proto.Hello) { h.Accounts = full }), &w); code != 200 || w.Token == "" {
			t.Fatalf("hello with %d accounts: %d", len(full), code)
		}
		if got := r.accounts(); len(got) != proto.MaxAccounts {
			t.Fatalf("accounts after a hello with 100: %d", len(got))
		}
		if code := r.do("POST", "/api/v1/orgs/"+r.org+"/devices/"+r.d.ID+"/accounts", r.owner,
			map[string]string{"username": "guard", "password": "pw", "role": "viewer"}, nil); code != http.StatusConflict {
			t.Fatalf("a 101st account through the portal: %d, want 409", code)
		}
		if code := r.do("POST", "/device/v1/heartbeat", w.Token, proto.Heartbeat{Accounts: numbered(4)}, nil); code != 200 {
			t.Fatalf("heartbeat with 4 accounts: %d", code)
		}
		if code := r.do("POST", "/device/v1/commands/"+c.ID+"/result", w.Token, proto.Result{OK: true, Accounts: numbered(5)}, nil); code != 200 {
			t.Fatalf("result with 5 accounts: %d", code)
		}
		if got := r.accounts(); len(got) != 5 {
			t.Fatalf("accounts after a result with 5: %d", len(got))
		}
		if !strings.Contains(r.Logs.String(), "device report refused") || !strings.Contains(r.Logs.String(), r.m.Serial) {
			t.Error("the refusals are not logged with the device's serial")
		}
	})
}

// GW-2: the rest of what a device reports of itself is checked by the
// formats the portal holds it in: a model and firmware version as vendors
// mint and publish them (64 and 32 characters), a public key that sealing
// can use. A report that breaks one is refused (400 naming the field) and
// the device keeps the firmware it last reported within the rules.
func TestGW2_DeviceReportedFieldsValidated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newReporter(t, db)
		long := strings.Repeat("x", 2000)
		for _, k := range []struct {
			name  string
			set   func(*proto.Hello)
			field string
		}{
			{"a 2,000-character model", func(h *proto.Hello) { h.Model = long }, "model"},
			{"a model of spaces", func(h *proto.Hello) { h.Model = "   " }, "model"},
			{"a model with a line break", func(h *proto.Hello) { h.Model = "AXIS\nP3265" }, "model"},
			{"a 2,000-character firmware", func(h *proto.Hello) { h.Firmware = long }, "firmware"},
			{"a firmware with a space", func(h *proto.Hello) { h.Firmware = "11.11 beta" }, "firmware"},
			{"a firmware with markup", func(h *proto.Hello) { h.Firmware = "<b>11</b>" }, "firmware"},
			{"a 2,000-character public key", func(h *proto.Hello) { h.PublicKey = long }, "public_key"},
			{"a public key of 16 bytes", func(h *proto.Hello) { h.PublicKey = "AAAAAAAAAAAAAAAAAAAAAA==" }, "public_key"},
		} {
			r.refused("hello with "+k.name, "/device/v1/hello", "", r.hello(k.set), k.field)
		}
		for name, fw := range map[string]string{"a 2,000-character firmware": long, "a firmware with a space": "11.11 beta"} {
			r.refused("heartbeat with "+name, "/device/v1/heartbeat", r.dev.Token(), proto.Heartbeat{Firmware: fw}, "firmware")
		}
		var c cmdJSON
		r.do("POST", "/api/v1/orgs/"+r.org+"/devices/"+r.d.ID+"/actions", r.owner, map[string]string{"type": "reboot"}, &c)
		r.dev.Poll(0)
		r.refused("result with a 2,000-character firmware", "/device/v1/commands/"+c.ID+"/result", r.dev.Token(), proto.Result{OK: true, Firmware: long}, "firmware")
		if d := r.device(); d.Firmware != harness.Firmware || d.Model != harness.Model {
			t.Fatalf("after refused reports the device shows %q %q, want %q %q", d.Model, d.Firmware, harness.Model, harness.Firmware)
		}
		// A report within the rules is taken, trimmed; an empty model,
		// firmware or key reports nothing of them.
		var w proto.Welcome
		if code := r.do("POST", "/device/v1/hello", "", r.hello(func(h *proto.Hello) { h.Model, h.PublicKey = "", "" }), &w); code != 200 || w.Token == "" {
			t.Fatalf("hello without model and key: %d", code)
		}
		if code := r.do("POST", "/device/v1/heartbeat", w.Token, proto.Heartbeat{Firmware: " 11.11.1 "}, nil); code != 200 {
			t.Fatalf("heartbeat with a new firmware: %d", code)
		}
		if d := r.device(); d.Firmware != "11.11.1" {
			t.Fatalf("firmware after the heartbeat: %q", d.Firmware)
		}
		// The key of the first hello still seals passwords.
		if code := r.do("POST", "/api/v1/orgs/"+r.org+"/devices/"+r.d.ID+"/accounts", r.owner,
			map[string]string{"username": "guard", "password": "pw", "role": "viewer"}, nil); code != 202 {
			t.Fatalf("account change after a hello without a key: %d", code)
		}
	})
}

// GW-2: a command's result is never refused for its message, which the
// portal keeps to 500 characters cut on a character boundary (so a reason
// in any script is stored as valid text, also by PostgreSQL), and the
// outcome is recorded.
func TestGW2_ResultMessageKeptTo500Characters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newReporter(t, db)
		var c cmdJSON
		r.do("POST", "/api/v1/orgs/"+r.org+"/devices/"+r.d.ID+"/actions", r.owner, map[string]string{"type": "identify"}, &c)
		r.dev.Poll(0)
		msg := "  " + strings.Repeat("€", 2000) + "  "
		var reply proto.ResultReply
		if code := r.do("POST", "/device/v1/commands/"+c.ID+"/result", r.dev.Token(), proto.Result{OK: false, Message: msg}, &reply); code != 200 {
			t.Fatalf("result with a 2,000-character message: %d", code)
		}
		got := r.command(r.owner, r.org, c.ID)
		if got.State != proto.StateFailed || !utf8.ValidString(got.Result) || utf8.RuneCountInString(got.Result) != proto.MaxMessage ||
			got.Result != strings.Repeat("€", proto.MaxMessage) || reply.Result != got.Result {
			t.Fatalf("recorded %s with %d bytes, %d characters (valid UTF-8 %v), answered %d bytes; want failed with 500 €",
				got.State, len(got.Result), utf8.RuneCountInString(got.Result), utf8.ValidString(got.Result), len(reply.Result))
		}
	})
}
