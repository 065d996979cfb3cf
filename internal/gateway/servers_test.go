package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/acs"
	"mysystems/internal/audit"
	proto "mysystems/internal/device"
	"mysystems/internal/harness"
	"mysystems/internal/sim"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// srvEnv is a whole server with an organization, its owner and a few
// published ACS Pro versions.
type srvEnv struct {
	*harness.Server
	owner harness.User
	org   string
}

func newSrvEnv(t *testing.T, db *store.DB) *srvEnv {
	t.Helper()
	s := harness.New(t, db, harness.NoRateLimit())
	owner := s.User("owner@example.com")
	org, _ := s.Org(owner.Token, "Acme")
	s.PublishACS("6.3.1", "6.4", "6.5.2")
	return &srvEnv{Server: s, owner: owner, org: org}
}

func (e *srvEnv) server(id string) harness.Resp {
	e.T.Helper()
	r := e.Call("GET", "/api/v1/orgs/"+e.org+"/servers/"+id, e.owner.Token, nil)
	e.Want(r, 200, "")
	return r
}

func upgradeOf(r harness.Resp) map[string]any {
	u, _ := r.JSON["upgrade"].(map[string]any)
	return u
}

// SRV-1: a server registers with a single-use enrolment token, polls with
// its version and health, and monitoring shows it.
func TestSRV1_RegisterAndPoll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newSrvEnv(t, db)
		ctx := context.Background()
		tok := e.EnrollmentToken(e.owner.Token, e.org)
		srv := e.ACSServer("Site A recorder", sim.ServerConfig{})
		if err := srv.Register(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if srv.PollEvery() != time.Minute {
			t.Errorf("SRV-1/poll interval: got %s, want 60 s", srv.PollEvery())
		}
		// The token is single use.
		other := e.ACSServer("Copycat", sim.ServerConfig{})
		if err := other.Register(ctx, tok); sim.Status(err) != http.StatusUnauthorized {
			t.Errorf("SRV-1/token reused: got %v, want 401", err)
		}
		srv.SetHealth(proto.ServerHealth{CPUPercent: 42.5, MemoryPercent: 61, StoragePercent: 80, Recording: true, Cameras: 24, LastError: "storage 2 slow"})
		reply, err := srv.Poll(ctx)
		if err != nil || reply.PollSeconds != 60 || reply.Upgrade != nil {
			t.Fatalf("poll: %+v %v", reply, err)
		}
		r := e.server(srv.ID())
		h, _ := r.JSON["health"].(map[string]any)
		if r.Str("status") != "online" || r.Str("version") != "6.3.1" || h["cpu_percent"] != 42.5 || h["cameras"] != 24.0 ||
			h["recording"] != true || h["last_error"] != "storage 2 slow" || r.Str("recommended_version") != "6.5.2" {
			t.Errorf("SRV-1/monitoring: %s", r.Body)
		}
		if hist, _ := r.JSON["history"].([]any); len(hist) != 1 {
			t.Errorf("SRV-1/history: %d samples, want 1: %s", len(hist), r.Body)
		}
		// More polls within the sampling interval keep one sample; the
		// chart gets one every 5 minutes.
		for range 12 {
			e.Clock.Advance(time.Minute)
			if _, err := srv.Poll(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if hist, _ := e.server(srv.ID()).JSON["history"].([]any); len(hist) != 3 {
			t.Errorf("SRV-1/samples every 5 minutes over 12 minutes: %d, want 3", len(hist))
		}
		list := e.Call("GET", "/api/v1/orgs/"+e.org+"/servers", e.owner.Token, nil)
		if items, _ := list.JSON["items"].([]any); len(items) != 1 {
			t.Errorf("list: %s", list.Body)
		}
		if n := len(e.Audited(e.org, audit.ServerEnroll)) + len(e.Audited(e.org, audit.ServerEnrollToken)); n != 2 {
			t.Errorf("audit of the enrolment: %d entries, want 2", n)
		}
	})
}

