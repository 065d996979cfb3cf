package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/fleet"
	"mysystems/internal/i18n"
)

// Fleet returns the fleet store.
func (db *DB) Fleet() fleet.Store { return runner[fleet.Tx]{db, func(t *Tx) fleet.Tx { return t }} }

// CreateIdentity inserts a vendor-minted device identity.
func (t *Tx) CreateIdentity(ctx context.Context, id fleet.Identity, s fleet.Secrets) error {
	_, err := t.exec(ctx, `INSERT INTO device_identities (serial, model, secret_hash, oak_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		id.Serial, id.Model, s.SecretHash, s.OAKHash, micros(id.CreatedAt))
	return conflictOr(err, errs.E(errs.Conflict, "err.device.serial_exists", id.Serial), "insert identity")
}

// IdentitySecrets returns an identity and its secrets' hashes.
func (t *Tx) IdentitySecrets(ctx context.Context, serial string) (fleet.Identity, fleet.Secrets, error) {
	var id fleet.Identity
	var s fleet.Secrets
	var c int64
	err := t.queryRow(ctx, `SELECT serial, model, created_at, secret_hash, oak_hash FROM device_identities WHERE serial = ?`, serial).
		Scan(&id.Serial, &id.Model, &c, &s.SecretHash, &s.OAKHash)
	if err != nil {
		return id, s, notFoundOr(err, errs.NotFoundf("err.device.not_found", serial), "identity")
	}
	id.CreatedAt = fromMicros(c)
	return id, s, nil
}

// Reported returns what a device last reported and its current claim.
func (t *Tx) Reported(ctx context.Context, serial string) (fleet.Reported, error) {
	r := fleet.Reported{Serial: serial}
	var accounts string
	var hello sql.NullInt64
	var orgID, devID sql.NullString
	err := t.queryRow(ctx, `SELECT model, firmware, accounts, public_key, hello_at, org_id, device_id FROM device_identities WHERE serial = ?`, serial).
		Scan(&r.Model, &r.Firmware, &accounts, &r.PublicKey, &hello, &orgID, &devID)
	if err != nil {
		return r, notFoundOr(err, errs.NotFoundf("err.device.not_found", serial), "reported")
	}
	r.HelloAt, r.OrgID, r.DeviceID = fromNullMicros(hello), orgID.String, devID.String
	if err := json.Unmarshal([]byte(accounts), &r.Accounts); err != nil {
		return r, errs.Wrap(err, "accounts")
	}
	return r, nil
}

// SetReported saves what a device reported (firmware, accounts, key).
func (t *Tx) SetReported(ctx context.Context, r fleet.Reported) error {
	accounts, err := json.Marshal(r.Accounts)
	if err != nil {
		return errs.Wrap(err, "accounts")
	}
	if r.Accounts == nil {
		accounts = []byte("[]")
	}
	if err := t.execOne(ctx, errs.NotFoundf("err.device.not_found", r.Serial),
		`UPDATE device_identities SET firmware = ?, accounts = ?, public_key = ?, hello_at = ? WHERE serial = ?`,
		r.Firmware, string(accounts), r.PublicKey, nullMicros(r.HelloAt), r.Serial); err != nil {
		return err
	}
	if r.Firmware != "" && r.OrgID != "" {
		_, err = t.exec(ctx, `UPDATE devices SET firmware = ? WHERE org_id = ? AND serial = ? AND firmware <> ?`,
			r.Firmware, r.OrgID, r.Serial, r.Firmware)
		return errs.Wrap(err, "device firmware")
	}
	return nil
}

// SetClaim records which organization and device record a serial belongs
// to ("" releases it).
func (t *Tx) SetClaim(ctx context.Context, serial, orgID, deviceID string) error {
	return t.execOne(ctx, errs.NotFoundf("err.device.not_found", serial),
		`UPDATE device_identities SET org_id = ?, device_id = ? WHERE serial = ?`, nullString(orgID), nullString(deviceID), serial)
}

const deviceCols = `id, org_id, folder_id, serial, model, firmware, name, claimed_at, last_seen_at`

func scanDevice(row interface{ Scan(...any) error }) (fleet.Device, error) {
	var d fleet.Device
	var c int64
	var seen sql.NullInt64
	err := row.Scan(&d.ID, &d.OrgID, &d.FolderID, &d.Serial, &d.Model, &d.Firmware, &d.Name, &c, &seen)
	d.ClaimedAt, d.LastSeenAt = fromMicros(c), fromNullMicros(seen)
	return d, err
}

// CreateDevice inserts a claimed device; a serial already claimed is a
// Conflict.
func (t *Tx) CreateDevice(ctx context.Context, d fleet.Device) error {
	_, err := t.exec(ctx, `INSERT INTO devices (`+deviceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.OrgID, d.FolderID, d.Serial, d.Model, d.Firmware, d.Name, micros(d.ClaimedAt), nullMicros(d.LastSeenAt))
	return conflictOr(err, errs.E(errs.Conflict, "err.device.claimed", d.Serial), "insert device")
}

// Device returns one of an organization's devices.
func (t *Tx) Device(ctx context.Context, orgID, id string) (fleet.Device, error) {
	d, err := scanDevice(t.queryRow(ctx, `SELECT `+deviceCols+` FROM devices WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return d, notFoundOr(err, errs.NotFoundf("err.device.not_found", id), "device")
	}
	return d, nil
}

// UpdateDevice saves a device's name and folder.
func (t *Tx) UpdateDevice(ctx context.Context, d fleet.Device) error {
	return t.execOne(ctx, errs.NotFoundf("err.device.not_found", d.ID),
		`UPDATE devices SET name = ?, folder_id = ? WHERE org_id = ? AND id = ?`, d.Name, d.FolderID, d.OrgID, d.ID)
}

// DeleteDevice deletes a device record.
func (t *Tx) DeleteDevice(ctx context.Context, orgID, id string) error {
	return t.execOne(ctx, errs.NotFoundf("err.device.not_found", id), `DELETE FROM devices WHERE org_id = ? AND id = ?`, orgID, id)
}

// CountFolderDevices counts the devices directly in a folder.
func (t *Tx) CountFolderDevices(ctx context.Context, orgID, folderID string) (int, error) {
	var n int
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM devices WHERE org_id = ? AND folder_id = ?`, orgID, folderID).Scan(&n)
	return n, errs.Wrap(err, "count folder devices")
}

var deviceSortCols = map[string]string{
	"name": "name", "serial": "serial", "model": "model", "firmware": "firmware",
	"last_seen": "COALESCE(last_seen_at, 0)", "claimed": "claimed_at",
}

// deviceWhere is the WHERE clause of an organization's devices that match
// f; none reports that nothing can match (no folder, no upgradable pair).
func deviceWhere(orgID string, f fleet.Filter) (where []string, args []any, none bool) {
	where = []string{"org_id = ?"}
	args = []any{orgID}
	if f.Folders != nil {
		if len(f.Folders) == 0 {
			return nil, nil, true
		}
		where = append(where, "folder_id IN ("+marks(len(f.Folders))+")")
		for _, id := range f.Folders {
			args = append(args, id)
		}
	}
	if f.Model != "" {
		where = append(where, "model = ?")
		args = append(args, f.Model)
	}
	if f.Firmware != "" {
		where = append(where, "firmware = ?")
		args = append(args, f.Firmware)
	}
	switch f.Upgrade {
	case "yes":
		if len(f.Upgradable) == 0 {
			return nil, nil, true
		}
		c, a := pairsIn(f.Upgradable)
		where, args = append(where, c), append(args, a...)
	case "no":
		if len(f.Upgradable) > 0 {
			c, a := pairsIn(f.Upgradable)
			where, args = append(where, "NOT "+c), append(args, a...)
		}
	}
	switch f.Status {
	case "online":
		where = append(where, "last_seen_at > ?")
		args = append(args, micros(f.OnlineSince))
	case "offline":
		where = append(where, "(last_seen_at IS NULL OR last_seen_at <= ?)")
		args = append(args, micros(f.OnlineSince))
	}
	if f.Query != "" {
		where = append(where, `(lower(name) LIKE ? ESCAPE '\' OR serial LIKE ? ESCAPE '\')`)
		q := "%" + likeEscape(strings.ToLower(f.Query)) + "%"
		args = append(args, q, strings.ToUpper(q))
	}
	return where, args, false
}

// CountDevices counts an organization's devices that match f (DEV-4).
func (t *Tx) CountDevices(ctx context.Context, orgID string, f fleet.Filter) (int, error) {
	where, args, none := deviceWhere(orgID, f)
	if none {
		return 0, nil
	}
	var n int
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM devices WHERE `+strings.Join(where, " AND "), args...).Scan(&n)
	return n, errs.Wrap(err, "count devices")
}

// Devices lists one page of an organization's devices (DEV-4).
func (t *Tx) Devices(ctx context.Context, orgID string, f fleet.Filter, p fleet.Page) ([]fleet.Device, string, error) {
	where, args, none := deviceWhere(orgID, f)
	if none {
		return []fleet.Device{}, "", nil
	}
	key, desc := strings.TrimPrefix(f.Sort, "-"), strings.HasPrefix(f.Sort, "-")
	if key == "" {
		key = "name"
	}
	col := deviceSortCols[key]
	if col == "" {
		return nil, "", errs.InvalidField("sort", "err.list.sort_unknown", i18n.Quoted(f.Sort))
	}
	cmp, order := ">", "ASC"
	if desc {
		cmp, order = "<", "DESC"
	}
	numeric := key == "last_seen" || key == "claimed"
	if p.Cursor != "" {
		var sv any
		var id string
		var sStr string
		var sNum int64
		if numeric {
			if err := decodeCursor(p.Cursor, &sNum, &id); err != nil {
				return nil, "", err
			}
			sv = sNum
		} else {
			if err := decodeCursor(p.Cursor, &sStr, &id); err != nil {
				return nil, "", err
			}
			sv = sStr
		}
		where = append(where, "("+col+" "+cmp+" ? OR ("+col+" = ? AND id "+cmp+" ?))")
		args = append(args, sv, sv, id)
	}
	q := `SELECT ` + deviceCols + ` FROM devices WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + col + ` ` + order + `, id ` + order + ` LIMIT ?`
	args = append(args, p.Limit+1)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, "", errs.Wrap(err, "devices")
	}
	defer rows.Close()
	out := []fleet.Device{}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, "", errs.Wrap(err, "scan device")
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", errs.Wrap(err, "devices")
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		last := out[len(out)-1]
		switch key {
		case "name":
			next = encodeCursor(last.Name, last.ID)
		case "serial":
			next = encodeCursor(last.Serial, last.ID)
		case "model":
			next = encodeCursor(last.Model, last.ID)
		case "firmware":
			next = encodeCursor(last.Firmware, last.ID)
		case "last_seen":
			var v int64
			if last.LastSeenAt != nil {
				v = micros(*last.LastSeenAt)
			}
			next = encodeCursor(v, last.ID)
		case "claimed":
			next = encodeCursor(micros(last.ClaimedAt), last.ID)
		}
	}
	return out, next, nil
}

