-- LIC-5: the need of every license product is counted from how many of an
-- organization's devices of each model sit in each folder. Triggers keep
-- these counts with every insert, move and removal of a device, in the
-- same transaction, so the products' status reads a few rows instead of
-- counting 100,000 devices, and is exact at once. Rows whose count fell
-- to 0 are removed.
CREATE TABLE device_counts (
    org_id    TEXT NOT NULL,
    model     TEXT NOT NULL,
    folder_id TEXT NOT NULL,
    devices   INTEGER NOT NULL,
    PRIMARY KEY (org_id, model, folder_id)
);
INSERT INTO device_counts (org_id, model, folder_id, devices)
    SELECT org_id, model, folder_id, COUNT(*) FROM devices GROUP BY org_id, model, folder_id;

CREATE FUNCTION device_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE device_counts SET devices = devices - 1
            WHERE org_id = OLD.org_id AND model = OLD.model AND folder_id = OLD.folder_id;
        DELETE FROM device_counts
            WHERE org_id = OLD.org_id AND model = OLD.model AND folder_id = OLD.folder_id AND devices <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO device_counts (org_id, model, folder_id, devices) VALUES (NEW.org_id, NEW.model, NEW.folder_id, 1)
            ON CONFLICT (org_id, model, folder_id) DO UPDATE SET devices = device_counts.devices + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER device_counts_insert_delete AFTER INSERT OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION device_counts_track();
CREATE TRIGGER device_counts_update AFTER UPDATE OF org_id, model, folder_id ON devices
    FOR EACH ROW WHEN (OLD.org_id IS DISTINCT FROM NEW.org_id OR OLD.model IS DISTINCT FROM NEW.model
        OR OLD.folder_id IS DISTINCT FROM NEW.folder_id)
    EXECUTE FUNCTION device_counts_track();

-- LIC-2, LIC-6: the lots that still hold licenses, read by every status,
-- allocation and wallet (emptied and expired lots are only read by the
-- conservation check).
CREATE INDEX license_lots_wallet ON license_lots(org_id, product, expires_on, id) WHERE quantity > 0 AND expired_at IS NULL;
