/* Unit tests for two server certificates on one listener (issue 13,
 * lib/pki_tls.c): the configuration errors (half a pair, two keys of one
 * type, a key of another certificate, a key neither ECDSA nor RSA) with
 * their messages; what pki_tls_check_files and pki_tls_creds_info report
 * of both pairs; and real GnuTLS handshakes over a socketpair, a client
 * session with a chosen priority against a server session served by the
 * credentials' callback: which key the client is given (ECDSA by default,
 * RSA for an RSA-only client: signature algorithms, TLS 1.2 cipher suites,
 * TLS 1.3 RSA-PSS), the signature scheme GnuTLS then signs with, that the
 * TLS 1.2 cipher-suite part needs the ClientHello hook, a reload, and the
 * counts of handshakes given each key. */
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "fixture.h"
#include "pki.h"
#include "unit.h"

#define SERVER_PRIO "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* The fixture's files, copied once (P() reuses its buffers, and a
 * struct pki_tls_files keeps the pointers). */
static char srv_pem[256], srv_key[256], rsa_pem[256], rsa_key[256], ec_pem[256], ec_key[256],
    ed_pem[256], ed_key[256], nope_key[256], rsa1k_pem[256], rsa1k_key[256];

static void paths(void)
{
	snprintf(srv_pem, sizeof(srv_pem), "%s", P("srv.pem"));
	snprintf(srv_key, sizeof(srv_key), "%s", P("srv.key"));
	snprintf(rsa_pem, sizeof(rsa_pem), "%s", P("rsa.pem"));
	snprintf(rsa_key, sizeof(rsa_key), "%s", P("rsa.key"));
	snprintf(ec_pem, sizeof(ec_pem), "%s", P("ec.pem"));
	snprintf(ec_key, sizeof(ec_key), "%s", P("ec.key"));
	snprintf(ed_pem, sizeof(ed_pem), "%s", P("ed.pem"));
	snprintf(ed_key, sizeof(ed_key), "%s", P("ed.key"));
	snprintf(nope_key, sizeof(nope_key), "%s", P("nope.key"));
	snprintf(rsa1k_pem, sizeof(rsa1k_pem), "%s", P("rsa1k.pem"));
	snprintf(rsa1k_key, sizeof(rsa1k_key), "%s", P("rsa1k.key"));
}

static void fails(const char *what, const struct pki_tls_files *f, sztp_rc want, const char *msg)
{
	struct sztp_err e = {0};
	struct pki_tls_creds *c = NULL;
	sztp_rc rc = pki_tls_check_files(f, NULL, &e);

	if (rc != want || !strstr(e.msg, msg))
		fprintf(stderr, "%s: rc %d '%s', want %d '%s'\n", what, rc, e.msg, want, msg);
	CHECK(rc == want);
	CHECK(strstr(e.msg, msg) != NULL);
	/* loading for a listener refuses it alike */
	CHECK_RC(pki_tls_creds_open("tls", f, &c, &e), want);
	CHECK(c == NULL);
}

