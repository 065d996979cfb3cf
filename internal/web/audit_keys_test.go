package web

import (
	"strings"
	"testing"

	"mysystems/internal/audit"
)

// auditSamples are entries of every action the product writes, with the
// details it records, in each shape a sentence takes.
func auditSamples() []audit.Entry {
	u := audit.Actor{Kind: audit.KindUser, ID: "usr_1", Email: "ann@example.com"}
	ft := func(a, b string) map[string]any { return map[string]any{"from": a, "to": b} }
	e := func(action, typ, id string, d map[string]any) audit.Entry {
		return audit.Entry{Actor: u, Action: action, TargetType: typ, TargetID: id, Details: d}
	}
	return []audit.Entry{
		e(audit.OrgCreate, "org", "org_1", map[string]any{"name": "Acme"}),
		e(audit.OrgUpdate, "org", "org_1", map[string]any{"name": ft("Old", "Acme")}),
		e(audit.OrgUpdate, "org", "org_1", map[string]any{"notes": true}),
		e(audit.OrgUpdate, "org", "org_1", map[string]any{"require_mfa": true}),
		e(audit.OrgUpdate, "org", "org_1", map[string]any{"require_mfa": false}),
		e(audit.OrgUpdate, "org", "org_1", map[string]any{"name": ft("Old", "Acme"), "notes": true, "require_mfa": true}),
		{Actor: audit.Actor{Kind: audit.KindVendor, ID: "plt_1", Email: "vendor:ops"}, Action: audit.OrgRestore, TargetType: "org", TargetID: "org_1"},
		e(audit.OrgArchive, "org", "org_1", nil),
		e(audit.FolderCreate, "folder", "fld_1", map[string]any{"name": "HQ", "path": "Default / HQ"}),
		e(audit.FolderUpdate, "folder", "fld_1", map[string]any{"name": ft("A", "B")}),
		e(audit.FolderUpdate, "folder", "fld_1", map[string]any{"parent": ft("Default", "Default / X")}),
		e(audit.FolderUpdate, "folder", "fld_1", map[string]any{"name": ft("A", "B"), "parent": ft("Default", "Default / X")}),
		e(audit.FolderDelete, "folder", "fld_gone", map[string]any{"path": "Default / Old"}),
		e(audit.MemberUpdate, "user", "usr_2", map[string]any{"role": ft("viewer", "operator")}),
		e(audit.MemberUpdate, "user", "usr_2", map[string]any{"folders": []any{"fld_1"}}),
		e(audit.MemberUpdate, "user", "usr_2", map[string]any{"role": ft("viewer", "admin"), "folders": []any{}}),
		e(audit.MemberRemove, "user", "usr_gone", map[string]any{"role": "viewer"}),
		e(audit.InvitationCreate, "invitation", "inv_1", map[string]any{"email": "bob@example.com", "role": "viewer", "folders": []any{"fld_1"}}),
		e(audit.InvitationRevoke, "invitation", "inv_1", map[string]any{"email": "bob@example.com"}),
		e(audit.InvitationAccept, "invitation", "inv_1", map[string]any{"role": "viewer", "folders": []any{"fld_1"}}),
		e(audit.DeviceClaim, "device", "dev_1", map[string]any{"serial": "S1", "model": "AXIS M", "folder": "Default"}),
		e(audit.DeviceUpdate, "device", "dev_1", map[string]any{"name": ft("S1", "Lobby cam 1")}),
		e(audit.DeviceUpdate, "device", "dev_1", map[string]any{"folder": ft("Default", "Default / HQ")}),
		e(audit.DeviceUpdate, "device", "dev_1", map[string]any{"name": ft("S1", "Lobby"), "folder": ft("Default", "Default / HQ")}),
		e(audit.DeviceRemove, "device", "dev_gone", map[string]any{"serial": "S2", "model": "AXIS M", "name": "Old"}),
		e(audit.DeviceReboot, "device", "dev_1", map[string]any{"command": "cmd_1"}),
		e(audit.DeviceIdentify, "device", "dev_1", map[string]any{"command": "cmd_1"}),
		e(audit.DeviceAccountCreate, "device", "dev_1", map[string]any{"command": "cmd_1", "username": "op1", "role": "operator"}),
		e(audit.DeviceAccountPassword, "device", "dev_1", map[string]any{"command": "cmd_1", "username": "op1"}),
		e(audit.DeviceAccountDelete, "device", "dev_1", map[string]any{"command": "cmd_1", "username": "op1"}),
		{Actor: audit.Actor{Kind: audit.KindSystem, ID: "device:S1"}, Action: audit.DeviceCommandResult, TargetType: "device", TargetID: "dev_1",
			Details: map[string]any{"command": "cmd_1", "type": "reboot", "state": "applied", "result": "rebooting"}},
		{Actor: audit.Actor{Kind: audit.KindSystem, ID: "device:S1"}, Action: audit.DeviceCommandResult, TargetType: "device", TargetID: "dev_1",
			Details: map[string]any{"command": "cmd_1", "type": "account.create", "state": "failed"}},
		{Actor: audit.Actor{Kind: audit.KindSystem, ID: "device:S1"}, Action: audit.DeviceCommandResult, TargetType: "device", TargetID: "dev_1",
			Details: map[string]any{"command": "cmd_1", "type": "firmware.upgrade", "state": "applied"}},
		e(audit.UpgradeStart, "device", "dev_1", map[string]any{"tasks": float64(1), "skipped": float64(0), "version": "12.2.35"}),
		e(audit.UpgradeStart, "org", "org_1", map[string]any{"tasks": float64(40), "skipped": float64(2), "model": "AXIS M"}),
		e(audit.UpgradeCancel, "device", "dev_1", map[string]any{"task": "upg_1", "version": "12.2.35"}),
		e(audit.UpgradeRetry, "device", "dev_1", map[string]any{"task": "upg_2", "retry_of": "upg_1", "version": "12.2.35"}),
		e(audit.UpgradeSchedule, "org", "org_1", map[string]any{"devices": float64(3), "mode": "window", "window": "mon-fri 22:00 3h Europe/Paris"}),
		e(audit.UpgradeSchedule, "org", "org_1", map[string]any{"devices": float64(1), "mode": "asap"}),
		e(audit.UpgradeSchedule, "org", "org_1", map[string]any{"devices": float64(1), "mode": "none"}),
		e(audit.UpgradeLimits, "org", "org_1", map[string]any{"max_concurrent": float64(200), "max_per_site": float64(20)}),
		e(audit.RolloutPause, "org", "org_1", map[string]any{"rollout": "rol_1"}),
		e(audit.RolloutResume, "org", "org_1", map[string]any{"rollout": "rol_1"}),
		e(audit.RolloutAbort, "org", "org_1", map[string]any{"rollout": "rol_1"}),
		e(audit.ServerEnrollToken, "org", "org_1", map[string]any{"expires_at": "2026-03-02T09:00:00Z"}),
		{Actor: audit.Actor{Kind: audit.KindSystem, ID: "server:srv_1"}, Action: audit.ServerEnroll, TargetType: "server", TargetID: "srv_1",
			Details: map[string]any{"name": "Site A", "version": "6.3.1"}},
		e(audit.ServerUpdate, "server", "srv_1", map[string]any{"name": "Site A", "alert_offline": true, "alert_online": false, "recipients": "noc@example.com"}),
		e(audit.ServerUpdate, "server", "srv_gone", map[string]any{"name": "Site B", "alert_offline": true, "alert_online": true, "recipients": ""}),
		e(audit.ServerUpgrade, "server", "srv_1", map[string]any{"name": "Site A", "from": "6.3.1", "to": "6.5.2"}),
		e(audit.ServerUpgradeCancel, "server", "srv_1", map[string]any{"name": "Site A", "to": "6.5.2"}),
		{Actor: audit.Actor{Kind: audit.KindSystem, ID: "server:srv_1"}, Action: audit.ServerUpgradeResult, TargetType: "server", TargetID: "srv_1",
			Details: map[string]any{"name": "Site A", "from": "6.3.1", "to": "6.5.2", "state": "succeeded", "new_version": "6.5.2"}},
		{Actor: audit.Actor{Kind: audit.KindSystem, ID: "server:srv_1"}, Action: audit.ServerUpgradeResult, TargetType: "server", TargetID: "srv_1",
			Details: map[string]any{"name": "Site A", "from": "6.3.1", "to": "6.5.2", "state": "failed", "new_version": "6.3.1", "reason": "code 1603"}},
		e(audit.AccountTokenCreate, "user", "usr_1", map[string]any{"token": "tok_1", "name": "nightly export", "expires_at": "2026-06-01T00:00:00Z"}),
		e(audit.AccountTokenRevoke, "user", "usr_1", map[string]any{"token": "tok_1", "name": "nightly export"}),
		e(audit.AccountMFAEnable, "user", "usr_1", map[string]any{"method": "totp"}),
		e(audit.AccountMFAEnable, "user", "usr_1", map[string]any{"method": "email"}),
		e(audit.AccountMFADisable, "user", "usr_1", map[string]any{"method": "totp"}),
		e(audit.AccountRecoveryCodes, "user", "usr_1", nil),
		e(audit.LicenseRedeem, "product", "acs-edge", map[string]any{"name": "AXIS Camera Station Edge", "quantity": float64(25),
			"lot": "lot_1", "key_end": "QCSVP", "expires_on": "2031-03-01"}),
		e(audit.LicenseRedeem, "product", "acs-edge", map[string]any{"name": "AXIS Camera Station Edge", "quantity": float64(1)}),
		e(audit.LicenseStart, "product", "acs-edge", map[string]any{"name": "AXIS Camera Station Edge", "trial_ends": "2036-03-30",
			"anchor": "2036-03-01"}),
		e(audit.LicenseAllocate, "product", "acs-edge", map[string]any{"name": "AXIS Camera Station Edge", "quantity": float64(12),
			"year": float64(0), "year_starts": "2036-03-01", "compensation": float64(3), "from": "unlicensed", "to": "licensed"}),
	}
}

