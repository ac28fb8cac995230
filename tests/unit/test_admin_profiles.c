/*
 * test_admin_profiles.c - the admin API's profiles and owner identities
 * (admin/profiles.c, admin/owners.c) through admin_handle on a temporary
 * registry with the fixture PKI: CRUD of both kinds, redirect trust
 * anchors built from PEM (the stored CMS read back with lib/cms), invalid
 * conveyed information answered with the member at fault, unknown and
 * wrongly typed members, If-Match / If-None-Match, a profile in use, an
 * owner whose key does not match, vouchers that do not pin a new owner
 * chain (refused, or forced with a warning), audit rows, pagination edges.
 * Every refused write is checked to leave the registry as it was.
 */
#include <jansson.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin_internal.h"
#include "cms.h"
#include "fixture.h"
#include "pgtest.h"
#include "unit.h"
#include "util.h"
#include "yang.h"

static struct admin_ctx ctx;
static struct admin_actor writer = {"token:writer", ADMIN_SCOPE_WRITE};
static struct admin_actor reader = {"token:reader", ADMIN_SCOPE_READ};
static char db_path[128]; /* SQLite: the registry; PostgreSQL: where dumps go */
static char db_uri[512];  /* PostgreSQL: the registry ("" on SQLite) */
static char *root_pem;	  /* the owner root's PEM text */

static struct {
	const char *if_match, *if_none_match;
} pre;

/* One call: status, the JSON body in *j (NULL when none), response in *r. */
static int call(const char *method, const char *path, const char *query, const char *body,
		const struct admin_actor *who, struct admin_response *r, json_t **j)
{
	struct admin_request req;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.query = query;
	req.content_type = body ? "application/json" : NULL;
	req.body = (const uint8_t *)body;
	req.body_len = body ? strlen(body) : 0;
	req.if_match = pre.if_match;
	req.if_none_match = pre.if_none_match;
	req.actor = who;
	admin_handle(&ctx, &req, r);
	*j = r->body ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
	return r->status;
}

/* The same, JSON dropped. */
static int status_of(const char *method, const char *path, const char *query, const char *body)
{
	struct admin_response r;
	json_t *j;
	int st = call(method, path, query, body, &writer, &r, &j);

	json_decref(j);
	admin_response_clear(&r);
	return st;
}

static const char *jstr(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s ? s : "";
}

/* The whole registry as text: a refused write must leave it unchanged. */
static char *dump(void)
{
	char cmd[1024], *out = NULL;
	sztp_bytes b = {NULL, 0};

	if (db_uri[0]) /* the rows; not the sequences' positions nor the random
			* \restrict key of every dump */
		snprintf(
		    cmd, sizeof(cmd),
		    "pg_dump -a '%s' | grep -v -E '^(SELECT pg_catalog.setval|\\\\(un)?restrict)' "
		    "> '%s.dump'",
		    db_uri, db_path);
	else
		snprintf(cmd, sizeof(cmd), "sqlite3 '%s' .dump > '%s.dump'", db_path, db_path);
	if (system(cmd) != 0)
		return strdup("(dump failed)");
	snprintf(cmd, sizeof(cmd), "%s.dump", db_path);
	if (file_read(cmd, 64 * 1024 * 1024, &b, NULL) == SZTP_OK)
		out = strndup((char *)b.data, b.len);
	sztp_bytes_free(&b);
	return out ? out : strdup("(unreadable)");
}

/* A refused call: status, slug, field (NULL: none), detail containing
 * `says` (NULL: any); the registry unchanged. */
static void refused(const char *method, const char *path, const char *query, const char *body,
		    int status, const char *slug, const char *field, const char *says)
{
	struct admin_response r;
	char *before = dump(), *after, type[96];
	json_t *j;

	snprintf(type, sizeof(type), "urn:sztp:problem:%s", slug);
	CHECK_RC(call(method, path, query, body, &writer, &r, &j), status);
	CHECK(!strcmp(jstr(j, "type"), type));
	CHECK(field ? !strcmp(jstr(j, "field"), field) : !json_object_get(j, "field"));
	CHECK(!says || strstr(jstr(j, "detail"), says));
	if (strcmp(jstr(j, "type"), type) || (field && strcmp(jstr(j, "field"), field)) ||
	    (says && !strstr(jstr(j, "detail"), says)))
		fprintf(stderr, "  %s %s %s: %d %s field %s: %s\n", method, path, body ? body : "",
			r.status, jstr(j, "type"), jstr(j, "field"), jstr(j, "detail"));
	after = dump();
	CHECK(!strcmp(before, after));
	free(before);
	free(after);
	json_decref(j);
	admin_response_clear(&r);
}

/* The audit rows of an action on a resource ("owners/": all owners). */
struct audit_count {
	const char *resource, *action;
	int n;
	struct reg_audit last;
};

static int audit_cb(const struct reg_audit *a, void *arg)
{
	struct audit_count *k = arg;

	if (strcmp(a->action, k->action) ||
	    (k->resource[strlen(k->resource) - 1] != '/' && strcmp(a->resource, k->resource)))
		return 0;
	k->n++;
	reg_audit_clear(&k->last);
	k->last = *a;
	k->last.detail = a->detail ? strdup(a->detail) : NULL;
	return 0;
}

static struct audit_count audits(const char *resource, const char *action)
{
	struct reg_query q = REG_QUERY_INIT;
	struct audit_count k;

	memset(&k, 0, sizeof(k));
	k.resource = resource;
	k.action = action;
	q.resource = resource;
	CHECK_RC(reg_audit_query(ctx.reg, &q, audit_cb, &k, NULL), SZTP_OK);
	return k;
}

/* A JSON string of a file's contents (PEM). */
static char *json_text_of(const char *path)
{
	sztp_bytes b = {NULL, 0};
	json_t *s;
	char *out = NULL;

	if (file_read(path, 1024 * 1024, &b, NULL) == SZTP_OK &&
	    (s = json_stringn((char *)b.data, b.len))) {
		out = json_dumps(s, JSON_ENCODE_ANY);
		json_decref(s);
	}
	sztp_bytes_free(&b);
	return out;
}

