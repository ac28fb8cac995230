/*
 * test_admin_devices.c - the admin API's device and voucher routes
 * (admin/devices.c, admin/vouchers.c) through admin_handle on a
 * temporary registry, with vouchers signed by the test MASA of
 * tests/unit/mkpki.sh: create, get, patch, delete, list filters and
 * pagination edges, the bulk route (10,000 devices with vouchers timed,
 * one bad item refusing all), voucher attach/show/detach, refused bodies
 * with their exact status, slug and field, stale If-Match, read scope,
 * and the audit row of every write.  Every refusal leaves the registry
 * as it was.
 */
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "admin_internal.h"
#include "cms.h"
#include "crypto.h"
#include "fixture.h"
#include "passwd.h"
#include "pgtest.h"
#include "unit.h"
#include "util.h"
#include "voucher.h"
#include "yang.h"

#define JSON "application/json"
#define U(s) ((const uint8_t *)(s))
#define CMS  "application/pkcs7-mime"
#define FAR  "2099-01-01T00:00:00Z" /* expires-on of the good vouchers */

static struct admin_ctx ctx;
static struct reg *reg;
static struct pki_trust *masa;
static struct pki_signer *masa_signer;
static char *pinned_b64, *masa_pem, *evil_pem, *idevid_pem;
static const struct admin_actor reader = {"token:reader", ADMIN_SCOPE_READ};
static const struct admin_actor writer = {"token:writer", ADMIN_SCOPE_WRITE};

/* ---- calls -------------------------------------------------------------------- */

/* One request (actor: writer unless given; body_len: strlen unless
 * given); the response's JSON body (or NULL) in *j when j. */
static int call(struct admin_request q, struct admin_response *r, json_t **j)
{
	if (!q.actor)
		q.actor = &writer;
	if (q.body && !q.body_len)
		q.body_len = strlen((const char *)q.body);
	admin_handle(&ctx, &q, r);
	if (j)
		*j = r->body ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
	return r->status;
}

/* Requests: JSON body (or none), query, and what they may add. */
static struct admin_request jreq(const char *method, const char *path, const char *body)
{
	return (struct admin_request){
	    .method = method, .path = path, .content_type = body ? JSON : NULL, .body = U(body)};
}

static struct admin_request qreq(const char *method, const char *path, const char *query)
{
	return (struct admin_request){.method = method, .path = path, .query = query};
}

static struct admin_request matching(struct admin_request q, const char *etag)
{
	q.if_match = etag;
	return q;
}

static struct admin_request accepting(struct admin_request q, const char *type)
{
	q.accept = type;
	return q;
}

static struct admin_request treq(const char *method, const char *path, const char *type,
				 const void *body, size_t len)
{
	return (struct admin_request){
	    .method = method, .path = path, .content_type = type, .body = body, .body_len = len};
}

static struct admin_request cms_put(const char *path, sztp_bytes cms, const char *etag)
{
	return matching(treq("PUT", path, CMS, cms.data, cms.len), etag);
}

static struct admin_request as_reader(struct admin_request q)
{
	q.actor = &reader;
	return q;
}

static const char *jstr(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s ? s : "";
}

/* What a refusal must leave as it was: the devices, their revisions and
 * the audit rows. */
struct snap {
	int64_t devices, audits;
	uint8_t digest[32];
};

static int digest_row(const struct reg_device *d, void *arg)
{
	struct crypto_sha256 *h = arg;

	crypto_sha256_update(h, d->serial, strlen(d->serial) + 1);
	crypto_sha256_update(h, &d->revision, sizeof(d->revision));
	return 0;
}

static int count_audit(const struct reg_audit *a, void *arg)
{
	(*(int64_t *)arg)++;
	return 0;
}

static struct snap snap(void)
{
	struct reg_query q = REG_QUERY_INIT;
	struct crypto_sha256 h;
	struct snap s;

	memset(&s, 0, sizeof(s));
	reg_device_count(reg, &s.devices, NULL);
	reg_audit_query(reg, &q, count_audit, &s.audits, NULL);
	crypto_sha256_init(&h);
	reg_device_list(reg, digest_row, &h, NULL);
	crypto_sha256_final(&h, s.digest);
	return s;
}

static int same(struct snap a, struct snap b)
{
	return a.devices == b.devices && a.audits == b.audits && !memcmp(a.digest, b.digest, 32);
}

/* The request is refused with status, slug and (when where) field or
 * parameter, and changes nothing. */
static void refused(struct admin_request q, int status, const char *slug, const char *member,
		    const char *where)
{
	struct admin_response r;
	struct snap before = snap();
	json_t *j = NULL;
	char type[96];

	snprintf(type, sizeof(type), "urn:sztp:problem:%s", slug);
	CHECK_RC(call(q, &r, &j), status);
	if (strcmp(jstr(j, "type"), type) || (member && strcmp(jstr(j, member), where)))
		fprintf(stderr, "  %s %s: %d %s %s=%s (%s), want %s %s\n", q.method, q.path,
			r.status, jstr(j, "type"), member ? member : "",
			member ? jstr(j, member) : "", jstr(j, "detail"), type, where ? where : "");
	CHECK(!strcmp(jstr(j, "type"), type));
	CHECK(r.content_type && !strcmp(r.content_type, "application/problem+json"));
	if (member)
		CHECK(!strcmp(jstr(j, member), where));
	CHECK(same(before, snap()));
	json_decref(j);
	admin_response_clear(&r);
}

/* The detail of a refusal contains text. */
static void refused_saying(struct admin_request q, int status, const char *text)
{
	struct admin_response r;
	json_t *j = NULL;

	CHECK_RC(call(q, &r, &j), status);
	if (!strstr(jstr(j, "detail"), text))
		fprintf(stderr, "  %s %s: detail '%s' lacks '%s'\n", q.method, q.path,
			jstr(j, "detail"), text);
	CHECK(strstr(jstr(j, "detail"), text) != NULL);
	json_decref(j);
	admin_response_clear(&r);
}

static char *dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

/* ---- fixtures ------------------------------------------------------------------- */

static char *read_text(const char *path)
{
	sztp_bytes b = {NULL, 0};

	if (file_read(path, 1 << 20, &b, NULL) != SZTP_OK)
		return NULL;
	return (char *)b.data; /* NUL-terminated */
}

