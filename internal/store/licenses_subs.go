package store

import (
	"context"
	"database/sql"
	"time"

	"mysystems/internal/errs"
	"mysystems/internal/license"
)

// Subscriptions of the license manager (SPEC §9 LIC-1, LIC-4..9): the
// organization's period, its started products and their years, and the
// need counted from its devices.

// LockLicenses serializes the license changes of one organization until
// the transaction ends: on PostgreSQL an advisory lock on the
// organization (allocations, starts and the daily job of the same
// organization run one after the other, on any instance); SQLite's single
// writer already does.
func (t *Tx) LockLicenses(ctx context.Context, orgID string) error {
	return errs.Wrap(t.lockKey(ctx, "licenses:"+orgID), "lock licenses")
}

// LicensePeriod returns the organization's period; the zero Period while
// no product started.
func (t *Tx) LicensePeriod(ctx context.Context, orgID string) (license.Period, error) {
	var anchor string
	err := t.queryRow(ctx, `SELECT anchor FROM license_periods WHERE org_id = ?`, orgID).Scan(&anchor)
	if err == sql.ErrNoRows {
		return license.Period{}, nil
	}
	if err != nil {
		return license.Period{}, errs.Wrap(err, "license period")
	}
	d, err := license.ParseDate(anchor)
	if err != nil {
		return license.Period{}, errs.Wrap(err, "stored anchor")
	}
	return license.Period{Anchor: d}, nil
}

