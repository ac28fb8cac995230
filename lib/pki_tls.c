/*
 * pki_tls.c - the TLS side of lib/pki: the peer's chain of a TLS session
 * and the server credentials sztpd's listeners serve per handshake
 * (checked for sztpd -n, reloaded on SIGHUP).  Moved out of pki.c
 * unchanged; the certificate and key helpers it shares with pki.c are
 * declared in pki_internal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "crypto.h"
#include "pki_internal.h"
#include "util.h"

#define PEM_FILE_MAX   (1024 * 1024)
#define CHAIN_MAX      16
#define PEM_BEGIN_CERT "-----BEGIN CERTIFICATE-----"

/* ---- TLS ------------------------------------------------------------------ */

size_t pki_tls_peer_chain(void *gnutls_session, sztp_bytes *out, size_t max)
{
	gnutls_session_t session = gnutls_session;
	const gnutls_datum_t *list;
	unsigned n = 0, i;

	if (!session || !out || !max)
		return 0;
	if (gnutls_certificate_type_get2(session, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_X509)
		return 0;
	list = gnutls_certificate_get_peers(session, &n);
	if (!list)
		return 0;
	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		out[i].data = list[i].data; /* borrowed from the session */
		out[i].len = list[i].size;
	}
	return n;
}

/* ---- TLS server credentials (issue 9: sztpd -n, SIGHUP) -------------------- *
 * Everything sztpd's TLS listener needs from its files, checked the way
 * the listener uses it: the certificate chain parses, the key parses and
 * belongs to the leaf, the priority string is one GnuTLS accepts and that
 * enables some protocol version and cipher.  The credentials are served
 * to GnuTLS per handshake by a certificate callback, so SIGHUP can swap
 * them without touching connections.  A generation that has been served
 * may still be in use by a handshake in progress (GnuTLS gives no release
 * notification), so replaced generations are kept until the object is
 * freed: a few KiB per reload.
 *
 * Each listener (the device port, the admin API: issue 10) serves its own
 * object.  GnuTLS's retrieve function gets the session only, nothing of
 * ours, so there is one function per slot, each serving the object its
 * slot holds.
 *
 * Two pairs (issue 13: NAME-alt-cert and NAME-alt-key, one ECDSA and one
 * RSA key, for clients that take only RSA).  GnuTLS 3.7 calls the
 * retrieve function once per handshake, at the first cipher suite that
 * needs a certificate, keeps what it returns for every other suite, and
 * tells it nothing of the client (a server's gnutls_cert_retr_st has no
 * algorithms).  So the choice is made here from what the session knows:
 * the client's signature_algorithms (gnutls_sign_algorithm_get_requested)
 * and, under TLS 1.2, the cipher suites of its ClientHello, which only a
 * handshake hook sees (pki_tls_session_watch: the hook and the retrieve
 * function run in one gnutls_handshake call, on one thread).  The ECDSA
 * pair when the client takes an ECDSA signature that tls-priority enables
 * (on the key's curve where the scheme names one; TLS 1.3's all do) and,
 * under TLS 1.2, offers an ECDHE-ECDSA suite tls-priority enables; the
 * RSA pair otherwise.  With one pair none of this runs. */

enum { TLS_KEY_OTHER, TLS_KEY_ECDSA, TLS_KEY_RSA, TLS_KEY_KINDS };
static const char *const tls_key_names[TLS_KEY_KINDS] = {"other", "ecdsa", "rsa"};

struct tls_pair {
	gnutls_pcert_st *pcert; /* chain, leaf first; NULL: no such pair */
	unsigned n;
	gnutls_privkey_t key;
	struct pki_tls_pair_info info;
	int kind;		  /* TLS_KEY_* */
	gnutls_ecc_curve_t curve; /* of an ECDSA key */
	unsigned bits;		  /* the key's size */
};

#define TLS_ALT_RSA_MIN_BITS 2048

struct tls_gen {
	struct tls_pair pair[2]; /* NAME-cert/-key, NAME-alt-cert/-key */
	unsigned ecdsa;		 /* two pairs: the index of the ECDSA one */
	struct tls_gen *older;	 /* retired generations, newest first */
};

