/* Unit tests for pki.c: PEM lists, serial numbers, keyUsage, key files,
 * signers, chain verification and the peer chain of a real TLS session,
 * against a PKI minted by tests/unit/mkpki.sh. */
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "unit.h"
#include "pki.h"
#include "util.h"

#include "fixture.h"

#define dir fixture_dir

static int setup(void)
{
	return fixture_setup("pki");
}

static void teardown(void)
{
	fixture_teardown();
}

static void load(const char *name, sztp_bytes **c, size_t *n)
{
	CHECK_RC(pki_pem_certs_read(P(name), c, n, NULL), SZTP_OK);
}

static void test_pem(void)
{
	sztp_bytes *c = NULL, *leaf = NULL, *again = NULL;
	size_t n = 0, nl = 0, na = 0;
	sztp_bytes f = {0};
	struct sztp_err e = {0};
	char *pem = NULL, *bad;

	load("ec-chain.pem", &c, &n);
	load("ec.pem", &leaf, &nl);
	CHECK(n == 2 && nl == 1);
	CHECK(n == 2 && pki_cert_equal(&c[0], &leaf[0]));
	CHECK(n == 2 && !pki_cert_equal(&c[1], &leaf[0]));
	CHECK_RC(pki_certs_to_pem(c, n, &pem, NULL), SZTP_OK);
	CHECK_RC(pki_pem_certs_parse(pem, strlen(pem), &again, &na, NULL), SZTP_OK);
	CHECK(na == 2 && pki_cert_equal(&again[0], &c[0]) && pki_cert_equal(&again[1], &c[1]));
	pki_certs_free(again, na);

	/* garbage, truncated, bad base64, not a certificate, oversized */
	CHECK_RC(pki_pem_certs_parse("hello world", 11, &again, &na, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "no CERTIFICATE") != NULL);
	CHECK(again == NULL && na == 0);
	CHECK_RC(pki_pem_certs_parse(pem, strlen(pem) - 40, &again, &na, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "#2") && strstr(e.msg, "truncated"));
	CHECK(again == NULL);
	bad = strdup(pem);
	bad[40] = '#';
	CHECK_RC(pki_pem_certs_parse(bad, strlen(bad), &again, &na, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "#1") != NULL);
	free(bad);
	{
		const char *notcert = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n"
				      "-----END CERTIFICATE-----\n";
		CHECK_RC(pki_pem_certs_parse(notcert, strlen(notcert), &again, &na, &e),
			 SZTP_E_MALFORMED);
		CHECK(strstr(e.msg, "not a valid X.509") != NULL);
	}
	{
		size_t big = 2 * 1024 * 1024;
		char *huge = calloc(1, big);
		CHECK_RC(pki_pem_certs_parse(huge, big, &again, &na, NULL), SZTP_E_TOO_BIG);
		free(huge);
	}
	/* a key file holds no certificate */
	CHECK_RC(pki_pem_certs_read(P("ec.key"), &again, &na, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "ec.key") != NULL);
	CHECK_RC(pki_pem_certs_read(P("nonexistent.pem"), &again, &na, NULL), SZTP_E_IO);

	/* truncated DER certificate */
	{
		sztp_bytes t = {c[0].data, c[0].len - 1};
		char s[64];
		CHECK_RC(pki_cert_serial_number(&t, s, sizeof(s), NULL), SZTP_E_MALFORMED);
	}
	free(pem);
	sztp_bytes_free(&f);
	pki_certs_free(c, n);
	pki_certs_free(leaf, nl);
}

