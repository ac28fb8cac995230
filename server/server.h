/*
 * server.h - the state sztpd's request path shares: configuration,
 * registry, YANG context, IDevID trust anchors and prepared artifacts.
 * Everything here is read-only after start-up or internally locked.
 */
#ifndef SZTPD_SERVER_H
#define SZTPD_SERVER_H

#include "config.h"
#include "pki.h"
#include "registry.h"
#include "yang.h"

struct admin_listener;
struct artifacts;
struct identity_cache;
struct journal;
struct metrics;
struct syslog_sink;
struct throttle;

struct server {
	struct config cfg;
	struct reg *reg;
	struct sztp_yang *yang;
	/* client-ca + client-crl; a reload swaps its contents in place
	 * (pki_trust_reload), safe against concurrent verifications, and
	 * the identity cache follows its generation */
	struct pki_trust *idevid_trust;
	struct artifacts *art;
	struct identity_cache *idcache;
	struct journal *journal; /* write-behind bookkeeping */
	/* throttle.h: authentication failures by peer address and by claimed
	 * serial, progress reports per device (NULL: no limit) */
	struct throttle *fail_by_peer, *fail_by_serial, *report_quota;
	/* set by main before http_start (issue 9) */
	struct pki_tls_creds *tls; /* server chain and key, swapped on SIGHUP */
	int listen_fd;		   /* bound and listening (before the privilege drop), or -1 */
	sztp_bytes client_ca_pem;  /* client-ca read (file_read: NUL-terminated) before the drop */
	/* the admin API's listener (admin-port; NULL: none) and its socket */
	struct admin_listener *admin;
	int admin_listen_fd;
	struct metrics *metrics; /* /metrics on the admin listener (issue 12) */
	/* events to syslog-target (events/syslog_sink.h); NULL: none */
	struct syslog_sink *syslog;
};

/* Whether sztpd can serve and store now (what a /readyz would answer):
 * 0 with the reason in why when it cannot, e.g. its registry file was
 * deleted or replaced (journal.c watches it).  Cheap: a flag. */
int server_ready(struct server *s, char *why, size_t len);
/* For handlers: SZTP_OK when ready, else SZTP_E_UNAVAILABLE (503) with
 * the reason in e (logged by restconf, not sent) and the Retry-After to
 * give in *retry_after. */
#define SERVER_RETRY_AFTER_S 30
sztp_rc server_check_ready(struct server *s, int *retry_after, struct sztp_err *e);

#endif
