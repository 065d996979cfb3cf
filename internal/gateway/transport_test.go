package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	proto "mysystems/internal/device"
	"mysystems/internal/firmware"
	"mysystems/internal/harness"
	"mysystems/internal/store/storetest"
)

// GW-1: devices behind a site controller share one cleartext HTTP/2
// connection, each device's long-poll a stream of it.
func TestGW1_ManyDevicesOverOneHTTP2Connection(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	srv := e.App.Server("127.0.0.1:0")
	var conns atomic.Int32
	srv.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	base := "http://" + ln.Addr().String()

	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()

	const n = 300
	ms := e.Mint(n)
	owner := e.user("owner@example.com")
	org, root := e.org(owner)
	tokens := make([]string, n)
	for i, m := range ms {
		body := fmt.Sprintf(`{"serial":%q,"secret":%q,"model":%q,"firmware":"11.11.0"}`, m.Serial, m.Secret, m.Model)
		res, err := client.Post(base+"/device/v1/hello", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var w proto.Welcome
		_ = json.NewDecoder(res.Body).Decode(&w)
		res.Body.Close()
		if res.ProtoMajor != 2 || w.Token == "" {
			t.Fatalf("hello %d: proto %s, token %q", i, res.Proto, w.Token)
		}
		tokens[i] = w.Token
	}
	target := e.claim(owner, org, ms[n/2], root)
	got := make(chan string, n)
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest("GET", base+"/device/v1/commands?wait=30", nil)
			req.Header.Set("Authorization", "Bearer "+tokens[i])
			res, err := client.Do(req)
			if err != nil {
				return
			}
			defer res.Body.Close()
			var cmds proto.Commands
			_ = json.NewDecoder(res.Body).Decode(&cmds)
			for _, c := range cmds.Commands {
				got <- ms[i].Serial + ":" + c.Type
			}
		}(i)
	}
	waitFor(t, func() bool { return e.App.Gateway.Waiting() == n })
	e.do("POST", "/api/v1/orgs/"+org+"/devices/"+target.ID+"/actions", owner, map[string]string{"type": "identify"}, nil)
	select {
	case s := <-got:
		if s != ms[n/2].Serial+":identify" {
			t.Fatalf("delivered %s", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("command not delivered over the shared connection")
	}
	if c := conns.Load(); c != 1 {
		t.Fatalf("%d connections for %d devices, want 1", c, n)
	}
	_ = srv.Close()
	e.App.EndRequests() // the hijacked cleartext HTTP/2 connection's polls answer now
	wg.Wait()
}

// GW-3: firmware images download with HTTP ranges, so a download resumes.
func TestGW3_FirmwareRanges(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	image := strings.Repeat("0123456789", 1000)
	rel, err := e.App.Firmware.Publish(context.Background(), harness.Vendor,
		firmware.PublishInput{Model: harness.Model, Version: "11.11.1", Track: "active"}, strings.NewReader(image))
	if err != nil {
		t.Fatal(err)
	}
	dev := e.Device(e.Mint(1)[0])
	dev.Hello()
	get := func(path, rng string) (int, string) {
		code, b := dev.Get(path, rng)
		return code, string(b)
	}
	if code, body := get("/device/v1/firmware/"+rel.ID, ""); code != 200 || body != image {
		t.Fatalf("whole image: %d, %d bytes", code, len(body))
	}
	if code, body := get("/device/v1/firmware/"+rel.ID, "bytes=9990-"); code != 206 || body != "0123456789" {
		t.Fatalf("resumed tail: %d %q", code, body)
	}
	for _, bad := range []string{"/device/v1/firmware/missing.bin", "/device/v1/firmware/fw_missing", "/device/v1/firmware/..%2f..%2fetc%2fpasswd", "/device/v1/firmware/" + rel.SHA256} {
		if code, _ := get(bad, ""); code != 404 {
			t.Errorf("%s: %d, want 404", bad, code)
		}
	}
}
