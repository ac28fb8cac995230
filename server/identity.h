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

/* Authenticate r.  On success dev holds the device record and r->serial
 * its serial.  On failure the message in e is safe to send to the client:
 * an unknown serial and a wrong password give the same SZTP_E_AUTH and
 * message (no existence oracle); the precise reason goes to the log. */
sztp_rc identity_authenticate(struct server *s, struct request *r, struct reg_device *dev,
			      struct sztp_err *e);

#endif
