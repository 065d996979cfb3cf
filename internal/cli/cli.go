// Package cli is the command-line client of the API: mysystems login, orgs,
// audit, tokens … Commands are functions over an env (standard streams,
// environment, global flags); they talk to the server through a Client.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/term"
)

// Usage describes the client commands.
const Usage = `mysystems client: talk to a My Systems server's API.

Account:
  mysystems login [--server URL] [--email E] [--password-stdin] [--code C]
                                      sign in and save the session token
  mysystems logout                    end the session and forget the saved token
  mysystems whoami                    the signed-in user and their organizations
  mysystems register --email E --name N [--password-stdin]
                                      create an account

Organizations (ORG is an organization id, as 'mysystems orgs list' shows):
  mysystems orgs list                 my organizations
  mysystems orgs create NAME [--notes N]
                                      create one; you become its owner
  mysystems orgs show ORG             details of one
  mysystems orgs rename ORG NAME
  mysystems orgs notes ORG TEXT       replace the notes ("" clears them)
  mysystems orgs archive ORG [--confirm ORG --yes]
                                      archive it (owner only); asks to type the id,
                                      or needs --confirm ORG --yes when not on a terminal
  mysystems audit ORG [--action A] [--actor ID] [--target ID] [--since T] [--until T]
                      [--limit N] [--cursor C] [--all] [--csv]
                                      the audit log as a table, or all of it as CSV

Folders (FOLDER_ID is a folder id, as 'mysystems folders list ORG' shows):
  mysystems folders list ORG          the folder tree you can see, with ids
  mysystems folders create ORG NAME [--parent FOLDER_ID]
                                      create one (under the root folder by default)
  mysystems folders rename ORG FOLDER_ID NAME
  mysystems folders move ORG FOLDER_ID --to PARENT_ID
                                      move it (and what is inside) under another folder
  mysystems folders delete ORG FOLDER_ID [--yes]
                                      delete an empty folder; asks on a terminal,
                                      needs --yes otherwise

Members and invitations (USER_ID is a user id, as 'mysystems members list ORG' shows):
  mysystems members list ORG          members with their role and folder grants
  mysystems members set-role ORG USER_ID ROLE
                                      ROLE is owner, admin, operator or viewer
  mysystems members set-folders ORG USER_ID FOLDER_ID... | --none
                                      replace the folders a member is granted
  mysystems members remove ORG USER_ID... [--yes]
                                      remove members, all or nothing; asks on a
                                      terminal, needs --yes otherwise
  mysystems invite ORG EMAIL --folder FOLDER_ID [--folder FOLDER_ID]...
                                      e-mail an invitation link; the person joins as a
                                      viewer of those folders (always the viewer role)
  mysystems invitations list ORG      pending invitations
  mysystems invitations revoke ORG INVITATION_ID
  mysystems accept TOKEN_OR_LINK      accept an invitation sent to your address: the
                                      link from the e-mail, or its token

Devices (ID is a device id, as 'mysystems devices list ORG' shows):
  mysystems devices list ORG [--folder FOLDER_ID] [--model M] [--firmware V]
                     [--status online|offline] [--q TEXT] [--sort KEY]
                     [--limit N] [--cursor C] [--all] [--csv]
                                      devices you can see, filtered; --csv exports all
  mysystems devices claim ORG SERIAL --oak OAK [--folder FOLDER_ID] [--name N]
                                      claim a device with its owner authentication key
  mysystems devices import ORG FILE.csv
                                      claim many from CSV lines serial,oak,folder path,
                                      all or nothing (each wrong line is listed)
  mysystems devices show ORG ID
  mysystems devices rename ORG ID NAME
  mysystems devices move ORG --to FOLDER_ID ID...
                                      move devices into a folder, all or nothing
  mysystems devices remove ORG ID [--yes]
                                      take a device out of the organization (it must be
                                      claimed again with its OAK); asks on a terminal,
                                      needs --yes otherwise
  mysystems devices reboot ORG ID [--wait] [--timeout D]
  mysystems devices identify ORG ID [--wait] [--timeout D]
                                      send the command and print its id; --wait follows
                                      it until applied (exit 0) or failed (exit 1)
  mysystems devices command ORG COMMAND_ID [--wait]
                                      the state of a command sent to a device
  mysystems devices accounts list ORG ID
                                      the device's local accounts, as last reported
  mysystems devices accounts create ORG ID USERNAME --role R [--password-stdin] [--wait]
                                      ROLE is administrator, operator or viewer
  mysystems devices accounts passwd ORG ID USERNAME [--password-stdin] [--wait]
  mysystems devices accounts delete ORG ID USERNAME [--yes] [--wait]
                                      device passwords are prompted twice on a terminal
                                      or read from stdin, and sent sealed to the device

AXIS OS (ORG, with --org, is optional: default $MYSYSTEMS_ORG, or your only organization):
  mysystems firmware list             the catalogue: per model and track the recommended
                                      version, then every release (withdrawn ones marked)
  mysystems upgrade [--org ORG] (--device ID... | --model M [--folder FOLDER_ID]) [--version V]
                    [--force] [--ring-count N | --ring-percent P | --ring-folder FOLDER_ID]
                    [--soak 60m] [--failure-percent 10]
                                      upgrade now (to the recommended version by default);
                                      prints the tasks made and the devices left alone, with
                                      why; a ring flag phases it as a rollout
  mysystems schedule set [--org ORG] --device ID... (--none | --asap |
                         --window "mon-fri 22:00 3h Europe/Paris")
                                      software scheduling: no automatic upgrade, upgrade as
                                      soon as a version is recommended, or in a window
  mysystems schedule show [--org ORG] --device ID...
                                      the devices' scheduling and next window
  mysystems tasks list [--org ORG] [--state S[,S]] [--device ID] [--model M] [--folder FOLDER_ID]
                       [--rollout R] [--since T] [--until T] [--limit N] [--cursor C] [--all] [--csv]
                                      upgrade tasks, newest first; --csv exports all that match
  mysystems tasks watch [--org ORG] (--rollout R | TASK_ID... | [--state S] [--device ID]
                        [--model M] [--folder FOLDER_ID])
                                      live progress bars until every task is done; exit 1 if
                                      any failed (without --state: the tasks not done yet)
  mysystems tasks retry [--org ORG] TASK_ID
                                      a new task for a failed one, to the same version
  mysystems tasks cancel [--org ORG] TASK_ID
                                      cancel a task that has not started installing
  mysystems rollouts list [--org ORG] [--all]
  mysystems rollouts show [--org ORG] ROLLOUT_ID
                                      a phased rollout and its rings' progress
  mysystems rollouts pause [--org ORG] ROLLOUT_ID
                                      no new task of it starts; those under way go on
  mysystems rollouts resume [--org ORG] ROLLOUT_ID
  mysystems rollouts abort [--org ORG] ROLLOUT_ID [--yes]
                                      cancel its tasks not yet installing; asks on a
                                      terminal, needs --yes otherwise
  mysystems upgrade-limits show [--org ORG]
  mysystems upgrade-limits set [--org ORG] [--max-concurrent N] [--max-per-site N]
                                      how many upgrades may be under way at once, in all
                                      and per site folder

ACS Pro servers (ID is a server id, as 'mysystems servers list ORG' shows):
  mysystems servers list ORG          status, version, health now, recommended upgrade
  mysystems servers show ORG ID       health now and over 24 hours, alerts, upgrades
  mysystems servers enrol ORG [--count N]
                                      enrolment tokens for new servers, one a line
  mysystems servers upgrade ORG ID [--version V]
                                      queue an upgrade (default: the recommended version)
  mysystems servers cancel ORG ID     cancel a queued upgrade the server has not picked up
  mysystems servers alerts ORG ID [--offline on|off] [--online on|off] [--to EMAIL,…|--owners]
                                      e-mail alerts when it goes offline and comes back

Licenses (PRODUCT is a product id, as 'mysystems licenses products ORG' shows):
  mysystems licenses products ORG     every product: status, days left, need, allocated,
                                      wallet, renewal date and warnings
  mysystems licenses wallet ORG PRODUCT
                                      the wallet's lots, those expiring first first
  mysystems licenses redeem ORG KEY   convert a license key into the product's wallet
  mysystems licenses subscribe ORG PRODUCT
                                      start the product's 30-day trial
  mysystems licenses allocate ORG PRODUCT --quantity N [--year K] [--yes]
                                      allocate to the current year (0) or up to 5 ahead;
                                      shows the summary and asks on a terminal, needs
                                      --yes otherwise
  mysystems licenses history ORG [--product P] [--kind K] [--since T] [--until T] [--all] [--csv]
                                      the license history, newest first

Two-factor authentication (asked for at sign-in):
  mysystems mfa status                whether it is on, and how
  mysystems mfa totp [--code C]       turn on authenticator-app codes: shows a new secret
                                      and asks for a first code on a terminal (--code C
                                      confirms an enrolment already started)
  mysystems mfa totp confirm CODE     finish a started enrolment; prints recovery codes once
  mysystems mfa email [--code C]      turn on codes by e-mail: sends one and asks for it
                                      on a terminal (--code C confirms one already sent)
  mysystems mfa email confirm CODE    finish it with the code from the e-mail
  mysystems mfa disable [--code C] [--send-code]
                                      turn it off with a current code (authenticator,
                                      recovery or e-mailed code; --send-code e-mails one)

Personal API tokens (for scripts; use one with --token or MYSYSTEMS_TOKEN):
  mysystems tokens list
  mysystems tokens create NAME [--expires 2027-01-01|RFC3339]
                                      prints the secret, once
  mysystems tokens revoke ID

Global flags (before or after the command):
  --server URL   the server (default: $MYSYSTEMS_SERVER, else the saved login's
                 server, else http://127.0.0.1:8080)
  --token T      an API token to use instead of the saved login ($MYSYSTEMS_TOKEN)
  --json         print the API's JSON instead of a table

Passwords are prompted without echo on a terminal, read from the first line of
stdin with --password-stdin, or taken from $MYSYSTEMS_PASSWORD.
The session token is saved in $MYSYSTEMS_CONFIG_DIR/credentials.json (default:
the user configuration directory, e.g. ~/.config/mysystems/), readable by you only.
Every command takes -h. Exit status: 0 success, 1 error, 2 wrong usage.
`

