package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mysystems/internal/api"
	proto "mysystems/internal/device"
	"mysystems/internal/fleet"
	hs "mysystems/internal/harness"
)

// mint makes device identities as the vendor would.
func (h *harness) mint(n int) []fleet.Minted { return h.srv.Mint(n) }

// device is a simulated device for a minted identity (internal/sim).
func (h *harness) device(m fleet.Minted) *hs.Device { return h.srv.Device(m) }

// claim claims a minted device with the CLI and returns its id.
func (h *harness) claim(orgID string, m fleet.Minted, extra ...string) string {
	h.t.Helper()
	r := h.ok("", append([]string{"devices", "claim", orgID, m.Serial, "--oak", m.OAK, "--json"}, extra...)...)
	var d api.DeviceJSON
	if err := json.Unmarshal([]byte(r.out), &d); err != nil || d.ID == "" {
		h.t.Fatalf("devices claim --json: %q is no device (%v)", r.out, err)
	}
	return d.ID
}

// listDevices returns the devices devices list --all --json shows.
func (h *harness) listDevices(orgID string, filters ...string) []api.DeviceJSON {
	h.t.Helper()
	r := h.ok("", append([]string{"devices", "list", orgID, "--all", "--json"}, filters...)...)
	var p struct{ Items []api.DeviceJSON }
	if err := json.Unmarshal([]byte(r.out), &p); err != nil {
		h.t.Fatalf("devices list --json: %q (%v)", r.out, err)
	}
	return p.Items
}

