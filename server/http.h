/*
 * http.h - the HTTPS front end of sztpd on libmicrohttpd + GnuTLS (the
 * only includer of microhttpd.h).
 */
#ifndef SZTPD_HTTP_H
#define SZTPD_HTTP_H

#include "result.h"

struct server;
struct http;

/* Start listening as configured; TLS key permissions are checked. */
sztp_rc http_start(struct server *s, struct http **out, struct sztp_err *e);
void http_stop(struct http *h);
/* Read and check the TLS material only (sztpd -n). */
sztp_rc http_check_tls(struct server *s, struct sztp_err *e);

#endif
