-- 001_initial.sql (PostgreSQL) - the same step as ../001_initial.sql, in PostgreSQL's dialect.
--
-- Applied by db/registry_pg.c inside one transaction (with an advisory
-- lock, so several sztpd starting at once migrate once), which then
-- records the version in schema_version; the numbers and names of this
-- folder and of ../ are one list (the build checks).  Dialect rules:
-- unix times, ids, revisions, counters are bigint; small enums, flags and
-- counts integer (not boolean: the C side binds and reads 0/1); BLOB is
-- bytea; AUTOINCREMENT ids are identity columns (never reused); every key,
-- serial and name column is COLLATE "C", so ranges and ORDER BY compare
-- bytes as SQLite does whatever the database's default collation.

CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL, applied bigint NOT NULL);
CREATE TABLE owners (
	name     text COLLATE "C" PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 63),
	key_path text,
	revision bigint NOT NULL);
CREATE TABLE owner_certs (
	owner text COLLATE "C" NOT NULL REFERENCES owners(name) ON DELETE CASCADE ON UPDATE CASCADE,
	pos   integer NOT NULL CHECK (pos >= 0),
	der   bytea NOT NULL CHECK (length(der) > 0),
	PRIMARY KEY (owner, pos));
CREATE TABLE profiles (
	name text COLLATE "C" PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 63),
	kind text NOT NULL CHECK (kind IN ('onboarding', 'redirect')),
	conveyed_json text,
	sign text NOT NULL DEFAULT 'if-requested' CHECK (sign IN ('if-requested', 'always', 'never')),
	reporting text NOT NULL DEFAULT 'minimal' CHECK (reporting IN ('minimal', 'verbose')),
	owner text COLLATE "C" NOT NULL DEFAULT 'default' CHECK (length(owner) BETWEEN 1 AND 63),
	revision bigint NOT NULL);
CREATE TABLE devices (
	serial text COLLATE "C" PRIMARY KEY CHECK (length(serial) BETWEEN 1 AND 127),
	password_hash text,
	profile text COLLATE "C" REFERENCES profiles(name) ON DELETE RESTRICT ON UPDATE RESTRICT,
	voucher bytea,
	state text NOT NULL DEFAULT 'enrolled' CHECK (length(state) BETWEEN 1 AND 31),
	created bigint NOT NULL,
	first_seen bigint NOT NULL DEFAULT 0,
	last_seen bigint NOT NULL DEFAULT 0,
	revision bigint NOT NULL);
CREATE INDEX devices_profile ON devices(profile);
CREATE TABLE progress (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	serial text COLLATE "C" NOT NULL REFERENCES devices(serial) ON DELETE CASCADE,
	time bigint NOT NULL,
	peer text NOT NULL DEFAULT '',
	type text NOT NULL,
	message text, ssh_host_keys text, trust_anchors text);
CREATE INDEX progress_serial ON progress(serial, id);
CREATE TABLE bootstrap_log (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	serial text COLLATE "C" NOT NULL DEFAULT '',
	time bigint NOT NULL,
	peer text NOT NULL DEFAULT '',
	endpoint text NOT NULL DEFAULT '',
	result text NOT NULL DEFAULT '',
	status integer NOT NULL DEFAULT 0,
	duration_us bigint NOT NULL DEFAULT 0);
CREATE INDEX bootstrap_log_serial ON bootstrap_log(serial, id);
CREATE INDEX bootstrap_log_time ON bootstrap_log(time);
