package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"strings"
	"testing"
	"time"

	"mysystems/internal/app"
	proto "mysystems/internal/device"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/harness"
	"mysystems/internal/store/storetest"
)

// deviceTarget is a server with one claimed device that said hello and has
// two commands out: a reboot and an AXIS OS upgrade.
type deviceTarget struct {
	s               *harness.Server
	token           string
	reboot, upgrade string
	serial, secret  string
}

func newDeviceTarget(f *testing.F, kind string) deviceTarget {
	var s *harness.Server
	opts := []harness.Option{harness.At(t0), harness.NoRateLimit(), harness.Config(func(c *app.Config) {
		c.Gateway.MaxWait = time.Second
	})}
	if kind == "postgres" {
		s = harness.New(f, storetest.Postgres(f), opts...)
	} else {
		s = harness.New(f, nil, opts...)
	}
	owner := s.User("owner@example.com")
	orgID, root := s.Org(owner.Token, "Fuzz")
	m := s.Mint(1)[0]
	s.Publish(m.Model, "12.2.35", "active", nil)
	dev := s.Device(m)
	dev.Hello()
	var d struct {
		ID string `json:"id"`
	}
	if err := s.Claim(owner.Token, orgID, m, root).Decode(&d); err != nil {
		f.Fatal(err)
	}
	if r := s.Call("POST", "/api/v1/orgs/"+orgID+"/devices/"+d.ID+"/actions", owner.Token, map[string]string{"type": "reboot"}); r.Status != http.StatusAccepted {
		f.Fatalf("reboot: %d %s", r.Status, r.Body)
	}
	if r := s.Call("POST", "/api/v1/orgs/"+orgID+"/upgrades", owner.Token, map[string]any{"device_ids": []string{d.ID}}); r.Status != http.StatusAccepted {
		f.Fatalf("upgrade: %d %s", r.Status, r.Body)
	}
	if err := s.App.Upgrades.Dispatch(context.Background()); err != nil {
		f.Fatal(err)
	}
	tgt := deviceTarget{s: s, token: dev.Token(), serial: m.Serial, secret: m.Secret}
	for _, c := range dev.Poll(0) {
		switch c.Type {
		case proto.CmdUpgrade:
			tgt.upgrade = c.ID
		default:
			tgt.reboot = c.ID
		}
	}
	if tgt.reboot == "" || tgt.upgrade == "" {
		f.Fatalf("commands not delivered: %+v", tgt)
	}
	return tgt
}

// FuzzDeviceBodies sends arbitrary requests of the device protocol
// (/device/v1, GW-1..3) through the whole server: hellos, heartbeats,
// long-polls' queries, command results and upgrade progress with arbitrary
// bodies and command ids, and arbitrary bearer tokens. In a body, $SERIAL
// and $SECRET stand for the device's factory credential, so that hellos get
// past it. Whatever comes, the
// server never answers 5xx; a refusal is a JSON error whose code maps to
// its status, with a message; an answer of 200 is the reply the protocol
// defines. It runs on SQLite and, when MYSYSTEMS_TEST_POSTGRES is set, on
// PostgreSQL too. The seeds are f.Add below, which `go test` runs, and the
// inputs fuzzing found failing, in testdata/fuzz/FuzzDeviceBodies.
func FuzzDeviceBodies(f *testing.F) {
	f.Add(uint8(0), "", []byte(`{"serial":"ACCC8E000001","secret":"x","model":"AXIS P3265-LVE","firmware":"11.11.0","accounts":[{"username":"root","role":"admin"}],"public_key":"AAAA"}`))
	f.Add(uint8(0), "", []byte(`{"serial":"$SERIAL","secret":"$SECRET","model":"AXIS P3265-LVE","firmware":"12.2.35","public_key":"AAAA"}`))
	f.Add(uint8(0), "", []byte(`{"serial":"$SERIAL","secret":"$SECRET","public_key":"\u0000","accounts":[{"username":"\u0000","role":"\ud800"}]}`))
	f.Add(uint8(0), "", []byte(`{"serial":"$SERIAL","secret":"$SECRET","firmware":"`+strings.Repeat("9", 40)+`","accounts":null}`))
	f.Add(uint8(1), "", []byte(`{"firmware":"12.0.0","accounts":[{"username":"root","role":"admin","service":true}]}`))
	f.Add(uint8(1), "", []byte(`{"firmware":"\u0000","accounts":[{"username":"\u0000"}]}`))
	f.Add(uint8(1), "", []byte(``))
	f.Add(uint8(2), "", []byte(`wait=0`))
	f.Add(uint8(2), "", []byte(`wait=-1&wait=2`))
	f.Add(uint8(2), "", []byte(`wait=%zz`))
	f.Add(uint8(3), "", []byte(`{"ok":true,"message":"done"}`))
	f.Add(uint8(3), "u", []byte(`{"ok":false,"message":"install failed","firmware":"11.11.0"}`))
	f.Add(uint8(3), "cmd_missing", []byte(`{"ok":true,"accounts":[{"username":"root"}]}`))
	f.Add(uint8(4), "u", []byte(`{"stage":"downloading","percent":50}`))
	f.Add(uint8(4), "u", []byte(`{"stage":"installing","percent":-7}`))
	f.Add(uint8(4), "", []byte(`{"stage":"rebooting"}`))
	f.Add(uint8(5), "msd_x.y", []byte(`{}`))
	f.Add(uint8(5), "msd_QUNDQzhFMDAwMDAxOjk5OTk5OTk5OTk5.AAAA", []byte(`{}`))
	f.Add(uint8(0), "", []byte(`[`))
	f.Add(uint8(3), "", []byte(`{"ok":"yes"}`))
	targets := []deviceTarget{newDeviceTarget(f, "sqlite")}
	if os.Getenv("MYSYSTEMS_TEST_POSTGRES") != "" {
		targets = append(targets, newDeviceTarget(f, "postgres"))
	}
	f.Fuzz(func(t *testing.T, kind uint8, id string, body []byte) {
		for _, tg := range targets {
			tg.check(t, kind, id, body)
		}
	})
}

