/* Unit tests for revocation (pki_trust_load2 with CRLs, pki_trust_reload)
 * and for sztpd's device authentication across a reload: CRLs made by
 * `openssl ca -gencrl` (tests/unit/mkcrls.sh) for the PKI of mkpki.sh
 *   root -> int -> ec, rsa          vendor -> idevid (serialNumber SN-0001234)
 * Decided policies pinned here: a CRL from an issuer not on the path is
 * irrelevant; a CRL naming a CA it was not signed by is never applied,
 * and a CA whose only CRLs are such gets its certificates refused; a CRL
 * naming an anchor it was not signed by is refused at load; a stale CRL
 * (nextUpdate passed) still revokes.  A revoked leaf is refused even when
 * its chain was cached before the reload that brought the CRL. */
#include <pthread.h>
#include <unistd.h>

#include "fixture.h"
#include "identity.h"
#include "passwd.h"
#include "server.h"
#include "unit.h"
#include "util.h"

/* Verify the chain made of the named PEM files (space separated). */
static sztp_rc verify(const struct pki_trust *t, const char *names, struct sztp_err *e)
{
	sztp_bytes all[8];
	char buf[256], *save = NULL, *w;
	size_t n = 0, i;
	sztp_rc rc;

	snprintf(buf, sizeof(buf), "%s", names);
	for (w = strtok_r(buf, " ", &save); w && n < 8; w = strtok_r(NULL, " ", &save)) {
		sztp_bytes *c = NULL;
		size_t k = 0;
		char f[64];
		snprintf(f, sizeof(f), "%s.pem", w);
		if (pki_pem_certs_read(P(f), &c, &k, NULL) != SZTP_OK || !k)
			return SZTP_E_INTERNAL;
		all[n++] = c[0];
		c[0].data = NULL;
		pki_certs_free(c, k);
	}
	if (e)
		e->msg[0] = '\0';
	rc = pki_trust_verify(t, all, n, NULL, 0, e);
	for (i = 0; i < n; i++)
		sztp_bytes_free(&all[i]);
	return rc;
}

/* Load root.pem with the named CRL files (space separated, in DIR). */
static sztp_rc load(const char *anchor, const char *crls, struct pki_trust **t, struct sztp_err *e)
{
	static char paths[8][256];
	const char *list[8];
	char buf[256], *save = NULL, *w;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", crls);
	for (w = strtok_r(buf, " ", &save); w && n < 8; w = strtok_r(NULL, " ", &save)) {
		snprintf(paths[n], sizeof(paths[n]), "%s", P(w));
		list[n] = paths[n];
		n++;
	}
	return pki_trust_load2(P(anchor), list, n, t, e);
}

#define REVOKED(t, chain)                                                                          \
	do {                                                                                       \
		struct sztp_err e_ = {0};                                                          \
		CHECK_RC(verify(t, chain, &e_), SZTP_E_VERIFY);                                    \
		if (!strstr(e_.msg, "revoked"))                                                    \
			fprintf(stderr, "%s: '%s'\n", chain, e_.msg);                              \
		CHECK(strstr(e_.msg, "revoked") != NULL);                                          \
	} while (0)

static void test_intermediate_crl(void)
{
	struct pki_trust *t = NULL;
	struct pki_trust_stats st;
	struct sztp_err e = {0};
	int round;

	CHECK_RC(load("root.pem", "int-ec.crl", &t, &e), SZTP_OK);
	/* twice: the full path, then the cached-issuer fast path */
	for (round = 0; round < 2; round++) {
		CHECK_RC(verify(t, "rsa int", NULL), SZTP_OK);
		REVOKED(t, "ec int");
		CHECK_RC(verify(t, "rsa int", NULL), SZTP_OK);
	}
	memset(&e, 0, sizeof(e));
	CHECK_RC(verify(t, "ec int", &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "int-ec.crl") != NULL && strstr(e.msg, "Test EC Signer") != NULL);
	/* the intermediate itself is fine */
	CHECK_RC(verify(t, "int", NULL), SZTP_OK);
	/* a look-alike intermediate put first in the chain does not divert
	 * the revocation check away from the real issuer */
	REVOKED(t, "ec fakeint int");
	pki_trust_stats(t, &st);
	CHECK(st.crls == 1 && st.crl_entries == 1 && st.crls_stale == 0);
	CHECK(st.revoked >= 4 && st.crl_next_update > time(NULL));
	CHECK(st.generation == 1 && pki_trust_generation(t) == 1);
	pki_trust_free(t);

	/* an empty CRL revokes nothing; DER works like PEM */
	CHECK_RC(load("root.pem", "int-empty.crl", &t, NULL), SZTP_OK);
	CHECK_RC(verify(t, "ec int", NULL), SZTP_OK);
	pki_trust_free(t);
	CHECK_RC(load("root.pem", "int-ec.der", &t, NULL), SZTP_OK);
	REVOKED(t, "ec int");
	pki_trust_free(t);
	/* two CRLs of the same CA: a listing in either revokes */
	CHECK_RC(load("root.pem", "int-empty.crl int-ec.crl", &t, NULL), SZTP_OK);
	REVOKED(t, "ec int");
	CHECK_RC(verify(t, "rsa int", NULL), SZTP_OK);
	pki_trust_free(t);
}

