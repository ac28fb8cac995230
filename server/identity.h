/*
 * identity.h - who is asking: device authentication for RFC 8572 s5.3 and
 * s9.6.  IDevID chain to the manufacturer anchors, serial number from the
 * subject serialNumber, HTTP Basic against the device's salted hash, both
 * naming the same serial when both are sent.
 */
#ifndef SZTPD_IDENTITY_H
#define SZTPD_IDENTITY_H

#include "registry.h"
#include "request.h"

struct server;
struct identity_cache;

/* Authenticate r.  On success dev holds the device record (with full = 0
 * only its serial and password hash: reg_device_auth) and r->serial its
 * serial.  On failure the message in e is safe to send to the client:
 * an unknown serial and a wrong password give the same SZTP_E_AUTH and
 * message (no existence oracle); the precise reason goes to the log. */
sztp_rc identity_authenticate(struct server *s, struct request *r, struct reg_device *dev, int full,
			      struct sztp_err *e);

/* Verified client chains (SHA-256 of the chain as sent -> serial), so a
 * device's follow-up requests (report-progress, retries) skip the
 * signature checks.  An entry lives until the leaf expires or for
 * IDENTITY_CACHE_TTL seconds, whichever comes first. */
#define IDENTITY_CACHE_TTL 300
sztp_rc identity_cache_new(struct identity_cache **out, struct sztp_err *e);
void identity_cache_free(struct identity_cache *c);

#endif
