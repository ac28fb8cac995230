/*
 * identity.c - device authentication (RFC 8572 s5.3: client certificate
 * and/or HTTP authentication; s9.6: do not help an attacker enumerate
 * serial numbers; RFC 8040 s2.5).  The IDevID chain the device sent is
 * verified against the configured manufacturer anchors with the TLS client
 * key purpose; the serial number is the subject serialNumber attribute
 * (OID 2.5.4.5, IEEE 802.1AR).  HTTP Basic's user name is the serial and
 * its password is checked against the device's salted hash in constant
 * time; when both are present they must name the same serial.
 *
 * Issue 9 additions, all local to this file:
 * - the manufacturer anchors can be replaced while requests run
 *   (identity_trust_set, SIGHUP): a read-write lock that prefers the
 *   writer, and the verified-chain cache is emptied with the old anchors;
 * - a verified password is remembered for IDENTITY_CACHE_TTL seconds as
 *   SHA-256(process secret, serial, password, stored hash), so a device's
 *   follow-up requests do not pay the password hash again; changing the
 *   stored hash (sztpctl device set --password) changes the key, so the
 *   entry is dead at once;
 * - at most password-hash-concurrency PBKDF2 computations run at once;
 *   a request finding none free is refused at once (no worker waits),
 *   whether its serial exists or not;
 * - IDevID pinning: under a profile with pin-idevid the SHA-256 of the
 *   leaf's SubjectPublicKeyInfo is recorded on first use, and another key
 *   for the same serial is refused with the one 401.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto.h"
#include "identity.h"
#include "log.h"
#include "metrics.h"
#include "passwd.h"
#include "server.h"
#include "throttle.h"
#include "util.h"
#include "registry.h"

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
#define PWCACHE_SLOTS 4096 /* direct-mapped by serial; a collision costs a hash */

struct idcache_ent {
	uint8_t hash[32];
	unsigned long epoch, gen; /* the trust version it was verified under */
	time_t until;
	char serial[PKI_SERIAL_MAX];
};

struct pwcache_ent {
	uint8_t key[32]; /* SHA-256(secret, serial, password, stored hash) */
	time_t until;
};

struct identity_cache {
	pthread_mutex_t mu; /* guards slot and pw */
	struct idcache_ent slot[IDCACHE_SLOTS];
	struct pwcache_ent pw[PWCACHE_SLOTS];
	uint8_t secret[32]; /* random per process: cache keys mean nothing elsewhere */
	/* the manufacturer anchors once identity_trust_set was called */
	pthread_rwlock_t trust_lock;
	struct pki_trust *trust;
	atomic_ulong epoch; /* changes with every identity_trust_set */
	atomic_int hashing; /* PBKDF2 computations running */
	atomic_ulong pw_hits, pw_busy;
};

sztp_rc identity_cache_new(struct identity_cache **out, struct sztp_err *e)
{
	struct identity_cache *c = calloc(1, sizeof(*c));
	pthread_rwlockattr_t ra;

	*out = NULL;
	if (!c)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if (crypto_random(c->secret, sizeof(c->secret), e) != SZTP_OK) {
		free(c);
		return SZTP_E_CRYPTO;
	}
	pthread_mutex_init(&c->mu, NULL);
	/* a reload must not wait behind a steady stream of verifications */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&c->trust_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	*out = c;
	return SZTP_OK;
}

void identity_cache_free(struct identity_cache *c)
{
	if (!c)
		return;
	pki_trust_free(c->trust);
	pthread_rwlock_destroy(&c->trust_lock);
	pthread_mutex_destroy(&c->mu);
	crypto_wipe(c, sizeof(*c));
	free(c);
}

void identity_trust_set(struct identity_cache *c, struct pki_trust *t)
{
	struct pki_trust *old;

	pthread_rwlock_wrlock(&c->trust_lock);
	old = c->trust;
	c->trust = t;
	atomic_fetch_add(&c->epoch, 1); /* results of old are never served */
	pthread_rwlock_unlock(&c->trust_lock);
	/* no verification uses old any more; what it verified is forgotten
	 * (an anchor removed, a certificate revoked) */
	pki_trust_free(old);
	pthread_mutex_lock(&c->mu);
	memset(c->slot, 0, sizeof(c->slot));
	pthread_mutex_unlock(&c->mu);
}

