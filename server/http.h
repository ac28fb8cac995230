/*
 * http.h - the HTTPS front end of sztpd on libmicrohttpd + GnuTLS (the
 * only includer of microhttpd.h).
 *
 * Every listener the product has (the device port today, the admin API
 * next) is started through http_listen() and so held to the same rules by
 * construction: the limits below, the deadline for a whole request, the
 * checks of the request head and target (Host, Content-Length,
 * Transfer-Encoding, header names, percent-encoding; a failure is refused
 * through the service's refuse function before routing), and the stop that
 * answers what it has accepted.
 */
#ifndef SZTPD_HTTP_H
#define SZTPD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct server;
struct config;
struct request;
struct http;
struct pki_tls_creds;

/* What one client may hold of a listener. */
struct http_limits {
	unsigned max_connections; /* max-connections, in total */
	unsigned per_address;	  /* max-connections-per-address; 0 = no limit */
	unsigned idle_timeout;	  /* connection-timeout: s without traffic */
	/* request-timeout: s for a whole request (head and body), from the
	 * connection's accept (TLS handshake included) for its first request,
	 * from the request line for the next ones; a kept-alive connection
	 * must send that line within idle_timeout of the previous answer */
	unsigned request_timeout;
	size_t max_body; /* max-body: larger is refused (413) */
};

/* One listener: where, with which TLS material, what serves it. */
struct http_listener {
	const char *name; /* in log lines: "device", "admin" */
	const char *address;
	int port;
	struct pki_tls_creds *tls_creds; /* certificate and key per handshake (swappable) */
	const char *tls_key, *tls_cert;	 /* or PEM text, when tls_creds is NULL */
	const char *tls_trust;		 /* PEM text: client CAs asked for; NULL: none */
	const char *tls_priority;
	int listen_fd;	  /* a socket bound before the privilege drop; <= 0: none */
	unsigned threads; /* 0: one per usable core */
	struct http_limits limits;
	/* a complete request: answer it (restconf_handle) */
	void (*handle)(struct server *s, struct request *r);
	/* a request refused before handle (restconf_refuse) */
	void (*refuse)(struct request *r, sztp_rc rc, const char *msg);
	/* optional: the head is complete and passed the checks; 1 to receive
	 * the body, 0 to read and drop it (r->body_unwanted; handle is then
	 * called with no body, e.g. to answer 401 to a client that is not
	 * authenticated, whose body must cost nothing).  NULL: always 1. */
	int (*admit)(struct server *s, struct request *r);
	/* optional: the request's log line, when it has been answered.  NULL:
	 * the device port's audit line and bootstrapping-log row. */
	void (*audit)(struct server *s, struct request *r, int64_t duration_us);
};

/* The limits of sztpd's configuration, for every listener. */
void http_limits_from_config(const struct config *cfg, struct http_limits *l);

/* Start listener l (copied; its strings must outlive the listener). */
sztp_rc http_listen(struct server *s, const struct http_listener *l, struct http **out,
		    struct sztp_err *e);
/* Start the device listener as configured; TLS key permissions are checked. */
sztp_rc http_start(struct server *s, struct http **out, struct sztp_err *e);
/* Stop gracefully: no new connections, no new requests on kept-alive ones,
 * every request being handled (a stored report) answered, then close. */
void http_stop(struct http *h);

/* The request target: percent-decode the path of uri (up to '?') into out
 * (size outlen) and point *query at what follows '?' (NULL: none).  0, or
 * -1 with why in msg: a bad %-escape, a NUL or control character once
 * decoded, or a path longer than out.  Exposed for the unit tests. */
int http_target(const char *uri, char *out, size_t outlen, const char **query, const char **msg);
/* A Host field value (RFC 9110 s7.2: uri-host [":" port]) is well formed. */
int http_host_valid(const char *v, size_t len);

#endif
