package sim

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mysystems/internal/device"
)

// fakeGW is an in-memory device gateway serving the /device/v1 routes
// (hello, heartbeat, commands, result, progress, firmware images with Range
// requests, the firmware key) over HTTP/1.1 and cleartext HTTP/2 on one
// port, counting connections.
type fakeGW struct {
	t         testing.TB
	ts        *httptest.Server
	hbSeconds int

	newConns    atomic.Int64
	closedConns atomic.Int64

	mu      sync.Mutex
	devs    map[string]*fakeDev
	tokens  map[string]string // token → serial
	results map[string][]device.Result
	failRes map[string]int // answer this many result posts of an id with 503
	protos  map[int]int    // requests by HTTP major version
	remotes map[string]bool
	seq     int

	// AXIS OS upgrades.
	key        ed25519.PrivateKey
	images     map[string][]byte // release → the bytes served
	ranges     []string          // Range headers of image requests, in order
	keyFetches int
	progress   map[string][]device.Progress
	// onProgress, if set, answers a progress report instead of "proceed"
	// (status 0: 200 with reply).
	onProgress func(id string, p device.Progress) (int, device.ProgressReply)
}

type fakeDev struct {
	secret     string
	pub        string
	model      string
	firmware   string
	accounts   []device.Account
	hellos     int
	badHellos  int
	heartbeats int
	cmds       []*fakeCmd
	wake       chan struct{}
}

type fakeCmd struct {
	id, typ string
	args    json.RawMessage
	issued  time.Time
	done    bool
	again   int // deliveries still to make after it is done (a lost ack)
	sent    int
	// An upgrade is delivered once while open (it lasts): dup more
	// deliveries before its result, as a gateway redelivering it.
	dup int
}

func newFakeGW(t testing.TB) *fakeGW {
	g := &fakeGW{
		t: t, hbSeconds: 60,
		devs: map[string]*fakeDev{}, tokens: map[string]string{},
		results: map[string][]device.Result{}, failRes: map[string]int{},
		protos: map[int]int{}, remotes: map[string]bool{},
		images: map[string][]byte{}, progress: map[string][]device.Progress{},
	}
	_, g.key, _ = ed25519.GenerateKey(rand.Reader)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /device/v1/hello", g.hello)
	mux.HandleFunc("POST /device/v1/heartbeat", g.heartbeat)
	mux.HandleFunc("GET /device/v1/commands", g.poll)
	mux.HandleFunc("POST /device/v1/commands/{id}/result", g.result)
	mux.HandleFunc("POST /device/v1/commands/{id}/progress", g.progressReport)
	mux.HandleFunc("GET /device/v1/firmware/{release}", g.image)
	mux.HandleFunc("GET /device/v1/firmware-key", g.firmwareKey)
	g.ts = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		g.mu.Lock()
		g.protos[r.ProtoMajor]++
		g.remotes[host] = true
		g.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	g.ts.Config.Protocols = p
	g.ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			g.newConns.Add(1)
		case http.StateClosed, http.StateHijacked:
			g.closedConns.Add(1)
		}
	}
	g.ts.Start()
	t.Cleanup(g.ts.Close)
	return g
}

// add registers a device identity and returns it.
func (g *fakeGW) add(serial string) Identity {
	id := Identity{Serial: serial, Model: "AXIS Q1615", Secret: "secret-" + serial}
	g.mu.Lock()
	g.devs[serial] = &fakeDev{secret: id.Secret, wake: make(chan struct{})}
	g.mu.Unlock()
	return id
}

// addSeries registers n device identities, serials prefix00, prefix01, …
func (g *fakeGW) addSeries(prefix string, n int) []Identity {
	var ids []Identity
	for i := range n {
		ids = append(ids, g.add(fmt.Sprintf("%s%02d", prefix, i)))
	}
	return ids
}

// allHeartbeated reports whether every one of ids has sent at least n
// heartbeats.
func (g *fakeGW) allHeartbeated(ids []Identity, n int) bool {
	for _, id := range ids {
		if g.heartbeats(id.Serial) < n {
			return false
		}
	}
	return true
}

func (g *fakeGW) dev(serial string) fakeDev {
	g.mu.Lock()
	defer g.mu.Unlock()
	return *g.devs[serial]
}

func (g *fakeGW) hellos(serial string) int     { return g.dev(serial).hellos }
func (g *fakeGW) heartbeats(serial string) int { return g.dev(serial).heartbeats }

// expire forgets a device's tokens: its next request gets 401.
func (g *fakeGW) expire(serial string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for tok, s := range g.tokens {
		if s == serial {
			delete(g.tokens, tok)
		}
	}
}