// commands maps a command line ("orgs create") to its function.
var commands = map[string]func(context.Context, *env, []string) error{
	"login":         cmdLogin,
	"logout":        cmdLogout,
	"whoami":        cmdWhoami,
	"register":      cmdRegister,
	"orgs list":     cmdOrgsList,
	"orgs create":   cmdOrgsCreate,
	"orgs show":     cmdOrgsShow,
	"orgs rename":   cmdOrgsRename,
	"orgs notes":    cmdOrgsNotes,
	"orgs archive":  cmdOrgsArchive,
	"audit":         cmdAudit,
	"tokens list":   cmdTokensList,
	"tokens create": cmdTokensCreate,
	"tokens revoke": cmdTokensRevoke,

	"folders list":   cmdFoldersList,
	"folders create": cmdFoldersCreate,
	"folders rename": cmdFoldersRename,
	"folders move":   cmdFoldersMove,
	"folders delete": cmdFoldersDelete,

	"members list":        cmdMembersList,
	"members set-role":    cmdMembersSetRole,
	"members set-folders": cmdMembersSetFolders,
	"members remove":      cmdMembersRemove,
	"invite":              cmdInvite,
	"invitations list":    cmdInvitationsList,
	"invitations revoke":  cmdInvitationsRevoke,
	"accept":              cmdAccept,

	"devices list":            cmdDevicesList,
	"devices claim":           cmdDevicesClaim,
	"devices import":          cmdDevicesImport,
	"devices show":            cmdDevicesShow,
	"devices rename":          cmdDevicesRename,
	"devices move":            cmdDevicesMove,
	"devices remove":          cmdDevicesRemove,
	"devices reboot":          cmdDevicesReboot,
	"devices identify":        cmdDevicesIdentify,
	"devices command":         cmdDevicesCommand,
	"devices accounts":        cmdDevicesAccounts,
	"devices accounts list":   cmdDevicesAccountsList,
	"devices accounts create": cmdDevicesAccountsCreate,
	"devices accounts passwd": cmdDevicesAccountsPasswd,
	"devices accounts delete": cmdDevicesAccountsDelete,

	"firmware list": cmdFirmwareList,

	"upgrade":             cmdUpgrade,
	"schedule set":        cmdScheduleSet,
	"schedule show":       cmdScheduleShow,
	"tasks list":          cmdTasksList,
	"tasks watch":         cmdTasksWatch,
	"tasks retry":         cmdTasksRetry,
	"tasks cancel":        cmdTasksCancel,
	"rollouts list":       cmdRolloutsList,
	"rollouts show":       cmdRolloutsShow,
	"rollouts pause":      cmdRolloutsPause,
	"rollouts resume":     cmdRolloutsResume,
	"rollouts abort":      cmdRolloutsAbort,
	"upgrade-limits show": cmdUpgradeLimitsShow,
	"upgrade-limits set":  cmdUpgradeLimitsSet,
	"servers list":        cmdServersList,
	"servers show":        cmdServersShow,
	"servers upgrade":     cmdServersUpgrade,
	"servers cancel":      cmdServersCancel,
	"servers enrol":       cmdServersEnrol,
	"servers alerts":      cmdServersAlerts,

	"licenses products":  cmdLicensesProducts,
	"licenses wallet":    cmdLicensesWallet,
	"licenses redeem":    cmdLicensesRedeem,
	"licenses subscribe": cmdLicensesSubscribe,
	"licenses allocate":  cmdLicensesAllocate,
	"licenses history":   cmdLicensesHistory,

	"mfa status":        cmdMFAStatus,
	"mfa totp":          cmdMFATOTP,
	"mfa totp confirm":  cmdMFATOTPConfirm,
	"mfa email":         cmdMFAEmail,
	"mfa email confirm": cmdMFAEmailConfirm,
	"mfa disable":       cmdMFADisable,
}

