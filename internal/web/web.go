// Package web serves the server-rendered web UI (html/template, embedded
// assets, English and French).
//
// Every page authenticates its session cookie against the store, every
// organization page enters the organization through org.Service.Enter, and
// every state change is a POST carrying a double-submit CSRF token, on top of
// the cross-origin protection that httpapi.Wrap applies to the whole server.
package web

import (
	"log/slog"
	"net/http"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/acs"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/license"
	"mysystems/internal/org"
	"mysystems/internal/upgrade"
)

// Deps are what the UI needs.
type Deps struct {
	Accounts      *account.Service
	Orgs          *org.Service
	Fleet         *fleet.Service
	ACS           *acs.Service
	Firmware      *firmware.Service
	Upgrades      *upgrade.Service
	Licenses      *license.Service
	Audit         *audit.Service
	Clock         clock.Clock
	Log           *slog.Logger
	SecureCookies bool
	TrustProxy    bool
	SessionTTL    time.Duration
}

// UI is the web UI.
type UI struct {
	d     Deps
	pages map[string]map[string]*pageTemplate // lang → page name → template
	// assetVersion changes with the embedded static files, so their URLs can
	// be cached by browsers without ever serving a stale stylesheet.
	assetVersion string
}

// New returns the UI. It panics if the embedded templates do not parse: that
// is a programming error caught by every test.
func New(d Deps) *UI {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	u := &UI{d: d}
	var err error
	if u.pages, err = parsePages(); err != nil {
		panic(err)
	}
	u.assetVersion = assetVersion()
	return u
}