void identity_stats(struct identity_cache *c, struct identity_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	out->password_cache_hits = atomic_load(&c->pw_hits);
	out->password_busy = atomic_load(&c->pw_busy);
}

/* Length-prefixed SHA-256 of the chain as sent: no ambiguity between
 * chains. */
static void chain_hash(const struct request *r, uint8_t h[32])
{
	crypto_sha256_chain(r->peer_certs, r->n_peer_certs, h);
}

/* The trust set a verification uses, and its version: identity's epoch
 * (identity_trust_set) with the generation of the trust object (an
 * in-place pki_trust_reload of anchors or CRLs).  A cached chain is
 * served only under the version it was verified with, so a reload drops
 * every cached chain at once, including one whose verification was still
 * running on the old set (it is read before verifying). */
struct trust_use {
	const struct pki_trust *t;
	unsigned long epoch, gen;
};

static void trust_enter(struct server *s, struct trust_use *u)
{
	struct identity_cache *c = s->idcache;

	if (c) {
		pthread_rwlock_rdlock(&c->trust_lock);
		u->epoch = atomic_load(&c->epoch);
	}
	u->t = c && c->trust ? c->trust : s->idevid_trust;
	u->gen = pki_trust_generation(u->t); /* read before verifying */
}

static void trust_leave(struct server *s)
{
	if (s->idcache)
		pthread_rwlock_unlock(&s->idcache->trust_lock);
}

