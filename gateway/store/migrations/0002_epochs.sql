-- Subnet epochs as the gateway recorded them, for the dashboard's history.
-- Shared by SQLite and PostgreSQL: only types and syntax both accept. Times
-- are Unix nanoseconds (UTC).

CREATE TABLE epochs (
    netuid      BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    epoch       BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (netuid, height)
);
