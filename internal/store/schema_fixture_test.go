package store_test

// The schema fixtures: testdata/schema/vNNNN.<dialect>.sql is the schema of
// a released version as the database reports it, with a few rows in every
// table, written by
//
//	go test ./internal/store -run TestSchemaFixture -update
//
// on the release commit (it writes the newest migration's fixture; a
// released fixture is never rewritten). TestSchemaUpgrade loads every
// fixture and migrates it to the newest schema (docs/ARCHITECTURE.md,
// "Migrations").
//
// The rows are the fx* values below, written through the store's own
// methods. A released fixture holds them as they were then, so change no
// value: add rows, columns and checks for a new version, and make
// checkFixtureRows's checks of the new ones depend on the fixture version.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/device"
	"mysystems/internal/fleet"
	"mysystems/internal/jobs"
	"mysystems/internal/mail"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

var update = flag.Bool("update", false, "write testdata/schema's fixture of the newest migration (at a release)")

const fixtureDir = "testdata/schema"

// fxT is when the fixture's story happens; fxNow is when it is read back.
var (
	fxT   = time.Date(2026, 1, 12, 8, 30, 0, 0, time.UTC)
	fxNow = fxT.Add(2 * time.Hour)
)

func fxAt(d time.Duration) time.Time   { return fxT.Add(d) }
func fxPtr(d time.Duration) *time.Time { t := fxAt(d); return &t }

// Three people: Alice owns Acme, Bruno owns Globex, Chloé works in both.
var (
	fxAlice = account.User{ID: "usr_a7k2m9q4x1c8v3b6", Email: "alice.martin@acme.example", Name: "Alice Martin", Lang: "en", CreatedAt: fxAt(0)}
	fxBruno = account.User{ID: "usr_b3n8r5t2w7y4e1u9", Email: "Bruno.Lefevre@Globex.example", Name: "Bruno Lefèvre", Lang: "fr", CreatedAt: fxAt(time.Minute)}
	fxChloe = account.User{ID: "usr_c6h1l4o7e2d5u8r3", Email: "chloe.durand@acme.example", Name: "Chloé Durand", Lang: "fr", CreatedAt: fxAt(2 * time.Minute)}

	fxPasswordHash = "$argon2id$v=19$m=65536,t=1,p=4$c2FsdHNhbHRzYWx0c2FsdA$2b0d5c4f8e1a7d3b9c6e0f2a4d8b1c5e7f9a3d6b0c2e4f8a1d3b5c7e9f0a2b4d"

	fxSession = account.Session{ID: "ses_s1e2s3s4i5o6n7a8", UserID: fxAlice.ID, CreatedAt: fxAt(time.Hour),
		ExpiresAt: fxAt(time.Hour + 30*24*time.Hour), LastSeenAt: fxAt(90 * time.Minute), ClientAddr: "203.0.113.24",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}
	fxToken = account.Token{ID: "tok_t1o2k3e4n5a6b7c8", UserID: fxAlice.ID, Name: "nightly inventory", Prefix: "mys_7QX",
		CreatedAt: fxAt(10 * time.Minute), ExpiresAt: fxPtr(90 * 24 * time.Hour), LastUsedAt: fxPtr(100 * time.Minute)}
	fxTokenChloe = account.Token{ID: "tok_c9h8l7o6e5t4k3n2", UserID: fxChloe.ID, Name: "ci", Prefix: "mys_K2P",
		CreatedAt: fxAt(20 * time.Minute)}
	fxPlatformToken = account.PlatformToken{ID: "ptk_v1e2n3d4o5r6o7p8", Name: "release-ops", CreatedAt: fxAt(-24 * time.Hour)}

	fxMFAAlice = account.MFA{UserID: fxAlice.ID, Method: account.MFATOTP, TOTPSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
		LastStep: 59189140, EnabledAt: fxPtr(30 * time.Minute), UpdatedAt: fxAt(30 * time.Minute)}
	fxMFABruno = account.MFA{UserID: fxBruno.ID, Method: account.MFAEmail, EnabledAt: fxPtr(40 * time.Minute),
		UpdatedAt: fxAt(40 * time.Minute)}
	fxEmailCode = account.EmailCode{ID: "emc_e1m2a3i4l5c6o7d8", UserID: fxBruno.ID, Purpose: "account",
		CodeHash: account.HashSecret("fixture email code 482913"), CreatedAt: fxAt(110 * time.Minute), ExpiresAt: fxAt(125 * time.Minute)}
	fxChallenge = account.MFAChallenge{ID: "mch_m1f2a3c4h5a6l7n8", UserID: fxBruno.ID, Method: account.MFAEmail,
		ClientAddr: "198.51.100.7", CreatedAt: fxAt(110 * time.Minute), ExpiresAt: fxAt(120 * time.Minute), Attempts: 1}
	fxRateKey = "login:acct:" + "bruno.lefevre@globex.example"
)

