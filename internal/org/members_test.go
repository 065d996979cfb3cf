package org_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/mail"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

type fixture struct {
	db    *store.DB
	svc   *org.Service
	clk   *clock.Fake
	owner audit.Actor
	o     org.Org
	sent  []mail.Message
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, clk: clock.NewFake(t0)}
	f.svc = org.NewService(db.Orgs(), f.clk, org.Config{BaseURL: "https://portal.example", Compose: func(kind, lang, to string, data map[string]string) (mail.Message, error) {
		id := account.NewID("msg_")
		m := mail.Message{ID: id, To: to, Kind: kind, Subject: lang + ":" + data["org"], Text: data["link"], MessageID: "<" + id + "@t>", CreatedAt: f.clk.Now()}
		f.sent = append(f.sent, m)
		return m, nil
	}})
	f.owner = person(t, db, "owner@example.com")
	var err error
	if f.o, err = f.svc.Create(context.Background(), f.owner, "Acme", ""); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) folder(t *testing.T, parent, name string) string {
	t.Helper()
	if parent == "" {
		parent = f.o.RootFolderID
	}
	v, err := f.svc.CreateFolder(context.Background(), f.owner, f.o.ID, parent, name)
	if err != nil {
		t.Fatalf("create folder %s: %v", name, err)
	}
	return v.ID
}

func tokenOf(t *testing.T, m mail.Message) string {
	t.Helper()
	u, err := url.Parse(m.Text)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// DEV-1, DEV-2 through the service: create, rename, move, delete, and the
// checks around them.
func TestDEV1_FolderService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		hq := f.folder(t, "", "HQ")
		lobby := f.folder(t, hq, "Lobby")
		wh := f.folder(t, "", "Warehouse")
		if _, err := f.svc.CreateFolder(ctx, f.owner, f.o.ID, "", "hq"); !errs.Is(err, errs.Conflict) {
			t.Errorf("duplicate sibling name: %v", err)
		}
		if _, err := f.svc.CreateFolder(ctx, f.owner, f.o.ID, "fld_nope", "X"); !errs.Is(err, errs.Invalid) {
			t.Errorf("unknown parent: %v", err)
		}
		to := wh
		v, err := f.svc.UpdateFolder(ctx, f.owner, f.o.ID, lobby, nil, &to)
		if err != nil || v.ParentID != wh || v.Path != "Default / Warehouse / Lobby" {
			t.Fatalf("move: %+v %v", v, err)
		}
		to = lobby
		if _, err := f.svc.UpdateFolder(ctx, f.owner, f.o.ID, wh, nil, &to); !errs.Is(err, errs.Invalid) {
			t.Errorf("cycle accepted: %v", err)
		}
		name := "Entrance"
		if v, err := f.svc.UpdateFolder(ctx, f.owner, f.o.ID, lobby, &name, nil); err != nil || v.Name != "Entrance" {
			t.Fatalf("rename: %+v %v", v, err)
		}
		if err := f.svc.DeleteFolder(ctx, f.owner, f.o.ID, wh, true); !errs.Is(err, errs.Conflict) {
			t.Errorf("non-empty delete: %v", err)
		}
		if err := f.svc.DeleteFolder(ctx, f.owner, f.o.ID, f.o.RootFolderID, true); !errs.Is(err, errs.Conflict) {
			t.Errorf("root delete: %v", err)
		}
		if err := f.svc.DeleteFolder(ctx, f.owner, f.o.ID, lobby, false); !errs.Is(err, errs.Invalid) {
			t.Errorf("unconfirmed delete: %v", err)
		}
		if err := f.svc.DeleteFolder(ctx, f.owner, f.o.ID, lobby, true); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := f.svc.Folder(ctx, f.owner, f.o.ID, lobby); !errs.Is(err, errs.NotFound) {
			t.Errorf("deleted folder still there: %v", err)
		}
		// Another organization's folder ids mean nothing here (ORG-5).
		other := person(t, db, "other@example.com")
		o2, err := f.svc.Create(ctx, other, "Other", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateFolder(ctx, f.owner, f.o.ID, o2.RootFolderID, "X"); !errs.Is(err, errs.Invalid) {
			t.Errorf("parent from another org: %v", err)
		}
		if _, err := f.svc.Folder(ctx, f.owner, f.o.ID, o2.RootFolderID); !errs.Is(err, errs.NotFound) {
			t.Errorf("folder of another org: %v", err)
		}
		if _, err := f.svc.Folders(ctx, other, f.o.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("stranger lists folders: %v", err)
		}
		_ = hq
	})
}

