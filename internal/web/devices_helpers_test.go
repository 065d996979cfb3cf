package web_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"

	"mysystems/internal/app"
	"mysystems/internal/audit"
	proto "mysystems/internal/device"
	"mysystems/internal/fleet"
)

const testModel = "AXIS P3265-LVE"

// mint makes n device identities as the vendor does.
func mint(t *testing.T, a *app.App, n int) []fleet.Minted {
	t.Helper()
	ms, err := a.Fleet.Mint(context.Background(), audit.Actor{Kind: audit.KindVendor, ID: "t"}, testModel, n)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

var deviceLocation = regexp.MustCompile(`^/orgs/org_[a-z0-9]+/devices/(dev_[a-z0-9]+)$`)

// claim adds a device through the Add device form and returns its id.
func claim(t *testing.T, c *client, orgID string, m fleet.Minted, folderID, name string) string {
	t.Helper()
	r := c.post("/orgs/"+orgID+"/devices/add", url.Values{"serial": {m.Serial}, "oak": {m.OAK},
		"folder_id": {folderID}, "name": {name}})
	loc := deviceLocation.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || loc == nil {
		t.Fatalf("add device %s: got %d to %q; body:\n%s", m.Serial, r.status, r.location(), r.body)
	}
	return loc[1]
}

// device is a minimal device speaking /device/v1: hello, poll, result.
// It reports a root account and two service accounts.
type device struct {
	t     *testing.T
	srv   *httptest.Server
	m     fleet.Minted
	key   *ecdh.PrivateKey
	token string
	accts []proto.Account
}

func newDevice(t *testing.T, srv *httptest.Server, m fleet.Minted) *device {
	t.Helper()
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &device{t: t, srv: srv, m: m, key: k, accts: []proto.Account{
		{Username: "root", Role: proto.RoleAdministrator},
		{Username: "acs-service", Role: proto.RoleAdministrator, Service: true},
		{Username: "adm-service", Role: proto.RoleOperator, Service: true},
	}}
}

func (d *device) call(method, path string, in, out any) int {
	d.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			d.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.srv.URL+path, body)
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if d.token != "" {
		req.Header.Set("Authorization", "Bearer "+d.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			d.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return res.StatusCode
}

func (d *device) hello() {
	d.t.Helper()
	var w proto.Welcome
	if code := d.call("POST", "/device/v1/hello", proto.Hello{Serial: d.m.Serial, Secret: d.m.Secret, Model: d.m.Model,
		Firmware: "11.11.0", Accounts: d.accts, PublicKey: base64.StdEncoding.EncodeToString(d.key.PublicKey().Bytes())}, &w); code != http.StatusOK {
		d.t.Fatalf("hello: %d", code)
	}
	d.token = w.Token
}

func (d *device) poll() []proto.WireCommand {
	d.t.Helper()
	var out proto.Commands
	if code := d.call("GET", "/device/v1/commands?wait=0", nil, &out); code != http.StatusOK {
		d.t.Fatalf("poll: %d", code)
	}
	return out.Commands
}

// apply applies an account command as a device would and returns the
// password it received in clear.
func (d *device) apply(c proto.WireCommand, ok bool, message string) string {
	d.t.Helper()
	var a proto.AccountArgs
	_ = json.Unmarshal(c.Args, &a)
	var pw string
	if a.SealedPassword != "" {
		b, err := proto.Open(d.key, a.SealedPassword)
		if err != nil {
			d.t.Fatalf("open the sealed password: %v", err)
		}
		pw = string(b)
	}
	res := proto.Result{OK: ok, Message: message}
	if ok {
		switch c.Type {
		case proto.CmdAccountCreate:
			d.accts = append(d.accts, proto.Account{Username: a.Username, Role: a.Role})
		case proto.CmdAccountDelete:
			var keep []proto.Account
			for _, x := range d.accts {
				if x.Username != a.Username {
					keep = append(keep, x)
				}
			}
			d.accts = keep
		}
		res.Accounts = d.accts
	}
	if code := d.call("POST", "/device/v1/commands/"+c.ID+"/result", res, nil); code != http.StatusOK {
		d.t.Fatalf("result: %d", code)
	}
	return pw
}

// csvOf joins import lines.
func csvOf(lines ...string) string {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
