/*
 * identity.c - device authentication (RFC 8572 s5.3: client certificate
 * and/or HTTP authentication; s9.6: do not help an attacker enumerate
 * serial numbers; RFC 8040 s2.5).  The IDevID chain the device sent is
 * verified against the configured manufacturer anchors with the TLS client
 * key purpose; the serial number is the subject serialNumber attribute
 * (OID 2.5.4.5, IEEE 802.1AR).  HTTP Basic's user name is the serial and
 * its password is checked against the device's salted hash in constant
 * time; when both are present they must name the same serial.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto.h"
#include "identity.h"
#include "log.h"
#include "passwd.h"
#include "server.h"
#include "throttle.h"
#include "util.h"

struct basic {
	char user[PKI_SERIAL_MAX];
	char pass[256];
};

/* Parse "Basic <b64(user:pass)>" (RFC 7617). */
static sztp_rc parse_basic(const char *hdr, struct basic *b, struct sztp_err *e)
{
	sztp_bytes raw = {0};
	const char *colon, *p = hdr;
	sztp_rc rc = SZTP_E_AUTH;
	size_t ulen;

	if (strncasecmp(p, "Basic ", 6))
		return sztp_err_set(e, rc,
				    "only the HTTP Basic authentication scheme is supported");
	p += 6;
	while (*p == ' ')
		p++;
	if (b64_decode(p, strlen(p), &raw, NULL) != SZTP_OK)
		return sztp_err_set(e, rc, "malformed HTTP Basic credentials");
	colon = memchr(raw.data, ':', raw.len);
	if (!colon || memchr(raw.data, '\0', raw.len)) {
		sztp_err_set(e, rc, "malformed HTTP Basic credentials");
		goto out;
	}
	ulen = (size_t)(colon - (const char *)raw.data);
	if (ulen == 0 || ulen >= sizeof(b->user) || raw.len - ulen - 1 >= sizeof(b->pass)) {
		sztp_err_set(e, rc, "malformed HTTP Basic credentials");
		goto out;
	}
	memcpy(b->user, raw.data, ulen);
	b->user[ulen] = '\0';
	memcpy(b->pass, colon + 1, raw.len - ulen - 1);
	b->pass[raw.len - ulen - 1] = '\0';
	rc = SZTP_OK;
out:
	sztp_bytes_wipe(&raw);
	return rc;
}

#define IDCACHE_SLOTS 4096 /* direct-mapped; a collision only costs a re-verify */

struct idcache_ent {
	uint8_t hash[32];
	unsigned long gen; /* pki_trust_generation it was verified under */
	time_t until;
	char serial[PKI_SERIAL_MAX];
};

struct identity_cache {
	pthread_mutex_t mu;
	struct idcache_ent slot[IDCACHE_SLOTS];
};

sztp_rc identity_cache_new(struct identity_cache **out, struct sztp_err *e)
{
	struct identity_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	pthread_mutex_init(&c->mu, NULL);
	*out = c;
	return SZTP_OK;
}