static char *owner_body(const char *chain, const char *key, const char *extra)
{
	char *pem = json_text_of(P(chain)), *body = NULL;

	if (pem && asprintf(&body, "{\"chain\": %s, \"key-path\": \"%s\"%s}", pem,
			    key[0] == '/' ? key : P(key), extra ? extra : "") < 0)
		body = NULL;
	free(pem);
	return body;
}

/* A list answering an empty last page. */
static void empty_list(const char *path, const char *query)
{
	struct admin_response r;
	json_t *j;

	CHECK_RC(call("GET", path, query, NULL, &reader, &r, &j), 200);
	CHECK(json_array_size(json_object_get(j, "items")) == 0);
	CHECK(json_is_null(json_object_get(j, "next-cursor")));
	json_decref(j);
	admin_response_clear(&r);
}

/* ---- owners ------------------------------------------------------------------ */

static void test_owners(void)
{
	struct admin_response r;
	char *body, realkey[PATH_MAX], want[80];
	json_t *j, *c0;
	struct audit_count a;

	empty_list("/api/v1/owners", NULL);
	refused("GET", "/api/v1/owners/default", NULL, NULL, 404, "not-found", NULL, "not set");

	/* a key that does not belong to the chain: nothing stored */
	body = owner_body("ec-chain.pem", "rsa.key", NULL);
	refused("PUT", "/api/v1/owners/default", NULL, body, 400, "invalid-field", "/key-path",
		"does not belong to the first certificate");
	free(body);
	body = owner_body("ec-chain.pem", "evilleaf.key", NULL);
	refused("PUT", "/api/v1/owners/default", NULL, body, 400, "invalid-field", "/key-path",
		"does not belong");
	free(body);
	/* a key others may read; relative and missing paths */
	CHECK(chmod(P("ec.trad.key"), 0644) == 0);
	body = owner_body("ec-chain.pem", "ec.trad.key", NULL);
	refused("PUT", "/api/v1/owners/default", NULL, body, 400, "invalid-field", "/key-path",
		"0644");
	free(body);
	CHECK(chmod(P("ec.trad.key"), 0600) == 0);
	refused("PUT", "/api/v1/owners/default", NULL,
		"{\"chain\": \"x\", \"key-path\": \"ec.key\"}", 400, "invalid-field", "/key-path",
		"absolute");
	body = owner_body("ec-chain.pem", "/nonexistent/ec.key", NULL);
	refused("PUT", "/api/v1/owners/default", NULL, body, 400, "invalid-field", "/key-path",
		"cannot resolve");
	free(body);
	/* the chain: not PEM, no certificate, does not validate */
	snprintf(want, sizeof(want), "{\"chain\": \"hello\", \"key-path\": \"%s\"}", P("ec.key"));
	refused("PUT", "/api/v1/owners/default", NULL, want, 400, "invalid-field", "/chain", NULL);
	{
		char *evil = json_text_of(P("evil.pem")), *ec = json_text_of(P("ec.pem"));
		char *two = NULL;

		/* the leaf, then an unrelated CA: does not validate */
		if (evil && ec &&
		    asprintf(&two, "{\"chain\": %.*s%s, \"key-path\": \"%s\"}", (int)strlen(ec) - 1,
			     ec, evil + 1, P("ec.key")) > 0)
			refused("PUT", "/api/v1/owners/default", NULL, two, 400, "invalid-field",
				"/chain", "does not validate");
		free(two);
		free(evil);
		free(ec);
	}
	/* members */
	refused("PUT", "/api/v1/owners/default", NULL, "{\"key-path\": \"/k\"}", 400,
		"missing-field", "/chain", NULL);
	body = owner_body("ec-chain.pem", "ec.key", ", \"colour\": 1");
	refused("PUT", "/api/v1/owners/default", NULL, body, 400, "unknown-field", "/colour", NULL);
	free(body);
	body = owner_body("ec-chain.pem", "ec.key", ", \"force\": \"yes\"");
	refused("PUT", "/api/v1/owners/default", NULL, body, 400, "invalid-field", "/force", NULL);
	free(body);
	body = owner_body("ec-chain.pem", "ec.key", ", \"force\": true, \"strict\": true");
	refused("PUT", "/api/v1/owners/default", NULL, body, 400, "invalid-field", "/strict",
		"not both");
	free(body);
	body = owner_body("ec-chain.pem", "ec.key", NULL);
	refused("PUT", "/api/v1/owners/bad%20name", NULL, body, 400, "invalid-parameter", NULL,
		"owner name");
	CHECK(audits("owners/", "owner.put").n == 0);

	/* set: 201, Location, ETag of the revision, the chain described */
	CHECK_RC(call("PUT", "/api/v1/owners/default", NULL, body, &writer, &r, &j), 201);
	CHECK(!strcmp(r.location, "/api/v1/owners/default"));
	snprintf(want, sizeof(want), "\"%s\"", jstr(j, "revision"));
	CHECK(!strcmp(r.etag, want));
	CHECK(!strcmp(jstr(j, "name"), "default"));
	CHECK(realpath(P("ec.key"), realkey) && !strcmp(jstr(j, "key-path"), realkey));
	CHECK(json_array_size(json_object_get(j, "chain")) == 2);
	c0 = json_array_get(json_object_get(j, "chain"), 0);
	CHECK(!strcmp(jstr(c0, "subject"), "CN=Test EC Signer"));
	CHECK(!strcmp(jstr(c0, "issuer"), "CN=Test Owner Intermediate"));
	CHECK(!strcmp(jstr(c0, "expiry"), "ok"));
	CHECK(json_integer_value(json_object_get(c0, "days-left")) >= 363);
	CHECK(strlen(jstr(c0, "not-after")) == 20);
	CHECK(json_array_size(json_object_get(j, "profiles")) == 0);
	CHECK(json_array_size(json_object_get(j, "warnings")) == 0);
	json_decref(j);
	admin_response_clear(&r);
	a = audits("owners/default", "owner.put");
	CHECK(a.n == 1 && a.last.rev_before == 0 && a.last.rev_after != 0);
	CHECK(!strcmp(a.last.actor, "token:writer"));
	reg_audit_clear(&a.last);

	/* GET: the same, flagged when expiring within the days asked */
	CHECK_RC(
	    call("GET", "/api/v1/owners/default", "expiring-within=400", NULL, &reader, &r, &j),
	    200);
	CHECK(!strcmp(r.etag, want));
	c0 = json_array_get(json_object_get(j, "chain"), 0);
	CHECK(!strcmp(jstr(c0, "expiry"), "expiring"));
	CHECK(!json_object_get(j, "warnings"));
	json_decref(j);
	admin_response_clear(&r);
	refused("GET", "/api/v1/owners/default", "expiring-within=-1", NULL, 400,
		"invalid-parameter", NULL, NULL);
	refused("GET", "/api/v1/owners/default", "limit=1", NULL, 400, "unknown-parameter", NULL,
		NULL);

	/* preconditions: stale If-Match, If-None-Match: * on an existing one */
	pre.if_match = "\"0000000000000001\"";
	refused("PUT", "/api/v1/owners/default", NULL, body, 412, "precondition-failed", NULL,
		NULL);
	pre.if_match = NULL;
	pre.if_none_match = "*";
	refused("PUT", "/api/v1/owners/default", NULL, body, 412, "precondition-failed", NULL,
		NULL);
	pre.if_none_match = NULL;
	pre.if_match = want;
	CHECK_RC(status_of("PUT", "/api/v1/owners/default", NULL, body), 200);
	pre.if_match = NULL;
	a = audits("owners/default", "owner.put");
	CHECK(a.n == 2 && a.last.rev_before != 0 && a.last.rev_before != a.last.rev_after);
	reg_audit_clear(&a.last);
	free(body);

	/* a second owner (RSA); the list pages by name */
	body = owner_body("rsa-chain.pem", "rsa.key", NULL);
	CHECK_RC(status_of("PUT", "/api/v1/owners/other", NULL, body), 201);
	free(body);
	CHECK_RC(call("GET", "/api/v1/owners", "limit=1", NULL, &reader, &r, &j), 200);
	CHECK(json_array_size(json_object_get(j, "items")) == 1);
	CHECK(!strcmp(jstr(json_array_get(json_object_get(j, "items"), 0), "name"), "default"));
	snprintf(want, sizeof(want), "limit=1&cursor=%s", jstr(j, "next-cursor"));
	json_decref(j);
	admin_response_clear(&r);
	CHECK_RC(call("GET", "/api/v1/owners", want, NULL, &reader, &r, &j), 200);
	CHECK(!strcmp(jstr(json_array_get(json_object_get(j, "items"), 0), "name"), "other"));
	snprintf(want, sizeof(want), "limit=1&cursor=%s", jstr(j, "next-cursor"));
	json_decref(j);
	admin_response_clear(&r);
	empty_list("/api/v1/owners", want);
	refused("GET", "/api/v1/owners", "cursor=%21%21", NULL, 400, "invalid-parameter", NULL,
		NULL);
	/* read scope cannot write */
	CHECK_RC(call("PUT", "/api/v1/owners/x", NULL, "{}", &reader, &r, &j), 403);
	json_decref(j);
	admin_response_clear(&r);
}

