package store_test

import (
	"slices"
	"testing"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// Every table of the schema is classified here, once. A tenant table holds
// one organization's data: it names the organization in a NOT NULL column
// (org_id; the organization's own row in orgs.id) that starts one of its
// indexes (house rule 4), so every query can be scoped by it and the table
// distributed by it (docs/OPERATIONS.md, "Distributing by organization").
// A platform table holds what is not one organization's: people and their
// credentials, the vendor's device inventory, queues and settings shared by
// every instance.
var tenantTables = map[string]string{ // table → the column naming the organization
	"orgs":              "id",
	"folders":           "org_id",
	"memberships":       "org_id",
	"folder_grants":     "org_id",
	"invitations":       "org_id",
	"audit_log":         "org_id",
	"devices":           "org_id",
	"device_commands":   "org_id",
	"upgrade_tasks":     "org_id",
	"upgrade_rollouts":  "org_id",
	"upgrade_schedules": "org_id",
	"upgrade_limits":    "org_id",
	// SPEC §8: ACS Pro servers, their enrolment tokens, health samples and
	// upgrade queue.
	"acs_enrollment_tokens": "org_id",
	"acs_servers":           "org_id",
	"acs_health_samples":    "org_id",
	"acs_upgrades":          "org_id",
	// SPEC §9: the license manager: the subscription period, products
	// started, their years, the wallet, the history and its e-mails.
	"license_periods":       "org_id",
	"license_subscriptions": "org_id",
	"license_years":         "org_id",
	"license_lots":          "org_id",
	"license_history":       "org_id",
	"license_notices":       "org_id",
	// LIC-5: devices per model and folder, kept by triggers on devices.
	"device_counts": "org_id",
}

var platformTables = map[string]string{ // table → why it is no organization's
	"schema_migrations":  "the migrations applied to the database",
	"users":              "a person, who may belong to several organizations or none",
	"sessions":           "a person's sign-in, before any organization is chosen",
	"api_tokens":         "a person's API credential, valid in each of their organizations",
	"platform_tokens":    "the vendor operators' credentials",
	"rate_attempts":      "attempts counted by rate limits, keyed by e-mail or client address, before anyone is known",
	"user_mfa":           "a person's second factor",
	"mfa_recovery_codes": "a person's second factor",
	"mfa_email_codes":    "a person's second factor",
	"mfa_challenges":     "a sign-in's second step",
	"mail_outbox":        "one queue for every organization's and no organization's mail (org_id '' for account mail), worked by the deliverer across them",
	"jobs":               "the job queue of every instance",
	"leases":             "which instance runs each periodic task",
	"settings":           "settings shared by every instance",
	"device_identities":  "the vendor's inventory: a device exists before any organization claims it (org_id is the current claim, if any)",
	"firmware_releases":  "the AXIS OS catalogue the vendor publishes for every organization (FW-1)",
	"acs_versions":       "the ACS Pro versions the vendor publishes for every organization (SRV-2)",
	"license_products":   "the vendor's product catalogue, licensed to every organization (LIC-1)",
	"license_keys":       "the keys vendor operators issue, no organization's until redeemed (redeemed_org names the one that redeemed it, LIC-3)",
}

// liveSchema is what the database reports of one table.
type liveSchema struct {
	notNull     map[string]bool     // column → NOT NULL
	indexFirsts map[string][]string // first column of an index (the primary key's too) → index names
}

// readLiveSchema reads a table's columns and indexes from the catalogue.
func readLiveSchema(t *testing.T, kind, dsn, table string) liveSchema {
	t.Helper()
	db := rawDB(t, dsn)
	s := liveSchema{notNull: map[string]bool{}, indexFirsts: map[string][]string{}}
	// On SQLite a PRIMARY KEY column may hold NULL unless declared NOT NULL
	// (a historical quirk), except the rowid alias, INTEGER PRIMARY KEY.
	colQ, idxQ := `SELECT name, "notnull" <> 0 OR (pk = 1 AND upper(type) = 'INTEGER'
			AND (SELECT COUNT(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1),
			CASE WHEN pk = 1 THEN 'primary key' ELSE '' END FROM pragma_table_info(?1)`,
		`SELECT l.name, i.name FROM pragma_index_list(?) l JOIN pragma_index_info(l.name) i WHERE i.seqno = 0`
	if kind == "postgres" {
		colQ = `SELECT column_name, is_nullable = 'NO', '' FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`
		idxQ = `SELECT x.relname, a.attname FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			WHERE i.indrelid = $1::regclass`
	}
	cols, err := queryStrings(db, colQ, table)
	if err != nil {
		t.Fatalf("columns of %s: %v", table, err)
	}
	for _, c := range cols {
		s.notNull[c[0]] = c[1] == "true" || c[1] == "1"
		if c[2] != "" { // SQLite's rowid primary key has no index of its own
			s.indexFirsts[c[0]] = append(s.indexFirsts[c[0]], c[2])
		}
	}
	idx, err := queryStrings(db, idxQ, table)
	if err != nil {
		t.Fatalf("indexes of %s: %v", table, err)
	}
	for _, i := range idx {
		s.indexFirsts[i[1]] = append(s.indexFirsts[i[1]], i[0])
	}
	return s
}

// TestSchemaTenantTables reads the migrated schema (house rule 4): every
// tenant table has a NOT NULL organization column that starts an index,
// and every table is classified as tenant or platform above.
func TestSchemaTenantTables(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		kind, dsn := db.Dialect(), db.DSN()
		live := liveTables(t, kind, dsn)
		for _, table := range live {
			col, tenant := tenantTables[table]
			_, platform := platformTables[table]
			switch {
			case tenant && platform:
				t.Errorf("table %s is in both tenantTables and platformTables of internal/store/schema_tenant_test.go", table)
			case !tenant && !platform:
				t.Errorf("table %s is not classified: add it to tenantTables (with its NOT NULL org_id starting an index) "+
					"or to platformTables (with the reason) in internal/store/schema_tenant_test.go, and to the Citus plan in docs/OPERATIONS.md", table)
			case tenant:
				s := readLiveSchema(t, kind, dsn, table)
				notNull, ok := s.notNull[col]
				switch {
				case !ok:
					t.Errorf("tenant table %s has no column %s", table, col)
				case !notNull:
					t.Errorf("tenant table %s: column %s may be NULL; want NOT NULL (a migration must fix it)", table, col)
				}
				if len(s.indexFirsts[col]) == 0 {
					t.Errorf("tenant table %s: no index starts with %s; want one (the primary key counts; a migration must add it)", table, col)
				}
			}
		}
		for _, m := range []map[string]string{tenantTables, platformTables} {
			for table := range m {
				if !slices.Contains(live, table) {
					t.Errorf("table %s is classified in internal/store/schema_tenant_test.go but does not exist: remove it", table)
				}
			}
		}
	})
}
