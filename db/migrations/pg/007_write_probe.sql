-- 007_write_probe.sql (PostgreSQL) - the same step as ../007_write_probe.sql, in PostgreSQL's dialect.

CREATE TABLE write_probe (id integer PRIMARY KEY CHECK (id = 1), probes bigint NOT NULL);
INSERT INTO write_probe (id, probes) VALUES (1, 0);
