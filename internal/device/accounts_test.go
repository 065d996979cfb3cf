package device

import (
	"testing"

	"mysystems/internal/errs"
)

// DEV-6: one account command is checked by the rule of its operation, the
// same on the portal and on a device.
func TestDEV6_CheckAccountChange(t *testing.T) {
	accts := []Account{{Username: RootAccount, Role: RoleAdministrator}, {Username: "ops", Role: RoleOperator}}
	cases := []struct {
		name, op, user, role, password string
		want                           errs.Code
	}{
		{"OK/create", CmdAccountCreate, "guard", RoleViewer, "pw", ""},
		{"ErrConflict/create existing", CmdAccountCreate, "ops", RoleViewer, "pw", errs.Conflict},
		{"OK/password", CmdAccountPassword, "ops", "", "new", ""},
		{"ErrInvalid/password empty", CmdAccountPassword, "ops", "", "", errs.Invalid},
		{"OK/delete", CmdAccountDelete, "ops", "", "", ""},
		{"ErrConflict/delete root", CmdAccountDelete, RootAccount, "", "", errs.Conflict},
		{"ErrInvalid/unknown operation", CmdReboot, "ops", "", "", errs.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := errs.CodeOf(CheckAccountChange(accts, c.op, c.user, c.role, c.password)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