// SRV-1: expired and malformed tokens, and every field of the bodies
// checked with a clear 4xx.
func TestSRV1_GatewayRefusals(t *testing.T) {
	e := newSrvEnv(t, nil)
	ctx := context.Background()
	tok := e.EnrollmentToken(e.owner.Token, e.org)
	e.Clock.Advance(25 * time.Hour)
	if err := e.ACSServer("Late", sim.ServerConfig{}).Register(ctx, tok); sim.Status(err) != http.StatusUnauthorized {
		t.Errorf("SRV-1/expired token: %v, want 401", err)
	}
	srv := e.EnrolledServer(e.owner.Token, e.org, "Site B", sim.ServerConfig{})
	good := e.Call("POST", "/server/v1/register", "", map[string]string{"enrollment_token": "mse_x.y.z", "name": "n", "version": "6.3"})
	e.Want(good, 401, "unauthenticated")
	for name, c := range map[string]struct {
		path, body string
		field      string
	}{
		"register without token":   {"/server/v1/register", `{"name":"n","version":"6.3"}`, "enrollment_token"},
		"register without name":    {"/server/v1/register", `{"enrollment_token":"mse_a.b.c","version":"6.3"}`, "name"},
		"register long name":       {"/server/v1/register", `{"enrollment_token":"mse_a.b.c","version":"6.3","name":"` + strings.Repeat("n", 101) + `"}`, "name"},
		"register bad version":     {"/server/v1/register", `{"enrollment_token":"mse_a.b.c","version":"latest","name":"n"}`, "version"},
		"poll cpu over 100":        {"/server/v1/poll", `{"version":"6.3","health":{"cpu_percent":101}}`, "health.cpu_percent"},
		"poll memory negative":     {"/server/v1/poll", `{"version":"6.3","health":{"memory_percent":-1}}`, "health.memory_percent"},
		"poll cameras negative":    {"/server/v1/poll", `{"version":"6.3","health":{"cameras":-3}}`, "health.cameras"},
		"poll cameras not integer": {"/server/v1/poll", `{"version":"6.3","health":{"cameras":2.5}}`, "health.cameras"},
		"poll percent a string":    {"/server/v1/poll", `{"version":"6.3","health":{"cpu_percent":"high"}}`, "health.cpu_percent"},
		"poll no version":          {"/server/v1/poll", `{"health":{}}`, "version"},
		"poll long error":          {"/server/v1/poll", `{"version":"6.3","health":{"last_error":"` + strings.Repeat("e", 1001) + `"}}`, "health.last_error"},
		"poll not UTF-8":           {"/server/v1/poll", "{\"version\":\"6.3\",\"health\":{\"last_error\":\"\xff\"}}", ""},
		"poll two objects":         {"/server/v1/poll", `{"version":"6.3"}{"version":"6.4"}`, ""},
		"poll not JSON":            {"/server/v1/poll", `version=6.3`, ""},
		"poll empty":               {"/server/v1/poll", ` `, ""},
		"poll too large":           {"/server/v1/poll", `{"version":"6.3","health":{"last_error":"` + strings.Repeat("e", 20000) + `"}}`, ""},
		"result failed, no reason": {"/server/v1/upgrades/sup_x/result", `{"ok":false}`, "reason"},
		"result bad version":       {"/server/v1/upgrades/sup_x/result", `{"ok":true,"version":"new"}`, "version"},
	} {
		token := srv.Token()
		if strings.HasSuffix(c.path, "register") {
			token = ""
		}
		r := e.Call("POST", c.path, token, c.body)
		if r.Status != 400 || r.ErrCode() != "invalid" {
			t.Errorf("SRV-1/%s: got %d %s, want 400 invalid", name, r.Status, r.Body)
			continue
		}
		if f, _ := r.JSON["error"].(map[string]any)["field"].(string); c.field != "" && f != c.field {
			t.Errorf("SRV-1/%s: field %q, want %q (%s)", name, f, c.field, r.Body)
		}
		if r.ErrMessage() == "" {
			t.Errorf("SRV-1/%s: no message", name)
		}
	}
	for name, tok := range map[string]string{"none": "", "garbage": "nope", "forged": "mss_" + e.org + "." + srv.ID() + ".forged"} {
		if r := e.Call("POST", "/server/v1/poll", tok, `{"version":"6.3","health":{}}`); r.Status != 401 {
			t.Errorf("SRV-1/token %s: %d %s, want 401", name, r.Status, r.Body)
		}
	}
	if r := e.CallIn("POST", "/server/v1/poll", srv.Token(), "fr", `{"version":"6.3","health":{"cpu_percent":101}}`); !strings.Contains(r.ErrMessage(), "doit être un nombre de 0 à 100") {
		t.Errorf("SRV-1/French refusal: %s", r.Body)
	}
}

