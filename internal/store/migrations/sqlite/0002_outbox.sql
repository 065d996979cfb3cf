-- AUD-2: the durable e-mail outbox.
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
CREATE INDEX mail_outbox_due ON mail_outbox(sent_at, next_at);
