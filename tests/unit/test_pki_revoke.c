/*
 * test_pki_revoke.c - lib/pki_revoke.c, the agent's revocation checks of
 * an owner chain: the path from a leaf to a pinned anchor out of an
 * unordered bag, CRL distribution point URIs (certificates minted here
 * with openssl), and a certificate's status in its issuer's CRLs (CRLs
 * from `openssl ca -gencrl`, tests/unit/mkcrls.sh): revoked, good, DER,
 * stale (with and without a clock), another issuer, a look-alike issuer
 * with its own key, not a CRL.
 */
#include <time.h>

#include "fixture.h"
#include "pki.h"
#include "pki_revoke.h"
#include "unit.h"
#include "util.h"

static sztp_bytes cert(const char *name)
{
	sztp_bytes *c = NULL, out = {0};
	size_t n = 0;

	if (pki_pem_certs_read(P(name), &c, &n, NULL) == SZTP_OK && n >= 1)
		sztp_bytes_dup(&out, c[0].data, c[0].len);
	pki_certs_free(c, n);
	return out;
}

static void test_path(void)
{
	sztp_bytes root = cert("root.pem"), in = cert("int.pem"), ec = cert("ec.pem"),
		   rsa = cert("rsa.pem"), evil = cert("evil.pem"), *path = NULL;
	sztp_bytes bag[] = {rsa, root, evil, in, ec};
	struct sztp_err e = {0};
	size_t np = 99;

	CHECK_RC(pki_path_to_anchor(&root, &ec, bag, 5, &path, &np, &e), SZTP_OK);
	CHECK(np == 2 && path && pki_cert_equal(&path[0], &ec) && pki_cert_equal(&path[1], &in));
	pki_certs_free(path, np);
	CHECK_RC(pki_path_to_anchor(&in, &ec, bag, 5, &path, &np, &e), SZTP_OK);
	CHECK(np == 1 && path && pki_cert_equal(&path[0], &ec));
	pki_certs_free(path, np);
	/* the leaf pinned itself: nothing below the anchor */
	CHECK_RC(pki_path_to_anchor(&ec, &ec, bag, 5, &path, &np, &e), SZTP_OK);
	CHECK(np == 0 && path == NULL);
	/* another anchor; the intermediate missing; "Test EC Signer" of Evil
	 * CA has ec's subject but not its issuer */
	CHECK_RC(pki_path_to_anchor(&evil, &ec, bag, 5, &path, &np, &e), SZTP_E_VERIFY);
	CHECK(np == 0 && path == NULL && strstr(e.msg, "no path"));
	CHECK_RC(pki_path_to_anchor(&root, &ec, bag, 3, &path, &np, &e), SZTP_E_VERIFY);
	CHECK_RC(pki_path_to_anchor(&root, &ec, NULL, 0, &path, &np, &e), SZTP_E_VERIFY);
	CHECK_RC(pki_path_to_anchor(&root, &bag[2], bag, 5, &path, &np, &e), SZTP_E_VERIFY);
	sztp_bytes_free(&root);
	sztp_bytes_free(&in);
	sztp_bytes_free(&ec);
	sztp_bytes_free(&rsa);
	sztp_bytes_free(&evil);
}

static void test_uris(void)
{
	char cmd[1024], uris[4][PKI_CRL_URI_MAX];
	sztp_bytes c = {0};

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf '[dp]\\nbasicConstraints=CA:FALSE\\n"
		 "crlDistributionPoints=URI:https://crl.example/int.crl,"
		 "URI:http://crl2.example:8080/b.crl\\n' >dp.cnf && "
		 "openssl req -new -key ec.key -subj /CN=DP -out dp.csr 2>/dev/null && "
		 "openssl x509 -req -in dp.csr -CA int.pem -CAkey int.key -CAcreateserial -days 5 "
		 "-extfile dp.cnf -extensions dp -out dp.pem 2>/dev/null",
		 fixture_dir);
	CHECK(system(cmd) == 0);
	c = cert("dp.pem");
	CHECK(pki_cert_crl_uris(&c, uris, 4) == 2);
	CHECK(!strcmp(uris[0], "https://crl.example/int.crl"));
	CHECK(!strcmp(uris[1], "http://crl2.example:8080/b.crl"));
	CHECK(pki_cert_crl_uris(&c, uris, 1) == 1); /* at most max */
	sztp_bytes_free(&c);
	c = cert("ec.pem");
	CHECK(pki_cert_crl_uris(&c, uris, 4) == 0);
	sztp_bytes_free(&c);
	CHECK(pki_cert_crl_uris(&c, uris, 4) == 0); /* empty: not a certificate */
}