#define TLS_SIGNS_MAX  64
#define TLS_SUITES_MAX 64

struct pki_tls_creds {
	pthread_mutex_t mu; /* guards cur and retired */
	struct tls_gen *cur;
	struct tls_gen *retired;
	unsigned generation;
	char name[16]; /* its configuration keys: NAME-cert, NAME-key */
	/* two pairs: what tls-priority enables (read once, at load) */
	gnutls_sign_algorithm_t signs[TLS_SIGNS_MAX];
	size_t n_signs;
	uint8_t ecdsa_suites[TLS_SUITES_MAX][2];
	size_t n_ecdsa_suites;
	atomic_ulong served[TLS_KEY_KINDS]; /* handshakes given each kind of key */
};

/* The credentials each slot's callback serves (pki_tls_creds_callback). */
static struct pki_tls_creds *_Atomic tls_served[PKI_TLS_SLOTS];

static void tls_pair_clear(struct tls_pair *p)
{
	unsigned i;

	for (i = 0; p->pcert && i < p->n; i++)
		gnutls_pcert_deinit(&p->pcert[i]);
	free(p->pcert);
	gnutls_privkey_deinit(p->key);
	memset(p, 0, sizeof(*p));
}

static void tls_gen_free(struct tls_gen *g)
{
	if (!g)
		return;
	tls_pair_clear(&g->pair[0]);
	tls_pair_clear(&g->pair[1]);
	free(g);
}

/* A file's text; distinguishes "holds a key" from "holds a certificate"
 * for the messages below. */
static int pem_has(const sztp_bytes *f, const char *what)
{
	return f->data && memmem(f->data, f->len, what, strlen(what)) != NULL;
}

/* name: the listener's configuration keys are NAME-cert and NAME-key. */
static sztp_rc tls_chain_read(const char *name, const char *cert_path, sztp_bytes **chain,
			      size_t *n, struct sztp_err *e)
{
	sztp_bytes f = {NULL, 0};
	struct sztp_err pe = {0};
	sztp_rc rc;

	*chain = NULL;
	*n = 0;
	rc = file_read(cert_path, PEM_FILE_MAX, &f, e);
	if (rc != SZTP_OK) {
		char msg[SZTP_ERR_MSG_MAX];
		snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
		rc = sztp_err_set(e, rc, "%s-cert: %s", name, msg);
		goto out;
	}
	rc = pki_pem_certs_parse((const char *)f.data, f.len, chain, n, &pe);
	if (rc == SZTP_OK && *n > CHAIN_MAX)
		rc = sztp_err_set(&pe, SZTP_E_TOO_BIG, "more than %d certificates", CHAIN_MAX);
	if (rc != SZTP_OK && !pem_has(&f, PEM_BEGIN_CERT) && pem_has(&f, "PRIVATE KEY-----"))
		rc = sztp_err_set(e, SZTP_E_MALFORMED,
				  "%s-cert %s holds a private key, not a certificate chain", name,
				  cert_path);
	else if (rc != SZTP_OK)
		rc = sztp_err_set(e, rc, "%s-cert %s: %s", name, cert_path, pe.msg);
out:
	if (rc != SZTP_OK) {
		pki_certs_free(*chain, *n);
		*chain = NULL;
		*n = 0;
	}
	sztp_bytes_free(&f);
	return rc;
}

static sztp_rc tls_key_read(const char *name, const char *key_path, gnutls_x509_privkey_t *xk,
			    struct sztp_err *e)
{
	sztp_bytes key = {NULL, 0};
	struct sztp_err ke = {0};
	sztp_rc rc;

	*xk = NULL;
	rc = key_file_read(key_path, &key, &ke);
	if (rc != SZTP_OK) {
		rc = sztp_err_set(e, rc, "%s-key: %s", name, ke.msg);
		goto out;
	}
	rc = xkey_import(key.data, key.len, xk, &ke);
	if (rc != SZTP_OK && pem_has(&key, PEM_BEGIN_CERT) && !pem_has(&key, "PRIVATE KEY-----"))
		rc = sztp_err_set(e, rc, "%s-key %s holds a certificate, not a private key", name,
				  key_path);
	else if (rc != SZTP_OK)
		rc = sztp_err_set(e, rc, "%s-key %s: %s", name, key_path, ke.msg);
out:
	sztp_bytes_wipe(&key);
	return rc;
}