/* ---- profiles ------------------------------------------------------------------ */

#define HASH_PLAIN "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define HASH_COLON                                                                                 \
	"00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:"  \
	"dd:ee:ff"
#define ONB                                                                                        \
	"{\"kind\": \"onboarding\", \"boot-image\": {\"os-name\": \"os\", \"os-version\": "        \
	"\"1.2\", \"download-uri\": [\"https://example.com/image.bin\"], "                         \
	"\"image-verification\": [{\"hash-algorithm\": \"ietf-sztp-conveyed-info:sha-256\", "      \
	"\"hash-value\": \"" HASH_PLAIN "\"}]}, \"configuration-handling\": \"merge\", "           \
	"\"configuration\": \"PGNvbmZpZy8+\"}"

static void test_profile_onboarding(void)
{
	struct admin_response r;
	char etag[ADMIN_ETAG_MAX], stale[ADMIN_ETAG_MAX];
	struct reg_profile p;
	json_t *j, *ci, *img;
	struct audit_count a;

	empty_list("/api/v1/profiles", NULL);

	CHECK_RC(call("PUT", "/api/v1/profiles/onb", NULL, ONB, &writer, &r, &j), 201);
	CHECK(!strcmp(r.location, "/api/v1/profiles/onb"));
	CHECK(!strcmp(jstr(j, "kind"), "onboarding") && !strcmp(jstr(j, "sign"), "if-requested"));
	CHECK(!strcmp(jstr(j, "reporting"), "minimal") && !strcmp(jstr(j, "owner"), "default"));
	CHECK(json_is_false(json_object_get(j, "pin-idevid")));
	CHECK(json_integer_value(json_object_get(j, "devices")) == 0);
	CHECK(json_array_size(json_object_get(j, "warnings")) == 0); /* owner default is set */
	ci = json_object_get(json_object_get(j, "conveyed-information"),
			     "ietf-sztp-conveyed-info:onboarding-information");
	img = json_object_get(ci, "boot-image");
	CHECK(!strcmp(
	    jstr(json_array_get(json_object_get(img, "image-verification"), 0), "hash-value"),
	    HASH_COLON));
	CHECK(!strcmp(jstr(ci, "configuration"), "PGNvbmZpZy8+"));
	/* the members as a PUT gives them, the hash in YANG's form */
	CHECK(!strcmp(jstr(json_object_get(j, "boot-image"), "os-version"), "1.2"));
	CHECK(!strcmp(jstr(j, "configuration-handling"), "merge"));
	snprintf(etag, sizeof(etag), "\"%s\"", jstr(j, "revision"));
	CHECK(!strcmp(r.etag, etag));
	json_decref(j);
	admin_response_clear(&r);
	/* what is stored is what is served: compact, YANG order */
	memset(&p, 0, sizeof(p));
	CHECK_RC(reg_profile_get(ctx.reg, "onb", &p, NULL), SZTP_OK);
	CHECK(p.conveyed_json && strstr(p.conveyed_json, HASH_COLON) &&
	      !strchr(p.conveyed_json, ' '));
	CHECK(p.conveyed_json && strstr(p.conveyed_json, "\"boot-image\"") <
				     strstr(p.conveyed_json, "\"configuration-handling\""));
	reg_profile_clear(&p);
	a = audits("profiles/onb", "profile.put");
	CHECK(a.n == 1 && a.last.rev_before == 0);
	CHECK(a.last.detail && strstr(a.last.detail, "\"kind\":\"onboarding\""));
	reg_audit_clear(&a.last);

	/* GET: the ETag; If-None-Match with it: 304 */
	CHECK_RC(call("GET", "/api/v1/profiles/onb", NULL, NULL, &reader, &r, &j), 200);
	CHECK(!strcmp(r.etag, etag) && !json_object_get(j, "warnings"));
	CHECK(json_object_get(j, "conveyed-information") != NULL);
	json_decref(j);
	admin_response_clear(&r);
	pre.if_none_match = etag;
	CHECK_RC(status_of("GET", "/api/v1/profiles/onb", NULL, NULL), 304);
	pre.if_none_match = NULL;
	refused("GET", "/api/v1/profiles/none", NULL, NULL, 404, "not-found", NULL,
		"no profile named 'none'");

	/* replace: 200; pin-idevid kept when not given */
	CHECK_RC(status_of("PUT", "/api/v1/profiles/onb", NULL,
			   "{\"kind\": \"onboarding\", \"configuration-handling\": \"replace\", "
			   "\"configuration\": \"PGNvbmZpZy8+\", \"pin-idevid\": true, \"sign\": "
			   "\"always\", \"reporting\": \"verbose\"}"),
		 200);
	CHECK_RC(call("PUT", "/api/v1/profiles/onb", NULL,
		      "{\"kind\": \"onboarding\", \"configuration-handling\": \"replace\", "
		      "\"configuration\": \"PGNvbmZpZy8+\", \"sign\": \"always\"}",
		      &writer, &r, &j),
		 200);
	CHECK(json_is_true(json_object_get(j, "pin-idevid")));
	CHECK(!strcmp(jstr(j, "sign"), "always") && !strcmp(jstr(j, "reporting"), "minimal"));
	CHECK(!json_object_get(j, "boot-image"));
	snprintf(stale, sizeof(stale), "%s", etag);
	snprintf(etag, sizeof(etag), "\"%s\"", jstr(j, "revision"));
	CHECK(strcmp(stale, etag) != 0);
	json_decref(j);
	admin_response_clear(&r);

	/* If-Match: stale refused, nothing changed; current accepted */
	pre.if_match = stale;
	refused("PUT", "/api/v1/profiles/onb", NULL, ONB, 412, "precondition-failed", NULL, NULL);
	pre.if_match = "\"0123456789abcdef\"";
	refused("PUT", "/api/v1/profiles/new", NULL, ONB, 412, "precondition-failed", NULL, NULL);
	pre.if_match = etag;
	CHECK_RC(status_of("PUT", "/api/v1/profiles/onb", NULL, ONB), 200);
	pre.if_match = NULL;
	/* If-None-Match: *: create only */
	pre.if_none_match = "*";
	refused("PUT", "/api/v1/profiles/onb", NULL, ONB, 412, "precondition-failed", NULL,
		"exists");
	CHECK_RC(status_of("PUT", "/api/v1/profiles/onb2", NULL, ONB), 201);
	pre.if_none_match = NULL;

	/* an owner not set yet: stored, with a warning */
	CHECK_RC(call("PUT", "/api/v1/profiles/unset", NULL,
		      "{\"kind\": \"onboarding\", \"owner\": \"nobody\", \"configuration\": "
		      "\"eA==\", \"configuration-handling\": \"merge\"}",
		      &writer, &r, &j),
		 201);
	CHECK(json_array_size(json_object_get(j, "warnings")) == 1);
	CHECK(strstr(json_string_value(json_array_get(json_object_get(j, "warnings"), 0)),
		     "owner identity 'nobody' is not set yet") != NULL);
	json_decref(j);
	admin_response_clear(&r);
}

