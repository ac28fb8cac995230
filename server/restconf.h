/*
 * restconf.h - RESTCONF (RFC 8040) for the SZTP bootstrap server: the
 * routing table, methods, media types, the one result -> status/error-tag
 * table and error bodies.  restconf.c alone turns a handler's result into
 * the reply.
 */
#ifndef SZTPD_RESTCONF_H
#define SZTPD_RESTCONF_H

#include "handlers.h"
#include "request.h"

struct server;

/* Route and answer one complete request (body read).  A handler that
 * answers later completes through r->answer_later, which makes the reply
 * from r->res and resumes the connection. */
void restconf_handle(struct server *s, struct request *r);

/* A request http.c refuses before routing (a malformed head or target):
 * the RESTCONF error of rc with msg, in the encoding Accept asks for.
 * Every listener's service has such a function (http.h). */
void restconf_refuse(struct request *r, sztp_rc rc, const char *msg);

/* The RESTCONF error reply for rc with message msg (RFC 8040 s7.1), in
 * r->enc.  Exposed for the unit tests. */
void restconf_error(struct request *r, sztp_rc rc, const char *msg);

#endif
