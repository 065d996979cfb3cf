package main

import (
	"context"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/org"
	"mysystems/internal/store"
)

// demoLogin is printed by `mysystems demo`. The demo runs on loopback by
// default; the password is public by design.
type demoLogin struct{ Email, Password string }

var demo = demoLogin{Email: "demo@example.com", Password: "demo-password-2026"}

// seedDemo creates the demo account and organization once; later runs reuse
// them.
func seedDemo(ctx context.Context, a *app.App) (demoLogin, error) {
	_, err := a.Accounts.Register(ctx, account.RegisterInput{Email: demo.Email, Name: "Demo Admin", Password: demo.Password}, "demo")
	if errs.Is(err, errs.Invalid) {
		if _, lerr := a.Accounts.Login(ctx, demo.Email, demo.Password, "demo", "demo"); lerr == nil {
			return demo, nil // already seeded
		}
		return demo, err
	}
	if err != nil {
		return demo, err
	}
	res, err := a.Accounts.Login(ctx, demo.Email, demo.Password, "demo", "demo")
	if err != nil {
		return demo, err
	}
	actor := audit.Actor{Kind: audit.KindUser, ID: res.User.ID, Email: res.User.Email, ClientAddr: "demo"}
	o, err := a.Orgs.Create(ctx, actor, "Demo Company", "Demonstration organization created by mysystems demo.")
	if err != nil {
		return demo, err
	}
	if _, err := a.Orgs.Create(ctx, actor, "Demo Integrator Customer", ""); err != nil {
		return demo, err
	}
	return demo, seedFolders(ctx, a.DB, o.ID, o.RootFolderID, "Headquarters", "Warehouse", "Parking")
}

func seedFolders(ctx context.Context, db *store.DB, orgID, parent string, names ...string) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		for _, n := range names {
			if err := tx.CreateFolder(ctx, orgFolder(orgID, parent, n)); err != nil {
				return err
			}
		}
		return nil
	})
}

func orgFolder(orgID, parent, name string) org.Folder {
	return org.Folder{ID: account.NewID("fld_"), OrgID: orgID, ParentID: parent, Name: name, CreatedAt: time.Now().UTC()}
}