func TestDevices(t *testing.T) {
	h, orgID := withOrg(t)
	siteA := h.createFolder(orgID, "Site A", "")
	ms := h.mint(3)
	h.device(ms[0]).Hello() // seen before the claim: online

	r := h.fail(2, "--oak OAK is required", "devices", "claim", orgID, ms[0].Serial)
	h.fail(1, "do not match a device that can be claimed (invalid)", "devices", "claim", orgID, ms[0].Serial, "--oak", ms[1].OAK)
	r = h.ok("", "devices", "claim", orgID, ms[0].Serial, "--oak", ms[0].OAK, "--name", "Door cam")
	contains(t, "devices claim", r.out, `Claimed device "Door cam" (dev_`, ms[0].Serial, "in Default.")
	h.fail(1, "already in this organization (conflict)", "devices", "claim", orgID, ms[0].Serial, "--oak", ms[0].OAK)
	lobbyCam := h.claim(orgID, ms[1], "--folder", siteA, "--name", "Lobby cam")
	doorCam := h.listDevices(orgID, "--q", "door")[0].ID

	// The table: every column, online with a time, offline never seen.
	r = h.ok("", "devices", "list", orgID)
	got := lines(r.out)
	if len(got) != 3 || !strings.HasPrefix(got[0], "ID ") {
		t.Fatalf("devices list: got\n%s\nwant a header and 2 devices", r.out)
	}
	contains(t, "devices list header", got[0], "NAME", "SERIAL", "MODEL", "FIRMWARE", "FOLDER", "STATUS", "LAST SEEN")
	for _, l := range got[1:] {
		switch {
		case strings.HasPrefix(l, doorCam+" "):
			contains(t, "door cam line", l, "Door cam", ms[0].Serial, "AXIS P3265-LVE", "11.11.0", "Default", "online", time.Now().UTC().Format("2006-01-02T"))
		case strings.HasPrefix(l, lobbyCam+" "):
			contains(t, "lobby cam line", l, "Lobby cam", ms[1].Serial, "unknown", "Default / Site A", "offline", "never")
		default:
			t.Errorf("devices list: unexpected line %q", l)
		}
	}

	// Filters, sorting, pages.
	for _, tt := range []struct {
		filters []string
		want    []string
	}{
		{[]string{"--status", "online"}, []string{doorCam}},
		{[]string{"--status", "offline"}, []string{lobbyCam}},
		{[]string{"--folder", siteA}, []string{lobbyCam}},
		{[]string{"--q", ms[1].Serial[4:]}, []string{lobbyCam}},
		{[]string{"--firmware", "11.11.0"}, []string{doorCam}},
		{[]string{"--model", "AXIS P3265-LVE", "--sort", "name"}, []string{doorCam, lobbyCam}},
		{[]string{"--sort", "-name"}, []string{lobbyCam, doorCam}},
		{[]string{"--model", "AXIS Q1656"}, nil},
	} {
		var ids []string
		for _, d := range h.listDevices(orgID, tt.filters...) {
			ids = append(ids, d.ID)
		}
		if strings.Join(ids, " ") != strings.Join(tt.want, " ") {
			t.Errorf("devices list %v: got %v, want %v", tt.filters, ids, tt.want)
		}
	}
	r = h.ok("", "devices", "list", orgID, "--model", "AXIS Q1656")
	contains(t, "devices list matching nothing", r.stderr, "No device matches")
	r = h.ok("", "devices", "list", orgID, "--limit", "1", "--sort", "name")
	if n := len(lines(r.out)); n != 2 || !strings.Contains(r.out, "Door cam") {
		t.Errorf("devices list --limit 1: got\n%s", r.out)
	}
	contains(t, "devices list --limit 1", r.stderr, "More devices: add --all, or --cursor ")
	r = h.ok("", "devices", "list", orgID, "--limit", "1", "--all", "--json")
	var p page
	if err := json.Unmarshal([]byte(r.out), &p); err != nil || len(p.Items) != 2 || p.NextCursor != "" {
		t.Errorf("devices list --limit 1 --all --json: got %q (%v)", r.out, err)
	}
	h.fail(2, "--status must be online or offline", "devices", "list", orgID, "--status", "asleep")
	h.fail(2, "--csv and --json", "devices", "list", orgID, "--csv", "--json")
	h.fail(2, "do not apply", "devices", "list", orgID, "--csv", "--all")
	h.fail(1, "(invalid)", "devices", "list", orgID, "--sort", "colour")

	// CSV: every matching device.
	r = h.ok("", "devices", "list", orgID, "--csv")
	rows, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil || len(rows) != 3 || strings.Join(rows[0], ",") != "id,serial,name,model,firmware,folder,status,last_seen,recommended_version" {
		t.Fatalf("devices list --csv: got %q (%v)", r.out, err)
	}
	r = h.ok("", "devices", "list", orgID, "--csv", "--status", "offline")
	if rows, _ := csv.NewReader(strings.NewReader(r.out)).ReadAll(); len(rows) != 2 || rows[1][0] != lobbyCam || rows[1][6] != "offline" {
		t.Errorf("devices list --csv --status offline: got %q", r.out)
	}

	r = h.ok("", "devices", "show", orgID, doorCam)
	contains(t, "devices show", r.out, "Door cam", ms[0].Serial, "online", "Default (")
	h.fail(1, "(not_found)", "devices", "show", orgID, "dev_nope")

	r = h.ok("", "devices", "rename", orgID, doorCam, "Front door")
	contains(t, "devices rename", r.out, `Renamed device `+doorCam+` to "Front door".`)
	h.fail(1, "(invalid)", "devices", "rename", orgID, doorCam, "")

	// Move: one by PATCH, several all or nothing.
	h.fail(2, "--to FOLDER_ID is required", "devices", "move", orgID, doorCam)
	r = h.ok("", "devices", "move", orgID, "--to", siteA, doorCam)
	contains(t, "devices move one", r.out, `Moved device "Front door" (`+doorCam+`) to Default / Site A.`)
	root := h.rootFolder(orgID)
	h.fail(1, "device dev_ghost not found (not_found)", "devices", "move", orgID, doorCam, "dev_ghost", lobbyCam, "--to", root)
	if n := len(h.listDevices(orgID, "--folder", siteA)); n != 2 {
		t.Errorf("after a refused move: %d devices in Site A, want both still there", n)
	}
	r = h.ok("", "devices", "move", orgID, doorCam, lobbyCam, "--to", root)
	contains(t, "devices move several", r.out, "Moved 2 devices to Default.")
	if n := len(h.listDevices(orgID, "--folder", siteA)); n != 0 {
		t.Errorf("after moving both to the root: %d devices left in Site A", n)
	}

	// Actions answer with a command to follow.
	r = h.ok("", "devices", "reboot", orgID, lobbyCam)
	contains(t, "devices reboot", r.out, "Sent reboot to device "+lobbyCam+": command cmd_")
	contains(t, "devices reboot", r.stderr, "mysystems devices command "+orgID+" cmd_")
	r = h.ok("", "devices", "identify", orgID, lobbyCam, "--json")
	var c api.CommandJSON
	if err := json.Unmarshal([]byte(r.out), &c); err != nil || !strings.HasPrefix(c.ID, "cmd_") || c.Type != "identify" || c.State != "pending" {
		t.Fatalf("devices identify --json: got %q (%v)", r.out, err)
	}
	r = h.ok("", "devices", "command", orgID, c.ID)
	contains(t, "devices command", r.out, c.ID, "identify", lobbyCam, "pending", "not yet")
	h.fail(1, "(not_found)", "devices", "command", orgID, "cmd_nope")

	// Remove: explained and refused without confirmation, then done.
	r = h.fail(2, "refusing to remove device "+lobbyCam+" without confirmation: pass --yes", "devices", "remove", orgID, lobbyCam)
	contains(t, "devices remove refused", r.stderr, "claimed again with its OAK")
	r = h.interactive("n\n", "", "devices", "remove", orgID, lobbyCam)
	if r.code != 1 || !strings.Contains(r.stderr, `Device "Lobby cam"`) || !strings.Contains(r.stderr, "owner authentication key (OAK)") ||
		!strings.Contains(r.stderr, "cancelled") {
		t.Errorf("interactive remove answered no: exit %d, stderr %q", r.code, r.stderr)
	}
	h.ok("", "devices", "show", orgID, lobbyCam)
	r = h.ok("", "devices", "remove", orgID, lobbyCam, "--yes")
	contains(t, "devices remove", r.out, "Removed device "+lobbyCam)
	h.fail(1, "(not_found)", "devices", "show", orgID, lobbyCam)
	// It comes back only with its OAK, as a new device.
	if again := h.claim(orgID, ms[1]); again == lobbyCam {
		t.Errorf("claimed again with the same id %s, want a new one", again)
	}
	r = h.interactive("y\n", "", "devices", "remove", orgID, doorCam)
	if r.code != 0 || !strings.Contains(r.out, "Removed device "+doorCam) {
		t.Errorf("interactive remove answered yes: exit %d, stdout %q, stderr %q", r.code, r.out, r.stderr)
	}

	// A viewer sees, but does not manage.
	bob := h.join(orgID, "bob@example.com", "Bob", root)
	if n := len(bob.listDevices(orgID)); n != 1 {
		t.Errorf("a viewer of the root sees %d devices, want 1", n)
	}
	bob.fail(1, "(forbidden)", "devices", "claim", orgID, ms[2].Serial, "--oak", ms[2].OAK)
}

