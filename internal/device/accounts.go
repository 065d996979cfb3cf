package device

import (
	"regexp"

	"mysystems/internal/errs"
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
func CheckUsername(u string) error {
	if !usernameRe.MatchString(u) {
		return errs.InvalidField("username", "a username is 1 to 32 letters, digits or ._- and starts with a letter or digit")
	}
	return nil
}

// CheckRole validates a device account role.
func CheckRole(r string) error {
	switch r {
	case RoleAdministrator, RoleOperator, RoleViewer:
		return nil
	}
	return errs.InvalidField("role", "role must be administrator, operator or viewer")
}

// CheckAccountPassword applies DEV-6: 1 to 64 printable ASCII characters.
func CheckAccountPassword(p string) error {
	if len(p) < 1 || len(p) > 64 {
		return errs.InvalidField("password", "a device password is 1 to 64 characters")
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] > 0x7e {
			return errs.InvalidField("password", "a device password uses printable ASCII characters only (no accents, no control characters)")
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
		return errs.E(errs.Conflict, "the device already has an account named %s", username)
	}
	if len(accounts) >= MaxAccounts {
		return errs.E(errs.Conflict, "the device already holds %d accounts, its maximum", MaxAccounts)
	}
	return nil
}

// CheckChangePassword applies DEV-6 to changing an account's password.
func CheckChangePassword(accounts []Account, username, password string) error {
	a, ok := find(accounts, username)
	if !ok {
		return errs.NotFoundf("the device has no account named %s", username)
	}
	if a.Service {
		return errs.E(errs.Conflict, "%s is a service account used by the platform's applications: it cannot be changed", username)
	}
	return CheckAccountPassword(password)
}

// CheckDeleteAccount applies DEV-6 to deleting an account.
func CheckDeleteAccount(accounts []Account, username string) error {
	a, ok := find(accounts, username)
	if !ok {
		return errs.NotFoundf("the device has no account named %s", username)
	}
	if a.Service {
		return errs.E(errs.Conflict, "%s is a service account used by the platform's applications: it cannot be deleted", username)
	}
	if username == RootAccount {
		return errs.E(errs.Conflict, "the root account cannot be deleted")
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
	return errs.E(errs.Invalid, "unknown account operation %q", op)
}