static void config_errors(void)
{
	struct pki_tls_files f = {srv_pem, srv_key, rsa_pem, NULL, SERVER_PRIO};
	struct pki_tls_info in;
	struct sztp_err e = {0};
	char m[1400];

	fails("cert without key", &f, SZTP_E_INVALID_VALUE,
	      "tls-alt-cert is set but tls-alt-key is not: a second server certificate needs "
	      "both (or neither)");
	f.alt_cert = NULL;
	f.alt_key = rsa_key;
	fails("key without cert", &f, SZTP_E_INVALID_VALUE,
	      "tls-alt-key is set but tls-alt-cert is not: a second server certificate needs "
	      "both (or neither)");
	f.alt_cert = ec_pem;
	f.alt_key = ec_key;
	snprintf(m, sizeof(m),
		 "tls-alt-cert %s has an ECDSA key like tls-cert %s: the second server "
		 "certificate must have the other key type (one ECDSA, one RSA)",
		 ec_pem, srv_pem);
	fails("two ECDSA", &f, SZTP_E_INVALID_VALUE, m);
	f.alt_cert = rsa_pem;
	f.alt_key = ec_key;
	snprintf(m, sizeof(m), "tls-alt-key %s does not match the certificate in tls-alt-cert %s",
		 ec_key, rsa_pem);
	fails("alt key of another certificate", &f, SZTP_E_MISMATCH, m);
	f.alt_key = nope_key;
	fails("alt key missing", &f, SZTP_E_IO, "tls-alt-key: ");
	f.alt_cert = ed_pem;
	f.alt_key = ed_key;
	snprintf(m, sizeof(m),
		 "tls-alt-cert %s has a key of type eddsa: the two server certificates must be "
		 "one ECDSA and one RSA",
		 ed_pem);
	fails("Ed25519 as the second", &f, SZTP_E_UNSUPPORTED, m);
	/* an RSA key under 2048 bits (openssl) */
	f.alt_cert = rsa1k_pem;
	f.alt_key = rsa1k_key;
	snprintf(m, sizeof(m),
		 "tls-alt-cert %s has an RSA key of 1024 bits: with two server certificates the "
		 "RSA one needs at least 2048",
		 rsa1k_pem);
	fails("RSA-1024", &f, SZTP_E_UNSUPPORTED, m);
	/* RSA first, RSA second */
	f.cert = rsa_pem;
	f.key = rsa_key;
	f.alt_cert = rsa_pem;
	f.alt_key = rsa_key;
	snprintf(m, sizeof(m), "tls-alt-cert %s has an RSA key like tls-cert %s", rsa_pem, rsa_pem);
	fails("two RSA", &f, SZTP_E_INVALID_VALUE, m);
	/* a good pair of pairs, either way round; what is reported of both */
	f.alt_cert = srv_pem;
	f.alt_key = srv_key;
	CHECK_RC(pki_tls_check_files(&f, &in, &e), SZTP_OK);
	CHECK(!strcmp(in.key, "rsa") && !strcmp(in.alt.key, "ecdsa"));
	CHECK(strstr(in.alt.subject, "Test Server") != NULL && in.alt.not_after > time(NULL));
	CHECK(in.not_after > time(NULL));
	/* one pair: nothing in alt; the key type still said */
	f.alt_cert = f.alt_key = NULL;
	CHECK_RC(pki_tls_check_files(&f, &in, &e), SZTP_OK);
	CHECK(!strcmp(in.key, "rsa") && in.alt.subject[0] == '\0');
	/* the priority is checked too */
	f.priority = "GARBAGE";
	CHECK_RC(pki_tls_check_files(&f, NULL, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "tls-priority 'GARBAGE'") != NULL);
}

/* ---- handshakes --------------------------------------------------------- */

struct srv {
	gnutls_session_t s;
	int fd;
	int rc;
};

static void *server_run(void *arg)
{
	struct srv *v = arg;
	int r;

	do
		r = gnutls_handshake(v->s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	v->rc = r;
	if (r < 0) { /* GnuTLS sends no alert by itself: the client sees the end */
		gnutls_alert_send_appropriate(v->s, r);
		shutdown(v->fd, SHUT_RDWR);
	}
	return NULL;
}

struct result {
	int ok;			     /* the handshake completed */
	int pk;			     /* the server certificate's key: GNUTLS_PK_* */
	gnutls_sign_algorithm_t sig; /* what the server signed with */
};

/* One handshake: a client with client_prio against a server served by
 * fn (watch: the server session's ClientHello hook is installed). */
static struct result handshake(pki_fnptr fn, const char *client_prio, int watch)
{
	gnutls_certificate_credentials_t scred = NULL, ccred = NULL;
	gnutls_session_t cs = NULL;
	struct srv v = {NULL, -1, 0};
	struct result res = {0, GNUTLS_PK_UNKNOWN, GNUTLS_SIGN_UNKNOWN};
	pthread_t t;
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return res;
	gnutls_certificate_allocate_credentials(&scred);
	gnutls_certificate_set_retrieve_function2(scred,
						  (gnutls_certificate_retrieve_function2 *)fn);
	gnutls_certificate_allocate_credentials(&ccred);
	gnutls_init(&v.s, GNUTLS_SERVER);
	gnutls_priority_set_direct(v.s, SERVER_PRIO, NULL);
	gnutls_credentials_set(v.s, GNUTLS_CRD_CERTIFICATE, scred);
	gnutls_transport_set_int(v.s, sv[0]);
	v.fd = sv[0];
	if (watch)
		pki_tls_session_watch(v.s);
	gnutls_init(&cs, GNUTLS_CLIENT);
	if (gnutls_priority_set_direct(cs, client_prio, NULL) < 0)
		fprintf(stderr, "client priority %s refused\n", client_prio);
	gnutls_credentials_set(cs, GNUTLS_CRD_CERTIFICATE, ccred);
	gnutls_transport_set_int(cs, sv[1]);
	pthread_create(&t, NULL, server_run, &v);
	do
		r = gnutls_handshake(cs);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0) /* the server may wait for a record that will not come */
		shutdown(sv[1], SHUT_RDWR);
	pthread_join(t, NULL);
	if (r == 0 && v.rc == 0) {
		unsigned n = 0;
		const gnutls_datum_t *peer = gnutls_certificate_get_peers(cs, &n);
		gnutls_x509_crt_t crt = NULL;
		res.ok = 1;
		if (peer && n && gnutls_x509_crt_init(&crt) == 0) {
			if (gnutls_x509_crt_import(crt, &peer[0], GNUTLS_X509_FMT_DER) == 0)
				res.pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
			gnutls_x509_crt_deinit(crt);
		}
		res.sig = gnutls_sign_algorithm_get(cs);
	}
	gnutls_deinit(cs);
	gnutls_deinit(v.s);
	gnutls_certificate_free_credentials(scred);
	gnutls_certificate_free_credentials(ccred);
	close(sv[0]);
	close(sv[1]);
	return res;
}

