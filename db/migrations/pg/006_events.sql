-- 006_events.sql (PostgreSQL) - the same step as ../006_events.sql, in PostgreSQL's dialect.

CREATE TABLE events (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time bigint NOT NULL,
	type text NOT NULL CHECK (length(type) BETWEEN 1 AND 47),
	serial text COLLATE "C" NOT NULL DEFAULT '',
	peer text NOT NULL DEFAULT '',
	data text NOT NULL CHECK (jsonb_typeof(data::jsonb) = 'object'));
CREATE INDEX events_serial ON events(serial, id);
CREATE INDEX events_time ON events(time);
CREATE TABLE webhooks (
	name text COLLATE "C" PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 63),
	url text NOT NULL CHECK (url ILIKE 'https://%'),
	types text NOT NULL DEFAULT '',
	secret text NOT NULL CHECK (length(secret) >= 1),
	ca_pem text,
	enabled integer NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	cursor bigint NOT NULL DEFAULT 0,
	attempts integer NOT NULL DEFAULT 0,
	next_attempt bigint NOT NULL DEFAULT 0,
	last_status integer NOT NULL DEFAULT 0,
	last_error text,
	last_success bigint NOT NULL DEFAULT 0,
	delivered bigint NOT NULL DEFAULT 0,
	failed bigint NOT NULL DEFAULT 0,
	dead bigint NOT NULL DEFAULT 0,
	created bigint NOT NULL,
	revision bigint NOT NULL);
CREATE TABLE dead_letters (
	webhook text COLLATE "C" NOT NULL REFERENCES webhooks(name) ON DELETE CASCADE,
	event_id bigint NOT NULL REFERENCES events(id),
	time bigint NOT NULL,
	attempts integer NOT NULL,
	last_error text NOT NULL DEFAULT '',
	replay integer NOT NULL DEFAULT 0 CHECK (replay IN (0, 1)),
	PRIMARY KEY (webhook, event_id));
CREATE INDEX dead_letters_event ON dead_letters(event_id);
CREATE TABLE event_cursors (
	name text COLLATE "C" PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 63),
	cursor bigint NOT NULL);
-- json(x) when x is valid JSON, else NULL (PG 15 has no IS JSON): E_PROGRESS
CREATE FUNCTION sztp_json_or_null(t text) RETURNS json LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
BEGIN
	RETURN t::json;
EXCEPTION WHEN invalid_text_representation THEN
	RETURN NULL;
END
$f$;
