-- 005: the admin REST API (issue 10): its bearer tokens, the audit trail
-- of admin changes, and the indexes its filtered lists need.  Only tables
-- and indexes are added, so this applies on top of 004 and of any 003.

-- Admin API bearer tokens.  Only the SHA-256 of a token's text is kept
-- (the text is shown once, when it is made), so a copy of the registry
-- does not hand out admin access.  A request is authenticated by hashing
-- its token and looking the hash up: UNIQUE makes that an index lookup.
-- A revoked token keeps its row (and its name) so the audit trail can
-- name it; revoked = when, 0 = not revoked; expires 0 = never.
CREATE TABLE admin_tokens (
	name    TEXT    PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 63),
	hash    BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
	scope   TEXT    NOT NULL CHECK (scope IN ('read', 'write')),
	created INTEGER NOT NULL,             -- unix time
	expires INTEGER NOT NULL DEFAULT 0,
	revoked INTEGER NOT NULL DEFAULT 0
);

-- One row per admin change, written in the transaction of the change it
-- describes, so a change that rolls back leaves no audit row and a
-- committed one always has its row.  AUTOINCREMENT: ids are never reused,
-- even if rows are removed by hand, because an NMS polls new rows with
-- "id > the last one it saw".  rev_before / rev_after are the row's
-- revision around the change (NULL: created / deleted).
CREATE TABLE audit (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	time       INTEGER NOT NULL,          -- unix time
	actor      TEXT    NOT NULL CHECK (length(actor) BETWEEN 1 AND 255),
	action     TEXT    NOT NULL CHECK (length(action) BETWEEN 1 AND 47),
	resource   TEXT    NOT NULL DEFAULT '' CHECK (length(resource) <= 191),
	rev_before INTEGER,
	rev_after  INTEGER,
	detail     TEXT                       -- JSON text
);
-- "since/before" on the audit trail, and its retention by age.
CREATE INDEX audit_time ON audit(time);
-- "resource starts with": a range on this index (resource >= p AND
-- resource < p's successor), never LIKE.
CREATE INDEX audit_resource ON audit(resource);

-- Progress reports by age: reg_prune deletes "time < ?" and would
-- otherwise read the whole table (bootstrap_log has had its time index
-- since 001).  The admin lists themselves walk the id order (the rowid),
-- or (serial, id) through progress_serial, and filter time on the way.
CREATE INDEX progress_time ON progress(time);

-- No index on devices(last_seen): the device list is ordered by serial
-- and walks the primary key (a serial prefix is a range on it); a
-- last_seen index could only serve it with a sort of every match.
