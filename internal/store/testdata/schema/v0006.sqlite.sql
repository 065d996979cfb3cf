-- The mysystems schema at migration 0006 (sqlite) as the database reports it,
-- with a few rows in every table. Written by
--   go test ./internal/store -run TestSchemaFixture -update
-- on the release commit; never edited by hand. TestSchemaUpgrade loads it
-- into an empty database and migrates it to the newest schema.

CREATE TABLE schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);

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

CREATE TABLE memberships (
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

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

CREATE TABLE mail_outbox (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body_text   TEXT NOT NULL,
    body_html   TEXT NOT NULL DEFAULT '',
    message_id  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    locked_until BIGINT,
    sent_at     BIGINT,
    last_error  TEXT NOT NULL DEFAULT ''
);

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

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

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

CREATE TABLE folder_grants (
    org_id    TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    folder_id TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id, folder_id),
    FOREIGN KEY (org_id, user_id) REFERENCES memberships(org_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, folder_id) REFERENCES folders(org_id, id) ON DELETE CASCADE
);

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

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, '0001_init.sql', 1767947401000000);
INSERT INTO schema_migrations (version, name, applied_at) VALUES (2, '0002_outbox.sql', 1767947402000000);
INSERT INTO schema_migrations (version, name, applied_at) VALUES (3, '0003_jobs.sql', 1767947403000000);
INSERT INTO schema_migrations (version, name, applied_at) VALUES (4, '0004_mfa.sql', 1767947404000000);
INSERT INTO schema_migrations (version, name, applied_at) VALUES (5, '0005_members.sql', 1767947405000000);
INSERT INTO schema_migrations (version, name, applied_at) VALUES (6, '0006_fleet.sql', 1767947406000000);

INSERT INTO users (id, email, email_norm, name, lang, password_hash, created_at) VALUES ('usr_a7k2m9q4x1c8v3b6', 'alice.martin@acme.example', 'alice.martin@acme.example', 'Alice Martin', 'en', '$argon2id$v=19$m=65536,t=1,p=4$c2FsdHNhbHRzYWx0c2FsdA$2b0d5c4f8e1a7d3b9c6e0f2a4d8b1c5e7f9a3d6b0c2e4f8a1d3b5c7e9f0a2b4d', 1768206600000000);
INSERT INTO users (id, email, email_norm, name, lang, password_hash, created_at) VALUES ('usr_b3n8r5t2w7y4e1u9', 'Bruno.Lefevre@Globex.example', 'bruno.lefevre@globex.example', 'Bruno Lefèvre', 'fr', '$argon2id$v=19$m=65536,t=1,p=4$c2FsdHNhbHRzYWx0c2FsdA$2b0d5c4f8e1a7d3b9c6e0f2a4d8b1c5e7f9a3d6b0c2e4f8a1d3b5c7e9f0a2b4d', 1768206660000000);
INSERT INTO users (id, email, email_norm, name, lang, password_hash, created_at) VALUES ('usr_c6h1l4o7e2d5u8r3', 'chloe.durand@acme.example', 'chloe.durand@acme.example', 'Chloé Durand', 'fr', '$argon2id$v=19$m=65536,t=1,p=4$c2FsdHNhbHRzYWx0c2FsdA$2b0d5c4f8e1a7d3b9c6e0f2a4d8b1c5e7f9a3d6b0c2e4f8a1d3b5c7e9f0a2b4d', 1768206720000000);

