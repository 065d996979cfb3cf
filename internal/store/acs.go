package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"mysystems/internal/acs"
	"mysystems/internal/errs"
)

// ACS returns the store of ACS Pro servers (SPEC §8).
func (db *DB) ACS() acs.Store { return runner[acs.Tx]{db, func(t *Tx) acs.Tx { return t }} }

// CreateACSEnrollment stores an enrolment token's hash.
func (t *Tx) CreateACSEnrollment(ctx context.Context, e acs.Enrollment) error {
	_, err := t.exec(ctx, `INSERT INTO acs_enrollment_tokens (org_id, id, token_hash, created_by, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, e.OrgID, e.ID, e.TokenHash, e.CreatedBy, micros(e.CreatedAt), micros(e.ExpiresAt))
	return errs.Wrap(err, "insert enrollment token")
}

// ACSEnrollment returns an enrolment token of an organization.
func (t *Tx) ACSEnrollment(ctx context.Context, orgID, id string) (acs.Enrollment, error) {
	e := acs.Enrollment{OrgID: orgID, ID: id}
	var created, expires int64
	var used sql.NullInt64
	err := t.queryRow(ctx, `SELECT token_hash, created_by, created_at, expires_at, used_at, server_id
		FROM acs_enrollment_tokens WHERE org_id = ? AND id = ?`, orgID, id).
		Scan(&e.TokenHash, &e.CreatedBy, &created, &expires, &used, &e.ServerID)
	if err != nil {
		return e, notFoundOr(err, errs.NotFoundf("err.server.enroll_bad"), "enrollment token")
	}
	e.CreatedAt, e.ExpiresAt, e.UsedAt = fromMicros(created), fromMicros(expires), fromNullMicros(used)
	return e, nil
}

// UseACSEnrollment marks an unused enrolment token used.
func (t *Tx) UseACSEnrollment(ctx context.Context, orgID, id, serverID string, at time.Time) error {
	return t.execOne(ctx, errs.NotFoundf("err.server.enroll_used"),
		`UPDATE acs_enrollment_tokens SET used_at = ?, server_id = ? WHERE org_id = ? AND id = ? AND used_at IS NULL`,
		micros(at), serverID, orgID, id)
}

const acsServerCols = `org_id, id, name, version, token_hash, poll_seconds, enrolled_at, last_poll_at,
	cpu_percent, memory_percent, storage_percent, recording, cameras, last_error, health_at, last_sample_at,
	offline_at, alert_offline, alert_online, alert_recipients`

func scanACSServer(sc interface{ Scan(...any) error }) (acs.Server, error) {
	var s acs.Server
	var version, recipients string
	var poll int64
	var enrolled, last int64
	var healthAt, sampled, offline sql.NullInt64
	if err := sc.Scan(&s.OrgID, &s.ID, &s.Name, &version, &s.TokenHash, &poll, &enrolled, &last,
		&s.Health.CPUPercent, &s.Health.MemoryPercent, &s.Health.StoragePercent, &s.Health.Recording, &s.Health.Cameras,
		&s.Health.LastError, &healthAt, &sampled, &offline, &s.Alerts.Offline, &s.Alerts.Online, &recipients); err != nil {
		return s, err
	}
	v, err := acs.ParseVersion(version)
	if err != nil {
		return s, errs.Wrap(err, "stored ACS Pro version "+version)
	}
	s.Version, s.PollEvery = v, time.Duration(poll)*time.Second
	s.EnrolledAt, s.LastPollAt = fromMicros(enrolled), fromMicros(last)
	s.HealthAt, s.SampledAt, s.OfflineAt = fromNullMicros(healthAt), fromNullMicros(sampled), fromNullMicros(offline)
	if recipients != "" {
		s.Alerts.Recipients = strings.Split(recipients, ",")
	}
	return s, nil
}

// CreateACSServer stores a newly enrolled server.
func (t *Tx) CreateACSServer(ctx context.Context, s acs.Server) error {
	_, err := t.exec(ctx, `INSERT INTO acs_servers (`+acsServerCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.OrgID, s.ID, s.Name, s.Version.String(), s.TokenHash, int64(s.PollEvery/time.Second), micros(s.EnrolledAt),
		micros(s.LastPollAt), s.Health.CPUPercent, s.Health.MemoryPercent, s.Health.StoragePercent, s.Health.Recording,
		s.Health.Cameras, s.Health.LastError, nullMicros(s.HealthAt), nullMicros(s.SampledAt), nullMicros(s.OfflineAt),
		s.Alerts.Offline, s.Alerts.Online, strings.Join(s.Alerts.Recipients, ","))
	return errs.Wrap(err, "insert ACS Pro server")
}

// ACSServer returns one server of an organization.
func (t *Tx) ACSServer(ctx context.Context, orgID, id string) (acs.Server, error) {
	s, err := scanACSServer(t.queryRow(ctx, `SELECT `+acsServerCols+` FROM acs_servers WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return s, notFoundOr(err, errs.NotFoundf("err.server.not_found", id), "ACS Pro server")
	}
	return s, nil
}

func (t *Tx) acsServers(ctx context.Context, q string, args ...any) ([]acs.Server, error) {
	rows, err := t.query(ctx, `SELECT `+acsServerCols+` FROM acs_servers `+q, args...)
	if err != nil {
		return nil, errs.Wrap(err, "ACS Pro servers")
	}
	defer rows.Close()
	var out []acs.Server
	for rows.Next() {
		s, err := scanACSServer(rows)
		if err != nil {
			return nil, errs.Wrap(err, "scan ACS Pro server")
		}
		out = append(out, s)
	}
	return out, errs.Wrap(rows.Err(), "ACS Pro servers")
}

// ACSServers returns an organization's servers by name.
func (t *Tx) ACSServers(ctx context.Context, orgID string) ([]acs.Server, error) {
	return t.acsServers(ctx, `WHERE org_id = ? ORDER BY name, id`, orgID)
}

// SaveACSAlerts stores a server's alert settings.
func (t *Tx) SaveACSAlerts(ctx context.Context, orgID, id string, a acs.Alerts) error {
	return t.execOne(ctx, errs.NotFoundf("err.server.not_found", id),
		`UPDATE acs_servers SET alert_offline = ?, alert_online = ?, alert_recipients = ? WHERE org_id = ? AND id = ?`,
		a.Offline, a.Online, strings.Join(a.Recipients, ","), orgID, id)
}

// SaveACSPoll stores what a poll changed.
func (t *Tx) SaveACSPoll(ctx context.Context, s acs.Server) error {
	return t.execOne(ctx, errs.NotFoundf("err.server.not_found", s.ID),
		`UPDATE acs_servers SET version = ?, last_poll_at = ?, cpu_percent = ?, memory_percent = ?, storage_percent = ?,
		recording = ?, cameras = ?, last_error = ?, health_at = ?, last_sample_at = ?, offline_at = ? WHERE org_id = ? AND id = ?`,
		s.Version.String(), micros(s.LastPollAt), s.Health.CPUPercent, s.Health.MemoryPercent, s.Health.StoragePercent,
		s.Health.Recording, s.Health.Cameras, s.Health.LastError, nullMicros(s.HealthAt), nullMicros(s.SampledAt),
		nullMicros(s.OfflineAt), s.OrgID, s.ID)
}

// AddACSSample stores one health sample.
func (t *Tx) AddACSSample(ctx context.Context, orgID, serverID string, s acs.Sample) error {
	_, err := t.exec(ctx, `INSERT INTO acs_health_samples (org_id, server_id, at, cpu_percent, memory_percent, storage_percent,
		recording, cameras) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		orgID, serverID, micros(s.At), s.CPUPercent, s.MemoryPercent, s.StoragePercent, s.Recording, s.Cameras)
	return errs.Wrap(err, "insert health sample")
}

// ACSSamples returns a server's samples since a moment, oldest first.
func (t *Tx) ACSSamples(ctx context.Context, orgID, serverID string, since time.Time) ([]acs.Sample, error) {
	rows, err := t.query(ctx, `SELECT at, cpu_percent, memory_percent, storage_percent, recording, cameras
		FROM acs_health_samples WHERE org_id = ? AND server_id = ? AND at >= ? ORDER BY at`, orgID, serverID, micros(since))
	if err != nil {
		return nil, errs.Wrap(err, "health samples")
	}
	defer rows.Close()
	var out []acs.Sample
	for rows.Next() {
		var s acs.Sample
		var at int64
		if err := rows.Scan(&at, &s.CPUPercent, &s.MemoryPercent, &s.StoragePercent, &s.Recording, &s.Cameras); err != nil {
			return nil, errs.Wrap(err, "scan health sample")
		}
		s.At = fromMicros(at)
		out = append(out, s)
	}
	return out, errs.Wrap(rows.Err(), "health samples")
}

// PruneACSSamples drops every organization's samples older than before.
func (t *Tx) PruneACSSamples(ctx context.Context, before time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM acs_health_samples WHERE at < ?`, micros(before))
	if err != nil {
		return 0, errs.Wrap(err, "prune health samples")
	}
	n, err := res.RowsAffected()
	return int(n), errs.Wrap(err, "prune health samples")
}

// SilentACSServers lists, across active organizations, servers not
// marked offline whose last poll is OfflineAfter poll intervals old.
func (t *Tx) SilentACSServers(ctx context.Context, now time.Time, limit int) ([]acs.Server, error) {
	return t.acsServers(ctx, `WHERE offline_at IS NULL AND last_poll_at + poll_seconds * ? <= ?
		AND org_id IN (SELECT id FROM orgs WHERE status = 'active') ORDER BY last_poll_at LIMIT ?`,
		int64(acs.OfflineAfter)*1e6, micros(now), limit)
}

// MarkACSOffline marks a server offline unless already marked.
func (t *Tx) MarkACSOffline(ctx context.Context, orgID, id string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE acs_servers SET offline_at = ? WHERE org_id = ? AND id = ? AND offline_at IS NULL`,
		micros(at), orgID, id)
	if err != nil {
		return false, errs.Wrap(err, "mark offline")
	}
	n, err := res.RowsAffected()
	return n == 1, errs.Wrap(err, "mark offline")
}

// ACSVersions returns the published ACS Pro versions, newest first.
func (t *Tx) ACSVersions(ctx context.Context) ([]acs.Published, error) {
	rows, err := t.query(ctx, `SELECT version, released_at, url, created_at, created_by FROM acs_versions`)
	if err != nil {
		return nil, errs.Wrap(err, "ACS Pro versions")
	}
	defer rows.Close()
	var out []acs.Published
	for rows.Next() {
		var p acs.Published
		var version string
		var released, created int64
		if err := rows.Scan(&version, &released, &p.URL, &created, &p.CreatedBy); err != nil {
			return nil, errs.Wrap(err, "scan ACS Pro version")
		}
		if p.Version, err = acs.ParseVersion(version); err != nil {
			return nil, errs.Wrap(err, "stored ACS Pro version "+version)
		}
		p.ReleasedAt, p.CreatedAt = fromMicros(released), fromMicros(created)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "ACS Pro versions")
	}
	sortVersions(out)
	return out, nil
}

func sortVersions(ps []acs.Published) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].Version.Compare(ps[j-1].Version) > 0; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// CreateACSVersion stores a published version; a version published
// already (however written: 6.5 = 6.5.0) is a conflict.
func (t *Tx) CreateACSVersion(ctx context.Context, p acs.Published) error {
	vs, err := t.ACSVersions(ctx)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.Version.Compare(p.Version) == 0 {
			return errs.E(errs.Conflict, "err.server.version_exists", v.Version.String())
		}
	}
	_, err = t.exec(ctx, `INSERT INTO acs_versions (version, released_at, url, created_at, created_by) VALUES (?, ?, ?, ?, ?)`,
		p.Version.String(), micros(p.ReleasedAt), p.URL, micros(p.CreatedAt), p.CreatedBy)
	return conflictOr(err, errs.E(errs.Conflict, "err.server.version_exists", p.Version.String()), "insert ACS Pro version")
}

const acsUpgradeCols = `org_id, id, server_id, version, from_version, state, reason, new_version, requested_by, created_at, started_at, done_at, reason_key`

func scanACSUpgrade(sc interface{ Scan(...any) error }) (acs.Upgrade, error) {
	var u acs.Upgrade
	var version, from, state, newVersion string
	var created int64
	var started, done sql.NullInt64
	if err := sc.Scan(&u.OrgID, &u.ID, &u.ServerID, &version, &from, &state, &u.Reason, &newVersion, &u.RequestedBy,
		&created, &started, &done, &u.ReasonKey); err != nil {
		return u, err
	}
	var err error
	if u.Version, err = acs.ParseVersion(version); err != nil {
		return u, errs.Wrap(err, "stored upgrade version")
	}
	if u.FromVersion, err = acs.ParseVersion(from); err != nil {
		return u, errs.Wrap(err, "stored upgrade version")
	}
	if newVersion != "" {
		if u.NewVersion, err = acs.ParseVersion(newVersion); err != nil {
			return u, errs.Wrap(err, "stored upgrade version")
		}
	}
	u.State, u.CreatedAt, u.StartedAt, u.DoneAt = acs.State(state), fromMicros(created), fromNullMicros(started), fromNullMicros(done)
	return u, nil
}

// CreateACSUpgrade queues an upgrade request; a server with one open
// already is a conflict.
func (t *Tx) CreateACSUpgrade(ctx context.Context, u acs.Upgrade) error {
	_, err := t.exec(ctx, `INSERT INTO acs_upgrades (`+acsUpgradeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.OrgID, u.ID, u.ServerID, u.Version.String(), u.FromVersion.String(), string(u.State), u.Reason,
		u.NewVersion.String(), u.RequestedBy, micros(u.CreatedAt), nullMicros(u.StartedAt), nullMicros(u.DoneAt), u.ReasonKey)
	return conflictOr(err, errs.E(errs.Conflict, "err.server.upgrade_open_any"), "insert server upgrade")
}

// ACSUpgrade returns one upgrade request of an organization.
func (t *Tx) ACSUpgrade(ctx context.Context, orgID, id string) (acs.Upgrade, error) {
	u, err := scanACSUpgrade(t.queryRow(ctx, `SELECT `+acsUpgradeCols+` FROM acs_upgrades WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return u, notFoundOr(err, errs.NotFoundf("err.server.upgrade_not_found", id), "server upgrade")
	}
	return u, nil
}

func (t *Tx) acsUpgrades(ctx context.Context, q string, args ...any) ([]acs.Upgrade, error) {
	rows, err := t.query(ctx, `SELECT `+acsUpgradeCols+` FROM acs_upgrades `+q, args...)
	if err != nil {
		return nil, errs.Wrap(err, "server upgrades")
	}
	defer rows.Close()
	var out []acs.Upgrade
	for rows.Next() {
		u, err := scanACSUpgrade(rows)
		if err != nil {
			return nil, errs.Wrap(err, "scan server upgrade")
		}
		out = append(out, u)
	}
	return out, errs.Wrap(rows.Err(), "server upgrades")
}

// OpenACSUpgrades returns the queued or started requests of an
// organization, or of one of its servers.
func (t *Tx) OpenACSUpgrades(ctx context.Context, orgID, serverID string) ([]acs.Upgrade, error) {
	if serverID == "" {
		return t.acsUpgrades(ctx, `WHERE org_id = ? AND state IN ('queued', 'started')`, orgID)
	}
	return t.acsUpgrades(ctx, `WHERE org_id = ? AND server_id = ? AND state IN ('queued', 'started')`, orgID, serverID)
}

// ACSUpgrades returns a server's latest requests, newest first.
func (t *Tx) ACSUpgrades(ctx context.Context, orgID, serverID string, limit int) ([]acs.Upgrade, error) {
	return t.acsUpgrades(ctx, `WHERE org_id = ? AND server_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, orgID, serverID, limit)
}

// SaveACSUpgrade stores an upgrade request's state and outcome.
func (t *Tx) SaveACSUpgrade(ctx context.Context, u acs.Upgrade) error {
	return t.execOne(ctx, errs.NotFoundf("err.server.upgrade_not_found", u.ID),
		`UPDATE acs_upgrades SET state = ?, reason = ?, reason_key = ?, new_version = ?, started_at = ?, done_at = ? WHERE org_id = ? AND id = ?`,
		string(u.State), u.Reason, u.ReasonKey, u.NewVersion.String(), nullMicros(u.StartedAt), nullMicros(u.DoneAt), u.OrgID, u.ID)
}

// ACSAlertRecipients returns the e-mail and language of an organization's
// Owners and Admins.
func (t *Tx) ACSAlertRecipients(ctx context.Context, orgID string) ([]acs.Recipient, error) {
	rows, err := t.query(ctx, `SELECT u.email, u.lang FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND m.role IN ('owner', 'admin') ORDER BY u.email_norm`, orgID)
	if err != nil {
		return nil, errs.Wrap(err, "alert recipients")
	}
	defer rows.Close()
	var out []acs.Recipient
	for rows.Next() {
		var r acs.Recipient
		if err := rows.Scan(&r.Email, &r.Lang); err != nil {
			return nil, errs.Wrap(err, "scan alert recipient")
		}
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "alert recipients")
}

// UserLangs returns the language of the people among emails who have an
// account, by lowercased e-mail.
func (t *Tx) UserLangs(ctx context.Context, emails []string) (map[string]string, error) {
	out := map[string]string{}
	if len(emails) == 0 {
		return out, nil
	}
	args := make([]any, len(emails))
	for i, e := range emails {
		args[i] = strings.ToLower(e)
	}
	rows, err := t.query(ctx, `SELECT email_norm, lang FROM users WHERE email_norm IN (`+
		marks(len(emails))+`)`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "user languages")
	}
	defer rows.Close()
	for rows.Next() {
		var e, l string
		if err := rows.Scan(&e, &l); err != nil {
			return nil, errs.Wrap(err, "scan user language")
		}
		out[e] = l
	}
	return out, errs.Wrap(rows.Err(), "user languages")
}