static void test_profile_refusals(void)
{
	/* conveyed information ietf-sztp-conveyed-info refuses, with the member */
	refused("PUT", "/api/v1/profiles/cfg", NULL,
		"{\"kind\": \"onboarding\", \"configuration-handling\": \"merge\"}", 400,
		"invalid-field", "/configuration-handling",
		"profile cfg: configuration-handling needs configuration");
	refused("PUT", "/api/v1/profiles/cfg", NULL,
		"{\"kind\": \"onboarding\", \"configuration\": \"eA==\"}", 400, "invalid-field",
		"/configuration", "configuration needs configuration-handling");
	refused("PUT", "/api/v1/profiles/cfg", NULL,
		"{\"kind\": \"onboarding\", \"boot-image\": {\"image-verification\": "
		"[{\"hash-algorithm\": \"sha-256\", \"hash-value\": \"" HASH_PLAIN "\"}]}}",
		400, "invalid-field", "/boot-image/image-verification/0", "download-uri");
	refused("PUT", "/api/v1/profiles/cfg", NULL, "{\"kind\": \"onboarding\"}", 400,
		"missing-field", NULL, "needs a boot image");
	refused("PUT", "/api/v1/profiles/red2", NULL,
		"{\"kind\": \"redirect\", \"bootstrap-server\": [{\"address\": \"a.example\"}, "
		"{\"address\": \"bad host!\"}]}",
		400, "invalid-field", "/bootstrap-server/1/address",
		"not valid conveyed information");
	refused("PUT", "/api/v1/profiles/red2", NULL,
		"{\"kind\": \"redirect\", \"bootstrap-server\": [{\"address\": \"a.example\"}, "
		"{\"address\": \"a.example\", \"port\": 1234}]}",
		400, "invalid-field", "/bootstrap-server", "listed twice");
	/* members: unknown, read-only, of the other kind, missing */
	refused("PUT", "/api/v1/profiles/x", NULL, "{\"kind\": \"onboarding\", \"colour\": 1}", 400,
		"unknown-field", "/colour", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"onboarding\", \"boot-image\": {\"os-name\": \"a\", \"size\": 1}}",
		400, "unknown-field", "/boot-image/size", NULL);
	refused(
	    "PUT", "/api/v1/profiles/x", NULL,
	    "{\"kind\": \"redirect\", \"bootstrap-server\": [{\"address\": \"a\", \"tls\": 1}]}",
	    400, "unknown-field", "/bootstrap-server/0/tls", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"onboarding\", \"devices\": 3, \"configuration\": \"eA==\"}", 400,
		"invalid-field", "/devices", "read-only");
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"onboarding\", \"bootstrap-server\": []}", 400, "invalid-field",
		"/bootstrap-server", "redirect profiles");
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"redirect\", \"configuration\": \"eA==\"}", 400, "invalid-field",
		"/configuration", "onboarding profiles");
	refused("PUT", "/api/v1/profiles/x", NULL, "{\"configuration\": \"eA==\"}", 400,
		"missing-field", "/kind", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL, "{\"kind\": \"redirect\"}", 400, "missing-field",
		"/bootstrap-server", NULL);
	/* wrong types and values */
	refused("PUT", "/api/v1/profiles/x", NULL, "{\"kind\": 5}", 400, "invalid-field", "/kind",
		NULL);
	refused("PUT", "/api/v1/profiles/x", NULL, "{\"kind\": \"sideways\"}", 400, "invalid-field",
		"/kind", "onboarding|redirect");
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"onboarding\", \"sign\": \"sometimes\"}", 400, "invalid-field",
		"/sign", "if-requested|always|never");
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"onboarding\", \"pin-idevid\": \"yes\"}", 400, "invalid-field",
		"/pin-idevid", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL, "{\"kind\": \"onboarding\", \"owner\": \"a b\"}",
		400, "invalid-field", "/owner", "owner name");
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"onboarding\", \"configuration\": \"not base64!\"}", 400,
		"invalid-field", "/configuration", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"onboarding\", \"boot-image\": {\"download-uri\": \"http://a/b\"}}",
		400, "invalid-field", "/boot-image/download-uri", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"onboarding\", \"boot-image\": {\"download-uri\": [7]}}", 400,
		"invalid-field", "/boot-image/download-uri/0", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL, "{\"kind\": \"onboarding\", \"boot-image\": []}",
		400, "invalid-field", "/boot-image", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"onboarding\", \"boot-image\": {\"download-uri\": [\"http://a/b\"], "
		"\"image-verification\": [{\"hash-algorithm\": \"sha-256\", \"hash-value\": "
		"\"00:11\"}]}}",
		400, "invalid-field", "/boot-image/image-verification/0/hash-value", "SHA-256");
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"onboarding\", \"boot-image\": {\"download-uri\": [\"http://a/b\"], "
		"\"image-verification\": [{\"hash-algorithm\": \"md5\", \"hash-value\": "
		"\"" HASH_PLAIN "\"}]}}",
		400, "invalid-field", "/boot-image/image-verification/0/hash-algorithm", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"redirect\", \"bootstrap-server\": [{\"address\": \"a\", \"port\": "
		"\"443\"}]}",
		400, "invalid-field", "/bootstrap-server/0/port", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"redirect\", \"bootstrap-server\": [{\"address\": \"a\", \"port\": "
		"70000}]}",
		400, "invalid-field", "/bootstrap-server/0/port", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"redirect\", \"bootstrap-server\": [{\"address\": \"a\", "
		"\"trust-anchor\": \"aGVsbG8=\"}]}",
		400, "invalid-field", "/bootstrap-server/0/trust-anchor", "trust anchor");
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"redirect\", \"bootstrap-server\": [{\"address\": \"a\", "
		"\"trust-anchor-pem\": \"no certificate here\"}]}",
		400, "invalid-field", "/bootstrap-server/0/trust-anchor-pem", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL,
		"{\"kind\": \"redirect\", \"bootstrap-server\": {}}", 400, "invalid-field",
		"/bootstrap-server", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL, "[1]", 400, "malformed-json", "", NULL);
	refused("PUT", "/api/v1/profiles/x", NULL, "{\"kind\": \"onboarding\"", 400,
		"malformed-json", NULL, NULL);
	/* the name in the path */
	refused("PUT", "/api/v1/profiles/a%20b", NULL, ONB, 400, "invalid-parameter", NULL,
		"profile name");
	refused("PUT",
		"/api/v1/profiles/"
		"a123456789012345678901234567890123456789012345678901234567890123",
		NULL, ONB, 400, "invalid-parameter", NULL, NULL);
	refused("PUT", "/api/v1/profiles/x", "dry-run=1", ONB, 400, "unknown-parameter", NULL,
		NULL);
	CHECK(audits("profiles/x", "profile.put").n == 0);
}

