package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	proto "mysystems/internal/device"
	"mysystems/internal/fleet"
	"mysystems/internal/sim"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

type deviceJSON struct {
	ID, Serial, Name, Model, Firmware, FolderID string
	Online                                      bool
}

type cmdJSON struct {
	ID, State, Result, Type string
}

func (e *env) org(tok string) (id, root string) {
	var o struct {
		ID           string
		RootFolderID string `json:"root_folder_id"`
	}
	e.do("POST", "/api/v1/orgs", tok, map[string]string{"name": "Acme"}, &o)
	return o.ID, o.RootFolderID
}

func (e *env) claim(tok, org string, m fleet.Minted, folder string) deviceJSON {
	e.t.Helper()
	var d deviceJSON
	if code := e.do("POST", "/api/v1/orgs/"+org+"/devices", tok, map[string]string{"serial": m.Serial, "oak": m.OAK, "folder_id": folder}, &d); code != 201 {
		e.t.Fatalf("claim: %d", code)
	}
	return d
}

// helloClaimed registers owner@example.com, who makes an organization with
// one device that said hello and was then claimed into its root folder; it
// returns the owner's token, the organization, the device and its record.
func (e *env) helloClaimed() (owner, org string, dev *device, d deviceJSON) {
	e.t.Helper()
	owner = e.user("owner@example.com")
	org, root := e.org(owner)
	m := e.Mint(1)[0]
	dev = e.Device(m)
	dev.Hello()
	return owner, org, dev, e.claim(owner, org, m, root)
}

func (e *env) command(tok, org, id string) cmdJSON {
	var c cmdJSON
	e.do("GET", "/api/v1/orgs/"+org+"/commands/"+id, tok, nil, &c)
	return c
}

// GW-1, GW-2, DEV-3, DEV-7: hello, claim, a command woken into a waiting
// long-poll, applied at most once, state visible through the API.
func TestGW2_CommandRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner := e.user("owner@example.com")
		org, root := e.org(owner)
		m := e.Mint(1)[0]
		dev := e.Device(m)
		if w := dev.Hello(); w.Claimed || w.HeartbeatSeconds != 60 {
			t.Fatalf("welcome before claim: %+v", w)
		}
		if cmds := dev.Poll(0); len(cmds) != 0 {
			t.Fatalf("unclaimed device got %v", cmds)
		}
		d := e.claim(owner, org, m, root)
		if !d.Online || d.Firmware != "11.11.0" || d.Model != "AXIS P3265-LVE" {
			t.Fatalf("claimed device %+v", d)
		}
		// A poll waiting when the command is issued receives it.
		got := make(chan []sim.Command, 1)
		go func() { got <- dev.Poll(20) }()
		waitFor(t, func() bool { return e.App.Gateway.Waiting() == 1 })
		var c cmdJSON
		if code := e.do("POST", "/api/v1/orgs/"+org+"/devices/"+d.ID+"/actions", owner, map[string]string{"type": "identify"}, &c); code != 202 || c.State != "pending" {
			t.Fatalf("action: %d %+v", code, c)
		}
		var cmds []sim.Command
		select {
		case cmds = <-got:
		case <-time.After(10 * time.Second):
			t.Fatal("the waiting poll was not woken")
		}
		if len(cmds) != 1 || cmds[0].ID != c.ID || cmds[0].Type != "identify" {
			t.Fatalf("delivered %+v", cmds)
		}
		if st := e.command(owner, org, c.ID).State; st != "delivered" {
			t.Fatalf("state after delivery %s", st)
		}
		// Not redelivered before its redelivery time, then delivered again.
		if again := dev.Poll(0); len(again) != 0 {
			t.Fatalf("redelivered at once: %v", again)
		}
		e.Clock.Advance(61 * time.Second)
		if again := dev.Poll(0); len(again) != 1 || again[0].ID != c.ID {
			t.Fatalf("not redelivered after the timeout: %v", again)
		}
		if r := dev.Apply(cmds[0]); r.State != "applied" {
			t.Fatalf("result: %+v", r)
		}
		// A repeated result is answered with the first outcome.
		var r proto.ResultReply
		e.do("POST", "/device/v1/commands/"+c.ID+"/result", dev.Token(), proto.Result{OK: false, Message: "late"}, &r)
		if r.State != "applied" {
			t.Fatalf("second result changed the outcome: %+v", r)
		}
		if cc := e.command(owner, org, c.ID); cc.State != "applied" {
			t.Fatalf("command %+v", cc)
		}
		e.Clock.Advance(200 * time.Second)
		if cmds := dev.Poll(0); len(cmds) != 0 {
			t.Fatalf("applied command delivered again: %v", cmds)
		}
		// DEV-7: silent for 3 heartbeats means offline, shown at the latest
		// one interval plus the flush bound later (fleet.OnlineWindow).
		e.Clock.Advance(fleet.OnlineWindow(time.Minute))
		if err := e.App.Gateway.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.do("GET", "/api/v1/orgs/"+org+"/devices/"+d.ID, owner, nil, &d)
		if d.Online {
			t.Fatal("device silent for 3 intervals and the recording slack is online")
		}
		e.do("POST", "/device/v1/heartbeat", dev.Token(), proto.Heartbeat{}, nil)
		if err := e.App.Gateway.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.do("GET", "/api/v1/orgs/"+org+"/devices/"+d.ID, owner, nil, &d)
		if !d.Online {
			t.Fatal("device heartbeating is offline")
		}
	})
}