/* The key's kind (and an ECDSA key's curve), from the leaf's public key. */
static void tls_pair_kind(struct tls_pair *p)
{
	gnutls_pubkey_t pub = p->pcert[0].pubkey;
	int alg = gnutls_pubkey_get_pk_algorithm(pub, &p->bits);
	const char *kn;

	p->kind = alg == GNUTLS_PK_ECDSA ? TLS_KEY_ECDSA
		  : alg == GNUTLS_PK_RSA ? TLS_KEY_RSA
					 : TLS_KEY_OTHER;
	p->curve = GNUTLS_ECC_CURVE_INVALID;
	if (p->kind == TLS_KEY_ECDSA &&
	    gnutls_pubkey_export_ecc_raw2(pub, &p->curve, NULL, NULL, 0) < 0)
		p->curve = GNUTLS_ECC_CURVE_INVALID;
	kn = tls_key_names[p->kind];
	if (alg == GNUTLS_PK_RSA_PSS)
		kn = "rsa-pss";
	else if (alg == GNUTLS_PK_EDDSA_ED25519 || alg == GNUTLS_PK_EDDSA_ED448)
		kn = "eddsa";
	else if (alg == GNUTLS_PK_DSA)
		kn = "dsa";
	snprintf(p->info.key, sizeof(p->info.key), "%s", kn);
}

/* One pair from its files, every check done; name: its configuration
 * keys are NAME-cert and NAME-key. */
static sztp_rc tls_pair_load(const char *name, const char *cert_path, const char *key_path,
			     struct tls_pair *p, struct sztp_err *e)
{
	gnutls_x509_privkey_t xk = NULL;
	gnutls_x509_crt_t leaf = NULL;
	sztp_bytes *chain = NULL;
	struct sztp_err me = {0};
	size_t n = 0, i;
	time_t na;
	sztp_rc rc;
	int r;

