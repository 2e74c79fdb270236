-- API keys and their daily usage. Shared by SQLite and PostgreSQL: only
-- types and syntax both accept. Times are Unix nanoseconds (UTC).

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    rate_per_sec  DOUBLE PRECISION NOT NULL,
    burst         BIGINT NOT NULL,
    daily_quota   BIGINT NOT NULL,
    subnets       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT NOT NULL DEFAULT 0
);

-- One active key per name; revoked keys keep theirs without blocking reuse.
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at = 0;

CREATE INDEX api_keys_created ON api_keys (created_at, id);

CREATE TABLE usage_daily (
    key_id   TEXT NOT NULL REFERENCES api_keys (id),
    day      TEXT NOT NULL,
    netuid   BIGINT NOT NULL,
    requests BIGINT NOT NULL DEFAULT 0,
    errors   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day, netuid)
);

CREATE INDEX usage_daily_day ON usage_daily (day, key_id, netuid);
