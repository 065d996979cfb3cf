-- §5, §6: device identities minted by the vendor, devices claimed into
-- organizations, and the commands sent to them.
CREATE TABLE device_identities (
    serial      TEXT PRIMARY KEY,
    model       TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    oak_hash    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    -- what the device last reported of itself
    firmware    TEXT NOT NULL DEFAULT '',
    accounts    TEXT NOT NULL DEFAULT '[]',
    public_key  TEXT NOT NULL DEFAULT '',
    hello_at    BIGINT,
    -- the current claim, if any (a device belongs to at most one organization)
    org_id      TEXT,
    device_id   TEXT
);

CREATE TABLE devices (
    org_id       TEXT NOT NULL REFERENCES orgs(id),
    id           TEXT NOT NULL,
    serial       TEXT NOT NULL UNIQUE REFERENCES device_identities(serial),
    folder_id    TEXT NOT NULL,
    name         TEXT NOT NULL,
    model        TEXT NOT NULL,
    firmware     TEXT NOT NULL,
    claimed_at   BIGINT NOT NULL,
    last_seen_at BIGINT,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, folder_id) REFERENCES folders(org_id, id)
);
CREATE INDEX devices_folder ON devices(org_id, folder_id, name, id);
CREATE INDEX devices_name ON devices(org_id, name, id);
CREATE INDEX devices_model ON devices(org_id, model, firmware);

CREATE TABLE device_commands (
    org_id       TEXT NOT NULL,
    id           TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    serial       TEXT NOT NULL,
    type         TEXT NOT NULL,
    args         TEXT NOT NULL DEFAULT '{}',
    state        TEXT NOT NULL,
    result       TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT,
    done_at      BIGINT,
    deliveries   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX device_commands_id ON device_commands(id);
CREATE INDEX device_commands_open ON device_commands(serial, state, created_at);

-- Settings shared by every instance (e.g. the key that signs device tokens).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
