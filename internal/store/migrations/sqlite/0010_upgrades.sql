-- §7 FW-3..7: AXIS OS upgrades. One task per device upgrade (FW-5), kept
-- across restarts (FW-6); the command that carries it to the device is a
-- device_commands row named by command_id. reason is the task's failure or
-- cancellation reason as a message (JSON: {"key", "args"}), so it reads in
-- the reader's language; a device's own words travel as an argument.
CREATE TABLE upgrade_tasks (
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    id            TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    serial        TEXT NOT NULL,
    model         TEXT NOT NULL,
    folder_id     TEXT NOT NULL,
    from_version  TEXT NOT NULL,
    to_version    TEXT NOT NULL,
    release_id    TEXT NOT NULL,
    state         TEXT NOT NULL,
    stage         TEXT NOT NULL DEFAULT '',
    percent       INTEGER NOT NULL DEFAULT 0,
    reason        TEXT NOT NULL DEFAULT '',
    command_id    TEXT NOT NULL DEFAULT '',
    rollout_id    TEXT NOT NULL DEFAULT '',
    ring          INTEGER NOT NULL DEFAULT 0,
    origin        TEXT NOT NULL,
    created_by    TEXT NOT NULL DEFAULT '',
    created_label TEXT NOT NULL DEFAULT '',
    retry_of      TEXT NOT NULL DEFAULT '',
    not_before    BIGINT,
    not_after     BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    scheduled_at  BIGINT,
    started_at    BIGINT,
    installing_at BIGINT,
    finished_at   BIGINT,
    rev           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX upgrade_tasks_id ON upgrade_tasks(id);
CREATE INDEX upgrade_tasks_list ON upgrade_tasks(org_id, created_at, id);
CREATE INDEX upgrade_tasks_device ON upgrade_tasks(org_id, device_id, state);
-- One unfinished task per device (FW-3: a device with an upgrade under way
-- is not given a second one), whoever creates it.
CREATE UNIQUE INDEX upgrade_tasks_one_open ON upgrade_tasks(org_id, device_id)
    WHERE state IN ('queued', 'scheduled', 'downloading', 'installing');
CREATE INDEX upgrade_tasks_open ON upgrade_tasks(state, org_id);
-- The dispatcher's queue in its order (a rollout's first ring first, then
-- oldest first), read a batch at a time without sorting every queued task;
-- with folder_id, the count of running tasks by folder reads the index only.
CREATE INDEX upgrade_tasks_queue ON upgrade_tasks(org_id, state, ring, created_at, id, folder_id);
CREATE INDEX upgrade_tasks_command ON upgrade_tasks(command_id);

-- FW-7: a phased rollout over the tasks of one request: a first ring, a soak
-- time, then the rest; paused automatically when the failure rate in a ring
-- passes the threshold.
CREATE TABLE upgrade_rollouts (
    org_id            TEXT NOT NULL REFERENCES orgs(id),
    id                TEXT NOT NULL,
    state             TEXT NOT NULL,
    phase             INTEGER NOT NULL DEFAULT 1,
    ring_count        INTEGER NOT NULL DEFAULT 0,
    ring_percent      INTEGER NOT NULL DEFAULT 0,
    ring_folder       TEXT NOT NULL DEFAULT '',
    soak_seconds      BIGINT NOT NULL,
    failure_percent   INTEGER NOT NULL,
    reason            TEXT NOT NULL DEFAULT '',
    soak_until        BIGINT,
    resumed_phase     INTEGER NOT NULL DEFAULT 0,
    created_by        TEXT NOT NULL DEFAULT '',
    created_label     TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    finished_at       BIGINT,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX upgrade_rollouts_list ON upgrade_rollouts(org_id, created_at, id);

-- FW-4: each device's upgrade schedule: none (no row), asap, or a
-- maintenance window in the text form of firmware.Window.
CREATE TABLE upgrade_schedules (
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    device_id  TEXT NOT NULL,
    mode       TEXT NOT NULL,
    win        TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, device_id)
);

-- FW-7: an organization's pacing limits, when not the defaults.
CREATE TABLE upgrade_limits (
    org_id       TEXT NOT NULL PRIMARY KEY REFERENCES orgs(id),
    max_org      INTEGER NOT NULL,
    max_site     INTEGER NOT NULL,
    updated_at   BIGINT NOT NULL
);
