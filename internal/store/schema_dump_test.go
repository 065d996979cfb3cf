package store_test

// Reading a database's schema and rows back as SQL, for the schema fixtures
// in testdata/schema (schema_fixture_test.go) and the live-schema checks
// (schema_tenant_test.go). Test code only: the product never dumps itself.

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mysystems/internal/store"
)

// rawDB opens a database setting with database/sql alone, outside the
// store: to load a fixture into a database no migration has touched, and
// to read the catalogue. SQLite opens without the store's pragmas, so
// foreign keys are off while a fixture loads (its rows come in table order).
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if store.IsPostgres(dsn) {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	db.SetMaxOpenConns(1) // one session: search_path and pragmas hold throughout
	t.Cleanup(func() { db.Close() })
	return db
}

// loadSQL runs a fixture (many statements) on a database setting.
func loadSQL(t *testing.T, dsn, script string) {
	t.Helper()
	if _, err := rawDB(t, dsn).ExecContext(context.Background(), script); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
}

// migrationNames lists a dialect's migration files, in order, as the
// source tree holds them (the store embeds the same directory).
func migrationNames(t *testing.T, kind string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("migrations", kind))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

// dumpSQL returns the schema as the database reports it and every row as
// an INSERT, in an order that loads into an empty database of that kind.
func dumpSQL(t *testing.T, kind, dsn string) string {
	t.Helper()
	db := rawDB(t, dsn)
	var out string
	var err error
	if kind == "sqlite" {
		out, err = dumpSQLite(db)
	} else {
		out, err = dumpPostgres(db)
	}
	if err != nil {
		t.Fatalf("dump %s: %v", kind, err)
	}
	return out
}

