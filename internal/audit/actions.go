package audit

import (
	"slices"
	"strings"
)

// The action codes the product writes. Each has a label key
// ("audit.action.<code>") and a sentence (Describe) in the catalogues.
const (
	OrgCreate  = "org.create"
	OrgUpdate  = "org.update"
	OrgArchive = "org.archive"
	OrgRestore = "org.restore"

	FolderCreate = "folder.create"
	FolderUpdate = "folder.update"
	FolderDelete = "folder.delete"

	MemberUpdate     = "member.update"
	MemberRemove     = "member.remove"
	InvitationCreate = "invitation.create"
	InvitationRevoke = "invitation.revoke"
	InvitationAccept = "invitation.accept"

	DeviceClaim         = "device.claim"
	DeviceUpdate        = "device.update"
	DeviceRemove        = "device.remove"
	DeviceReboot        = "device.reboot"
	DeviceIdentify      = "device.identify"
	DeviceCommandResult = "device.command_result"

	DeviceAccountCreate   = "device.account.create"
	DeviceAccountPassword = "device.account.password"
	DeviceAccountDelete   = "device.account.delete"

	UpgradeStart        = "upgrade.start"
	UpgradeCancel       = "upgrade.cancel"
	UpgradeRetry        = "upgrade.retry"
	UpgradeSchedule     = "upgrade.schedule"
	UpgradeLimits       = "upgrade.limits"
	RolloutPause        = "rollout.pause"
	RolloutResume       = "rollout.resume"
	RolloutAbort        = "rollout.abort"
	ServerEnrollToken   = "server.enrollment_token"
	ServerEnroll        = "server.enroll"
	ServerUpdate        = "server.update"
	ServerUpgrade       = "server.upgrade"
	ServerUpgradeCancel = "server.upgrade_cancel"
	ServerUpgradeResult = "server.upgrade_result"

	// Licenses (SPEC §9).
	LicenseRedeem   = "license.redeem"
	LicenseStart    = "license.start"
	LicenseAllocate = "license.allocate"

	// A member's own sign-in, written in each of their organizations.
	AccountTokenCreate   = "account.token.create"
	AccountTokenRevoke   = "account.token.revoke"
	AccountMFAEnable     = "account.mfa.enable"
	AccountMFADisable    = "account.mfa.disable"
	AccountRecoveryCodes = "account.mfa.recovery_codes"
)

// Group is a set of actions a person filters the log by.
type Group struct {
	Name    string   // label key "audit.group.<Name>"
	Actions []string // its codes, in the order a list shows them
}

// Filter is the value of the action filter that selects the group: one
// prefix when the group is exactly the codes sharing it, else its codes.
func (g Group) Filter() string {
	prefix := g.Name + "."
	if all(g.Actions, func(a string) bool { return strings.HasPrefix(a, prefix) }) &&
		all(Actions(), func(a string) bool { return !strings.HasPrefix(a, prefix) || slices.Contains(g.Actions, a) }) {
		return prefix
	}
	return strings.Join(g.Actions, ",")
}

// Groups are the action groups of the log's filter; every code is in one.
var Groups = []Group{
	{"org", []string{OrgCreate, OrgUpdate, OrgArchive, OrgRestore}},
	{"folder", []string{FolderCreate, FolderUpdate, FolderDelete}},
	{"member", []string{MemberUpdate, MemberRemove, InvitationCreate, InvitationRevoke, InvitationAccept}},
	{"device", []string{DeviceClaim, DeviceUpdate, DeviceRemove, DeviceReboot, DeviceIdentify, DeviceCommandResult}},
	{"device.account", []string{DeviceAccountCreate, DeviceAccountPassword, DeviceAccountDelete}},
	{"upgrade", []string{UpgradeStart, UpgradeCancel, UpgradeRetry, UpgradeSchedule, UpgradeLimits}},
	{"rollout", []string{RolloutPause, RolloutResume, RolloutAbort}},
	{"server", []string{ServerEnrollToken, ServerEnroll, ServerUpdate, ServerUpgrade, ServerUpgradeCancel, ServerUpgradeResult}},
	{"license", []string{LicenseRedeem, LicenseStart, LicenseAllocate}},
	{"account", []string{AccountTokenCreate, AccountTokenRevoke, AccountMFAEnable, AccountMFADisable, AccountRecoveryCodes}},
}

// Actions returns every action code, group by group.
func Actions() []string {
	var out []string
	for _, g := range Groups {
		out = append(out, g.Actions...)
	}
	return out
}

func all(xs []string, ok func(string) bool) bool {
	for _, x := range xs {
		if !ok(x) {
			return false
		}
	}
	return true
}