static void test_profile_redirect(void)
{
	struct admin_response r;
	char *body = NULL, *again;
	sztp_bytes cms = {NULL, 0}, *certs = NULL, *root = NULL;
	size_t n = 0, nroot = 0;
	json_t *j, *s0, *put;
	const char *doc_before;

	if (asprintf(
		&body,
		"{\"kind\": \"redirect\", \"sign\": \"never\", \"bootstrap-server\": "
		"[{\"address\": \"bs.example.com\", \"port\": 8443, \"trust-anchor-pem\": %s}, "
		"{\"address\": \"::1\", \"port\": 9443}, {\"address\": \"192.0.2.7\"}]}",
		root_pem) < 0)
		return;
	CHECK_RC(call("PUT", "/api/v1/profiles/red", NULL, body, &writer, &r, &j), 201);
	s0 = json_array_get(json_object_get(j, "bootstrap-server"), 0);
	CHECK(!strcmp(jstr(s0, "address"), "bs.example.com"));
	CHECK(json_integer_value(json_object_get(s0, "port")) == 8443);
	/* the server built a certs-only CMS holding the PEM's certificate */
	CHECK_RC(b64_decode(jstr(s0, "trust-anchor"), strlen(jstr(s0, "trust-anchor")), &cms, NULL),
		 SZTP_OK);
	CHECK_RC(cms_certs_only_parse(cms.data, cms.len, &certs, &n, NULL), SZTP_OK);
	CHECK_RC(pki_pem_certs_read(P("root.pem"), &root, &nroot, NULL), SZTP_OK);
	CHECK(n == 1 && nroot == 1 && pki_cert_equal(&certs[0], &root[0]));
	CHECK(!json_object_get(json_array_get(json_object_get(j, "bootstrap-server"), 2), "port"));
	CHECK(!strcmp(jstr(j, "kind"), "redirect"));

	/* what GET answers, PUT back: the same document (a round trip) */
	put = json_pack("{s:s, s:s, s:O}", "kind", "redirect", "sign", "never", "bootstrap-server",
			json_object_get(j, "bootstrap-server"));
	again = json_dumps(put, JSON_COMPACT);
	doc_before = json_dumps(json_object_get(j, "conveyed-information"), JSON_COMPACT);
	json_decref(j);
	admin_response_clear(&r);
	CHECK_RC(call("PUT", "/api/v1/profiles/red", NULL, again, &writer, &r, &j), 200);
	{
		char *doc_after =
		    json_dumps(json_object_get(j, "conveyed-information"), JSON_COMPACT);

		CHECK(doc_before && doc_after && !strcmp(doc_before, doc_after));
		free(doc_after);
	}
	json_decref(j);
	admin_response_clear(&r);
	/* trust-anchor and trust-anchor-pem together */
	{
		char *both = NULL;

		if (asprintf(&both,
			     "{\"kind\": \"redirect\", \"bootstrap-server\": [{\"address\": \"a\", "
			     "\"trust-anchor-pem\": %s, \"trust-anchor\": \"%s\"}]}",
			     root_pem, "aGVsbG8=") > 0)
			refused("PUT", "/api/v1/profiles/red", NULL, both, 400, "invalid-field",
				"/bootstrap-server/0/trust-anchor-pem", "not both");
		free(both);
	}
	/* the kind changes: a warning */
	CHECK_RC(call("PUT", "/api/v1/profiles/red", NULL,
		      "{\"kind\": \"onboarding\", \"configuration\": \"eA==\", "
		      "\"configuration-handling\": \"merge\"}",
		      &writer, &r, &j),
		 200);
	CHECK(strstr(json_string_value(json_array_get(json_object_get(j, "warnings"), 0)),
		     "changes from redirect to onboarding") != NULL);
	json_decref(j);
	admin_response_clear(&r);
	free((char *)doc_before);
	free(again);
	json_decref(put);
	free(body);
	sztp_bytes_free(&cms);
	pki_certs_free(certs, n);
	pki_certs_free(root, nroot);
}