// send queues a command; again > 0 delivers it that many more times after
// its result arrived (as if the gateway had missed the acknowledgement).
func (g *fakeGW) send(serial, typ string, args any, again int) string {
	g.t.Helper()
	var raw json.RawMessage
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			g.t.Fatal(err)
		}
		raw = b
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seq++
	id := fmt.Sprintf("cmd-%d", g.seq)
	d := g.devs[serial]
	d.cmds = append(d.cmds, &fakeCmd{id: id, typ: typ, args: raw, issued: time.Now(), again: again})
	close(d.wake)
	d.wake = make(chan struct{})
	return id
}

// sendAccount seals password with the device's public key from its Hello.
func (g *fakeGW) sendAccount(serial, typ, username, role, password string) string {
	g.t.Helper()
	args := device.AccountArgs{Username: username, Role: role}
	if password != "" {
		sealed, err := device.Seal(g.dev(serial).pub, []byte(password))
		if err != nil {
			g.t.Fatal(err)
		}
		args.SealedPassword = sealed
	}
	return g.send(serial, typ, args, 0)
}

func (g *fakeGW) resultsOf(id string) []device.Result {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]device.Result(nil), g.results[id]...)
}

func (g *fakeGW) distinctRemotes() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.remotes)
}

func (g *fakeGW) protoCounts() map[int]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[int]int{}
	for k, v := range g.protos {
		out[k] = v
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// refuse answers 400 to a report the gateway would refuse, and fails the
// test: the simulator reports only what the device protocol's rules let
// through (device.CheckHello and its kin).
func (g *fakeGW) refuse(w http.ResponseWriter, what string, err error) {
	g.t.Errorf("GW-2: the simulator sent a %s the gateway refuses: %v", what, err)
	writeErr(w, http.StatusBadRequest, "invalid", err.Error())
}

// auth returns the serial of the request's bearer token, or "" after
// answering 401.
func (g *fakeGW) auth(w http.ResponseWriter, r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g.mu.Lock()
	serial := g.tokens[tok]
	g.mu.Unlock()
	if !ok || serial == "" {
		writeErr(w, http.StatusUnauthorized, "unauthenticated", "device token expired: say hello")
		return ""
	}
	return serial
}

func (g *fakeGW) hello(w http.ResponseWriter, r *http.Request) {
	var h device.Hello
	if err := json.NewDecoder(r.Body).Decode(&h); err != nil {
		writeErr(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	if _, err := device.CheckHello(h); err != nil {
		g.refuse(w, "hello", err)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	d := g.devs[h.Serial]
	if d == nil || d.secret != h.Secret {
		if d != nil {
			d.badHellos++
		}
		writeErr(w, http.StatusUnauthorized, "unauthenticated", "unknown serial or wrong secret")
		return
	}
	d.hellos++
	d.pub, d.model, d.firmware, d.accounts = h.PublicKey, h.Model, h.Firmware, h.Accounts
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	g.tokens[tok] = h.Serial
	writeJSON(w, http.StatusOK, device.Welcome{Token: tok, ExpiresAt: time.Now().Add(time.Hour), HeartbeatSeconds: g.hbSeconds, Claimed: true})
}

func (g *fakeGW) heartbeat(w http.ResponseWriter, r *http.Request) {
	serial := g.auth(w, r)
	if serial == "" {
		return
	}
	var hb device.Heartbeat
	if err := json.NewDecoder(r.Body).Decode(&hb); err != nil {
		writeErr(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	if _, err := device.CheckHeartbeat(hb); err != nil {
		g.refuse(w, "heartbeat", err)
		return
	}
	g.mu.Lock()
	d := g.devs[serial]
	d.heartbeats++
	if hb.Accounts != nil {
		d.accounts = hb.Accounts
	}
	g.mu.Unlock()
	writeJSON(w, http.StatusOK, device.HeartbeatReply{HeartbeatSeconds: g.hbSeconds, Claimed: true})
}

// wireOut is device.WireCommand plus the issued_at a gateway may send.
type wireOut struct {
	device.WireCommand
	IssuedAt time.Time `json:"issued_at"`
}

func (g *fakeGW) poll(w http.ResponseWriter, r *http.Request) {
	serial := g.auth(w, r)
	if serial == "" {
		return
	}
	wait, _ := strconv.Atoi(r.URL.Query().Get("wait"))
	timer := time.NewTimer(time.Duration(min(max(wait, 0), 30)) * time.Second)
	defer timer.Stop()
	for {
		g.mu.Lock()
		d := g.devs[serial]
		var out []wireOut
		for _, c := range d.cmds {
			if c.done && c.again == 0 {
				continue
			}
			if c.done {
				c.again--
			} else if c.typ == device.CmdUpgrade && c.sent > 0 {
				if c.dup == 0 {
					continue
				}
				c.dup--
			}
			c.sent++
			out = append(out, wireOut{WireCommand: device.WireCommand{ID: c.id, Type: c.typ, Args: c.args}, IssuedAt: c.issued})
		}
		wake := d.wake
		g.mu.Unlock()
		if len(out) > 0 {
			writeJSON(w, http.StatusOK, map[string]any{"commands": out})
			return
		}
		select {
		case <-wake:
		case <-timer.C:
			writeJSON(w, http.StatusOK, device.Commands{Commands: []device.WireCommand{}})
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (g *fakeGW) result(w http.ResponseWriter, r *http.Request) {
	serial := g.auth(w, r)
	if serial == "" {
		return
	}
	var res device.Result
	if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
		writeErr(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	if _, err := device.CheckResult(res); err != nil {
		g.refuse(w, "result", err)
		return
	}
	id := r.PathValue("id")
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failRes[id] > 0 {
		g.failRes[id]--
		writeErr(w, http.StatusServiceUnavailable, "internal", "try again")
		return
	}
	var cmd *fakeCmd
	for _, c := range g.devs[serial].cmds {
		if c.id == id {
			cmd = c
		}
	}
	if cmd == nil {
		writeErr(w, http.StatusNotFound, "not_found", "no such command")
		return
	}
	g.results[id] = append(g.results[id], res)
	first := g.results[id][0]
	if !cmd.done {
		cmd.done = true
		if res.Accounts != nil {
			g.devs[serial].accounts = res.Accounts
		}
	}
	state := device.StateFailed
	if first.OK {
		state = device.StateApplied
	}
	writeJSON(w, http.StatusOK, device.ResultReply{State: state, Result: first.Message})
}

// publish stores an image for release and returns the upgrade arguments a
// portal would send for it, signed with the fake's key.
func (g *fakeGW) publish(release, model, version string, img []byte) device.UpgradeArgs {
	sum := sha256.Sum256(img)
	hexSum := hex.EncodeToString(sum[:])
	sig := ed25519.Sign(g.key, device.FirmwareSignedMessage(release, model, version, hexSum, int64(len(img))))
	g.mu.Lock()
	g.images[release] = img
	g.mu.Unlock()
	return device.UpgradeArgs{
		Task: "task-" + release, Release: release, Model: model, Version: version,
		URL: "/device/v1/firmware/" + release, SHA256: hexSum, Size: int64(len(img)),
		Signature: base64.StdEncoding.EncodeToString(sig),
	}
}

// image serves a release's bytes with Range support, as the gateway does.
func (g *fakeGW) image(w http.ResponseWriter, r *http.Request) {
	if g.auth(w, r) == "" {
		return
	}
	g.mu.Lock()
	img, ok := g.images[r.PathValue("release")]
	g.ranges = append(g.ranges, r.Header.Get("Range"))
	g.mu.Unlock()
	if !ok {
		writeErr(w, http.StatusNotFound, "not_found", "no such release")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(img))
}

func (g *fakeGW) firmwareKey(w http.ResponseWriter, r *http.Request) {
	if g.auth(w, r) == "" {
		return
	}
	g.mu.Lock()
	g.keyFetches++
	g.mu.Unlock()
	writeJSON(w, http.StatusOK, device.FirmwareKey{Algorithm: device.FirmwareKeyAlgorithm, PublicKey: base64.StdEncoding.EncodeToString(g.key.Public().(ed25519.PublicKey))})
}

func (g *fakeGW) progressReport(w http.ResponseWriter, r *http.Request) {
	if g.auth(w, r) == "" {
		return
	}
	var p device.Progress
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		writeErr(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	id := r.PathValue("id")
	g.mu.Lock()
	g.progress[id] = append(g.progress[id], p)
	fn := g.onProgress
	g.mu.Unlock()
	status, reply := 0, device.ProgressReply{Proceed: true}
	if fn != nil {
		status, reply = fn(id, p)
	}
	if status != 0 && status != http.StatusOK {
		writeErr(w, status, "unavailable", "try again")
		return
	}
	writeJSON(w, http.StatusOK, reply)
}

// redeliver delivers the open command id once more.
func (g *fakeGW) redeliver(serial, id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d := g.devs[serial]
	for _, c := range d.cmds {
		if c.id == id {
			c.dup++
		}
	}
	close(d.wake)
	d.wake = make(chan struct{})
}

func (g *fakeGW) progressOf(id string) []device.Progress {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]device.Progress(nil), g.progress[id]...)
}

func (g *fakeGW) rangesSeen() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.ranges...)
}