// USR-1 end to end in the domain: invite as Viewer whatever is asked, accept
// once, by the right person only; revoke and expiry give clear errors.
func TestUSR1_Invitations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		lobby := f.folder(t, "", "Lobby")
		f.folder(t, "", "Vault")
		inv, err := f.svc.Invite(ctx, f.owner, f.o.ID, org.InviteInput{Email: "Vera@Example.com", Folders: []string{lobby}})
		if err != nil {
			t.Fatal(err)
		}
		if inv.Role != access.Viewer || len(f.sent) != 1 || f.sent[0].To != "Vera@Example.com" || !strings.HasPrefix(f.sent[0].Text, "https://portal.example/invitations/accept?token=") {
			t.Fatalf("invitation %+v, mail %+v", inv, f.sent)
		}
		// The mail is in the outbox, committed with the invitation.
		var n int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRowForTest(ctx, `SELECT COUNT(*) FROM mail_outbox WHERE kind = 'invitation'`).Scan(&n)
		}); err != nil || n != 1 {
			t.Fatalf("outbox holds %d invitations, %v", n, err)
		}
		tok := tokenOf(t, f.sent[0])
		pending, _, err := f.svc.Invitations(ctx, f.owner, f.o.ID, org.Page{})
		if err != nil || len(pending) != 1 {
			t.Fatalf("pending %+v %v", pending, err)
		}
		// Someone else cannot use it.
		mallory := person(t, db, "mallory@example.com")
		if _, err := f.svc.AcceptInvitation(ctx, mallory, tok); !errs.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), "V***a@Example.com") {
			t.Errorf("wrong recipient: %v", err)
		}
		vera := person(t, db, "vera@example.com")
		if _, err := f.svc.AcceptInvitation(ctx, vera, "msi_bogus"); !errs.Is(err, errs.NotFound) {
			t.Errorf("bogus token: %v", err)
		}
		o, err := f.svc.AcceptInvitation(ctx, vera, tok)
		if err != nil || o.ID != f.o.ID {
			t.Fatalf("accept: %v", err)
		}
		_, m, err := f.svc.Enter(ctx, vera, f.o.ID)
		if err != nil || m.Role != access.Viewer || strings.Join(m.Folders, ",") != lobby {
			t.Fatalf("vera's membership %+v %v", m, err)
		}
		visible, err := f.svc.Folders(ctx, vera, f.o.ID)
		if err != nil || len(visible) != 1 || visible[0].ID != lobby {
			t.Fatalf("vera sees %+v %v", visible, err)
		}
		if _, err := f.svc.AcceptInvitation(ctx, vera, tok); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "already been used") {
			t.Errorf("reuse: %v", err)
		}
		// Revoked.
		_, err = f.svc.Invite(ctx, f.owner, f.o.ID, org.InviteInput{Email: "rex@example.com", Folders: []string{lobby}})
		if err != nil {
			t.Fatal(err)
		}
		rexTok := tokenOf(t, f.sent[len(f.sent)-1])
		pending, _, _ = f.svc.Invitations(ctx, f.owner, f.o.ID, org.Page{})
		if err := f.svc.RevokeInvitation(ctx, f.owner, f.o.ID, pending[0].ID); err != nil {
			t.Fatal(err)
		}
		rex := person(t, db, "rex@example.com")
		if _, err := f.svc.AcceptInvitation(ctx, rex, rexTok); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("revoked: %v", err)
		}
		// Expired after 7 days.
		if _, err := f.svc.Invite(ctx, f.owner, f.o.ID, org.InviteInput{Email: "rex@example.com", Folders: []string{lobby}}); err != nil {
			t.Fatal(err)
		}
		rexTok = tokenOf(t, f.sent[len(f.sent)-1])
		f.clk.Advance(7*24*time.Hour + time.Second)
		if _, err := f.svc.AcceptInvitation(ctx, rex, rexTok); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "expired") {
			t.Errorf("expired: %v", err)
		}
		if n, err := f.svc.ExpireInvitations(ctx); err != nil || n != 1 {
			t.Errorf("expiry job expired %d, %v", n, err)
		}
		// Inviting a member is a conflict; a viewer cannot invite.
		if _, err := f.svc.Invite(ctx, f.owner, f.o.ID, org.InviteInput{Email: "VERA@example.com", Folders: []string{lobby}}); !errs.Is(err, errs.Conflict) {
			t.Errorf("invite a member: %v", err)
		}
		if _, err := f.svc.Invite(ctx, vera, f.o.ID, org.InviteInput{Email: "x@example.com", Folders: []string{lobby}}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("viewer invites: %v", err)
		}
		if _, err := f.svc.Invite(ctx, f.owner, f.o.ID, org.InviteInput{Email: "x@example.com"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("no folders: %v", err)
		}
	})
}