// pairsIn is the condition that a device's (model, firmware) is one of
// pairs, written with AND and OR so SQLite and PostgreSQL read it alike.
func pairsIn(pairs []firmware.Installed) (string, []any) {
	conds := make([]string, len(pairs))
	args := make([]any, 0, 2*len(pairs))
	for i, p := range pairs {
		conds[i] = "(model = ? AND firmware = ?)"
		args = append(args, p.Model, p.Firmware)
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// DeviceVersions counts an organization's devices by model and firmware,
// in folders (nil: every folder), by model then firmware.
func (t *Tx) DeviceVersions(ctx context.Context, orgID string, folders []string) ([]firmware.Counted, error) {
	q := `SELECT model, firmware, COUNT(*) FROM devices WHERE org_id = ?`
	args := []any{orgID}
	if folders != nil {
		if len(folders) == 0 {
			return []firmware.Counted{}, nil
		}
		q += " AND folder_id IN (" + marks(len(folders)) + ")"
		for _, id := range folders {
			args = append(args, id)
		}
	}
	rows, err := t.query(ctx, q+` GROUP BY model, firmware ORDER BY model, firmware`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "device versions")
	}
	defer rows.Close()
	out := []firmware.Counted{}
	for rows.Next() {
		var c firmware.Counted
		if err := rows.Scan(&c.Model, &c.Firmware, &c.Devices); err != nil {
			return nil, errs.Wrap(err, "scan device versions")
		}
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "device versions")
}

const cmdCols = `org_id, id, device_id, serial, type, args, state, result, created_by, created_at, delivered_at, done_at, deliveries`

// cmdColsOf is cmdCols of the table named as alias.
func cmdColsOf(alias string) string {
	return alias + "." + strings.ReplaceAll(cmdCols, ", ", ", "+alias+".")
}

// scanCommand scans cmdCols, then extra.
func scanCommand(row interface{ Scan(...any) error }, extra ...any) (fleet.Command, error) {
	var c fleet.Command
	var args string
	var created int64
	var delivered, done sql.NullInt64
	err := row.Scan(append([]any{&c.OrgID, &c.ID, &c.DeviceID, &c.Serial, &c.Type, &args, &c.State, &c.Result, &c.CreatedBy, &created,
		&delivered, &done, &c.Deliveries}, extra...)...)
	c.Args, c.CreatedAt, c.DeliveredAt, c.DoneAt = json.RawMessage(args), fromMicros(created), fromNullMicros(delivered), fromNullMicros(done)
	return c, err
}

// CreateCommand inserts a command.
func (t *Tx) CreateCommand(ctx context.Context, c fleet.Command) error {
	args := string(c.Args)
	if args == "" {
		args = "{}"
	}
	_, err := t.exec(ctx, `INSERT INTO device_commands (`+cmdCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.OrgID, c.ID, c.DeviceID, c.Serial, c.Type, args, c.State, c.Result, c.CreatedBy, micros(c.CreatedAt),
		nullMicros(c.DeliveredAt), nullMicros(c.DoneAt), c.Deliveries)
	return errs.Wrap(err, "insert command")
}

// Command returns one of an organization's commands.
func (t *Tx) Command(ctx context.Context, orgID, id string) (fleet.Command, error) {
	c, err := scanCommand(t.queryRow(ctx, `SELECT `+cmdCols+` FROM device_commands WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return c, notFoundOr(err, errs.NotFoundf("err.command.not_found", id), "command")
	}
	return c, nil
}

// OpenCommands returns a device's commands in an organization that have no
// outcome yet, oldest first (the gateway delivers them; at least once),
// each Held if it carries an upgrade task its device reported on (the task
// is downloading or installing: the device is at work on it).
func (t *Tx) OpenCommands(ctx context.Context, orgID, serial string, limit int) ([]fleet.Command, error) {
	rows, err := t.queryOwned(ctx, `SELECT `+cmdColsOf("c")+`, EXISTS (SELECT 1 FROM upgrade_tasks k
			WHERE k.command_id = c.id AND k.org_id = c.org_id AND k.state IN ('downloading', 'installing'))
		FROM device_commands c WHERE c.org_id = ? AND c.serial = ? AND c.state IN ('pending', 'delivered')
		ORDER BY c.created_at, c.id LIMIT ?`, orgID, serial, limit)
	if err != nil {
		return nil, errs.Wrap(err, "open commands")
	}
	defer rows.Close()
	var out []fleet.Command
	for rows.Next() {
		var held bool
		c, err := scanCommand(rows, &held)
		if err != nil {
			return nil, errs.Wrap(err, "scan command")
		}
		c.Held = held
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "open commands")
}

// LatestCommands returns, for each of an organization's devices named by
// serial, its latest command of type typ created at or after since, by
// device id (a device's status shown from its last reboot).
func (t *Tx) LatestCommands(ctx context.Context, orgID, typ string, serials []string, since time.Time) (map[string]fleet.Command, error) {
	out := map[string]fleet.Command{}
	if len(serials) == 0 {
		return out, nil
	}
	args := []any{orgID, typ, micros(since)}
	for _, s := range serials {
		args = append(args, s)
	}
	rows, err := t.query(ctx, `SELECT `+cmdCols+` FROM device_commands WHERE org_id = ? AND type = ? AND created_at >= ?
		AND serial IN (`+marks(len(serials))+`) ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "latest commands")
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			return nil, errs.Wrap(err, "scan command")
		}
		out[c.DeviceID] = c // oldest first: the last one stays
	}
	return out, errs.Wrap(rows.Err(), "latest commands")
}