// GW-1: wrong secrets and tokens are refused.
func TestGW1_DeviceAuth(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	m := e.Mint(1)[0]
	if code := e.do("POST", "/device/v1/hello", "", proto.Hello{Serial: m.Serial, Secret: "wrong"}, nil); code != 401 {
		t.Errorf("wrong secret: %d", code)
	}
	if code := e.do("POST", "/device/v1/hello", "", proto.Hello{Serial: "ACCC8E000000", Secret: m.Secret}, nil); code != 401 {
		t.Errorf("unknown serial: %d", code)
	}
	if code := e.do("POST", "/device/v1/hello", "", "{", nil); code != 400 {
		t.Errorf("malformed: %d", code)
	}
	if code := e.do("GET", "/device/v1/commands", "msd_forged", nil, nil); code != 401 {
		t.Errorf("forged token: %d", code)
	}
	dev := e.Device(m)
	w := dev.Hello()
	e.Clock.Set(w.ExpiresAt.Add(time.Second))
	if code := e.do("POST", "/device/v1/heartbeat", dev.Token(), proto.Heartbeat{}, nil); code != 401 {
		t.Errorf("expired token: %d", code)
	}
	dev.Hello()
	if code := e.do("POST", "/device/v1/heartbeat", dev.Token(), proto.Heartbeat{}, nil); code != 200 {
		t.Errorf("after a new hello: %d", code)
	}
}

