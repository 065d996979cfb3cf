package store

import (
	"context"
	"database/sql"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/org"
)

// Orgs returns the organization store.
func (db *DB) Orgs() org.Store { return runner[org.Tx]{db, func(t *Tx) org.Tx { return t }} }

// Audit returns the audit store.
func (db *DB) Audit() audit.Store {
	return readRunner[audit.Tx]{db, func(t *Tx) audit.Tx { return t }}
}

type readRunner[T any] struct {
	db   *DB
	wrap func(*Tx) T
}

func (r readRunner[T]) Read(ctx context.Context, fn func(T) error) error {
	return r.db.Read(ctx, func(tx *Tx) error { return fn(r.wrap(tx)) })
}

const orgCols = `o.id, o.name, o.notes, o.require_mfa, o.status, o.root_folder_id, o.created_at, o.archived_at`

func scanOrg(row interface{ Scan(...any) error }, extra ...any) (org.Org, error) {
	var o org.Org
	var c int64
	var a sql.NullInt64
	err := row.Scan(append([]any{&o.ID, &o.Name, &o.Notes, &o.RequireMFA, &o.Status, &o.RootFolderID, &c, &a}, extra...)...)
	o.CreatedAt, o.ArchivedAt = fromMicros(c), fromNullMicros(a)
	return o, err
}

// CreateOrg inserts an organization.
func (t *Tx) CreateOrg(ctx context.Context, o org.Org) error {
	_, err := t.exec(ctx, `INSERT INTO orgs (id, name, notes, require_mfa, status, root_folder_id, created_at, archived_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, o.ID, o.Name, o.Notes, o.RequireMFA, o.Status, o.RootFolderID,
		micros(o.CreatedAt), nullMicros(o.ArchivedAt))
	return conflictOr(err, errs.E(errs.Conflict, "err.org.exists"), "insert org")
}

// UpdateOrg saves an organization's mutable fields.
func (t *Tx) UpdateOrg(ctx context.Context, o org.Org) error {
	return t.execOne(ctx, errs.NotFoundf("err.org.not_found", o.ID),
		`UPDATE orgs SET name = ?, notes = ?, require_mfa = ?, status = ?, archived_at = ? WHERE id = ?`,
		o.Name, o.Notes, o.RequireMFA, o.Status, nullMicros(o.ArchivedAt), o.ID)
}

// Org returns an organization whatever its status.
func (t *Tx) Org(ctx context.Context, id string) (org.Org, error) {
	o, err := scanOrg(t.queryRow(ctx, `SELECT `+orgCols+` FROM orgs o WHERE o.id = ?`, id))
	if err != nil {
		return o, notFoundOr(err, errs.NotFoundf("err.org.not_found", id), "org")
	}
	return o, nil
}

// CreateFolder inserts a folder; a sibling with the same name is a Conflict.
func (t *Tx) CreateFolder(ctx context.Context, f org.Folder) error {
	_, err := t.exec(ctx, `INSERT INTO folders (org_id, id, parent_id, name, created_at) VALUES (?, ?, ?, ?, ?)`,
		f.OrgID, f.ID, nullString(f.ParentID), f.Name, micros(f.CreatedAt))
	if isForeignKeyViolation(err) {
		return errs.InvalidField("parent_id", "err.folder.parent_not_found", f.ParentID)
	}
	return conflictOr(err, errs.E(errs.Conflict, "err.folder.exists_here", f.Name), "insert folder")
}

// AddMember inserts a membership.
func (t *Tx) AddMember(ctx context.Context, m org.Membership) error {
	_, err := t.exec(ctx, `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`,
		m.OrgID, m.UserID, string(m.Role), micros(m.CreatedAt))
	return conflictOr(err, errs.E(errs.Conflict, "err.member.exists"), "insert membership")
}

// Membership returns a user's membership in an organization.
func (t *Tx) Membership(ctx context.Context, orgID, userID string) (org.Membership, error) {
	m := org.Membership{OrgID: orgID, UserID: userID}
	var role string
	var c int64
	err := t.queryRow(ctx, `SELECT role, created_at FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID).Scan(&role, &c)
	if err != nil {
		return m, notFoundOr(err, errs.NotFoundf("err.member.not_found_plain"), "membership")
	}
	m.Role, m.CreatedAt = access.Role(role), fromMicros(c)
	return m, nil
}

// MyOrgs lists a user's active organizations by name.
func (t *Tx) MyOrgs(ctx context.Context, userID string, p org.Page) ([]org.Mine, string, error) {
	q := `SELECT ` + orgCols + `, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id
		WHERE m.user_id = ? AND o.status = 'active'`
	args := []any{userID}
	if p.Cursor != "" {
		var name, id string
		if err := decodeCursor(p.Cursor, &name, &id); err != nil {
			return nil, "", err
		}
		q += ` AND (o.name > ? OR (o.name = ? AND o.id > ?))`
		args = append(args, name, name, id)
	}
	q += ` ORDER BY o.name, o.id LIMIT ?`
	args = append(args, p.Limit+1)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, "", errs.Wrap(err, "my orgs")
	}
	defer rows.Close()
	out := []org.Mine{}
	for rows.Next() {
		var role string
		o, err := scanOrg(rows, &role)
		if err != nil {
			return nil, "", errs.Wrap(err, "scan org")
		}
		out = append(out, org.Mine{Org: o, Role: access.Role(role)})
	}
	if err := rows.Err(); err != nil {
		return nil, "", errs.Wrap(err, "my orgs")
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		last := out[len(out)-1].Org
		next = encodeCursor(last.Name, last.ID)
	}
	return out, next, nil
}