/* The status of leaf (issued by issuer) in the CRL files given. */
static sztp_rc status(const char *leaf, const char *issuer, const char *const *files, size_t n,
		      time_t now, int *revoked, struct sztp_err *e)
{
	sztp_bytes l = cert(leaf), is = cert(issuer), bufs[4] = {{0}};
	size_t i;
	sztp_rc rc;

	for (i = 0; i < n; i++)
		file_read(P(files[i]), 1 << 20, &bufs[i], NULL);
	*revoked = 7;
	memset(e, 0, sizeof(*e));
	rc = pki_crl_status(&l, &is, bufs, n, now, revoked, e);
	for (i = 0; i < n; i++)
		sztp_bytes_free(&bufs[i]);
	sztp_bytes_free(&l);
	sztp_bytes_free(&is);
	return rc;
}

static void test_status(void)
{
	struct sztp_err e;
	time_t now = time(NULL);
	int r;
	const char *ec_crl[] = {"int-ec.crl"}, *der[] = {"int-ec.der"},
		   *empty[] = {"int-empty.crl"}, *stale[] = {"int-ec-stale.crl"},
		   *root_int[] = {"root-int.crl"}, *evil[] = {"evil-ec.crl"},
		   *fake[] = {"fake-int.crl"}, *junk[] = {"notacrl.crl"},
		   *mixed[] = {"notacrl.crl", "evil-ec.crl", "int-empty.crl", "int-ec.crl"};

	CHECK_RC(status("ec.pem", "int.pem", ec_crl, 1, now, &r, &e), SZTP_OK);
	CHECK(r == 1);
	CHECK_RC(status("rsa.pem", "int.pem", ec_crl, 1, now, &r, &e), SZTP_OK);
	CHECK(r == 0); /* the same CRL, another serial */
	CHECK_RC(status("ec.pem", "int.pem", der, 1, now, &r, &e), SZTP_OK);
	CHECK(r == 1);
	CHECK_RC(status("ec.pem", "int.pem", empty, 1, now, &r, &e), SZTP_OK);
	CHECK(r == 0);
	CHECK_RC(status("int.pem", "root.pem", root_int, 1, now, &r, &e), SZTP_OK);
	CHECK(r == 1);
	/* stale: refused with a clock, used without one */
	CHECK_RC(status("ec.pem", "int.pem", stale, 1, now, &r, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "past its nextUpdate") && r == 0);
	CHECK_RC(status("ec.pem", "int.pem", stale, 1, 0, &r, &e), SZTP_OK);
	CHECK(r == 1);
	/* issued "in the future" for a clock set back */
	CHECK_RC(status("ec.pem", "int.pem", ec_crl, 1, 86400, &r, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "in the future"));
	/* not the issuer's CRL: another issuer, a look-alike's own key, junk */
	CHECK_RC(status("ec.pem", "int.pem", evil, 1, now, &r, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "another issuer"));
	CHECK_RC(status("rsa.pem", "int.pem", fake, 1, now, &r, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "signature does not verify"));
	CHECK_RC(status("ec.pem", "int.pem", junk, 1, now, &r, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "not a CRL"));
	CHECK_RC(status("ec.pem", "int.pem", NULL, 0, now, &r, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "none given"));
	/* the first usable CRL decides */
	CHECK_RC(status("ec.pem", "int.pem", mixed, 4, now, &r, &e), SZTP_OK);
	CHECK(r == 0);
	CHECK_RC(status("ec.pem", "int.pem", mixed + 3, 1, now, &r, &e), SZTP_OK);
	CHECK(r == 1);
}

int main(void)
{
	char cmd[512];

	if (fixture_setup("revoke") != 0) {
		fprintf(stderr, "mkpki.sh failed\n");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/unit/mkcrls.sh' '%s' >/dev/null 2>&1",
		 getenv("SZTP_TOP") ? getenv("SZTP_TOP") : ".", fixture_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "mkcrls.sh failed\n");
		unit_failed++;
		return unit_report("test_pki_revoke");
	}
	test_path();
	test_uris();
	test_status();
	fixture_teardown();
	return unit_report("test_pki_revoke");
}
