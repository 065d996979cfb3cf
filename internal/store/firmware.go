package store

import (
	"context"
	"database/sql"
	"time"

	"mysystems/internal/errs"
	"mysystems/internal/firmware"
)

// Firmware returns the AXIS OS catalogue's store.
func (db *DB) Firmware() firmware.Store {
	return runner[firmware.Tx]{db, func(t *Tx) firmware.Tx { return t }}
}

const releaseCols = `id, model, version, track, released, sha256, size, signature, withdrawn_at, withdrawn_reason, created_at, created_by`

func scanRelease(sc interface{ Scan(...any) error }) (firmware.Published, error) {
	var p firmware.Published
	var version, track string
	var released, created int64
	var withdrawn sql.NullInt64
	if err := sc.Scan(&p.ID, &p.Model, &version, &track, &released, &p.SHA256, &p.Size, &p.Signature,
		&withdrawn, &p.WithdrawnReason, &created, &p.CreatedBy); err != nil {
		return p, err
	}
	v, err := firmware.ParseVersion(version)
	if err != nil {
		return p, errs.Wrap(err, "stored firmware version "+version)
	}
	p.Version, p.Track = v, firmware.Track(track)
	p.Released, p.CreatedAt = fromMicros(released), fromMicros(created)
	p.WithdrawnAt = fromNullMicros(withdrawn)
	p.Withdrawn = p.WithdrawnAt != nil
	return p, nil
}

// Releases returns every release of the catalogue.
func (t *Tx) Releases(ctx context.Context) ([]firmware.Published, error) {
	rows, err := t.query(ctx, `SELECT `+releaseCols+` FROM firmware_releases ORDER BY model, id`)
	if err != nil {
		return nil, errs.Wrap(err, "releases")
	}
	defer rows.Close()
	var out []firmware.Published
	for rows.Next() {
		p, err := scanRelease(rows)
		if err != nil {
			return nil, errs.Wrap(err, "scan release")
		}
		out = append(out, p)
	}
	return out, errs.Wrap(rows.Err(), "releases")
}

// Release returns one release.
func (t *Tx) Release(ctx context.Context, id string) (firmware.Published, error) {
	p, err := scanRelease(t.queryRow(ctx, `SELECT `+releaseCols+` FROM firmware_releases WHERE id = ?`, id))
	if err != nil {
		return p, notFoundOr(err, errs.NotFoundf("err.firmware.not_found", id), "release")
	}
	return p, nil
}

// CreateRelease stores a published release.
func (t *Tx) CreateRelease(ctx context.Context, p firmware.Published) error {
	_, err := t.exec(ctx, `INSERT INTO firmware_releases (`+releaseCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Model, p.Version.String(), string(p.Track), micros(p.Released), p.SHA256, p.Size, p.Signature,
		nullMicros(p.WithdrawnAt), p.WithdrawnReason, micros(p.CreatedAt), p.CreatedBy)
	return conflictOr(err, errs.E(errs.Conflict, "err.firmware.exists", p.Version.String(), p.Model, p.Track.Label()), "insert release")
}

// WithdrawRelease marks a release withdrawn.
func (t *Tx) WithdrawRelease(ctx context.Context, id string, at time.Time, reason string) error {
	return t.execOne(ctx, errs.NotFoundf("err.firmware.not_found", id),
		`UPDATE firmware_releases SET withdrawn_at = ?, withdrawn_reason = ? WHERE id = ? AND withdrawn_at IS NULL`,
		micros(at), reason, id)
}
