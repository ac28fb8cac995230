-- 008_lenient.sql (PostgreSQL) - the same step as ../008_lenient.sql, in PostgreSQL's dialect.

ALTER TABLE profiles ADD COLUMN lenient integer NOT NULL DEFAULT 0 CHECK (lenient >= 0);