// SRV-2, SRV-3: an upgrade can be canceled while queued, not once the
// server picked it up (409 with the reason); the outcome is recorded with
// the new version.
func TestSRV3_CancelBeforePickupNotAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newSrvEnv(t, db)
		ctx := context.Background()
		srv := e.EnrolledServer(e.owner.Token, e.org, "Site A", sim.ServerConfig{InstallTime: time.Millisecond})
		base := "/api/v1/orgs/" + e.org + "/servers/" + srv.ID() + "/upgrade"

		q := e.Call("POST", base, e.owner.Token, map[string]string{})
		e.Want(q, 202, "")
		if q.Str("state") != "queued" || q.Str("version") != "6.5.2" || q.Str("from_version") != "6.3.1" {
			t.Fatalf("SRV-2/queued to the recommended version: %s", q.Body)
		}
		e.Want(e.Call("POST", base, e.owner.Token, map[string]string{"version": "6.4"}), 409, "conflict")
		c := e.Call("DELETE", base, e.owner.Token, nil)
		e.Want(c, 200, "")
		if c.Str("state") != "canceled" {
			t.Errorf("SRV-3/canceled while queued: %s", c.Body)
		}
		if reply, err := srv.Poll(ctx); err != nil || reply.Upgrade != nil {
			t.Errorf("SRV-3/a canceled request is not delivered: %+v %v", reply, err)
		}

		e.Clock.Advance(time.Second)
		q = e.Call("POST", base, e.owner.Token, map[string]string{"version": "6.4"})
		e.Want(q, 202, "")
		reply, err := srv.Poll(ctx)
		if err != nil || reply.Upgrade == nil || reply.Upgrade.ID != q.Str("id") || reply.Upgrade.Version != "6.4" || reply.Upgrade.URL == "" {
			t.Fatalf("SRV-2/picked up when polling: %+v %v", reply, err)
		}
		if u := upgradeOf(e.server(srv.ID())); u["state"] != "started" {
			t.Errorf("SRV-3/picked up is started: %v", u)
		}
		c = e.Call("DELETE", base, e.owner.Token, nil)
		e.Want(c, 409, "conflict")
		if !strings.Contains(c.ErrMessage(), "can no longer be canceled") || !strings.Contains(c.ErrMessage(), "picked it up") {
			t.Errorf("SRV-3/409 says why: %q", c.ErrMessage())
		}
		if fr := e.CallIn("DELETE", base, e.owner.Token, "fr", nil); !strings.Contains(fr.ErrMessage(), "ne peut plus être annulée") {
			t.Errorf("SRV-3/French reason: %q", fr.ErrMessage())
		}
		// A poll during the installation answers the same upgrade.
		if again, _ := srv.Poll(ctx); again.Upgrade == nil || again.Upgrade.ID != reply.Upgrade.ID {
			t.Errorf("SRV-2/same upgrade again: %+v", again)
		}
		e.Clock.Advance(10 * time.Minute)
		if st := e.server(srv.ID()).Str("status"); st != "upgrading" {
			t.Errorf("SRV-2/silent while installing: status %s, want upgrading", st)
		}
		res, err := srv.Install(ctx, *reply.Upgrade)
		if err != nil || res.State != "succeeded" || res.NewVersion != "6.4" {
			t.Fatalf("SRV-3/outcome: %+v %v", res, err)
		}
		again, err := srv.Report(ctx, reply.Upgrade.ID, proto.ServerUpgradeResult{OK: false, Reason: "late"})
		if err != nil || again.State != "succeeded" {
			t.Errorf("SRV-3/a repeated result answers the first: %+v %v", again, err)
		}
		r := e.server(srv.ID())
		if r.Str("version") != "6.4" || upgradeOf(r) != nil || r.Str("recommended_version") != "6.5.2" {
			t.Errorf("SRV-3/after success: %s", r.Body)
		}
		ups, _ := r.JSON["upgrades"].([]any)
		if len(ups) != 2 || ups[0].(map[string]any)["new_version"] != "6.4" || ups[0].(map[string]any)["state"] != "succeeded" {
			t.Errorf("SRV-3/recorded outcome: %v", ups)
		}
		if e.Call("DELETE", base, e.owner.Token, nil).Status != 409 {
			t.Error("SRV-3/nothing queued to cancel: want 409")
		}
		for _, a := range []string{audit.ServerUpgrade, audit.ServerUpgradeCancel, audit.ServerUpgradeResult} {
			if len(e.Audited(e.org, a)) == 0 {
				t.Errorf("audit: no %s entry", a)
			}
		}
	})
}