	memset(p, 0, sizeof(*p));
	rc = tls_chain_read(name, cert_path, &chain, &n, e);
	if (rc != SZTP_OK)
		goto out;
	rc = tls_key_read(name, key_path, &xk, e);
	if (rc != SZTP_OK)
		goto out;
	rc = crt_import(&chain[0], &leaf, e);
	if (rc != SZTP_OK)
		goto out;
	if (xkey_match(xk, leaf, &me) != SZTP_OK) {
		rc = sztp_err_set(e, SZTP_E_MISMATCH,
				  "%s-key %s does not match the certificate in %s-cert %s (%s)",
				  name, key_path, name, cert_path, me.msg);
		goto out;
	}
	rc = SZTP_E_NOMEM;
	if (!(p->pcert = calloc(n, sizeof(*p->pcert)))) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	rc = SZTP_E_CRYPTO;
	for (i = 0; i < n; i++) {
		gnutls_datum_t d = {chain[i].data, (unsigned)chain[i].len};
		r = gnutls_pcert_import_x509_raw(&p->pcert[i], &d, GNUTLS_X509_FMT_DER, 0);
		if (r < 0) {
			sztp_err_set(e, rc, "%s-cert %s: certificate #%zu: %s", name, cert_path,
				     i + 1, gnutls_strerror(r));
			goto out;
		}
		p->n = (unsigned)i + 1;
	}
	if (gnutls_privkey_init(&p->key) < 0) {
		sztp_err_set(e, rc, "cannot create a private key object");
		goto out;
	}
	r = gnutls_privkey_import_x509(p->key, xk, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (r < 0) {
		sztp_err_set(e, rc, "%s-key %s: %s", name, key_path, gnutls_strerror(r));
		goto out;
	}
	xk = NULL; /* owned by p->key */
	crt_subject(leaf, p->info.subject, sizeof(p->info.subject));
	crypto_sha256(chain[0].data, chain[0].len, p->info.sha256);
	na = gnutls_x509_crt_get_expiration_time(leaf);
	p->info.not_after = na == (time_t)-1 ? 0 : na;
	tls_pair_kind(p);
	rc = SZTP_OK;
out:
	gnutls_x509_privkey_deinit(xk);
	gnutls_x509_crt_deinit(leaf);
	pki_certs_free(chain, n);
	if (rc != SZTP_OK)
		tls_pair_clear(p);
	return rc;
}

/* The kinds two pairs must have: one ECDSA, one RSA. */
static sztp_rc tls_kinds_check(const char *name, const struct pki_tls_files *f,
			       const struct tls_gen *g, struct sztp_err *e)
{
	const struct tls_pair *a = &g->pair[0], *b = &g->pair[1];
	sztp_rc rc = SZTP_E_UNSUPPORTED;

	if (a->kind == TLS_KEY_OTHER)
		sztp_err_set(e, rc,
			     "%s-cert %s has a key of type %s: with %s-alt-cert the two server "
			     "certificates must be one ECDSA and one RSA",
			     name, f->cert, a->info.key, name);
	else if (b->kind == TLS_KEY_OTHER)
		sztp_err_set(
		    e, rc,
		    "%s-alt-cert %s has a key of type %s: the two server certificates must "
		    "be one ECDSA and one RSA",
		    name, f->alt_cert, b->info.key);
	else if (a->kind == TLS_KEY_RSA && a->bits < TLS_ALT_RSA_MIN_BITS)
		sztp_err_set(
		    e, rc,
		    "%s-cert %s has an RSA key of %u bits: with two server certificates the "
		    "RSA one needs at least %d",
		    name, f->cert, a->bits, TLS_ALT_RSA_MIN_BITS);
	else if (b->kind == TLS_KEY_RSA && b->bits < TLS_ALT_RSA_MIN_BITS)
		sztp_err_set(
		    e, rc,
		    "%s-alt-cert %s has an RSA key of %u bits: with two server certificates "
		    "the RSA one needs at least %d",
		    name, f->alt_cert, b->bits, TLS_ALT_RSA_MIN_BITS);
	else if (a->kind == b->kind)
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
				  "%s-alt-cert %s has an %s key like %s-cert %s: the second server "
				  "certificate must have the other key type (one ECDSA, one RSA)",
				  name, f->alt_cert, a->kind == TLS_KEY_RSA ? "RSA" : "ECDSA", name,
				  f->cert);
	else
		rc = SZTP_OK;
	return rc;
}

/* One generation from the files, every check done. */
static sztp_rc tls_gen_load(const char *name, const struct pki_tls_files *f, struct tls_gen **out,
			    struct sztp_err *e)
{
	struct tls_gen *g = NULL;
	char alt[32];
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	*out = NULL;
	if (!f->alt_cert != !f->alt_key) {
		sztp_err_set(e, rc,
			     "%s-alt-%s is set but %s-alt-%s is not: a second server certificate "
			     "needs both (or neither)",
			     name, f->alt_cert ? "cert" : "key", name,
			     f->alt_cert ? "key" : "cert");
		goto out;
	}
	rc = SZTP_E_NOMEM;
	if (!(g = calloc(1, sizeof(*g)))) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	rc = tls_pair_load(name, f->cert, f->key, &g->pair[0], e);
	if (rc != SZTP_OK || !f->alt_cert)
		goto out;
	snprintf(alt, sizeof(alt), "%s-alt", name);
	rc = tls_pair_load(alt, f->alt_cert, f->alt_key, &g->pair[1], e);
	if (rc == SZTP_OK)
		rc = tls_kinds_check(name, f, g, e);
	g->ecdsa = g->pair[1].kind == TLS_KEY_ECDSA;
out:
	if (rc == SZTP_OK)
		*out = g;
	else
		tls_gen_free(g);
	return rc;
}