#define TLS13	"NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define TLS12	"NORMAL:-VERS-ALL:+VERS-TLS1.2"
#define RSASIGS ":-SIGN-ALL:+SIGN-RSA-SHA256:+SIGN-RSA-SHA1"

static void expect(const char *what, struct result r, int pk, gnutls_sign_algorithm_t sig)
{
	if (!r.ok || r.pk != pk || (sig != GNUTLS_SIGN_UNKNOWN && r.sig != sig))
		fprintf(stderr, "%s: ok %d, key %s, signed with %s\n", what, r.ok,
			gnutls_pk_get_name((gnutls_pk_algorithm_t)r.pk),
			gnutls_sign_get_name(r.sig));
	CHECK(r.ok);
	CHECK(r.pk == pk);
	CHECK(sig == GNUTLS_SIGN_UNKNOWN || r.sig == sig);
}

static void choose(int rsa_first)
{
	struct pki_tls_files f = {srv_pem, srv_key, rsa_pem, rsa_key, SERVER_PRIO};
	struct pki_tls_creds *c = NULL;
	struct pki_tls_info in;
	struct sztp_err e = {0};
	pki_fnptr fn;

	if (rsa_first) {
		f.cert = rsa_pem;
		f.key = rsa_key;
		f.alt_cert = srv_pem;
		f.alt_key = srv_key;
	}
	CHECK_RC(pki_tls_creds_open("tls", &f, &c, &e), SZTP_OK);
	if (!c)
		return;
	CHECK(pki_tls_creds_pairs(c) == 2);
	fn = pki_tls_creds_callback(c);
	CHECK(fn != NULL);
	expect("TLS 1.3 default", handshake(fn, TLS13, 1), GNUTLS_PK_ECDSA, GNUTLS_SIGN_UNKNOWN);
	expect("TLS 1.2 default", handshake(fn, TLS12, 1), GNUTLS_PK_ECDSA, GNUTLS_SIGN_UNKNOWN);
	/* RSA PKCS#1 v1.5 signatures only: the RSA pair, signed PKCS#1 v1.5 */
	expect("TLS 1.2 RSA signatures only", handshake(fn, TLS12 RSASIGS, 1), GNUTLS_PK_RSA,
	       GNUTLS_SIGN_RSA_SHA256);
	/* RSA key exchange suites only (ECDSA signatures still offered) */
	expect("TLS 1.2 ECDHE-RSA only", handshake(fn, TLS12 ":-KX-ALL:+ECDHE-RSA", 1),
	       GNUTLS_PK_RSA, GNUTLS_SIGN_UNKNOWN);
	/* TLS 1.3 with RSA-PSS only: the RSA key, signing with PSS */
	expect("TLS 1.3 rsa_pss_rsae_sha256 only",
	       handshake(fn, TLS13 ":-SIGN-ALL:+SIGN-RSA-PSS-RSAE-SHA256", 1), GNUTLS_PK_RSA,
	       GNUTLS_SIGN_RSA_PSS_RSAE_SHA256);
	/* ECDSA-only suites: the ECDSA pair */
	expect("TLS 1.2 ECDHE-ECDSA only", handshake(fn, TLS12 ":-KX-ALL:+ECDHE-ECDSA", 1),
	       GNUTLS_PK_ECDSA, GNUTLS_SIGN_UNKNOWN);
	/* without the ClientHello hook the suites are unknown: ECDSA is
	 * assumed, and a client offering only ECDHE-RSA cannot complete */
	CHECK(handshake(fn, TLS12 ":-KX-ALL:+ECDHE-RSA", 0).ok == 0);
	pki_tls_creds_info(c, &in);
	/* ECDSA: 1.3, 1.2, ECDSA-only, the unwatched one; RSA: three */
	if (in.served_ecdsa != 4 || in.served_rsa != 3)
		fprintf(stderr, "served: ecdsa %lu, rsa %lu\n", in.served_ecdsa, in.served_rsa);
	CHECK(in.served_ecdsa == 4 && in.served_rsa == 3);
	/* a reload keeps serving both, and cannot drop the second pair */
	CHECK_RC(pki_tls_creds_reload_files(c, &f, &e), SZTP_OK);
	expect("after a reload: RSA-only", handshake(fn, TLS12 RSASIGS, 1), GNUTLS_PK_RSA,
	       GNUTLS_SIGN_RSA_SHA256);
	f.alt_cert = f.alt_key = NULL;
	CHECK_RC(pki_tls_creds_reload_files(c, &f, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "cannot add or remove the second server certificate") != NULL);
	pki_tls_creds_info(c, &in);
	CHECK(in.generation == 2 && in.alt.subject[0] != '\0');
	pki_tls_creds_free(c);
}