static void test_root_crl(void)
{
	struct pki_trust *t = NULL;

	/* the root revokes the intermediate: everything under it is refused */
	CHECK_RC(load("root.pem", "root-int.crl", &t, NULL), SZTP_OK);
	REVOKED(t, "rsa int");
	REVOKED(t, "ec int");
	REVOKED(t, "int");
	REVOKED(t, "rsa int");
	pki_trust_free(t);
}

static void test_wrong_issuer(void)
{
	struct pki_trust *t = NULL;
	struct sztp_err e = {0};

	/* another CA's CRL listing ec's serial number: not ec's issuer, no effect */
	CHECK_RC(load("root.pem", "evil-ec.crl", &t, NULL), SZTP_OK);
	CHECK_RC(verify(t, "ec int", NULL), SZTP_OK);
	pki_trust_free(t);
	/* a forged CRL naming int (signed by a look-alike key) is never
	 * applied: alone, int's certificates are refused (revocation cannot
	 * be checked); next to int's real CRL, only the real one counts */
	CHECK_RC(load("root.pem", "fake-int.crl", &t, NULL), SZTP_OK);
	CHECK_RC(verify(t, "rsa int", &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "no CRL") != NULL && strstr(e.msg, "verifies") != NULL);
	CHECK_RC(verify(t, "ec int", NULL), SZTP_E_VERIFY);
	pki_trust_free(t);
	CHECK_RC(load("root.pem", "fake-int.crl int-ec.crl", &t, NULL), SZTP_OK);
	CHECK_RC(verify(t, "rsa int", NULL), SZTP_OK); /* listed only by the forgery */
	REVOKED(t, "ec int");
	pki_trust_free(t);
	/* a CRL naming an anchor it was not signed by: refused at load */
	CHECK_RC(load("root.pem", "fake-root.crl", &t, &e), SZTP_E_VERIFY);
	CHECK(t == NULL && strstr(e.msg, "fake-root.crl") != NULL &&
	      strstr(e.msg, "not signed by the trust anchor") != NULL);
}

static void test_stale_and_bad(void)
{
	struct pki_trust *t = NULL;
	struct pki_trust_stats st;
	struct sztp_err e = {0};

	/* nextUpdate 2020-02-01: still revokes, and is counted as stale */
	CHECK_RC(load("root.pem", "int-ec-stale.crl", &t, NULL), SZTP_OK);
	REVOKED(t, "ec int");
	CHECK_RC(verify(t, "rsa int", NULL), SZTP_OK);
	pki_trust_stats(t, &st);
	CHECK(st.crls == 1 && st.crls_stale == 1 && st.crl_next_update == 1580515200);
	pki_trust_free(t);
	/* files that are not CRLs, missing files, unknown critical extensions */
	CHECK_RC(load("root.pem", "notacrl.crl", &t, &e), SZTP_E_MALFORMED);
	CHECK(t == NULL && strstr(e.msg, "notacrl.crl") != NULL);
	CHECK_RC(load("root.pem", "root.pem", &t, &e), SZTP_E_MALFORMED);
	CHECK_RC(load("root.pem", "nosuch.crl", &t, &e), SZTP_E_IO);
	CHECK(strstr(e.msg, "nosuch.crl") != NULL);
	CHECK_RC(load("root.pem", "int-critext.crl", &t, &e), SZTP_E_UNSUPPORTED);
	CHECK(strstr(e.msg, "1.2.3.4") != NULL && strstr(e.msg, "int-critext.crl") != NULL);
	/* no CRLs at all: as before */
	CHECK_RC(load("root.pem", "", &t, NULL), SZTP_OK);
	CHECK_RC(verify(t, "ec int", NULL), SZTP_OK);
	pki_trust_stats(t, &st);
	CHECK(st.crls == 0 && st.crl_next_update == 0);
	pki_trust_free(t);
}

