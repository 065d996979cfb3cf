// Package access holds the roles of SPEC §3 and the permission matrix: a pure
// function that answers whether a member with a role may perform an action.
// Folder scoping (ACC-1) is decided by the caller with Sees, from the member's
// grants and the folder's ancestry.
package access

import (
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// Role is a member's role in one organization.
type Role string

// The roles, from most to least powerful.
const (
	Owner    Role = "owner"
	Admin    Role = "admin"
	Operator Role = "operator"
	Viewer   Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{Owner, Admin, Operator, Viewer}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch Role(s) {
	case Owner, Admin, Operator, Viewer:
		return Role(s), nil
	}
	return "", errs.InvalidField("role", "err.access.role")
}

// Rank orders roles: higher is more powerful.
func (r Role) Rank() int {
	switch r {
	case Owner:
		return 4
	case Admin:
		return 3
	case Operator:
		return 2
	case Viewer:
		return 1
	}
	return 0
}

// SeesAllFolders reports whether the role sees every folder regardless of
// grants (ACC-1).
func (r Role) SeesAllFolders() bool { return r == Owner || r == Admin }

// Action is something a member may want to do in an organization.
type Action string

// The actions of the SPEC §3 table.
const (
	ViewMembers      Action = "members.view"
	ViewDevices      Action = "devices.view"
	ControlDevices   Action = "devices.control"
	AccessRecordings Action = "recordings.access"
	ManageServers    Action = "servers.monitor"
	ManageMembers    Action = "members.manage"
	ManageFleet      Action = "fleet.manage" // folders, onboarding, removing devices, device local accounts
	ManageUpgrades   Action = "upgrades.manage"
	ViewLicenses     Action = "licenses.view"   // products, status, wallet, history (LIC)
	ManageLicenses   Action = "licenses.manage" // redeem keys, start subscriptions, allocate (LIC)
	EditOrg          Action = "org.edit"
	ViewAudit        Action = "audit.view"
	OwnerOnly        Action = "org.owner" // make Owners, archive organization, require MFA
)

// Actions lists every action (for table tests and documentation).
var Actions = []Action{ViewMembers, ViewDevices, ControlDevices, AccessRecordings, ManageServers,
	ManageMembers, ManageFleet, ManageUpgrades, ViewLicenses, ManageLicenses, EditOrg, ViewAudit, OwnerOnly}

// minRole is the least powerful role allowed each action.
var minRole = map[Action]Role{
	ViewMembers:      Viewer,
	ViewDevices:      Viewer,
	ControlDevices:   Operator,
	AccessRecordings: Operator,
	ManageServers:    Operator,
	ManageMembers:    Admin,
	ManageFleet:      Admin,
	ManageUpgrades:   Admin,
	ViewLicenses:     Viewer,
	ManageLicenses:   Admin, // the manual: Admins manage licenses
	EditOrg:          Admin,
	ViewAudit:        Admin, // AUD-1: Admins can read and export it
	OwnerOnly:        Owner,
}

// Allows reports whether role may perform action (ignoring folder scope).
func Allows(role Role, action Action) bool {
	min, ok := minRole[action]
	if !ok {
		return false
	}
	return role.Rank() >= min.Rank() && role.Rank() > 0
}

// Check is Allows as an error: Forbidden with a message naming the role
// needed. Use it only where the target's existence is not a secret (the
// caller is a member of the organization and the object is in its view).
func Check(role Role, action Action) error {
	if Allows(role, action) {
		return nil
	}
	return errs.E(errs.Forbidden, "err.access.forbidden", i18n.Key("err.role."+string(role)), i18n.Key("err.role."+string(minRole[action])))
}

// Sees reports whether a member with role and the granted folder ids sees a
// folder whose path from the root is ancestry (root first, the folder last).
// Owners and Admins see everything; others see a folder when it or one of its
// ancestors is granted (ACC-1).
func Sees(role Role, granted map[string]bool, ancestry []string) bool {
	if role.SeesAllFolders() {
		return true
	}
	for _, id := range ancestry {
		if granted[id] {
			return true
		}
	}
	return false
}