// Run runs a client command and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return newEnv(stdin, stdout, stderr, getenv).exit(ctx, args)
}

// env is what a command works with: the standard streams, the environment
// and the global flags.
type env struct {
	in     *bufio.Reader
	out    io.Writer
	errw   io.Writer
	getenv func(string) string
	// interactive is set when stdin is a terminal: prompts are allowed.
	interactive bool
	// readPassword reads a line without echo; nil when stdin is no terminal.
	readPassword func() (string, error)
	// outTerminal is set when stdout is a terminal: progress may be redrawn
	// in place.
	outTerminal bool

	server string // --server
	token  string // --token
	json   bool   // --json
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *env {
	if getenv == nil {
		getenv = os.Getenv
	}
	e := &env{in: bufio.NewReader(stdin), out: stdout, errw: stderr, getenv: getenv}
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		e.outTerminal = true
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		e.interactive = true
		e.readPassword = func() (string, error) {
			b, err := term.ReadPassword(int(f.Fd()))
			return string(b), err
		}
	}
	return e
}

// exit runs the command and reports its error as the exit code.
func (e *env) exit(ctx context.Context, args []string) int {
	err := e.run(ctx, args)
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.errw, "mysystems: %s\n", ue.msg)
		if f := ue.flags; f != nil {
			fmt.Fprintf(e.errw, "usage: mysystems %s %s\nRun 'mysystems %s -h' for details.\n", f.name, f.synopsis, f.name)
		}
		return 2
	default:
		fmt.Fprintf(e.errw, "error: %s\n", err)
		return 1
	}
}

