/*
 * request.h - one HTTP request as it travels through sztpd: what the HTTP
 * module read off the connection, the handler's result, the reply that
 * restconf.c made of it, and what the audit line records.  One per
 * request, used by one thread at a time (a deferred answer is completed
 * by the thread it was handed to).
 */
#ifndef SZTPD_REQUEST_H
#define SZTPD_REQUEST_H

#include <stdint.h>

#include "pki.h"
#include "result.h"
#include "yang.h"

/* What a handler decided.  restconf.c alone turns it into the reply: the
 * success body, or the RESTCONF error of rc (4xx: err's message; 5xx:
 * public_msg, with err's detail only in the log). */
struct result {
	sztp_rc rc;		/* SZTP_OK, or the failure */
	struct sztp_err err;	/* failure detail (also the audit line's reason) */
	const char *public_msg; /* a 5xx's message to the client (static text) */
	int status;		/* success: 200 or 204 */
	const char *type;	/* success: media type of body (static text) */
	char *body;		/* success: malloc'd, owned */
	size_t len;
	char outcome[40]; /* the audit line's result=: "signed", "unsigned", ... */
	char profile[64]; /* get-bootstrapping-data: the profile served (a metrics label) */
	char lenient[64]; /* get-bootstrapping-data, report-progress: the profile's
			   * leniencies the answer needed ("empty-nonce,omit-os-fields";
			   * "" none): the audit line's */
	int record;	  /* write a row to the bootstrapping log (the route's
			   * default; a handler clears it when its data is its
			   * own record, as a stored progress report is) */
	int retry_after;  /* > 0: seconds for a Retry-After header (RFC 9110
			   * s10.2.3) on a 429 or 503 */
};

/* A handler answers now, or later: then it has set the connection aside
 * with r->defer and whoever completes r->res calls restconf_answer_later. */
enum answer { ANSWER_NOW, ANSWER_LATER };

struct request {
	/* filled by http.c */
	const char *method;
	const char *url;	      /* path, percent-decoded (no NUL or control characters) */
	const char *raw_path;	      /* the same as sent, still percent-encoded */
	const char *query;	      /* raw query string after '?'; NULL when there is none */
	const char *content_type;     /* NULL when absent */
	const char *accept;	      /* NULL when absent */
	const char *authorization;    /* NULL when absent */
	const sztp_bytes *peer_certs; /* TLS client chain as sent, leaf first */
	size_t n_peer_certs;
	char peer[64]; /* client address */
	const char *body;
	size_t body_len;
	int body_too_big;
	int body_unwanted; /* the listener's admit refused the body: read and dropped */
	int64_t start_us;
	/* Any request header field's value (NULL when absent), for those the
	 * members above do not carry (If-Match, Content-Length...). */
	const char *(*field)(struct request *r, const char *name);
	/* Answering later (http.c sets these; NULL: answer before returning).
	 * A handler that hands its work to another thread first calls
	 * defer(r), keeping the connection aside while the worker serves
	 * others; that thread fills in r->res and calls answer_later(r)
	 * (set by restconf.c: it makes the reply, then calls resume(r)).  When defer
	 * returns 0 (the server is stopping) the handler answers now instead.
	 * pending (freed with pending_free when the request ends) holds the
	 * handler's state meanwhile. */
	int (*defer)(struct request *r);
	void (*resume)(struct request *r);
	void (*answer_later)(struct request *r);
	void *io; /* http.c's connection */
	void *pending;
	void (*pending_free)(void *pending);

	/* decided by restconf.c before the handler runs */
	const char *endpoint;	     /* route name, for the audit line and the log */
	enum yang_enc in_enc;	     /* request body encoding (operations) */
	enum yang_enc enc;	     /* response encoding */
	char serial[PKI_SERIAL_MAX]; /* set by identity: the (claimed) serial */

	/* the handler's result */
	struct result res;

	/* the reply, made by restconf.c from res; http.c sends it */
	int status;
	char *resp_body; /* malloc'd */
	size_t resp_len;
	const char *resp_type;
	const char *allow;    /* Allow header on 405 */
	int www_authenticate; /* add WWW-Authenticate: Basic on 401 */
	/* more header fields: name, value, name, value..., NULL; the strings
	 * live until the request ends (e.g. in pending) */
	const char *const *resp_fields;
	const char *cache_control; /* NULL: no-cache (RFC 8040 s5.5) */
	int close;		   /* answer with Connection: close (http.c: framing errors) */
};

#endif
