package store

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"mysystems/internal/errs"
)

// nowFunc is only for bookkeeping columns the domain does not see
// (schema_migrations.applied_at); domain times come from injected clocks.
var nowFunc = func() time.Time { return time.Now().UTC() }

// micros is the stored form of a time: microseconds since the epoch, UTC.
func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// Cursors are opaque to clients: the sort key of the last item returned,
// JSON-encoded and base64url'd.
func encodeCursor(key ...any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string, dst ...any) error {
	bad := errs.InvalidField("cursor", "err.list.cursor_page")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return bad
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != len(dst) {
		return bad
	}
	for i := range dst {
		if err := json.Unmarshal(raw[i], dst[i]); err != nil {
			return bad
		}
		// No sort key holds a NUL, and PostgreSQL's text cannot.
		if s, ok := dst[i].(*string); ok && strings.ContainsRune(*s, 0) {
			return bad
		}
	}
	return nil
}

// likeEscape escapes a user string for use in LIKE ... ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// marks is the placeholder list of n values: "?,?,?".
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