// groups are the commands that take a subcommand.
var groups = map[string]string{
	"orgs":           "list | create | show | rename | notes | archive",
	"tokens":         "list | create | revoke",
	"folders":        "list | create | rename | move | delete",
	"members":        "list | set-role | set-folders | remove",
	"invitations":    "list | revoke",
	"devices":        "list | claim | import | show | rename | move | remove | reboot | identify | command | accounts",
	"mfa":            "status | totp [confirm] | email [confirm] | disable",
	"firmware":       "list",
	"schedule":       "set | show",
	"tasks":          "list | watch | retry | cancel",
	"rollouts":       "list | show | pause | resume | abort",
	"upgrade-limits": "show | set",
	"servers":        "list | show | upgrade | cancel | enrol | alerts",
	"licenses":       "products | wallet | redeem | subscribe | allocate | history",
}

func (e *env) run(ctx context.Context, args []string) error {
	// Global flags may come before the command: mysystems --json orgs list.
	f := e.flags("", "", "", withJSON)
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(e.out, Usage)
			return err
		}
		return &usageError{msg: err.Error() + " (see 'mysystems help client')"}
	}
	args = f.Args()
	if len(args) == 0 {
		return &usageError{msg: "no command given (see 'mysystems help client')"}
	}
	name, args := args[0], args[1:]
	if sub, ok := groups[name]; ok {
		if len(args) == 0 {
			return &usageError{msg: fmt.Sprintf("%s: say which: %s", name, sub)}
		}
		if a := args[0]; a == "-h" || a == "-help" || a == "--help" || a == "help" {
			fmt.Fprintf(e.out, "usage: mysystems %s %s\nRun 'mysystems %s COMMAND -h' for details.\n", name, sub, name)
			return nil
		}
		if _, ok := commands[name+" "+args[0]]; !ok {
			return &usageError{msg: fmt.Sprintf("%s: unknown command %q (%s)", name, args[0], sub)}
		}
		name, args = name+" "+args[0], args[1:]
		// A subcommand may have subcommands of its own: mfa totp confirm.
		if len(args) > 0 {
			if _, ok := commands[name+" "+args[0]]; ok {
				name, args = name+" "+args[0], args[1:]
			}
		}
	}
	cmd, ok := commands[name]
	if !ok {
		return &usageError{msg: fmt.Sprintf("unknown command %q (client commands: %s; see 'mysystems help')", name, commandNames())}
	}
	return cmd(ctx, e, args)
}