// liveTables lists the database's tables.
func liveTables(t *testing.T, kind, dsn string) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if kind == "postgres" {
		q = `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := queryStrings(rawDB(t, dsn), q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r[0])
	}
	return out
}

func queryStrings(db *sql.DB, q string, args ...any) ([][]string, error) {
	rows, err := db.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// sqlLiteral writes a value read from either driver as SQL.
func sqlLiteral(v any, kind string) (string, error) {
	switch x := v.(type) {
	case nil:
		return "NULL", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		if kind == "sqlite" {
			return map[bool]string{false: "0", true: "1"}[x], nil
		}
		return map[bool]string{false: "false", true: "true"}[x], nil
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'", nil
	case []byte:
		return "'" + strings.ReplaceAll(string(x), "'", "''") + "'", nil
	}
	return "", fmt.Errorf("no SQL literal for %T", v)
}

// insertRows writes one INSERT per row of q's result.
func insertRows(b *strings.Builder, db *sql.DB, kind, table, q, overriding string) (int, error) {
	rows, err := db.Query(q)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	n := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		lits := make([]string, len(vals))
		for i, v := range vals {
			if lits[i], err = sqlLiteral(v, kind); err != nil {
				return 0, fmt.Errorf("%s.%s: %w", table, cols[i], err)
			}
		}
		fmt.Fprintf(b, "INSERT INTO %s (%s)%s VALUES (%s);\n", table, strings.Join(cols, ", "), overriding, strings.Join(lits, ", "))
		n++
	}
	return n, rows.Err()
}

// dumpSQLite writes sqlite_master's own statements: the tables in the
// order they were created, their rows, then indexes (and any trigger or
// view). Internal tables (sqlite_sequence) are left out: SQLite rebuilds
// AUTOINCREMENT counters from the rows inserted.
func dumpSQLite(db *sql.DB) (string, error) {
	objs, err := queryStrings(db, `SELECT type, name, sql FROM sqlite_master
		WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid`)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	var tables []string
	for _, o := range objs {
		if o[0] == "table" {
			b.WriteString(o[2] + ";\n\n")
			tables = append(tables, o[1])
		}
	}
	for _, tbl := range tables {
		if _, err := insertRows(&b, db, "sqlite", tbl, `SELECT * FROM `+tbl+` ORDER BY rowid`, ""); err != nil {
			return "", err
		}
		b.WriteString("\n")
	}
	for _, o := range objs {
		if o[0] != "table" {
			b.WriteString(o[2] + ";\n")
		}
	}
	return b.String(), nil
}

// dumpPostgres writes the current schema as pg_dump lays it out: tables
// with their columns, defaults and NOT NULL; rows; identity counters;
// primary-key, unique and check constraints; indexes; foreign keys. Names
// are unqualified, so the dump loads into whatever schema search_path
// names (the tests' throwaway schemas).
func dumpPostgres(db *sql.DB) (string, error) {
	var schema string
	if err := db.QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
		return "", err
	}
	tables, err := queryStrings(db, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname`, schema)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	identity := map[string][]string{} // table → identity columns
	for _, tr := range tables {
		tbl := tr[0]
		cols, err := queryStrings(db, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
				COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity
			FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
			WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, tbl)
		if err != nil {
			return "", err
		}
		var defs []string
		for _, c := range cols {
			def := "    " + c[0] + " " + c[1]
			switch c[4] {
			case "a":
				def += " GENERATED ALWAYS AS IDENTITY"
				identity[tbl] = append(identity[tbl], c[0])
			case "d":
				def += " GENERATED BY DEFAULT AS IDENTITY"
				identity[tbl] = append(identity[tbl], c[0])
			}
			if c[3] != "" {
				def += " DEFAULT " + c[3]
			}
			if c[2] == "true" {
				def += " NOT NULL"
			}
			defs = append(defs, def)
		}
		fmt.Fprintf(&b, "CREATE TABLE %s (\n%s\n);\n\n", tbl, strings.Join(defs, ",\n"))
	}
	for _, tr := range tables {
		tbl := tr[0]
		overriding := ""
		if len(identity[tbl]) > 0 {
			overriding = " OVERRIDING SYSTEM VALUE"
		}
		if _, err := insertRows(&b, db, "postgres", tbl, `SELECT * FROM `+tbl+` ORDER BY `+ordinals(db, tbl), overriding); err != nil {
			return "", err
		}
		for _, col := range identity[tbl] {
			fmt.Fprintf(&b, "SELECT setval(pg_get_serial_sequence('%s', '%s'), (SELECT MAX(%s) FROM %s));\n", tbl, col, col, tbl)
		}
		b.WriteString("\n")
	}
	constraints := func(types string) ([][]string, error) {
		return queryStrings(db, `SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
			FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND strpos($2, k.contype::text) > 0
			ORDER BY c.relname, strpos($2, k.contype::text), k.conname`, schema, types)
	}
	keys, err := constraints("puc")
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "ALTER TABLE ONLY %s ADD CONSTRAINT %s %s;\n", k[0], k[1], k[2])
	}
	b.WriteString("\n")
	// Indexes that back no constraint (a foreign key's conindid names the
	// referenced table's key, hence the contype filter).
	idx, err := queryStrings(db, `SELECT pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
		ORDER BY c.relname, x.relname`, schema)
	if err != nil {
		return "", err
	}
	qualified := regexp.MustCompile(` ON (ONLY )?` + regexp.QuoteMeta(schema) + `\.`)
	for _, i := range idx {
		b.WriteString(qualified.ReplaceAllString(i[0], " ON $1") + ";\n")
	}
	b.WriteString("\n")
	fks, err := constraints("f")
	if err != nil {
		return "", err
	}
	for _, k := range fks {
		fmt.Fprintf(&b, "ALTER TABLE ONLY %s ADD CONSTRAINT %s %s;\n", k[0], k[1], k[2])
	}
	return b.String(), nil
}

// ordinals is "1, 2, …, n" for a table's n columns: a total order for its
// rows that needs no knowledge of its keys.
func ordinals(db *sql.DB, table string) string {
	var n int
	_ = db.QueryRow(`SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, table).Scan(&n)
	var s []string
	for i := 1; i <= n; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return strings.Join(s, ", ")
}