sztp_rc pki_tls_priority_check(const char *priority, struct sztp_err *e)
{
	gnutls_priority_t p = NULL;
	const char *err_pos = NULL;
	const unsigned *list = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int r;

	if (!priority || !*priority)
		return sztp_err_set(e, rc, "tls-priority is empty");
	r = gnutls_priority_init(&p, priority, &err_pos);
	if (r < 0) {
		sztp_err_set(e, rc, "tls-priority '%s': GnuTLS refuses it at '%.40s': %s", priority,
			     err_pos ? err_pos : priority, gnutls_strerror(r));
		goto out;
	}
	if (gnutls_priority_protocol_list(p, &list) <= 0) {
		sztp_err_set(e, rc, "tls-priority '%s' enables no TLS version", priority);
		goto out;
	}
	if (gnutls_priority_cipher_list(p, &list) <= 0) {
		sztp_err_set(e, rc, "tls-priority '%s' enables no cipher", priority);
		goto out;
	}
	rc = SZTP_OK;
out:
	if (p)
		gnutls_priority_deinit(p);
	return rc;
}

/* Two pairs: the signature algorithms and the ECDHE-ECDSA suites that
 * the priority string (NULL: GnuTLS's NORMAL) enables, for tls_pick. */
static sztp_rc tls_priority_read(struct pki_tls_creds *c, const char *priority, struct sztp_err *e)
{
	gnutls_priority_t p = NULL;
	const unsigned *list = NULL;
	unsigned i, sidx;
	int n, r;
	sztp_rc rc = pki_tls_priority_check(priority ? priority : "NORMAL", e);

	if (rc != SZTP_OK)
		goto out;
	rc = SZTP_E_CRYPTO;
	if (gnutls_priority_init(&p, priority ? priority : "NORMAL", NULL) < 0) {
		sztp_err_set(e, rc, "tls-priority: GnuTLS refuses it");
		goto out;
	}
	n = gnutls_priority_sign_list(p, &list);
	for (i = 0; n > 0 && i < (unsigned)n && c->n_signs < TLS_SIGNS_MAX; i++)
		c->signs[c->n_signs++] = (gnutls_sign_algorithm_t)list[i];
	for (i = 0; c->n_ecdsa_suites < TLS_SUITES_MAX; i++) {
		unsigned char id[2];
		gnutls_kx_algorithm_t kx = GNUTLS_KX_UNKNOWN;
		r = gnutls_priority_get_cipher_suite_index(p, i, &sidx);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0 || !gnutls_cipher_suite_info(sidx, id, &kx, NULL, NULL, NULL))
			continue;
		if (kx == GNUTLS_KX_ECDHE_ECDSA)
			memcpy(c->ecdsa_suites[c->n_ecdsa_suites++], id, 2);
	}
	rc = SZTP_OK;
out:
	if (p)
		gnutls_priority_deinit(p);
	return rc;
}

static void tls_info_fill(struct pki_tls_creds *c, const struct tls_gen *g,
			  struct pki_tls_info *out)
{
	const struct pki_tls_pair_info *a = &g->pair[0].info;

	memset(out, 0, sizeof(*out));
	memcpy(out->subject, a->subject, sizeof(out->subject));
	memcpy(out->sha256, a->sha256, sizeof(out->sha256));
	out->not_after = a->not_after;
	memcpy(out->key, a->key, sizeof(out->key));
	if (g->pair[1].pcert)
		out->alt = g->pair[1].info;
	if (c) {
		out->generation = c->generation;
		out->served_ecdsa = atomic_load(&c->served[TLS_KEY_ECDSA]);
		out->served_rsa = atomic_load(&c->served[TLS_KEY_RSA]);
	}
}

sztp_rc pki_tls_check_files(const struct pki_tls_files *f, struct pki_tls_info *out,
			    struct sztp_err *e)
{
	struct tls_gen *g = NULL;
	sztp_rc rc = tls_gen_load("tls", f, &g, e);

	if (out)
		memset(out, 0, sizeof(*out));
	if (rc == SZTP_OK && f->priority)
		rc = pki_tls_priority_check(f->priority, e);
	if (rc == SZTP_OK && out)
		tls_info_fill(NULL, g, out);
	tls_gen_free(g);
	return rc;
}

