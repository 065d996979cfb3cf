package org_test

import (
	"context"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

var t0 = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

func person(t *testing.T, db *store.DB, email string) audit.Actor {
	t.Helper()
	u := account.User{ID: account.NewID("usr_"), Email: email, Name: email, Lang: "en", CreatedAt: t0}
	if err := db.Write(context.Background(), func(tx *store.Tx) error { return tx.CreateUser(context.Background(), u, "h") }); err != nil {
		t.Fatal(err)
	}
	return audit.Actor{Kind: audit.KindUser, ID: u.ID, Email: email, ClientAddr: "192.0.2.1"}
}

func join(t *testing.T, db *store.DB, orgID string, a audit.Actor, role access.Role) {
	t.Helper()
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		return tx.AddMember(context.Background(), org.Membership{OrgID: orgID, UserID: a.ID, Role: role, CreatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ORG-2, ORG-4, ID-5 by role: who may rename, require MFA, archive.
func TestORG2_Roles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := org.NewService(db.Orgs(), clock.NewFake(t0), org.Config{})
		owner := person(t, db, "owner@example.com")
		o, err := svc.Create(ctx, owner, "Acme", "")
		if err != nil {
			t.Fatal(err)
		}
		members := map[access.Role]audit.Actor{access.Owner: owner}
		for _, r := range []access.Role{access.Admin, access.Operator, access.Viewer} {
			members[r] = person(t, db, string(r)+"@example.com")
			join(t, db, o.ID, members[r], r)
		}
		stranger := person(t, db, "stranger@example.com")
		name := "Renamed"
		no := false
		for _, r := range access.Roles {
			a := members[r]
			_, err := svc.Update(ctx, a, o.ID, org.Patch{Name: &name})
			if want := access.Allows(r, access.EditOrg); (err == nil) != want {
				t.Errorf("%s rename: got %v, want allowed=%v", r, err, want)
			}
			if err != nil && !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s rename refused with %v, want forbidden", r, err)
			}
			_, err = svc.Update(ctx, a, o.ID, org.Patch{RequireMFA: &no})
			if want := r == access.Owner; (err == nil) != want {
				t.Errorf("%s require MFA: got %v, want allowed=%v", r, err, want)
			}
		}
		for _, r := range []access.Role{access.Admin, access.Operator, access.Viewer} {
			if err := svc.Archive(ctx, members[r], o.ID, o.ID, true); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s archive: got %v, want forbidden", r, err)
			}
		}
		// A stranger learns nothing: not found, not forbidden.
		if _, err := svc.Update(ctx, stranger, o.ID, org.Patch{Name: &name}); !errs.Is(err, errs.NotFound) {
			t.Errorf("stranger rename: got %v, want not_found", err)
		}
		if err := svc.Archive(ctx, stranger, o.ID, o.ID, true); !errs.Is(err, errs.NotFound) {
			t.Errorf("stranger archive: got %v, want not_found", err)
		}
		if _, _, err := svc.Enter(ctx, stranger, o.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("stranger enter: got %v, want not_found", err)
		}
		// Vendor operators never act through an org role.
		vendor := audit.Actor{Kind: audit.KindVendor, ID: "plt_x"}
		if _, _, err := svc.Enter(ctx, vendor, o.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("vendor enter: got %v, want not_found", err)
		}
		if _, err := svc.Restore(ctx, owner, o.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("owner restore: got %v, want forbidden", err)
		}
		if err := svc.Archive(ctx, owner, o.ID, o.ID, true); err != nil {
			t.Fatal(err)
		}
		for _, r := range access.Roles {
			if _, _, err := svc.Enter(ctx, members[r], o.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s enter archived: got %v, want not_found", r, err)
			}
		}
		if _, err := svc.Update(ctx, owner, o.ID, org.Patch{Name: &name}); !errs.Is(err, errs.NotFound) {
			t.Errorf("rename archived: got %v, want not_found", err)
		}
		if _, err := svc.Restore(ctx, vendor, o.ID); err != nil {
			t.Fatalf("vendor restore: %v", err)
		}
		got, m, err := svc.Enter(ctx, members[access.Viewer], o.ID)
		if err != nil || got.Status != org.Active || m.Role != access.Viewer || got.Name != name {
			t.Fatalf("after restore: %+v %+v %v", got, m, err)
		}
	})
}

// ORG-1: a new organization has a root folder and its creator as owner; a
// vendor cannot create one.
func TestORG1_Create(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := org.NewService(db.Orgs(), clock.NewFake(t0), org.Config{})
		a := person(t, db, "a@example.com")
		o, err := svc.Create(ctx, a, "  Acme  ", "notes")
		if err != nil {
			t.Fatal(err)
		}
		if o.Name != "Acme" || o.RootFolderID == "" || o.Status != org.Active || !o.CreatedAt.Equal(t0) {
			t.Fatalf("created %+v", o)
		}
		_, m, err := svc.Enter(ctx, a, o.ID)
		if err != nil || m.Role != access.Owner {
			t.Fatalf("creator membership %+v %v", m, err)
		}
		if _, err := svc.Create(ctx, audit.Actor{Kind: audit.KindVendor, ID: "plt"}, "X", ""); !errs.Is(err, errs.Forbidden) {
			t.Errorf("vendor create: got %v", err)
		}
		// Same name twice is allowed: organizations are told apart by id.
		if _, err := svc.Create(ctx, a, "Acme", ""); err != nil {
			t.Errorf("second Acme: %v", err)
		}
		mine, _, err := svc.Mine(ctx, a.ID, org.Page{})
		if err != nil || len(mine) != 2 {
			t.Fatalf("mine: %d %v", len(mine), err)
		}
	})
}

// ID-5: an organization that requires MFA is closed to members without it,
// and an owner cannot require it before turning it on for themselves.
func TestID5_RequireMFA(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := org.NewService(db.Orgs(), clock.NewFake(t0), org.Config{})
		owner := person(t, db, "owner@example.com")
		viewer := person(t, db, "viewer@example.com")
		o, err := svc.Create(ctx, owner, "Acme", "")
		if err != nil {
			t.Fatal(err)
		}
		join(t, db, o.ID, viewer, access.Viewer)
		yes := true
		if _, err := svc.Update(ctx, owner, o.ID, org.Patch{RequireMFA: &yes}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("require MFA without own MFA: %v", err)
		}
		enableMFA(t, db, owner.ID)
		if _, err := svc.Update(ctx, owner, o.ID, org.Patch{RequireMFA: &yes}); err != nil {
			t.Fatal(err)
		}
		_, _, err = svc.Enter(ctx, viewer, o.ID)
		if e, ok := errs.As(err); !ok || e.Code != errs.Forbidden || e.Details == nil {
			t.Fatalf("viewer without MFA enters: %v", err)
		}
		if _, _, err := svc.Enter(ctx, owner, o.ID); err != nil {
			t.Fatalf("owner with MFA: %v", err)
		}
		enableMFA(t, db, viewer.ID)
		if _, _, err := svc.Enter(ctx, viewer, o.ID); err != nil {
			t.Fatalf("viewer after enrolling: %v", err)
		}
	})
}

func enableMFA(t *testing.T, db *store.DB, userID string) {
	t.Helper()
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		return tx.SaveMFA(context.Background(), account.MFA{UserID: userID, Method: account.MFATOTP, TOTPSecret: "JBSWY3DPEHPK3PXP", UpdatedAt: t0, EnabledAt: &t0})
	})
	if err != nil {
		t.Fatal(err)
	}
}