// SRV-3: a failed upgrade is recorded with its reason; the server keeps
// its version and can be upgraded again.
func TestSRV3_FailedOutcomeRecordsReason(t *testing.T) {
	e := newSrvEnv(t, nil)
	ctx := context.Background()
	srv := e.EnrolledServer(e.owner.Token, e.org, "Site A", sim.ServerConfig{InstallTime: time.Millisecond, FailUpgrades: 1})
	base := "/api/v1/orgs/" + e.org + "/servers/" + srv.ID() + "/upgrade"
	e.Want(e.Call("POST", base, e.owner.Token, nil), 202, "")
	reply, _ := srv.Poll(ctx)
	res, err := srv.Install(ctx, *reply.Upgrade)
	if err != nil || res.State != "failed" || !strings.Contains(res.Reason, "1603") || res.NewVersion != "6.3.1" {
		t.Fatalf("SRV-3/failed: %+v %v", res, err)
	}
	ups, _ := e.server(srv.ID()).JSON["upgrades"].([]any)
	if u := ups[0].(map[string]any); u["state"] != "failed" || !strings.Contains(u["reason"].(string), "1603") {
		t.Errorf("SRV-3/reason recorded: %v", u)
	}
	entries := e.Audited(e.org, audit.ServerUpgradeResult)
	if len(entries) != 1 || entries[0].Details["reason"] == nil {
		t.Errorf("SRV-3/audit of the failure: %+v", entries)
	}
	e.Want(e.Call("POST", base, e.owner.Token, nil), 202, "")
}