// Register mounts the UI's pages on mux.
func (u *UI) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", u.static())

	mux.Handle("GET /{$}", u.private(u.home))
	mux.Handle("GET /register", u.public(u.registerForm))
	mux.Handle("POST /register", u.public(u.register))
	mux.Handle("GET /login", u.public(u.loginForm))
	mux.Handle("POST /login", u.public(u.login))
	mux.Handle("POST /logout", u.public(u.logout))
	mux.Handle("POST /lang", u.public(u.setLang))

	mux.Handle("GET /login/mfa", u.public(u.mfaLoginForm))
	mux.Handle("POST /login/mfa", u.public(u.mfaLogin))

	mux.Handle("GET /account/security", u.account(u.security))
	mux.Handle("POST /account/security/totp", u.account(u.startTOTP))
	mux.Handle("POST /account/security/totp/confirm", u.account(u.confirmTOTP))
	mux.Handle("POST /account/security/email", u.account(u.startEmailMFA))
	mux.Handle("POST /account/security/email/confirm", u.account(u.confirmEmailMFA))
	mux.Handle("POST /account/security/code", u.account(u.sendMFACode))
	mux.Handle("POST /account/security/disable", u.account(u.disableMFA))
	mux.Handle("POST /account/security/recovery", u.account(u.regenerateRecovery))

	mux.Handle("GET /account/tokens", u.account(u.tokens))
	mux.Handle("POST /account/tokens", u.account(u.createToken))
	mux.Handle("GET /account/tokens/{id}/revoke", u.account(u.revokeTokenForm))
	mux.Handle("POST /account/tokens/{id}/revoke", u.account(u.revokeToken))

	mux.Handle("GET /orgs/new", u.account(u.newOrgForm))
	mux.Handle("POST /orgs/new", u.account(u.createOrg))
	mux.Handle("GET /orgs/{org}", u.inOrg(u.orgIndex))
	mux.Handle("GET /orgs/{org}/settings", u.inOrg(u.settings))
	mux.Handle("POST /orgs/{org}/settings", u.inOrg(u.saveSettings))
	mux.Handle("GET /orgs/{org}/archive", u.inOrg(u.archiveForm))
	mux.Handle("POST /orgs/{org}/archive", u.inOrg(u.archive))
	mux.Handle("GET /orgs/{org}/audit", u.inOrg(u.auditLog))
	mux.Handle("GET /orgs/{org}/audit/export.csv", u.inOrg(u.auditCSV))
	mux.Handle("POST /orgs/{org}/settings/mfa", u.inOrg(u.saveRequireMFA))

	mux.Handle("GET /orgs/{org}/folders", u.inOrg(u.folderList))
	mux.Handle("POST /orgs/{org}/folders", u.inOrg(u.createFolder))
	mux.Handle("GET /orgs/{org}/folders/{id}/create", u.inOrg(u.createSubFolderForm))
	mux.Handle("POST /orgs/{org}/folders/{id}/create", u.inOrg(u.createSubFolder))
	mux.Handle("GET /orgs/{org}/folders/{id}/rename", u.inOrg(u.renameFolderForm))
	mux.Handle("POST /orgs/{org}/folders/{id}/rename", u.inOrg(u.renameFolder))
	mux.Handle("GET /orgs/{org}/folders/{id}/move", u.inOrg(u.moveFolderForm))
	mux.Handle("POST /orgs/{org}/folders/{id}/move", u.inOrg(u.moveFolder))
	mux.Handle("GET /orgs/{org}/folders/{id}/delete", u.inOrg(u.deleteFolderForm))
	mux.Handle("POST /orgs/{org}/folders/{id}/delete", u.inOrg(u.deleteFolder))

	mux.Handle("GET /orgs/{org}/devices", u.inOrg(u.deviceList))
	mux.Handle("GET /orgs/{org}/devices/export.csv", u.inOrg(u.devicesCSV))
	mux.Handle("GET /orgs/{org}/devices/add", u.inOrg(u.addDeviceForm))
	mux.Handle("POST /orgs/{org}/devices/add", u.inOrg(u.addDevice))
	mux.Handle("GET /orgs/{org}/devices/import", u.inOrg(u.importForm))
	mux.Handle("POST /orgs/{org}/devices/import", u.inOrg(u.importDevices))
	mux.Handle("GET /orgs/{org}/devices/move", u.inOrg(u.bulkMoveForm))
	mux.Handle("POST /orgs/{org}/devices/move", u.inOrg(u.bulkMove))
	mux.Handle("GET /orgs/{org}/devices/{id}", u.inOrg(u.devicePage))
	mux.Handle("POST /orgs/{org}/devices/{id}/actions", u.inOrg(u.deviceAction))
	mux.Handle("GET /orgs/{org}/devices/{id}/reboot", u.inOrg(u.rebootForm))
	mux.Handle("POST /orgs/{org}/devices/{id}/reboot", u.inOrg(u.reboot))
	mux.Handle("GET /orgs/{org}/devices/{id}/rename", u.inOrg(u.renameDeviceForm))
	mux.Handle("POST /orgs/{org}/devices/{id}/rename", u.inOrg(u.renameDevice))
	mux.Handle("GET /orgs/{org}/devices/{id}/move", u.inOrg(u.moveDeviceForm))
	mux.Handle("POST /orgs/{org}/devices/{id}/move", u.inOrg(u.moveDevice))
	mux.Handle("GET /orgs/{org}/devices/{id}/remove", u.inOrg(u.removeDeviceForm))
	mux.Handle("POST /orgs/{org}/devices/{id}/remove", u.inOrg(u.removeDevice))
	mux.Handle("GET /orgs/{org}/devices/{id}/accounts", u.inOrg(u.deviceAccounts))
	mux.Handle("GET /orgs/{org}/devices/{id}/accounts/new", u.inOrg(u.newAccountForm))
	mux.Handle("POST /orgs/{org}/devices/{id}/accounts/new", u.inOrg(u.createAccount))
	mux.Handle("GET /orgs/{org}/devices/{id}/accounts/{username}/password", u.inOrg(u.passwordForm))
	mux.Handle("POST /orgs/{org}/devices/{id}/accounts/{username}/password", u.inOrg(u.changePassword))
	mux.Handle("GET /orgs/{org}/devices/{id}/accounts/{username}/delete", u.inOrg(u.deleteAccountForm))
	mux.Handle("POST /orgs/{org}/devices/{id}/accounts/{username}/delete", u.inOrg(u.deleteAccount))
	mux.Handle("GET /orgs/{org}/commands/{file}", u.inOrg(u.commandState))

	mux.Handle("GET /orgs/{org}/upgrades", u.inOrg(u.upgradesView))
	mux.Handle("GET /orgs/{org}/upgrades/new", u.inOrg(u.upgradeNewForm))
	mux.Handle("POST /orgs/{org}/upgrades/new", u.inOrg(u.upgradeStart))
	mux.Handle("GET /orgs/{org}/upgrade-schedule", u.inOrg(u.scheduleForm))
	mux.Handle("POST /orgs/{org}/upgrade-schedule", u.inOrg(u.applySchedule))
	mux.Handle("GET /orgs/{org}/upgrade-schedule/next", u.inOrg(u.windowNext))
	mux.Handle("GET /orgs/{org}/tasks", u.inOrg(u.taskList))
	mux.Handle("GET /orgs/{org}/tasks/progress", u.inOrg(u.tasksJSON))
	mux.Handle("GET /orgs/{org}/tasks/export.csv", u.inOrg(u.tasksCSV))
	mux.Handle("GET /orgs/{org}/tasks/{id}/cancel", u.inOrg(u.cancelTaskForm))
	mux.Handle("POST /orgs/{org}/tasks/{id}/cancel", u.inOrg(u.cancelTask))
	mux.Handle("GET /orgs/{org}/tasks/{id}/retry", u.inOrg(u.retryTaskForm))
	mux.Handle("POST /orgs/{org}/tasks/{id}/retry", u.inOrg(u.retryTask))
	mux.Handle("GET /orgs/{org}/upgrade-limits", u.inOrg(u.limitsForm))
	mux.Handle("POST /orgs/{org}/upgrade-limits", u.inOrg(u.saveLimits))

	mux.Handle("GET /orgs/{org}/rollouts", u.inOrg(u.rolloutList))
	mux.Handle("GET /orgs/{org}/rollouts/{id}", u.inOrg(u.rolloutPage))
	mux.Handle("GET /orgs/{org}/rollouts/{id}/progress", u.inOrg(u.rolloutProgress))
	mux.Handle("POST /orgs/{org}/rollouts/{id}/pause", u.inOrg(u.rolloutAct("pause")))
	mux.Handle("POST /orgs/{org}/rollouts/{id}/resume", u.inOrg(u.rolloutAct("resume")))
	mux.Handle("GET /orgs/{org}/rollouts/{id}/abort", u.inOrg(u.abortRolloutForm))
	mux.Handle("POST /orgs/{org}/rollouts/{id}/abort", u.inOrg(u.abortRollout))

	mux.Handle("GET /orgs/{org}/users", u.inOrg(u.users))
	mux.Handle("GET /orgs/{org}/users/remove", u.inOrg(u.removeForm))
	mux.Handle("POST /orgs/{org}/users/remove", u.inOrg(u.removeUsers))
	mux.Handle("GET /orgs/{org}/users/invite", u.inOrg(u.inviteForm))
	mux.Handle("POST /orgs/{org}/users/invite", u.inOrg(u.invite))
	mux.Handle("GET /orgs/{org}/users/{user}/access", u.inOrg(u.accessForm))
	mux.Handle("POST /orgs/{org}/users/{user}/access", u.inOrg(u.saveAccess))
	mux.Handle("GET /orgs/{org}/invitations/{id}/revoke", u.inOrg(u.revokeInvitationForm))
	mux.Handle("POST /orgs/{org}/invitations/{id}/revoke", u.inOrg(u.revokeInvitation))

	mux.Handle("GET /orgs/{org}/servers", u.inOrg(u.serverList))
	mux.Handle("GET /orgs/{org}/servers/enrol", u.inOrg(u.enrolForm))
	mux.Handle("POST /orgs/{org}/servers/enrol", u.inOrg(u.enrol))
	mux.Handle("GET /orgs/{org}/servers/{id}", u.inOrg(u.serverPage))
	mux.Handle("POST /orgs/{org}/servers/{id}/alerts", u.inOrg(u.saveAlerts))
	mux.Handle("GET /orgs/{org}/servers/{id}/upgrade", u.inOrg(u.upgradeServerForm))
	mux.Handle("POST /orgs/{org}/servers/{id}/upgrade", u.inOrg(u.upgradeServer))
	mux.Handle("GET /orgs/{org}/servers/{id}/cancel", u.inOrg(u.cancelUpgradeForm))
	mux.Handle("POST /orgs/{org}/servers/{id}/cancel", u.inOrg(u.cancelUpgrade))

	mux.Handle("GET /orgs/{org}/products", u.inOrg(u.products))
	mux.Handle("GET /orgs/{org}/products/{product}", u.inOrg(u.productOverview))
	mux.Handle("GET /orgs/{org}/products/{product}/wallet", u.inOrg(u.productWallet))
	mux.Handle("POST /orgs/{org}/products/{product}/wallet", u.inOrg(u.convertKey))
	mux.Handle("GET /orgs/{org}/products/{product}/start", u.inOrg(u.startForm))
	mux.Handle("POST /orgs/{org}/products/{product}/start", u.inOrg(u.startSubscription))
	mux.Handle("GET /orgs/{org}/products/{product}/license", u.inOrg(u.productLicense))
	mux.Handle("GET /orgs/{org}/products/{product}/license/allocate", u.inOrg(u.allocationSummary))
	mux.Handle("POST /orgs/{org}/products/{product}/license/allocate", u.inOrg(u.allocate))
	mux.Handle("GET /orgs/{org}/license-history", u.inOrg(u.licenseHistory))
	mux.Handle("GET /orgs/{org}/license-history/export.csv", u.inOrg(u.licenseHistoryCSV))

	mux.Handle("GET /invitations/accept", u.public(u.acceptForm))
	mux.Handle("POST /invitations/accept", u.private(u.accept))

	// Anything else that no other part of the server claims is a page that
	// does not exist, answered in the UI's own frame.
	mux.Handle("/", u.public(func(c *call) { c.notFound() }))
}
