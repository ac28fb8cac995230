-- 009_leases.sql (PostgreSQL) - the same step as ../009_leases.sql, in PostgreSQL's dialect.
-- expires: milliseconds since the epoch by the server's clock_timestamp().

CREATE TABLE leases (name text PRIMARY KEY, holder text NOT NULL, expires bigint NOT NULL);

-- Events commit in id order.  Several sztpd (and sztpctl) insert events
-- concurrently; an identity value is taken at insert time, so without this
-- a transaction holding id 100 could commit after one holding id 101, and
-- a consumer whose cursor had passed 101 (webhooks, syslog: "id > cursor")
-- would never see 100.  Each transaction that inserts events takes one
-- transaction-level advisory lock ("sztp", 9) before its first id and keeps
-- it until it ends: event-writing transactions run their commits one after
-- another, so what a reader sees of events is always every id up to some
-- point (gaps only where a transaction rolled back).  SQLite has one writer
-- at a time and needs nothing of the kind.
CREATE FUNCTION sztp_events_in_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(1937011824, 9);
	RETURN NULL;
END
$$;
CREATE TRIGGER events_in_order BEFORE INSERT ON events
	FOR EACH STATEMENT EXECUTE FUNCTION sztp_events_in_order();