// SRV-2: upgrades are refused clearly without a recommended upgrade, for
// an unknown version or one not newer.
func TestSRV2_UpgradeRefusals(t *testing.T) {
	e := newSrvEnv(t, nil)
	ctx := context.Background()
	cur := e.EnrolledServer(e.owner.Token, e.org, "Current", sim.ServerConfig{Version: "6.5.2"})
	old := e.EnrolledServer(e.owner.Token, e.org, "Old", sim.ServerConfig{Version: "6.4"})
	for _, s := range []*sim.Server{cur, old} {
		if _, err := s.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	up := func(s *sim.Server) string { return "/api/v1/orgs/" + e.org + "/servers/" + s.ID() + "/upgrade" }
	r := e.Call("POST", up(cur), e.owner.Token, nil)
	e.Want(r, 409, "conflict")
	if !strings.Contains(r.ErrMessage(), "no upgrade is recommended") {
		t.Errorf("SRV-2/none recommended: %q", r.ErrMessage())
	}
	e.Want(e.Call("POST", up(old), e.owner.Token, map[string]string{"version": "7.0"}), 400, "invalid")
	e.Want(e.Call("POST", up(old), e.owner.Token, map[string]string{"version": "6.3.1"}), 400, "invalid")
	e.Want(e.Call("POST", up(old), e.owner.Token, map[string]string{"version": "6.x"}), 400, "invalid")
	e.Want(e.Call("POST", "/api/v1/orgs/"+e.org+"/servers/srv_nope/upgrade", e.owner.Token, nil), 404, "not_found")
	if v := e.server(cur.ID()).Str("recommended_version"); v != "" {
		t.Errorf("SRV-2/no recommendation on the newest: %q", v)
	}
}

// SRV-1, SRV-2 (SPEC §3): Operators view monitoring and change alert
// settings but cannot upgrade nor enrol; Viewers cannot view.
func TestSRV1_OperatorsMonitorViewersCannot(t *testing.T) {
	e := newSrvEnv(t, nil)
	op := e.Member(e.org, "op@example.com", access.Operator)
	viewer := e.Member(e.org, "viewer@example.com", access.Viewer)
	admin := e.Member(e.org, "admin@example.com", access.Admin)
	srv := e.EnrolledServer(admin.Token, e.org, "Site A", sim.ServerConfig{})
	path := "/api/v1/orgs/" + e.org + "/servers/" + srv.ID()
	e.Want(e.Call("GET", path, op.Token, nil), 200, "")
	e.Want(e.Call("GET", "/api/v1/orgs/"+e.org+"/servers", op.Token, nil), 200, "")
	p := e.Call("PATCH", path, op.Token, map[string]any{"alert_offline": false, "alert_recipients": []string{"noc@example.com"}})
	e.Want(p, 200, "")
	if a, _ := p.JSON["alerts"].(map[string]any); a["offline"] != false || a["online"] != true || len(a["recipients"].([]any)) != 1 {
		t.Errorf("SRV-1/alert settings: %s", p.Body)
	}
	e.Want(e.Call("PATCH", path, op.Token, map[string]any{"alert_recipients": []string{"not mail"}}), 400, "invalid")
	e.Want(e.Call("POST", path+"/upgrade", op.Token, nil), 403, "forbidden")
	e.Want(e.Call("DELETE", path+"/upgrade", op.Token, nil), 403, "forbidden")
	e.Want(e.Call("POST", "/api/v1/orgs/"+e.org+"/servers/enrollment-tokens", op.Token, nil), 403, "forbidden")
	for _, c := range [][2]string{{"GET", path}, {"GET", "/api/v1/orgs/" + e.org + "/servers"}, {"PATCH", path}} {
		var body any
		if c[0] == "PATCH" {
			body = map[string]any{"alert_online": false}
		}
		e.Want(e.Call(c[0], c[1], viewer.Token, body), 403, "forbidden")
	}
	e.Want(e.Call("POST", path+"/upgrade", admin.Token, nil), 202, "")
	e.Want(e.Call("DELETE", path+"/upgrade", admin.Token, nil), 200, "")
}

// ORG-5 for servers: two organizations never see or touch each other's
// servers, and a server's token reaches only its own upgrades.
func TestSRV1_TenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newSrvEnv(t, db)
		ctx := context.Background()
		ownerB := e.User("b@example.com")
		orgB, _ := e.Org(ownerB.Token, "Beta")
		a := e.EnrolledServer(e.owner.Token, e.org, "A's", sim.ServerConfig{})
		b := e.EnrolledServer(ownerB.Token, orgB, "B's", sim.ServerConfig{})
		e.Want(e.Call("GET", "/api/v1/orgs/"+orgB+"/servers/"+a.ID(), ownerB.Token, nil), 404, "not_found")
		e.Want(e.Call("PATCH", "/api/v1/orgs/"+orgB+"/servers/"+a.ID(), ownerB.Token, map[string]any{"alert_online": false}), 404, "not_found")
		e.Want(e.Call("POST", "/api/v1/orgs/"+orgB+"/servers/"+a.ID()+"/upgrade", ownerB.Token, nil), 404, "not_found")
		e.Want(e.Call("GET", "/api/v1/orgs/"+e.org+"/servers/"+a.ID(), ownerB.Token, nil), 404, "not_found")
		list := e.Call("GET", "/api/v1/orgs/"+orgB+"/servers", ownerB.Token, nil)
		if items, _ := list.JSON["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != b.ID() {
			t.Errorf("ORG-5/B's list: %s", list.Body)
		}
		q := e.Call("POST", "/api/v1/orgs/"+e.org+"/servers/"+a.ID()+"/upgrade", e.owner.Token, nil)
		e.Want(q, 202, "")
		if reply, _ := b.Poll(ctx); reply.Upgrade != nil {
			t.Errorf("ORG-5/B's server got A's upgrade: %+v", reply.Upgrade)
		}
		if _, err := b.Report(ctx, q.Str("id"), proto.ServerUpgradeResult{OK: true}); sim.Status(err) != http.StatusNotFound {
			t.Errorf("ORG-5/B's server reports A's upgrade: %v, want 404", err)
		}
		// A token naming A's organization with B's server id is no token.
		forged := strings.Replace(b.Token(), orgB, e.org, 1)
		if r := e.Call("POST", "/server/v1/poll", forged, `{"version":"6.3","health":{}}`); r.Status != 401 {
			t.Errorf("ORG-5/forged token: %d", r.Status)
		}
	})
}