/* A voucher for serial signed by the test MASA, created 2020-01-01,
 * pinning pinned (base64 DER; NULL: the owner root). */
static sztp_bytes mint(const char *serial, const char *expires, const char *pinned)
{
	sztp_bytes der = {NULL, 0};
	json_t *v = json_pack("{s:s, s:s, s:s, s:s}", "created-on", "2020-01-01T00:00:00Z",
			      "assertion", "verified", "serial-number", serial,
			      "pinned-domain-cert", pinned ? pinned : pinned_b64);
	char *json;

	if (expires)
		json_object_set_new(v, "expires-on", json_string(expires));
	json = dump(json_pack("{s:o}", "ietf-voucher:voucher", v));
	if (!json || cms_sign(CMS_OID_VOUCHER, (const uint8_t *)json, strlen(json), masa_signer, 1,
			      0, &der, NULL) != SZTP_OK)
		CHECK(0); /* not counted when it works: the bulk test mints 10,000 */
	free(json);
	return der;
}

static char *mint_b64(const char *serial, const char *expires, const char *pinned)
{
	sztp_bytes der = mint(serial, expires, pinned);
	char *b64 = NULL;

	b64_encode(der.data, der.len, &b64, NULL);
	sztp_bytes_free(&der);
	return b64;
}

/* POST /devices of serial with a voucher. */
static char *with_voucher(const char *serial, const char *expires, const char *pinned)
{
	char *b64 = mint_b64(serial, expires, pinned);
	char *body = dump(json_pack("{s:s, s:s}", "serial", serial, "voucher", b64));

	free(b64);
	return body;
}

static int put_owner(const char *name, const char *leaf, const char *ca)
{
	struct reg_owner o;
	sztp_bytes *a = NULL, *b = NULL, chain[2];
	size_t na = 0, nb = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	if (pki_pem_certs_read(P(leaf), &a, &na, NULL) != SZTP_OK ||
	    pki_pem_certs_read(P(ca), &b, &nb, NULL) != SZTP_OK)
		return -1;
	chain[0] = a[0];
	chain[1] = b[0];
	snprintf(o.name, sizeof(o.name), "%s", name);
	o.chain = chain;
	o.n_chain = 2;
	o.key_path = (char *)P("ec.key");
	rc = reg_owner_put(reg, &o, NULL) == SZTP_OK ? 0 : -1;
	pki_certs_free(a, na);
	pki_certs_free(b, nb);
	return rc;
}

static int put_profile(const char *name, const char *owner)
{
	struct reg_profile p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.owner, sizeof(p.owner), "%s", owner);
	p.kind = REG_KIND_ONBOARDING;
	p.conveyed_json = (char *)"{\"ietf-sztp-conveyed-info:onboarding-information\":{}}";
	return reg_profile_put(reg, &p, NULL) == SZTP_OK ? 0 : -1;
}