/* A voucher for SN-1 pinning the owner root (ec-chain anchors to it). */
static sztp_bytes voucher(void)
{
	struct pki_signer *s = NULL;
	sztp_bytes der = {NULL, 0};
	sztp_bytes *root = NULL;
	size_t n = 0;
	char *pinned = NULL, *json = NULL;

	if (pki_pem_certs_read(P("root.pem"), &root, &n, NULL) != SZTP_OK || n != 1 ||
	    b64_encode(root[0].data, root[0].len, &pinned, NULL) != SZTP_OK ||
	    asprintf(&json,
		     "{\"ietf-voucher:voucher\":{\"created-on\":\"2020-01-01T00:00:00Z\","
		     "\"expires-on\":\"2099-01-01T00:00:00Z\",\"assertion\":\"verified\","
		     "\"serial-number\":\"SN-1\",\"pinned-domain-cert\":\"%s\"}}",
		     pinned) < 0)
		goto out;
	if (pki_signer_load(P("masasig.key"), P("masasig-chain.pem"), &s, NULL) == SZTP_OK)
		cms_sign(CMS_OID_VOUCHER, (const uint8_t *)json, strlen(json), s, 1, 0, &der, NULL);
out:
	pki_signer_free(s);
	pki_certs_free(root, n);
	free(pinned);
	free(json);
	return der;
}

static void test_in_use_and_owner_moves(void)
{
	struct admin_response r;
	struct reg_device d;
	char *body, *evil = NULL;
	json_t *j;
	struct audit_count a;

	/* SN-1, with a voucher pinning the owner root, uses profile onb */
	memset(&d, 0, sizeof(d));
	snprintf(d.serial, sizeof(d.serial), "SN-1");
	snprintf(d.profile, sizeof(d.profile), "onb");
	snprintf(d.state, sizeof(d.state), "enrolled");
	d.voucher = voucher();
	CHECK(d.voucher.len > 0);
	CHECK_RC(reg_device_add(ctx.reg, &d, NULL), SZTP_OK);
	sztp_bytes_free(&d.voucher);

	CHECK_RC(call("GET", "/api/v1/profiles/onb", NULL, NULL, &reader, &r, &j), 200);
	CHECK(json_integer_value(json_object_get(j, "devices")) == 1);
	json_decref(j);
	admin_response_clear(&r);
	refused("DELETE", "/api/v1/profiles/onb", NULL, NULL, 409, "in-use", NULL,
		"used by 1 device");

	/* owner "evil": a chain SN-1's voucher does not pin */
	if (asprintf(&evil, "cat '%s' '%s' > '%s'", P("evilleaf.pem"), P("evil.pem"),
		     P("evil-chain.pem")) > 0)
		CHECK(system(evil) == 0);
	free(evil);
	body = owner_body("evil-chain.pem", "evilleaf.key", NULL);
	CHECK_RC(status_of("PUT", "/api/v1/owners/evil", NULL, body), 201); /* serves no device */
	/* the profile of SN-1 cannot move to it */
	refused(
	    "PUT", "/api/v1/profiles/onb", NULL,
	    "{\"kind\": \"onboarding\", \"owner\": \"evil\", \"configuration\": \"eA==\", "
	    "\"configuration-handling\": \"merge\"}",
	    409, "conflict", "/owner",
	    "profile onb cannot move to owner 'evil': 1 of its devices hold vouchers that do not "
	    "pin it; first: voucher of device SN-1 pins");
	/* the default owner (onb's) cannot take the evil chain, unless forced */
	refused("PUT", "/api/v1/owners/default", NULL, body, 409, "conflict", "/chain",
		"owner identity 'default' not changed (force overrides): 1 device(s) hold "
		"vouchers whose pinned-domain-cert does not anchor this chain, so they would "
		"reject the owner certificate: SN-1");
	free(body);
	body = owner_body("evil-chain.pem", "evilleaf.key", ", \"strict\": true");
	refused("PUT", "/api/v1/owners/default", NULL, body, 409, "conflict", "/chain", NULL);
	free(body);
	body = owner_body("evil-chain.pem", "evilleaf.key", ", \"force\": true");
	CHECK_RC(call("PUT", "/api/v1/owners/default", NULL, body, &writer, &r, &j), 200);
	CHECK(strstr(json_string_value(json_array_get(json_object_get(j, "warnings"), 0)),
		     "vouchers of 1 device(s) (SN-1) pin a certificate that does not anchor") !=
	      NULL);
	CHECK(json_array_size(json_object_get(j, "profiles")) >= 2); /* onb, onb2 */
	json_decref(j);
	admin_response_clear(&r);
	a = audits("owners/default", "owner.put");
	CHECK(a.last.detail && strstr(a.last.detail, "\"forced\":[\"SN-1\"]"));
	reg_audit_clear(&a.last);
	free(body);
	/* back to the chain SN-1's voucher pins */
	body = owner_body("ec-chain.pem", "ec.key", NULL);
	CHECK_RC(status_of("PUT", "/api/v1/owners/default", NULL, body), 200);
	free(body);

	/* once SN-1 has left the profile, it can be removed */
	CHECK_RC(reg_device_remove(ctx.reg, "SN-1", NULL), SZTP_OK);
	pre.if_match = "\"0000000000000002\"";
	refused("DELETE", "/api/v1/profiles/onb", NULL, NULL, 412, "precondition-failed", NULL,
		NULL);
	pre.if_match = NULL;
	refused("DELETE", "/api/v1/profiles/onb", "x=1", NULL, 400, "unknown-parameter", NULL,
		NULL);
	CHECK_RC(status_of("DELETE", "/api/v1/profiles/onb", NULL, NULL), 204);
	refused("DELETE", "/api/v1/profiles/onb", NULL, NULL, 404, "not-found", NULL,
		"no profile named 'onb'");
	a = audits("profiles/onb", "profile.delete");
	CHECK(a.n == 1 && a.last.rev_before != 0 && a.last.rev_after == 0);
	reg_audit_clear(&a.last);
	a = audits("profiles/onb", "profile.put");
	CHECK(a.n == 4); /* created, replaced three times; the refused writes left none */
	reg_audit_clear(&a.last);
}

