-- 008: per-profile leniency (issue 13).  Strict RFC 8572 behaviour is the
-- default; a profile may tolerate named deviations of one client class
-- (registry.h: enum reg_lenient, one bit each; reg_lenient_parse gives the
-- names).  Only a column is added, so this applies on top of 007.
-- profiles.lenient: the bits; 0 = strict.  Unknown bits are refused when
-- the row is read (a newer sztpd's bit is not silently ignored).
ALTER TABLE profiles ADD COLUMN lenient INTEGER NOT NULL DEFAULT 0 CHECK (lenient >= 0);
