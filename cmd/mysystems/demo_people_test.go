package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/harness"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// TestUSR1_DEV3_DemoMembersInvitationAndDevicesToAdd: the demo organization
// has a member of each role (USR-2) who signs in with the login the banner
// prints, a pending invitation (USR-1) whose e-mail waits in the outbox the
// banner points to, and a few simulated, online devices that nobody has
// claimed, which the banner's serial and OAK claim through the API (DEV-3):
// the claimed device is online at once. A second run prints the same logins
// and tops the unclaimed devices up again.
func TestUSR1_DEV3_DemoMembersInvitationAndDevicesToAdd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := harness.New(t, db, harness.NoRateLimit())
		dir := t.TempDir()
		seed, err := seedDemo(ctx, s.App, dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		var banner bytes.Buffer
		cfg := defaultConfig()
		cfg.DataDir = dir
		printDemoBanner(&banner, cfg, db.Dialect(), seed)
		out := banner.String()

		// The members, one per role, with the logins the banner prints.
		owner, orgID, err := demoOwner(ctx, s.App)
		if err != nil {
			t.Fatal(err)
		}
		members, _, err := s.App.Orgs.Members(ctx, owner, orgID, audit.Page{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		roles := map[access.Role]org.Member{}
		for _, m := range members {
			roles[m.Role] = m
		}
		for _, r := range []access.Role{access.Owner, access.Admin, access.Operator, access.Viewer} {
			if _, ok := roles[r]; !ok {
				t.Errorf("no %s in the demo organization: %+v", r, members)
			}
		}
		if roles[access.Owner].Email != demo.Email || !strings.Contains(out, "sign in as "+demo.Email) ||
			!strings.Contains(out, "password   "+demo.Password) {
			t.Errorf("owner %s; banner:\n%s", roles[access.Owner].Email, out)
		}
		if len(seed.Members) != 3 {
			t.Fatalf("members printed: %+v", seed.Members)
		}
		folders, err := demoFolderIDs(ctx, s.App, owner, orgID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range seed.Members {
			if got := roles[m.Role]; got.Email != m.Email {
				t.Errorf("%s: member %q, printed %q", m.Role, got.Email, m.Email)
			}
			if m.Folder != "" && (len(roles[m.Role].Folders) != 1 || roles[m.Role].Folders[0] != folders[m.Folder]) {
				t.Errorf("%s: grants %v, want %s", m.Role, roles[m.Role].Folders, m.Folder)
			}
			if !strings.Contains(out, m.Email) || !strings.Contains(out, m.Password) || !strings.Contains(out, roleName(m.Role)) {
				t.Errorf("banner lacks the login of %s:\n%s", m.Email, out)
			}
			r := s.Call("POST", "/api/v1/auth/login", "", map[string]string{"email": m.Email, "password": m.Password})
			if r.Status != http.StatusOK || r.Str("token") == "" {
				t.Errorf("%s cannot sign in with the printed password: %d %s", m.Email, r.Status, r.Body)
			}
		}

		// The pending invitation, its e-mail in the outbox the banner names.
		invs, _, err := s.App.Orgs.Invitations(ctx, owner, orgID, audit.Page{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(invs) != 1 || invs[0].Email != demoInvitee || invs[0].Status != org.InvitePending || seed.Invited != demoInvitee {
			t.Fatalf("pending invitations %+v, printed %q", invs, seed.Invited)
		}
		if link := s.InvitationLink(demoInvitee); link.Query().Get("token") == "" {
			t.Errorf("invitation link %s", link)
		}
		if !strings.Contains(out, "invited    "+demoInvitee+", pending") ||
			!strings.Contains(out, "mysystems vendor outbox --data-dir "+shellQuote(dir)) {
			t.Errorf("banner lacks the invitation or the outbox:\n%s", out)
		}
		var outbox bytes.Buffer
		if err := printOutbox(ctx, &outbox, s.App.Outbox, demoInvitee, 5); err != nil || !strings.Contains(outbox.String(), "/invitations/accept?token=") {
			t.Errorf("outbox for %s: %v\n%s", demoInvitee, err, outbox.String())
		}

		// The devices to add: simulated, online, unclaimed, claimed with
		// the printed serial and OAK.
		if len(seed.Unclaimed) != demoShelfSize || len(seed.Shelf) != demoShelfSize {
			t.Fatalf("unclaimed %d, simulated %d", len(seed.Unclaimed), len(seed.Shelf))
		}
		for _, m := range seed.Unclaimed {
			if !strings.Contains(out, "serial "+m.Serial+"  OAK "+m.OAK) {
				t.Errorf("banner lacks device %s:\n%s", m.Serial, out)
			}
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		stop, shelf, err := startDemoFleet(ctx, s.URL, seed, log)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		waitUntil(t, "the unclaimed devices online", func() bool {
			for _, d := range shelf.Devices() {
				if !d.Online() {
					return false
				}
			}
			return true
		})
		login := s.Call("POST", "/api/v1/auth/login", "", map[string]string{"email": demo.Email, "password": demo.Password})
		token := login.Str("token")
		m := seed.Unclaimed[0]
		r := s.Call("POST", "/api/v1/orgs/"+orgID+"/devices", token, map[string]string{"serial": m.Serial, "oak": m.OAK})
		if r.Status != http.StatusCreated {
			t.Fatalf("claim %s with the printed OAK: %d %s", m.Serial, r.Status, r.Body)
		}
		r = s.Call("GET", "/api/v1/orgs/"+orgID+"/devices/"+r.Str("id"), token, nil)
		var dev struct {
			Serial string
			Online bool
		}
		if err := r.Decode(&dev); err != nil || dev.Serial != m.Serial || !dev.Online {
			t.Errorf("claimed device %d %s, want it online", r.Status, r.Body)
		}
		stop()

		// A second run: the same logins, the claimed device replaced.
		again, err := seedDemo(ctx, s.App, dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Members) != 3 || again.Members[0] != seed.Members[0] || again.Invited != demoInvitee {
			t.Errorf("second run: members %+v, invited %q", again.Members, again.Invited)
		}
		if len(again.Unclaimed) != demoShelfSize || len(again.Shelf) != demoShelfSize+1 {
			t.Errorf("second run: %d unclaimed, %d simulated", len(again.Unclaimed), len(again.Shelf))
		}
		for _, u := range again.Unclaimed {
			if u.Serial == m.Serial {
				t.Errorf("claimed device %s offered again", m.Serial)
			}
		}
	})
}

// waitUntil polls cond until it holds or 15 s have passed.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}
