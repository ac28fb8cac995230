-- 006: events for the NMS (issue 12): the outbox, webhook subscriptions,
-- their dead letters, and the cursors of other consumers (syslog).

-- The outbox.  Each row is written in the transaction of the row it
-- describes (a progress report, a bootstrapping-log entry, an admin
-- change), so a committed change always has its event and a rolled-back
-- one has none.  AUTOINCREMENT: ids are never reused, even after
-- retention removed rows, because consumers and receivers use "id > the
-- last one seen" as their cursor and drop repeats by id.  data is a JSON
-- object (lib/event.h documents each type's members).
CREATE TABLE events (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	time   INTEGER NOT NULL,          -- unix time
	type   TEXT    NOT NULL CHECK (length(type) BETWEEN 1 AND 47),
	serial TEXT    NOT NULL DEFAULT '',
	peer   TEXT    NOT NULL DEFAULT '',
	data   TEXT    NOT NULL CHECK (json_valid(data) AND json_type(data) = 'object')
);
-- "events of one device" lists; retention by age.
CREATE INDEX events_serial ON events(serial, id);
CREATE INDEX events_time ON events(time);

-- Webhook subscriptions.  secret is the HMAC-SHA256 key: sztpd needs it
-- in clear to sign, so it is as secret as the registry file (0600).  The
-- delivery state (cursor .. dead) is written by sztpd's worker only;
-- revision changes with the configuration (url, types, secret, ca,
-- enabled), not with the state, so an NMS's ETag survives deliveries.
CREATE TABLE webhooks (
	name         TEXT    PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 63),
	url          TEXT    NOT NULL CHECK (url LIKE 'https://%'),
	types        TEXT    NOT NULL DEFAULT '',      -- comma list; '' = every type
	secret       TEXT    NOT NULL CHECK (length(secret) >= 1),
	ca_pem       TEXT,                             -- NULL = the system's trust store
	enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	cursor       INTEGER NOT NULL DEFAULT 0,       -- last event id done with
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL DEFAULT 0,       -- unix ms
	last_status  INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT,
	last_success INTEGER NOT NULL DEFAULT 0,
	delivered    INTEGER NOT NULL DEFAULT 0,
	failed       INTEGER NOT NULL DEFAULT 0,
	dead         INTEGER NOT NULL DEFAULT 0,
	created      INTEGER NOT NULL,
	revision     INTEGER NOT NULL
);

-- Events a webhook gave up on (older than webhook-max-age while its
-- receiver kept failing).  They keep their event row from retention until
-- replayed (delivered) or removed.
CREATE TABLE dead_letters (
	webhook    TEXT    NOT NULL REFERENCES webhooks(name) ON DELETE CASCADE,
	event_id   INTEGER NOT NULL REFERENCES events(id),
	time       INTEGER NOT NULL,          -- when it was given up
	attempts   INTEGER NOT NULL,
	last_error TEXT    NOT NULL DEFAULT '',
	replay     INTEGER NOT NULL DEFAULT 0 CHECK (replay IN (0, 1)),
	PRIMARY KEY (webhook, event_id)
) WITHOUT ROWID;
CREATE INDEX dead_letters_event ON dead_letters(event_id);

-- Cursors of the other consumers ("syslog"): the last event id sent.
CREATE TABLE event_cursors (
	name   TEXT    PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 63),
	cursor INTEGER NOT NULL
);