static void test_cert_fields(void)
{
	sztp_bytes *c = NULL, *ns = NULL, *ec = NULL, *in = NULL, aki = {0};
	size_t n = 0, nn = 0, ne = 0, ni = 0;
	struct sztp_err e = {0};
	char s[PKI_SERIAL_MAX];
	time_t nb = 0, na = 0;

	load("idevid.pem", &c, &n);
	load("noserial.pem", &ns, &nn);
	load("ec.pem", &ec, &ne);
	load("int.pem", &in, &ni);
	CHECK_RC(pki_cert_serial_number(&c[0], s, sizeof(s), NULL), SZTP_OK);
	CHECK(!strcmp(s, "SN-0001234"));
	CHECK_RC(pki_cert_serial_number(&c[0], s, 5, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(pki_cert_serial_number(&ns[0], s, sizeof(s), &e), SZTP_E_NOT_FOUND);
	CHECK(s[0] == '\0' && strstr(e.msg, "serialNumber") != NULL);

	CHECK_RC(pki_cert_validity(&ec[0], &nb, &na, NULL), SZTP_OK);
	CHECK(na - nb == 365 * 86400);
	CHECK(nb <= time(NULL) && nb > time(NULL) - 3600);

	CHECK_RC(pki_cert_subject(&ec[0], s, sizeof(s), NULL), SZTP_OK);
	CHECK(strstr(s, "CN=Test EC Signer") != NULL);

	/* AKI of the leaf is the SKI of the intermediate */
	CHECK_RC(pki_cert_aki(&ec[0], &aki, NULL), SZTP_OK);
	CHECK(aki.len == 20);
	{
		gnutls_x509_crt_t crt;
		gnutls_datum_t d = {in[0].data, (unsigned)in[0].len};
		unsigned char ski[64];
		size_t sl = sizeof(ski);
		gnutls_x509_crt_init(&crt);
		gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
		CHECK(gnutls_x509_crt_get_subject_key_id(crt, ski, &sl, NULL) == 0);
		CHECK(sl == aki.len && !memcmp(ski, aki.data, sl));
		gnutls_x509_crt_deinit(crt);
	}
	sztp_bytes_free(&aki);
	pki_certs_free(c, n);
	pki_certs_free(ns, nn);
	pki_certs_free(ec, ne);
	pki_certs_free(in, ni);
}

static void test_key_files(void)
{
	sztp_bytes *ec = NULL, *rsa = NULL;
	size_t ne = 0, nr = 0;
	struct sztp_err e = {0};
	struct pki_signer *s = NULL;

	load("ec.pem", &ec, &ne);
	load("rsa.pem", &rsa, &nr);
	CHECK_RC(pki_key_file_check(P("ec.key"), NULL), SZTP_OK);
	chmod(P("ec.key"), 0644);
	CHECK_RC(pki_key_file_check(P("ec.key"), &e), SZTP_E_PERM);
	CHECK(strstr(e.msg, P("ec.key")) && strstr(e.msg, "0644"));
	CHECK_RC(pki_key_matches_cert(P("ec.key"), &ec[0], NULL), SZTP_E_PERM);
	CHECK_RC(pki_signer_load(P("ec.key"), P("ec-chain.pem"), &s, &e), SZTP_E_PERM);
	CHECK(s == NULL);
	chmod(P("ec.key"), 0640);
	CHECK_RC(pki_key_file_check(P("ec.key"), &e), SZTP_E_PERM);
	CHECK(strstr(e.msg, "0640") != NULL);
	chmod(P("ec.key"), 0600);
	CHECK_RC(pki_key_file_check(dir, &e), SZTP_E_PERM);
	CHECK(strstr(e.msg, "not a regular file") != NULL);
	CHECK_RC(pki_key_file_check(P("missing.key"), &e), SZTP_E_IO);

	CHECK_RC(pki_key_matches_cert(P("ec.key"), &ec[0], NULL), SZTP_OK);
	CHECK_RC(pki_key_matches_cert(P("ec.trad.key"), &ec[0], NULL), SZTP_OK);
	CHECK_RC(pki_key_matches_cert(P("ec.der.key"), &ec[0], NULL), SZTP_OK);
	CHECK_RC(pki_key_matches_cert(P("rsa.trad.key"), &rsa[0], NULL), SZTP_OK);
	CHECK_RC(pki_key_matches_cert(P("ec.key"), &rsa[0], &e), SZTP_E_MISMATCH);
	CHECK(strstr(e.msg, "Test RSA Signer") != NULL);
	CHECK_RC(pki_key_matches_cert(P("evilleaf.key"), &ec[0], NULL), SZTP_E_MISMATCH);
	CHECK_RC(pki_key_matches_cert(P("ec.pem"), &ec[0], &e), SZTP_E_MALFORMED); /* not a key */
	CHECK(strstr(e.msg, "private key does not parse") != NULL);
	pki_certs_free(ec, ne);
	pki_certs_free(rsa, nr);
}

/* Verify sig over data with the public key of cert. */
static int sig_ok(const sztp_bytes *cert, int rsa, const char *data, const sztp_bytes *sig)
{
	gnutls_x509_crt_t crt;
	gnutls_pubkey_t pk;
	gnutls_datum_t d = {cert->data, (unsigned)cert->len};
	gnutls_datum_t m = {(unsigned char *)data, (unsigned)strlen(data)};
	gnutls_datum_t sg = {sig->data, (unsigned)sig->len};
	int r;

	gnutls_x509_crt_init(&crt);
	gnutls_pubkey_init(&pk);
	gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
	gnutls_pubkey_import_x509(pk, crt, 0);
	r = gnutls_pubkey_verify_data2(pk, rsa ? GNUTLS_SIGN_RSA_SHA256 : GNUTLS_SIGN_ECDSA_SHA256,
				       0, &m, &sg);
	gnutls_pubkey_deinit(pk);
	gnutls_x509_crt_deinit(crt);
	return r >= 0;
}

static void test_signers(void)
{
	static const struct {
		const char *key, *chain;
		int rsa;
	} ok[] = {{"ec.key", "ec-chain.pem", 0},
		  {"ec.trad.key", "ec-chain.pem", 0},
		  {"ec.der.key", "ec-chain.pem", 0},
		  {"rsa.key", "rsa-chain.pem", 1},
		  {"rsa.trad.key", "rsa-chain.pem", 1}};
	struct sztp_err e = {0};
	size_t i, n;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct pki_signer *s = NULL;
		sztp_bytes sig = {0};
		const sztp_bytes *ch;
		int is_rsa = -1;
		CHECK_RC(pki_signer_load(P(ok[i].key), P(ok[i].chain), &s, &e), SZTP_OK);
		if (!s)
			continue;
		ch = pki_signer_chain(s, &n);
		CHECK(n == 2);
		CHECK_RC(pki_signer_sign(s, (const uint8_t *)"data", 4, &sig, &is_rsa, NULL),
			 SZTP_OK);
		CHECK(is_rsa == ok[i].rsa);
		CHECK(sig_ok(&ch[0], ok[i].rsa, "data", &sig));
		CHECK(!sig_ok(&ch[0], ok[i].rsa, "date", &sig));
		sztp_bytes_free(&sig);
		pki_signer_free(s);
	}
	{
		struct pki_signer *s = NULL;
		CHECK_RC(pki_signer_load(P("ec.key"), P("rsa-chain.pem"), &s, &e), SZTP_E_MISMATCH);
		CHECK(s == NULL && strstr(e.msg, "does not belong") != NULL);
		CHECK_RC(pki_signer_load(P("ec-chain.pem"), P("ec-chain.pem"), &s, &e),
			 SZTP_E_MALFORMED); /* a certificate file given as the key */
		CHECK(s == NULL && strstr(e.msg, "ec-chain.pem") != NULL);
	}
	{
		struct pki_signer *s = NULL;
		const char garbage[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
		sztp_bytes *c = NULL;
		size_t nc = 0;
		load("ec-chain.pem", &c, &nc);
		CHECK_RC(pki_signer_from_mem((const uint8_t *)garbage, sizeof(garbage) - 1, c, nc,
					     &s, &e),
			 SZTP_E_MALFORMED);
		CHECK_RC(pki_signer_from_mem((const uint8_t *)garbage, 5, c, 0, &s, &e),
			 SZTP_E_MALFORMED);
		pki_certs_free(c, nc);
		pki_signer_free(NULL);
	}
}

/* Mint a certificate issued by int that expired in 2020 (openssl 3.0's
 * x509 command cannot set past validity dates). */
static void mint_expired(sztp_bytes *out)
{
	gnutls_x509_crt_t ca, crt;
	gnutls_x509_privkey_t cak, k;
	sztp_bytes *c = NULL, key = {0};
	gnutls_datum_t d, o = {NULL, 0};
	size_t n = 0;

	load("int.pem", &c, &n);
	CHECK_RC(file_read(P("int.key"), 65536, &key, NULL), SZTP_OK);
	gnutls_x509_crt_init(&ca);
	gnutls_x509_crt_init(&crt);
	gnutls_x509_privkey_init(&cak);
	gnutls_x509_privkey_init(&k);
	d.data = c[0].data;
	d.size = (unsigned)c[0].len;
	gnutls_x509_crt_import(ca, &d, GNUTLS_X509_FMT_DER);
	d.data = key.data;
	d.size = (unsigned)key.len;
	CHECK(gnutls_x509_privkey_import2(cak, &d, GNUTLS_X509_FMT_PEM, NULL, 0) == 0);
	CHECK(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
					   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) == 0);
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, "\x01\x02", 2);
	gnutls_x509_crt_set_dn(crt, "CN=Expired Signer", NULL);
	gnutls_x509_crt_set_activation_time(crt, 1577836800);  /* 2020-01-01 */
	gnutls_x509_crt_set_expiration_time(crt, 1577923200);  /* 2020-01-02 */
	gnutls_x509_crt_set_key(crt, k);
	gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	CHECK(gnutls_x509_crt_sign2(crt, ca, cak, GNUTLS_DIG_SHA256, 0) == 0);
	CHECK(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &o) == 0);
	sztp_bytes_dup(out, o.data, o.size);
	gnutls_free(o.data);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(cak);
	gnutls_x509_privkey_deinit(k);
	sztp_bytes_wipe(&key);
	pki_certs_free(c, n);
}