// SRV-1: a server silent for 3 poll intervals is offline; the periodic
// job queues its alert e-mail once, in each recipient's language; a poll
// brings it back with another e-mail.
func TestSRV1_OfflineAlertOnceThroughOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newSrvEnv(t, db)
		ctx := context.Background()
		fr := e.Member(e.org, "admin.fr@example.com", access.Admin)
		if r := e.Call("PATCH", "/api/v1/me", fr.Token, map[string]string{"lang": "fr"}); r.Status != 200 {
			t.Fatalf("set French: %d %s", r.Status, r.Body)
		}
		e.Member(e.org, "op@example.com", access.Operator)
		srv := e.EnrolledServer(e.owner.Token, e.org, "Site A", sim.ServerConfig{})
		quiet := e.EnrolledServer(e.owner.Token, e.org, "Quiet", sim.ServerConfig{})
		if r := e.Call("PATCH", "/api/v1/orgs/"+e.org+"/servers/"+quiet.ID(), e.owner.Token, map[string]any{"alert_offline": false}); r.Status != 200 {
			t.Fatal(r.Status)
		}
		if _, err := srv.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(2*time.Minute + 59*time.Second)
		if err := e.App.Jobs.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if n := mails(t, e, "server_offline"); n != 0 {
			t.Fatalf("SRV-1/not yet offline: %d mails", n)
		}
		e.Clock.Advance(time.Second)
		if st := e.server(srv.ID()).Str("status"); st != "offline" {
			t.Errorf("SRV-1/offline after 3 intervals: %s", st)
		}
		for range 3 {
			if err := e.App.Jobs.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			e.Clock.Advance(time.Minute)
		}
		if n := mails(t, e, "server_offline"); n != 2 {
			t.Errorf("SRV-1/one offline mail to each of the owner and the admin, none for the quiet server: %d", n)
		}
		if body := e.LastMailOf("owner@example.com", "server_offline"); !strings.Contains(body, `"Site A"`) || !strings.Contains(body, "/servers/"+srv.ID()) {
			t.Errorf("SRV-1/English alert: %q", body)
		}
		if body := e.LastMailOf("admin.fr@example.com", "server_offline"); !strings.Contains(body, "n'a rien signalé") {
			t.Errorf("SRV-1/French alert: %q", body)
		}
		if n, err := e.App.ACS.DetectOffline(ctx); err != nil || n != 0 {
			t.Errorf("SRV-1/idempotent: marked %d more, %v", n, err)
		}
		if _, err := srv.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if n := mails(t, e, "server_online"); n != 2 {
			t.Errorf("SRV-1/back online mails: %d, want 2", n)
		}
		if st := e.server(srv.ID()).Str("status"); st != "online" {
			t.Errorf("SRV-1/back online: %s", st)
		}
		// Recipients in the settings replace the owners and admins.
		if r := e.Call("PATCH", "/api/v1/orgs/"+e.org+"/servers/"+srv.ID(), e.owner.Token, map[string]any{"alert_recipients": []string{"noc@example.com"}}); r.Status != 200 {
			t.Fatal(r.Status)
		}
		e.Clock.Advance(4 * time.Minute)
		if err := e.App.Jobs.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if n := mails(t, e, "server_offline"); n != 3 || !strings.Contains(e.LastMailOf("noc@example.com", "server_offline"), "Site A") {
			t.Errorf("SRV-1/alert to the configured recipient: %d mails", n)
		}
	})
}