// USR-2, USR-3, ORG-3: role changes and all-or-nothing removal.
func TestUSR2_Members(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		lobby := f.folder(t, "", "Lobby")
		admin, op, viewer := person(t, db, "admin@example.com"), person(t, db, "op@example.com"), person(t, db, "viewer@example.com")
		join(t, db, f.o.ID, admin, access.Admin)
		join(t, db, f.o.ID, op, access.Operator)
		join(t, db, f.o.ID, viewer, access.Viewer)
		role := func(r access.Role) *access.Role { return &r }
		// Admin raises an operator to admin; cannot make owners or touch the owner.
		if m, err := f.svc.UpdateMember(ctx, admin, f.o.ID, op.ID, org.MemberPatch{Role: role(access.Admin)}); err != nil || m.Role != access.Admin {
			t.Fatalf("admin promotes: %+v %v", m, err)
		}
		if _, err := f.svc.UpdateMember(ctx, admin, f.o.ID, viewer.ID, org.MemberPatch{Role: role(access.Owner)}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("admin makes owner: %v", err)
		}
		if _, err := f.svc.UpdateMember(ctx, admin, f.o.ID, f.owner.ID, org.MemberPatch{Role: role(access.Viewer)}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("admin demotes owner: %v", err)
		}
		// The last owner cannot step down; after making another owner they can.
		if _, err := f.svc.UpdateMember(ctx, f.owner, f.o.ID, f.owner.ID, org.MemberPatch{Role: role(access.Admin)}); !errs.Is(err, errs.Conflict) {
			t.Errorf("last owner steps down: %v", err)
		}
		if _, err := f.svc.UpdateMember(ctx, f.owner, f.o.ID, admin.ID, org.MemberPatch{Role: role(access.Owner)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.UpdateMember(ctx, f.owner, f.o.ID, f.owner.ID, org.MemberPatch{Role: role(access.Admin)}); err != nil {
			t.Fatalf("step down with another owner: %v", err)
		}
		// Grants take effect at once (USR-2).
		folders := []string{lobby}
		if vs, _ := f.svc.Folders(ctx, viewer, f.o.ID); len(vs) != 0 {
			t.Errorf("viewer without grants sees %d folders", len(vs))
		}
		// The former owner is now an admin: admins grant access too.
		if _, err := f.svc.UpdateMember(ctx, f.owner, f.o.ID, viewer.ID, org.MemberPatch{Folders: &folders}); err != nil {
			t.Fatalf("admin grants: %v", err)
		}
		newOwner := admin
		if _, err := f.svc.UpdateMember(ctx, f.owner, f.o.ID, newOwner.ID, org.MemberPatch{Folders: &folders}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("admin changes an owner's access: %v", err)
		}
		if vs, _ := f.svc.Folders(ctx, viewer, f.o.ID); len(vs) != 1 {
			t.Errorf("viewer sees %d folders after grant, want 1", len(vs))
		}
		bad := []string{"fld_nope"}
		if _, err := f.svc.UpdateMember(ctx, newOwner, f.o.ID, viewer.ID, org.MemberPatch{Folders: &bad}); !errs.Is(err, errs.Invalid) {
			t.Errorf("grant unknown folder: %v", err)
		}
		// All or nothing: one refusal keeps everybody.
		err := f.svc.RemoveMembers(ctx, f.owner, f.o.ID, []string{viewer.ID, newOwner.ID})
		e, ok := errs.As(err)
		if !ok || e.Code != errs.Forbidden && e.Code != errs.Conflict || !strings.Contains(e.Message, newOwner.ID) {
			t.Fatalf("batch with an owner removed by an admin: %v", err)
		}
		if _, _, err := f.svc.Enter(ctx, viewer, f.o.ID); err != nil {
			t.Fatalf("viewer removed despite the refusal: %v", err)
		}
		if err := f.svc.RemoveMembers(ctx, newOwner, f.o.ID, []string{viewer.ID, op.ID}); err != nil {
			t.Fatal(err)
		}
		for _, a := range []audit.Actor{viewer, op} {
			if _, _, err := f.svc.Enter(ctx, a, f.o.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("removed member still enters: %v", err)
			}
		}
		if err := f.svc.RemoveMembers(ctx, newOwner, f.o.ID, []string{"usr_ghost"}); !errs.Is(err, errs.NotFound) {
			t.Errorf("remove a stranger: %v", err)
		}
		if err := f.svc.RemoveMembers(ctx, newOwner, f.o.ID, []string{newOwner.ID}); !errs.Is(err, errs.Conflict) {
			t.Errorf("last owner removes self: %v", err)
		}
		ms, _, err := f.svc.Members(ctx, f.owner, f.o.ID, org.Page{})
		if err != nil || len(ms) != 2 {
			t.Fatalf("members %+v %v", ms, err)
		}
	})
}