/* Every name of the profile list, following next-cursor with limit. */
static int page_through(int limit, char names[][REG_NAME_MAX], int max, int *pages)
{
	struct admin_response r;
	char q[256] = "";
	int n = 0;
	json_t *j, *x;
	size_t i;

	*pages = 0;
	for (;;) {
		size_t len = strlen(q);

		if (!len)
			snprintf(q, sizeof(q), "limit=%d", limit);
		if (call("GET", "/api/v1/profiles", q, NULL, &reader, &r, &j) != 200)
			return -1;
		(*pages)++;
		CHECK((int)json_array_size(json_object_get(j, "items")) <= limit);
		json_array_foreach(json_object_get(j, "items"), i, x)
		{
			CHECK(!json_object_get(x, "conveyed-information")); /* a summary */
			CHECK(json_object_get(x, "devices") && json_object_get(x, "revision"));
			if (n < max)
				snprintf(names[n++], REG_NAME_MAX, "%s", jstr(x, "name"));
		}
		if (json_is_null(json_object_get(j, "next-cursor"))) {
			json_decref(j);
			admin_response_clear(&r);
			return n;
		}
		snprintf(q, sizeof(q), "limit=%d&cursor=%s", limit, jstr(j, "next-cursor"));
		json_decref(j);
		admin_response_clear(&r);
	}
}

static void test_pagination(void)
{
	char names[16][REG_NAME_MAX], path[64], q[128];
	struct admin_response r;
	int n, pages, i;
	json_t *j;

	/* onb2, red, unset are there: add p0..p4 */
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/api/v1/profiles/p%d", i);
		CHECK_RC(status_of("PUT", path, NULL, ONB), 201);
	}
	n = page_through(2, names, 16, &pages);
	CHECK(n == 8 && pages == 5); /* 2+2+2+2, then an empty last page */
	for (i = 1; i < n; i++)
		CHECK(strcmp(names[i - 1], names[i]) < 0);
	CHECK(n > 0 && !strcmp(names[0], "onb2"));
	n = page_through(3, names, 16, &pages);
	CHECK(n == 8 && pages == 3); /* 3+3+2 */
	n = page_through(1000, names, 16, &pages);
	CHECK(n == 8 && pages == 1);
	n = page_through(8, names, 16, &pages); /* exactly one page: then an empty one */
	CHECK(n == 8 && pages == 2);
	/* a cursor stays valid once its profile is deleted */
	CHECK_RC(call("GET", "/api/v1/profiles", "limit=3", NULL, &reader, &r, &j), 200);
	CHECK(!strcmp(jstr(json_array_get(json_object_get(j, "items"), 2), "name"), "p1"));
	snprintf(q, sizeof(q), "limit=3&cursor=%s", jstr(j, "next-cursor"));
	json_decref(j);
	admin_response_clear(&r);
	CHECK_RC(status_of("DELETE", "/api/v1/profiles/p1", NULL, NULL), 204);
	CHECK_RC(call("GET", "/api/v1/profiles", q, NULL, &reader, &r, &j), 200);
	CHECK(!strcmp(jstr(json_array_get(json_object_get(j, "items"), 0), "name"), "p2"));
	json_decref(j);
	admin_response_clear(&r);
	refused("GET", "/api/v1/profiles", "limit=0", NULL, 400, "invalid-parameter", NULL, NULL);
	refused("GET", "/api/v1/profiles", "limit=1001", NULL, 400, "invalid-parameter", NULL,
		NULL);
	refused("GET", "/api/v1/profiles", "cursor=%2A", NULL, 400, "invalid-parameter", NULL,
		NULL);
	refused("GET", "/api/v1/profiles", "kind=redirect", NULL, 400, "unknown-parameter", NULL,
		NULL);
}

static struct sztp_yang *y;

static int setup(void)
{
	const char *top = getenv("SZTP_TOP");
	char yang[512];

	if (fixture_setup("adm-prof") != 0)
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/reg.db", fixture_dir);
	snprintf(yang, sizeof(yang), "%s/yang", top ? top : ".");
	if (yang_open(yang, &y, NULL) != SZTP_OK)
		return -1;
	ctx.y = y;
	root_pem = json_text_of(P("root.pem"));
	return root_pem ? 0 : -1;
}

/* lenient (issue 13): none by default, names in and out, kept when a PUT
 * leaves it out, [] clears it; a change is a new revision with its audit
 * row; unknown, repeated, mistyped names refused naming the entry. */
