package device

import (
	"fmt"
	"regexp"

	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// Device account roles (DEV-6).
const (
	RoleAdministrator = "administrator"
	RoleOperator      = "operator"
	RoleViewer        = "viewer"
)

// MaxAccounts is the most accounts a device holds (DEV-6).
const MaxAccounts = 100

// RootAccount cannot be deleted.
const RootAccount = "root"

// Account is a local account on a device, as the device reports it. Service
// accounts belong to the platform's own applications and cannot be changed.
type Account struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Service  bool   `json:"service,omitempty"`
}

var usernameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)

// CheckUsername validates a device account name.
func CheckUsername(u string) error { return checkUsername("username", u) }

func checkUsername(field, u string) error {
	if !usernameRe.MatchString(u) {
		return errs.InvalidField(field, "err.devaccount.username")
	}
	return nil
}

// CheckRole validates a device account role.
func CheckRole(r string) error { return checkRole("role", r) }

func checkRole(field, r string) error {
	switch r {
	case RoleAdministrator, RoleOperator, RoleViewer:
		return nil
	}
	return errs.InvalidField(field, "err.devaccount.role")
}

// CheckAccounts applies DEV-6 to an account list as a device reports it:
// at most MaxAccounts, each username and role by the rules of an account
// created through the portal, no username twice. The field of an error
// names the account by its index: accounts, accounts[3].username,
// accounts[3].role.
func CheckAccounts(accounts []Account) error {
	if len(accounts) > MaxAccounts {
		return errs.InvalidField("accounts", "err.devaccount.too_many", len(accounts), MaxAccounts)
	}
	seen := make(map[string]bool, len(accounts))
	for i, a := range accounts {
		at := fmt.Sprintf("accounts[%d].", i)
		if err := checkUsername(at+"username", a.Username); err != nil {
			return err
		}
		if err := checkRole(at+"role", a.Role); err != nil {
			return err
		}
		if seen[a.Username] {
			return errs.InvalidField(at+"username", "err.devaccount.repeated", a.Username)
		}
		seen[a.Username] = true
	}
	return nil
}

// CheckAccountPassword applies DEV-6: 1 to 64 printable ASCII characters.
func CheckAccountPassword(p string) error {
	if len(p) < 1 || len(p) > 64 {
		return errs.InvalidField("password", "err.devaccount.password_length")
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] > 0x7e {
			return errs.InvalidField("password", "err.devaccount.password_ascii")
		}
	}
	return nil
}

func find(accounts []Account, username string) (Account, bool) {
	for _, a := range accounts {
		if a.Username == username {
			return a, true
		}
	}
	return Account{}, false
}

// CheckCreateAccount applies DEV-6 to adding an account to a device that
// reports accounts.
func CheckCreateAccount(accounts []Account, username, role, password string) error {
	if err := CheckUsername(username); err != nil {
		return err
	}
	if err := CheckRole(role); err != nil {
		return err
	}
	if err := CheckAccountPassword(password); err != nil {
		return err
	}
	if _, ok := find(accounts, username); ok {
		return errs.E(errs.Conflict, "err.devaccount.exists", username)
	}
	if len(accounts) >= MaxAccounts {
		return errs.E(errs.Conflict, "err.devaccount.full", MaxAccounts)
	}
	return nil
}

// CheckChangePassword applies DEV-6 to changing an account's password.
func CheckChangePassword(accounts []Account, username, password string) error {
	a, ok := find(accounts, username)
	if !ok {
		return errs.NotFoundf("err.devaccount.not_found", username)
	}
	if a.Service {
		return errs.E(errs.Conflict, "err.devaccount.service_change", username)
	}
	return CheckAccountPassword(password)
}

// CheckDeleteAccount applies DEV-6 to deleting an account.
func CheckDeleteAccount(accounts []Account, username string) error {
	a, ok := find(accounts, username)
	if !ok {
		return errs.NotFoundf("err.devaccount.not_found", username)
	}
	if a.Service {
		return errs.E(errs.Conflict, "err.devaccount.service_delete", username)
	}
	if username == RootAccount {
		return errs.E(errs.Conflict, "err.devaccount.root_delete")
	}
	return nil
}

// CheckAccountChange applies DEV-6 to one account command (op is
// CmdAccountCreate, CmdAccountPassword or CmdAccountDelete) on a device
// holding accounts: the portal checks it before sending the command, and a
// device checks it again before applying it.
func CheckAccountChange(accounts []Account, op, username, role, password string) error {
	switch op {
	case CmdAccountCreate:
		return CheckCreateAccount(accounts, username, role, password)
	case CmdAccountPassword:
		return CheckChangePassword(accounts, username, password)
	case CmdAccountDelete:
		return CheckDeleteAccount(accounts, username)
	}
	return errs.E(errs.Invalid, "err.devaccount.unknown_op", i18n.Quoted(op))
}