func commandNames() string {
	seen := map[string]bool{}
	var names []string
	for c := range commands {
		n := strings.Fields(c)[0]
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// usageError is a command called wrongly: exit code 2.
type usageError struct {
	msg   string
	flags *flags // the command's, for its synopsis; may be nil
}

func (e *usageError) Error() string { return e.msg }

func usagef(f *flags, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), flags: f}
}

// flags is a command's flag set with its help.
type flags struct {
	*flag.FlagSet
	name     string // "orgs create"
	synopsis string // "NAME [--notes N]"
	about    string
}

// Options of env.flags.
const (
	withJSON = 1 << iota // the command prints data: accept --json
	noToken              // the command signs in: --token makes no sense
)

// flags starts a command's flag set with the global flags bound to e.
func (e *env) flags(name, synopsis, about string, opts int) *flags {
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), name: name, synopsis: synopsis, about: about}
	f.SetOutput(io.Discard)
	f.StringVar(&e.server, "server", e.server, "server URL (default $MYSYSTEMS_SERVER, the saved login's server, or "+defaultServer+")")
	if opts&noToken == 0 {
		f.StringVar(&e.token, "token", e.token, "API token to use instead of the saved login (default $MYSYSTEMS_TOKEN)")
	}
	if opts&withJSON != 0 {
		f.BoolVar(&e.json, "json", e.json, "print the API's JSON instead of a table")
	}
	return f
}

// parse parses flags wherever they are among the arguments (flags may follow
// positional arguments; "--" ends the flags) and checks how many positional
// arguments there are.
func (e *env) parse(f *flags, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				e.help(f)
				return nil, err
			}
			return nil, usagef(f, "%s", err)
		}
		rest := f.Args()
		if done := args[:len(args)-len(rest)]; len(done) > 0 && done[len(done)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	switch {
	case len(pos) < min:
		return nil, usagef(f, "missing argument")
	case len(pos) > max:
		return nil, usagef(f, "unexpected argument %q", pos[max])
	}
	return pos, nil
}

