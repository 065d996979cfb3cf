-- §7 FW-1: the AXIS OS catalogue, one row per release of one model. A
-- platform table: the vendor publishes for every organization. The image
-- lives in the data directory under firmware/<sha256>; signature is the
-- platform's Ed25519 signature (base64) of device.FirmwareSignedMessage.
CREATE TABLE firmware_releases (
    id               TEXT PRIMARY KEY,
    model            TEXT NOT NULL,
    version          TEXT NOT NULL,
    track            TEXT NOT NULL,
    released         BIGINT NOT NULL,
    sha256           TEXT NOT NULL,
    size             BIGINT NOT NULL,
    signature        TEXT NOT NULL,
    withdrawn_at     BIGINT,
    withdrawn_reason TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    created_by       TEXT NOT NULL DEFAULT '',
    UNIQUE (model, version)
);