func mails(t *testing.T, e *srvEnv, kind string) int {
	t.Helper()
	ctx := context.Background()
	var n int
	if err := e.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRowForTest(ctx, `SELECT COUNT(*) FROM mail_outbox WHERE kind = ?`, kind).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// ORG-4 for servers: once the organization is archived, its servers'
// reports are refused and no offline alert goes out for them.
func TestSRV1_ArchivedOrganization(t *testing.T) {
	e := newSrvEnv(t, nil)
	ctx := context.Background()
	srv := e.EnrolledServer(e.owner.Token, e.org, "Site A", sim.ServerConfig{})
	r := e.Call("POST", "/api/v1/orgs/"+e.org+"/archive", e.owner.Token, map[string]any{"confirm_id": e.org, "acknowledge": true})
	if r.Status/100 != 2 {
		t.Fatalf("archive: %d %s", r.Status, r.Body)
	}
	if _, err := srv.Poll(ctx); sim.Status(err) != http.StatusUnauthorized {
		t.Errorf("ORG-4/poll of an archived organization's server: %v, want 401", err)
	}
	e.Clock.Advance(time.Hour)
	if n, err := e.App.ACS.DetectOffline(ctx); err != nil || n != 0 {
		t.Errorf("ORG-4/offline sweep over an archived organization: %d, %v", n, err)
	}
}

// SRV-3: a server that restarts on the new version without reporting the
// result has succeeded: its next poll records the outcome, and the queue is
// free for the next request.
func TestSRV3_PollOnTheNewVersionRecordsSuccess(t *testing.T) {
	e := newSrvEnv(t, nil)
	ctx := context.Background()
	srv := e.EnrolledServer(e.owner.Token, e.org, "Site A", sim.ServerConfig{})
	base := "/api/v1/orgs/" + e.org + "/servers/" + srv.ID() + "/upgrade"
	e.Want(e.Call("POST", base, e.owner.Token, map[string]string{"version": "6.4"}), 202, "")
	if reply, _ := srv.Poll(ctx); reply.Upgrade == nil {
		t.Fatal("not picked up")
	}
	// Still on the old version: the upgrade is still running.
	if reply, _ := srv.Poll(ctx); reply.Upgrade == nil {
		t.Fatal("SRV-2/the running upgrade is answered again")
	}
	r := e.Call("POST", "/server/v1/poll", srv.Token(), `{"version":"6.4","health":{"cameras":3}}`)
	if r.Status != 200 || r.JSON["upgrade"] != nil {
		t.Fatalf("poll on the new version: %d %s", r.Status, r.Body)
	}
	s := e.server(srv.ID())
	ups, _ := s.JSON["upgrades"].([]any)
	if u := ups[0].(map[string]any); u["state"] != "succeeded" || u["new_version"] != "6.4" || upgradeOf(s) != nil || s.Str("version") != "6.4" {
		t.Errorf("SRV-3/implicit success: %s", s.Body)
	}
	if len(e.Audited(e.org, audit.ServerUpgradeResult)) != 1 {
		t.Error("SRV-3/no audit line of the outcome")
	}
	e.Want(e.Call("POST", base, e.owner.Token, nil), 202, "")
}

// TestSRV3_SilentAfterPickupFails: a server that picked an upgrade up and
// then stays silent past the longest install has that upgrade failed by
// the portal, with a reason in the reader's language, and may be given
// another.
func TestSRV3_SilentAfterPickupFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newSrvEnv(t, db)
		ctx := context.Background()
		srv := e.EnrolledServer(e.owner.Token, e.org, "Site A", sim.ServerConfig{})
		base := "/api/v1/orgs/" + e.org + "/servers/" + srv.ID() + "/upgrade"
		e.Want(e.Call("POST", base, e.owner.Token, map[string]string{}), 202, "")
		picked, err := srv.Poll(ctx)
		if err != nil || picked.Upgrade == nil {
			t.Fatalf("picked up: %+v %v", picked, err)
		}
		e.Clock.Advance(acs.MaxInstall - time.Minute)
		if _, err := e.App.ACS.DetectOffline(ctx); err != nil {
			t.Fatal(err)
		}
		if u := upgradeOf(e.server(srv.ID())); u["state"] != "started" {
			t.Fatalf("SRV-3/still installing before the bound: %v", u)
		}
		e.Clock.Advance(time.Minute)
		if _, err := e.App.ACS.DetectOffline(ctx); err != nil {
			t.Fatal(err)
		}
		r := e.server(srv.ID())
		if upgradeOf(r) != nil || r.Str("status") != "offline" {
			t.Fatalf("SRV-3/no open upgrade and offline after the bound: %s", r.Body)
		}
		ups, _ := r.JSON["upgrades"].([]any)
		last, _ := ups[0].(map[string]any)
		if last["state"] != "failed" || last["reason_key"] != acs.ReasonSilent || !strings.Contains(last["reason"].(string), "did not report back within 2 hours") {
			t.Errorf("SRV-3/failed with the portal's reason: %v", last)
		}
		frView := e.CallIn("GET", "/api/v1/orgs/"+e.org+"/servers/"+srv.ID(), e.owner.Token, "fr", nil)
		frUps, _ := frView.JSON["upgrades"].([]any)
		if reason := frUps[0].(map[string]any)["reason"].(string); !strings.Contains(reason, "aucune nouvelle pendant 2 heures") {
			t.Errorf("SRV-3/French reason: %q", reason)
		}
		if len(e.Audited(e.org, audit.ServerUpgradeResult)) == 0 {
			t.Error("SRV-3/the outcome is audited")
		}
		// Back, the server may be upgraded again.
		if _, err := srv.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		e.Want(e.Call("POST", base, e.owner.Token, map[string]string{}), 202, "")
		// A success reported after all is believed.
		late, err := srv.Report(ctx, picked.Upgrade.ID, proto.ServerUpgradeResult{OK: true})
		if err != nil || late.State != "succeeded" {
			t.Errorf("SRV-3/a late success: %+v %v", late, err)
		}
	})
}