static void test_verify(void)
{
	struct pki_trust *root = NULL, *vendor = NULL;
	sztp_bytes *ec = NULL, *evil = NULL, *srv = NULL, *idev = NULL, *in = NULL;
	size_t ne = 0, nv = 0, ns = 0, ni = 0, nin = 0;
	struct sztp_err e = {0};
	time_t now = time(NULL);

	CHECK_RC(pki_trust_load(P("root.pem"), &root, NULL), SZTP_OK);
	CHECK_RC(pki_trust_load(P("vendor.pem"), &vendor, NULL), SZTP_OK);
	pki_trust_free(vendor);
	CHECK_RC(pki_trust_load(P("ec.key"), &vendor, &e), SZTP_E_MALFORMED);
	CHECK(vendor == NULL);
	CHECK_RC(pki_trust_load(P("vendor.pem"), &vendor, NULL), SZTP_OK);
	load("ec-chain.pem", &ec, &ne);
	load("evilleaf.pem", &evil, &nv);
	load("srv-chain.pem", &srv, &ns);
	load("idevid.pem", &idev, &ni);
	load("int.pem", &in, &nin);

	CHECK_RC(pki_trust_verify(root, ec, ne, NULL, 0, &e), SZTP_OK);
	CHECK_RC(pki_trust_verify(root, ec, ne, NULL, now, &e), SZTP_OK);
	CHECK_RC(pki_trust_verify(root, ec, 1, NULL, 0, &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "issuer is unknown") && strstr(e.msg, "Test EC Signer"));
	CHECK_RC(pki_trust_verify(vendor, ec, ne, NULL, 0, &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "issuer is unknown") != NULL);
	CHECK_RC(pki_trust_verify(root, evil, nv, NULL, 0, &e), SZTP_E_VERIFY);
	/* evil leaf with the good intermediate appended: still unknown issuer */
	{
		sztp_bytes two[2] = {evil[0], in[0]};
		CHECK_RC(pki_trust_verify(root, two, 2, NULL, 0, &e), SZTP_E_VERIFY);
	}
	/* the intermediate itself verifies; the root as a leaf too */
	CHECK_RC(pki_trust_verify(root, in, 1, NULL, 0, &e), SZTP_OK);

	/* time */
	CHECK_RC(pki_trust_verify(root, ec, ne, NULL, now + 2 * 365 * 86400, &e), SZTP_E_EXPIRED);
	CHECK(strstr(e.msg, "certificate expired") != NULL);
	CHECK_RC(pki_trust_verify(root, ec, ne, NULL, 946684800 /* 2000 */, &e), SZTP_E_EXPIRED);
	CHECK(strstr(e.msg, "not yet activated") != NULL);
	/* root expires after 10 years, leaf after 1: 5 years out the leaf fails first */
	CHECK_RC(pki_trust_verify(root, in, 1, NULL, now + 5 * 365 * 86400, &e), SZTP_E_EXPIRED);
	CHECK(strstr(e.msg, "Intermediate") != NULL);
	CHECK_RC(pki_trust_verify(root, in, 1, NULL, now + 300 * 86400, &e), SZTP_OK);
	/* an anchor that has expired by `now`: int (365 d) under root (3650 d):
	 * at now+11y the root itself is out of its window */
	CHECK_RC(pki_trust_verify(root, in, 1, NULL, now + 11 * 365 * 86400, &e),
		 SZTP_E_EXPIRED);
	{
		sztp_bytes exp = {0};
		mint_expired(&exp);
		sztp_bytes two[2] = {exp, in[0]};
		CHECK_RC(pki_trust_verify(root, two, 2, NULL, 0, &e), SZTP_E_EXPIRED);
		CHECK(strstr(e.msg, "certificate expired") && strstr(e.msg, "Expired Signer"));
		/* inside the leaf's window but before the intermediate's */
		CHECK_RC(pki_trust_verify(root, two, 2, NULL, 1577880000, &e), SZTP_E_EXPIRED);
		CHECK(strstr(e.msg, "Intermediate") && strstr(e.msg, "not yet activated"));
		sztp_bytes_free(&exp);
	}

	/* key purpose */
	CHECK_RC(pki_trust_verify(root, srv, ns, PKI_OID_KP_CLIENT_AUTH, 0, &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "key purpose mismatch") != NULL);
	CHECK_RC(pki_trust_verify(root, srv, ns, PKI_OID_KP_SERVER_AUTH, 0, &e), SZTP_OK);
	CHECK_RC(pki_trust_verify(root, srv, ns, NULL, 0, &e), SZTP_OK);
	CHECK_RC(pki_trust_verify(vendor, idev, ni, PKI_OID_KP_CLIENT_AUTH, 0, &e), SZTP_OK);
	CHECK_RC(pki_trust_verify(vendor, idev, ni, PKI_OID_KP_SERVER_AUTH, 0, &e),
		 SZTP_E_VERIFY);
	CHECK_RC(pki_trust_verify(root, ec, ne, PKI_OID_KP_CLIENT_AUTH, 0, &e), SZTP_OK); /* no EKU */

	/* hostile input */
	{
		sztp_bytes junk = {(uint8_t *)"\x30\x03\x02\x01\x01", 5};
		CHECK_RC(pki_trust_verify(root, &junk, 1, NULL, 0, &e), SZTP_E_MALFORMED);
		CHECK_RC(pki_trust_verify(root, ec, 0, NULL, 0, &e), SZTP_E_MALFORMED);
		CHECK_RC(pki_trust_verify(NULL, ec, ne, NULL, 0, &e), SZTP_E_NOT_FOUND);
		struct pki_trust *none = NULL;
		CHECK_RC(pki_trust_from_der(&junk, 1, &none, &e), SZTP_E_MALFORMED);
		CHECK(none == NULL);
	}
	pki_trust_free(root);
	pki_trust_free(vendor);
	pki_trust_free(NULL);
	pki_certs_free(ec, ne);
	pki_certs_free(evil, nv);
	pki_certs_free(srv, ns);
	pki_certs_free(idev, ni);
	pki_certs_free(in, nin);
}

