-- 002: the ownership voucher's validity window, taken from the voucher
-- when sztpctl stores it, so sztpd can tell whether a voucher may still be
-- served without parsing the CMS on every request (RFC 8366 created-on /
-- expires-on; 0 = unknown, sztpd then parses the voucher itself).
ALTER TABLE devices ADD COLUMN voucher_created INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN voucher_expires INTEGER NOT NULL DEFAULT 0;
