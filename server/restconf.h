/*
 * restconf.h - RESTCONF (RFC 8040) for the SZTP bootstrap server: routing,
 * media types, the result -> status/error-tag table and error bodies.
 */
#ifndef SZTPD_RESTCONF_H
#define SZTPD_RESTCONF_H

#include "request.h"

struct server;

#define MT_JSON "application/yang-data+json"
#define MT_XML  "application/yang-data+xml"

/* Route and answer one complete request (body read). */
void restconf_handle(struct server *s, struct request *r);

/* Set r's response to the RESTCONF error for rc with message msg. */
void restconf_error(struct request *r, sztp_rc rc, const char *msg);

/* Set a response body (takes ownership of body). */
void restconf_reply(struct request *r, int status, const char *type, char *body, size_t len);

#endif