// CommandByID returns an organization's command by id for its device (the
// gateway's view: a device answers only its own commands).
func (t *Tx) CommandByID(ctx context.Context, orgID, serial, id string) (fleet.Command, error) {
	c, err := scanCommand(t.queryRow(ctx, `SELECT `+cmdCols+` FROM device_commands WHERE org_id = ? AND id = ? AND serial = ?`+t.d.forUpdate(),
		orgID, id, serial))
	if err != nil {
		return c, notFoundOr(err, errs.NotFoundf("err.command.not_found", id), "command")
	}
	return c, nil
}

// MarkDelivered records a delivery of the organization's commands among
// ids that are still open, a few hundred per statement, and returns their
// ids.
func (t *Tx) MarkDelivered(ctx context.Context, orgID string, ids []string, at time.Time) ([]string, error) {
	var out []string
	for i := 0; i < len(ids); i += batchRows {
		part := ids[i:min(i+batchRows, len(ids))]
		args := make([]any, 0, 2+len(part))
		args = append(args, micros(at), orgID)
		for _, id := range part {
			args = append(args, id)
		}
		rows, err := t.queryOwned(ctx, `UPDATE device_commands SET deliveries = deliveries + 1,
			state = CASE WHEN state = 'pending' THEN 'delivered' ELSE state END,
			delivered_at = COALESCE(delivered_at, ?) WHERE org_id = ? AND id IN (`+marks(len(part))+`)
			AND state IN ('pending', 'delivered') RETURNING id`, args...)
		if err != nil {
			return nil, errs.Wrap(err, "mark delivered")
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, errs.Wrap(err, "mark delivered")
			}
			out = append(out, id)
		}
		if err := rows.Close(); err != nil {
			return nil, errs.Wrap(err, "mark delivered")
		}
		if err := rows.Err(); err != nil {
			return nil, errs.Wrap(err, "mark delivered")
		}
	}
	return out, nil
}

