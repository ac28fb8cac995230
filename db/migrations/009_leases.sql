-- 009: leases, for what must run once across several sztpd instances on
-- one registry (the webhook worker, the syslog sink, retention): one row
-- per lease, held by one process (holder: hostname:pid:random) until
-- expires (milliseconds since the epoch, by the database's clock; for
-- SQLite the clock of the one machine its file is on).  reg_lease.
CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	expires INTEGER NOT NULL
);
