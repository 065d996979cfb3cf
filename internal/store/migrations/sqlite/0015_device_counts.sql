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

CREATE TRIGGER device_counts_insert AFTER INSERT ON devices
BEGIN
    INSERT INTO device_counts (org_id, model, folder_id, devices) VALUES (NEW.org_id, NEW.model, NEW.folder_id, 1)
        ON CONFLICT (org_id, model, folder_id) DO UPDATE SET devices = devices + 1;
END;
CREATE TRIGGER device_counts_delete AFTER DELETE ON devices
BEGIN
    UPDATE device_counts SET devices = devices - 1
        WHERE org_id = OLD.org_id AND model = OLD.model AND folder_id = OLD.folder_id;
    DELETE FROM device_counts
        WHERE org_id = OLD.org_id AND model = OLD.model AND folder_id = OLD.folder_id AND devices <= 0;
END;
CREATE TRIGGER device_counts_update AFTER UPDATE OF org_id, model, folder_id ON devices
WHEN OLD.org_id IS NOT NEW.org_id OR OLD.model IS NOT NEW.model OR OLD.folder_id IS NOT NEW.folder_id
BEGIN
    UPDATE device_counts SET devices = devices - 1
        WHERE org_id = OLD.org_id AND model = OLD.model AND folder_id = OLD.folder_id;
    DELETE FROM device_counts
        WHERE org_id = OLD.org_id AND model = OLD.model AND folder_id = OLD.folder_id AND devices <= 0;
    INSERT INTO device_counts (org_id, model, folder_id, devices) VALUES (NEW.org_id, NEW.model, NEW.folder_id, 1)
        ON CONFLICT (org_id, model, folder_id) DO UPDATE SET devices = devices + 1;
END;

-- LIC-2, LIC-6: the lots that still hold licenses, read by every status,
-- allocation and wallet (emptied and expired lots are only read by the
-- conservation check).
CREATE INDEX license_lots_wallet ON license_lots(org_id, product, expires_on, id) WHERE quantity > 0 AND expired_at IS NULL;