func TestDevicesImport(t *testing.T) {
	h, orgID := withOrg(t)
	siteA := h.createFolder(orgID, "Site A", "")
	lobby := h.createFolder(orgID, "Lobby", siteA)
	ms := h.mint(5)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	good := write("good.csv", "serial,oak,folder\n"+
		ms[0].Serial+","+ms[0].OAK+",Site A/Lobby\n"+
		strings.ToLower(ms[1].Serial)+","+ms[1].OAK+",\n")
	r := h.ok("", "devices", "import", orgID, good)
	contains(t, "devices import", r.out, "Claimed 2 devices from "+good+".")
	if ds := h.listDevices(orgID, "--folder", lobby); len(ds) != 1 || ds[0].Serial != ms[0].Serial {
		t.Errorf("after the import, Lobby holds %+v, want %s", ds, ms[0].Serial)
	}

	// All or nothing: each wrong line is reported, no device is claimed.
	bad := write("bad.csv", ms[2].Serial+","+ms[2].OAK+",Site A\n"+
		ms[3].Serial+","+ms[4].OAK+"\n"+
		ms[4].Serial+","+ms[4].OAK+",Nowhere\n"+
		ms[0].Serial+","+ms[0].OAK+"\n")
	r = h.fail(1, "error: no device was claimed (invalid): 3 of 4 lines have errors:\n", "devices", "import", orgID, bad)
	contains(t, "refused import", r.stderr,
		"\n  line 2 ("+ms[3].Serial+"): the serial number and owner authentication key (OAK) do not match",
		"\n  line 3 ("+ms[4].Serial+`): folder "Nowhere" not found`,
		"\n  line 4 ("+ms[0].Serial+"): device "+ms[0].Serial+" is already in this organization")
	if strings.Contains(r.stderr, "line 1 ") {
		t.Errorf("refused import reports the good line 1: %q", r.stderr)
	}
	if n := len(h.listDevices(orgID)); n != 2 {
		t.Errorf("after a refused import: %d devices, want still 2", n)
	}

	// Errors without a per-line report also say nothing was claimed.
	h.fail(1, "error: no device was claimed: line 1: expected serial,oak,folder path", "devices", "import", orgID, write("cols.csv", "a,b,c,d\n"))
	h.fail(1, "error: no device was claimed: the CSV holds no device lines", "devices", "import", orgID, write("empty.csv", "serial,oak,folder\n"))
	h.fail(1, "no such file", "devices", "import", orgID, filepath.Join(dir, "missing.csv"))
	h.fail(1, "(not_found)", "devices", "import", "org_nope", good)

	// From stdin, as JSON.
	r = h.ok(ms[2].Serial+","+ms[2].OAK+",Site A\n", "devices", "import", orgID, "-", "--json")
	var p struct{ Items []api.DeviceJSON }
	if err := json.Unmarshal([]byte(r.out), &p); err != nil || len(p.Items) != 1 || p.Items[0].FolderID != siteA {
		t.Errorf("devices import - --json: got %q (%v)", r.out, err)
	}
}

