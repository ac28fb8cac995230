/* Unit tests for server/identity.c, without a server: the IDevID chain
 * and HTTP Basic must name the same serial (RFC 8572 s5.3); every
 * failure - unknown serial, wrong password, bad chain, a chain that
 * smuggles in a CA, no credentials - gives the same 401 and the same
 * RESTCONF body (s9.6: no existence oracle); only the serial is handed
 * on.  Uses mkpki.sh's throwaway PKI plus certificates minted here.
 * Throttling (throttle.h): too many failures from an address, or of HTTP
 * Basic for a serial (enrolled or not alike), get 429 before any check,
 * but a valid IDevID is never refused for them. */
#include <pthread.h>
#include <unistd.h>

#include "fixture.h"
#include "identity.h"
#include "passwd.h"
#include "registry.h"
#include "restconf.h"
#include "server.h"
#include "throttle.h"
#include "unit.h"
#include "util.h"

static struct server srv;
static char first_body[1024];
static const char *peer = "192.0.2.1"; /* the address requests come from */

static void basic(char *out, size_t len, const char *user, const char *pass)
{
	char raw[256], *b64 = NULL;

	snprintf(raw, sizeof(raw), "%s:%s", user, pass);
	CHECK_RC(b64_encode((const uint8_t *)raw, strlen(raw), &b64, NULL), SZTP_OK);
	snprintf(out, len, "Basic %s", b64 ? b64 : "");
	free(b64);
}

/* certs: PEM file of the chain the device sends (NULL: none). */
static sztp_rc auth(const char *certs, const char *authorization, char serial[PKI_SERIAL_MAX],
		    struct sztp_err *e)
{
	struct request r;
	sztp_bytes *chain = NULL;
	size_t n = 0;
	sztp_rc rc;

	memset(&r, 0, sizeof(r));
	snprintf(r.peer, sizeof(r.peer), "%s", peer);
	if (certs) {
		CHECK_RC(pki_pem_certs_read(P(certs), &chain, &n, NULL), SZTP_OK);
		r.peer_certs = chain;
		r.n_peer_certs = n;
	}
	r.authorization = authorization;
	rc = identity_authenticate(&srv, &r, serial, e);
	pki_certs_free(chain, n);
	return rc;
}

static void ok(const char *what, const char *certs, const char *authz, const char *want)
{
	char serial[PKI_SERIAL_MAX] = "junk";
	struct sztp_err e = {0};
	sztp_rc rc = auth(certs, authz, serial, &e);

	if (rc != SZTP_OK || strcmp(serial, want))
		fprintf(stderr, "%s: rc %d serial '%s' (%s)\n", what, rc, serial, e.msg);
	CHECK(rc == SZTP_OK && !strcmp(serial, want));
}

/* A refusal: SZTP_E_AUTH, the one message, and byte for byte the same
 * RESTCONF error body as every other refusal. */
static void refused(const char *what, const char *certs, const char *authz, const char *claimed)
{
	char serial[PKI_SERIAL_MAX] = "junk";
	struct sztp_err e = {0};
	struct request r;
	sztp_rc rc = auth(certs, authz, serial, &e);

	if (rc != SZTP_E_AUTH || strcmp(e.msg, IDENTITY_401))
		fprintf(stderr, "%s: rc %d msg '%s'\n", what, rc, e.msg);
	CHECK(rc == SZTP_E_AUTH);
	CHECK(!strcmp(e.msg, IDENTITY_401));
	CHECK(!strcmp(serial, claimed)); /* for the audit line only */
	memset(&r, 0, sizeof(r));
	restconf_error(&r, rc, e.msg);
	CHECK(r.status == 401 && r.resp_body);
	if (!first_body[0])
		snprintf(first_body, sizeof(first_body), "%s", r.resp_body);
	if (strcmp(first_body, r.resp_body))
		fprintf(stderr, "%s: body differs: %s\n", what, r.resp_body);
	CHECK(!strcmp(first_body, r.resp_body));
	free(r.resp_body);
}

static void enrol(const char *serial, const char *password)
{
	struct reg_device d = {0};
	char hash[PASSWD_HASH_MAX];

	snprintf(d.serial, sizeof(d.serial), "%s", serial);
	snprintf(d.state, sizeof(d.state), "enrolled");
	if (password) {
		CHECK_RC(passwd_hash(password, hash, NULL), SZTP_OK);
		d.password_hash = hash;
	}
	CHECK_RC(reg_device_add(srv.reg, &d, NULL), SZTP_OK);
}

