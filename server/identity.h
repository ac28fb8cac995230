/*
 * identity.h - who is asking: device authentication for RFC 8572 s5.3 and
 * s9.6.  IDevID chain to the manufacturer anchors, serial number from the
 * subject serialNumber by the rule of the anchor that verified it
 * (client-ca: as is; manufacturer-ca serial=sudi: its SN: token), HTTP Basic against the device's
 * salted hash, both naming the same serial when both are sent.
 */
#ifndef SZTPD_IDENTITY_H
#define SZTPD_IDENTITY_H

#include "request.h"

struct server;
struct identity_cache;

/* The one message of every authentication failure (RFC 8572 s9.6: no
 * existence oracle). */
#define IDENTITY_401 "authentication failed"

/* Authenticate r's device: a client chain verified to the manufacturer
 * anchors (clientAuth), serial from its subject serialNumber; or HTTP
 * Basic (serial:password); both naming the same serial when both are
 * sent; the serial enrolled; the password matching its stored hash.
 * On success serial holds the authenticated serial number, and that is
 * all identity hands on: the handler reads what it needs of the device.
 * On failure e holds IDENTITY_401 with SZTP_E_AUTH for every
 * authentication failure (unknown serial, wrong password, bad chain, ...),
 * or a generic message with the registry's rc; the precise reason is
 * logged, and serial holds the serial the client claimed ("" when none),
 * for the audit line only.  Failures count towards s's throttles
 * (throttle.h); once an address or a Basic serial has failed too often,
 * requests without a client certificate get SZTP_E_THROTTLED
 * (THROTTLE_429, 429; throttle_auth_retry_after gives the Retry-After)
 * before anything is checked. */
sztp_rc identity_authenticate(struct server *s, const struct request *r,
			      char serial[PKI_SERIAL_MAX], struct sztp_err *e);

/* The same failure for a reason found after authentication (the device
 * was removed before its data was read): logs why, sets IDENTITY_401. */
sztp_rc identity_refuse(const char *peer, const char *serial, const char *why, struct sztp_err *e);

/* Verified client chains (SHA-256 of the chain as sent -> serial), so a
 * device's follow-up requests (report-progress, retries) skip the
 * signature checks.  An entry lives until the leaf expires or for
 * IDENTITY_CACHE_TTL seconds, whichever comes first. */
#define IDENTITY_CACHE_TTL 300
sztp_rc identity_cache_new(struct identity_cache **out, struct sztp_err *e);
void identity_cache_free(struct identity_cache *c);

/* Authenticate against t from now on (takes it; the previous anchors are
 * freed once no verification uses them, and every cached verified chain
 * is forgotten).  Until the first call the server's idevid_trust is used.
 * Safe while other threads authenticate (SIGHUP). */
void identity_trust_set(struct identity_cache *c, struct pki_trust *t);

/* Verified HTTP Basic passwords are remembered for IDENTITY_CACHE_TTL
 * seconds, keyed on serial, password and the stored hash; at most
 * password-hash-concurrency hashes run at once (a request that finds none
 * free gets the one 401).  What that did so far: */
struct identity_stats {
	unsigned long password_cache_hits; /* verifications that skipped the hash */
	unsigned long password_busy;	   /* refused: no free hash computation */
};
void identity_stats(struct identity_cache *c, struct identity_stats *out);

#endif