void identity_cache_free(struct identity_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Length-prefixed SHA-256 of the chain as sent: no ambiguity between
 * chains. */
static void chain_hash(const struct request *r, uint8_t h[32])
{
	crypto_sha256_chain(r->peer_certs, r->n_peer_certs, h);
}

/* A hit only under the trust generation it was verified with: a reload of
 * anchors or CRLs (pki_trust_replace) drops every cached chain at once. */
static int cache_get(struct identity_cache *c, const uint8_t h[32], unsigned long gen, char *serial)
{
	struct idcache_ent *s;
	int hit;

	if (!c)
		return 0;
	s = &c->slot[(h[0] | h[1] << 8) % IDCACHE_SLOTS];
	pthread_mutex_lock(&c->mu);
	hit = s->until >= time(NULL) && s->gen == gen && ct_equal(s->hash, h, 32);
	if (hit)
		memcpy(serial, s->serial, PKI_SERIAL_MAX);
	pthread_mutex_unlock(&c->mu);
	return hit;
}

static void cache_put(struct identity_cache *c, const uint8_t h[32], unsigned long gen,
		      const char *serial, time_t until)
{
	struct idcache_ent *s;

	if (!c)
		return;
	s = &c->slot[(h[0] | h[1] << 8) % IDCACHE_SLOTS];
	pthread_mutex_lock(&c->mu);
	memcpy(s->hash, h, 32);
	s->gen = gen;
	s->until = until;
	snprintf(s->serial, sizeof(s->serial), "%s", serial);
	pthread_mutex_unlock(&c->mu);
}

/* Verify the client chain and take its serial number; the reason of a
 * failure goes to why (logged, never sent). */
static sztp_rc cert_serial(struct server *s, const struct request *r, char *serial,
			   struct sztp_err *why)
{
	struct sztp_err ve = {0};
	time_t na = 0, until = time(NULL) + IDENTITY_CACHE_TTL;
	/* read before verifying: a result of the old anchors/CRLs is never
	 * stored under the new generation */
	unsigned long gen = pki_trust_generation(s->idevid_trust);
	uint8_t h[32];
	sztp_rc rc = SZTP_E_AUTH;

	chain_hash(r, h);
	if (cache_get(s->idcache, h, gen, serial))
		return SZTP_OK;
	if (pki_trust_verify_identity(s->idevid_trust, r->peer_certs, r->n_peer_certs,
				      PKI_OID_KP_CLIENT_AUTH, serial, PKI_SERIAL_MAX, &na,
				      &ve) != SZTP_OK) {
		serial[0] = '\0';
		sztp_err_set(why, rc, "client certificate rejected: %s", ve.msg);
		goto out;
	}
	if (na > 0 && na < until)
		until = na;
	cache_put(s->idcache, h, gen, serial, until);
	rc = SZTP_OK;
out:
	return rc;
}

/* The credentials r presents: the serial they name (cert and Basic must
 * agree, RFC 8572 s5.3) and the Basic password if any.  why gets the
 * reason of a failure. */
static sztp_rc credentials(struct server *s, const struct request *r, char *serial, struct basic *b,
			   int *have_basic, struct sztp_err *why)
{
	char cert_sn[PKI_SERIAL_MAX] = "";
	sztp_rc rc = SZTP_E_AUTH;

	*have_basic = 0;
	if (r->n_peer_certs && cert_serial(s, r, cert_sn, why) != SZTP_OK)
		goto out;
	if (r->authorization) {
		if (!s->cfg.basic_auth) {
			sztp_err_set(why, rc, "HTTP authentication is disabled");
			goto out;
		}
		if (parse_basic(r->authorization, b, why) != SZTP_OK)
			goto out;
		*have_basic = 1;
	}
	if (!r->n_peer_certs && !*have_basic) {
		sztp_err_set(why, rc, "no client certificate or HTTP credentials");
		goto out;
	}
	snprintf(serial, PKI_SERIAL_MAX, "%s", r->n_peer_certs ? cert_sn : b->user);
	if (r->n_peer_certs && *have_basic && strcmp(cert_sn, b->user)) {
		sztp_err_set(why, rc,
			     "client certificate and HTTP credentials name different serial "
			     "numbers");
		goto out;
	}
	rc = SZTP_OK;
out:
	return rc;
}

sztp_rc identity_refuse(const char *peer, const char *serial, const char *why, struct sztp_err *e)
{
	log_info("auth: peer %s%s%s: %s", peer, serial && *serial ? " serial " : "",
		 serial && *serial ? serial : "", why);
	return sztp_err_set(e, SZTP_E_AUTH, IDENTITY_401);
}

/* identity_refuse, and the failure counts towards the throttles
 * (throttle.h): the address always, the serial when guessable Basic
 * credentials (no client certificate) claimed it. */
static sztp_rc refuse_counted(struct server *s, const struct request *r, const char *serial,
			      int basic_only, const char *why, struct sztp_err *e)
{
	throttle_auth_failed(s, r, basic_only && serial[0] ? serial : NULL);
	return identity_refuse(r->peer, serial, why, e);
}

sztp_rc identity_authenticate(struct server *s, const struct request *r,
			      char serial[PKI_SERIAL_MAX], struct sztp_err *e)
{
	struct sztp_err why = {0}, le = {0};
	char *hash = NULL;
	struct basic b;
	int have_basic = 0, basic_only;
	sztp_rc rc = SZTP_E_AUTH;

	memset(&b, 0, sizeof(b));
	serial[0] = '\0';
	/* too many failures from here: refused before any check (a client
	 * certificate is always checked) */
	if ((rc = throttle_auth_gate(s, r, NULL, e)) != SZTP_OK)
		goto out;
	if (credentials(s, r, serial, &b, &have_basic, &why) != SZTP_OK) {
		rc = refuse_counted(s, r, serial, 0, why.msg, e);
		goto out;
	}
	basic_only = have_basic && !r->n_peer_certs;
	if (basic_only && (rc = throttle_auth_gate(s, r, serial, e)) != SZTP_OK)
		goto out;
	rc = reg_device_credentials(s->reg, serial, &hash, &le);
	if (rc == SZTP_E_NOT_FOUND) {
		if (have_basic)
			(void)passwd_verify(b.pass, NULL); /* same cost as a known device */
		rc = refuse_counted(s, r, serial, basic_only, "serial is not enrolled", e);
		goto out;
	}
	if (rc != SZTP_OK) {
		log_err("auth: registry lookup for %s failed: %s", serial, le.msg);
		rc = sztp_err_set(e, rc, "registry unavailable");
		goto out;
	}
	if (have_basic && !passwd_verify(b.pass, hash)) {
		rc = refuse_counted(s, r, serial, basic_only, "wrong or unset password", e);
		goto out;
	}
	rc = SZTP_OK;
out:
	free(hash);
	explicit_bzero(b.pass, sizeof(b.pass));
	return rc;
}
