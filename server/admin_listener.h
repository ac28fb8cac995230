/*
 * admin_listener.h - sztpd's second HTTPS listener: the admin API
 * (admin/admin.h) for an NMS, on its own address and port (admin-port;
 * loopback by default), its own MHD daemon and threads, its own TLS
 * certificate (admin-cert, or the device port's), its own registry handle
 * and admin client CA.  The device port never serves /api/v1 and this one
 * never serves the device routes: each has its own service behind
 * http_listen().
 *
 * Who is asking is decided from the head, before the body is read: a
 * client certificate that chains to admin-client-ca ("cert:<subject DN>",
 * admin-client-scope), else an Authorization: Bearer token
 * (admin_auth_bearer), else nobody - whose body is read and dropped, never
 * stored, and who gets 401 from admin_handle.  One audit line per request
 * (actor, method, path, status; never a token).
 */
#ifndef SZTPD_ADMIN_LISTENER_H
#define SZTPD_ADMIN_LISTENER_H

#include <stddef.h>

#include "result.h"

struct server;
struct admin_listener;

/* What the listener needs from its files, read now (as root, before the
 * privilege drop): admin-cert + admin-key (permissions checked; absent:
 * the device port's credentials object is shared), admin-client-ca, masa-ca,
 * and that admin-openapi is readable when it is set.  *out NULL and SZTP_OK
 * when admin-port is 0.  check (sztpd -n): everything is loaded, checked
 * and dropped again (*out NULL). */
sztp_rc admin_listener_open(struct server *s, int check, struct admin_listener **out,
			    struct sztp_err *e);
/* The files a SIGHUP re-reads and a request reads (the OpenAPI document),
 * for the start's check that the user sztpd runs as can read them. */
size_t admin_listener_files(const struct admin_listener *a, const char **out, size_t max);
/* Open the listener's own registry handle (the file sztpd opened) and
 * start serving; listen_fd: a socket bound before the privilege drop
 * (MHD's once this succeeds; still the caller's on failure), or -1. */
sztp_rc admin_listener_start(struct admin_listener *a, int listen_fd, struct sztp_err *e);
/* SIGHUP: admin-cert + admin-key (when its own), admin-client-ca, masa-ca;
 * what fails to load keeps what is in use and the log says why. */
void admin_listener_reload(struct admin_listener *a);
/* Stop serving, gracefully (http_stop). */
void admin_listener_stop(struct admin_listener *a);
/* After admin_listener_stop; NULL is a no-op. */
void admin_listener_free(struct admin_listener *a);

#endif
