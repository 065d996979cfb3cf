-- Background jobs (internal/jobs): a durable queue worked by every instance,
-- and leases that let one instance at a time run each periodic task.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',
    run_at       BIGINT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 25,
    state        TEXT NOT NULL DEFAULT 'available',
    locked_until BIGINT,
    locked_by    TEXT NOT NULL DEFAULT '',
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    done_at      BIGINT
);
CREATE INDEX jobs_due ON jobs(state, run_at);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