// fastPolling makes --wait read command states more often during a test.
func fastPolling(t *testing.T) {
	old := commandPollEvery
	commandPollEvery = 50 * time.Millisecond
	t.Cleanup(func() { commandPollEvery = old })
}

func TestDevicesWait(t *testing.T) {
	fastPolling(t)
	h, orgID := withOrg(t)
	ms := h.mint(2)
	dev := h.device(ms[0])
	dev.Hello()
	id := h.claim(orgID, ms[0])
	dev.Fail(proto.CmdIdentify, "the LED is broken")
	dev.Serve()

	r := h.ok("", "devices", "reboot", orgID, id, "--wait")
	got := lines(r.out)
	if len(got) < 2 || !strings.HasPrefix(got[0], "Sent reboot to device "+id+": command cmd_") || got[len(got)-1] != "  applied: rebooting" {
		t.Errorf("devices reboot --wait: got\n%s", r.out)
	}
	r = h.fail(1, "error: the device could not apply identify (command cmd_", "devices", "identify", orgID, id, "--wait")
	contains(t, "devices identify --wait failing", r.stderr, "): the LED is broken\n")
	contains(t, "devices identify --wait failing", r.out, "  failed: the LED is broken")
	words := strings.Fields(lines(r.out)[0])
	cmdID := strings.TrimSuffix(words[len(words)-1], ".")
	h.fail(1, "the LED is broken", "devices", "command", orgID, cmdID, "--wait")
	r = h.ok("", "devices", "command", orgID, cmdID)
	contains(t, "devices command of a failed command", r.out, "failed", "the LED is broken")

	r = h.ok("", "devices", "reboot", orgID, id, "--wait", "--json")
	var c api.CommandJSON
	if err := json.Unmarshal([]byte(r.out), &c); err != nil || c.State != "applied" || c.DoneAt == nil {
		t.Errorf("devices reboot --wait --json: got %q (%v), want the applied command alone", r.out, err)
	}

	// Accounts: as reported, then changed through commands.
	r = h.ok("", "devices", "accounts", "list", orgID, id)
	contains(t, "devices accounts list", r.out, "USERNAME", "root", "administrator", "acs-service")
	for _, l := range lines(r.out) {
		if strings.HasPrefix(l, "acs-service ") && !strings.HasSuffix(l, " yes") {
			t.Errorf("devices accounts list: the service account's line is %q", l)
		}
	}
	const pw = "Tulip-Garden-17"
	h.env["MYSYSTEMS_PASSWORD"] = "the portal password" // never a device's
	h.fail(2, "no password: stdin is not a terminal; pass --password-stdin", "devices", "accounts", "create", orgID, id, "alice", "--role", "operator")
	h.fail(2, "--role is required", "devices", "accounts", "create", orgID, id, "alice", "--password-stdin")
	if r = h.run(pw+"\n", "devices", "accounts", "create", orgID, id, "alice", "--role", "emperor", "--password-stdin"); r.code != 1 ||
		!strings.Contains(r.stderr, "role must be administrator, operator or viewer (invalid)") {
		t.Errorf("accounts create with a wrong role: exit %d, stderr %q", r.code, r.stderr)
	}
	r = h.ok(pw+"\n", "devices", "accounts", "create", orgID, id, "alice", "--role", "operator", "--password-stdin", "--wait")
	contains(t, "devices accounts create --wait", r.out, "Sent the creation of account alice (operator) to device "+id+": command cmd_", "  applied")
	if strings.Contains(r.out+r.stderr, pw) {
		t.Errorf("devices accounts create printed the password: %q %q", r.out, r.stderr)
	}
	if !dev.CheckPassword("alice", pw) {
		t.Errorf("the device did not receive the password %q", pw)
	}
	r = h.ok("", "devices", "accounts", "list", orgID, id)
	contains(t, "devices accounts list after create", r.out, "alice", "operator")
	if r = h.run(pw+"\n", "devices", "accounts", "create", orgID, id, "alice", "--role", "viewer", "--password-stdin"); r.code != 1 ||
		!strings.Contains(r.stderr, "already has an account named alice (conflict)") {
		t.Errorf("accounts create of an existing account: exit %d, stderr %q", r.code, r.stderr)
	}

	// On a terminal the password is asked twice, without echo.
	r = h.interactive("", "Other-Pass-99", "devices", "accounts", "passwd", orgID, id, "alice", "--wait")
	if r.code != 0 || !strings.Contains(r.out, "applied") || strings.Count(r.stderr, "Password for alice on the device: ") != 1 ||
		!strings.Contains(r.stderr, "Repeat the password: ") || strings.Contains(r.out+r.stderr, "Other-Pass-99") {
		t.Errorf("interactive passwd: exit %d, stdout %q, stderr %q", r.code, r.out, r.stderr)
	}
	if !dev.CheckPassword("alice", "Other-Pass-99") {
		t.Errorf("after passwd the device does not have the new password")
	}
	if r = h.run(pw+"\n", "devices", "accounts", "passwd", orgID, id, "acs-service", "--password-stdin"); r.code != 1 ||
		!strings.Contains(r.stderr, "service account") {
		t.Errorf("passwd of a service account: exit %d, stderr %q", r.code, r.stderr)
	}
	h.ok("x\n", "devices", "accounts", "passwd", orgID, id, "alice", "--password-stdin")

	h.fail(2, "refusing to delete account alice of device "+id+" without confirmation: pass --yes", "devices", "accounts", "delete", orgID, id, "alice")
	h.fail(1, "the root account cannot be deleted (conflict)", "devices", "accounts", "delete", orgID, id, "root", "--yes")
	r = h.ok("", "devices", "accounts", "delete", orgID, id, "alice", "--yes", "--wait")
	contains(t, "devices accounts delete --wait", r.out, "Sent the deletion of account alice", "  applied")
	if r = h.ok("", "devices", "accounts", "list", orgID, id); strings.Contains(r.out, "alice") {
		t.Errorf("devices accounts list after delete: got\n%s", r.out)
	}

	// A device that does not answer: --wait gives up after --timeout.
	h.device(ms[1]).Hello()
	silent := h.claim(orgID, ms[1])
	start := time.Now()
	r = h.fail(1, "gave up after 300ms: command cmd_", "devices", "reboot", orgID, silent, "--wait", "--timeout", "300ms")
	contains(t, "devices reboot --wait on a silent device", r.stderr, "is still pending")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("--timeout 300ms took %s", d)
	}
	h.fail(2, "--timeout must be positive", "devices", "reboot", orgID, silent, "--wait", "--timeout", "0s")
}