sztp_rc pki_tls_check(const char *cert_path, const char *key_path, const char *priority,
		      struct sztp_err *e)
{
	struct pki_tls_files f = {cert_path, key_path, NULL, NULL, priority};
	sztp_rc rc = pki_tls_check_files(&f, NULL, e);

	if (rc == SZTP_OK && !priority)
		rc = pki_tls_priority_check(priority, e); /* "tls-priority is empty" */
	return rc;
}

sztp_rc pki_tls_creds_open(const char *name, const struct pki_tls_files *f,
			   struct pki_tls_creds **out, struct sztp_err *e)
{
	struct pki_tls_creds *c = NULL;
	sztp_rc rc = SZTP_E_NOMEM;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return sztp_err_set(e, rc, "out of memory");
	pthread_mutex_init(&c->mu, NULL);
	snprintf(c->name, sizeof(c->name), "%s", name);
	rc = tls_gen_load(c->name, f, &c->cur, e);
	if (rc == SZTP_OK && c->cur->pair[1].pcert)
		rc = tls_priority_read(c, f->priority, e);
	if (rc != SZTP_OK) {
		pki_tls_creds_free(c);
		return rc;
	}
	c->generation = 1;
	*out = c;
	return SZTP_OK;
}

sztp_rc pki_tls_creds_load_named(const char *name, const char *cert_path, const char *key_path,
				 struct pki_tls_creds **out, struct sztp_err *e)
{
	struct pki_tls_files f = {cert_path, key_path, NULL, NULL, NULL};

	return pki_tls_creds_open(name, &f, out, e);
}

sztp_rc pki_tls_creds_load(const char *cert_path, const char *key_path, struct pki_tls_creds **out,
			   struct sztp_err *e)
{
	return pki_tls_creds_load_named("tls", cert_path, key_path, out, e);
}

sztp_rc pki_tls_creds_reload_files(struct pki_tls_creds *c, const struct pki_tls_files *f,
				   struct sztp_err *e)
{
	struct tls_gen *g = NULL;
	sztp_rc rc = tls_gen_load(c->name, f, &g, e);

	if (rc != SZTP_OK)
		goto out; /* the current generation stays */
	pthread_mutex_lock(&c->mu);
	if (!g->pair[1].pcert != !c->cur->pair[1].pcert) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
				  "%s-alt-cert: a reload cannot add or remove the second server "
				  "certificate (restart sztpd)",
				  c->name);
	} else {
		c->cur->older = c->retired;
		c->retired = c->cur;
		c->cur = g;
		c->generation++;
		g = NULL; /* served now */
	}
	pthread_mutex_unlock(&c->mu);
out:
	tls_gen_free(g);
	return rc;
}

sztp_rc pki_tls_creds_reload(struct pki_tls_creds *c, const char *cert_path, const char *key_path,
			     struct sztp_err *e)
{
	struct pki_tls_files f = {cert_path, key_path, NULL, NULL, NULL};

	return pki_tls_creds_reload_files(c, &f, e);
}

void pki_tls_creds_info(struct pki_tls_creds *c, struct pki_tls_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	tls_info_fill(c, c->cur, out);
	pthread_mutex_unlock(&c->mu);
}

int pki_tls_creds_pairs(struct pki_tls_creds *c)
{
	int n;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->mu);
	n = c->cur->pair[1].pcert ? 2 : 1;
	pthread_mutex_unlock(&c->mu);
	return n;
}

