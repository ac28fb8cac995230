-- 004_idevid_pin.sql (PostgreSQL) - the same step as ../004_idevid_pin.sql, in PostgreSQL's dialect.

ALTER TABLE profiles ADD COLUMN pin_idevid integer NOT NULL DEFAULT 0 CHECK (pin_idevid IN (0, 1));
ALTER TABLE devices ADD COLUMN idevid_pin bytea CHECK (idevid_pin IS NULL OR length(idevid_pin) = 32);
