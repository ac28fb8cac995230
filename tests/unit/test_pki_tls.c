/* Unit tests for the TLS server credentials of lib/pki.c (issue 9):
 * pki_tls_check names the one bad piece (a certificate file holding a
 * key, a key file holding a certificate, a key of another certificate, a
 * priority string GnuTLS refuses or that enables nothing), and a reload
 * that fails keeps the credentials in use while one that works replaces
 * them.  Each listener's credentials are served by their own callback
 * (issue 10: the admin listener next to the device port), and messages
 * name the listener's keys.  The SPKI hash is checked against openssl's. */
#include <stdint.h>

#include <gnutls/abstract.h>

#include "fixture.h"
#include "pki.h"
#include "unit.h"

#define GOOD_PRIO "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

static void fails(const char *what, const char *cert, const char *key, const char *prio,
		  sztp_rc want, const char *msg)
{
	struct sztp_err e = {0};
	sztp_rc rc = pki_tls_check(cert, key, prio, &e);

	if (rc != want || !strstr(e.msg, msg))
		fprintf(stderr, "%s: rc %d '%s', want %d '%s'\n", what, rc, e.msg, want, msg);
	CHECK(rc == want);
	CHECK(strstr(e.msg, msg) != NULL);
}

static void check(void)
{
	struct sztp_err e = {0};
	char k[300], c[300];

	CHECK_RC(pki_tls_check(P("srv.pem"), P("srv.key"), GOOD_PRIO, &e), SZTP_OK);
	snprintf(c, sizeof(c), "tls-cert %s holds a private key", P("srv.key"));
	fails("cert is a key", P("srv.key"), P("srv.key"), GOOD_PRIO, SZTP_E_MALFORMED, c);
	/* a certificate file with a safe mode, named as the key */
	CHECK(
	    system("cp \"$D/srv.pem\" \"$D/srvcert-as-key\" && chmod 600 \"$D/srvcert-as-key\"") ==
	    0);
	snprintf(k, sizeof(k), "tls-key %s holds a certificate", P("srvcert-as-key"));
	fails("key is a cert", P("srv.pem"), P("srvcert-as-key"), GOOD_PRIO, SZTP_E_MALFORMED, k);
	snprintf(k, sizeof(k), "tls-key %s does not match the certificate in tls-cert %s",
		 P("ec.key"), P("srv.pem"));
	fails("mismatch", P("srv.pem"), P("ec.key"), GOOD_PRIO, SZTP_E_MISMATCH, k);
	fails("garbage priority", P("srv.pem"), P("srv.key"), "GARBAGE", SZTP_E_INVALID_VALUE,
	      "tls-priority 'GARBAGE': GnuTLS refuses it");
	fails("no version", P("srv.pem"), P("srv.key"), "NORMAL:-VERS-ALL", SZTP_E_INVALID_VALUE,
	      "tls-priority 'NORMAL:-VERS-ALL'");
	fails("missing cert", P("nope.pem"), P("srv.key"), GOOD_PRIO, SZTP_E_IO, "tls-cert: ");
	fails("missing key", P("srv.pem"), P("nope.key"), GOOD_PRIO, SZTP_E_IO, "tls-key: ");
	CHECK(system("chmod 644 \"$D/srv.key\"") == 0);
	fails("loose key", P("srv.pem"), P("srv.key"), GOOD_PRIO, SZTP_E_PERM, "chmod 600");
	CHECK(system("chmod 600 \"$D/srv.key\"") == 0);
}

static void reload(void)
{
	struct pki_tls_creds *c = NULL;
	struct pki_tls_info a, b;
	struct sztp_err e = {0};

	CHECK_RC(pki_tls_creds_load(P("srv.pem"), P("srv.key"), &c, &e), SZTP_OK);
	pki_tls_creds_info(c, &a);
	CHECK(a.generation == 1 && strstr(a.subject, "Test Server") != NULL);
	CHECK(pki_tls_creds_callback(c) != NULL);
	/* a bad pair: refused, the credentials in use stay */
	CHECK_RC(pki_tls_creds_reload(c, P("srv.pem"), P("ec.key"), &e), SZTP_E_MISMATCH);
	pki_tls_creds_info(c, &b);
	CHECK(b.generation == 1 && memcmp(a.sha256, b.sha256, 32) == 0);
	/* a good one: replaced */
	CHECK_RC(pki_tls_creds_reload(c, P("ec.pem"), P("ec.key"), &e), SZTP_OK);
	pki_tls_creds_info(c, &b);
	CHECK(b.generation == 2 && memcmp(a.sha256, b.sha256, 32) != 0);
	CHECK(strstr(b.subject, "Test EC Signer") != NULL);
	CHECK_RC(pki_tls_creds_reload(c, P("srv.pem"), P("srv.key"), &e), SZTP_OK);
	pki_tls_creds_info(c, &b);
	CHECK(b.generation == 3 && memcmp(a.sha256, b.sha256, 32) == 0);
	pki_tls_creds_free(c);
	CHECK_RC(pki_tls_creds_load(P("srv.pem"), P("ec.key"), &c, &e), SZTP_E_MISMATCH);
	CHECK(c == NULL);
}

/* The leaf a slot's callback hands to GnuTLS is the one of the object it
 * was asked for. */
