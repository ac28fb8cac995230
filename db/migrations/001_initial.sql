-- 001_initial.sql - the device registry schema, version 1.
--
-- Applied by db/registry_sqlite.c inside one transaction, which then
-- records the version in schema_version.  A migration file therefore must
-- not contain BEGIN/COMMIT, and every later change goes into a new
-- NNN_name.sql file: a released file is never edited.
--
-- revision columns hold a random 63-bit value that is replaced on every
-- admin change of the row; sztpd compares them to know when a prepared
-- signed artifact (conveyed information, owner certificate) is stale.

CREATE TABLE schema_version (
	version INTEGER PRIMARY KEY,
	name    TEXT    NOT NULL,
	applied INTEGER NOT NULL              -- unix time
);

-- Owner identities: the certificate chain and private key that sign
-- conveyed information (RFC 8572 s3.2, s5.4).
CREATE TABLE owners (
	name     TEXT    PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 63),
	key_path TEXT,                        -- private key file, read by sztpd only
	revision INTEGER NOT NULL
);

-- The owner certificate chain, one DER certificate per row; pos 0 is the
-- signing certificate, so ORDER BY pos gives back the chain as stored.
CREATE TABLE owner_certs (
	owner TEXT    NOT NULL REFERENCES owners(name) ON DELETE CASCADE ON UPDATE CASCADE,
	pos   INTEGER NOT NULL CHECK (pos >= 0),
	der   BLOB    NOT NULL CHECK (length(der) > 0),
	PRIMARY KEY (owner, pos)
);

-- What a device is told: onboarding or redirect information (RFC 8572
-- s2.2), and how.  owner names an owners row; it is not a foreign key so a
-- profile can be written before its owner identity is imported.
CREATE TABLE profiles (
	name          TEXT    PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 63),
	kind          TEXT    NOT NULL CHECK (kind IN ('onboarding', 'redirect')),
	conveyed_json TEXT,
	sign          TEXT    NOT NULL DEFAULT 'if-requested'
	                      CHECK (sign IN ('if-requested', 'always', 'never')),
	reporting     TEXT    NOT NULL DEFAULT 'minimal'
	                      CHECK (reporting IN ('minimal', 'verbose')),
	owner         TEXT    NOT NULL DEFAULT 'default' CHECK (length(owner) BETWEEN 1 AND 63),
	revision      INTEGER NOT NULL
);

-- Enrolled devices, keyed by the serial number of their IDevID (RFC 8572
-- s5.3, s9.6).
CREATE TABLE devices (
	serial        TEXT    PRIMARY KEY NOT NULL CHECK (length(serial) BETWEEN 1 AND 127),
	password_hash TEXT,                   -- passwd.h format, NULL when none
	profile       TEXT    REFERENCES profiles(name) ON DELETE RESTRICT ON UPDATE RESTRICT,
	voucher       BLOB,                   -- voucher CMS as supplied (RFC 8366)
	state         TEXT    NOT NULL DEFAULT 'enrolled' CHECK (length(state) BETWEEN 1 AND 31),
	created       INTEGER NOT NULL,
	first_seen    INTEGER NOT NULL DEFAULT 0,
	last_seen     INTEGER NOT NULL DEFAULT 0,
	revision      INTEGER NOT NULL
);
-- Serves the foreign key check on profile removal and "used by N devices".
CREATE INDEX devices_profile ON devices(profile);

-- report-progress notifications (RFC 8572 s7.3), newest has the highest id.
CREATE TABLE progress (
	id            INTEGER PRIMARY KEY,
	serial        TEXT    NOT NULL REFERENCES devices(serial) ON DELETE CASCADE,
	time          INTEGER NOT NULL,
	peer          TEXT    NOT NULL DEFAULT '',
	type          TEXT    NOT NULL,
	message       TEXT,
	ssh_host_keys TEXT,                   -- JSON array text
	trust_anchors TEXT                    -- JSON array text (base64 CMS)
);
CREATE INDEX progress_serial ON progress(serial, id);

-- One row per bootstrap request.  serial has no foreign key: requests that
-- fail authentication have no device ('' then), and the log outlives
-- removed devices.
CREATE TABLE bootstrap_log (
	id          INTEGER PRIMARY KEY,
	serial      TEXT    NOT NULL DEFAULT '',
	time        INTEGER NOT NULL,
	peer        TEXT    NOT NULL DEFAULT '',
	endpoint    TEXT    NOT NULL DEFAULT '',
	result      TEXT    NOT NULL DEFAULT '',
	status      INTEGER NOT NULL DEFAULT 0,
	duration_us INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX bootstrap_log_serial ON bootstrap_log(serial, id);
CREATE INDEX bootstrap_log_time ON bootstrap_log(time);
