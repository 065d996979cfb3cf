package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/errs"
	"mysystems/internal/org"
)

// Folders returns all of an organization's folders.
func (t *Tx) Folders(ctx context.Context, orgID string) ([]org.Folder, error) {
	rows, err := t.query(ctx, `SELECT id, parent_id, name, created_at FROM folders WHERE org_id = ?`, orgID)
	if err != nil {
		return nil, errs.Wrap(err, "folders")
	}
	defer rows.Close()
	var out []org.Folder
	for rows.Next() {
		f := org.Folder{OrgID: orgID}
		var parent sql.NullString
		var c int64
		if err := rows.Scan(&f.ID, &parent, &f.Name, &c); err != nil {
			return nil, errs.Wrap(err, "scan folder")
		}
		f.ParentID, f.CreatedAt = parent.String, fromMicros(c)
		out = append(out, f)
	}
	return out, errs.Wrap(rows.Err(), "folders")
}

// UpdateFolder saves a folder's name and parent.
func (t *Tx) UpdateFolder(ctx context.Context, f org.Folder) error {
	_, err := t.exec(ctx, `UPDATE folders SET name = ?, parent_id = ? WHERE org_id = ? AND id = ?`,
		f.Name, nullString(f.ParentID), f.OrgID, f.ID)
	return conflictOr(err, errs.E(errs.Conflict, "err.folder.exists_here", f.Name), "update folder")
}

// DeleteFolder deletes a folder (the domain has checked it is empty).
func (t *Tx) DeleteFolder(ctx context.Context, orgID, id string) error {
	err := t.execOne(ctx, errs.NotFoundf("err.folder.not_found", id), `DELETE FROM folders WHERE org_id = ? AND id = ?`, orgID, id)
	if isForeignKeyViolation(err) {
		return errs.E(errs.Conflict, "err.folder.not_empty")
	}
	return err
}

// LockOrg takes the organization's row lock for the transaction (a no-op on
// SQLite, whose write transactions are already exclusive).
func (t *Tx) LockOrg(ctx context.Context, orgID string) error {
	var id string
	err := t.queryRow(ctx, `SELECT id FROM orgs WHERE id = ?`+t.d.forUpdate(), orgID).Scan(&id)
	return notFoundOr(err, errs.NotFoundf("err.org.not_found", orgID), "lock org")
}

// Members lists an organization's members by e-mail, with their grants.
func (t *Tx) Members(ctx context.Context, orgID string, p org.Page) ([]org.Member, string, error) {
	q := `SELECT u.id, u.email, u.email_norm, u.name, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ?`
	args := []any{orgID}
	if p.Cursor != "" {
		var email, id string
		if err := decodeCursor(p.Cursor, &email, &id); err != nil {
			return nil, "", err
		}
		q += ` AND (u.email_norm > ? OR (u.email_norm = ? AND u.id > ?))`
		args = append(args, email, email, id)
	}
	q += ` ORDER BY u.email_norm, u.id LIMIT ?`
	args = append(args, p.Limit+1)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, "", errs.Wrap(err, "members")
	}
	var out []org.Member
	var norms []string
	for rows.Next() {
		var m org.Member
		var role, norm string
		var c int64
		if err := rows.Scan(&m.UserID, &m.Email, &norm, &m.Name, &role, &c); err != nil {
			rows.Close()
			return nil, "", errs.Wrap(err, "scan member")
		}
		m.Role, m.JoinedAt, m.Folders = access.Role(role), fromMicros(c), []string{}
		out = append(out, m)
		norms = append(norms, norm)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", errs.Wrap(err, "members")
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		next = encodeCursor(norms[p.Limit-1], out[len(out)-1].UserID)
	}
	if len(out) == 0 {
		return []org.Member{}, "", nil
	}
	idx := map[string]int{}
	for i, m := range out {
		idx[m.UserID] = i
	}
	grows, err := t.query(ctx, `SELECT user_id, folder_id FROM folder_grants WHERE org_id = ? ORDER BY folder_id`, orgID)
	if err != nil {
		return nil, "", errs.Wrap(err, "grants")
	}
	defer grows.Close()
	for grows.Next() {
		var u, f string
		if err := grows.Scan(&u, &f); err != nil {
			return nil, "", errs.Wrap(err, "scan grant")
		}
		if i, ok := idx[u]; ok {
			out[i].Folders = append(out[i].Folders, f)
		}
	}
	return out, next, errs.Wrap(grows.Err(), "grants")
}

// Grants returns a member's granted folder ids.
func (t *Tx) Grants(ctx context.Context, orgID, userID string) ([]string, error) {
	rows, err := t.query(ctx, `SELECT folder_id FROM folder_grants WHERE org_id = ? AND user_id = ? ORDER BY folder_id`, orgID, userID)
	if err != nil {
		return nil, errs.Wrap(err, "grants")
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, errs.Wrap(err, "scan grant")
		}
		out = append(out, f)
	}
	return out, errs.Wrap(rows.Err(), "grants")
}

// SetGrants replaces a member's grants.
func (t *Tx) SetGrants(ctx context.Context, orgID, userID string, folderIDs []string) error {
	if _, err := t.exec(ctx, `DELETE FROM folder_grants WHERE org_id = ? AND user_id = ?`, orgID, userID); err != nil {
		return errs.Wrap(err, "clear grants")
	}
	for _, f := range folderIDs {
		if _, err := t.exec(ctx, `INSERT INTO folder_grants (org_id, user_id, folder_id) VALUES (?, ?, ?)`, orgID, userID, f); err != nil {
			if isForeignKeyViolation(err) {
				return errs.InvalidField("folders", "err.folder.not_in_org", f)
			}
			return errs.Wrap(err, "insert grant")
		}
	}
	return nil
}

