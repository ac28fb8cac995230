-- 007: one row that /readyz rewrites to prove the registry takes a write
-- now (reg_write_probe: a full file system, a read-only mount, a lock
-- never granted).  The value changes on every probe: SQLite writes
-- nothing for an UPDATE that leaves a page as it was.
CREATE TABLE write_probe (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	probes INTEGER NOT NULL -- how many probes wrote it
);
INSERT INTO write_probe (id, probes) VALUES (1, 0);