// DEV-6: account changes go to the device sealed; the password is never in
// the database or the logs; service accounts and root are protected.
func TestDEV6_DeviceAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner, org, dev, d := e.helloClaimed()
		const secret = "Tr0ub4dor&3-unique-7f9d"
		var c cmdJSON
		if code := e.do("POST", "/api/v1/orgs/"+org+"/devices/"+d.ID+"/accounts", owner, map[string]string{"username": "guard", "password": secret, "role": "viewer"}, &c); code != 202 {
			t.Fatalf("create account: %d", code)
		}
		cmds := dev.Poll(0)
		if len(cmds) != 1 || strings.Contains(string(cmds[0].Args), secret) {
			t.Fatalf("command %+v", cmds)
		}
		r := dev.Apply(cmds[0])
		if r.State != "applied" || !dev.CheckPassword("guard", secret) {
			t.Fatalf("device could not open the password: %+v", r)
		}
		var accts struct{ Items []proto.Account }
		e.do("GET", "/api/v1/orgs/"+org+"/devices/"+d.ID+"/accounts", owner, nil, &accts)
		if len(accts.Items) != 4 {
			t.Fatalf("accounts after create: %+v", accts.Items)
		}
		e.do("PATCH", "/api/v1/orgs/"+org+"/devices/"+d.ID+"/accounts/guard", owner, map[string]string{"password": secret + "2"}, &c)
		dev.Apply(dev.Poll(0)[0])
		for _, bad := range []struct {
			method, path string
			body         any
			code         int
		}{
			{"DELETE", "/accounts/root", nil, 409},
			{"DELETE", "/accounts/acs-service", nil, 409},
			{"PATCH", "/accounts/adm-service", map[string]string{"password": "x"}, 409},
			{"PATCH", "/accounts/nobody", map[string]string{"password": "x"}, 404},
			{"PATCH", "/accounts/guard", map[string]string{"password": "naïve"}, 400},
			{"PATCH", "/accounts/guard", map[string]string{"password": strings.Repeat("x", 65)}, 400},
			{"POST", "/accounts", map[string]string{"username": "guard", "password": "x", "role": "viewer"}, 409},
			{"POST", "/accounts", map[string]string{"username": "x", "password": "x", "role": "god"}, 400},
		} {
			if code := e.do(bad.method, "/api/v1/orgs/"+org+"/devices/"+d.ID+bad.path, owner, bad.body, nil); code != bad.code {
				t.Errorf("%s %s: got %d, want %d", bad.method, bad.path, code, bad.code)
			}
		}
		e.do("DELETE", "/api/v1/orgs/"+org+"/devices/"+d.ID+"/accounts/guard", owner, nil, &c)
		dev.Apply(dev.Poll(0)[0])
		e.do("GET", "/api/v1/orgs/"+org+"/devices/"+d.ID+"/accounts", owner, nil, &accts)
		if len(accts.Items) != 3 {
			t.Fatalf("accounts after delete: %+v", accts.Items)
		}
		// A device claimed but never connected has no accounts to manage yet.
		var o struct {
			RootFolderID string `json:"root_folder_id"`
		}
		e.do("GET", "/api/v1/orgs/"+org, owner, nil, &o)
		silent := e.claim(owner, org, e.Mint(1)[0], o.RootFolderID)
		var body struct{ Error struct{ Message string } }
		if code := e.do("POST", "/api/v1/orgs/"+org+"/devices/"+silent.ID+"/accounts", owner,
			map[string]string{"username": "guard", "password": secret, "role": "viewer"}, &body); code != 409 ||
			!strings.Contains(body.Error.Message, "has not connected to the portal yet") {
			t.Fatalf("account on a device never connected: %d %q", code, body.Error.Message)
		}
		// The password never reached the database or the logs.
		assertNowhere(t, e, secret)
	})
}

// assertNowhere scans every text column of every table and the logs.
func assertNowhere(t *testing.T, e *env, secret string) {
	t.Helper()
	if strings.Contains(e.Logs.String(), secret) {
		t.Fatal("the password is in the logs")
	}
	n, err := e.DB.ScanForTest(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		t.Fatalf("the password is in %d database cells", n)
	}
}

