-- 009_leases.sql (PostgreSQL) - the same step as ../009_leases.sql, in PostgreSQL's dialect.
-- expires: milliseconds since the epoch by the server's clock_timestamp().

CREATE TABLE leases (name text PRIMARY KEY, holder text NOT NULL, expires bigint NOT NULL);
