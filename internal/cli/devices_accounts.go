package cli

import (
	"context"
	"fmt"
	"net/http"

	"mysystems/internal/api"
)

// accountsSubcommands are the subcommands of devices accounts.
const accountsSubcommands = "list | create | passwd | delete"

// cmdDevicesAccounts is reached only without a known subcommand.
func cmdDevicesAccounts(_ context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "devices accounts: say which: " + accountsSubcommands}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(e.out, "usage: mysystems devices accounts %s\nRun 'mysystems devices accounts COMMAND -h' for details.\n", accountsSubcommands)
		return nil
	}
	return &usageError{msg: fmt.Sprintf("devices accounts: unknown command %q (%s)", args[0], accountsSubcommands)}
}

var cmdDevicesAccountsList = listCommand[api.DeviceAccountJSON]{
	name:     "devices accounts list",
	synopsis: "ORG ID",
	about: "List a device's local accounts as the device last reported them (owner or admin).\n" +
		"Service accounts belong to the platform's applications and cannot be changed.",
	args: 2,
	path: func(pos []string) string { return pathf("/api/v1/orgs/%s/devices/%s/accounts", pos[0], pos[1]) },
	one:  true,
	noun: "accounts",
	empty: func([]string, bool) string {
		return "The device has reported no accounts yet (it reports them when it connects)."
	},
	head: []string{"USERNAME", "ROLE", "SERVICE"},
	row: func(a api.DeviceAccountJSON, _ map[string]string) []string {
		svc := ""
		if a.Service {
			svc = "yes"
		}
		return []string{clean(a.Username), clean(a.Role), svc}
	},
}.run

// accountPassword is accountArgs for a command that sets a device account's
// password: it adds --password-stdin, then reads the password from stdin
// with it, else prompted twice without echo on a terminal. It is never taken
// from MYSYSTEMS_PASSWORD, which is the portal password.
func (e *env) accountPassword(f *flags, args []string, check func() error) (accountCmd, string, error) {
	fromStdin := f.Bool("password-stdin", false, "read the password from the first line of stdin")
	a, err := e.accountArgs(f, args, check)
	if err != nil {
		return a, "", err
	}
	pw, err := e.secret(f, *fromStdin, true, "", fmt.Sprintf("Password for %s on the device: ", clean(a.username)))
	return a, pw, err
}

func cmdDevicesAccountsCreate(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices accounts create", "ORG ID USERNAME --role R [--password-stdin] [--wait] [--timeout D]",
		"Create a local account on a device (owner or admin); ROLE is administrator, operator\n"+
			"or viewer. The password (1 to 64 printable ASCII characters) is prompted twice on a\n"+
			"terminal or read from the first line of stdin (--password-stdin); it travels sealed\n"+
			"to the device and is never stored by the portal. Prints the command id; with --wait,\n"+
			"follows it until the device has applied it.", withJSON)
	role := f.String("role", "", "administrator, operator or viewer (required)")
	a, pw, err := e.accountPassword(f, args, func() error {
		if *role == "" {
			return usagef(f, "--role is required: administrator, operator or viewer")
		}
		return nil
	})
	if err != nil {
		return err
	}
	body := api.AccountCreate{Username: a.username, Password: pw, Role: *role}
	return e.sendCommand(ctx, a.org, http.MethodPost, pathf("/api/v1/orgs/%s/devices/%s/accounts", a.org, a.device), body, a.w,
		func(cmd api.CommandJSON) string {
			return fmt.Sprintf("Sent the creation of account %s (%s) to device %s: command %s.", clean(a.username), clean(*role), clean(a.device), clean(cmd.ID))
		})
}

// accountCmd is what a command on one device account works on: ORG ID
// USERNAME, with --wait and --timeout.
type accountCmd struct {
	org, device, username string
	w                     *waiting
}

// accountArgs adds --wait and --timeout to f, then parses ORG ID USERNAME
// and checks the flags (see parseWaiting).
func (e *env) accountArgs(f *flags, args []string, check func() error) (accountCmd, error) {
	w := waitFlags(f)
	pos, err := e.parseWaiting(f, w, args, 3, check)
	if err != nil {
		return accountCmd{}, err
	}
	return accountCmd{org: pos[0], device: pos[1], username: pos[2], w: w}, nil
}

func (a accountCmd) path() string {
	return pathf("/api/v1/orgs/%s/devices/%s/accounts/%s", a.org, a.device, a.username)
}

func cmdDevicesAccountsPasswd(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices accounts passwd", "ORG ID USERNAME [--password-stdin] [--wait] [--timeout D]",
		"Change the password of a device's local account (owner or admin); service accounts\n"+
			"cannot be changed. The new password is prompted twice on a terminal or read from the\n"+
			"first line of stdin (--password-stdin), and travels sealed to the device.", withJSON)
	a, pw, err := e.accountPassword(f, args, nil)
	if err != nil {
		return err
	}
	return e.sendCommand(ctx, a.org, http.MethodPatch, a.path(), api.AccountPassword{Password: pw}, a.w,
		func(cmd api.CommandJSON) string {
			return fmt.Sprintf("Sent the new password of %s to device %s: command %s.", clean(a.username), clean(a.device), clean(cmd.ID))
		})
}

func cmdDevicesAccountsDelete(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices accounts delete", "ORG ID USERNAME [--yes] [--wait] [--timeout D]",
		"Delete a device's local account (owner or admin): whoever uses it can no longer sign\n"+
			"in to the device. root and service accounts cannot be deleted. On a terminal you are\n"+
			"asked to confirm; otherwise pass --yes.", withJSON)
	yes := f.Bool("yes", false, "do not ask for confirmation")
	a, err := e.accountArgs(f, args, nil)
	if err != nil {
		return err
	}
	q := fmt.Sprintf("Delete account %s on device %s? Whoever uses it can no longer sign in to the device.", clean(a.username), clean(a.device))
	if err := e.confirm(f, *yes, "delete account "+a.username+" of device "+a.device, q); err != nil {
		return err
	}
	return e.sendCommand(ctx, a.org, http.MethodDelete, a.path(), nil, a.w,
		func(cmd api.CommandJSON) string {
			return fmt.Sprintf("Sent the deletion of account %s to device %s: command %s.", clean(a.username), clean(a.device), clean(cmd.ID))
		})
}