// keysOf lists every catalogue key a description uses.
func keysOf(d audit.Description) []string {
	var out []string
	var walk func(a any)
	walk = func(a any) {
		switch a := a.(type) {
		case audit.Phrase:
			out = append(out, a.Key)
			for _, x := range a.Args {
				walk(x)
			}
		case audit.Target:
			out = append(out, a.Key())
		}
	}
	walk(d.Sentence)
	for _, l := range d.Lines {
		out = append(out, l.Label)
		walk(l.From)
		walk(l.To)
	}
	return out
}

// TestAUD1_SentencesInBothLanguages: every action, in every shape, reads as
// a sentence in English and French, with every key in both catalogues, and
// every action and group has a filter label.
func TestAUD1_SentencesInBothLanguages(t *testing.T) {
	names := audit.Names{{Type: "user", ID: "usr_1"}: "Ann", {Type: "user", ID: "usr_2"}: "Bob", {Type: "device", ID: "dev_1"}: "Lobby cam 1",
		{Type: "folder", ID: "fld_1"}: "HQ", {Type: "org", ID: "org_1"}: "Acme", {Type: "invitation", ID: "inv_1"}: "bob@example.com"}
	covered := map[string]bool{}
	for _, e := range auditSamples() {
		covered[e.Action] = true
		d := audit.Describe(e, names)
		if d.Sentence.Key == "audit.say.other" {
			t.Errorf("%s %v: no sentence of its own", e.Action, e.Details)
		}
		for _, k := range keysOf(d) {
			for _, l := range langs {
				if _, ok := catalogues[l][k]; !ok {
					t.Errorf("%s: %s.json lacks %q", e.Action, l, k)
				}
			}
		}
		for _, l := range langs {
			tr := func(key string, args ...any) string { return translate(l, key, args...) }
			s := d.Text(tr)
			if strings.Contains(s, "%!") || strings.Contains(s, "audit.") || !strings.Contains(s, "Ann") && e.Actor.Kind == audit.KindUser {
				t.Errorf("%s %s: %q", l, e.Action, s)
			}
		}
	}
	for _, a := range audit.Actions() {
		if !covered[a] {
			t.Errorf("no sample entry for %s", a)
		}
		if !hasKey("audit.action." + a) {
			t.Errorf("no filter label audit.action.%s", a)
		}
	}
	for _, g := range audit.Groups {
		if !hasKey("audit.group." + g.Name) {
			t.Errorf("no group label audit.group.%s", g.Name)
		}
	}
	d := audit.Describe(auditSamples()[21], names)
	if got, want := d.Text(func(k string, a ...any) string { return translate("en", k, a...) }), "Ann renamed the device Lobby cam 1 (was S1)"; got != want {
		t.Errorf("rename: got %q, want %q", got, want)
	}
	if got, want := d.Text(func(k string, a ...any) string { return translate("fr", k, a...) }), "Ann a renommé le périphérique Lobby cam 1 (auparavant S1)"; got != want {
		t.Errorf("rename in French: got %q, want %q", got, want)
	}
}