INSERT INTO sessions (id, user_id, secret_hash, created_at, expires_at, last_seen_at, client_addr, user_agent) VALUES ('ses_s1e2s3s4i5o6n7a8', 'usr_a7k2m9q4x1c8v3b6', 'ff1f10d9799a18dc9d7c74ad2e2361ac8fe62457f62f8cbd15bcd18ed780c81e', 1768210200000000, 1770802200000000, 1768212000000000, '203.0.113.24', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0');

INSERT INTO api_tokens (id, user_id, name, prefix, secret_hash, created_at, expires_at, last_used_at) VALUES ('tok_t1o2k3e4n5a6b7c8', 'usr_a7k2m9q4x1c8v3b6', 'nightly inventory', 'mys_7QX', 'f0964c6e7728f71b21904e861ad4eb3b93c9543e692142173ff1abaaab741bfd', 1768207200000000, 1775982600000000, 1768212600000000);
INSERT INTO api_tokens (id, user_id, name, prefix, secret_hash, created_at, expires_at, last_used_at) VALUES ('tok_c9h8l7o6e5t4k3n2', 'usr_c6h1l4o7e2d5u8r3', 'ci', 'mys_K2P', '5d1170d3efd0aef7161dcc6bd8adec47d458262d97209bf2686f6e7fd4e9a963', 1768207800000000, NULL, NULL);

INSERT INTO platform_tokens (id, name, secret_hash, created_at) VALUES ('ptk_v1e2n3d4o5r6o7p8', 'release-ops', '0c0317349cbab4c8abdac0245e0af80d2403f68345ffd09df22ab1016c6e7b08', 1768120200000000);

INSERT INTO rate_counters (key, window_start, hits) VALUES ('login:acct:bruno.lefevre@globex.example', 1768212900000000, 2);

INSERT INTO orgs (id, name, notes, require_mfa, status, root_folder_id, created_at, archived_at) VALUES ('org_a1c2m3e4i5n6d7s8', 'Acme Security', 'Lyon and Grenoble sites', 1, 'active', 'fld_a0r1o2o3t4a5c6m7', 1768206900000000, NULL);
INSERT INTO orgs (id, name, notes, require_mfa, status, root_folder_id, created_at, archived_at) VALUES ('org_g1l2o3b4e5x6c7o8', 'Globex', '', 0, 'active', 'fld_g0r1o2o3t4g5l6b7', 1768206960000000, NULL);

INSERT INTO folders (org_id, id, parent_id, name, created_at) VALUES ('org_a1c2m3e4i5n6d7s8', 'fld_a0r1o2o3t4a5c6m7', NULL, 'Default', 1768206900000000);
INSERT INTO folders (org_id, id, parent_id, name, created_at) VALUES ('org_a1c2m3e4i5n6d7s8', 'fld_l1y2o3n4a5c6m7e8', 'fld_a0r1o2o3t4a5c6m7', 'Lyon', 1768207020000000);
INSERT INTO folders (org_id, id, parent_id, name, created_at) VALUES ('org_a1c2m3e4i5n6d7s8', 'fld_e1n2t3r4a5n6c7e8', 'fld_l1y2o3n4a5c6m7e8', 'Entrée nord', 1768207080000000);
INSERT INTO folders (org_id, id, parent_id, name, created_at) VALUES ('org_g1l2o3b4e5x6c7o8', 'fld_g0r1o2o3t4g5l6b7', NULL, 'Default', 1768206960000000);
INSERT INTO folders (org_id, id, parent_id, name, created_at) VALUES ('org_g1l2o3b4e5x6c7o8', 'fld_m1t2l3g4l5o6b7x8', 'fld_g0r1o2o3t4g5l6b7', 'Montréal', 1768207140000000);

INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ('org_a1c2m3e4i5n6d7s8', 'usr_a7k2m9q4x1c8v3b6', 'owner', 1768206900000000);
INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ('org_g1l2o3b4e5x6c7o8', 'usr_b3n8r5t2w7y4e1u9', 'owner', 1768206960000000);
INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ('org_g1l2o3b4e5x6c7o8', 'usr_c6h1l4o7e2d5u8r3', 'viewer', 1768207500000000);
INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ('org_a1c2m3e4i5n6d7s8', 'usr_c6h1l4o7e2d5u8r3', 'operator', 1768209720000000);

INSERT INTO audit_log (seq, org_id, at, actor_kind, actor_id, actor_email, client_addr, action, target_type, target_id, details) VALUES (1, 'org_a1c2m3e4i5n6d7s8', 1768206900000000, 'user', 'usr_a7k2m9q4x1c8v3b6', 'alice.martin@acme.example', '203.0.113.24', 'org.create', 'org', 'org_a1c2m3e4i5n6d7s8', '{}');
INSERT INTO audit_log (seq, org_id, at, actor_kind, actor_id, actor_email, client_addr, action, target_type, target_id, details) VALUES (2, 'org_g1l2o3b4e5x6c7o8', 1768206960000000, 'user', 'usr_b3n8r5t2w7y4e1u9', 'Bruno.Lefevre@Globex.example', '198.51.100.7', 'org.create', 'org', 'org_g1l2o3b4e5x6c7o8', '{}');
INSERT INTO audit_log (seq, org_id, at, actor_kind, actor_id, actor_email, client_addr, action, target_type, target_id, details) VALUES (3, 'org_a1c2m3e4i5n6d7s8', 1768207020000000, 'user', 'usr_a7k2m9q4x1c8v3b6', 'alice.martin@acme.example', '203.0.113.24', 'folder.create', 'folder', 'fld_l1y2o3n4a5c6m7e8', '{"name":"Lyon"}');
INSERT INTO audit_log (seq, org_id, at, actor_kind, actor_id, actor_email, client_addr, action, target_type, target_id, details) VALUES (4, 'org_g1l2o3b4e5x6c7o8', 1768207320000000, 'user', 'usr_b3n8r5t2w7y4e1u9', 'Bruno.Lefevre@Globex.example', '198.51.100.7', 'invitation.create', 'invitation', 'inv_a1c2c3e4p5t6e7d8', '{"email":"c***@acme.example"}');
INSERT INTO audit_log (seq, org_id, at, actor_kind, actor_id, actor_email, client_addr, action, target_type, target_id, details) VALUES (5, 'org_a1c2m3e4i5n6d7s8', 1768209900000000, 'user', 'usr_a7k2m9q4x1c8v3b6', 'alice.martin@acme.example', '203.0.113.24', 'member.update', 'user', 'usr_c6h1l4o7e2d5u8r3', '{"from":"viewer","to":"operator"}');
INSERT INTO audit_log (seq, org_id, at, actor_kind, actor_id, actor_email, client_addr, action, target_type, target_id, details) VALUES (6, 'org_a1c2m3e4i5n6d7s8', 1768210809000000, 'system', 'device:ACCC8E0A1B2C3D', '', '', 'device.command_result', 'device', 'dev_l1y2o3n4c5a6m7a8', '{"command":"cmd_r1e2b3o4o5t6a7p8","state":"applied"}');

INSERT INTO mail_outbox (id, org_id, kind, recipient, subject, body_text, body_html, message_id, created_at, attempts, next_at, locked_until, sent_at, last_error) VALUES ('mail_i1n2v3i4t5e6m7l8', 'org_a1c2m3e4i5n6d7s8', 'invitation', 'dave@partner.example', 'Alice Martin invites you to Acme Security', 'Hello,

Alice Martin invites you to join Acme Security.
The link works for 7 days.
', '<p>Alice Martin invites you to join <b>Acme Security</b>.</p>', '<mail_i1n2v3i4t5e6m7l8@mysystems.example>', 1768209600000000, 0, 1768209600000000, NULL, NULL, '');
INSERT INTO mail_outbox (id, org_id, kind, recipient, subject, body_text, body_html, message_id, created_at, attempts, next_at, locked_until, sent_at, last_error) VALUES ('mail_c1o2d3e4m5f6a7b8', '', 'mfa_code', 'Bruno.Lefevre@Globex.example', 'Votre code de connexion', 'Votre code : 482913
', '', '<mail_c1o2d3e4m5f6a7b8@mysystems.example>', 1768213200000000, 1, 1768213200000000, NULL, 1768213260000000, '');

INSERT INTO jobs (id, kind, payload, run_at, attempts, max_attempts, state, locked_until, locked_by, last_error, created_at, done_at) VALUES ('job_d1u2e3j4o5b6a7b8', 'fixture.report', '{"org_id":"org_a1c2m3e4i5n6d7s8"}', 1768213740000000, 0, 25, 'available', NULL, '', '', 1768212600000000, NULL);

INSERT INTO leases (name, holder, expires_at) VALUES ('mail.deliver', 'portal-1-4242-q7w8e9', 1768214280000000);

INSERT INTO user_mfa (user_id, method, totp_secret, pending_secret, pending_at, last_step, enabled_at, updated_at) VALUES ('usr_a7k2m9q4x1c8v3b6', 'totp', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', '', NULL, 59189140, 1768208400000000, 1768208400000000);
INSERT INTO user_mfa (user_id, method, totp_secret, pending_secret, pending_at, last_step, enabled_at, updated_at) VALUES ('usr_b3n8r5t2w7y4e1u9', 'email', '', '', NULL, 0, 1768209000000000, 1768209000000000);

INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at, used_at) VALUES ('usr_a7k2m9q4x1c8v3b6', '6eca0e907a954063a2e6402c8a57d5031e424bf49f350ded905115fa9b00115a', 1768208400000000, 1768209300000000);
INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at, used_at) VALUES ('usr_a7k2m9q4x1c8v3b6', 'ef49dada6c6502d78a8c9fe586715713735f271e6073ad98cda448731807bcd6', 1768208400000000, NULL);

INSERT INTO mfa_email_codes (id, user_id, purpose, code_hash, created_at, expires_at, used_at) VALUES ('emc_e1m2a3i4l5c6o7d8', 'usr_b3n8r5t2w7y4e1u9', 'account', 'c36893ef76cb76a7a7542828d5aec474c0da406c9cb9a872353641e931740c68', 1768213200000000, 1768214100000000, NULL);

INSERT INTO mfa_challenges (id, secret_hash, user_id, method, client_addr, created_at, expires_at, attempts) VALUES ('mch_m1f2a3c4h5a6l7n8', '08486480144c9f9f800c0d04eacd531cdf2d46fb74abe679a4564c3fa071fd5e', 'usr_b3n8r5t2w7y4e1u9', 'email', '198.51.100.7', 1768213200000000, 1768213800000000, 1);

INSERT INTO folder_grants (org_id, user_id, folder_id) VALUES ('org_g1l2o3b4e5x6c7o8', 'usr_c6h1l4o7e2d5u8r3', 'fld_m1t2l3g4l5o6b7x8');
INSERT INTO folder_grants (org_id, user_id, folder_id) VALUES ('org_a1c2m3e4i5n6d7s8', 'usr_c6h1l4o7e2d5u8r3', 'fld_l1y2o3n4a5c6m7e8');

INSERT INTO invitations (org_id, id, email, role, folders, secret_hash, invited_by, created_at, expires_at, status, accepted_by, closed_at) VALUES ('org_g1l2o3b4e5x6c7o8', 'inv_a1c2c3e4p5t6e7d8', 'chloe.durand@acme.example', 'viewer', '["fld_m1t2l3g4l5o6b7x8"]', '20d85f64aa2d335c612999cb3d5ad5ce7d35d32da450bec11450e04abd7ef210', 'usr_b3n8r5t2w7y4e1u9', 1768207320000000, 1768812120000000, 'accepted', 'usr_c6h1l4o7e2d5u8r3', 1768207500000000);
INSERT INTO invitations (org_id, id, email, role, folders, secret_hash, invited_by, created_at, expires_at, status, accepted_by, closed_at) VALUES ('org_a1c2m3e4i5n6d7s8', 'inv_p1e2n3d4i5n6g7a8', 'dave@partner.example', 'viewer', '["fld_l1y2o3n4a5c6m7e8"]', '6f3445584bd9f084f18a938239617fd441c4f5c970fe1c0b57ae287e5026e743', 'usr_a7k2m9q4x1c8v3b6', 1768209600000000, 1768814400000000, 'pending', '', NULL);

INSERT INTO device_identities (serial, model, secret_hash, oak_hash, created_at, firmware, accounts, public_key, hello_at, org_id, device_id) VALUES ('ACCC8E0A1B2C3D', 'AXIS M3086-V', '933d571cd58d2ab683b233eb86977e8aeb48ef4578891b79e19ebfac4b3162fa', 'f9a7099ebad0ef8a2b6db3cf22f4eb290775c0201109651c70d3bb0442d1791a', 1768033800000000, '11.11.73', '[{"username":"root","role":"admin"},{"username":"viewer1","role":"viewer"},{"username":"acs","role":"operator","service":true}]', 'mFpQ0Qx0Jc9bG3ZpYkV4d3J0eU1uT3BRcnN0VXZ3eHk=', 1768210260000000, 'org_a1c2m3e4i5n6d7s8', 'dev_l1y2o3n4c5a6m7a8');
INSERT INTO device_identities (serial, model, secret_hash, oak_hash, created_at, firmware, accounts, public_key, hello_at, org_id, device_id) VALUES ('ACCC8E4E5F6A7B', 'AXIS P3265-LVE', 'ff1434e507db39837c0fd8ccf1684a736074bdb4e2c358126aced9d729e1ffda', '6f5a98a97eefdb6f2c15735b479f4ae4bfc0a11c5f2afaf3d1a19cf290ddd215', 1768033800000000, '', '[]', '', NULL, 'org_g1l2o3b4e5x6c7o8', 'dev_m1t2l3c4a5m6g7x8');
INSERT INTO device_identities (serial, model, secret_hash, oak_hash, created_at, firmware, accounts, public_key, hello_at, org_id, device_id) VALUES ('ACCC8E8C9D0E1F', 'AXIS M3086-V', '15791e4b6d81e43a385780df710c721f02d9dedab57187dcf73960c7686d96d8', '3f064e09bc9dd9dd0ca631783dea401a154617e2d9734e08c81d8365fe489b33', 1768033800000000, '', '[]', '', NULL, NULL, NULL);

INSERT INTO devices (org_id, id, serial, folder_id, name, model, firmware, claimed_at, last_seen_at) VALUES ('org_a1c2m3e4i5n6d7s8', 'dev_l1y2o3n4c5a6m7a8', 'ACCC8E0A1B2C3D', 'fld_e1n2t3r4a5n6c7e8', 'Lobby cam 1', 'AXIS M3086-V', '11.11.73', 1768210200000000, 1768213500000000);
INSERT INTO devices (org_id, id, serial, folder_id, name, model, firmware, claimed_at, last_seen_at) VALUES ('org_g1l2o3b4e5x6c7o8', 'dev_m1t2l3c4a5m6g7x8', 'ACCC8E4E5F6A7B', 'fld_m1t2l3g4l5o6b7x8', 'Quai de chargement', 'AXIS P3265-LVE', '10.12.240', 1768210500000000, NULL);

INSERT INTO device_commands (org_id, id, device_id, serial, type, args, state, result, created_by, created_at, delivered_at, done_at, deliveries) VALUES ('org_a1c2m3e4i5n6d7s8', 'cmd_r1e2b3o4o5t6a7p8', 'dev_l1y2o3n4c5a6m7a8', 'ACCC8E0A1B2C3D', 'reboot', '{}', 'applied', 'rebooting', 'usr_a7k2m9q4x1c8v3b6', 1768210800000000, 1768210802000000, 1768210809000000, 1);
INSERT INTO device_commands (org_id, id, device_id, serial, type, args, state, result, created_by, created_at, delivered_at, done_at, deliveries) VALUES ('org_g1l2o3b4e5x6c7o8', 'cmd_i1d2e3n4t5i6f7y8', 'dev_m1t2l3c4a5m6g7x8', 'ACCC8E4E5F6A7B', 'identify', '{}', 'delivered', '', 'usr_b3n8r5t2w7y4e1u9', 1768211400000000, 1768211401000000, NULL, 2);
INSERT INTO device_commands (org_id, id, device_id, serial, type, args, state, result, created_by, created_at, delivered_at, done_at, deliveries) VALUES ('org_a1c2m3e4i5n6d7s8', 'cmd_a1c2c3t4p5e6n7d8', 'dev_l1y2o3n4c5a6m7a8', 'ACCC8E0A1B2C3D', 'account.create', '{"username":"operator2","role":"operator","sealed":"x25519:Zm9vYmFyYmF6"}', 'pending', '', 'usr_c6h1l4o7e2d5u8r3', 1768213320000000, NULL, NULL, 0);

INSERT INTO settings (name, value) VALUES ('device_token_key', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');

CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
CREATE UNIQUE INDEX folders_sibling_name ON folders(org_id, COALESCE(parent_id, ''), lower(name));
CREATE INDEX memberships_user ON memberships(user_id);
CREATE INDEX audit_log_org ON audit_log(org_id, seq);
CREATE INDEX mail_outbox_due ON mail_outbox(sent_at, next_at);
CREATE INDEX jobs_due ON jobs(state, run_at);
CREATE INDEX mfa_email_codes_user ON mfa_email_codes(user_id, purpose);
CREATE INDEX mfa_challenges_user ON mfa_challenges(user_id, expires_at);
CREATE INDEX folder_grants_folder ON folder_grants(org_id, folder_id);
CREATE INDEX invitations_pending ON invitations(status, expires_at);
CREATE INDEX devices_folder ON devices(org_id, folder_id, name, id);
CREATE INDEX devices_name ON devices(org_id, name, id);
CREATE INDEX devices_model ON devices(org_id, model, firmware);
CREATE UNIQUE INDEX device_commands_id ON device_commands(id);
CREATE INDEX device_commands_open ON device_commands(serial, state, created_at);
