package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/license"
)

// Licenses returns the store of the license manager (SPEC §9).
func (db *DB) Licenses() license.Store {
	return licenseRunner{runner[license.Tx]{db, func(t *Tx) license.Tx { return t }}}
}

// licenseRunner groups the license changes that arrive together into one
// transaction on SQLite, where they all wait for the one writer and each
// commit costs more than its statements. On PostgreSQL each change takes
// its organization's license lock, so a transaction shared by changes of
// several organizations could deadlock with another: there WriteGrouped
// is Write.
type licenseRunner struct{ runner[license.Tx] }

func (r licenseRunner) WriteGrouped(ctx context.Context, fn func(license.Tx) error) error {
	if r.db.d == postgresDialect {
		return r.Write(ctx, fn)
	}
	return r.runner.WriteGrouped(ctx, fn)
}

// The catalogue: covers and gates are JSON arrays.

func jsonList[T any](xs []T) (string, error) {
	if xs == nil {
		xs = []T{}
	}
	b, err := json.Marshal(xs)
	return string(b), err
}

const licenseProductCols = `id, name, licensing, covers, gates, created_at, created_by`

func scanLicenseProduct(sc interface{ Scan(...any) error }) (license.Product, error) {
	var p license.Product
	var licensing, covers, gates string
	var created int64
	if err := sc.Scan(&p.ID, &p.Name, &licensing, &covers, &gates, &created, &p.CreatedBy); err != nil {
		return p, err
	}
	p.Licensing, p.CreatedAt = license.Licensing(licensing), fromMicros(created)
	if err := json.Unmarshal([]byte(covers), &p.Covers); err != nil {
		return p, errs.Wrap(err, "product covers")
	}
	if err := json.Unmarshal([]byte(gates), &p.Gates); err != nil {
		return p, errs.Wrap(err, "product gates")
	}
	return p, nil
}

// CreateLicenseProduct adds a product to the catalogue; an id taken is a
// conflict.
func (t *Tx) CreateLicenseProduct(ctx context.Context, p license.Product) error {
	covers, err := jsonList(p.Covers)
	if err != nil {
		return errs.Wrap(err, "product covers")
	}
	gates, err := jsonList(p.Gates)
	if err != nil {
		return errs.Wrap(err, "product gates")
	}
	_, err = t.exec(ctx, `INSERT INTO license_products (`+licenseProductCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Name, string(p.Licensing), covers, gates, micros(p.CreatedAt), p.CreatedBy)
	return conflictOr(err, errs.E(errs.Conflict, "err.license.product_exists", p.ID), "insert license product")
}

// LicenseProducts returns the catalogue by name.
func (t *Tx) LicenseProducts(ctx context.Context) ([]license.Product, error) {
	rows, err := t.query(ctx, `SELECT `+licenseProductCols+` FROM license_products ORDER BY name, id`)
	if err != nil {
		return nil, errs.Wrap(err, "license products")
	}
	defer rows.Close()
	out := []license.Product{}
	for rows.Next() {
		p, err := scanLicenseProduct(rows)
		if err != nil {
			return nil, errs.Wrap(err, "scan license product")
		}
		out = append(out, p)
	}
	return out, errs.Wrap(rows.Err(), "license products")
}

// LicenseProduct returns one product of the catalogue.
func (t *Tx) LicenseProduct(ctx context.Context, id string) (license.Product, error) {
	p, err := scanLicenseProduct(t.queryRow(ctx, `SELECT `+licenseProductCols+` FROM license_products WHERE id = ?`, id))
	if err != nil {
		return p, notFoundOr(err, errs.NotFoundf("err.license.product_unknown", id), "license product")
	}
	return p, nil
}

// Keys: a platform table keyed by the key's hash.

// keyInsertChunk is how many keys one INSERT stores.
const keyInsertChunk = 100

// CreateLicenseKeys stores issued keys, by their hashes.
func (t *Tx) CreateLicenseKeys(ctx context.Context, keys []license.KeyRecord) error {
	for len(keys) > 0 {
		n := min(len(keys), keyInsertChunk)
		var b strings.Builder
		b.WriteString(`INSERT INTO license_keys (key_hash, product, quantity, issued_at, issued_by) VALUES `)
		args := make([]any, 0, 5*n)
		for i, k := range keys[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, k.Hash, k.Product, k.Quantity, micros(k.IssuedAt), k.IssuedBy)
		}
		if _, err := t.exec(ctx, b.String(), args...); err != nil {
			if isForeignKeyViolation(err) {
				return errs.NotFoundf("err.license.product_unknown", keys[0].Product)
			}
			return errs.Wrap(err, "insert license keys")
		}
		keys = keys[n:]
	}
	return nil
}

