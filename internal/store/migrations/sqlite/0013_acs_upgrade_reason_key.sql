-- A server upgrade that ends for a reason the portal gives (the server never
-- reported its outcome) keeps that reason's catalogue key; reason holds a
-- server's own words.
ALTER TABLE acs_upgrades ADD COLUMN reason_key TEXT NOT NULL DEFAULT '';