func (tg deviceTarget) check(t *testing.T, kind uint8, id string, body []byte) {
	cmd := func() string {
		switch id {
		case "":
			return tg.reboot
		case "u":
			return tg.upgrade
		}
		return url.PathEscape(id)
	}
	body = bytes.ReplaceAll(bytes.ReplaceAll(body, []byte("$SERIAL"), []byte(tg.serial)), []byte("$SECRET"), []byte(tg.secret))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var req *http.Request
	var reply any
	token := tg.token
	switch kind % 6 {
	case 0:
		req, reply, token = httptest.NewRequest("POST", "/device/v1/hello", bytes.NewReader(body)), &proto.Welcome{}, ""
	case 1:
		req, reply = httptest.NewRequest("POST", "/device/v1/heartbeat", bytes.NewReader(body)), &proto.HeartbeatReply{}
	case 2:
		// A poll that would wait is ended by its client at once: the
		// query is what is tried here.
		q := strings.Map(func(r rune) rune {
			if r <= ' ' || r == '#' || r >= 0x7f {
				return -1
			}
			return r
		}, string(body))
		req, reply = httptest.NewRequest("GET", "/device/v1/commands?"+q, nil), &proto.Commands{}
		c, stop := context.WithTimeout(ctx, 20*time.Millisecond)
		defer stop()
		ctx = c
	case 3:
		req, reply = httptest.NewRequest("POST", "/device/v1/commands/"+cmd()+"/result", bytes.NewReader(body)), &proto.ResultReply{}
	case 4:
		req, reply = httptest.NewRequest("POST", "/device/v1/commands/"+cmd()+"/progress", bytes.NewReader(body)), &proto.ProgressReply{}
	case 5:
		if strings.ContainsAny(id, "\r\n\x00") {
			return // not a header value a client can send
		}
		req, reply, token = httptest.NewRequest("POST", "/device/v1/heartbeat", bytes.NewReader(body)), &proto.HeartbeatReply{}, id
	}
	req = req.WithContext(ctx)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	tg.s.App.Handler.ServeHTTP(w, req)
	res := w.Result()
	raw := w.Body.Bytes()
	switch {
	case res.StatusCode == http.StatusTemporaryRedirect && path.Clean(req.URL.Path) != req.URL.Path:
		// a path with . or .. segments, redirected to its clean form by net/http
	case res.StatusCode >= 500:
		t.Fatalf("%s %s with %q: %d %s", req.Method, req.URL, body, res.StatusCode, raw)
	case res.StatusCode >= 400:
		var e edge.ErrorBody
		if err := json.Unmarshal(raw, &e); err != nil || e.Error.Message == "" ||
			edge.Status(errs.E(errs.Code(e.Error.Code), "")) != res.StatusCode {
			t.Fatalf("%s %s with %q: %d is not a JSON error of that status: %s", req.Method, req.URL, body, res.StatusCode, raw)
		}
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s %s: error as %q", req.Method, req.URL, res.Header.Get("Content-Type"))
		}
	case res.StatusCode == http.StatusOK && len(raw) > 0:
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(reply); err != nil {
			t.Fatalf("%s %s with %q: 200 is not a %T: %v: %s", req.Method, req.URL, body, reply, err, raw)
		}
	case res.StatusCode == http.StatusOK && kind%6 == 2:
		// the poll was ended by its client: nothing was written
	default:
		t.Fatalf("%s %s with %q: %d %s", req.Method, req.URL, body, res.StatusCode, raw)
	}
}