/* One pair: today's path; an RSA-only client gets the one key (and fails
 * against an ECDSA one), and the count is kept by its key type. */
static void one_pair(void)
{
	struct pki_tls_creds *c = NULL;
	struct pki_tls_info in;
	struct sztp_err e = {0};
	pki_fnptr fn;

	CHECK_RC(pki_tls_creds_load(srv_pem, srv_key, &c, &e), SZTP_OK);
	if (!c)
		return;
	CHECK(pki_tls_creds_pairs(c) == 1);
	fn = pki_tls_creds_callback(c);
	expect("one pair, default", handshake(fn, TLS13, 0), GNUTLS_PK_ECDSA, GNUTLS_SIGN_UNKNOWN);
	CHECK(handshake(fn, TLS12 RSASIGS, 0).ok == 0);
	pki_tls_creds_info(c, &in);
	CHECK(in.served_ecdsa == 2 && in.served_rsa == 0);
	CHECK(!strcmp(in.key, "ecdsa") && in.alt.subject[0] == '\0');
	pki_tls_creds_free(c);
}

int main(void)
{
	if (fixture_setup("pkitlsalt") != 0) {
		fprintf(stderr, "mkpki.sh failed\n");
		return 1;
	}
	setenv("D", fixture_dir, 1);
	/* an Ed25519 pair (openssl), for the key-type check */
	CHECK(system("cd \"$D\" && openssl genpkey -algorithm ed25519 -out ed.key 2>/dev/null && "
		     "chmod 600 ed.key && openssl req -new -x509 -key ed.key -subj /CN=ed "
		     "-days 30 -out ed.pem 2>/dev/null") == 0);
	/* an RSA-1024 pair (openssl), for the size check */
	CHECK(system("cd \"$D\" && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 "
		     "-out rsa1k.key 2>/dev/null && chmod 600 rsa1k.key && openssl req -new -x509 "
		     "-key rsa1k.key -subj /CN=rsa1k -days 30 -out rsa1k.pem 2>/dev/null") == 0);
	paths();
	config_errors();
	choose(0);
	choose(1);
	one_pair();
	fixture_teardown();
	return unit_report("test_pki_tls_alt");
}