// DEV-5: removed and claimed again is a new record; history stays.
func TestDEV5_RemoveAndReclaim(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	owner := e.user("owner@example.com")
	org, root := e.org(owner)
	m := e.Mint(1)[0]
	d1 := e.claim(owner, org, m, root)
	if code := e.do("DELETE", "/api/v1/orgs/"+org+"/devices/"+d1.ID, owner, nil, nil); code != 400 {
		t.Fatalf("unconfirmed removal: %d", code)
	}
	if code := e.do("DELETE", "/api/v1/orgs/"+org+"/devices/"+d1.ID+"?confirm=true", owner, nil, nil); code != 204 {
		t.Fatalf("removal: %d", code)
	}
	if code := e.do("GET", "/api/v1/orgs/"+org+"/devices/"+d1.ID, owner, nil, nil); code != 404 {
		t.Fatalf("removed device: %d", code)
	}
	d2 := e.claim(owner, org, m, root)
	if d2.ID == d1.ID {
		t.Fatal("a reclaimed device kept its record")
	}
	var log struct {
		Items []struct {
			Action   string
			TargetID string `json:"target_id"`
		}
	}
	e.do("GET", "/api/v1/orgs/"+org+"/audit?action=device.", owner, nil, &log)
	var trail []string
	for _, it := range log.Items {
		trail = append(trail, it.Action+":"+it.TargetID)
	}
	want := "device.claim:" + d2.ID + ",device.remove:" + d1.ID + ",device.claim:" + d1.ID
	if strings.Join(trail, ",") != want {
		t.Fatalf("audit %v, want %s", trail, want)
	}
	// A device belongs to one organization.
	other := e.user("other@example.com")
	org2, root2 := e.org(other)
	if code := e.do("POST", "/api/v1/orgs/"+org2+"/devices", other, map[string]string{"serial": m.Serial, "oak": m.OAK, "folder_id": root2}, nil); code != 409 {
		t.Fatalf("claim in a second org: %d", code)
	}
}

// Killing and restarting the server while a command waits: the device
// reconnects to the new process, gets the command, applies it once.
func TestGW2_RestartKeepsCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner, org, dev, d := e.helloClaimed()
		var c cmdJSON
		e.do("POST", "/api/v1/orgs/"+org+"/devices/"+d.ID+"/actions", owner, map[string]string{"type": "reboot"}, &c)
		first := dev.Poll(0)
		if len(first) != 1 {
			t.Fatalf("before restart: %v", first)
		}
		e.Restart() // the device had the command but no result was recorded
		if code := e.do("GET", "/device/v1/commands?wait=0", dev.Token(), nil, nil); code != 200 {
			t.Fatalf("token after restart: %d", code)
		}
		e.Clock.Advance(61 * time.Second)
		again := dev.Poll(0)
		if len(again) != 1 || again[0].ID != c.ID {
			t.Fatalf("after restart: %v", again)
		}
		dev.Apply(again[0])
		dev.Apply(first[0]) // the earlier delivery's result arrives late: no second application
		var log struct{ Items []struct{ Action string } }
		e.do("GET", "/api/v1/orgs/"+org+"/audit?action=device.command_result", owner, nil, &log)
		if len(log.Items) != 1 {
			t.Fatalf("%d results recorded, want 1", len(log.Items))
		}
	})
}

