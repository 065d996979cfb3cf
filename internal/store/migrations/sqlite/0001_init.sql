-- Times are stored as BIGINT microseconds since the Unix epoch (UTC) in both
-- dialects, so one SQL code path reads and compares them.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    email_norm    TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    lang          TEXT NOT NULL DEFAULT 'en',
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    client_addr  TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE platform_tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE rate_counters (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         INTEGER NOT NULL
);

CREATE TABLE orgs (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    notes          TEXT NOT NULL DEFAULT '',
    require_mfa    INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL,
    root_folder_id TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    archived_at    BIGINT
);

CREATE TABLE folders (
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    id         TEXT NOT NULL,
    parent_id  TEXT,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, parent_id) REFERENCES folders(org_id, id)
);
CREATE UNIQUE INDEX folders_sibling_name ON folders(org_id, COALESCE(parent_id, ''), lower(name));

CREATE TABLE memberships (
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_email TEXT NOT NULL DEFAULT '',
    client_addr TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL DEFAULT '',
    target_id   TEXT NOT NULL DEFAULT '',
    details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_org ON audit_log(org_id, seq);
