/*
 * handlers.h - what restconf.c's routing table calls, and what a handler
 * may use to say how it went.  A handler reads the request, does its work
 * and fills in a struct result (request.h); it never writes a reply
 * itself.  Adding an endpoint is one handler function in one file plus
 * one row in restconf.c's table.
 *
 *   discovery.c  RFC 8040 s3.1 host-meta, the root resource,
 *                yang-library-version and the operations list
 *   bootstrap.c  get-bootstrapping-data (RFC 8572 s7.1)
 *   progress.c   report-progress (RFC 8572 s7.3)
 */
#ifndef SZTPD_HANDLERS_H
#define SZTPD_HANDLERS_H

#include <stdio.h>
#include <stdlib.h>

#include "request.h"

struct server;

#define MT_JSON "application/yang-data+json"
#define MT_XML	"application/yang-data+xml"

typedef enum answer (*handler_fn)(struct server *s, struct request *r, struct result *res);

enum answer handle_host_meta(struct server *s, struct request *r, struct result *res);
enum answer handle_restconf_root(struct server *s, struct request *r, struct result *res);
enum answer handle_yang_library_version(struct server *s, struct request *r, struct result *res);
enum answer handle_operations(struct server *s, struct request *r, struct result *res);
enum answer handle_get_bootstrapping_data(struct server *s, struct request *r, struct result *res);
enum answer handle_report_progress(struct server *s, struct request *r, struct result *res);

/* Success: status with body (taken; a NULL body is an empty reply) of
 * media type type. */
static inline void result_ok(struct result *res, int status, const char *type, char *body,
			     size_t len)
{
	free(res->body);
	res->rc = SZTP_OK;
	res->status = status;
	res->type = type;
	res->body = body;
	res->len = body ? len : 0;
}

/* Failure rc; res->err already holds the detail (sztp_err_set).  public_msg
 * is what a 5xx says to the client instead of the detail. */
static inline void result_fail(struct result *res, sztp_rc rc, const char *public_msg)
{
	res->rc = rc == SZTP_OK ? SZTP_E_INTERNAL : rc;
	res->public_msg = public_msg;
}

/* The audit outcome word (copied, truncated to fit). */
static inline void result_outcome(struct result *res, const char *word)
{
	snprintf(res->outcome, sizeof(res->outcome), "%s", word);
}

#endif