/* keyUsage bits as pki_cert_key_usage reports them. */
static void test_key_usage(void)
{
	sztp_bytes *ec = NULL, *in = NULL, *nk = NULL, bad = {(uint8_t *)"junk", 4};
	size_t ne = 0, ni = 0, nn = 0;
	struct sztp_err e = {0};
	unsigned ku = 99;
	int crit = 99;
	char cmd[1024];

	load("ec.pem", &ec, &ne);
	load("int.pem", &in, &ni);
	CHECK_RC(pki_cert_key_usage(&ec[0], &ku, &crit, NULL), SZTP_OK);
	CHECK(ku == PKI_KU_DIGITAL_SIGNATURE && crit == 1);
	CHECK_RC(pki_cert_key_usage(&in[0], &ku, &crit, NULL), SZTP_OK);
	CHECK(ku == (PKI_KU_KEY_CERT_SIGN | PKI_KU_CRL_SIGN) && crit == 1);
	/* a certificate without the extension */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf '[req]\ndistinguished_name=dn\n[dn]\n[noku]\n"
		 "basicConstraints=CA:FALSE\n' > noku.cnf && openssl req -new -x509 -key ec.key "
		 "-subj /CN=NoKU -days 30 -config noku.cnf -extensions noku -out noku.pem "
		 "2>/dev/null",
		 dir);
	CHECK(system(cmd) == 0);
	load("noku.pem", &nk, &nn);
	if (nk) {
		CHECK_RC(pki_cert_key_usage(&nk[0], &ku, &crit, &e), SZTP_E_NOT_FOUND);
		CHECK(ku == 0 && crit == 0 && strstr(e.msg, "keyUsage") != NULL);
	}
	ku = 99;
	crit = 99;
	CHECK_RC(pki_cert_key_usage(&bad, &ku, &crit, NULL), SZTP_E_MALFORMED);
	CHECK(ku == 0 && crit == 0);
	pki_certs_free(ec, ne);
	pki_certs_free(in, ni);
	pki_certs_free(nk, nn);
}