static int setup(struct sztp_yang **y)
{
	const char *top = getenv("SZTP_TOP");
	struct sztp_err e = {SZTP_OK, ""};
	sztp_bytes *root = NULL;
	size_t n = 0;
	char path[512];

	if (fixture_setup("adev") != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/yang", top ? top : ".");
	if (yang_open(path, y, &e) != SZTP_OK ||
	    pki_trust_load(P("masa.pem"), &masa, &e) != SZTP_OK ||
	    pki_signer_load(P("masasig.key"), P("masasig-chain.pem"), &masa_signer, &e) !=
		SZTP_OK ||
	    pki_pem_certs_read(P("root.pem"), &root, &n, &e) != SZTP_OK ||
	    b64_encode(root[0].data, root[0].len, &pinned_b64, &e) != SZTP_OK) {
		fprintf(stderr, "setup: %s\n", e.msg);
		pki_certs_free(root, n);
		return -1;
	}
	pki_certs_free(root, n);
	masa_pem = read_text(P("masa.pem"));
	evil_pem = read_text(P("evil.pem"));
	idevid_pem = read_text(P("idevid.pem"));
	ctx.y = *y;
	ctx.masa = masa;
	snprintf(ctx.masa_name, sizeof(ctx.masa_name), "masa.pem");
	ctx.password_cost = PASSWD_COST_MIN; /* quick hashes; the cost is checked below */
	return masa_pem && evil_pem && idevid_pem ? 0 : -1;
}

/* A new registry for one run of the cases: the SQLite file reg.db in the
 * fixture, or the PostgreSQL database at uri; 0 on success. */
static int open_registry(const char *uri)
{
	struct sztp_err e = {SZTP_OK, ""};

	if (reg_create(uri ? uri : P("reg.db"), &reg, &e) != SZTP_OK) {
		fprintf(stderr, "reg_create: %s\n", e.msg);
		return -1;
	}
	ctx.reg = reg;
	/* the owner identity "default" is the owner root's chain; "other" is
	 * another CA's, which the test vouchers do not pin */
	if (put_owner("default", "ec.pem", "int.pem") < 0 ||
	    put_owner("other", "evilleaf.pem", "evil.pem") < 0 ||
	    put_profile("p1", "default") < 0 || put_profile("p2", "other") < 0)
		return -1;
	return 0;
}

/* The audit rows of resource, newest last; n rows at most into out. */
struct audits {
	struct reg_audit a[8];
	size_t n;
};

static int keep_audit(const struct reg_audit *a, void *arg)
{
	struct audits *l = arg;

	if (l->n == 8)
		memmove(l->a, l->a + 1, 7 * sizeof(l->a[0]));
	else
		l->n++;
	l->a[l->n - 1] = *a;
	l->a[l->n - 1].detail = NULL;
	return 0;
}

static struct reg_audit last_audit(const char *resource)
{
	struct reg_query q = REG_QUERY_INIT;
	struct audits l;
	struct reg_audit none;

	memset(&l, 0, sizeof(l));
	memset(&none, 0, sizeof(none));
	q.resource = resource;
	reg_audit_query(reg, &q, keep_audit, &l, NULL);
	return l.n ? l.a[l.n - 1] : none;
}

static int64_t rev_of(const char *serial)
{
	int64_t rev = 0;

	reg_device_revision(reg, serial, &rev, NULL);
	return rev;
}

static int64_t hex_rev(const char *s)
{
	return (int64_t)strtoull(s, NULL, 16);
}

/* ---- POST /devices ------------------------------------------------------------------ */

static void test_create(void)
{
	struct admin_response r;
	struct reg_device d;
	struct reg_audit a;
	json_t *j = NULL;
	char *body, etag[ADMIN_ETAG_MAX], *v;
	const char *pw;

	CHECK_RC(call(jreq("POST", "/api/v1/devices", "{\"serial\":\"SN-1\"}"), &r, &j), 201);
	CHECK(!strcmp(r.location, "/api/v1/devices/SN-1"));
	CHECK(!strcmp(jstr(j, "serial"), "SN-1") && !strcmp(jstr(j, "state"), "enrolled"));
	CHECK(json_is_null(json_object_get(j, "profile")) &&
	      json_is_false(json_object_get(j, "password")) &&
	      json_is_false(json_object_get(j, "voucher")) &&
	      json_is_null(json_object_get(j, "idevid-pin")) &&
	      json_is_null(json_object_get(j, "last-seen")) &&
	      !json_object_get(j, "voucher-expiry"));
	CHECK(strlen(jstr(j, "revision")) == 16 && hex_rev(jstr(j, "revision")) == rev_of("SN-1"));
	memset(&d, 0, sizeof(d));
	CHECK_RC(reg_device_get(reg, "SN-1", &d, NULL), SZTP_OK);
	admin_etag_device(&d, etag);
	CHECK(!strcmp(r.etag, etag));
	reg_device_clear(&d);
	a = last_audit("devices/SN-1");
	CHECK(!strcmp(a.action, "device.create") && !strcmp(a.actor, "token:writer"));
	CHECK(a.rev_before == 0 && a.rev_after == rev_of("SN-1"));
	json_decref(j);
	admin_response_clear(&r);

	/* generated password: shown once, stored as a hash of ctx's cost */
	CHECK_RC(call(jreq("POST", "/api/v1/devices",
			   "{\"serial\":\"SN-G\",\"profile\":\"p1\","
			   "\"password-generate\":true}"),
		      &r, &j),
		 201);
	pw = jstr(j, "password");
	CHECK(strlen(pw) == PASSWD_GEN_LEN && !strcmp(jstr(j, "profile"), "p1"));
	memset(&d, 0, sizeof(d));
	CHECK_RC(reg_device_get(reg, "SN-G", &d, NULL), SZTP_OK);
	CHECK(d.password_hash && passwd_verify(pw, d.password_hash) == 1);
	CHECK(d.password_hash && passwd_cost(d.password_hash) == PASSWD_COST_MIN);
	reg_device_clear(&d);
	json_decref(j);
	admin_response_clear(&r);

	/* a voucher (base64) checked against the server's anchor, and an IDevID pinned */
	v = mint_b64("SN-0001234", FAR, NULL);
	body = dump(json_pack("{s:s, s:s, s:s, s:s}", "serial", "SN-0001234", "profile", "p1",
			      "voucher", v, "idevid", idevid_pem));
	CHECK_RC(call(jreq("POST", "/api/v1/devices", body), &r, &j), 201);
	CHECK(json_is_true(json_object_get(j, "voucher")) &&
	      !strcmp(jstr(j, "voucher-expires"), "2099-01-01T00:00:00Z") &&
	      !strcmp(jstr(j, "voucher-expiry"), "ok"));
	CHECK(strlen(jstr(j, "idevid-pin")) == 64);
	/* p1 does not pin IDevIDs: said in a warning */
	CHECK(json_array_size(json_object_get(j, "warnings")) == 1);
	free(body);
	free(v);
	json_decref(j);
	admin_response_clear(&r);
}

static void test_create_refused(void)
{
	const char *path = "/api/v1/devices";
	char *v = mint_b64("SN-V2", FAR, NULL), *other = mint_b64("SN-OTHER", FAR, NULL), *body;
	char *pinned_evil = NULL;
	sztp_bytes *evil = NULL;
	size_t n = 0;

	refused(jreq("POST", path, "{\"serial\":\"SN-1\"}"), 409, "exists", "field", "/serial");
	refused(jreq("POST", path, "{}"), 400, "missing-field", "field", "/serial");
	refused(jreq("POST", path, "{\"serial\":5}"), 400, "invalid-field", "field", "/serial");
	refused(jreq("POST", path, "{\"serial\":\"\"}"), 400, "invalid-field", "field", "/serial");
	refused(jreq("POST", path, "{\"serial\":\"a\\u001bb\"}"), 400, "invalid-field", "field",
		"/serial");
	refused(jreq("POST", path, "{\"serial\":\"SN-9\",\"bogus\":1}"), 400, "unknown-field",
		"field", "/bogus");
	refused(jreq("POST", path, "{\"serial\":\"SN-9\",\"profile\":\"nosuch\"}"), 400,
		"invalid-field", "field", "/profile");
	refused(jreq("POST", path, "{\"serial\":\"SN-9\",\"profile\":7}"), 400, "invalid-field",
		"field", "/profile");
	refused(jreq("POST", path,
		     "{\"serial\":\"SN-9\",\"password\":\"x\",\"password-generate\":true}"),
		400, "invalid-field", "field", "/password-generate");
	refused(jreq("POST", path, "{\"serial\":\"SN-9\",\"password-generate\":\"yes\"}"), 400,
		"invalid-field", "field", "/password-generate");
	refused(jreq("POST", path, "{\"serial\":\"SN:9\",\"password\":\"x\"}"), 400,
		"invalid-field", "field", "/password");
	refused(jreq("POST", path, "{\"serial\":\"SN-9\",\"voucher\":\"!!not base64\"}"), 400,
		"invalid-field", "field", "/voucher");
	refused(jreq("POST", path, "{\"serial\":\"SN-9\",\"voucher\":[1]}"), 400, "invalid-field",
		"field", "/voucher");
	refused(jreq("POST", path, "{\"serial\":\"SN-9\",\"idevid\":\"-----BEGIN nothing\"}"), 400,
		"invalid-field", "field", "/idevid");
	/* malformed, truncated, not an object, duplicate member */
	refused(jreq("POST", path, "{\"serial\":"), 400, "malformed-json", NULL, NULL);
	refused(jreq("POST", path, "{\"serial\":\"SN-9\""), 400, "malformed-json", NULL, NULL);
	refused(jreq("POST", path, "[\"SN-9\"]"), 400, "malformed-json", NULL, NULL);
	refused(jreq("POST", path, "{\"serial\":\"SN-9\",\"serial\":\"SN-8\"}"), 400,
		"malformed-json", NULL, NULL);
	refused(treq("POST", path, "text/plain", "{\"serial\":\"SN-9\"}", 0), 415,
		"unsupported-media-type", NULL, NULL);
	ctx.max_body = 16;
	refused(jreq("POST", path, "{\"serial\":\"SN-99999\"}"), 413, "too-large", NULL, NULL);
	ctx.max_body = 0;
	/* read scope writing */
	refused(as_reader(jreq("POST", path, "{\"serial\":\"SN-9\"}")), 403, "forbidden", NULL,
		NULL);

	/* vouchers: another serial's, another anchor, pinning another owner, expired */
	body = dump(json_pack("{s:s, s:s}", "serial", "SN-V2", "voucher", other));
	refused(jreq("POST", path, body), 400, "invalid-field", "field", "/voucher");
	refused_saying(jreq("POST", path, body), 400,
		       "is for serial-number 'SN-OTHER', not 'SN-V2'");
	free(body);
	body = dump(
	    json_pack("{s:s, s:s, s:s}", "serial", "SN-V2", "voucher", v, "masa-ca", evil_pem));
	refused(jreq("POST", path, body), 400, "invalid-field", "field", "/voucher");
	refused_saying(jreq("POST", path, body), 400,
		       "does not verify against the request's masa-ca");
	free(body);
	body = dump(json_pack("{s:s, s:s, s:s}", "serial", "SN-V2", "voucher", v, "profile", "p2"));
	refused(jreq("POST", path, body), 400, "invalid-field", "field", "/voucher");
	refused_saying(jreq("POST", path, body), 400,
		       "does not anchor the chain of owner identity 'other'");
	free(body);
	body = with_voucher("SN-V2", "2021-01-01T00:00:00Z", NULL);
	refused_saying(jreq("POST", path, body), 400, "expired (expires-on 2021-01-01T00:00:00Z)");
	free(body);
	/* a voucher pinning a certificate that anchors no owner chain */
	pki_pem_certs_read(P("evil.pem"), &evil, &n, NULL);
	b64_encode(evil[0].data, evil[0].len, &pinned_evil, NULL);
	body = with_voucher("SN-V2", NULL, pinned_evil);
	refused_saying(jreq("POST", path, body), 400, "pins 'CN=Evil CA' as pinned-domain-cert");
	free(body);
	pki_certs_free(evil, n);
	free(pinned_evil);
	/* the IDevID of another serial */
	body = dump(json_pack("{s:s, s:s}", "serial", "SN-V2", "idevid", idevid_pem));
	refused_saying(jreq("POST", path, body), 400,
		       "names serial number 'SN-0001234', not 'SN-V2'");
	free(body);
	/* no anchor at all: the request's masa-ca is then required */
	ctx.masa = NULL;
	body = dump(json_pack("{s:s, s:s}", "serial", "SN-V2", "voucher", v));
	refused(jreq("POST", path, body), 400, "missing-field", NULL, NULL);
	refused_saying(jreq("POST", path, body), 400, "no voucher trust anchor");
	free(body);
	body = dump(
	    json_pack("{s:s, s:s, s:s}", "serial", "SN-V2", "voucher", v, "masa-ca", masa_pem));
	{
		struct admin_response r;
		json_t *j = NULL;

		CHECK_RC(call(jreq("POST", path, body), &r, &j), 201);
		json_decref(j);
		admin_response_clear(&r);
	}
	ctx.masa = masa;
	free(body);
	free(v);
	free(other);
}

/* ---- GET / PATCH / DELETE /devices/{serial} --------------------------------------------- */

static void test_get(void)
{
	struct admin_response r;
	struct reg_progress p;
	json_t *j = NULL, *sum;

	memset(&p, 0, sizeof(p));
	snprintf(p.serial, sizeof(p.serial), "SN-0001234");
	snprintf(p.type, sizeof(p.type), "bootstrap-initiated");
	p.time = 1700000000;
	CHECK_RC(reg_progress_add(reg, &p, NULL), SZTP_OK);
	CHECK_RC(call(jreq("GET", "/api/v1/devices/SN-0001234", NULL), &r, &j), 200);
	sum = json_object_get(j, "voucher-summary");
	CHECK(!strcmp(jstr(sum, "serial-number"), "SN-0001234"));
	CHECK(!strcmp(jstr(sum, "signature"), "verified against masa.pem"));
	CHECK(!strcmp(jstr(sum, "expiry"), "ok") &&
	      !strcmp(jstr(sum, "expires-on"), "2099-01-01T00:00:00Z"));
	CHECK(json_integer_value(json_object_get(j, "progress-reports")) == 1);
	CHECK(!strcmp(jstr(j, "last-progress"), "bootstrap-initiated"));
	CHECK(!strcmp(jstr(j, "last-progress-time"), "2023-11-14T22:13:20Z"));
	CHECK(!strcmp(jstr(j, "state"), "bootstrap-initiated"));
	json_decref(j);
	admin_response_clear(&r);
	/* a percent-encoded serial */
	CHECK_RC(call(jreq("POST", "/api/v1/devices", "{\"serial\":\"SN/1 +x\"}"), &r, NULL), 201);
	CHECK(!strcmp(r.location, "/api/v1/devices/SN%2F1%20%2Bx"));
	admin_response_clear(&r);
	CHECK_RC(call(jreq("GET", "/api/v1/devices/SN%2F1%20%2Bx", NULL), &r, &j), 200);
	CHECK(!strcmp(jstr(j, "serial"), "SN/1 +x") &&
	      json_is_null(json_object_get(j, "voucher-summary")));
	json_decref(j);
	admin_response_clear(&r);
	refused(jreq("GET", "/api/v1/devices/SN-404", NULL), 404, "not-found", NULL, NULL);
	refused(qreq("GET", "/api/v1/devices/SN-1", "expiring-within=x"), 400, "invalid-parameter",
		"parameter", "expiring-within");
	refused(qreq("GET", "/api/v1/devices/SN-1", "limit=3"), 400, "unknown-parameter",
		"parameter", "limit");
}

static void test_patch(void)
{
	struct admin_response r;
	struct reg_audit a;
	json_t *j = NULL;
	char etag[ADMIN_ETAG_MAX], stale[ADMIN_ETAG_MAX], *body;
	int64_t before = rev_of("SN-1");
	const char *path = "/api/v1/devices/SN-1";

	CHECK_RC(call(jreq("GET", path, NULL), &r, NULL), 200);
	snprintf(etag, sizeof(etag), "%s", r.etag);
	admin_response_clear(&r);
	CHECK_RC(call(matching(jreq("PATCH", path, "{\"profile\":\"p1\",\"password\":\"s3cret\"}"),
			       etag),
		      &r, &j),
		 200);
	CHECK(!strcmp(jstr(j, "profile"), "p1") && json_is_true(json_object_get(j, "password")));
	CHECK(!json_object_get(j, "warnings"));
	CHECK(strcmp(r.etag, etag) != 0);
	snprintf(stale, sizeof(stale), "%s", etag);
	a = last_audit("devices/SN-1");
	CHECK(!strcmp(a.action, "device.update") && a.rev_before == before &&
	      a.rev_after == rev_of("SN-1") && a.rev_after != before);
	json_decref(j);
	admin_response_clear(&r);
	/* stale If-Match: 412, nothing changed */
	refused(matching(jreq("PATCH", path, "{\"profile\":null}"), stale), 412,
		"precondition-failed", NULL, NULL);
	refused(matching(jreq("PATCH", path, "{}"), NULL), 400, "missing-field", NULL, NULL);
	refused(matching(jreq("PATCH", path, "{\"profile\":\"nosuch\"}"), NULL), 400,
		"invalid-field", "field", "/profile");
	refused(
	    matching(jreq("PATCH", path, "{\"password\":null,\"password-generate\":true}"), NULL),
	    400, "invalid-field", "field", "/password-generate");
	refused(matching(jreq("PATCH", path, "{\"reset-idevid-pin\":true,\"idevid\":\"x\"}"), NULL),
		400, "invalid-field", "field", "/reset-idevid-pin");
	refused(matching(jreq("PATCH", path, "{\"serial\":\"SN-2\"}"), NULL), 400, "unknown-field",
		"field", "/serial");
	refused(matching(jreq("PATCH", path, "{\"profile\":[]}"), NULL), 400, "invalid-field",
		"field", "/profile");
	refused(as_reader(jreq("PATCH", path, "{\"profile\":null}")), 403, "forbidden", NULL, NULL);
	refused(jreq("PATCH", "/api/v1/devices/SN-404", "{\"profile\":null}"), 404, "not-found",
		NULL, NULL);
	refused(matching(jreq("PATCH", "/api/v1/devices/SN-404", "{\"profile\":null}"), "*"), 412,
		"precondition-failed", NULL, NULL);
	/* the voucher of SN-0001234 pins the default owner's root: p2 is served by another owner */
	refused(jreq("PATCH", "/api/v1/devices/SN-0001234", "{\"profile\":\"p2\"}"), 409,
		"conflict", "field", "/profile");
	refused_saying(jreq("PATCH", "/api/v1/devices/SN-0001234", "{\"profile\":\"p2\"}"), 409,
		       "voucher of device SN-0001234 pins");
	/* generate, remove, pin and unpin */
	CHECK_RC(call(matching(jreq("PATCH", path, "{\"password-generate\":true,\"profile\":null}"),
			       "*"),
		      &r, &j),
		 200);
	CHECK(strlen(jstr(j, "password")) == PASSWD_GEN_LEN &&
	      json_is_null(json_object_get(j, "profile")));
	json_decref(j);
	admin_response_clear(&r);
	CHECK_RC(call(matching(jreq("PATCH", path, "{\"password\":null}"), NULL), &r, &j), 200);
	CHECK(json_is_false(json_object_get(j, "password")));
	json_decref(j);
	admin_response_clear(&r);
	body = dump(json_pack("{s:s}", "idevid", idevid_pem));
	refused_saying(matching(jreq("PATCH", path, body), NULL), 400,
		       "names serial number 'SN-0001234', not 'SN-1'");
	free(body);
	CHECK_RC(call(jreq("PATCH", "/api/v1/devices/SN-0001234", "{\"reset-idevid-pin\":true}"),
		      &r, &j),
		 200);
	CHECK(json_is_null(json_object_get(j, "idevid-pin")));
	json_decref(j);
	admin_response_clear(&r);
}

static void test_delete(void)
{
	struct admin_response r;
	struct reg_audit a;
	char etag[ADMIN_ETAG_MAX];
	int64_t before;
	const char *path = "/api/v1/devices/SN-G";

	CHECK_RC(call(jreq("GET", path, NULL), &r, NULL), 200);
	snprintf(etag, sizeof(etag), "%s", r.etag);
	admin_response_clear(&r);
	refused(matching(jreq("DELETE", path, NULL), "\"0000000000000000\""), 412,
		"precondition-failed", NULL, NULL);
	refused(as_reader(jreq("DELETE", path, NULL)), 403, "forbidden", NULL, NULL);
	refused(qreq("DELETE", path, "force=1"), 400, "unknown-parameter", "parameter", "force");
	before = rev_of("SN-G");
	CHECK_RC(call(matching(jreq("DELETE", path, NULL), etag), &r, NULL), 204);
	CHECK(r.body == NULL);
	admin_response_clear(&r);
	a = last_audit("devices/SN-G");
	CHECK(!strcmp(a.action, "device.delete") && a.rev_before == before && a.rev_after == 0);
	refused(jreq("GET", path, NULL), 404, "not-found", NULL, NULL);
	refused(jreq("DELETE", path, NULL), 404, "not-found", NULL, NULL);
}

/* ---- the voucher routes -------------------------------------------------------------- */

static void test_voucher(void)
{
	const char *path = "/api/v1/devices/SN-1/voucher";
	sztp_bytes der = mint("SN-1", FAR, NULL);
	sztp_bytes other = mint("SN-2", NULL, NULL);
	struct admin_response r;
	struct reg_audit a;
	json_t *j = NULL;
	char *b64 = NULL, *body, etag[ADMIN_ETAG_MAX];
	int64_t before = rev_of("SN-1");

	refused(jreq("GET", path, NULL), 404, "not-found", NULL, NULL);
	refused(cms_put(path, other, NULL), 400, "invalid-field", NULL, NULL);
	refused(treq("PUT", path, CMS, "\x30\x03\x02\x01", 4), 400, "invalid-field", NULL, NULL);
	refused(treq("PUT", path, "text/plain", "x", 0), 415, "unsupported-media-type", NULL, NULL);
	refused(jreq("PUT", path, "{\"voucher\":"), 400, "malformed-json", NULL, NULL);
	refused(jreq("PUT", path, "{\"voucher\":1}"), 400, "invalid-field", "field", "/voucher");
	refused(jreq("PUT", path, "{\"masa-ca\":\"x\"}"), 400, "missing-field", "field",
		"/voucher");
	refused(treq("PUT", "/api/v1/devices/SN-404/voucher", CMS, der.data, der.len), 404,
		"not-found", NULL, NULL);
	refused(cms_put(path, der, "\"0000000000000000\""), 412, "precondition-failed", NULL, NULL);
	/* attached: 201; the device's revision moves */
	CHECK_RC(call(cms_put(path, der, NULL), &r, &j), 201);
	CHECK(!strcmp(jstr(j, "serial-number"), "SN-1") &&
	      !strcmp(jstr(j, "signature"), "verified against masa.pem") &&
	      json_integer_value(json_object_get(j, "bytes")) == (json_int_t)der.len);
	snprintf(etag, sizeof(etag), "%s", r.etag);
	json_decref(j);
	admin_response_clear(&r);
	a = last_audit("devices/SN-1");
	CHECK(!strcmp(a.action, "voucher.attach") && a.rev_before == before &&
	      a.rev_after == rev_of("SN-1") && a.rev_after != before);
	/* the CMS as stored, and the summary with its content */
	CHECK_RC(call(accepting(jreq("GET", path, NULL), CMS), &r, NULL), 200);
	CHECK(!strcmp(r.content_type, CMS) && r.body_len == der.len &&
	      !memcmp(r.body, der.data, der.len));
	admin_response_clear(&r);
	CHECK_RC(call(qreq("GET", path, "expiring-within=36500"), &r, &j), 200);
	CHECK(!strcmp(jstr(j, "expiry"), "expiring") &&
	      json_object_get(json_object_get(j, "content"), "ietf-voucher:voucher"));
	json_decref(j);
	admin_response_clear(&r);
	/* replaced, as JSON with the request's anchor, If-Match the device's ETag: 200 */
	b64_encode(der.data, der.len, &b64, NULL);
	body = dump(json_pack("{s:s, s:s}", "voucher", b64, "masa-ca", masa_pem));
	CHECK_RC(call(matching(jreq("PUT", path, body), etag), &r, &j), 200);
	CHECK(!strcmp(jstr(j, "signature"), "verified against the request's masa-ca"));
	json_decref(j);
	admin_response_clear(&r);
	free(body);
	body = dump(json_pack("{s:s, s:s}", "voucher", b64, "masa-ca", evil_pem));
	refused(jreq("PUT", path, body), 400, "invalid-field", "field", "/voucher");
	free(body);
	/* detached */
	before = rev_of("SN-1");
	refused(as_reader(jreq("DELETE", path, NULL)), 403, "forbidden", NULL, NULL);
	refused(matching(jreq("DELETE", path, NULL), etag), 412, "precondition-failed", NULL, NULL);
	CHECK_RC(call(jreq("DELETE", path, NULL), &r, NULL), 204);
	admin_response_clear(&r);
	a = last_audit("devices/SN-1");
	CHECK(!strcmp(a.action, "voucher.detach") && a.rev_before == before);
	refused(jreq("DELETE", path, NULL), 404, "not-found", NULL, NULL);
	refused_saying(jreq("GET", path, NULL), 404, "device 'SN-1' has no voucher");
	free(b64);
	sztp_bytes_free(&der);
	sztp_bytes_free(&other);
}

/* ---- GET /devices ----------------------------------------------------------------------- */

/* The serials of one page, comma-separated, and its next-cursor. */
static void page(const char *query, char *serials, size_t len, char *cursor, size_t clen)
{
	struct admin_response r;
	json_t *j = NULL, *it;
	size_t i, o = 0;

	serials[0] = cursor[0] = '\0';
	CHECK_RC(call(qreq("GET", "/api/v1/devices", query), &r, &j), 200);
	json_array_foreach(json_object_get(j, "items"), i, it)
	{
		o += (size_t)snprintf(serials + o, len - o, "%s%s", o ? "," : "",
				      jstr(it, "serial"));
	}
	CHECK(json_object_get(j, "next-cursor") != NULL);
	snprintf(cursor, clen, "%s", jstr(j, "next-cursor"));
	json_decref(j);
	admin_response_clear(&r);
}

/* GET /devices?query and the serials it lists (after test_list's setup). */
static const char *const filters[][2] = {
    {"serial-prefix=PG-&seen-since=2027-01-01T00:00:00Z", "PG-2"},
    {"serial-prefix=PG-&seen-before=2030-01-01T00:00:00Z&seen-since=2020-01-01T00:00:00Z", "PG-2"},
    {"serial-prefix=PG-&seen-before=2030-01-01T00:00:00Z", "PG-2"},
    {"serial-prefix=PG-&seen-before=2027-01-01T00:00:00Z", ""},
    {"has-voucher=true", "SN-0001234,SN-V2"},
    {"profile=p1&has-voucher=false", "PG-2,PG-3"},
    {"profile=&serial-prefix=SN", "SN-1,SN-V2,SN/1 +x"},
    {"state=bootstrap-initiated", "SN-0001234"},
    {"serial-prefix=SN%2F1%20%2B", "SN/1 +x"},
};

static void test_list(void)
{
	char s[512], cur[256], q[512];
	const char *serials[] = {"PG-1", "PG-2", "PG-3", NULL};
	size_t i;

	for (i = 0; serials[i]; i++) {
		struct admin_response r;
		char body[64];

		snprintf(body, sizeof(body), "{\"serial\":\"%s\",\"profile\":\"p1\"}", serials[i]);
		CHECK_RC(call(jreq("POST", "/api/v1/devices", body), &r, NULL), 201);
		admin_response_clear(&r);
	}
	CHECK_RC(reg_device_seen(reg, "PG-2", NULL, 1800000000, NULL), SZTP_OK);
	/* empty */
	page("serial-prefix=NONE", s, sizeof(s), cur, sizeof(cur));
	CHECK(!strcmp(s, "") && !cur[0]);
	/* exactly one page: no next-cursor */
	page("serial-prefix=PG-&limit=3", s, sizeof(s), cur, sizeof(cur));
	CHECK(!strcmp(s, "PG-1,PG-2,PG-3") && !cur[0]);
	/* two pages; the last one ends the list */
	page("serial-prefix=PG-&limit=2", s, sizeof(s), cur, sizeof(cur));
	CHECK(!strcmp(s, "PG-1,PG-2") && cur[0]);
	snprintf(q, sizeof(q), "serial-prefix=PG-&limit=2&cursor=%s", cur);
	page(q, s, sizeof(s), cur, sizeof(cur));
	CHECK(!strcmp(s, "PG-3") && !cur[0]);
	/* a cursor stays valid after its row is deleted */
	page("serial-prefix=PG-&limit=1", s, sizeof(s), cur, sizeof(cur));
	CHECK(!strcmp(s, "PG-1") && cur[0]);
	CHECK_RC(reg_device_remove(reg, "PG-1", NULL), SZTP_OK);
	snprintf(q, sizeof(q), "serial-prefix=PG-&limit=1&cursor=%s", cur);
	page(q, s, sizeof(s), cur, sizeof(cur));
	CHECK(!strcmp(s, "PG-2"));
	/* filters (never seen: not "seen before" anything) */
	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		page(filters[i][0], s, sizeof(s), cur, sizeof(cur));
		if (strcmp(s, filters[i][1]))
			fprintf(stderr, "  GET /devices?%s: %s, want %s\n", filters[i][0], s,
				filters[i][1]);
		CHECK(!strcmp(s, filters[i][1]) && !cur[0]);
	}
	/* refused parameters */
#define LIST(q) (qreq("GET", "/api/v1/devices", (q)))
	refused(LIST("limit=0"), 400, "invalid-parameter", "parameter", "limit");
	refused(LIST("limit=1001"), 400, "invalid-parameter", "parameter", "limit");
	refused(LIST("cursor=!!"), 400, "invalid-parameter", "parameter", "cursor");
	refused(LIST("has-voucher=maybe"), 400, "invalid-parameter", "parameter", "has-voucher");
	refused(LIST("seen-since=yesterday"), 400, "invalid-parameter", "parameter", "seen-since");
	refused(LIST("serial-prefix="), 400, "invalid-parameter", "parameter", "serial-prefix");
	refused(LIST("expiring-within=36501"), 400, "invalid-parameter", "parameter",
		"expiring-within");
	refused(LIST("serial=SN-1"), 400, "unknown-parameter", "parameter", "serial");
	refused(LIST("limit=1&limit=2"), 400, "invalid-parameter", "parameter", "limit");
#undef LIST
}

