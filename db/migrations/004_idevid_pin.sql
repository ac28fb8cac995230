-- 004: optional IDevID pinning (issue 9).  A profile may pin: the first
-- IDevID key a device of it authenticates with (or one given when it is
-- enrolled) is recorded, and a different key with the same serial is then
-- refused like any other authentication failure.  Only columns are added,
-- so this applies on top of 002 and of any 003 that adds other columns or
-- tables.
-- profiles.pin_idevid: 1 = devices of this profile are pinned.
ALTER TABLE profiles ADD COLUMN pin_idevid INTEGER NOT NULL DEFAULT 0
	CHECK (pin_idevid IN (0, 1));
-- devices.idevid_pin: SHA-256 of the DER SubjectPublicKeyInfo of the
-- device's IDevID (RFC 7469 s2.4's pin input); NULL = none recorded.
ALTER TABLE devices ADD COLUMN idevid_pin BLOB
	CHECK (idevid_pin IS NULL OR length(idevid_pin) = 32);
