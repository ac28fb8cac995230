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
	/* client-ca + client-crl; a reload swaps its contents in place
	 * (pki_trust_reload), safe against concurrent verifications, and
	 * the identity cache follows its generation */
	struct pki_trust *idevid_trust;
	struct artifacts *art;
	struct identity_cache *idcache;
	struct journal *journal; /* write-behind bookkeeping */
};

#endif
