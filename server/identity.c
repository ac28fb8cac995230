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
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "identity.h"
#include "log.h"
#include "passwd.h"
#include "server.h"
#include "util.h"

#define GENERIC_401 "authentication failed"

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

static void chain_hash(const struct request *r, uint8_t h[32])
{
	gnutls_hash_hd_t hd;
	size_t i;

	if (gnutls_hash_init(&hd, GNUTLS_DIG_SHA256) < 0) {
		memset(h, 0, 32);
		return;
	}
	for (i = 0; i < r->n_peer_certs; i++) {
		uint32_t l = (uint32_t)r->peer_certs[i].len; /* length-prefixed: no ambiguity */
		gnutls_hash(hd, &l, sizeof(l));
		gnutls_hash(hd, r->peer_certs[i].data, r->peer_certs[i].len);
	}
	gnutls_hash_deinit(hd, h);
}

static int cache_get(struct identity_cache *c, const uint8_t h[32], char *serial)
{
	struct idcache_ent *s;
	int hit;

	if (!c)
		return 0;
	s = &c->slot[(h[0] | h[1] << 8) % IDCACHE_SLOTS];
	pthread_mutex_lock(&c->mu);
	hit = s->until >= time(NULL) && ct_equal(s->hash, h, 32);
	if (hit)
		memcpy(serial, s->serial, PKI_SERIAL_MAX);
	pthread_mutex_unlock(&c->mu);
	return hit;
}

static void cache_put(struct identity_cache *c, const uint8_t h[32], const char *serial,
		      time_t until)
{
	struct idcache_ent *s;

	if (!c)
		return;
	s = &c->slot[(h[0] | h[1] << 8) % IDCACHE_SLOTS];
	pthread_mutex_lock(&c->mu);
	memcpy(s->hash, h, 32);
	s->until = until;
	snprintf(s->serial, sizeof(s->serial), "%s", serial);
	pthread_mutex_unlock(&c->mu);
}

/* Verify the client chain and take its serial number. */
static sztp_rc cert_serial(struct server *s, struct request *r, char *serial, struct sztp_err *e)
{
	struct sztp_err ve = {0};
	time_t na = 0, until = time(NULL) + IDENTITY_CACHE_TTL;
	uint8_t h[32];
	sztp_rc rc;

	chain_hash(r, h);
	if (cache_get(s->idcache, h, serial))
		return SZTP_OK;
	rc = pki_trust_verify_identity(s->idevid_trust, r->peer_certs, r->n_peer_certs,
				       PKI_OID_KP_CLIENT_AUTH, serial, PKI_SERIAL_MAX, &na, &ve);
	if (rc != SZTP_OK)
		return sztp_err_set(e, SZTP_E_AUTH, "client certificate rejected: %s", ve.msg);
	if (na > 0 && na < until)
		until = na;
	cache_put(s->idcache, h, serial, until);
	return SZTP_OK;
}

sztp_rc identity_authenticate(struct server *s, struct request *r, struct reg_device *dev, int full,
			      struct sztp_err *e)
{
	char cert_sn[PKI_SERIAL_MAX] = "";
	struct basic b;
	struct sztp_err le = {0};
	const char *serial;
	int have_basic = 0;
	sztp_rc rc;

	memset(&b, 0, sizeof(b));
	if (r->n_peer_certs) {
		rc = cert_serial(s, r, cert_sn, e);
		if (rc != SZTP_OK)
			goto fail_logged;
	}
	if (r->authorization) {
		if (!s->cfg.basic_auth) {
			rc = sztp_err_set(e, SZTP_E_AUTH, "HTTP authentication is disabled");
			goto fail_logged;
		}
		rc = parse_basic(r->authorization, &b, e);
		if (rc != SZTP_OK)
			goto fail_logged;
		have_basic = 1;
	}
	if (!r->n_peer_certs && !have_basic) {
		rc = sztp_err_set(e, SZTP_E_AUTH, "no client certificate or HTTP credentials");
		goto fail_logged;
	}
	/* RFC 8572 s5.3: both credentials must identify the same device */
	if (r->n_peer_certs && have_basic && strcmp(cert_sn, b.user)) {
		rc = sztp_err_set(e, SZTP_E_AUTH,
				  "client certificate and HTTP credentials name different serial "
				  "numbers");
		snprintf(r->serial, sizeof(r->serial), "%s", cert_sn);
		goto fail_logged;
	}
	serial = r->n_peer_certs ? cert_sn : b.user;
	snprintf(r->serial, sizeof(r->serial), "%s", serial);
	rc = full ? reg_device_get(s->reg, serial, dev, &le)
		  : reg_device_credentials(s->reg, serial, &dev->password_hash, &le);
	if (rc == SZTP_OK && !full)
		snprintf(dev->serial, sizeof(dev->serial), "%s", serial);
	if (rc == SZTP_E_NOT_FOUND) {
		if (have_basic)
			(void)passwd_verify(b.pass, NULL); /* same cost as a known device */
		log_info("auth: serial %s is not enrolled", serial);
		goto fail_generic;
	}
	if (rc != SZTP_OK) {
		sztp_err_set(e, rc, "registry unavailable");
		log_err("auth: registry lookup for %s failed: %s", serial, le.msg);
		goto out;
	}
	if (have_basic && !passwd_verify(b.pass, dev->password_hash)) {
		log_info("auth: wrong or unset password for %s", serial);
		reg_device_clear(dev);
		goto fail_generic;
	}
	rc = SZTP_OK;
	goto out;
fail_generic:
	rc = sztp_err_set(e, SZTP_E_AUTH, GENERIC_401);
	goto out;
fail_logged:
	log_info("auth: peer %s: %s", r->peer, e ? e->msg : "");
out:
	explicit_bzero(b.pass, sizeof(b.pass));
	return rc;
}
