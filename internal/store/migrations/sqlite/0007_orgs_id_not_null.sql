-- House rule 4: the column naming a tenant table's organization is NOT
-- NULL. On SQLite a TEXT PRIMARY KEY accepts NULL unless declared NOT NULL
-- (a historical quirk), so orgs is rebuilt with id NOT NULL. It is copied
-- aside, dropped and made again under its own name, so the foreign keys of
-- folders, memberships, invitations and devices, which name orgs, find
-- their rows again; they are checked when the migration commits.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE orgs_0007 AS SELECT * FROM orgs;
DROP TABLE orgs;

CREATE TABLE orgs (
    id             TEXT NOT NULL PRIMARY KEY,
    name           TEXT NOT NULL,
    notes          TEXT NOT NULL DEFAULT '',
    require_mfa    INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL,
    root_folder_id TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    archived_at    BIGINT
);
INSERT INTO orgs (id, name, notes, require_mfa, status, root_folder_id, created_at, archived_at)
    SELECT id, name, notes, require_mfa, status, root_folder_id, created_at, archived_at FROM orgs_0007;
DROP TABLE orgs_0007;
