package gateway_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	proto "mysystems/internal/device"
	"mysystems/internal/fleet"
	"mysystems/internal/store"
)

var t0 = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	t     *testing.T
	db    *store.DB
	app   *app.App
	srv   *httptest.Server
	clock *clock.Fake
	logs  *logBuf
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{t: t, db: db, clock: clock.NewFake(t0), logs: &logBuf{}}
	e.start()
	return e
}

// start builds a server over the database, as a process start would.
func (e *env) start() {
	cfg := app.DefaultConfig()
	cfg.Account.Hash = account.TestHashParams
	cfg.RateLimit = 0
	e.app = app.New(cfg, e.db, e.clock, slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	e.srv = httptest.NewServer(e.app.Handler)
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.app.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	srv, a := e.srv, e.app
	e.t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		_ = a.Shutdown(context.Background())
	})
}

// restart stops this server abruptly and starts another over the same
// database.
func (e *env) restart() {
	e.srv.CloseClientConnections()
	e.srv.Close()
	_ = e.app.Shutdown(context.Background())
	e.start()
}

func (e *env) do(method, path, token string, body any, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	if res.StatusCode >= 500 {
		e.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return res.StatusCode
}

func (e *env) user(email string) string {
	e.t.Helper()
	e.do("POST", "/api/v1/auth/register", "", map[string]string{"email": email, "name": email, "password": "a long enough passphrase"}, nil)
	var out struct{ Token string }
	e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "a long enough passphrase"}, &out)
	return out.Token
}

func (e *env) mint(n int) []fleet.Minted {
	e.t.Helper()
	ms, err := e.app.Fleet.Mint(context.Background(), audit.Actor{Kind: audit.KindVendor, ID: "plt_test"}, "AXIS P3265-LVE", n)
	if err != nil {
		e.t.Fatal(err)
	}
	return ms
}

// device is a minimal device for the protocol tests.
type device struct {
	e      *env
	m      fleet.Minted
	key    *ecdh.PrivateKey
	token  string
	accts  []proto.Account
	client *http.Client
}

func (e *env) device(m fleet.Minted) *device {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	return &device{e: e, m: m, key: k, client: &http.Client{}, accts: []proto.Account{
		{Username: "root", Role: proto.RoleAdministrator},
		{Username: "acs-service", Role: proto.RoleAdministrator, Service: true},
		{Username: "adm-service", Role: proto.RoleAdministrator, Service: true},
	}}
}

func (d *device) hello() proto.Welcome {
	d.e.t.Helper()
	var w proto.Welcome
	code := d.e.do("POST", "/device/v1/hello", "", proto.Hello{Serial: d.m.Serial, Secret: d.m.Secret, Model: d.m.Model,
		Firmware: "11.11.0", Accounts: d.accts, PublicKey: base64.StdEncoding.EncodeToString(d.key.PublicKey().Bytes())}, &w)
	if code != 200 || w.Token == "" {
		d.e.t.Fatalf("hello: %d", code)
	}
	d.token = w.Token
	return w
}

func (d *device) poll(wait int) []proto.WireCommand {
	d.e.t.Helper()
	var out proto.Commands
	if code := d.e.do("GET", "/device/v1/commands?wait="+itoa(wait), d.token, nil, &out); code != 200 {
		d.e.t.Fatalf("poll: %d", code)
	}
	return out.Commands
}

func itoa(n int) string { return strconv.Itoa(n) }

// apply plays a command as a device would and posts the result.
func (d *device) apply(c proto.WireCommand) proto.ResultReply {
	d.e.t.Helper()
	res := proto.Result{OK: true}
	switch c.Type {
	case proto.CmdAccountCreate, proto.CmdAccountPassword:
		var a proto.AccountArgs
		_ = json.Unmarshal(c.Args, &a)
		pw, err := proto.Open(d.key, a.SealedPassword)
		if err != nil {
			res = proto.Result{OK: false, Message: "cannot open the password"}
			break
		}
		if c.Type == proto.CmdAccountCreate {
			d.accts = append(d.accts, proto.Account{Username: a.Username, Role: a.Role})
		}
		res.Message = "password of " + a.Username + " has " + itoa(len(pw)) + " characters"
		res.Accounts = d.accts
	case proto.CmdAccountDelete:
		var a proto.AccountArgs
		_ = json.Unmarshal(c.Args, &a)
		var keep []proto.Account
		for _, x := range d.accts {
			if x.Username != a.Username {
				keep = append(keep, x)
			}
		}
		d.accts = keep
		res.Accounts = d.accts
	}
	var reply proto.ResultReply
	if code := d.e.do("POST", "/device/v1/commands/"+c.ID+"/result", d.token, res, &reply); code != 200 {
		d.e.t.Fatalf("result: %d", code)
	}
	return reply
}

func io_copy(w io.Writer, res *http.Response) (int64, error) {
	defer res.Body.Close()
	return io.Copy(w, res.Body)
}