func (e *env) help(f *flags) {
	fmt.Fprintf(e.out, "usage: mysystems %s %s\n\n%s\n\nflags:\n", f.name, f.synopsis, f.about)
	f.SetOutput(e.out)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// client returns a client for the server in use, with the token of --token,
// MYSYSTEMS_TOKEN or the saved login when auth is set.
func (e *env) client(auth bool) (*Client, error) {
	creds, path, err := e.loadCredentials()
	if err != nil && auth && e.tokenOverride() == "" {
		return nil, err
	}
	server, err := e.serverURL(creds)
	if err != nil {
		return nil, err
	}
	c := NewClient(server, "")
	c.Lang = localeLang(e.getenv)
	if !auth {
		return c, nil
	}
	switch {
	case e.tokenOverride() != "":
		c.Token = e.tokenOverride()
	case creds.Token != "" && creds.Server == server:
		c.Token = creds.Token
	case creds.Token != "":
		// Never send one server's token to another.
		return nil, fmt.Errorf("signed in to %s, not %s: run 'mysystems login --server %s' or pass --token", creds.Server, server, server)
	default:
		return nil, fmt.Errorf("not signed in to %s: run 'mysystems login' (or pass --token / set MYSYSTEMS_TOKEN); no credentials in %s", server, path)
	}
	return c, nil
}

func (e *env) tokenOverride() string {
	if e.token != "" {
		return e.token
	}
	return e.getenv("MYSYSTEMS_TOKEN")
}

// prompt asks for a line on a terminal.
func (e *env) prompt(label string) (string, error) {
	fmt.Fprint(e.errw, label)
	line, err := e.in.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		return "", fmt.Errorf("no answer: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// password reads a password from stdin (--password-stdin), MYSYSTEMS_PASSWORD
// or, on a terminal, a prompt without echo (twice when confirm is set).
func (e *env) password(f *flags, fromStdin, confirm bool) (string, error) {
	return e.secret(f, fromStdin, confirm, "MYSYSTEMS_PASSWORD", "Password: ")
}

// secret reads a password like password does, from the environment variable
// envName unless it is "", prompting with label on a terminal.
func (e *env) secret(f *flags, fromStdin, confirm bool, envName, label string) (string, error) {
	if fromStdin {
		line, err := e.in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the password from stdin: %w", err)
		}
		if p := strings.TrimRight(line, "\r\n"); p != "" {
			return p, nil
		}
		return "", usagef(f, "--password-stdin: no password on stdin")
	}
	if envName != "" {
		if p := e.getenv(envName); p != "" {
			return p, nil
		}
	}
	if e.readPassword == nil {
		if envName == "" {
			return "", usagef(f, "no password: stdin is not a terminal; pass --password-stdin")
		}
		return "", usagef(f, "no password: stdin is not a terminal; pass --password-stdin or set %s", envName)
	}
	fmt.Fprint(e.errw, label)
	p, err := e.readPassword()
	fmt.Fprintln(e.errw)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	if p == "" {
		return "", errors.New("no password given")
	}
	if confirm {
		fmt.Fprint(e.errw, "Repeat the password: ")
		again, err := e.readPassword()
		fmt.Fprintln(e.errw)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		if again != p {
			return "", errors.New("the passwords do not match")
		}
	}
	return p, nil
}

// printJSON prints v indented (raw API answers included).
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// confirm gets the go-ahead for a destructive command: --yes, or "y" to the
// question on a terminal. Without a terminal and without --yes it refuses
// (a usage error) rather than act unasked. what names the act in messages
// ("delete folder fld_1").
func (e *env) confirm(f *flags, yes bool, what, question string) error {
	if yes {
		return nil
	}
	if !e.interactive {
		return usagef(f, "refusing to %s without confirmation: pass --yes", what)
	}
	answer, err := e.prompt(question + " [y/N] ")
	if err != nil {
		return err
	}
	switch strings.ToLower(answer) {
	case "y", "yes":
		return nil
	}
	return fmt.Errorf("cancelled: did not %s", what)
}

// stringList is a flag that may be repeated: --folder a --folder b.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	if s == "" {
		return errors.New("empty value")
	}
	*l = append(*l, s)
	return nil
}
