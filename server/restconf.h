/*
 * restconf.h - RESTCONF (RFC 8040) for the SZTP bootstrap server: routing,
 * media types, the result -> status/error-tag table and error bodies.
 */
#ifndef SZTPD_RESTCONF_H
#define SZTPD_RESTCONF_H

#include "request.h"

struct server;

#define MT_JSON "application/yang-data+json"
#define MT_XML	"application/yang-data+xml"

/* Route and answer one complete request (body read). */
void restconf_handle(struct server *s, struct request *r);

/* Set r's response to the RESTCONF error for rc with message msg. */
void restconf_error(struct request *r, sztp_rc rc, const char *msg);

/* A handler's failure: client errors (4xx) carry e's message; server
 * errors (5xx) are logged with e's detail and answered with public_msg
 * only, so no path, key name or library message reaches a device. */
void restconf_fail(struct request *r, sztp_rc rc, const struct sztp_err *e, const char *public_msg);

/* Set a response body (takes ownership of body). */
void restconf_reply(struct request *r, int status, const char *type, char *body, size_t len);

#endif
