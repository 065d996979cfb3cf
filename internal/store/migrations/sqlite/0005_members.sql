-- ACC-1: folder grants of Operators and Viewers; USR-1: invitations.
CREATE TABLE folder_grants (
    org_id    TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    folder_id TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id, folder_id),
    FOREIGN KEY (org_id, user_id) REFERENCES memberships(org_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, folder_id) REFERENCES folders(org_id, id) ON DELETE CASCADE
);
CREATE INDEX folder_grants_folder ON folder_grants(org_id, folder_id);

CREATE TABLE invitations (
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    id          TEXT NOT NULL,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL,
    folders     TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    invited_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    status      TEXT NOT NULL,
    accepted_by TEXT NOT NULL DEFAULT '',
    closed_at   BIGINT,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX invitations_pending ON invitations(status, expires_at);