static int cache_get(struct identity_cache *c, const uint8_t h[32], const struct trust_use *u,
		     char *serial)
{
	struct idcache_ent *s;
	int hit;

	if (!c)
		return 0;
	s = &c->slot[(h[0] | h[1] << 8) % IDCACHE_SLOTS];
	pthread_mutex_lock(&c->mu);
	hit = s->until >= time(NULL) && s->epoch == u->epoch && s->gen == u->gen &&
	      ct_equal(s->hash, h, 32);
	if (hit) {
		memcpy(serial, s->serial, PKI_SERIAL_MAX);
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

static void cache_put(struct identity_cache *c, const uint8_t h[32], const struct trust_use *u,
		      const char *serial, time_t until)
{
	struct idcache_ent *s;

	if (!c)
		return;
	s = &c->slot[(h[0] | h[1] << 8) % IDCACHE_SLOTS];
	pthread_mutex_lock(&c->mu);
	memcpy(s->hash, h, 32);
	s->epoch = u->epoch;
	s->gen = u->gen;
	s->until = until;
	snprintf(s->serial, sizeof(s->serial), "%s", serial);
	pthread_mutex_unlock(&c->mu);
}

/* Verify the client chain against the current anchors and CRLs (the ones
 * identity_trust_set gave, else the server's) and take its serial number;
 * the reason of a failure goes to why (logged, never sent). */
static sztp_rc cert_serial(struct server *s, const struct request *r, char *serial,
			   struct sztp_err *why, enum metrics_auth *reason)
{
	struct sztp_err ve = {0};
	time_t until = time(NULL) + IDENTITY_CACHE_TTL;
	struct pki_device_id id;
	struct trust_use u = {0};
	char q[2 * PKI_SERIAL_MAX + 8];
	uint8_t h[32];
	sztp_rc rc = SZTP_OK;

	chain_hash(r, h);
	trust_enter(s, &u);
	/* a hit keeps the serial its anchor's rule gave (the anchor set is
	 * the one it was verified under: trust_use) */
	if (cache_get(s->idcache, h, &u, serial))
		goto out;
	rc = SZTP_E_AUTH;
	if (pki_trust_verify_device(u.t, r->peer_certs, r->n_peer_certs, PKI_OID_KP_CLIENT_AUTH,
				    &id, &ve) != SZTP_OK) {
		serial[0] = '\0';
		if (id.serial_rule_failed) {
			*reason = METRICS_AUTH_SERIAL_RULE;
			sztp_err_set(why, rc,
				     "client certificate refused by anchor=%s serial-rule=sudi: %s",
				     id.anchor, ve.msg);
		} else {
			sztp_err_set(why, rc, "client certificate rejected: %s", ve.msg);
		}
		goto out;
	}
	memcpy(serial, id.serial, PKI_SERIAL_MAX);
	/* a non-default rule is said once per verification (a cache miss):
	 * nothing is built for the default rule */
	if (id.anchor[0])
		log_info("auth: serial %s: IDevID verified under anchor=%s serial-rule=%s%s",
			 log_kv_quote(serial, q, sizeof(q)), id.anchor,
			 id.serial_rule == PKI_SERIAL_SUDI ? "sudi" : "subject",
			 id.allow & PKI_ALLOW_SHA1 ? " allow=sha1" : "");
	if (id.not_after > 0 && id.not_after < until)
		until = id.not_after;
	cache_put(s->idcache, h, &u, serial, until);
	rc = SZTP_OK;
out:
	trust_leave(s);
	return rc;
}

/* The credentials r presents: the serial they name (cert and Basic must
 * agree, RFC 8572 s5.3) and the Basic password if any.  why and reason
 * (metrics.h) get the reason of a failure. */
static sztp_rc credentials(struct server *s, const struct request *r, char *serial, struct basic *b,
			   int *have_basic, struct sztp_err *why, enum metrics_auth *reason)
{
	char cert_sn[PKI_SERIAL_MAX] = "";
	sztp_rc rc = SZTP_E_AUTH;

	*have_basic = 0;
	*reason = METRICS_AUTH_CERTIFICATE;
	if (r->n_peer_certs && cert_serial(s, r, cert_sn, why, reason) != SZTP_OK)
		goto out;
	if (r->authorization) {
		*reason = METRICS_AUTH_BASIC_DISABLED;
		if (!s->cfg.basic_auth) {
			sztp_err_set(why, rc, "HTTP authentication is disabled");
			goto out;
		}
		*reason = METRICS_AUTH_BASIC_MALFORMED;
		if (parse_basic(r->authorization, b, why) != SZTP_OK)
			goto out;
		*have_basic = 1;
	}
	if (!r->n_peer_certs && !*have_basic) {
		*reason = METRICS_AUTH_NO_CREDENTIALS;
		sztp_err_set(why, rc, "no client certificate or HTTP credentials");
		goto out;
	}
	snprintf(serial, PKI_SERIAL_MAX, "%s", r->n_peer_certs ? cert_sn : b->user);
	if (r->n_peer_certs && *have_basic && strcmp(cert_sn, b->user)) {
		*reason = METRICS_AUTH_SERIAL_MISMATCH;
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
	char q[2 * PKI_SERIAL_MAX + 8];

	/* the serial is what the client claimed: quoted (log.h) */
	log_info("auth: peer %s%s%s: %s", peer, serial && *serial ? " serial " : "",
		 serial && *serial ? log_kv_quote(serial, q, sizeof(q)) : "", why);
	return sztp_err_set(e, SZTP_E_AUTH, IDENTITY_401);
}

/* identity_refuse, and the failure counts towards the throttles
 * (throttle.h): the address always, the serial when guessable Basic
 * credentials (no client certificate) claimed it; and in the metrics by
 * reason. */
static sztp_rc refuse_counted(struct server *s, const struct request *r, const char *serial,
			      int basic_only, enum metrics_auth reason, const char *why,
			      struct sztp_err *e)
{
	metrics_auth_failure(s->metrics, reason);
	throttle_auth_failed(s, r, basic_only && serial[0] ? serial : NULL);
	return identity_refuse(r->peer, serial, why, e);
}

/* ---- passwords ------------------------------------------------------------ */

/* Each field length-prefixed: no two inputs hash alike. */
static void part(struct crypto_sha256 *h, const char *v)
{
	uint32_t n = (uint32_t)strlen(v);

	crypto_sha256_update(h, &n, sizeof(n));
	crypto_sha256_update(h, v, n);
}

static void pw_key(const struct identity_cache *c, const char *serial, const char *pass,
		   const char *stored, uint8_t key[32])
{
	struct crypto_sha256 h;

	crypto_sha256_init(&h);
	crypto_sha256_update(&h, c->secret, sizeof(c->secret));
	part(&h, serial);
	part(&h, pass);
	part(&h, stored);
	crypto_sha256_final(&h, key);
}

static struct pwcache_ent *pw_slot(struct identity_cache *c, const char *serial)
{
	struct crypto_sha256 h;
	uint8_t d[32];

	crypto_sha256_init(&h);
	crypto_sha256_update(&h, c->secret, sizeof(c->secret));
	part(&h, serial);
	crypto_sha256_final(&h, d);
	return &c->pw[(d[0] | d[1] << 8) % PWCACHE_SLOTS];
}

/* How many PBKDF2 computations may run at once: configured, else half
 * the workers (threads, else the usable cores), at least one. */
static int hash_limit(const struct server *s)
{
	cpu_set_t set;
	int n = s->cfg.threads;

	if (s->cfg.password_hash_concurrency > 0)
		return s->cfg.password_hash_concurrency;
	if (n <= 0)
		n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
	return n / 2 > 0 ? n / 2 : 1;
}

/* 1 when pass is the password of serial (stored: its hash, NULL when the
 * serial is unknown or has none: the same work, then 0).  A match within
 * IDENTITY_CACHE_TTL of the last one costs two SHA-256 instead of the
 * hash.  why and reason say what went wrong otherwise. */
static int password_ok(struct server *s, const char *serial, const char *pass, const char *stored,
		       struct sztp_err *why, enum metrics_auth *reason)
{
	struct identity_cache *c = s->idcache;
	struct pwcache_ent *slot = NULL;
	time_t now = time(NULL);
	uint8_t key[32];
	int ok = 0, limit = hash_limit(s);

	if (c) {
		pw_key(c, serial, pass, stored ? stored : "", key);
		slot = pw_slot(c, serial);
		pthread_mutex_lock(&c->mu);
		ok = stored && slot->until >= now && ct_equal(slot->key, key, sizeof(key));
		pthread_mutex_unlock(&c->mu);
		if (ok) {
			atomic_fetch_add(&c->pw_hits, 1);
			goto out;
		}
		/* a free computation slot or a refusal now, known serial or not */
		if (atomic_fetch_add(&c->hashing, 1) >= limit) {
			atomic_fetch_sub(&c->hashing, 1);
			atomic_fetch_add(&c->pw_busy, 1);
			*reason = METRICS_AUTH_PASSWORD_BUSY;
			sztp_err_set(why, SZTP_E_AUTH,
				     "password not checked: %d password hash(es) already running "
				     "(password-hash-concurrency)",
				     limit);
			goto out;
		}
	}
	ok = passwd_verify_cost(pass, stored, (unsigned)s->cfg.password_cost);
	if (c)
		atomic_fetch_sub(&c->hashing, 1);
	if (!ok) {
		*reason = METRICS_AUTH_PASSWORD;
		sztp_err_set(why, SZTP_E_AUTH, "wrong or unset password");
		goto out;
	}
	if (c) {
		pthread_mutex_lock(&c->mu);
		memcpy(slot->key, key, sizeof(key));
		slot->until = now + IDENTITY_CACHE_TTL;
		pthread_mutex_unlock(&c->mu);
	}
out:
	crypto_wipe(key, sizeof(key));
	return ok;
}

/* ---- IDevID pinning ------------------------------------------------------- */

static void hex(const uint8_t *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* The device's profile pins its IDevID: check the key against the pin,
 * or record it on first use.  SZTP_E_AUTH (why and reason set) for a
 * refusal, the registry's rc for a registry failure. */
static sztp_rc pin_check(struct server *s, const struct request *r, const char *serial,
			 const struct reg_device_auth *a, struct sztp_err *why,
			 enum metrics_auth *reason)
{
	struct sztp_err le = {0}, ve = {0};
	char have[65], want[65];
	uint8_t spki[32];
	int recorded = 0;
	sztp_rc rc = SZTP_E_AUTH;

	*reason = METRICS_AUTH_IDEVID_PIN;
	if (!r->n_peer_certs) {
		if (!a->has_pin)
			return SZTP_OK; /* nothing to pin yet: HTTP Basic only */
		sztp_err_set(why, rc,
			     "the profile pins the IDevID and no client certificate was sent");
		return rc;
	}
	/* only pinning profiles pay for parsing the leaf again */
	if (pki_cert_spki_sha256(&r->peer_certs[0], spki, &ve) != SZTP_OK) {
		*reason = METRICS_AUTH_CERTIFICATE;
		sztp_err_set(why, rc, "client certificate rejected: %s", ve.msg);
		return rc;
	}
	hex(spki, 32, have);
	if (a->has_pin) {
		if (ct_equal(a->pin, spki, 32))
			return SZTP_OK;
		hex(a->pin, 32, want);
		sztp_err_set(why, rc,
			     "IDevID key differs from the pinned one (pinned SPKI sha256 %.16s..., "
			     "presented %.16s...)",
			     want, have);
		return rc;
	}
	rc = reg_device_pin_record(s->reg, serial, spki, &recorded, &le);
	if (rc == SZTP_E_MISMATCH) { /* another key won the first contact */
		sztp_err_set(why, SZTP_E_AUTH, "IDevID key differs from the one just pinned");
		return SZTP_E_AUTH;
	}
	if (rc != SZTP_OK) {
		log_err("auth: recording the IDevID pin of %s failed: %s", serial, le.msg);
		return rc == SZTP_E_NOT_FOUND ? SZTP_E_AUTH : rc;
	}
	if (recorded)
		log_info("auth: serial %s: IDevID key pinned (SPKI sha256 %s)", serial, have);
	return SZTP_OK;
}

sztp_rc identity_authenticate(struct server *s, const struct request *r,
			      char serial[PKI_SERIAL_MAX], struct sztp_err *e)
{
	struct sztp_err why = {0}, le = {0};
	enum metrics_auth reason = METRICS_AUTH_PASSWORD;
	struct reg_device_auth a;
	struct basic b;
	int have_basic = 0, basic_only, known;
	sztp_rc rc = SZTP_E_AUTH;

	memset(&b, 0, sizeof(b));
	memset(&a, 0, sizeof(a));
	serial[0] = '\0';
	/* too many failures from here: refused before any check (a client
	 * certificate is always checked) */
	if ((rc = throttle_auth_gate(s, r, NULL, e)) != SZTP_OK)
		goto throttled;
	if (credentials(s, r, serial, &b, &have_basic, &why, &reason) != SZTP_OK) {
		rc = refuse_counted(s, r, serial, 0, reason, why.msg, e);
		goto out;
	}
	basic_only = have_basic && !r->n_peer_certs;
	if (basic_only && (rc = throttle_auth_gate(s, r, serial, e)) != SZTP_OK)
		goto throttled;
	rc = reg_device_auth_get(s->reg, serial, &a, &le);
	known = rc == SZTP_OK;
	if (rc != SZTP_OK && rc != SZTP_E_NOT_FOUND) {
		log_err("auth: registry lookup for %s failed: %s", serial, le.msg);
		rc = sztp_err_set(e, rc, "registry unavailable");
		goto out;
	}
	/* an unknown serial pays the same hash as a known one (s9.6) */
	if (have_basic &&
	    !password_ok(s, serial, b.pass, known ? a.password_hash : NULL, &why, &reason)) {
		rc = refuse_counted(s, r, serial, basic_only,
				    known ? reason : METRICS_AUTH_NOT_ENROLLED,
				    known ? why.msg : "serial is not enrolled", e);
		goto out;
	}
	if (!known) {
		rc = refuse_counted(s, r, serial, basic_only, METRICS_AUTH_NOT_ENROLLED,
				    "serial is not enrolled", e);
		goto out;
	}
	if (a.pin_required) {
		rc = pin_check(s, r, serial, &a, &why, &reason);
		if (rc == SZTP_E_AUTH) {
			rc = refuse_counted(s, r, serial, basic_only, reason, why.msg, e);
			goto out;
		}
		if (rc != SZTP_OK) {
			rc = sztp_err_set(e, rc, "registry unavailable");
			goto out;
		}
	}
	rc = SZTP_OK;
	goto out;
throttled: /* refused before anything was checked (429 when SZTP_E_THROTTLED) */
	if (rc == SZTP_E_THROTTLED)
		metrics_auth_failure(s->metrics, METRICS_AUTH_THROTTLED);
out:
	reg_device_auth_clear(&a);
	explicit_bzero(b.pass, sizeof(b.pass));
	return rc;
}
