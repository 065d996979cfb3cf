package web

import (
	"strings"
	"testing"

	proto "mysystems/internal/device"
)

// TestDeviceKeysExist checks the catalogue keys that the device pages
// build at run time from command states and types and device account
// roles.
func TestDeviceKeysExist(t *testing.T) {
	var keys []string
	for _, s := range []string{proto.StatePending, proto.StateDelivered, proto.StateApplied, proto.StateFailed} {
		keys = append(keys, "command.state."+s)
	}
	for _, typ := range []string{proto.CmdReboot, proto.CmdIdentify, proto.CmdAccountCreate, proto.CmdAccountPassword, proto.CmdAccountDelete} {
		keys = append(keys, "command.what."+typ)
	}
	for _, r := range []string{proto.RoleAdministrator, proto.RoleOperator, proto.RoleViewer} {
		keys = append(keys, "devaccounts.role."+r)
	}
	for _, k := range keys {
		if !hasKey(k) {
			t.Errorf("no catalogue entry %q", k)
		}
	}
	// The account commands name their account; the others take no argument.
	for _, typ := range []string{proto.CmdAccountCreate, proto.CmdAccountPassword, proto.CmdAccountDelete} {
		for _, l := range langs {
			if got := translate(l, "command.what."+typ, "op1"); got == "" || !strings.Contains(got, "op1") {
				t.Errorf("%s %s: %q does not name the account", l, typ, got)
			}
		}
	}
}
