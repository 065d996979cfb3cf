package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/fleet"
	"mysystems/internal/jobs"
	"mysystems/internal/mail"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// fixtureVersions lists the released schemas kept in testdata/schema for
// a dialect, oldest first.
func fixtureVersions(t *testing.T, kind string) []int {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "v*."+kind+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^v(\d+)\.`)
	var out []int
	for _, p := range paths {
		m := re.FindStringSubmatch(filepath.Base(p))
		if m == nil {
			t.Fatalf("fixture %s: want vNNNN.%s.sql", p, kind)
		}
		v, _ := strconv.Atoi(m[1])
		out = append(out, v)
	}
	slices.Sort(out)
	if len(out) == 0 {
		t.Fatalf("no schema fixture for %s in %s", kind, fixtureDir)
	}
	return out
}

// TestSchemaUpgrade loads every released schema's fixture into an empty
// database, migrates it to the newest schema and reads its rows back
// through the store (house rule 5): each migration after a release is
// tested on that release's data, on both dialects.
func TestSchemaUpgrade(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			names := migrationNames(t, kind)
			for _, v := range fixtureVersions(t, kind) {
				t.Run(fmt.Sprintf("v%04d", v), func(t *testing.T) {
					ctx := context.Background()
					script, err := readFixture(v, kind)
					if err != nil {
						t.Fatal(err)
					}
					dsn := storetest.Empty(t, kind)
					loadSQL(t, dsn, script)
					db := storetest.Open(t, dsn)
					if got, err := db.SchemaVersion(ctx); err != nil || got != v {
						t.Fatalf("loaded fixture: schema version %d, %v; want %d", got, err, v)
					}
					applied, err := db.Migrate(ctx)
					if err != nil {
						t.Fatalf("migrate from %04d: %v", v, err)
					}
					if want := names[v:]; !slices.Equal(applied, want) {
						t.Errorf("applied %v, want %v", applied, want)
					}
					if got, err := db.SchemaVersion(ctx); err != nil || got != len(names) {
						t.Errorf("schema version %d, %v; want %d", got, err, len(names))
					}
					if kind == "sqlite" {
						if bad, err := queryStrings(rawDB(t, dsn), `PRAGMA foreign_key_check`); err != nil || len(bad) > 0 {
							t.Errorf("foreign_key_check: %v, %v; want no violation", bad, err)
						}
					}
					checkFixtureRows(t, db, v)
					checkFixtureWrites(t, db)
				})
			}
		})
	}
}

func readFixture(v int, kind string) (string, error) {
	b, err := os.ReadFile(fixturePath(v, kind))
	return string(b), err
}

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\ngot  %+v\nwant %+v", what, got, want)
	}
}

// read runs fn in a read transaction, failing the test on error.
func read(t *testing.T, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := db.Read(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// checkFixtureRows reads the fixture's rows back through the store's
// methods. Fields added after a fixture's version are checked only from
// the version that writes them (compare on v).
func checkFixtureRows(t *testing.T, db *store.DB, v int) {
	t.Helper()
	_ = v
	t.Run("accounts", func(t *testing.T) {
		read(t, db, func(ctx context.Context, tx *store.Tx) error {
			for _, u := range []account.User{fxAlice, fxBruno, fxChloe} {
				got, err := tx.UserByID(ctx, u.ID)
				if err != nil {
					return err
				}
				same(t, "user "+u.ID, got, u)
			}
			got, hash, err := tx.UserByEmail(ctx, "bruno.lefevre@globex.example")
			if err != nil {
				return err
			}
			same(t, "user by e-mail", got, fxBruno)
			same(t, "password hash", hash, fxPasswordHash)

			s, err := tx.SessionByHash(ctx, account.HashSecret("fixture session alice"))
			if err != nil {
				return err
			}
			same(t, "session", s, fxSession)
			k, err := tx.TokenByHash(ctx, account.HashSecret("fixture token alice"))
			if err != nil {
				return err
			}
			same(t, "token", k, fxToken)
			ks, err := tx.Tokens(ctx, fxChloe.ID)
			if err != nil {
				return err
			}
			same(t, "Chloé's tokens", ks, []account.Token{fxTokenChloe})
			pt, err := tx.PlatformTokenByHash(ctx, account.HashSecret("fixture platform token"))
			if err != nil {
				return err
			}
			same(t, "platform token", pt, fxPlatformToken)
			// Before 0012 the two failures were a counter of the window
			// starting at 10:15; they carry over as attempts leaving the
			// sliding window when that window ended.
			hits, next, err := tx.RateCount(ctx, fxRateKey, fxAt(107*time.Minute), 15*time.Minute, 2)
			if err != nil {
				return err
			}
			same(t, "rate attempts", []any{hits, next}, []any{2, fxAt(105 * time.Minute).Truncate(15 * time.Minute).Add(15 * time.Minute)})
			hits, _, err = tx.RateCount(ctx, fxRateKey, fxAt(121*time.Minute), 15*time.Minute, 2)
			if err != nil {
				return err
			}
			same(t, "rate attempts after the window", hits, 0)
			return nil
		})
	})
	t.Run("mfa", func(t *testing.T) {
		read(t, db, func(ctx context.Context, tx *store.Tx) error {
			for _, m := range []account.MFA{fxMFAAlice, fxMFABruno} {
				got, err := tx.MFA(ctx, m.UserID)
				if err != nil {
					return err
				}
				same(t, "mfa of "+m.UserID, got, m)
			}
			left, err := tx.RecoveryCodesLeft(ctx, fxAlice.ID)
			if err != nil {
				return err
			}
			same(t, "recovery codes left", left, 1)
			codes, err := tx.EmailCodes(ctx, fxBruno.ID, fxEmailCode.Purpose, fxNow.Add(-time.Minute))
			if err != nil {
				return err
			}
			same(t, "e-mail codes", codes, []account.EmailCode{fxEmailCode})
			c, err := tx.MFAChallengeByHash(ctx, account.HashSecret("fixture challenge bruno"))
			if err != nil {
				return err
			}
			same(t, "challenge", c, fxChallenge)
			return nil
		})
	})
	t.Run("orgs", func(t *testing.T) {
		read(t, db, func(ctx context.Context, tx *store.Tx) error {
			for _, o := range []org.Org{fxAcme, fxGlobex} {
				got, err := tx.Org(ctx, o.ID)
				if err != nil {
					return err
				}
				same(t, "org "+o.ID, got, o)
			}
			for id, want := range map[string][]org.Folder{fxAcme.ID: {fxAcmeRoot, fxAcmeLyon, fxAcmeEntrance}, fxGlobex.ID: {fxGlobexRoot, fxGlobexMtl}} {
				fs, err := tx.Folders(ctx, id)
				if err != nil {
					return err
				}
				slices.SortFunc(fs, func(a, b org.Folder) int { return a.CreatedAt.Compare(b.CreatedAt) })
				same(t, "folders of "+id, fs, want)
			}

			ms, _, err := tx.Members(ctx, fxAcme.ID, org.Page{Limit: 10})
			if err != nil {
				return err
			}
			same(t, "Acme's members", ms, []org.Member{
				{UserID: fxAlice.ID, Email: fxAlice.Email, Name: fxAlice.Name, Role: access.Owner, Folders: []string{}, JoinedAt: fxAcme.CreatedAt},
				{UserID: fxChloe.ID, Email: fxChloe.Email, Name: fxChloe.Name, Role: access.Operator, Folders: []string{fxAcmeLyon.ID}, JoinedAt: fxAt(52 * time.Minute)},
			})
			m, err := tx.Membership(ctx, fxGlobex.ID, fxChloe.ID)
			if err != nil {
				return err
			}
			same(t, "Chloé in Globex", []any{m.Role, m.CreatedAt}, []any{access.Viewer, *fxInviteAccepted.ClosedAt})
			g, err := tx.Grants(ctx, fxGlobex.ID, fxChloe.ID)
			if err != nil {
				return err
			}
			same(t, "Chloé's grants in Globex", g, []string{fxGlobexMtl.ID})
			mine, _, err := tx.MyOrgs(ctx, fxChloe.ID, org.Page{Limit: 10})
			if err != nil {
				return err
			}
			same(t, "Chloé's organizations", mine, []org.Mine{{Org: fxAcme, Role: access.Operator}, {Org: fxGlobex, Role: access.Viewer}})
			if _, err := tx.Membership(ctx, fxGlobex.ID, fxAlice.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("Alice in Globex: got %v, want not found", err)
			}
			return nil
		})
	})
	t.Run("invitations", func(t *testing.T) {
		read(t, db, func(ctx context.Context, tx *store.Tx) error {
			pending, _, err := tx.Invitations(ctx, fxAcme.ID, fxNow, org.Page{Limit: 10})
			if err != nil {
				return err
			}
			if len(pending) != 1 {
				t.Fatalf("Acme's pending invitations: got %d, want 1", len(pending))
			}
			sameInvitation(t, pending[0], fxInvitePending)
			none, _, err := tx.Invitations(ctx, fxGlobex.ID, fxNow, org.Page{Limit: 10})
			if err != nil {
				return err
			}
			same(t, "Globex's pending invitations", len(none), 0)
			i, err := tx.Invitation(ctx, fxGlobex.ID, fxInviteAccepted.ID)
			if err != nil {
				return err
			}
			sameInvitation(t, i, fxInviteAccepted)
			i, err = tx.InvitationByHash(ctx, account.HashSecret("fixture invitation dave"))
			if err != nil {
				return err
			}
			sameInvitation(t, i, fxInvitePending)
			if _, err := tx.Invitation(ctx, fxGlobex.ID, fxInvitePending.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("Acme's invitation read as Globex's: got %v, want not found", err)
			}
			return nil
		})
	})
	t.Run("devices", func(t *testing.T) {
		read(t, db, func(ctx context.Context, tx *store.Tx) error {
			for _, d := range []fleet.Device{fxCamLyon, fxCamMtl} {
				got, err := tx.Device(ctx, d.OrgID, d.ID)
				if err != nil {
					return err
				}
				same(t, "device "+d.ID, got, d)
				list, _, err := tx.Devices(ctx, d.OrgID, fleet.Filter{}, fleet.Page{Limit: 10})
				if err != nil {
					return err
				}
				same(t, "devices of "+d.OrgID, list, []fleet.Device{d})
			}
			if _, err := tx.Device(ctx, fxGlobex.ID, fxCamLyon.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("Acme's device read as Globex's: got %v, want not found", err)
			}
			id, sec, err := tx.IdentitySecrets(ctx, fxUnclaimedSerial)
			if err != nil {
				return err
			}
			same(t, "unclaimed identity", []any{id, sec}, []any{
				fleet.Identity{Serial: fxUnclaimedSerial, Model: "AXIS M3086-V", CreatedAt: fxAt(-48 * time.Hour)},
				fleet.Secrets{SecretHash: account.HashSecret("fixture secret " + fxUnclaimedSerial), OAKHash: account.HashSecret("fixture oak " + fxUnclaimedSerial)},
			})
			r, err := tx.Reported(ctx, fxCamLyon.Serial)
			if err != nil {
				return err
			}
			same(t, "Lyon's report", []any{r.Model, r.Firmware, r.PublicKey, r.HelloAt, r.OrgID, r.DeviceID},
				[]any{fxCamLyon.Model, fxCamLyon.Firmware, fxPublicKey, fxPtr(61 * time.Minute), fxAcme.ID, fxCamLyon.ID})
			var accounts []string
			for _, a := range r.Accounts {
				accounts = append(accounts, fmt.Sprintf("%s/%s/%v", a.Username, a.Role, a.Service))
			}
			same(t, "Lyon's accounts", accounts, []string{"root/admin/false", "viewer1/viewer/false", "acs/operator/true"})
			r, err = tx.Reported(ctx, fxUnclaimedSerial)
			if err != nil {
				return err
			}
			same(t, "unclaimed report", []any{r.OrgID, r.DeviceID, r.HelloAt == nil, len(r.Accounts)}, []any{"", "", true, 0})
			return nil
		})
	})
	t.Run("commands", func(t *testing.T) {
		read(t, db, func(ctx context.Context, tx *store.Tx) error {
			for _, c := range []fleet.Command{fxCmdApplied, fxCmdPending, fxCmdDelivered} {
				got, err := tx.Command(ctx, c.OrgID, c.ID)
				if err != nil {
					return err
				}
				same(t, "command "+c.ID, got, c)
			}
			open, err := tx.OpenCommands(ctx, fxCamLyon.OrgID, fxCamLyon.Serial, 10)
			if err != nil {
				return err
			}
			same(t, "Lyon's open commands", open, []fleet.Command{fxCmdPending})
			keys, err := tx.OpenCommandDevices(ctx)
			if err != nil {
				return err
			}
			var serials []string
			for _, k := range keys {
				serials = append(serials, k.Serial)
			}
			slices.Sort(serials)
			same(t, "serials with open commands", serials, []string{fxCamLyon.Serial, fxCamMtl.Serial})
			if _, err := tx.Command(ctx, fxGlobex.ID, fxCmdApplied.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("Acme's command read as Globex's: got %v, want not found", err)
			}
			return nil
		})
	})
	t.Run("audit", func(t *testing.T) {
		read(t, db, func(ctx context.Context, tx *store.Tx) error {
			for _, o := range []org.Org{fxAcme, fxGlobex} {
				got, _, err := tx.AuditEntries(ctx, o.ID, audit.Filter{}, audit.Page{Limit: 20})
				if err != nil {
					return err
				}
				var want []audit.Entry
				for i := len(fxAudit) - 1; i >= 0; i-- { // newest first
					if e := fxAudit[i]; e.OrgID == o.ID {
						e.Seq = int64(i + 1)
						want = append(want, e)
					}
				}
				if len(got) != len(want) {
					t.Fatalf("audit of %s: got %d entries, want %d", o.ID, len(got), len(want))
				}
				for i := range got {
					g, w := got[i], want[i]
					same(t, fmt.Sprintf("audit of %s, entry %d", o.ID, w.Seq),
						[]any{g.Seq, g.OrgID, g.At, g.Actor, g.Action, g.TargetType, g.TargetID, g.Details},
						[]any{w.Seq, w.OrgID, w.At, w.Actor, w.Action, w.TargetType, w.TargetID, w.Details})
				}
			}
			return nil
		})
	})
	t.Run("platform", func(t *testing.T) {
		read(t, db, func(ctx context.Context, tx *store.Tx) error {
			msgs, _, err := tx.OutboxMessages(ctx, mail.Filter{}, 10, "")
			if err != nil {
				return err
			}
			sent := fxMailCode
			sent.NextAt, sent.SentAt, sent.Attempts = sent.CreatedAt, fxPtr(111*time.Minute), 1
			queued := fxMailInvite
			queued.NextAt = queued.CreatedAt
			same(t, "outbox", msgs, []mail.Message{sent, queued})
			j, err := tx.Job(ctx, fxJobDue.ID)
			if err != nil {
				return err
			}
			want := fxJobDue
			want.MaxAttempts, want.State = jobs.DefaultMaxAttempts, jobs.Available
			same(t, "job", j, want)
			var applied int64
			if err := tx.QueryRowForTest(ctx, `SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&applied); err != nil {
				return err
			}
			same(t, "migration 1 applied at", applied, fxAt(-72*time.Hour).UnixMicro()+1000000)
			return nil
		})
		ctx := context.Background()
		err := db.Write(ctx, func(tx *store.Tx) error {
			ok, until, err := tx.AcquireLease(ctx, fxLease, "another-instance", fxAt(120*time.Minute), fxAt(130*time.Minute))
			if err != nil {
				return err
			}
			same(t, "lease held by the fixture's instance", []any{ok, until}, []any{false, fxAt(128 * time.Minute)})
			v, err := tx.SettingOrInit(ctx, fxSetting, "not this one")
			same(t, "setting", v, fxKey)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// sameInvitation compares the columns every released schema has.
func sameInvitation(t *testing.T, got, want org.Invitation) {
	t.Helper()
	same(t, "invitation "+want.ID,
		[]any{got.ID, got.OrgID, got.Email, got.Role, got.Folders, got.InvitedBy, got.CreatedAt, got.ExpiresAt, got.Status, got.AcceptedBy, got.ClosedAt},
		[]any{want.ID, want.OrgID, want.Email, want.Role, want.Folders, want.InvitedBy, want.CreatedAt, want.ExpiresAt, want.Status, want.AcceptedBy, want.ClosedAt})
}

// checkFixtureWrites proves the migrated database takes new rows: counters
// (the audit sequence) continue after the fixture's, and the constraints
// still hold.
func checkFixtureWrites(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	err := db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.RecordAudit(ctx, audit.Entry{OrgID: fxGlobex.ID, At: fxNow, Actor: audit.System("fixture"), Action: "org.update",
			TargetType: "org", TargetID: fxGlobex.ID}); err != nil {
			return err
		}
		got, _, err := tx.AuditEntries(ctx, fxGlobex.ID, audit.Filter{}, audit.Page{Limit: 1})
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].Seq != int64(len(fxAudit)+1) {
			t.Errorf("new audit entry: got %+v, want seq %d", got, len(fxAudit)+1)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dup := fxChloe
	dup.ID, dup.Email = "usr_d9u8p7l6i5c4a3t2", "CHLOE.DURAND@acme.example"
	err = db.Write(ctx, func(tx *store.Tx) error { return tx.CreateUser(ctx, dup, "h") })
	if !errs.Is(err, errs.Conflict) {
		t.Errorf("a second account for Chloé's e-mail: got %v, want conflict", err)
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		return tx.CreateFolder(ctx, org.Folder{ID: "fld_d9u8p7l6i5c4a3t2", OrgID: fxAcme.ID, ParentID: fxAcmeRoot.ID, Name: "LYON", CreatedAt: fxNow})
	})
	if !errs.Is(err, errs.Conflict) {
		t.Errorf("a second folder Lyon in Acme's root: got %v, want conflict", err)
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		return tx.CreateFolder(ctx, org.Folder{ID: "fld_d9u8p7l6i5c4a3t2", OrgID: fxGlobex.ID, ParentID: fxGlobexRoot.ID, Name: "Lyon", CreatedAt: fxNow})
	})
	if err != nil {
		t.Errorf("a folder Lyon in Globex: %v", err)
	}
}