static void test_reload(void)
{
	struct pki_trust *t = NULL;
	char crl_path[256], bad_path[256];
	const char *crl[1] = {crl_path}, *bad[1] = {bad_path};
	struct pki_trust_stats st;
	struct sztp_err e = {0};

	snprintf(crl_path, sizeof(crl_path), "%s", P("int-ec.crl"));
	snprintf(bad_path, sizeof(bad_path), "%s", P("notacrl.crl"));
	CHECK_RC(pki_trust_load(P("root.pem"), &t, NULL), SZTP_OK);
	CHECK_RC(verify(t, "ec int", NULL), SZTP_OK);
	CHECK_RC(verify(t, "ec int", NULL), SZTP_OK); /* int cached */
	pki_trust_stats(t, &st);
	CHECK(st.issuer_hits >= 1);
	CHECK_RC(pki_trust_reload(t, P("root.pem"), crl, 1, &e), SZTP_OK);
	CHECK(pki_trust_generation(t) == 2);
	REVOKED(t, "ec int");
	CHECK_RC(verify(t, "rsa int", NULL), SZTP_OK);
	/* a failed reload leaves everything as it was */
	CHECK_RC(pki_trust_reload(t, P("root.pem"), bad, 1, &e), SZTP_E_MALFORMED);
	CHECK(pki_trust_generation(t) == 2);
	REVOKED(t, "ec int");
	/* and back: the CRL is gone with the next reload */
	CHECK_RC(pki_trust_reload(t, P("root.pem"), NULL, 0, &e), SZTP_OK);
	CHECK(pki_trust_generation(t) == 3);
	CHECK_RC(verify(t, "ec int", NULL), SZTP_OK);
	/* replace() with a trust built elsewhere */
	{
		struct pki_trust *fresh = NULL;
		CHECK_RC(load("vendor.pem", "", &fresh, NULL), SZTP_OK);
		pki_trust_replace(t, fresh);
		CHECK(pki_trust_generation(t) == 4);
		CHECK_RC(verify(t, "ec int", NULL), SZTP_E_VERIFY); /* other anchors now */
		CHECK_RC(verify(t, "idevid", NULL), SZTP_OK);
	}
	pki_trust_free(t);
}

/* Verifiers on four threads while the main thread reloads: every answer
 * is one of the two sets' answers, never anything else (make tsan).  The
 * chains are read before the threads start. */
static struct pki_trust *shared;
static sztp_bytes ec_chain[2], rsa_chain[2];

static void *verifier(void *arg)
{
	long wrong = 0;
	int i;

	(void)arg;
	for (i = 0; i < 150; i++) {
		sztp_rc a = pki_trust_verify(shared, ec_chain, 2, NULL, 0, NULL);
		sztp_rc b = pki_trust_verify(shared, rsa_chain, 2, NULL, 0, NULL);
		wrong += a != SZTP_OK && a != SZTP_E_VERIFY;
		wrong += b != SZTP_OK;
	}
	return (void *)wrong;
}

static void read_chain(const char *name, sztp_bytes out[2])
{
	sztp_bytes *c = NULL;
	size_t n = 0;

	CHECK_RC(pki_pem_certs_read(P(name), &c, &n, NULL), SZTP_OK);
	CHECK(n == 2);
	if (n == 2) {
		out[0] = c[0];
		out[1] = c[1];
		free(c);
	} else {
		pki_certs_free(c, n);
	}
}

