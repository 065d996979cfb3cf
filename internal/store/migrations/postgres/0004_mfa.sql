-- ID-3: multi-factor authentication. Codes and challenge secrets are stored
-- only as hashes; the TOTP secret is stored as is (the server computes codes
-- from it).
CREATE TABLE user_mfa (
    user_id        TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    method         TEXT NOT NULL DEFAULT '',  -- '' (off), 'totp' or 'email'
    totp_secret    TEXT NOT NULL DEFAULT '',
    pending_secret TEXT NOT NULL DEFAULT '',  -- TOTP enrolment not yet confirmed
    pending_at     BIGINT,
    last_step      BIGINT NOT NULL DEFAULT 0, -- last accepted TOTP time step (replay protection)
    enabled_at     BIGINT,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE mfa_recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE mfa_email_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX mfa_email_codes_user ON mfa_email_codes(user_id, purpose);

CREATE TABLE mfa_challenges (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method      TEXT NOT NULL,
    client_addr TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mfa_challenges_user ON mfa_challenges(user_id, expires_at);
