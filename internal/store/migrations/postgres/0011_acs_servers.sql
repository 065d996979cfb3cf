-- §8 SRV-1..3: ACS Pro servers. Enrolment tokens are single use and expire;
-- only their SHA-256 is kept, as for a server's own long-lived token. A
-- token names its organization and row, so it is checked by primary key.
CREATE TABLE acs_enrollment_tokens (
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    id         TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    server_id  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id)
);

-- One row per enrolled server: what it last reported (health now), when it
-- last polled, and its alert settings. offline_at is set once the offline
-- alert went out (SRV-1), and cleared by the next poll.
CREATE TABLE acs_servers (
    org_id           TEXT NOT NULL REFERENCES orgs(id),
    id               TEXT NOT NULL,
    name             TEXT NOT NULL,
    version          TEXT NOT NULL,
    token_hash       TEXT NOT NULL,
    poll_seconds     INTEGER NOT NULL,
    enrolled_at      BIGINT NOT NULL,
    last_poll_at     BIGINT NOT NULL,
    cpu_percent      DOUBLE PRECISION NOT NULL DEFAULT 0,
    memory_percent   DOUBLE PRECISION NOT NULL DEFAULT 0,
    storage_percent  DOUBLE PRECISION NOT NULL DEFAULT 0,
    recording        BOOLEAN NOT NULL DEFAULT FALSE,
    cameras          INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    health_at        BIGINT,
    last_sample_at   BIGINT,
    offline_at       BIGINT,
    alert_offline    BOOLEAN NOT NULL DEFAULT TRUE,
    alert_online     BOOLEAN NOT NULL DEFAULT TRUE,
    alert_recipients TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id)
);
CREATE INDEX acs_servers_name ON acs_servers(org_id, name, id);
CREATE INDEX acs_servers_silent ON acs_servers(last_poll_at) WHERE offline_at IS NULL;

-- The health reported, one sample per server every few minutes, for the
-- last 24 hours' chart; older samples are pruned.
CREATE TABLE acs_health_samples (
    org_id          TEXT NOT NULL,
    server_id       TEXT NOT NULL,
    at              BIGINT NOT NULL,
    cpu_percent     DOUBLE PRECISION NOT NULL,
    memory_percent  DOUBLE PRECISION NOT NULL,
    storage_percent DOUBLE PRECISION NOT NULL,
    recording       BOOLEAN NOT NULL,
    cameras         INTEGER NOT NULL,
    PRIMARY KEY (org_id, server_id, at)
);
CREATE INDEX acs_health_samples_at ON acs_health_samples(at);

-- SRV-2: the ACS Pro versions the vendor publishes (a platform table).
CREATE TABLE acs_versions (
    version     TEXT PRIMARY KEY,
    released_at BIGINT NOT NULL,
    url         TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL DEFAULT ''
);

-- SRV-2, SRV-3: the upgrade queue a server checks when it polls:
-- queued → started → succeeded | failed, or queued → canceled. At most one
-- queued or started request per server.
CREATE TABLE acs_upgrades (
    org_id       TEXT NOT NULL,
    id           TEXT NOT NULL,
    server_id    TEXT NOT NULL,
    version      TEXT NOT NULL,
    from_version TEXT NOT NULL,
    state        TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    new_version  TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    started_at   BIGINT,
    done_at      BIGINT,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, server_id) REFERENCES acs_servers(org_id, id)
);
CREATE UNIQUE INDEX acs_upgrades_open ON acs_upgrades(org_id, server_id) WHERE state IN ('queued', 'started');
CREATE INDEX acs_upgrades_server ON acs_upgrades(org_id, server_id, created_at);