void pki_tls_creds_free(struct pki_tls_creds *c)
{
	struct tls_gen *g, *next;
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < PKI_TLS_SLOTS; i++) {
		struct pki_tls_creds *expect = c;
		atomic_compare_exchange_strong(&tls_served[i], &expect, NULL);
	}
	tls_gen_free(c->cur);
	for (g = c->retired; g; g = next) {
		next = g->older;
		tls_gen_free(g);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* ---- choosing one of two pairs (issue 13) --------------------------------- */

/* The cipher suites of the ClientHello the hook saw last on this thread,
 * for the retrieve function of the same handshake (session: whose). */
struct tls_hello {
	void *session;
	unsigned n; /* suites in cs */
	uint8_t cs[2 * 128];
};
static _Thread_local struct tls_hello tls_hello;

size_t pki_tls_hello_suites(const uint8_t *d, size_t len, uint8_t *cs, size_t max)
{
	size_t off = 2 + 32, cl; /* legacy_version, random */

	if (!d || len < off + 1)
		return 0;
	off += 1 + (size_t)d[off]; /* session id */
	if (len < off + 2)
		return 0;
	cl = (size_t)d[off] << 8 | d[off + 1];
	off += 2;
	if (cl % 2 || len < off + cl)
		return 0;
	if (cl > 2 * max)
		cl = 2 * max; /* GnuTLS reads as many suites at most */
	memcpy(cs, d + off, cl);
	return cl / 2;
}

/* gnutls_handshake_hook_func on an incoming ClientHello: keep its cipher
 * suites for the retrieve function of the same handshake.  A hello too
 * short to hold them is GnuTLS's to refuse; then nothing is kept. */
static int tls_hello_hook(gnutls_session_t session, unsigned htype, unsigned when,
			  unsigned incoming, const gnutls_datum_t *msg)
{
	size_t n;

	(void)when;
	tls_hello.session = NULL;
	if (!incoming || htype != GNUTLS_HANDSHAKE_CLIENT_HELLO || !msg)
		return 0;
	n = pki_tls_hello_suites(msg->data, msg->size, tls_hello.cs, sizeof(tls_hello.cs) / 2);
	if (n) {
		tls_hello.n = (unsigned)n;
		tls_hello.session = session;
	}
	return 0;
}

void pki_tls_session_watch(void *gnutls_session)
{
	if (gnutls_session)
		gnutls_handshake_set_hook_function(gnutls_session, GNUTLS_HANDSHAKE_CLIENT_HELLO,
						   GNUTLS_HOOK_PRE, tls_hello_hook);
}

/* The curve a signature scheme names (TLS 1.3's ECDSA schemes do). */
static gnutls_ecc_curve_t tls_sign_curve(gnutls_sign_algorithm_t s)
{
	switch (s) {
	case GNUTLS_SIGN_ECDSA_SECP256R1_SHA256:
		return GNUTLS_ECC_CURVE_SECP256R1;
	case GNUTLS_SIGN_ECDSA_SECP384R1_SHA384:
		return GNUTLS_ECC_CURVE_SECP384R1;
	case GNUTLS_SIGN_ECDSA_SECP521R1_SHA512:
		return GNUTLS_ECC_CURVE_SECP521R1;
	default:
		return GNUTLS_ECC_CURVE_INVALID;
	}
}

static int tls_sign_enabled(const struct pki_tls_creds *c, gnutls_sign_algorithm_t s)
{
	size_t i;

	for (i = 0; i < c->n_signs; i++)
		if (c->signs[i] == s)
			return 1;
	return 0;
}

/* The client takes an ECDSA signature of this key that we may make.
 * Without signature_algorithms (TLS 1.2) GnuTLS signs with SHA-1 (RFC
 * 5246 s7.4.1.4.1). */
static int tls_ecdsa_sig_ok(const struct pki_tls_creds *c, const struct tls_pair *ec,
			    gnutls_session_t session, int tls13)
{
	gnutls_sign_algorithm_t s = GNUTLS_SIGN_UNKNOWN;
	size_t i = 0;
	int r = gnutls_sign_algorithm_get_requested(session, 0, &s);

	if (r < 0)
		return !tls13 && tls_sign_enabled(c, GNUTLS_SIGN_ECDSA_SHA1);
	for (; r >= 0; r = gnutls_sign_algorithm_get_requested(session, ++i, &s)) {
		gnutls_ecc_curve_t curve = tls_sign_curve(s);
		if (gnutls_sign_get_pk_algorithm(s) != GNUTLS_PK_ECDSA || !tls_sign_enabled(c, s))
			continue;
		if (curve != GNUTLS_ECC_CURVE_INVALID ? curve != ec->curve : tls13)
			continue;
		return 1;
	}
	return 0;
}

/* TLS 1.2: the client offers an ECDHE-ECDSA suite we enable.  Unknown
 * (no hook saw this handshake's hello): assumed. */
static int tls_ecdsa_suite_ok(const struct pki_tls_creds *c, gnutls_session_t session)
{
	unsigned i;
	size_t j;

	if (tls_hello.session != session)
		return 1;
	for (i = 0; i < tls_hello.n; i++)
		for (j = 0; j < c->n_ecdsa_suites; j++)
			if (!memcmp(&tls_hello.cs[2 * i], c->ecdsa_suites[j], 2))
				return 1;
	return 0;
}

/* Which of two pairs this handshake gets: the ECDSA one when the client
 * takes it, else the RSA one. */
static unsigned tls_pick(const struct pki_tls_creds *c, const struct tls_gen *g,
			 gnutls_session_t session)
{
	int tls13 = gnutls_protocol_get_version(session) == GNUTLS_TLS1_3;
	int ok = tls_ecdsa_sig_ok(c, &g->pair[g->ecdsa], session, tls13) &&
		 (tls13 || tls_ecdsa_suite_ok(c, session));

	if (tls_hello.session == session)
		tls_hello.session = NULL; /* used: a later session at this address starts afresh */
	return ok ? g->ecdsa : !g->ecdsa;
}

/* gnutls_certificate_retrieve_function2 of one slot: the current
 * generation, for every handshake; GnuTLS does not free what it gets.
 * Generations are freed only with the object, so g stays valid. */
static int tls_retrieve(unsigned slot, gnutls_session_t session, gnutls_pcert_st **pcert,
			unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
	struct pki_tls_creds *c = atomic_load(&tls_served[slot]);
	const struct tls_pair *p;
	struct tls_gen *g;

	if (!c)
		return -1;
	pthread_mutex_lock(&c->mu);
	g = c->cur;
	pthread_mutex_unlock(&c->mu);
	p = &g->pair[g->pair[1].pcert && session ? tls_pick(c, g, session) : 0];
	*pcert = p->pcert;
	*pcert_length = p->n;
	*privkey = p->key;
	atomic_fetch_add_explicit(&c->served[p->kind], 1, memory_order_relaxed);
	return 0;
}

#define TLS_RETRIEVE_SLOT(i)                                                                       \
	static int tls_retrieve_##i(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,     \
				    int nreqs, const gnutls_pk_algorithm_t *pk_algos,              \
				    int pk_algos_length, gnutls_pcert_st **pcert,                  \
				    unsigned int *pcert_length, gnutls_privkey_t *privkey)         \
	{                                                                                          \
		(void)req_ca_dn;                                                                   \
		(void)nreqs;                                                                       \
		(void)pk_algos;                                                                    \
		(void)pk_algos_length;                                                             \
		return tls_retrieve(i, session, pcert, pcert_length, privkey);                     \
	}
TLS_RETRIEVE_SLOT(0)
TLS_RETRIEVE_SLOT(1)
TLS_RETRIEVE_SLOT(2)
TLS_RETRIEVE_SLOT(3)
static gnutls_certificate_retrieve_function2 *const tls_retrieve_fns[PKI_TLS_SLOTS] = {
    tls_retrieve_0, tls_retrieve_1, tls_retrieve_2, tls_retrieve_3};

pki_fnptr pki_tls_creds_callback(struct pki_tls_creds *c)
{
	unsigned i;

	if (!c)
		return NULL;
	for (i = 0; i < PKI_TLS_SLOTS; i++) /* served already: its slot */
		if (atomic_load(&tls_served[i]) == c)
			return (pki_fnptr)tls_retrieve_fns[i];
	for (i = 0; i < PKI_TLS_SLOTS; i++) {
		struct pki_tls_creds *expect = NULL;
		if (atomic_compare_exchange_strong(&tls_served[i], &expect, c))
			return (pki_fnptr)tls_retrieve_fns[i];
	}
	return NULL;
}
