-- 002_voucher_window.sql (PostgreSQL) - the same step as ../002_voucher_window.sql, in PostgreSQL's dialect.

ALTER TABLE devices ADD COLUMN voucher_created bigint NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN voucher_expires bigint NOT NULL DEFAULT 0;