// CreateLicensePeriod sets the organization's anchor; a second one is a
// conflict.
func (t *Tx) CreateLicensePeriod(ctx context.Context, orgID string, anchor license.Date, at time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO license_periods (org_id, anchor, created_at) VALUES (?, ?, ?)`,
		orgID, anchor.String(), micros(at))
	return conflictOr(err, errs.E(errs.Conflict, "err.license.period_exists"), "insert license period")
}

const licenseSubCols = `product, started_on, trial_ended, status, started_by, processed_on`

func scanLicenseSub(sc interface{ Scan(...any) error }) (license.ProductSubscription, error) {
	var s license.ProductSubscription
	var started, processed, status string
	var ended sql.NullString
	if err := sc.Scan(&s.Product, &started, &ended, &status, &s.StartedBy, &processed); err != nil {
		return s, err
	}
	var err error
	if s.Started, err = license.ParseDate(started); err != nil {
		return s, errs.Wrap(err, "stored start day")
	}
	if s.Processed, err = license.ParseDate(processed); err != nil {
		return s, errs.Wrap(err, "stored processed day")
	}
	if ended.Valid {
		if s.TrialEnded, err = license.ParseDate(ended.String); err != nil {
			return s, errs.Wrap(err, "stored trial end")
		}
	}
	s.Status, s.Years = license.Status(status), map[int]license.Year{}
	return s, nil
}

// LicenseSubscriptions returns the organization's started products, by
// product id, with their years.
func (t *Tx) LicenseSubscriptions(ctx context.Context, orgID string) ([]license.ProductSubscription, error) {
	rows, err := t.query(ctx, `SELECT `+licenseSubCols+` FROM license_subscriptions WHERE org_id = ? ORDER BY product`, orgID)
	if err != nil {
		return nil, errs.Wrap(err, "license subscriptions")
	}
	var out []license.ProductSubscription
	for rows.Next() {
		s, err := scanLicenseSub(rows)
		if err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "scan license subscription")
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "license subscriptions")
	}
	years, err := t.licenseYears(ctx, orgID, "")
	if err != nil {
		return nil, err
	}
	for i := range out {
		for k, y := range years[out[i].Product] {
			out[i].Years[k] = y
		}
	}
	return out, nil
}

// LicenseSubscription returns one started product with its years; not
// found (the product's not_started error) when it has not started.
func (t *Tx) LicenseSubscription(ctx context.Context, orgID, product string) (license.ProductSubscription, error) {
	s, err := scanLicenseSub(t.queryRow(ctx, `SELECT `+licenseSubCols+` FROM license_subscriptions
		WHERE org_id = ? AND product = ?`, orgID, product))
	if err != nil {
		return s, notFoundOr(err, errs.NotFoundf("err.license.not_started", product), "license subscription")
	}
	years, err := t.licenseYears(ctx, orgID, product)
	if err != nil {
		return s, err
	}
	s.Years = years[product]
	if s.Years == nil {
		s.Years = map[int]license.Year{}
	}
	return s, nil
}

// licenseYears reads the organization's years, of one product or ("") of
// all, by product and k.
func (t *Tx) licenseYears(ctx context.Context, orgID, product string) (map[string]map[int]license.Year, error) {
	q, args := `SELECT product, year, allocated, need FROM license_years WHERE org_id = ?`, []any{orgID}
	if product != "" {
		q += ` AND product = ?`
		args = append(args, product)
	}
	rows, err := t.queryOwned(ctx, q, args...)
	if err != nil {
		return nil, errs.Wrap(err, "license years")
	}
	defer rows.Close()
	out := map[string]map[int]license.Year{}
	for rows.Next() {
		var p string
		var k int
		var y license.Year
		var need sql.NullInt64
		if err := rows.Scan(&p, &k, &y.Allocated, &need); err != nil {
			return nil, errs.Wrap(err, "scan license year")
		}
		y.Need, y.Recorded = int(need.Int64), need.Valid
		if out[p] == nil {
			out[p] = map[int]license.Year{}
		}
		out[p][k] = y
	}
	return out, errs.Wrap(rows.Err(), "license years")
}

func nullDate(d license.Date) sql.NullString {
	if d.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: d.String(), Valid: true}
}

// CreateLicenseSubscription starts a product in an organization, with the
// years s has; one started already is a conflict.
func (t *Tx) CreateLicenseSubscription(ctx context.Context, orgID string, s license.ProductSubscription, at time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO license_subscriptions (org_id, product, started_on, trial_ended, status, started_by,
		processed_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		orgID, s.Product, s.Started.String(), nullDate(s.TrialEnded), string(s.Status), s.StartedBy, s.Processed.String(), micros(at))
	if isForeignKeyViolation(err) {
		return errs.NotFoundf("err.license.product_unknown", s.Product)
	}
	if err := conflictOr(err, errs.E(errs.Conflict, "err.license.started", s.Product, s.Started.String()), "insert license subscription"); err != nil {
		return err
	}
	for k, y := range s.Years {
		if err := t.SetLicenseYear(ctx, orgID, s.Product, k, y, at); err != nil {
			return err
		}
	}
	return nil
}

// UpdateLicenseSubscription records a started product's early trial end,
// status and last processed day (its years are set by SetLicenseYear).
func (t *Tx) UpdateLicenseSubscription(ctx context.Context, orgID string, s license.ProductSubscription) error {
	return t.execOne(ctx, errs.NotFoundf("err.license.not_started", s.Product),
		`UPDATE license_subscriptions SET trial_ended = ?, status = ?, processed_on = ? WHERE org_id = ? AND product = ?`,
		nullDate(s.TrialEnded), string(s.Status), s.Processed.String(), orgID, s.Product)
}

// SetLicenseYear records what a started product has for year k: what is
// allocated to it and, once recorded, its need.
func (t *Tx) SetLicenseYear(ctx context.Context, orgID, product string, k int, y license.Year, at time.Time) error {
	var need, renewed sql.NullInt64
	if y.Recorded {
		need = sql.NullInt64{Int64: int64(y.Need), Valid: true}
		renewed = sql.NullInt64{Int64: micros(at), Valid: true}
	}
	_, err := t.exec(ctx, `INSERT INTO license_years (org_id, product, year, allocated, need, renewed_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, product, year) DO UPDATE SET allocated = excluded.allocated, need = excluded.need,
		renewed_at = COALESCE(license_years.renewed_at, excluded.renewed_at)`,
		orgID, product, k, y.Allocated, need, renewed)
	if isForeignKeyViolation(err) {
		return errs.NotFoundf("err.license.not_started", product)
	}
	return errs.Wrap(err, "set license year")
}

// NeedCountsQuery reads how many of an organization's devices of each
// model sit in each folder, from the counts the devices' triggers keep
// (migration 0015): a few rows by primary key, however many devices.
const NeedCountsQuery = `SELECT model, folder_id, devices FROM device_counts WHERE org_id = ? AND devices > 0
	ORDER BY model, folder_id`

// LicenseNeedCounts returns the organization's devices per model and
// folder (LIC-5: what every product's need is counted from).
func (t *Tx) LicenseNeedCounts(ctx context.Context, orgID string) ([]license.NeedCount, error) {
	rows, err := t.queryOwned(ctx, NeedCountsQuery, orgID)
	if err != nil {
		return nil, errs.Wrap(err, "license need")
	}
	defer rows.Close()
	var out []license.NeedCount
	for rows.Next() {
		var c license.NeedCount
		if err := rows.Scan(&c.Model, &c.FolderID, &c.Devices); err != nil {
			return nil, errs.Wrap(err, "scan license need")
		}
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "license need")
}

// The daily job (LIC-2, LIC-7).

// LicenseAccountsDue returns the organization and product pairs the daily
// job has work for on day today, in active organizations: a started
// product whose last processed day is before today, or a lot whose expiry
// came and that still holds licenses (a platform query, over the
// license_lots_expiry index).
func (t *Tx) LicenseAccountsDue(ctx context.Context, today license.Date) ([]license.Account, error) {
	rows, err := t.query(ctx, `SELECT s.org_id, s.product FROM license_subscriptions s JOIN orgs o ON o.id = s.org_id
		WHERE o.status = 'active' AND s.processed_on < ?
		UNION
		SELECT l.org_id, l.product FROM license_lots l JOIN orgs o ON o.id = l.org_id
		WHERE o.status = 'active' AND l.quantity > 0 AND l.expired_at IS NULL AND l.expires_on <= ?
		ORDER BY 1, 2`, today.String(), today.String())
	if err != nil {
		return nil, errs.Wrap(err, "license accounts due")
	}
	defer rows.Close()
	var out []license.Account
	for rows.Next() {
		var a license.Account
		if err := rows.Scan(&a.Org, &a.Product); err != nil {
			return nil, errs.Wrap(err, "scan license account")
		}
		out = append(out, a)
	}
	return out, errs.Wrap(rows.Err(), "license accounts due")
}

// ExpireLicenseLot empties a lot on its expiry: its quantity becomes 0 and
// expired_at is set, once.
func (t *Tx) ExpireLicenseLot(ctx context.Context, orgID, id string, at time.Time) error {
	return t.execOne(ctx, errs.NotFoundf("err.license.lot_not_found", id),
		`UPDATE license_lots SET quantity = 0, expired_at = ? WHERE org_id = ? AND id = ? AND expired_at IS NULL`,
		micros(at), orgID, id)
}

// MarkLicenseNotice records that a reminder went out; false when it had.
func (t *Tx) MarkLicenseNotice(ctx context.Context, orgID, notice string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO license_notices (org_id, notice, sent_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		orgID, notice, micros(at))
	if err != nil {
		return false, errs.Wrap(err, "license notice")
	}
	n, err := res.RowsAffected()
	return n == 1, errs.Wrap(err, "license notice")
}

// LicenseRecipients returns the e-mail and language of an organization's
// Owners and Admins.
func (t *Tx) LicenseRecipients(ctx context.Context, orgID string) ([]license.Recipient, error) {
	rows, err := t.query(ctx, `SELECT u.email, u.lang FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND m.role IN ('owner', 'admin') ORDER BY u.email_norm`, orgID)
	if err != nil {
		return nil, errs.Wrap(err, "license recipients")
	}
	defer rows.Close()
	var out []license.Recipient
	for rows.Next() {
		var r license.Recipient
		if err := rows.Scan(&r.Email, &r.Lang); err != nil {
			return nil, errs.Wrap(err, "scan license recipient")
		}
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "license recipients")
}

// LicenseOrgs returns every organization with license data: a history
// entry, a lot or a started product (a platform query, for the
// conservation check).
func (t *Tx) LicenseOrgs(ctx context.Context) ([]string, error) {
	rows, err := t.query(ctx, `SELECT org_id FROM license_history UNION SELECT org_id FROM license_lots
		UNION SELECT org_id FROM license_subscriptions ORDER BY 1`)
	if err != nil {
		return nil, errs.Wrap(err, "license organizations")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "scan license organization")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "license organizations")
}