func TestDevicesUsage(t *testing.T) {
	h := newHarness(t)
	h.signedIn()
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"devices"}, 2, "devices: say which: list | claim"},
		{[]string{"devices", "frob"}, 2, `devices: unknown command "frob"`},
		{[]string{"devices", "accounts"}, 2, "devices accounts: say which: list | create | passwd | delete"},
		{[]string{"devices", "accounts", "frob"}, 2, `devices accounts: unknown command "frob"`},
		{[]string{"devices", "list"}, 2, "usage: mysystems devices list ORG"},
		{[]string{"devices", "show", "org_x"}, 2, "missing argument"},
		{[]string{"devices", "move", "org_x", "--to", "fld_x"}, 2, "missing argument"},
		{[]string{"devices", "list", "org_nope"}, 1, "(not_found)"},
		{[]string{"devices", "reboot", "org_x", "dev_x", "extra"}, 2, `unexpected argument "extra"`},
	} {
		r := h.run("", tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
	for _, args := range [][]string{{"devices", "-h"}, {"devices", "accounts", "-h"}, {"devices", "accounts", "create", "-h"}, {"devices", "list", "--help"}} {
		r := h.run("", args...)
		if r.code != 0 || !strings.Contains(r.out, "usage") || r.stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.out, r.stderr)
		}
	}
}
