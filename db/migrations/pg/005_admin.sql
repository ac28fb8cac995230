-- 005_admin.sql (PostgreSQL) - the same step as ../005_admin.sql, in PostgreSQL's dialect.

CREATE TABLE admin_tokens (
	name text COLLATE "C" PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 63),
	hash bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
	scope text NOT NULL CHECK (scope IN ('read', 'write')),
	created bigint NOT NULL,
	expires bigint NOT NULL DEFAULT 0,
	revoked bigint NOT NULL DEFAULT 0);
CREATE TABLE audit (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time bigint NOT NULL,
	actor text NOT NULL CHECK (length(actor) BETWEEN 1 AND 255),
	action text NOT NULL CHECK (length(action) BETWEEN 1 AND 47),
	resource text COLLATE "C" NOT NULL DEFAULT '' CHECK (length(resource) <= 191),
	rev_before bigint, rev_after bigint, detail text);
CREATE INDEX audit_time ON audit(time);
CREATE INDEX audit_resource ON audit(resource);
CREATE INDEX progress_time ON progress(time);