// SaveCommandOutcome stores a command's outcome.
func (t *Tx) SaveCommandOutcome(ctx context.Context, c fleet.Command) error {
	return t.execOne(ctx, errs.NotFoundf("err.command.not_found", c.ID),
		`UPDATE device_commands SET state = ?, result = ?, done_at = ? WHERE org_id = ? AND id = ?`,
		c.State, c.Result, nullMicros(c.DoneAt), c.OrgID, c.ID)
}

// SettingOrInit returns a platform-wide setting, storing value first if the
// setting does not exist yet (the first instance to ask wins).
func (t *Tx) SettingOrInit(ctx context.Context, name, value string) (string, error) {
	if _, err := t.exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", errs.Wrap(err, "init setting")
	}
	var v string
	err := t.queryRow(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	return v, errs.Wrap(err, "setting")
}

// batchRows bounds the rows of one multi-row statement (parameter limits).
const batchRows = 500

// valuesList returns "(?, ?), (?, ?)" for n rows of k columns: a VALUES
// list whose columns both databases name column1, column2, …
func valuesList(n, k int) string {
	row := "(" + marks(k) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// TouchDevices records last-seen times of devices, each in its
// organization (the presence flush), a few hundred rows per statement.
func (t *Tx) TouchDevices(ctx context.Context, seen map[fleet.DeviceKey]time.Time) error {
	keys := make([]fleet.DeviceKey, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	for start := 0; start < len(keys); start += batchRows {
		chunk := keys[start:min(start+batchRows, len(keys))]
		args := make([]any, 0, 3*len(chunk))
		for _, k := range chunk {
			// Numbers travel as text: VALUES columns have no declared type.
			args = append(args, k.Serial, strconv.FormatInt(micros(seen[k]), 10), k.OrgID)
		}
		_, err := t.exec(ctx, `UPDATE devices SET last_seen_at = CAST(v.column2 AS BIGINT)
			FROM (VALUES `+valuesList(len(chunk), 3)+`) AS v
			WHERE devices.org_id = v.column3 AND devices.serial = v.column1
			AND (devices.last_seen_at IS NULL OR devices.last_seen_at < CAST(v.column2 AS BIGINT))`, args...)
		if err != nil {
			return errs.Wrap(err, "touch devices")
		}
	}
	return nil
}

// SetReportedBatch saves many devices' reports, a few hundred rows per
// statement (the gateway's group commit).
func (t *Tx) SetReportedBatch(ctx context.Context, reps []fleet.Reported) error {
	for start := 0; start < len(reps); start += batchRows {
		chunk := reps[start:min(start+batchRows, len(reps))]
		args := make([]any, 0, 5*len(chunk))
		var fw []any
		for _, r := range chunk {
			accounts := []byte("[]")
			if r.Accounts != nil {
				var err error
				if accounts, err = json.Marshal(r.Accounts); err != nil {
					return errs.Wrap(err, "accounts")
				}
			}
			var hello any
			if r.HelloAt != nil {
				hello = strconv.FormatInt(micros(*r.HelloAt), 10) // VALUES columns are untyped: text
			}
			args = append(args, r.Serial, r.Firmware, string(accounts), r.PublicKey, hello)
			if r.Firmware != "" && r.OrgID != "" {
				fw = append(fw, r.Serial, r.Firmware, r.OrgID)
			}
		}
		if _, err := t.exec(ctx, `UPDATE device_identities SET firmware = v.column2, accounts = v.column3,
			public_key = v.column4, hello_at = CAST(v.column5 AS BIGINT)
			FROM (VALUES `+valuesList(len(chunk), 5)+`) AS v WHERE device_identities.serial = v.column1`, args...); err != nil {
			return errs.Wrap(err, "set reported")
		}
		if len(fw) > 0 {
			if _, err := t.exec(ctx, `UPDATE devices SET firmware = v.column2
				FROM (VALUES `+valuesList(len(fw)/3, 3)+`) AS v
				WHERE devices.org_id = v.column3 AND devices.serial = v.column1 AND devices.firmware <> v.column2`, fw...); err != nil {
				return errs.Wrap(err, "device firmware")
			}
		}
	}
	return nil
}

// Gateway returns the store of the fleet's device side, which the device
// gateway uses.
func (db *DB) Gateway() fleet.DeviceStore {
	return gatewayStore{runner[fleet.DeviceTx]{db, func(t *Tx) fleet.DeviceTx { return t }}}
}

type gatewayStore struct{ runner[fleet.DeviceTx] }

// HelloView reads what a hello needs (the secret's hash and the device's
// last report) in one statement outside any transaction: one round trip.
func (s gatewayStore) HelloView(ctx context.Context, serial string) (string, fleet.Reported, error) {
	r := fleet.Reported{Serial: serial}
	var hash, accounts string
	var hello sql.NullInt64
	var orgID, devID sql.NullString
	err := s.db.r.QueryRowContext(ctx, s.db.d.rebind(`SELECT secret_hash, model, firmware, accounts, public_key, hello_at, org_id, device_id
		FROM device_identities WHERE serial = ?`), serial).Scan(&hash, &r.Model, &r.Firmware, &accounts, &r.PublicKey, &hello, &orgID, &devID)
	if err != nil {
		return "", r, notFoundOr(err, errs.NotFoundf("err.device.not_found", serial), "hello view")
	}
	r.HelloAt, r.OrgID, r.DeviceID = fromNullMicros(hello), orgID.String, devID.String
	if err := json.Unmarshal([]byte(accounts), &r.Accounts); err != nil {
		return "", r, errs.Wrap(err, "accounts")
	}
	return hash, r, nil
}

// FailOpenCommands ends a device's commands in an organization that have no
// outcome yet (the device left the organization).
func (t *Tx) FailOpenCommands(ctx context.Context, orgID, serial, reason string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE device_commands SET state = 'failed', result = ?, done_at = ?
		WHERE org_id = ? AND serial = ? AND state IN ('pending', 'delivered')`, reason, micros(at), orgID, serial)
	return errs.Wrap(err, "fail open commands")
}

// OpenCommandDevices lists the devices with commands awaiting an outcome,
// in every organization: the gateway's start-up scan, platform work that
// crosses organizations by nature (once per start).
func (t *Tx) OpenCommandDevices(ctx context.Context) ([]fleet.DeviceKey, error) {
	rows, err := t.query(ctx, `SELECT DISTINCT org_id, serial FROM device_commands WHERE state IN ('pending', 'delivered')`)
	if err != nil {
		return nil, errs.Wrap(err, "open command devices")
	}
	defer rows.Close()
	var out []fleet.DeviceKey
	for rows.Next() {
		var k fleet.DeviceKey
		if err := rows.Scan(&k.OrgID, &k.Serial); err != nil {
			return nil, errs.Wrap(err, "scan device")
		}
		out = append(out, k)
	}
	return out, errs.Wrap(rows.Err(), "open command devices")
}

// Claims answers the organization owning each serial ("" for an unclaimed
// or unknown one), from the device identities (the platform's inventory,
// keyed by serial), a few hundred serials per statement.
func (t *Tx) Claims(ctx context.Context, serials []string) (map[string]string, error) {
	out := make(map[string]string, len(serials))
	for start := 0; start < len(serials); start += batchRows {
		chunk := serials[start:min(start+batchRows, len(serials))]
		args := make([]any, len(chunk))
		for i, s := range chunk {
			args[i] = s
		}
		rows, err := t.query(ctx, `SELECT serial, org_id FROM device_identities
			WHERE org_id IS NOT NULL AND serial IN (`+marks(len(chunk))+`)`, args...)
		if err != nil {
			return nil, errs.Wrap(err, "claims")
		}
		for rows.Next() {
			var serial, orgID string
			if err := rows.Scan(&serial, &orgID); err != nil {
				rows.Close()
				return nil, errs.Wrap(err, "scan claim")
			}
			out[serial] = orgID
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, errs.Wrap(err, "claims")
		}
	}
	return out, nil
}
