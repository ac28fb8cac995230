/* Unit tests for the verified-issuer cache of pki_trust_verify: after an
 * intermediate has been verified on its own, leaves it issued take the
 * one-signature fast path (pki_trust_stats shows it is taken), which must
 * reject exactly what the full path rejects (wrong issuer, look-alike
 * intermediate, key purpose), also from several threads at once (each
 * keeps its own parsed intermediate). */
#include <pthread.h>
#include <unistd.h>

#include "pki.h"
#include "fixture.h"
#include "unit.h"

#define dir fixture_dir

static sztp_rc verify(struct pki_trust *t, const char *chain_files, const char *purpose,
		      struct sztp_err *e)
{
	char path[512], files[256], *f, *save = NULL;
	sztp_bytes all[8], *c = NULL;
	size_t n = 0, k, i;
	sztp_rc rc;

	snprintf(files, sizeof(files), "%s", chain_files);
	for (f = strtok_r(files, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
		snprintf(path, sizeof(path), "%s/%s.pem", dir, f);
		if (pki_pem_certs_read(path, &c, &k, NULL) != SZTP_OK || k != 1)
			return SZTP_E_IO;
		all[n++] = c[0];
		free(c);
	}
	rc = pki_trust_verify(t, all, n, purpose, 0, e);
	for (i = 0; i < n; i++)
		sztp_bytes_free(&all[i]);
	return rc;
}

static struct pki_trust *T;

/* The cache is used: a second device through the same intermediate costs
 * one signature check against the cached intermediate, not a path. */
static void test_stats(void)
{
	struct pki_trust *t = NULL;
	struct pki_trust_stats s0, s1, s2, s3;
	char path[512];

	snprintf(path, sizeof(path), "%s/root.pem", dir);
	CHECK_RC(pki_trust_load(path, &t, NULL), SZTP_OK);
	pki_trust_stats(t, &s0);
	CHECK(s0.path_verifies == 0 && s0.issuer_hits == 0 && s0.issuers_stored == 0);
	/* first device: its path, then the intermediate's own path, stored */
	CHECK_RC(verify(t, "ec int", NULL, NULL), SZTP_OK);
	pki_trust_stats(t, &s1);
	CHECK(s1.path_verifies == 2 && s1.issuer_hits == 0 && s1.issuers_stored == 1);
	/* second device, same intermediate: one check against the cache */
	CHECK_RC(verify(t, "rsa int", NULL, NULL), SZTP_OK);
	pki_trust_stats(t, &s2);
	CHECK(s2.path_verifies == s1.path_verifies);
	CHECK(s2.issuer_hits == 1 && s2.issuers_stored == 1);
	/* a leaf of another CA hits the cache and still fails */
	CHECK_RC(verify(t, "evilleaf int", NULL, NULL), SZTP_E_VERIFY);
	/* another key purpose is another entry: a path again */
	CHECK_RC(verify(t, "rsa int", PKI_OID_KP_CLIENT_AUTH, NULL), SZTP_OK);
	/* a chain that does not verify stores nothing */
	CHECK_RC(verify(t, "fl fake", NULL, NULL), SZTP_E_VERIFY);
	pki_trust_stats(t, &s3);
	CHECK(s3.issuer_hits == 2);
	CHECK(s3.path_verifies == s2.path_verifies + 3);
	CHECK(s3.issuers_stored == 2);
	pki_trust_stats(NULL, &s3);
	CHECK(s3.path_verifies == 0 && s3.issuer_hits == 0);
	pki_trust_free(t);
}

static void *hammer(void *arg)
{
	long wrong = 0;
	int i;

	(void)arg;
	for (i = 0; i < 100; i++) {
		wrong += verify(T, "ec int", NULL, NULL) != SZTP_OK;
		wrong += verify(T, "rsa int", PKI_OID_KP_CLIENT_AUTH, NULL) != SZTP_OK;
		wrong += verify(T, "srv int", PKI_OID_KP_CLIENT_AUTH, NULL) != SZTP_E_VERIFY;
		wrong += verify(T, "evilleaf int", NULL, NULL) != SZTP_E_VERIFY;
		wrong += verify(T, "fl int", NULL, NULL) != SZTP_E_VERIFY;
	}
	return (void *)wrong;
}

int main(void)
{
	struct pki_trust *t = NULL;
	struct sztp_err e = {0};
	char cmd[2048], path[512];
	int round;

	if (fixture_setup("pkicache") != 0)
		return 1;
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && "
		 /* a look-alike: same subject as the real intermediate, own key */
		 "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out fake.key "
		 "2>/dev/null && openssl req -new -x509 -key fake.key -subj "
		 "'/CN=Test Owner Intermediate' -days 30 -extensions ca -config ext.cnf "
		 "-out fake.pem 2>/dev/null && "
		 "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out fl.key "
		 "2>/dev/null && openssl req -new -key fl.key -subj '/CN=Fake Leaf' -out fl.csr "
		 "2>/dev/null && openssl x509 -req -in fl.csr -CA fake.pem -CAkey fake.key "
		 "-CAcreateserial -days 30 -extfile ext.cnf -extensions client -out fl.pem "
		 "2>/dev/null",
		 dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "fixture failed\n");
		return 1;
	}
	test_stats();
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	CHECK_RC(pki_trust_load(path, &t, NULL), SZTP_OK);

	/* twice: the first call takes the full path and caches int, the
	 * second takes the fast path; both must agree */
	for (round = 0; round < 2; round++) {
		CHECK_RC(verify(t, "ec int", NULL, NULL), SZTP_OK);
		CHECK_RC(verify(t, "rsa int", PKI_OID_KP_CLIENT_AUTH, NULL), SZTP_OK);
		memset(&e, 0, sizeof(e));
		CHECK_RC(verify(t, "srv int", PKI_OID_KP_CLIENT_AUTH, &e), SZTP_E_VERIFY);
		CHECK(strstr(e.msg, "key purpose") != NULL);
		/* a leaf of another CA presented with the real intermediate */
		CHECK_RC(verify(t, "evilleaf int", NULL, NULL), SZTP_E_VERIFY);
		/* a leaf of the look-alike intermediate, with and without it */
		CHECK_RC(verify(t, "fl fake", NULL, NULL), SZTP_E_VERIFY);
		CHECK_RC(verify(t, "fl int", NULL, NULL), SZTP_E_VERIFY);
		/* the intermediate alone is not a client leaf of this chain */
		CHECK_RC(verify(t, "fl", NULL, NULL), SZTP_E_VERIFY);
	}
	/* four threads on the fast path at once: the same answers */
	{
		pthread_t th[4];
		void *wrong;
		long total = 0;
		int k;

		T = t;
		for (k = 0; k < 4; k++)
			pthread_create(&th[k], NULL, hammer, NULL);
		for (k = 0; k < 4; k++) {
			pthread_join(th[k], &wrong);
			total += (long)wrong;
		}
		CHECK(total == 0);
	}
	/* a chain that verifies without its second certificate must not make
	 * that certificate trusted: [ec, int, fake] then [fl, fake] */
	CHECK_RC(verify(t, "ec int fake", NULL, NULL), SZTP_OK);
	CHECK_RC(verify(t, "fl fake", NULL, NULL), SZTP_E_VERIFY);
	pki_trust_free(t);
	fixture_teardown();
	return unit_report("test_pki_cache");
}
