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

struct artifacts;
struct identity_cache;
struct journal;

struct server {
	struct config cfg;
	struct reg *reg;
	struct sztp_yang *yang;
	struct pki_trust *idevid_trust;
	struct artifacts *art;
	struct identity_cache *idcache;
	struct journal *journal; /* write-behind bookkeeping */
	/* set by main before http_start (issue 9) */
	struct pki_tls_creds *tls; /* server chain and key, swapped on SIGHUP */
	int listen_fd;		   /* bound and listening (before the privilege drop), or -1 */
	sztp_bytes client_ca_pem;  /* client-ca read (file_read: NUL-terminated) before the drop */
};

#endif