/* ---- POST /bulk/devices -------------------------------------------------------------------- */

static json_t *bulk_item(const char *serial, const char *voucher_b64)
{
	json_t *o = json_pack("{s:s}", "serial", serial);

	if (voucher_b64)
		json_object_set_new(o, "voucher", json_string(voucher_b64));
	return o;
}

static void bulk_refused(json_t *devices, int status, const char *slug, const char *field,
			 const char *detail_start)
{
	char *body = dump(json_pack("{s:o}", "devices", devices));
	struct admin_request q = {.method = "POST",
				  .path = "/api/v1/bulk/devices",
				  .content_type = JSON,
				  .body = U(body)};

	refused(q, status, slug, field ? "field" : NULL, field);
	if (detail_start)
		refused_saying(q, status, detail_start);
	free(body);
}

static void test_bulk_refused(void)
{
	char *v = mint_b64("BK-2", FAR, NULL);

	bulk_refused(json_pack("[o, o, {s:i}]", bulk_item("BK-1", NULL), bulk_item("BK-2", NULL),
			       "serial", 5),
		     400, "invalid-field", "/devices/2/serial", "devices[2]: ");
	bulk_refused(json_pack("[o, o]", bulk_item("BK-1", NULL), bulk_item("BK-3", v)), 400,
		     "invalid-field", "/devices/1/voucher", "devices[1]: the voucher is for");
	bulk_refused(json_pack("[o, o, o]", bulk_item("BK-1", NULL), bulk_item("BK-2", v),
			       bulk_item("BK-1", NULL)),
		     409, "exists", "/devices/2/serial", "devices[2]: device 'BK-1' is already");
	bulk_refused(json_pack("[o, o]", bulk_item("BK-1", NULL), bulk_item("SN-1", NULL)), 409,
		     "exists", "/devices/1/serial", NULL);
	bulk_refused(json_pack("[o, {s:s, s:s}]", bulk_item("BK-1", NULL), "serial", "BK-2",
			       "profile", "nosuch"),
		     400, "invalid-field", "/devices/1/profile", "no profile named 'nosuch'");
	bulk_refused(json_pack("[o, {s:s, s:b}]", bulk_item("BK-1", NULL), "serial", "BK-2",
			       "password-generate", 1),
		     400, "invalid-field", "/devices/1/password-generate", NULL);
	bulk_refused(
	    json_pack("[o, {s:s, s:s}]", bulk_item("BK-1", NULL), "serial", "BK-2", "x", "y"), 400,
	    "unknown-field", "/devices/1/x", NULL);
	bulk_refused(json_pack("[o, s]", bulk_item("BK-1", NULL), "BK-2"), 400, "invalid-field",
		     "/devices/1", NULL);
	bulk_refused(json_array(), 400, "invalid-field", "/devices", NULL);
	bulk_refused(json_object(), 400, "invalid-field", "/devices", NULL);
	refused(jreq("POST", "/api/v1/bulk/devices", "{}"), 400, "missing-field", "field",
		"/devices");
	refused(
	    jreq("POST", "/api/v1/bulk/devices", "{\"devices\":[{\"serial\":\"BK-1\"}],\"x\":1}"),
	    400, "unknown-field", "field", "/x");
	refused(jreq("POST", "/api/v1/bulk/devices", "{\"devices\":[{\"serial\":"), 400,
		"malformed-json", NULL, NULL);
	refused(as_reader(
		    jreq("POST", "/api/v1/bulk/devices", "{\"devices\":[{\"serial\":\"BK-1\"}]}")),
		403, "forbidden", NULL, NULL);
	free(v);
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

#define BULK_N 10000

static void test_bulk(void)
{
	struct admin_response r;
	struct reg_device d;
	struct reg_audit a;
	struct timespec t0;
	json_t *devices = json_array(), *j = NULL;
	int64_t n0 = 0, n1 = 0;
	char serial[32], *b64, *body;
	size_t i, bytes;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < BULK_N; i++) {
		snprintf(serial, sizeof(serial), "BULK-%05zu", i);
		b64 = mint_b64(serial, FAR, NULL);
		json_array_append_new(devices, json_pack("{s:s, s:s, s:s}", "serial", serial,
							 "profile", "p1", "voucher", b64));
		free(b64);
	}
	body = dump(json_pack("{s:o}", "devices", devices));
	bytes = strlen(body);
	printf("test_admin_devices: %d vouchers minted in %.2f s; the request has %.1f MB\n",
	       BULK_N, secs_since(&t0), (double)bytes / 1e6);
	reg_device_count(reg, &n0, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RC(call(treq("POST", "/api/v1/bulk/devices", JSON, body, bytes), &r, &j), 201);
	s = secs_since(&t0);
	printf("test_admin_devices: POST /bulk/devices of %d devices with vouchers: %.2f s "
	       "(%.0f devices/s)\n",
	       BULK_N, s, s > 0 ? BULK_N / s : 0.0);
	reg_device_count(reg, &n1, NULL);
	CHECK(n1 == n0 + BULK_N);
	CHECK(json_integer_value(json_object_get(j, "created")) == BULK_N);
	CHECK(json_array_size(json_object_get(j, "serials")) == BULK_N);
	memset(&d, 0, sizeof(d));
	CHECK_RC(reg_device_get(reg, "BULK-09999", &d, NULL), SZTP_OK);
	CHECK(d.voucher.len > 100 && d.voucher_expires == 4070908800 && !strcmp(d.profile, "p1"));
	reg_device_clear(&d);
	a = last_audit("devices");
	CHECK(!strcmp(a.action, "bulk.devices") && !strcmp(a.resource, "devices"));
	json_decref(j);
	admin_response_clear(&r);
	free(body);

	/* passwords are hashed (on every CPU) at ctx's cost */
	devices = json_array();
	for (i = 0; i < 40; i++) {
		snprintf(serial, sizeof(serial), "PW-%02zu", i);
		json_array_append_new(
		    devices, json_pack("{s:s, s:s}", "serial", serial, "password", serial));
	}
	body = dump(json_pack("{s:o}", "devices", devices));
	CHECK_RC(call(jreq("POST", "/api/v1/bulk/devices", body), &r, NULL), 201);
	admin_response_clear(&r);
	free(body);
	memset(&d, 0, sizeof(d));
	CHECK_RC(reg_device_get(reg, "PW-17", &d, NULL), SZTP_OK);
	CHECK(d.password_hash && passwd_verify("PW-17", d.password_hash) == 1 &&
	      passwd_cost(d.password_hash) == PASSWD_COST_MIN);
	reg_device_clear(&d);
}

static int count_device(const struct reg_device *d, void *arg)
{
	(void)d;
	(*(int *)arg)++;
	return 0;
}

/* A serial prefix whose last character is U+00FF (C3 BF): the range's end
 * is the next character, U+0100 (C4 80), on both backends (one more than
 * the last byte would not be UTF-8, which PostgreSQL refuses as text). */
static void test_prefix_utf8(void)
{
	const char *const serials[] = {"U\xc3\xbf", "U\xc3\xbf-2", "U\xc4\x80"};
	struct reg_query q = REG_QUERY_INIT;
	struct reg_device d;
	size_t i;
	int n = 0;

	for (i = 0; i < 3; i++) {
		memset(&d, 0, sizeof(d));
		snprintf(d.serial, sizeof(d.serial), "%s", serials[i]);
		CHECK_RC(reg_device_add(reg, &d, NULL), SZTP_OK);
	}
	q.serial_prefix = "U\xc3\xbf";
	CHECK_RC(reg_device_query(reg, &q, count_device, &n, NULL), SZTP_OK);
	CHECK(n == 2);
	q.serial_prefix = NULL;
	q.serial = "U\xc3\xbf";
	n = 0;
	CHECK_RC(reg_device_query(reg, &q, count_device, &n, NULL), SZTP_OK);
	CHECK(n == 1);
	q.serial = NULL;
	q.serial_prefix = "U";
	q.after_key = "U\xc3\xbf-2";
	n = 0;
	CHECK_RC(reg_device_query(reg, &q, count_device, &n, NULL), SZTP_OK);
	CHECK(n == 1);
	for (i = 0; i < 3; i++)
		CHECK_RC(reg_device_remove(reg, serials[i], NULL), SZTP_OK);
}

static void cases(void)
{
	test_create();
	test_create_refused();
	test_get();
	test_patch();
	test_delete();
	test_voucher();
	test_list();
	test_prefix_utf8();
	test_bulk_refused();
	test_bulk();
}

/* The cases on SQLite, then again on a fresh PostgreSQL database. */
static void both_backends(void)
{
	char uri[512];

	CHECK(open_registry(NULL) == 0);
	if (ctx.reg)
		cases();
	reg_close(reg);
	reg = ctx.reg = NULL;
	if (!pgtest_server()) {
		printf("test_admin_devices: the PostgreSQL half did not run (SZTP_TEST_PG is "
		       "unset)\n");
		return;
	}
	CHECK(pgtest_fresh("adev", uri, sizeof(uri)) != NULL);
	CHECK(open_registry(uri) == 0);
	if (ctx.reg)
		cases();
	reg_close(reg);
	reg = ctx.reg = NULL;
}

int main(void)
{
	struct sztp_yang *y = NULL;

	if (setup(&y) != 0) {
		fprintf(stderr, "setup failed\n");
		CHECK(0);
		return unit_report("test_admin_devices");
	}
	both_backends();
	yang_close(y);
	pki_trust_free(masa);
	pki_signer_free(masa_signer);
	free(pinned_b64);
	free(masa_pem);
	free(evil_pem);
	free(idevid_pem);
	fixture_teardown();
	return unit_report("test_admin_devices");
}
