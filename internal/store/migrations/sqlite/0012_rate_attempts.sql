-- ID-4, DEV-3: rate limits count the attempts of the last window (a sliding
-- window), not those since a window aligned to the clock began, which let
-- twice the budget through across a window's end. Each attempt is a row,
-- counted while at > now - window and pruned once past expires_at. The id
-- lets a sign-in that succeeds take back the attempt it reserved.
CREATE TABLE rate_attempts (
    id         TEXT PRIMARY KEY,
    key        TEXT NOT NULL,
    at         BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX rate_attempts_key_at ON rate_attempts (key, at);
CREATE INDEX rate_attempts_expires_at ON rate_attempts (expires_at);

-- The fixed windows' counts carry over as attempts made when their window
-- began (at most 1000 each), leaving when that window (15 minutes, the
-- default) would have ended.
WITH RECURSIVE n(i) AS (
    SELECT 1 WHERE EXISTS (SELECT 1 FROM rate_counters)
    UNION ALL
    SELECT i + 1 FROM n WHERE i < (SELECT MIN(MAX(hits), 1000) FROM rate_counters)
)
INSERT INTO rate_attempts (id, key, at, expires_at)
SELECT 'rc' || n.i || ':' || c.key, c.key, c.window_start, c.window_start + 900000000
FROM rate_counters c JOIN n ON n.i <= c.hits;

DROP TABLE rate_counters;