/* Certificates mkpki.sh does not make: a chain in which the device's own
 * (non-CA) IDevID issues a certificate for another serial, and an IDevID
 * from the vendor without the clientAuth purpose. */
static int mint_extra(void)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "(cd '%s' && "
		 "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out v.key && "
		 "openssl req -new -key v.key -subj '/CN=Victim/serialNumber=SN-VICTIM' -out v.csr"
		 " && openssl x509 -req -in v.csr -CA idevid.pem -CAkey idevid.key "
		 "-CAcreateserial -days 30 -sha256 -extfile ext.cnf -extensions client -out v.pem"
		 " && cat v.pem idevid.pem > smuggle-chain.pem && "
		 "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out s.key && "
		 "openssl req -new -key s.key -subj '/CN=Srv/serialNumber=SN-SERVER' -out s.csr && "
		 "openssl x509 -req -in s.csr -CA vendor.pem -CAkey vendor.key -CAcreateserial "
		 "-days 30 -sha256 -extfile ext.cnf -extensions server -out server-purpose.pem"
		 " && cat idevid.pem vendor.pem > idevid-with-root.pem && "
		 "for k in pin1 pin2; do "
		 "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $k.key && "
		 "openssl req -new -key $k.key -subj '/CN=Pinned/serialNumber=SN-PIN' -out $k.csr"
		 " && openssl x509 -req -in $k.csr -CA vendor.pem -CAkey vendor.key "
		 "-CAcreateserial -days 30 -sha256 -extfile ext.cnf -extensions client "
		 "-out $k.pem || exit 1; done) >/dev/null 2>&1",
		 fixture_dir);
	return system(cmd);
}

/* rc of one attempt from address from */
static sztp_rc attempt(const char *from, const char *certs, const char *user, const char *pass)
{
	char serial[PKI_SERIAL_MAX], a[512];
	struct sztp_err e = {0};
	sztp_rc rc;

	peer = from;
	if (user)
		basic(a, sizeof(a), user, pass);
	rc = auth(certs, user ? a : NULL, serial, &e);
	if (rc == SZTP_E_THROTTLED)
		CHECK(!strcmp(e.msg, THROTTLE_429));
	peer = "192.0.2.1";
	return rc;
}

static void test_throttled(void)
{
	struct request r;
	char from[32];
	int i;

	srv.cfg.basic_auth = 1;
	srv.cfg.auth_failures_per_address = 5;
	srv.cfg.auth_failures_per_serial = 3;
	CHECK_RC(throttle_open_server(&srv, NULL), SZTP_OK);
	enrol("SN-0001234", "secret-1"); /* the IDevID's serial, removed above */

	/* Basic guessing of one serial, spread over addresses: slowed down
	 * after 3, even with the right password */
	for (i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "198.51.100.%d", i + 1);
		CHECK_RC(attempt(from, NULL, "SN-0001234", "guess"), SZTP_E_AUTH);
	}
	CHECK_RC(attempt("198.51.100.50", NULL, "SN-0001234", "secret-1"), SZTP_E_THROTTLED);
	memset(&r, 0, sizeof(r));
	snprintf(r.peer, sizeof(r.peer), "198.51.100.50");
	snprintf(r.serial, sizeof(r.serial), "SN-0001234");
	CHECK(throttle_auth_retry_after(&srv, &r) == 20); /* 3 a minute */
	/* the device itself, with its IDevID, is never refused for that */
	CHECK_RC(attempt("198.51.100.50", "idevid.pem", NULL, NULL), SZTP_OK);
	CHECK_RC(attempt("198.51.100.1", "idevid.pem", "SN-0001234", "secret-1"), SZTP_OK);
	/* another serial is not affected */
	CHECK_RC(attempt("198.51.100.51", NULL, "SN-VICTIM", "victim-pw"), SZTP_OK);
	/* no existence oracle: a serial that is not enrolled is slowed alike */
	for (i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "198.51.100.%d", i + 10);
		CHECK_RC(attempt(from, NULL, "SN-NOBODY", "guess"), SZTP_E_AUTH);
	}
	CHECK_RC(attempt("198.51.100.20", NULL, "SN-NOBODY", "guess"), SZTP_E_THROTTLED);

	/* one address failing: its attempts without a certificate get 429,
	 * whatever they present; its devices with an IDevID go on */
	for (i = 0; i < 5; i++)
		CHECK_RC(attempt("203.0.113.9", NULL, NULL, NULL), SZTP_E_AUTH);
	CHECK_RC(attempt("203.0.113.9", NULL, NULL, NULL), SZTP_E_THROTTLED);
	CHECK_RC(attempt("203.0.113.9", NULL, "SN-VICTIM", "victim-pw"), SZTP_E_THROTTLED);
	CHECK_RC(attempt("203.0.113.9", "idevid.pem", NULL, NULL), SZTP_OK);
	CHECK_RC(attempt("203.0.113.9", "evilleaf.pem", NULL, NULL), SZTP_E_AUTH); /* checked */
	CHECK_RC(attempt("203.0.113.10", NULL, "SN-VICTIM", "victim-pw"), SZTP_OK);
	/* an IPv6 host is its /64 */
	for (i = 0; i < 5; i++) {
		snprintf(from, sizeof(from), "2001:db8:5:5::%x", i + 1);
		CHECK_RC(attempt(from, NULL, NULL, NULL), SZTP_E_AUTH);
	}
	CHECK_RC(attempt("2001:db8:5:5:ffff::1", NULL, "SN-VICTIM", "victim-pw"), SZTP_E_THROTTLED);
	CHECK_RC(attempt("2001:db8:5:6::1", NULL, "SN-VICTIM", "victim-pw"), SZTP_OK);
	throttle_close_server(&srv);
	CHECK(srv.fail_by_peer == NULL && srv.fail_by_serial == NULL);
}