static int serves(pki_fnptr fn, const char *pem)
{
	gnutls_certificate_retrieve_function2 *f = (gnutls_certificate_retrieve_function2 *)fn;
	gnutls_pcert_st *pc = NULL;
	gnutls_privkey_t key = NULL;
	unsigned n = 0;
	sztp_bytes *certs = NULL;
	size_t nc = 0;
	int ok;

	if (!f || f(NULL, NULL, 0, NULL, 0, &pc, &n, &key) != 0 || !n || !key)
		return 0;
	if (pki_pem_certs_read(pem, &certs, &nc, NULL) != SZTP_OK)
		return 0;
	ok = pc[0].cert.size == certs[0].len &&
	     !memcmp(pc[0].cert.data, certs[0].data, certs[0].len);
	pki_certs_free(certs, nc);
	return ok;
}

static void slots(void)
{
	struct pki_tls_creds *c[PKI_TLS_SLOTS + 1] = {NULL};
	pki_fnptr fn[PKI_TLS_SLOTS + 1];
	struct sztp_err e = {0};
	char k[400];
	int i;

	CHECK_RC(pki_tls_creds_load(P("srv.pem"), P("srv.key"), &c[0], &e), SZTP_OK);
	CHECK_RC(pki_tls_creds_load_named("admin", P("ec.pem"), P("ec.key"), &c[1], &e), SZTP_OK);
	fn[0] = pki_tls_creds_callback(c[0]);
	fn[1] = pki_tls_creds_callback(c[1]);
	CHECK(fn[0] && fn[1] && fn[0] != fn[1]);
	CHECK(pki_tls_creds_callback(c[0]) == fn[0]); /* two listeners may share one */
	CHECK(serves(fn[0], P("srv.pem")));
	CHECK(serves(fn[1], P("ec.pem")));
	/* a reload of one changes what its slot serves, not the other's */
	CHECK_RC(pki_tls_creds_reload(c[1], P("srv.pem"), P("srv.key"), &e), SZTP_OK);
	CHECK(serves(fn[1], P("srv.pem")) && serves(fn[0], P("srv.pem")));
	/* named: the messages say which listener's keys, on a reload too */
	snprintf(k, sizeof(k), "admin-key %s does not match the certificate in admin-cert %s",
		 P("ec.key"), P("srv.pem"));
	CHECK_RC(pki_tls_creds_reload(c[1], P("srv.pem"), P("ec.key"), &e), SZTP_E_MISMATCH);
	CHECK(strstr(e.msg, k) != NULL);
	CHECK_RC(pki_tls_creds_reload(c[1], P("nope.pem"), P("ec.key"), &e), SZTP_E_IO);
	CHECK(strstr(e.msg, "admin-cert: ") != NULL);
	/* every slot taken: no callback rather than another object's */
	for (i = 2; i <= PKI_TLS_SLOTS; i++) {
		CHECK_RC(pki_tls_creds_load(P("srv.pem"), P("srv.key"), &c[i], &e), SZTP_OK);
		fn[i] = pki_tls_creds_callback(c[i]);
	}
	CHECK(fn[PKI_TLS_SLOTS - 1] != NULL && fn[PKI_TLS_SLOTS] == NULL);
	/* freeing gives the slot back; a freed object is never served */
	pki_tls_creds_free(c[1]);
	c[1] = NULL;
	CHECK(serves(fn[1], P("srv.pem")) == 0);
	CHECK(pki_tls_creds_callback(c[PKI_TLS_SLOTS]) == fn[1]);
	for (i = 0; i <= PKI_TLS_SLOTS; i++)
		pki_tls_creds_free(c[i]);
}

/* pki_cert_spki_sha256 == sha256(openssl's DER SubjectPublicKeyInfo) */
static void spki(void)
{
	uint8_t h[32];
	sztp_bytes *certs = NULL;
	size_t n = 0, i;
	char hex[65], cmd[512], want[80] = "";
	FILE *f;

	CHECK_RC(pki_pem_certs_read(P("idevid.pem"), &certs, &n, NULL), SZTP_OK);
	CHECK_RC(pki_cert_spki_sha256(&certs[0], h, NULL), SZTP_OK);
	pki_certs_free(certs, n);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	snprintf(cmd, sizeof(cmd),
		 "openssl x509 -in '%s' -noout -pubkey | openssl pkey -pubin -outform DER | "
		 "openssl dgst -sha256 -r | cut -c1-64",
		 P("idevid.pem"));
	f = popen(cmd, "r");
	CHECK(f != NULL);
	if (f) {
		if (!fgets(want, sizeof(want), f))
			want[0] = '\0';
		pclose(f);
	}
	want[strcspn(want, "\n")] = '\0';
	if (strcmp(hex, want))
		fprintf(stderr, "spki: %s, openssl %s\n", hex, want);
	CHECK(strcmp(hex, want) == 0);
}

int main(void)
{
	if (fixture_setup("pkitls") != 0) {
		fprintf(stderr, "mkpki.sh failed\n");
		return 1;
	}
	setenv("D", fixture_dir, 1);
	check();
	reload();
	slots();
	spki();
	fixture_teardown();
	return unit_report("test_pki_tls");
}
