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
	rows, err := t.query(ctx, q, args...)
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

// LicenseNeedCounts counts the organization's devices per model and
// folder in one query over the index devices_model (org_id, model, …).
func (t *Tx) LicenseNeedCounts(ctx context.Context, orgID string) ([]license.NeedCount, error) {
	rows, err := t.query(ctx, `SELECT model, folder_id, COUNT(*) FROM devices WHERE org_id = ?
		GROUP BY model, folder_id ORDER BY model, folder_id`, orgID)
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