/* ---- issue 9: passwords remembered, bounded hashing, anchors swapped,
 * IDevID pinning ----------------------------------------------------- */

/* A verified password is remembered: the second request does not run
 * PBKDF2 (the derivation counter), a wrong password still does, a
 * changed hash is not served from the cache, an unknown serial costs a
 * derivation like a known one. */
static void password_cache(void)
{
	struct identity_stats st0, st1;
	struct reg_device d;
	char a[512], hash[PASSWD_HASH_MAX];
	unsigned long d0;

	enrol("SN-CACHE", "first-pw");
	basic(a, sizeof(a), "SN-CACHE", "first-pw");
	identity_stats(srv.idcache, &st0);
	d0 = passwd_derivations();
	ok("cache: first verification", NULL, a, "SN-CACHE");
	CHECK(passwd_derivations() - d0 == 1);
	d0 = passwd_derivations();
	ok("cache: follow-up request", NULL, a, "SN-CACHE");
	ok("cache: and another", NULL, a, "SN-CACHE");
	CHECK(passwd_derivations() == d0); /* no PBKDF2 */
	identity_stats(srv.idcache, &st1);
	CHECK(st1.password_cache_hits - st0.password_cache_hits == 2);
	/* a wrong password is computed (and refused) every time */
	basic(a, sizeof(a), "SN-CACHE", "guess");
	d0 = passwd_derivations();
	refused("cache: wrong password", NULL, a, "SN-CACHE");
	CHECK(passwd_derivations() - d0 >= 1);
	/* an unknown serial costs the same work */
	basic(a, sizeof(a), "SN-NOBODY", "first-pw");
	d0 = passwd_derivations();
	refused("cache: unknown serial", NULL, a, "SN-NOBODY");
	CHECK(passwd_derivations() - d0 >= 1);
	/* the operator changes the password: the old one is refused at once */
	memset(&d, 0, sizeof(d));
	CHECK_RC(reg_device_get(srv.reg, "SN-CACHE", &d, NULL), SZTP_OK);
	free(d.password_hash);
	CHECK_RC(passwd_hash_cost("second-pw", 1000, hash, NULL), SZTP_OK);
	d.password_hash = strdup(hash);
	CHECK_RC(reg_device_update(srv.reg, &d, NULL), SZTP_OK);
	reg_device_clear(&d);
	basic(a, sizeof(a), "SN-CACHE", "first-pw");
	refused("cache: old password after the change", NULL, a, "SN-CACHE");
	basic(a, sizeof(a), "SN-CACHE", "second-pw");
	d0 = passwd_derivations();
	ok("cache: new password", NULL, a, "SN-CACHE");
	CHECK(passwd_derivations() > d0); /* verified, not taken from the cache */
}

struct busy_arg {
	pthread_barrier_t *b;
	const char *authorization; /* made before the threads: CHECK is not thread-safe */
	int refused;
};

static void *busy_thread(void *arg)
{
	struct busy_arg *ba = arg;
	char serial[PKI_SERIAL_MAX];
	struct sztp_err e = {0};
	struct request r;
	int i;

	memset(&r, 0, sizeof(r));
	snprintf(r.peer, sizeof(r.peer), "192.0.2.9");
	r.authorization = ba->authorization;
	pthread_barrier_wait(ba->b);
	for (i = 0; i < 3; i++)
		ba->refused += identity_authenticate(&srv, &r, serial, &e) == SZTP_E_AUTH;
	return NULL;
}

