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
 * slot holds. */

struct tls_gen {
	gnutls_pcert_st *pcert; /* chain, leaf first */
	unsigned n;
	gnutls_privkey_t key;
	struct pki_tls_info info;
	struct tls_gen *older; /* retired generations, newest first */
};

struct pki_tls_creds {
	pthread_mutex_t mu; /* guards cur and retired */
	struct tls_gen *cur;
	struct tls_gen *retired;
	unsigned generation;
	char name[16]; /* its configuration keys: NAME-cert, NAME-key */
};

/* The credentials each slot's callback serves (pki_tls_creds_callback). */
static struct pki_tls_creds *_Atomic tls_served[PKI_TLS_SLOTS];

static void tls_gen_free(struct tls_gen *g)
{
	unsigned i;

	if (!g)
		return;
	for (i = 0; g->pcert && i < g->n; i++)
		gnutls_pcert_deinit(&g->pcert[i]);
	free(g->pcert);
	gnutls_privkey_deinit(g->key);
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

static void tls_info_fill(gnutls_x509_crt_t leaf, const sztp_bytes *der, struct pki_tls_info *in)
{
	time_t na = gnutls_x509_crt_get_expiration_time(leaf);

	crt_subject(leaf, in->subject, sizeof(in->subject));
	crypto_sha256(der->data, der->len, in->sha256);
	in->not_after = na == (time_t)-1 ? 0 : na;
}

/* One generation from the files, every check done. */
static sztp_rc tls_gen_load(const char *name, const char *cert_path, const char *key_path,
			    struct tls_gen **out, struct sztp_err *e)
{
	gnutls_x509_privkey_t xk = NULL;
	gnutls_x509_crt_t leaf = NULL;
	sztp_bytes *chain = NULL;
	struct tls_gen *g = NULL;
	struct sztp_err me = {0};
	size_t n = 0, i;
	sztp_rc rc;
	int r;

	*out = NULL;
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
	g = calloc(1, sizeof(*g));
	if (!g || !(g->pcert = calloc(n, sizeof(*g->pcert)))) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	rc = SZTP_E_CRYPTO;
	for (i = 0; i < n; i++) {
		gnutls_datum_t d = {chain[i].data, (unsigned)chain[i].len};
		r = gnutls_pcert_import_x509_raw(&g->pcert[i], &d, GNUTLS_X509_FMT_DER, 0);
		if (r < 0) {
			sztp_err_set(e, rc, "%s-cert %s: certificate #%zu: %s", name, cert_path,
				     i + 1, gnutls_strerror(r));
			goto out;
		}
		g->n = (unsigned)i + 1;
	}
	if (gnutls_privkey_init(&g->key) < 0) {
		sztp_err_set(e, rc, "cannot create a private key object");
		goto out;
	}
	r = gnutls_privkey_import_x509(g->key, xk, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (r < 0) {
		sztp_err_set(e, rc, "%s-key %s: %s", name, key_path, gnutls_strerror(r));
		goto out;
	}
	xk = NULL; /* owned by g->key */
	tls_info_fill(leaf, &chain[0], &g->info);
	*out = g;
	g = NULL;
	rc = SZTP_OK;
out:
	gnutls_x509_privkey_deinit(xk);
	gnutls_x509_crt_deinit(leaf);
	pki_certs_free(chain, n);
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

sztp_rc pki_tls_check(const char *cert_path, const char *key_path, const char *priority,
		      struct sztp_err *e)
{
	struct tls_gen *g = NULL;
	sztp_rc rc = tls_gen_load("tls", cert_path, key_path, &g, e);

	tls_gen_free(g);
	if (rc == SZTP_OK)
		rc = pki_tls_priority_check(priority, e);
	return rc;
}

sztp_rc pki_tls_creds_load_named(const char *name, const char *cert_path, const char *key_path,
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
	rc = tls_gen_load(c->name, cert_path, key_path, &c->cur, e);
	if (rc != SZTP_OK) {
		pki_tls_creds_free(c);
		return rc;
	}
	c->generation = 1;
	*out = c;
	return SZTP_OK;
}

sztp_rc pki_tls_creds_load(const char *cert_path, const char *key_path, struct pki_tls_creds **out,
			   struct sztp_err *e)
{
	return pki_tls_creds_load_named("tls", cert_path, key_path, out, e);
}

sztp_rc pki_tls_creds_reload(struct pki_tls_creds *c, const char *cert_path, const char *key_path,
			     struct sztp_err *e)
{
	struct tls_gen *g = NULL;
	sztp_rc rc = tls_gen_load(c->name, cert_path, key_path, &g, e);

	if (rc != SZTP_OK)
		return rc; /* the current generation stays */
	pthread_mutex_lock(&c->mu);
	c->cur->older = c->retired;
	c->retired = c->cur;
	c->cur = g;
	c->generation++;
	pthread_mutex_unlock(&c->mu);
	return SZTP_OK;
}

void pki_tls_creds_info(struct pki_tls_creds *c, struct pki_tls_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	*out = c->cur->info;
	out->generation = c->generation;
	pthread_mutex_unlock(&c->mu);
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

/* gnutls_certificate_retrieve_function2 of one slot: the current
 * generation, for every handshake; GnuTLS does not free what it gets. */
static int tls_retrieve(unsigned slot, gnutls_pcert_st **pcert, unsigned int *pcert_length,
			gnutls_privkey_t *privkey)
{
	struct pki_tls_creds *c = atomic_load(&tls_served[slot]);

	if (!c)
		return -1;
	pthread_mutex_lock(&c->mu);
	*pcert = c->cur->pcert;
	*pcert_length = c->cur->n;
	*privkey = c->cur->key;
	pthread_mutex_unlock(&c->mu);
	return 0;
}

#define TLS_RETRIEVE_SLOT(i)                                                                       \
	static int tls_retrieve_##i(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,     \
				    int nreqs, const gnutls_pk_algorithm_t *pk_algos,              \
				    int pk_algos_length, gnutls_pcert_st **pcert,                  \
				    unsigned int *pcert_length, gnutls_privkey_t *privkey)         \
	{                                                                                          \
		(void)session;                                                                     \
		(void)req_ca_dn;                                                                   \
		(void)nreqs;                                                                       \
		(void)pk_algos;                                                                    \
		(void)pk_algos_length;                                                             \
		return tls_retrieve(i, pcert, pcert_length, privkey);                              \
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
