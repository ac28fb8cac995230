/*
 * request.h - one HTTP request as it travels through sztpd: what the HTTP
 * module read off the connection, what the handlers decided, and what the
 * audit line records.  One per request, used by one thread at a time (a
 * deferred answer is completed by the thread it was handed to).
 */
#ifndef SZTPD_REQUEST_H
#define SZTPD_REQUEST_H

#include <stdint.h>

#include "pki.h"
#include "result.h"
#include "yang.h"

struct request {
	/* filled by http.c */
	const char *method;
	const char *url;
	const char *content_type;     /* NULL when absent */
	const char *accept;	      /* NULL when absent */
	const char *authorization;    /* NULL when absent */
	const sztp_bytes *peer_certs; /* TLS client chain as sent, leaf first */
	size_t n_peer_certs;
	char peer[64]; /* client address */
	const char *body;
	size_t body_len;
	int body_too_big;
	int64_t start_us;
	/* Answering later (http.c sets these; NULL: answer before returning).
	 * A handler that hands its work to another thread first calls
	 * defer(r), keeping the connection aside while the worker serves
	 * others; that thread fills in the answer and calls resume(r).  When
	 * defer returns 0 (the server is stopping) the handler answers before
	 * returning instead.
	 * pending (freed with pending_free when the request ends) holds the
	 * handler's state meanwhile. */
	int (*defer)(struct request *r);
	void (*resume)(struct request *r);
	void *io; /* http.c's connection */
	void *pending;
	void (*pending_free)(void *pending);

	/* decided by restconf.c and the handlers */
	enum yang_enc enc; /* response encoding */
	int status;
	char *resp_body; /* malloc'd */
	size_t resp_len;
	const char *resp_type;
	const char *allow;    /* Allow header on 405 */
	int www_authenticate; /* add WWW-Authenticate on 401 */

	/* audit */
	char serial[PKI_SERIAL_MAX];
	const char *endpoint;
	const char *result; /* static text, or result_buf */
	char result_buf[40];
	struct sztp_err err;
};

#endif