static void test_reload_threads(void)
{
	char crl_path[256], root_path[256];
	const char *crl[1] = {crl_path};
	pthread_t th[4];
	void *w;
	long wrong = 0;
	int k;

	snprintf(crl_path, sizeof(crl_path), "%s", P("int-ec.crl"));
	snprintf(root_path, sizeof(root_path), "%s", P("root.pem"));
	read_chain("ec-chain.pem", ec_chain);
	read_chain("rsa-chain.pem", rsa_chain);
	CHECK_RC(pki_trust_load(root_path, &shared, NULL), SZTP_OK);
	for (k = 0; k < 4; k++)
		pthread_create(&th[k], NULL, verifier, NULL);
	for (k = 0; k < 40; k++)
		CHECK_RC(
		    pki_trust_reload(shared, root_path, k % 2 ? NULL : crl, k % 2 ? 0 : 1, NULL),
		    SZTP_OK);
	for (k = 0; k < 4; k++) {
		pthread_join(th[k], &w);
		wrong += (long)w;
	}
	CHECK(wrong == 0);
	CHECK(pki_trust_generation(shared) == 41);
	CHECK_RC(pki_trust_reload(shared, root_path, crl, 1, NULL), SZTP_OK);
	REVOKED(shared, "ec int");
	pki_trust_free(shared);
	for (k = 0; k < 2; k++) {
		sztp_bytes_free(&ec_chain[k]);
		sztp_bytes_free(&rsa_chain[k]);
	}
}

/* sztpd's identity: a chain verified and cached before the CRL is
 * refused right after the reload that brings it, with the same 401. */
static void test_identity_reload(void)
{
	struct server srv;
	struct request r;
	struct sztp_err e = {0};
	sztp_bytes *chain = NULL;
	size_t n = 0;
	char serial[PKI_SERIAL_MAX], path[300], crl_path[256];
	const char *crl[1] = {crl_path};
	struct reg_device d = {0};

	memset(&srv, 0, sizeof(srv));
	snprintf(crl_path, sizeof(crl_path), "%s", P("vendor-idevid.crl"));
	snprintf(path, sizeof(path), "%s/reg.db", fixture_dir);
	CHECK_RC(reg_open(path, &srv.reg, NULL), SZTP_OK);
	CHECK_RC(pki_trust_load2(P("vendor.pem"), NULL, 0, &srv.idevid_trust, NULL), SZTP_OK);
	CHECK_RC(identity_cache_new(&srv.idcache, NULL), SZTP_OK);
	snprintf(d.serial, sizeof(d.serial), "SN-0001234");
	snprintf(d.state, sizeof(d.state), "enrolled");
	CHECK_RC(reg_device_add(srv.reg, &d, NULL), SZTP_OK);
	CHECK_RC(pki_pem_certs_read(P("idevid.pem"), &chain, &n, NULL), SZTP_OK);
	memset(&r, 0, sizeof(r));
	snprintf(r.peer, sizeof(r.peer), "192.0.2.7");
	r.peer_certs = chain;
	r.n_peer_certs = n;
	CHECK_RC(identity_authenticate(&srv, &r, serial, &e), SZTP_OK);
	CHECK(!strcmp(serial, "SN-0001234"));
	CHECK_RC(identity_authenticate(&srv, &r, serial, &e), SZTP_OK); /* cached */
	CHECK_RC(pki_trust_reload(srv.idevid_trust, P("vendor.pem"), crl, 1, &e), SZTP_OK);
	CHECK_RC(identity_authenticate(&srv, &r, serial, &e), SZTP_E_AUTH);
	CHECK(!strcmp(e.msg, IDENTITY_401));
	CHECK_RC(identity_authenticate(&srv, &r, serial, &e), SZTP_E_AUTH);
	/* the CRL removed again: accepted */
	CHECK_RC(pki_trust_reload(srv.idevid_trust, P("vendor.pem"), NULL, 0, &e), SZTP_OK);
	CHECK_RC(identity_authenticate(&srv, &r, serial, &e), SZTP_OK);
	pki_certs_free(chain, n);
	identity_cache_free(srv.idcache);
	pki_trust_free(srv.idevid_trust);
	reg_close(srv.reg);
}

int main(void)
{
	char cmd[512];

	if (fixture_setup("crl") != 0) {
		fprintf(stderr, "mkpki.sh failed\n");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/unit/mkcrls.sh' '%s' >/dev/null 2>&1",
		 getenv("SZTP_TOP") ? getenv("SZTP_TOP") : ".", fixture_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "mkcrls.sh failed\n");
		unit_failed++;
		return unit_report("test_pki_crl");
	}
	test_intermediate_crl();
	test_root_crl();
	test_wrong_issuer();
	test_stale_and_bad();
	test_reload();
	test_reload_threads();
	test_identity_reload();
	fixture_teardown();
	return unit_report("test_pki_crl");
}