// UpdateMembership saves a member's role.
func (t *Tx) UpdateMembership(ctx context.Context, m org.Membership) error {
	return t.execOne(ctx, errs.NotFoundf("err.member.not_found", m.UserID),
		`UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?`, string(m.Role), m.OrgID, m.UserID)
}

// RemoveMembership removes a member and their grants.
func (t *Tx) RemoveMembership(ctx context.Context, orgID, userID string) error {
	if _, err := t.exec(ctx, `DELETE FROM folder_grants WHERE org_id = ? AND user_id = ?`, orgID, userID); err != nil {
		return errs.Wrap(err, "remove grants")
	}
	return t.execOne(ctx, errs.NotFoundf("err.member.not_found", userID),
		`DELETE FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID)
}

// CountOwners counts an organization's Owners.
func (t *Tx) CountOwners(ctx context.Context, orgID string) (int, error) {
	var n int
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM memberships WHERE org_id = ? AND role = 'owner'`, orgID).Scan(&n)
	return n, errs.Wrap(err, "count owners")
}

const invCols = `org_id, id, email, role, folders, invited_by, created_at, expires_at, status, accepted_by, closed_at, lang`

func scanInvitation(row interface{ Scan(...any) error }) (org.Invitation, error) {
	var i org.Invitation
	var role, folders string
	var c, e int64
	var closed sql.NullInt64
	if err := row.Scan(&i.OrgID, &i.ID, &i.Email, &role, &folders, &i.InvitedBy, &c, &e, &i.Status, &i.AcceptedBy, &closed, &i.Lang); err != nil {
		return i, err
	}
	i.Role, i.CreatedAt, i.ExpiresAt, i.ClosedAt = access.Role(role), fromMicros(c), fromMicros(e), fromNullMicros(closed)
	if err := json.Unmarshal([]byte(folders), &i.Folders); err != nil {
		return i, err
	}
	return i, nil
}

// CreateInvitation inserts an invitation.
func (t *Tx) CreateInvitation(ctx context.Context, i org.Invitation, secretHash string) error {
	folders, err := json.Marshal(i.Folders)
	if err != nil {
		return errs.Wrap(err, "invitation folders")
	}
	lang := i.Lang
	if lang == "" {
		lang = "en"
	}
	_, err = t.exec(ctx, `INSERT INTO invitations (org_id, id, email, role, folders, secret_hash, invited_by, created_at, expires_at, status, accepted_by, closed_at, lang)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, i.OrgID, i.ID, i.Email, string(i.Role), string(folders), secretHash, i.InvitedBy,
		micros(i.CreatedAt), micros(i.ExpiresAt), i.Status, i.AcceptedBy, nullMicros(i.ClosedAt), lang)
	return errs.Wrap(err, "insert invitation")
}

// InvitationByHash finds an invitation by its link secret's hash, in any
// organization: the secret is the credential.
func (t *Tx) InvitationByHash(ctx context.Context, secretHash string) (org.Invitation, error) {
	i, err := scanInvitation(t.queryRow(ctx, `SELECT `+invCols+` FROM invitations WHERE secret_hash = ?`, secretHash))
	if err != nil {
		return i, notFoundOr(err, errs.NotFoundf("err.invitation.not_found_plain"), "invitation by hash")
	}
	return i, nil
}

// Invitation returns one of an organization's invitations.
func (t *Tx) Invitation(ctx context.Context, orgID, id string) (org.Invitation, error) {
	i, err := scanInvitation(t.queryRow(ctx, `SELECT `+invCols+` FROM invitations WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return i, notFoundOr(err, errs.NotFoundf("err.invitation.not_found", id), "invitation")
	}
	return i, nil
}

// Invitations lists an organization's invitations pending at the given
// time, newest first.
func (t *Tx) Invitations(ctx context.Context, orgID string, pendingAt time.Time, p org.Page) ([]org.Invitation, string, error) {
	q := `SELECT ` + invCols + ` FROM invitations WHERE org_id = ? AND status = 'pending' AND expires_at > ?`
	args := []any{orgID, micros(pendingAt)}
	if p.Cursor != "" {
		var c int64
		var id string
		if err := decodeCursor(p.Cursor, &c, &id); err != nil {
			return nil, "", err
		}
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, c, c, id)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, p.Limit+1)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, "", errs.Wrap(err, "invitations")
	}
	defer rows.Close()
	out := []org.Invitation{}
	for rows.Next() {
		i, err := scanInvitation(rows)
		if err != nil {
			return nil, "", errs.Wrap(err, "scan invitation")
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, "", errs.Wrap(err, "invitations")
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		last := out[len(out)-1]
		next = encodeCursor(micros(last.CreatedAt), last.ID)
	}
	return out, next, nil
}

// UpdateInvitation saves an invitation's state.
func (t *Tx) UpdateInvitation(ctx context.Context, i org.Invitation) error {
	return t.execOne(ctx, errs.NotFoundf("err.invitation.not_found", i.ID),
		`UPDATE invitations SET status = ?, accepted_by = ?, closed_at = ? WHERE org_id = ? AND id = ?`,
		i.Status, i.AcceptedBy, nullMicros(i.ClosedAt), i.OrgID, i.ID)
}

// ExpireInvitations marks pending invitations past expiry as expired.
func (t *Tx) ExpireInvitations(ctx context.Context, now time.Time) (int, error) {
	res, err := t.exec(ctx, `UPDATE invitations SET status = 'expired', closed_at = expires_at WHERE status = 'pending' AND expires_at <= ?`, micros(now))
	if err != nil {
		return 0, errs.Wrap(err, "expire invitations")
	}
	n, err := res.RowsAffected()
	return int(n), errs.Wrap(err, "expire invitations")
}
