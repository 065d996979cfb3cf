package web

import (
	"net/http"
	"net/url"

	"mysystems/internal/access"
	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
)

// accountRow is a device local account as the accounts page shows it
// (DEV-6): service accounts are listed without controls, root cannot be
// deleted.
type accountRow struct {
	device.Account
	RoleLabel string
	CanChange bool
	CanDelete bool
	Base      string // …/accounts/{username}, for the row actions
}

func (c *call) accountRows(deviceID string, accts []device.Account) []accountRow {
	out := make([]accountRow, 0, len(accts))
	for _, a := range accts {
		label := a.Role
		if hasKey("devaccounts.role." + a.Role) {
			label = c.t("devaccounts.role." + a.Role)
		}
		out = append(out, accountRow{
			Account:   a,
			RoleLabel: label,
			CanChange: !a.Service,
			CanDelete: !a.Service && a.Username != device.RootAccount,
			Base:      c.deviceURL(deviceID) + "/accounts/" + url.PathEscape(a.Username),
		})
	}
	return out
}

// accountsView opens a device's account pages (Owners and Admins) with the
// accounts the device last reported.
func (c *call) accountsView(titleKey string) (*view, *devicePage, bool) {
	v, page, ok := c.deviceView(titleKey, access.ManageFleet)
	if !ok {
		return nil, nil, false
	}
	accts, err := c.u.d.Fleet.Accounts(c.r.Context(), c.actor, c.org.ID, page.Device.ID)
	if err != nil {
		c.fail(err)
		return nil, nil, false
	}
	page.Accounts = c.accountRows(page.Device.ID, accts)
	page.Roles = c.options(device.RoleViewer, device.RoleAdministrator, "devaccounts.role.administrator",
		device.RoleOperator, "devaccounts.role.operator", device.RoleViewer, "devaccounts.role.viewer")
	return v, page, true
}

func (c *call) accountsURL(deviceID string) string { return c.deviceURL(deviceID) + "/accounts" }

// deviceAccounts lists a device's local accounts and follows the command
// of the last change live.
func (u *UI) deviceAccounts(c *call) {
	v, page, ok := c.accountsView("devaccounts.title")
	if !ok {
		return
	}
	page.Command = c.shownCommand(page.Device.ID, c.accountsURL(page.Device.ID))
	if page.Command != nil && !page.Command.Done {
		v.Refresh = 3
	}
	c.render(http.StatusOK, "device_accounts", v)
}

// accountView opens the page of one account of the path. An account the
// device does not have is not found; a service account (and root, for
// deletion) cannot be changed (DEV-6).
func (c *call) accountView(titleKey string, deleting bool) (*view, *devicePage, bool) {
	v, page, ok := c.accountsView(titleKey)
	if !ok {
		return nil, nil, false
	}
	name := c.r.PathValue("username")
	for i := range page.Accounts {
		if page.Accounts[i].Username == name {
			page.Account = &page.Accounts[i]
		}
	}
	switch {
	case page.Account == nil:
		c.notFound()
	case !page.Account.CanChange:
		c.renderError(http.StatusConflict, "error.conflict.title", c.t("devaccounts.service.locked", name), "")
	case deleting && !page.Account.CanDelete:
		c.renderError(http.StatusConflict, "error.conflict.title", c.t("devaccounts.root.locked"), "")
	default:
		return v, page, true
	}
	return nil, nil, false
}

// sent shows the command of an account change on the accounts page.
func (c *call) sent(deviceID string, cmd fleet.Command) {
	c.redirect(c.accountsURL(deviceID) + "?cmd=" + url.QueryEscape(cmd.ID))
}

// confirmed checks that the password was typed twice alike. Passwords are
// never put back into a page.
func (c *call) confirmed() error {
	if c.r.PostFormValue("password") != c.r.PostFormValue("password_confirm") {
		return errs.InvalidField("password_confirm", "devaccounts.mismatch")
	}
	return nil
}

func (u *UI) newAccountForm(c *call) {
	if v, _, ok := c.accountsView("devaccounts.create.title"); ok {
		c.render(http.StatusOK, "device_account_new", v)
	}
}

// createAccount sends the creation of an account to the device (DEV-6).
func (u *UI) createAccount(c *call) {
	v, page, ok := c.accountsView("devaccounts.create.title")
	if !ok {
		return
	}
	ch := fleet.AccountChange{Op: device.CmdAccountCreate, Username: c.r.PostFormValue("username"),
		Role: c.r.PostFormValue("role"), Password: c.r.PostFormValue("password")}
	v.Form["username"] = ch.Username
	page.Roles = c.options(ch.Role, device.RoleAdministrator, "devaccounts.role.administrator",
		device.RoleOperator, "devaccounts.role.operator", device.RoleViewer, "devaccounts.role.viewer")
	if err := c.confirmed(); err != nil {
		c.failedTo("form.error.devaccount.create", "device_account_new", v, err)
		return
	}
	cmd, err := u.d.Fleet.ChangeAccount(c.r.Context(), c.actor, c.org.ID, page.Device.ID, ch)
	if err != nil {
		c.failedTo("form.error.devaccount.create", "device_account_new", v, err)
		return
	}
	c.sent(page.Device.ID, cmd)
}

func (u *UI) passwordForm(c *call) {
	if v, _, ok := c.accountView("devaccounts.password.title", false); ok {
		c.render(http.StatusOK, "device_account_password", v)
	}
}

// changePassword sends a new password to the device, sealed for it.
func (u *UI) changePassword(c *call) {
	u.sendAccountChange(c, "devaccounts.password.title", "device_account_password", false, true,
		func(username string) fleet.AccountChange {
			return fleet.AccountChange{Op: device.CmdAccountPassword, Username: username, Password: c.r.PostFormValue("password")}
		})
}

func (u *UI) deleteAccountForm(c *call) {
	if v, _, ok := c.accountView("devaccounts.delete.title", true); ok {
		c.render(http.StatusOK, "device_account_delete", v)
	}
}

// deleteAccount sends the deletion of an account to the device.
func (u *UI) deleteAccount(c *call) {
	u.sendAccountChange(c, "devaccounts.delete.title", "device_account_delete", true, false,
		func(username string) fleet.AccountChange {
			return fleet.AccountChange{Op: device.CmdAccountDelete, Username: username}
		})
}

// sendAccountChange sends the change of one existing account to the device
// and shows its command, or shows the form (page, its template) again with
// the error. deleting is passed to accountView; confirm asks for the
// form's confirmation first.
func (u *UI) sendAccountChange(c *call, title, page string, deleting, confirm bool, change func(username string) fleet.AccountChange) {
	summary := "form.error.devaccount.password"
	if deleting {
		summary = "form.error.devaccount.delete"
	}
	v, pv, ok := c.accountView(title, deleting)
	if !ok {
		return
	}
	if confirm {
		if err := c.confirmed(); err != nil {
			c.failedTo(summary, page, v, err)
			return
		}
	}
	cmd, err := u.d.Fleet.ChangeAccount(c.r.Context(), c.actor, c.org.ID, pv.Device.ID, change(pv.Account.Username))
	if err != nil {
		c.failedTo(summary, page, v, err)
		return
	}
	c.sent(pv.Device.ID, cmd)
}