// ACC-1, ACC-2: a viewer granted one folder sees exactly its devices, in
// the list, the CSV export and by id.
func TestACC1_ViewerSeesOnlyGrantedDevices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner := e.user("owner@example.com")
		org, root := e.org(owner)
		var a, b struct{ ID string }
		e.do("POST", "/api/v1/orgs/"+org+"/folders", owner, map[string]string{"name": "A"}, &a)
		e.do("POST", "/api/v1/orgs/"+org+"/folders", owner, map[string]string{"name": "B"}, &b)
		var sub struct{ ID string }
		e.do("POST", "/api/v1/orgs/"+org+"/folders", owner, map[string]string{"name": "A1", "parent_id": a.ID}, &sub)
		ms := e.Mint(5)
		in1 := e.claim(owner, org, ms[0], a.ID)
		in2 := e.claim(owner, org, ms[1], sub.ID)
		out1 := e.claim(owner, org, ms[2], b.ID)
		e.claim(owner, org, ms[3], root)
		// Folder deletion names what is inside.
		var refusal struct{ Error struct{ Message string } }
		if code := e.do("DELETE", "/api/v1/orgs/"+org+"/folders/"+b.ID+"?confirm=true", owner, nil, &refusal); code != 409 ||
			!strings.HasPrefix(refusal.Error.Message, "1 device inside ") ||
			!strings.HasSuffix(refusal.Error.Message, " / B: move or remove it first") {
			t.Fatalf("delete a folder with a device: %d %q", code, refusal.Error.Message)
		}
		viewer := e.user("viewer@example.com")
		var me struct{ User struct{ ID string } }
		e.do("GET", "/api/v1/me", viewer, nil, &me)
		if err := db.Write(context.Background(), func(tx *store.Tx) error {
			return tx.AddMemberForTest(context.Background(), org, me.User.ID, "viewer", []string{a.ID})
		}); err != nil {
			t.Fatal(err)
		}
		var list struct{ Items []deviceJSON }
		e.do("GET", "/api/v1/orgs/"+org+"/devices?sort=serial", viewer, nil, &list)
		var ids []string
		for _, d := range list.Items {
			ids = append(ids, d.ID)
		}
		if len(ids) != 2 || !(contains(ids, in1.ID) && contains(ids, in2.ID)) {
			t.Fatalf("viewer lists %v, want %s and %s", ids, in1.ID, in2.ID)
		}
		req, _ := http.NewRequest("GET", e.URL+"/api/v1/orgs/"+org+"/devices?format=csv", nil)
		req.Header.Set("Authorization", "Bearer "+viewer)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf strings.Builder
		_, _ = io_copy(&buf, res)
		if lines := strings.Count(buf.String(), "\n"); lines != 3 || strings.Contains(buf.String(), out1.Serial) {
			t.Fatalf("viewer's CSV:\n%s", buf.String())
		}
		if code := e.do("GET", "/api/v1/orgs/"+org+"/devices/"+out1.ID, viewer, nil, nil); code != 404 {
			t.Fatalf("device outside the grant by id: %d", code)
		}
		if code := e.do("GET", "/api/v1/orgs/"+org+"/devices?folder="+b.ID, viewer, nil, nil); code != 404 {
			t.Fatalf("filter by a folder outside the grant: %d", code)
		}
		if code := e.do("POST", "/api/v1/orgs/"+org+"/devices/"+in1.ID+"/actions", viewer, map[string]string{"type": "reboot"}, nil); code != 403 {
			t.Fatalf("viewer reboots: %d", code)
		}
		// Owner filters: folder subtree, search, status.
		e.do("GET", "/api/v1/orgs/"+org+"/devices?folder="+a.ID, owner, nil, &list)
		if len(list.Items) != 2 {
			t.Fatalf("folder subtree: %d devices", len(list.Items))
		}
		e.do("GET", "/api/v1/orgs/"+org+"/devices?q="+strings.ToLower(ms[2].Serial[6:]), owner, nil, &list)
		if len(list.Items) != 1 || list.Items[0].ID != out1.ID {
			t.Fatalf("search: %+v", list.Items)
		}
		e.do("GET", "/api/v1/orgs/"+org+"/devices?status=offline&limit=2", owner, nil, &list)
		if len(list.Items) != 2 {
			t.Fatalf("offline page: %d", len(list.Items))
		}
		if code := e.do("GET", "/api/v1/orgs/"+org+"/devices?sort=colour", owner, nil, nil); code != 400 {
			t.Fatalf("bad sort: %d", code)
		}
		// The "upgrade recommended" filter (DEV-4, FW-2) was refused until
		// the AXIS OS recommendations existed; it now works (that is what
		// FW-2 asks for), and a value other than yes or no is refused, not
		// ignored. With no catalogue, no device has a recommended upgrade.
		if code := e.do("GET", "/api/v1/orgs/"+org+"/devices?upgrade=true", owner, nil, nil); code != 400 {
			t.Errorf("upgrade=true: %d, want 400", code)
		}
		if code := e.do("GET", "/api/v1/orgs/"+org+"/devices?upgrade=yes", owner, nil, &list); code != 200 || len(list.Items) != 0 {
			t.Errorf("upgrade=yes: %d, %d devices, want 200 and none", code, len(list.Items))
		}
	})
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}