/* password-hash-concurrency = 1: of four threads hashing at once, some
 * are refused without hashing; every request is refused (unknown). */
static void bounded_hashing(void)
{
	struct identity_stats st0, st1;
	pthread_barrier_t b;
	pthread_t t[4];
	struct busy_arg ba[4];
	char a[512];
	int i, refused = 0;

	basic(a, sizeof(a), "SN-NOBODY", "flood");
	srv.cfg.password_hash_concurrency = 1;
	srv.cfg.password_cost = 600000; /* ~65 ms a hash: long enough to overlap */
	identity_stats(srv.idcache, &st0);
	pthread_barrier_init(&b, NULL, 4);
	for (i = 0; i < 4; i++) {
		ba[i].b = &b;
		ba[i].authorization = a;
		ba[i].refused = 0;
		pthread_create(&t[i], NULL, busy_thread, &ba[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		refused += ba[i].refused;
	}
	pthread_barrier_destroy(&b);
	identity_stats(srv.idcache, &st1);
	CHECK(refused == 12);
	CHECK(st1.password_busy > st0.password_busy);
	srv.cfg.password_hash_concurrency = 0;
	srv.cfg.password_cost = 0;
}

/* New anchors: what the old ones verified is forgotten at once. */
static void trust_swap(void)
{
	struct pki_trust *t = NULL;

	ok("swap: idevid before", "idevid.pem", NULL, "SN-0001234");
	CHECK_RC(pki_trust_load(P("evil.pem"), &t, NULL), SZTP_OK);
	identity_trust_set(srv.idcache, t);
	refused("swap: idevid under other anchors (cache emptied)", "idevid.pem", NULL, "");
	CHECK_RC(pki_trust_load(P("vendor.pem"), &t, NULL), SZTP_OK);
	identity_trust_set(srv.idcache, t);
	ok("swap: idevid again", "idevid.pem", NULL, "SN-0001234");
}

static void pinning(void)
{
	struct reg_profile p;
	struct reg_device d;
	uint8_t pin[REG_PIN_LEN], want[REG_PIN_LEN];
	sztp_bytes *chain = NULL;
	size_t n = 0;
	char a[512];
	int has = 0;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "pinned");
	snprintf(p.owner, sizeof(p.owner), "default");
	p.conveyed_json = (char *)"{}";
	CHECK_RC(reg_profile_put(srv.reg, &p, NULL), SZTP_OK);
	CHECK_RC(reg_profile_pin_set(srv.reg, "pinned", 1, NULL), SZTP_OK);
	memset(&d, 0, sizeof(d));
	snprintf(d.serial, sizeof(d.serial), "SN-PIN");
	snprintf(d.profile, sizeof(d.profile), "pinned");
	snprintf(d.state, sizeof(d.state), "enrolled");
	CHECK_RC(reg_device_add(srv.reg, &d, NULL), SZTP_OK);

	/* first use: recorded, the SHA-256 of the leaf's public key */
	ok("pin: first key", "pin1.pem", NULL, "SN-PIN");
	CHECK_RC(reg_device_pin_get(srv.reg, "SN-PIN", &has, pin, NULL), SZTP_OK);
	CHECK(has);
	CHECK_RC(pki_pem_certs_read(P("pin1.pem"), &chain, &n, NULL), SZTP_OK);
	CHECK_RC(pki_cert_spki_sha256(&chain[0], want, NULL), SZTP_OK);
	pki_certs_free(chain, n);
	CHECK(memcmp(pin, want, REG_PIN_LEN) == 0);
	ok("pin: first key again", "pin1.pem", NULL, "SN-PIN");
	/* another key, same serial, same vendor: refused like any failure */
	refused("pin: second key", "pin2.pem", NULL, "SN-PIN");
	/* HTTP Basic alone cannot step around the pin */
	CHECK_RC(passwd_hash_cost("pin-pw", 1000, a, NULL), SZTP_OK);
	CHECK_RC(reg_device_get(srv.reg, "SN-PIN", &d, NULL), SZTP_OK);
	d.password_hash = strdup(a);
	CHECK_RC(reg_device_update(srv.reg, &d, NULL), SZTP_OK);
	reg_device_clear(&d);
	basic(a, sizeof(a), "SN-PIN", "pin-pw");
	refused("pin: Basic only, key pinned", NULL, a, "SN-PIN");
	ok("pin: Basic with the pinned key", "pin1.pem", a, "SN-PIN");
	/* the operator forgets the pin: the next key is pinned */
	CHECK_RC(reg_device_pin_set(srv.reg, "SN-PIN", NULL, NULL), SZTP_OK);
	ok("pin: second key after reset", "pin2.pem", NULL, "SN-PIN");
	refused("pin: first key now", "pin1.pem", NULL, "SN-PIN");
	/* a profile without pinning ignores the pin */
	CHECK_RC(reg_profile_pin_set(srv.reg, "pinned", 0, NULL), SZTP_OK);
	ok("pin: profile stops pinning", "pin1.pem", NULL, "SN-PIN");
}

int main(void)
{
	char path[300], a[512];
	struct sztp_err e = {0};

	if (fixture_setup("identity") != 0 || mint_extra() != 0) {
		fprintf(stderr, "mkpki.sh or openssl failed\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/reg.db", fixture_dir);
	CHECK_RC(reg_open(path, &srv.reg, NULL), SZTP_OK);
	CHECK_RC(pki_trust_load(P("vendor.pem"), &srv.idevid_trust, &e), SZTP_OK);
	CHECK_RC(identity_cache_new(&srv.idcache, NULL), SZTP_OK);
	srv.cfg.basic_auth = 1;
	enrol("SN-0001234", "secret-1");
	enrol("SN-NOPASS", NULL);
	enrol("SN-VICTIM", "victim-pw");

	/* the IDevID alone; again (from the chain cache); with its root */
	ok("idevid", "idevid.pem", NULL, "SN-0001234");
	ok("idevid cached", "idevid.pem", NULL, "SN-0001234");
	ok("idevid + root", "idevid-with-root.pem", NULL, "SN-0001234");
	/* Basic alone */
	basic(a, sizeof(a), "SN-0001234", "secret-1");
	ok("basic", NULL, a, "SN-0001234");
	/* both, naming the same serial */
	ok("idevid + basic", "idevid.pem", a, "SN-0001234");

	/* both, naming different serials: refused, the cert's serial logged */
	basic(a, sizeof(a), "SN-VICTIM", "victim-pw");
	refused("different serials", "idevid.pem", a, "SN-0001234");
	/* wrong password, unknown serial, no password set, empty password */
	basic(a, sizeof(a), "SN-0001234", "wrong");
	refused("wrong password", NULL, a, "SN-0001234");
	basic(a, sizeof(a), "SN-UNKNOWN", "secret-1");
	refused("unknown serial", NULL, a, "SN-UNKNOWN");
	basic(a, sizeof(a), "SN-NOPASS", "anything");
	refused("no password enrolled", NULL, a, "SN-NOPASS");
	basic(a, sizeof(a), "SN-NOPASS", "");
	refused("empty password", NULL, a, "SN-NOPASS");
	/* malformed or other schemes */
	refused("bearer", NULL, "Bearer abc", "");
	refused("bad base64", NULL, "Basic !!!", "");
	refused("no colon", NULL, "Basic bm8tY29sb24=", ""); /* "no-colon" */
	refused("nothing", NULL, NULL, "");
	/* a chain from another CA; a leaf without serialNumber; a leaf
	 * without clientAuth */
	refused("evil chain", "evilleaf.pem", NULL, "");
	refused("no serialNumber", "noserial.pem", NULL, "");
	refused("serverAuth only", "server-purpose.pem", NULL, "");
	/* the device's own IDevID used as a CA for another serial: refused,
	 * and it stays refused (nothing of it was cached) */
	refused("smuggled CA", "smuggle-chain.pem", NULL, "");
	refused("smuggled CA again", "smuggle-chain.pem", NULL, "");
	basic(a, sizeof(a), "SN-VICTIM", "victim-pw");
	refused("smuggled CA + victim's password", "smuggle-chain.pem", a, "");
	ok("victim itself", NULL, a, "SN-VICTIM");
	password_cache();
	bounded_hashing();
	trust_swap();
	pinning();
	/* a valid IDevID that is not enrolled */
	CHECK_RC(reg_device_remove(srv.reg, "SN-0001234", NULL), SZTP_OK);
	refused("idevid not enrolled", "idevid.pem", NULL, "SN-0001234");
	/* HTTP authentication disabled */
	srv.cfg.basic_auth = 0;
	basic(a, sizeof(a), "SN-VICTIM", "victim-pw");
	refused("basic disabled", NULL, a, "");
	test_throttled();

	identity_cache_free(srv.idcache);
	pki_trust_free(srv.idevid_trust);
	reg_close(srv.reg);
	fixture_teardown();
	return unit_report("test_identity");
}