// LicenseKey returns the key whose hash is hash.
func (t *Tx) LicenseKey(ctx context.Context, hash string) (license.KeyRecord, error) {
	k := license.KeyRecord{Hash: hash}
	var issued int64
	var org sql.NullString
	var redeemed sql.NullInt64
	err := t.queryRow(ctx, `SELECT product, quantity, issued_at, issued_by, redeemed_org, redeemed_at, redeemed_by
		FROM license_keys WHERE key_hash = ?`, hash).
		Scan(&k.Product, &k.Quantity, &issued, &k.IssuedBy, &org, &redeemed, &k.RedeemedBy)
	if err != nil {
		return k, notFoundOr(err, errs.NotFoundf("err.license.key_unknown"), "license key")
	}
	k.IssuedAt, k.RedeemedOrg, k.RedeemedAt = fromMicros(issued), org.String, fromNullMicros(redeemed)
	return k, nil
}

// RedeemLicenseKey marks a key redeemed by an organization with one
// conditional update: of transactions redeeming the same key at once, on
// any instance, one changes the row and the others, which wait for its
// row lock and then find redeemed_org set, change nothing.
func (t *Tx) RedeemLicenseKey(ctx context.Context, hash, orgID, userID string, at time.Time) error {
	return t.execOne(ctx, errs.E(errs.Conflict, "err.license.key_redeemed"),
		`UPDATE license_keys SET redeemed_org = ?, redeemed_at = ?, redeemed_by = ? WHERE key_hash = ? AND redeemed_org IS NULL`,
		orgID, micros(at), userID, hash)
}

// Lots: the product wallet, per organization.

// AddLicenseLot puts a lot into an organization's wallet.
func (t *Tx) AddLicenseLot(ctx context.Context, orgID string, l license.Lot, keyHash string, at time.Time) error {
	var expired sql.NullInt64
	if l.Expired {
		expired = sql.NullInt64{Int64: micros(at), Valid: true}
	}
	_, err := t.exec(ctx, `INSERT INTO license_lots (org_id, id, product, quantity, original, entered_on, expires_on, source,
		key_hash, expired_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		orgID, l.ID, l.Product, l.Quantity, l.Original, l.Entered.String(), l.Expires.String(), string(l.Source),
		keyHash, expired, micros(at))
	if isForeignKeyViolation(err) {
		return errs.NotFoundf("err.license.product_unknown", l.Product)
	}
	return errs.Wrap(err, "insert license lot")
}

// LicenseLots returns an organization's lots of a product, expired and
// empty ones included, those expiring first first.
func (t *Tx) LicenseLots(ctx context.Context, orgID, product string) ([]license.Lot, error) {
	return t.licenseLots(ctx, `SELECT id, product, quantity, original, entered_on, expires_on, source, expired_at
		FROM license_lots WHERE org_id = ? AND product = ? ORDER BY expires_on, entered_on, id`, orgID, product)
}

// LicenseWalletLots returns the lots of a product that still hold
// licenses and have not been recorded expired (over the partial index
// license_lots_wallet), those expiring first first: what a status, an
// allocation or the wallet reads. A lot past its expiry day is among them
// until the daily job records it.
func (t *Tx) LicenseWalletLots(ctx context.Context, orgID, product string) ([]license.Lot, error) {
	return t.licenseLots(ctx, `SELECT id, product, quantity, original, entered_on, expires_on, source, expired_at
		FROM license_lots WHERE org_id = ? AND product = ? AND quantity > 0 AND expired_at IS NULL
		ORDER BY expires_on, entered_on, id`, orgID, product)
}

// LicenseWalletHead returns the first n lots of a product's wallet on day
// today, in the order allocations take them (expiring first, then entered
// first, then by id), and what the whole wallet holds that day: all an
// allocation of n licenses needs, since every lot in the wallet holds at
// least one, however many lots the wallet has.
func (t *Tx) LicenseWalletHead(ctx context.Context, orgID, product string, today license.Date, n int) ([]license.Lot, int, error) {
	var total int
	if err := t.queryRow(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM license_lots
		WHERE org_id = ? AND product = ? AND quantity > 0 AND expired_at IS NULL AND expires_on > ?`,
		orgID, product, today.String()).Scan(&total); err != nil {
		return nil, 0, errs.Wrap(err, "license wallet")
	}
	lots, err := t.licenseLots(ctx, `SELECT id, product, quantity, original, entered_on, expires_on, source, expired_at
		FROM license_lots WHERE org_id = ? AND product = ? AND quantity > 0 AND expired_at IS NULL AND expires_on > ?
		ORDER BY expires_on, entered_on, id LIMIT ?`, orgID, product, today.String(), max(n, 1))
	return lots, total, err
}