/* ---- the peer chain of a TLS session ---------------------------------- */

struct tls_end {
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
	int rc;
};

static void *handshake(void *arg)
{
	struct tls_end *x = arg;
	int r;

	do
		r = gnutls_handshake(x->s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	x->rc = r;
	return NULL;
}

/* One end on fd; with cert/key it presents that chain. */
static void tls_end_init(struct tls_end *x, unsigned flags, int fd, const char *cert,
			 const char *key)
{
	memset(x, 0, sizeof(*x));
	CHECK(gnutls_certificate_allocate_credentials(&x->cred) == 0);
	if (cert)
		CHECK(gnutls_certificate_set_x509_key_file(x->cred, P(cert), P(key),
							   GNUTLS_X509_FMT_PEM) == 0);
	CHECK(gnutls_init(&x->s, flags) == 0);
	CHECK(gnutls_set_default_priority(x->s) == 0);
	CHECK(gnutls_credentials_set(x->s, GNUTLS_CRD_CERTIFICATE, x->cred) == 0);
	if (flags & GNUTLS_SERVER)
		gnutls_certificate_server_set_request(x->s, GNUTLS_CERT_REQUEST);
	gnutls_transport_set_int(x->s, fd);
}

static void tls_end_free(struct tls_end *x)
{
	gnutls_deinit(x->s);
	gnutls_certificate_free_credentials(x->cred);
}

/* Handshake a server (ec-chain.pem) with a client presenting client_cert
 * (NULL: none); returns the server end, which the caller frees. */
static int tls_pair(struct tls_end *srv, const char *client_cert, const char *client_key)
{
	struct tls_end cli;
	pthread_t th;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	tls_end_init(srv, GNUTLS_SERVER, sv[0], "ec-chain.pem", "ec.key");
	tls_end_init(&cli, GNUTLS_CLIENT, sv[1], client_cert, client_key);
	pthread_create(&th, NULL, handshake, srv);
	handshake(&cli);
	pthread_join(th, NULL);
	tls_end_free(&cli);
	close(sv[1]);
	close(sv[0]); /* the session keeps what it received */
	return srv->rc == 0 && cli.rc == 0 ? 0 : -1;
}

static void test_tls_peer_chain(void)
{
	sztp_bytes *want = NULL, got[4];
	struct tls_end srv;
	size_t nw = 0;

	load("rsa-chain.pem", &want, &nw);
	CHECK(nw == 2);
	CHECK(pki_tls_peer_chain(NULL, got, 4) == 0);
	CHECK(tls_pair(&srv, "rsa-chain.pem", "rsa.key") == 0);
	CHECK(pki_tls_peer_chain(srv.s, got, 4) == 2);
	CHECK(pki_cert_equal(&got[0], &want[0])); /* leaf first, as sent */
	CHECK(pki_cert_equal(&got[1], &want[1]));
	memset(got, 0, sizeof(got));
	CHECK(pki_tls_peer_chain(srv.s, got, 1) == 1); /* capped at max */
	CHECK(pki_cert_equal(&got[0], &want[0]) && got[1].data == NULL);
	CHECK(pki_tls_peer_chain(srv.s, got, 0) == 0);
	tls_end_free(&srv);
	/* a client without a certificate (HTTP Basic devices) */
	CHECK(tls_pair(&srv, NULL, NULL) == 0);
	CHECK(pki_tls_peer_chain(srv.s, got, 4) == 0);
	tls_end_free(&srv);
	pki_certs_free(want, nw);
}

/* Concurrent verification on one shared trust object (sztpd's threads). */
struct thr {
	const struct pki_trust *t;
	sztp_bytes *good, *bad;
	size_t ng, nb;
	int errors;
};

static void *thr_run(void *arg)
{
	struct thr *a = arg;
	int i;

	for (i = 0; i < 300; i++) {
		struct sztp_err e;
		if (pki_trust_verify(a->t, a->good, a->ng, NULL, 0, &e) != SZTP_OK)
			a->errors++;
		if (pki_trust_verify(a->t, a->bad, a->nb, NULL, 0, &e) != SZTP_E_VERIFY)
			a->errors++;
	}
	return NULL;
}

static void test_threads(void)
{
	struct pki_trust *root = NULL;
	struct thr a[4];
	pthread_t th[4];
	sztp_bytes *ec = NULL, *evil = NULL;
	size_t ne = 0, nv = 0;
	int i, errors = 0;

	CHECK_RC(pki_trust_load(P("root.pem"), &root, NULL), SZTP_OK);
	load("ec-chain.pem", &ec, &ne);
	load("evilleaf.pem", &evil, &nv);
	for (i = 0; i < 4; i++) {
		a[i] = (struct thr){root, ec, evil, ne, nv, 0};
		pthread_create(&th[i], NULL, thr_run, &a[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		errors += a[i].errors;
	}
	CHECK(errors == 0);
	pki_trust_free(root);
	pki_certs_free(ec, ne);
	pki_certs_free(evil, nv);
}

int main(void)
{
	if (setup() != 0) {
		fprintf(stderr, "mkpki.sh failed\n");
		CHECK(0);
		return unit_report("test_pki");
	}
	test_pem();
	test_cert_fields();
	test_key_usage();
	test_key_files();
	test_signers();
	test_verify();
	test_threads();
	test_tls_peer_chain();
	teardown();
	return unit_report("test_pki");
}