// Two organizations, each with a root folder and a subfolder (Acme one
// level deeper), members with grants, an invitation, devices and commands.
var (
	fxAcme = org.Org{ID: "org_a1c2m3e4i5n6d7s8", Name: "Acme Security", Notes: "Lyon and Grenoble sites", RequireMFA: true,
		Status: org.Active, RootFolderID: "fld_a0r1o2o3t4a5c6m7", CreatedAt: fxAt(5 * time.Minute)}
	fxGlobex = org.Org{ID: "org_g1l2o3b4e5x6c7o8", Name: "Globex", Status: org.Active, RootFolderID: "fld_g0r1o2o3t4g5l6b7",
		CreatedAt: fxAt(6 * time.Minute)}

	fxAcmeRoot     = org.Folder{ID: fxAcme.RootFolderID, OrgID: fxAcme.ID, Name: "Default", CreatedAt: fxAcme.CreatedAt}
	fxAcmeLyon     = org.Folder{ID: "fld_l1y2o3n4a5c6m7e8", OrgID: fxAcme.ID, ParentID: fxAcme.RootFolderID, Name: "Lyon", CreatedAt: fxAt(7 * time.Minute)}
	fxAcmeEntrance = org.Folder{ID: "fld_e1n2t3r4a5n6c7e8", OrgID: fxAcme.ID, ParentID: fxAcmeLyon.ID, Name: "Entrée nord", CreatedAt: fxAt(8 * time.Minute)}
	fxGlobexRoot   = org.Folder{ID: fxGlobex.RootFolderID, OrgID: fxGlobex.ID, Name: "Default", CreatedAt: fxGlobex.CreatedAt}
	fxGlobexMtl    = org.Folder{ID: "fld_m1t2l3g4l5o6b7x8", OrgID: fxGlobex.ID, ParentID: fxGlobex.RootFolderID, Name: "Montréal", CreatedAt: fxAt(9 * time.Minute)}

	fxInvitePending = org.Invitation{ID: "inv_p1e2n3d4i5n6g7a8", OrgID: fxAcme.ID, Email: "dave@partner.example", Role: access.Viewer,
		Folders: []string{fxAcmeLyon.ID}, InvitedBy: fxAlice.ID, CreatedAt: fxAt(50 * time.Minute),
		ExpiresAt: fxAt(50*time.Minute + 7*24*time.Hour), Status: org.InvitePending}
	fxInviteAccepted = org.Invitation{ID: "inv_a1c2c3e4p5t6e7d8", OrgID: fxGlobex.ID, Email: "chloe.durand@acme.example", Role: access.Viewer,
		Folders: []string{fxGlobexMtl.ID}, InvitedBy: fxBruno.ID, CreatedAt: fxAt(12 * time.Minute),
		ExpiresAt: fxAt(12*time.Minute + 7*24*time.Hour), Status: org.InviteAccepted, AcceptedBy: fxChloe.ID, ClosedAt: fxPtr(15 * time.Minute)}

	fxCamLyon = fleet.Device{ID: "dev_l1y2o3n4c5a6m7a8", OrgID: fxAcme.ID, FolderID: fxAcmeEntrance.ID, Serial: "ACCC8E0A1B2C3D",
		Model: "AXIS M3086-V", Firmware: "11.11.73", Name: "Lobby cam 1", ClaimedAt: fxAt(60 * time.Minute), LastSeenAt: fxPtr(115 * time.Minute)}
	fxCamMtl = fleet.Device{ID: "dev_m1t2l3c4a5m6g7x8", OrgID: fxGlobex.ID, FolderID: fxGlobexMtl.ID, Serial: "ACCC8E4E5F6A7B",
		Model: "AXIS P3265-LVE", Firmware: "10.12.240", Name: "Quai de chargement", ClaimedAt: fxAt(65 * time.Minute)}
	fxUnclaimedSerial = "ACCC8E8C9D0E1F"

	fxCmdApplied = fleet.Command{ID: "cmd_r1e2b3o4o5t6a7p8", OrgID: fxAcme.ID, DeviceID: fxCamLyon.ID, Serial: fxCamLyon.Serial,
		Type: device.CmdReboot, Args: json.RawMessage(`{}`), State: device.StateApplied, Result: "rebooting", CreatedBy: fxAlice.ID,
		CreatedAt: fxAt(70 * time.Minute), DeliveredAt: fxPtr(70*time.Minute + 2*time.Second), DoneAt: fxPtr(70*time.Minute + 9*time.Second), Deliveries: 1}
	fxCmdPending = fleet.Command{ID: "cmd_a1c2c3t4p5e6n7d8", OrgID: fxAcme.ID, DeviceID: fxCamLyon.ID, Serial: fxCamLyon.Serial,
		Type: device.CmdAccountCreate, Args: json.RawMessage(`{"username":"operator2","role":"operator","sealed":"x25519:Zm9vYmFyYmF6"}`),
		State: device.StatePending, CreatedBy: fxChloe.ID, CreatedAt: fxAt(112 * time.Minute)}
	fxCmdDelivered = fleet.Command{ID: "cmd_i1d2e3n4t5i6f7y8", OrgID: fxGlobex.ID, DeviceID: fxCamMtl.ID, Serial: fxCamMtl.Serial,
		Type: device.CmdIdentify, Args: json.RawMessage(`{}`), State: device.StateDelivered, CreatedBy: fxBruno.ID,
		CreatedAt: fxAt(80 * time.Minute), DeliveredAt: fxPtr(80*time.Minute + time.Second), Deliveries: 2}

	fxAccountsLyon = `[{"username":"root","role":"admin"},{"username":"viewer1","role":"viewer"},{"username":"acs","role":"operator","service":true}]`
	fxPublicKey    = "mFpQ0Qx0Jc9bG3ZpYkV4d3J0eU1uT3BRcnN0VXZ3eHk="

	fxMailInvite = mail.Message{ID: "mail_i1n2v3i4t5e6m7l8", OrgID: fxAcme.ID, To: "dave@partner.example",
		Subject: "Alice Martin invites you to Acme Security", Text: "Hello,\n\nAlice Martin invites you to join Acme Security.\nThe link works for 7 days.\n",
		HTML: "<p>Alice Martin invites you to join <b>Acme Security</b>.</p>", MessageID: "<mail_i1n2v3i4t5e6m7l8@mysystems.example>",
		Kind: "invitation", CreatedAt: fxAt(50 * time.Minute)}
	fxMailCode = mail.Message{ID: "mail_c1o2d3e4m5f6a7b8", To: fxBruno.Email, Subject: "Votre code de connexion",
		Text: "Votre code : 482913\n", MessageID: "<mail_c1o2d3e4m5f6a7b8@mysystems.example>", Kind: "mfa_code", CreatedAt: fxAt(110 * time.Minute)}

	fxJobDue  = jobs.Job{ID: "job_d1u2e3j4o5b6a7b8", Kind: "fixture.report", Payload: `{"org_id":"org_a1c2m3e4i5n6d7s8"}`, RunAt: fxAt(119 * time.Minute), CreatedAt: fxAt(100 * time.Minute)}
	fxLease   = "mail.deliver"
	fxHolder  = "portal-1-4242-q7w8e9"
	fxSetting = "device_token_key"
	fxKey     = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

// fxAudit are the log lines, in the order written (Acme's and Globex's
// interleaved, so each organization's sequence numbers have gaps).
var fxAudit = []audit.Entry{
	{OrgID: fxAcme.ID, At: fxAcme.CreatedAt, Actor: audit.Actor{Kind: audit.KindUser, ID: fxAlice.ID, Email: fxAlice.Email, ClientAddr: "203.0.113.24"},
		Action: "org.create", TargetType: "org", TargetID: fxAcme.ID},
	{OrgID: fxGlobex.ID, At: fxGlobex.CreatedAt, Actor: audit.Actor{Kind: audit.KindUser, ID: fxBruno.ID, Email: fxBruno.Email, ClientAddr: "198.51.100.7"},
		Action: "org.create", TargetType: "org", TargetID: fxGlobex.ID},
	{OrgID: fxAcme.ID, At: fxAcmeLyon.CreatedAt, Actor: audit.Actor{Kind: audit.KindUser, ID: fxAlice.ID, Email: fxAlice.Email, ClientAddr: "203.0.113.24"},
		Action: "folder.create", TargetType: "folder", TargetID: fxAcmeLyon.ID, Details: map[string]any{"name": "Lyon"}},
	{OrgID: fxGlobex.ID, At: fxInviteAccepted.CreatedAt, Actor: audit.Actor{Kind: audit.KindUser, ID: fxBruno.ID, Email: fxBruno.Email, ClientAddr: "198.51.100.7"},
		Action: "invitation.create", TargetType: "invitation", TargetID: fxInviteAccepted.ID, Details: map[string]any{"email": "c***@acme.example"}},
	{OrgID: fxAcme.ID, At: fxAt(55 * time.Minute), Actor: audit.Actor{Kind: audit.KindUser, ID: fxAlice.ID, Email: fxAlice.Email, ClientAddr: "203.0.113.24"},
		Action: "member.update", TargetType: "user", TargetID: fxChloe.ID, Details: map[string]any{"from": "viewer", "to": "operator"}},
	{OrgID: fxAcme.ID, At: *fxCmdApplied.DoneAt, Actor: audit.Actor{Kind: audit.KindSystem, ID: "device:" + fxCamLyon.Serial},
		Action: "device.command_result", TargetType: "device", TargetID: fxCamLyon.ID, Details: map[string]any{"command": fxCmdApplied.ID, "state": "applied"}},
}

// seedFixture writes the fx* rows through the store's own methods.
func seedFixture(t *testing.T, db *store.DB, dsn string) {
	t.Helper()
	ctx := context.Background()
	err := db.Write(ctx, func(tx *store.Tx) error {
		for _, u := range []account.User{fxAlice, fxBruno, fxChloe} {
			if err := tx.CreateUser(ctx, u, fxPasswordHash); err != nil {
				return err
			}
		}
		steps := []func() error{
			func() error { return tx.CreateSession(ctx, fxSession, account.HashSecret("fixture session alice")) },
			func() error { return tx.CreateToken(ctx, fxToken, account.HashSecret("fixture token alice")) },
			func() error { return tx.TouchToken(ctx, fxToken.ID, *fxToken.LastUsedAt) },
			func() error { return tx.CreateToken(ctx, fxTokenChloe, account.HashSecret("fixture token chloe")) },
			func() error {
				return tx.CreatePlatformToken(ctx, fxPlatformToken, account.HashSecret("fixture platform token"))
			},
			func() error {
				_, err := tx.RateHit(ctx, fxRateKey, fxAt(105*time.Minute), 15*time.Minute)
				return err
			},
			func() error {
				_, err := tx.RateHit(ctx, fxRateKey, fxAt(106*time.Minute), 15*time.Minute)
				return err
			},
			func() error { return tx.SaveMFA(ctx, fxMFAAlice) },
			func() error {
				return tx.ReplaceRecoveryCodes(ctx, fxAlice.ID, []string{account.HashSecret("rc-1111-2222"), account.HashSecret("rc-3333-4444")}, fxAt(30*time.Minute))
			},
			func() error {
				_, err := tx.UseRecoveryCode(ctx, fxAlice.ID, account.HashSecret("rc-1111-2222"), fxAt(45*time.Minute))
				return err
			},
			func() error { return tx.SaveMFA(ctx, fxMFABruno) },
			func() error { return tx.CreateEmailCode(ctx, fxEmailCode) },
			func() error {
				return tx.CreateMFAChallenge(ctx, fxChallenge, account.HashSecret("fixture challenge bruno"))
			},
		}
		for _, o := range []org.Org{fxAcme, fxGlobex} {
			steps = append(steps, func() error { return tx.CreateOrg(ctx, o) })
		}
		for _, f := range []org.Folder{fxAcmeRoot, fxAcmeLyon, fxAcmeEntrance, fxGlobexRoot, fxGlobexMtl} {
			steps = append(steps, func() error { return tx.CreateFolder(ctx, f) })
		}
		for _, m := range []org.Membership{
			{OrgID: fxAcme.ID, UserID: fxAlice.ID, Role: access.Owner, CreatedAt: fxAcme.CreatedAt},
			{OrgID: fxGlobex.ID, UserID: fxBruno.ID, Role: access.Owner, CreatedAt: fxGlobex.CreatedAt},
			{OrgID: fxGlobex.ID, UserID: fxChloe.ID, Role: access.Viewer, CreatedAt: *fxInviteAccepted.ClosedAt, Folders: []string{fxGlobexMtl.ID}},
			{OrgID: fxAcme.ID, UserID: fxChloe.ID, Role: access.Operator, CreatedAt: fxAt(52 * time.Minute), Folders: []string{fxAcmeLyon.ID}},
		} {
			steps = append(steps, func() error {
				if err := tx.AddMember(ctx, m); err != nil {
					return err
				}
				return tx.SetGrants(ctx, m.OrgID, m.UserID, m.Folders)
			})
		}
		steps = append(steps,
			func() error {
				return tx.CreateInvitation(ctx, fxInviteAccepted, account.HashSecret("fixture invitation chloe"))
			},
			func() error {
				return tx.CreateInvitation(ctx, fxInvitePending, account.HashSecret("fixture invitation dave"))
			},
		)
		for _, s := range []string{fxCamLyon.Serial, fxCamMtl.Serial, fxUnclaimedSerial} {
			steps = append(steps, func() error {
				model := "AXIS M3086-V"
				if s == fxCamMtl.Serial {
					model = fxCamMtl.Model
				}
				return tx.CreateIdentity(ctx, fleet.Identity{Serial: s, Model: model, CreatedAt: fxAt(-48 * time.Hour)},
					fleet.Secrets{SecretHash: account.HashSecret("fixture secret " + s), OAKHash: account.HashSecret("fixture oak " + s)})
			})
		}
		for _, d := range []fleet.Device{fxCamLyon, fxCamMtl} {
			steps = append(steps,
				func() error { return tx.CreateDevice(ctx, d) },
				func() error { return tx.SetClaim(ctx, d.Serial, d.OrgID, d.ID) },
			)
		}
		steps = append(steps,
			func() error {
				return tx.SetReported(ctx, fleet.Reported{Serial: fxCamLyon.Serial, Firmware: fxCamLyon.Firmware,
					PublicKey: fxPublicKey, HelloAt: fxPtr(61 * time.Minute)})
			},
			func() error {
				return tx.TouchDevices(ctx, map[fleet.DeviceKey]time.Time{{OrgID: fxCamLyon.OrgID, Serial: fxCamLyon.Serial}: *fxCamLyon.LastSeenAt})
			},
		)
		for _, c := range []fleet.Command{fxCmdApplied, fxCmdDelivered, fxCmdPending} {
			steps = append(steps, func() error { return tx.CreateCommand(ctx, c) })
		}
		for _, e := range fxAudit {
			steps = append(steps, func() error { return tx.RecordAudit(ctx, e) })
		}
		steps = append(steps,
			func() error { return tx.EnqueueMail(ctx, fxMailInvite) },
			func() error { return tx.EnqueueMail(ctx, fxMailCode) },
			func() error { return tx.MarkMailSent(ctx, fxMailCode.ID, fxAt(111*time.Minute)) },
			func() error { return tx.EnqueueJob(ctx, fxJobDue) },
			func() error {
				_, _, err := tx.AcquireLease(ctx, fxLease, fxHolder, fxAt(118*time.Minute), fxAt(128*time.Minute))
				return err
			},
			func() error { _, err := tx.SettingOrInit(ctx, fxSetting, fxKey); return err },
		)
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("seed step %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed fixture: %v", err)
	}
	// What no store method writes in a fixed form: the device's account
	// list (the gateway's report type belongs to the protocol) and the
	// migrations' timestamps (the clock of the day they ran).
	raw := rawDB(t, dsn)
	for _, q := range []string{
		`UPDATE device_identities SET accounts = '` + fxAccountsLyon + `' WHERE serial = '` + fxCamLyon.Serial + `'`,
		`UPDATE schema_migrations SET applied_at = ` + strconv.FormatInt(fxAt(-72*time.Hour).UnixMicro(), 10) + ` + version * 1000000`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("seed fixture: %v", err)
		}
	}
}

// fixtureHeader opens every fixture file.
func fixtureHeader(version int, kind string) string {
	return fmt.Sprintf(`-- The mysystems schema at migration %04d (%s) as the database reports it,
-- with a few rows in every table. Written by
--   go test ./internal/store -run TestSchemaFixture -update
-- on the release commit; never edited by hand. TestSchemaUpgrade loads it
-- into an empty database and migrates it to the newest schema.

`, version, kind)
}

func fixturePath(version int, kind string) string {
	return filepath.Join(fixtureDir, fmt.Sprintf("v%04d.%s.sql", version, kind))
}

// TestSchemaFixture builds the newest schema's fixture on each dialect and
// proves it loads back to the same dump (the generator keeps working);
// with -update it writes testdata/schema/v<newest>.<dialect>.sql.
func TestSchemaFixture(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.Empty(t, kind)
			db := storetest.Open(t, dsn)
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			newest := len(migrationNames(t, kind))
			seedFixture(t, db, dsn)
			dump := fixtureHeader(newest, kind) + dumpSQL(t, kind, dsn)
			if *update { // a released fixture has rows in every table
				for _, tbl := range liveTables(t, kind, dsn) {
					if !strings.Contains(dump, "INSERT INTO "+tbl+" (") {
						t.Errorf("table %s has no row in the fixture: add some to seedFixture in schema_fixture_test.go", tbl)
					}
				}
			}

			again := storetest.Empty(t, kind)
			loadSQL(t, again, dump)
			if applied, err := storetest.Open(t, again).Migrate(ctx); err != nil || len(applied) != 0 {
				t.Fatalf("migrate the reloaded fixture: applied %v, %v; want nothing to apply", applied, err)
			}
			if got := fixtureHeader(newest, kind) + dumpSQL(t, kind, again); got != dump {
				t.Errorf("the fixture does not load back to itself:\n%s", firstDiff(dump, got))
			}

			if !*update || t.Failed() {
				return
			}
			if err := os.MkdirAll(fixtureDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(fixturePath(newest, kind), []byte(dump), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", fixturePath(newest, kind))
		})
	}
}

// firstDiff shows where two dumps first differ, line by line.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < min(len(w), len(g)); i++ {
		if w[i] != g[i] {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("want %d lines, got %d", len(w), len(g))
}