static void test_profile_lenient(void)
{
	struct admin_response r;
	struct reg_profile p;
	struct audit_count a;
	json_t *j, *l;
	char rev[64];

	CHECK_RC(call("PUT", "/api/v1/profiles/len", NULL, ONB, &writer, &r, &j), 201);
	CHECK(json_is_array(json_object_get(j, "lenient")) &&
	      json_array_size(json_object_get(j, "lenient")) == 0);
	snprintf(rev, sizeof(rev), "%s", jstr(j, "revision"));
	json_decref(j);
	admin_response_clear(&r);
	CHECK_RC(call("PUT", "/api/v1/profiles/len", NULL,
		      "{\"kind\": \"onboarding\", \"configuration-handling\": \"merge\", "
		      "\"configuration\": \"eA==\", \"lenient\": [\"omit-os-fields\", "
		      "\"empty-nonce\"]}",
		      &writer, &r, &j),
		 200);
	l = json_object_get(j, "lenient"); /* in bit order */
	CHECK(json_array_size(l) == 2 &&
	      !strcmp(json_string_value(json_array_get(l, 0)), "empty-nonce") &&
	      !strcmp(json_string_value(json_array_get(l, 1)), "omit-os-fields"));
	CHECK(strcmp(rev, jstr(j, "revision")) != 0);
	json_decref(j);
	admin_response_clear(&r);
	memset(&p, 0, sizeof(p));
	CHECK_RC(reg_profile_get(ctx.reg, "len", &p, NULL), SZTP_OK);
	CHECK(p.lenient == (REG_LENIENT_EMPTY_NONCE | REG_LENIENT_OMIT_OS_FIELDS));
	reg_profile_clear(&p);
	a = audits("profiles/len", "profile.put");
	CHECK(a.n == 2 && a.last.detail &&
	      strstr(a.last.detail, "\"lenient\":[\"empty-nonce\",\"omit-os-fields\"]"));
	reg_audit_clear(&a.last);
	/* GET and the list carry it */
	CHECK_RC(call("GET", "/api/v1/profiles/len", NULL, NULL, &reader, &r, &j), 200);
	CHECK(json_array_size(json_object_get(j, "lenient")) == 2);
	json_decref(j);
	admin_response_clear(&r);
	CHECK_RC(call("GET", "/api/v1/profiles", "limit=1000", NULL, &reader, &r, &j), 200);
	{
		size_t i;
		json_t *x;
		int seen = 0;

		json_array_foreach(json_object_get(j, "items"), i, x)
		{
			CHECK(json_is_array(json_object_get(x, "lenient")));
			if (!strcmp(jstr(x, "name"), "len"))
				seen = json_array_size(json_object_get(x, "lenient")) == 2;
		}
		CHECK(seen);
	}
	json_decref(j);
	admin_response_clear(&r);
	/* absent: kept */
	CHECK_RC(call("PUT", "/api/v1/profiles/len", NULL, ONB, &writer, &r, &j), 200);
	CHECK(json_array_size(json_object_get(j, "lenient")) == 2);
	json_decref(j);
	admin_response_clear(&r);
	/* refused, nothing changed */
	refused("PUT", "/api/v1/profiles/len", NULL,
		"{\"kind\": \"onboarding\", \"lenient\": [\"empty-nonce\", \"bogus\"]}", 400,
		"invalid-field", "/lenient/1",
		"'bogus' is not one of empty-nonce|omit-os-fields|empty-report-members");
	refused("PUT", "/api/v1/profiles/len", NULL,
		"{\"kind\": \"onboarding\", \"lenient\": [\"empty-nonce\", \"empty-nonce\"]}", 400,
		"invalid-field", "/lenient/1", "'empty-nonce' is given twice");
	refused("PUT", "/api/v1/profiles/len", NULL, "{\"kind\": \"onboarding\", \"lenient\": [7]}",
		400, "invalid-field", "/lenient/0", "not a string");
	refused("PUT", "/api/v1/profiles/len", NULL,
		"{\"kind\": \"onboarding\", \"lenient\": \"empty-nonce\"}", 400, "invalid-field",
		"/lenient", "must be an array");
	refused("PUT", "/api/v1/profiles/len2", NULL,
		"{\"kind\": \"onboarding\", \"lenient\": [\"Empty-Nonce\"]}", 400, "invalid-field",
		"/lenient/0", "'Empty-Nonce' is not one of");
	/* []: strict again */
	CHECK_RC(call("PUT", "/api/v1/profiles/len", NULL,
		      "{\"kind\": \"onboarding\", \"configuration-handling\": \"merge\", "
		      "\"configuration\": \"eA==\", \"lenient\": []}",
		      &writer, &r, &j),
		 200);
	CHECK(json_array_size(json_object_get(j, "lenient")) == 0);
	json_decref(j);
	admin_response_clear(&r);
	CHECK_RC(reg_profile_get(ctx.reg, "len", &p, NULL), SZTP_OK);
	CHECK(p.lenient == 0);
	reg_profile_clear(&p);
	CHECK_RC(status_of("DELETE", "/api/v1/profiles/len", NULL, NULL), 204);
}

static void cases(void)
{
	test_owners();
	test_profile_onboarding();
	test_profile_refusals();
	test_profile_lenient();
	test_profile_redirect();
	test_in_use_and_owner_moves();
	test_pagination();
}

/* The cases on a new SQLite registry, then again on a fresh PostgreSQL
 * database. */
static void both_backends(void)
{
	struct sztp_err e = {SZTP_OK, ""};

	CHECK_RC(reg_create(db_path, &ctx.reg, &e), SZTP_OK);
	if (ctx.reg)
		cases();
	reg_close(ctx.reg);
	ctx.reg = NULL;
	if (!pgtest_server()) {
		printf("test_admin_profiles: the PostgreSQL half did not run (SZTP_TEST_PG is "
		       "unset)\n");
		return;
	}
	CHECK(pgtest_fresh("adm-prof", db_uri, sizeof(db_uri)) != NULL);
	CHECK_RC(reg_create(db_uri, &ctx.reg, &e), SZTP_OK);
	if (ctx.reg)
		cases();
	else
		fprintf(stderr, "reg_create: %s\n", e.msg);
	reg_close(ctx.reg);
	ctx.reg = NULL;
	db_uri[0] = '\0';
}

int main(void)
{
	if (setup() != 0) {
		fprintf(stderr, "setup failed\n");
		CHECK(0);
		fixture_teardown();
		return unit_report("test_admin_profiles");
	}
	both_backends();
	free(root_pem);
	yang_close(y);
	fixture_teardown();
	return unit_report("test_admin_profiles");
}
