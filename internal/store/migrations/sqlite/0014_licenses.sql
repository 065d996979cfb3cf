-- §9 LIC-1..9, LIC-13: the license manager. Calendar days are stored as
-- 'YYYY-MM-DD' text (they sort as dates); instants as the store's other
-- instants are (BIGINT microseconds).

-- The vendor's product catalogue (a platform table). covers and gates are
-- JSON arrays: the device model patterns a product counts in its need, and
-- the portal features it licenses (LIC-14).
CREATE TABLE license_products (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    licensing  TEXT NOT NULL,
    covers     TEXT NOT NULL DEFAULT '[]',
    gates      TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL DEFAULT ''
);

-- LIC-3: the keys vendor operators issue (a platform table: a key is no
-- organization's until it is redeemed). Only the key's SHA-256 is kept. A
-- key is redeemed once, in one organization, ever: redeemed_org is set by
-- one conditional update.
CREATE TABLE license_keys (
    key_hash     TEXT PRIMARY KEY,
    product      TEXT NOT NULL REFERENCES license_products(id),
    quantity     INTEGER NOT NULL,
    issued_at    BIGINT NOT NULL,
    issued_by    TEXT NOT NULL DEFAULT '',
    redeemed_org TEXT,
    redeemed_at  BIGINT,
    redeemed_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX license_keys_redeemed ON license_keys(redeemed_org) WHERE redeemed_org IS NOT NULL;

-- LIC-4: one subscription period per organization, set by the first
-- product started; years run from anchor + k years.
CREATE TABLE license_periods (
    org_id     TEXT NOT NULL PRIMARY KEY REFERENCES orgs(id),
    anchor     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- LIC-1, LIC-4..9: a product started in an organization. status is the
-- last status recorded (a change is written to history); trial_ended is
-- the day an allocation of the need ended the trial early; processed_on
-- the last day the daily job processed for the product (LIC-7).
CREATE TABLE license_subscriptions (
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    product     TEXT NOT NULL REFERENCES license_products(id),
    started_on  TEXT NOT NULL,
    trial_ended TEXT,
    status      TEXT NOT NULL,
    started_by  TEXT NOT NULL DEFAULT '',
    processed_on TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, product)
);

-- LIC-5..8: per product and subscription year k (0 is the year starting on
-- the anchor), the licenses allocated to it and the need recorded when the
-- year began for the product (LIC-7: the need on the renewal date; NULL
-- until the year began).
CREATE TABLE license_years (
    org_id     TEXT NOT NULL,
    product    TEXT NOT NULL,
    year       INTEGER NOT NULL,
    allocated  INTEGER NOT NULL DEFAULT 0,
    need       INTEGER,
    renewed_at BIGINT,
    PRIMARY KEY (org_id, product, year),
    FOREIGN KEY (org_id, product) REFERENCES license_subscriptions(org_id, product)
);

-- LIC-2: the product wallet, lot by lot. quantity is what is left in the
-- wallet; original what entered it. A lot expires 5 years after it
-- entered; expired_at is set when it left the wallet for that reason.
-- source: redeem (from key_hash) or compensation (LIC-9).
CREATE TABLE license_lots (
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    id         TEXT NOT NULL,
    product    TEXT NOT NULL REFERENCES license_products(id),
    quantity   INTEGER NOT NULL,
    original   INTEGER NOT NULL,
    entered_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    source     TEXT NOT NULL,
    key_hash   TEXT NOT NULL DEFAULT '',
    expired_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id),
    CHECK (quantity >= 0 AND quantity <= original)
);
CREATE INDEX license_lots_product ON license_lots(org_id, product, expires_on, id);
CREATE INDEX license_lots_expiry ON license_lots(expires_on) WHERE quantity > 0 AND expired_at IS NULL;

-- LIC-13: append-only history of every license change. event_key makes an
-- event of the daily job (a renewal, a lot's expiry, a status change on a
-- given day) happen once however often the job runs.
CREATE TABLE license_history (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    day         TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_email TEXT NOT NULL DEFAULT '',
    product     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    quantity    INTEGER NOT NULL DEFAULT 0,
    year        INTEGER,
    lot_id      TEXT NOT NULL DEFAULT '',
    details     TEXT NOT NULL DEFAULT '{}',
    event_key   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX license_history_org ON license_history(org_id, seq);
CREATE INDEX license_history_product ON license_history(org_id, product, seq);
CREATE UNIQUE INDEX license_history_event ON license_history(org_id, product, event_key) WHERE event_key <> '';
CREATE TRIGGER license_history_no_update BEFORE UPDATE ON license_history
BEGIN SELECT RAISE(ABORT, 'license history is append-only'); END;
CREATE TRIGGER license_history_no_delete BEFORE DELETE ON license_history
BEGIN SELECT RAISE(ABORT, 'license history is append-only'); END;

-- The daily job's e-mails (30 and 7 days before renewal, grace started,
-- unlicensed), once each: notice names the e-mail and its day.
CREATE TABLE license_notices (
    org_id  TEXT NOT NULL,
    notice  TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, notice)
);