func (t *Tx) licenseLots(ctx context.Context, q string, args ...any) ([]license.Lot, error) {
	rows, err := t.queryOwned(ctx, q, args...)
	if err != nil {
		return nil, errs.Wrap(err, "license lots")
	}
	defer rows.Close()
	out := []license.Lot{}
	for rows.Next() {
		var l license.Lot
		var entered, expires, source string
		var expired sql.NullInt64
		if err := rows.Scan(&l.ID, &l.Product, &l.Quantity, &l.Original, &entered, &expires, &source, &expired); err != nil {
			return nil, errs.Wrap(err, "scan license lot")
		}
		if l.Entered, err = license.ParseDate(entered); err != nil {
			return nil, errs.Wrap(err, "stored lot entry day")
		}
		if l.Expires, err = license.ParseDate(expires); err != nil {
			return nil, errs.Wrap(err, "stored lot expiry day")
		}
		l.Source, l.Expired = license.LotSource(source), expired.Valid
		out = append(out, l)
	}
	return out, errs.Wrap(rows.Err(), "license lots")
}

// SetLicenseLotQuantity sets what is left of a lot; the schema refuses a
// quantity below 0 or above what entered.
func (t *Tx) SetLicenseLotQuantity(ctx context.Context, orgID, id string, quantity int) error {
	return t.execOne(ctx, errs.NotFoundf("err.license.lot_not_found", id),
		`UPDATE license_lots SET quantity = ? WHERE org_id = ? AND id = ?`, quantity, orgID, id)
}

// History: append-only (triggers refuse UPDATE and DELETE on both
// databases).

// AppendLicenseHistory appends an entry; false when one with the same
// non-empty event key exists for the organization and product.
func (t *Tx) AppendLicenseHistory(ctx context.Context, e license.Entry) (bool, error) {
	details := "{}"
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return false, errs.Wrap(err, "license history details")
		}
		details = string(b)
	}
	var year sql.NullInt64
	if e.Year >= 0 {
		year = sql.NullInt64{Int64: int64(e.Year), Valid: true}
	}
	res, err := t.exec(ctx, `INSERT INTO license_history (org_id, at, day, actor_kind, actor_id, actor_email, product, kind,
		quantity, year, lot_id, details, event_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		e.OrgID, micros(e.At), e.Day.String(), e.Actor.Kind, e.Actor.ID, e.Actor.Email, e.Product, string(e.Kind),
		e.Quantity, year, e.Lot, details, e.EventKey)
	if err != nil {
		return false, errs.Wrap(err, "insert license history")
	}
	n, err := res.RowsAffected()
	return n == 1, errs.Wrap(err, "insert license history")
}

// LicenseHistory reads one page of an organization's history, newest
// first.
func (t *Tx) LicenseHistory(ctx context.Context, orgID string, f license.HistoryFilter, p audit.Page) ([]license.Entry, string, error) {
	q := `SELECT seq, org_id, at, day, actor_kind, actor_id, actor_email, product, kind, quantity, year, lot_id, details, event_key
		FROM license_history WHERE org_id = ?`
	args := []any{orgID}
	if f.Product != "" {
		q += ` AND product = ?`
		args = append(args, f.Product)
	}
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, string(f.Kind))
	}
	q, args, err := seqWindow(q, args, f.Since, f.Until, p)
	if err != nil {
		return nil, "", err
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, "", errs.Wrap(err, "license history")
	}
	defer rows.Close()
	out := []license.Entry{}
	for rows.Next() {
		var e license.Entry
		var at int64
		var day, kind, details string
		var year sql.NullInt64
		if err := rows.Scan(&e.Seq, &e.OrgID, &at, &day, &e.Actor.Kind, &e.Actor.ID, &e.Actor.Email, &e.Product, &kind,
			&e.Quantity, &year, &e.Lot, &details, &e.EventKey); err != nil {
			return nil, "", errs.Wrap(err, "scan license history")
		}
		e.At, e.Kind, e.Year = fromMicros(at), license.Kind(kind), -1
		if year.Valid {
			e.Year = int(year.Int64)
		}
		if e.Day, err = license.ParseDate(day); err != nil {
			return nil, "", errs.Wrap(err, "stored history day")
		}
		if details != "" && details != "{}" {
			if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
				return nil, "", errs.Wrap(err, "license history details")
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", errs.Wrap(err, "license history")
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		next = encodeCursor(out[len(out)-1].Seq)
	}
	return out, next, nil
}