// GW-2 across instances: a command issued on one instance reaches a device
// long-polling on another, woken through PostgreSQL LISTEN/NOTIFY.
func TestGW2_CrossInstanceWakeUp(t *testing.T) {
	db := storetest.Postgres(t)
	a := newEnv(t, db)
	b := a.another()
	owner := a.user("owner@example.com")
	org, root := a.org(owner)
	m := a.Mint(1)[0]
	dev := b.Device(m) // the device talks to instance b
	dev.Hello()
	d := a.claim(owner, org, m, root)
	dev.Poll(0) // first poll checks the database once
	got := make(chan []sim.Command, 1)
	go func() { got <- dev.Poll(30) }()
	waitFor(t, func() bool { return b.App.Gateway.Waiting() == 1 })
	start := time.Now()
	var c cmdJSON
	a.do("POST", "/api/v1/orgs/"+org+"/devices/"+d.ID+"/actions", owner, map[string]string{"type": "identify"}, &c)
	select {
	case cmds := <-got:
		if len(cmds) != 1 || cmds[0].ID != c.ID {
			t.Fatalf("delivered %+v", cmds)
		}
		t.Logf("woken across instances in %v", time.Since(start))
	case <-time.After(15 * time.Second):
		t.Fatal("the poll on the other instance was not woken")
	}
}

// DEV-7 with the gateway's presence resolution: a device in contact once a
// heartbeat interval is never shown offline, its contact is written at most
// once per interval, and once it falls silent it is shown offline no later
// than fleet.OnlineWindow after its last contact.
func TestDEV7_PresenceResolution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner, org, dev, d := e.helloClaimed()
		flush := func() {
			t.Helper()
			if err := e.App.Gateway.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		lastSeen := func() time.Time {
			t.Helper()
			var us int64
			ctx := context.Background()
			if err := db.Read(ctx, func(tx *store.Tx) error {
				return tx.QueryRowForTest(ctx, `SELECT last_seen_at FROM devices WHERE serial = ?`, dev.Serial()).Scan(&us)
			}); err != nil {
				t.Fatal(err)
			}
			return time.UnixMicro(us).UTC()
		}
		flush()
		written := lastSeen()
		if !written.Equal(e.Clock.Now()) {
			t.Fatalf("hello recorded at %v, want %v", written, e.Clock.Now())
		}
		// Contacts within one interval of the written one are not written.
		for i := 0; i < 5; i++ {
			e.Clock.Advance(10 * time.Second)
			dev.Poll(0)
			flush()
		}
		if got := lastSeen(); !got.Equal(written) {
			t.Fatalf("contact 50 s after the written one was written: %v", got)
		}
		e.Clock.Advance(10 * time.Second) // 60 s: one interval
		dev.Poll(0)
		flush()
		if got := lastSeen(); !got.Equal(e.Clock.Now()) {
			t.Fatalf("contact one interval after the written one: recorded %v, want %v", got, e.Clock.Now())
		}
		// Heartbeating every interval (jittered up to 5 s late) for ten
		// intervals: online at every moment checked, flushed or not.
		for i := 0; i < 10; i++ {
			for s := 0; s < 4; s++ {
				e.Clock.Advance(16 * time.Second)
				e.do("GET", "/api/v1/orgs/"+org+"/devices/"+d.ID, owner, nil, &d)
				if !d.Online {
					t.Fatalf("device in contact every interval shown offline at interval %d", i)
				}
			}
			e.do("POST", "/device/v1/heartbeat", dev.Token(), proto.Heartbeat{}, nil)
			if i%3 != 0 {
				flush()
			}
		}
		flush()
		// Silent from now: offline by OnlineWindow later at the latest.
		silentFrom := e.Clock.Now()
		e.Clock.Advance(fleet.OfflineAfter*time.Minute - time.Second)
		flush()
		e.do("GET", "/api/v1/orgs/"+org+"/devices/"+d.ID, owner, nil, &d)
		if !d.Online {
			t.Fatal("offline before 3 silent intervals")
		}
		e.Clock.Set(silentFrom.Add(fleet.OnlineWindow(time.Minute)))
		flush()
		e.do("GET", "/api/v1/orgs/"+org+"/devices/"+d.ID, owner, nil, &d)
		if d.Online {
			t.Fatal("device silent for the whole online window is online")
		}
		var page struct{ Items []deviceJSON }
		e.do("GET", "/api/v1/orgs/"+org+"/devices?status=online", owner, nil, &page)
		if len(page.Items) != 0 {
			t.Fatalf("online filter lists a silent device: %+v", page.Items)
		}
		// Back: a contact written, one 30 s later held back (within the
		// resolution), then silence. With the presence flush running every
		// 5 s, the device stays online until exactly 3 intervals after its
		// last contact, the held-back one, and is offline then, in the
		// device view and the list filter alike.
		e.do("POST", "/device/v1/heartbeat", dev.Token(), proto.Heartbeat{}, nil)
		flush()
		e.Clock.Advance(30 * time.Second)
		e.do("POST", "/device/v1/heartbeat", dev.Token(), proto.Heartbeat{}, nil)
		last := e.Clock.Now()
		flush()
		for e.Clock.Now().Before(last.Add(fleet.OnlineWindow(time.Minute) - 5*time.Second)) {
			e.Clock.Advance(5 * time.Second)
			flush()
			e.do("GET", "/api/v1/orgs/"+org+"/devices/"+d.ID, owner, nil, &d)
			e.do("GET", "/api/v1/orgs/"+org+"/devices?status=online", owner, nil, &page)
			if !d.Online || len(page.Items) != 1 {
				t.Fatalf("shown offline %v after its last contact (view online %v, %d listed online)",
					e.Clock.Now().Sub(last), d.Online, len(page.Items))
			}
		}
		e.Clock.Set(last.Add(fleet.OnlineWindow(time.Minute)))
		flush()
		e.do("GET", "/api/v1/orgs/"+org+"/devices/"+d.ID, owner, nil, &d)
		e.do("GET", "/api/v1/orgs/"+org+"/devices?status=online", owner, nil, &page)
		if d.Online || len(page.Items) != 0 {
			t.Fatalf("still shown online 3 intervals after its last contact (view %v, %d listed)", d.Online, len(page.Items))
		}
	})
}

// FW-3 across instances: an upgrade dispatched by one instance reaches a
// device long-polling on another, woken by the batched wake-ups of
// NotifyMany.
func TestFW3_DispatchWakesAcrossInstances(t *testing.T) {
	db := storetest.Postgres(t)
	a := newEnv(t, db)
	b := a.another()
	owner := a.user("owner@example.com")
	org, root := a.org(owner)
	m := a.Mint(1)[0]
	a.Publish(m.Model, "12.2.35", "active", nil)
	dev := b.Device(m)
	dev.Hello()
	d := a.claim(owner, org, m, root)
	if err := b.App.Gateway.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	dev.Poll(0)
	got := make(chan []sim.Command, 1)
	go func() { got <- dev.Poll(30) }()
	waitFor(t, func() bool { return b.App.Gateway.Waiting() == 1 })
	if st := a.do("POST", "/api/v1/orgs/"+org+"/upgrades", owner, map[string]any{"device_ids": []string{d.ID}}, nil); st != 202 {
		t.Fatalf("upgrade: %d", st)
	}
	if err := a.App.Upgrades.Dispatch(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case cmds := <-got:
		if len(cmds) != 1 || cmds[0].Type != proto.CmdUpgrade {
			t.Fatalf("delivered %+v", cmds)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the poll on the other instance was not woken")
	}
}
