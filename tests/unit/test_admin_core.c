/*
 * test_admin_core.c - the admin API's routing and shared helpers
 * (admin/admin.c): problem+json shapes, 401/403/404/405/413/415, JSON
 * body refusals, query parameters, cursors, ETags and If-Match,
 * If-None-Match and HEAD.  Resource routes are tested in their own
 * test_admin_*.c files.
 */
#include <jansson.h>
#include <unistd.h>

#include "admin_internal.h"
#include "unit.h"

static struct admin_ctx ctx;
static struct admin_actor reader = {"token:reader", ADMIN_SCOPE_READ};
static struct admin_actor writer = {"token:writer", ADMIN_SCOPE_WRITE};

/* One call; the response's JSON body (or NULL) in *j. */
static int call(const char *method, const char *path, const char *query, const char *ctype,
		const char *body, const struct admin_actor *who, struct admin_response *resp,
		json_t **j)
{
	struct admin_request req;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.query = query;
	req.content_type = ctype;
	req.body = (const uint8_t *)body;
	req.body_len = body ? strlen(body) : 0;
	req.actor = who;
	admin_handle(&ctx, &req, resp);
	if (j)
		*j = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
	return resp->status;
}

static const char *jstr(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));
	return s ? s : "";
}

/* status, the problem's type slug and its field/parameter member */
static void expect_problem(const char *method, const char *path, const char *query,
			   const char *ctype, const char *body, const struct admin_actor *who,
			   int status, const char *slug, const char *member, const char *where)
{
	struct admin_response r;
	json_t *j = NULL;
	char type[96];

	snprintf(type, sizeof(type), "urn:sztp:problem:%s", slug);
	CHECK_RC(call(method, path, query, ctype, body, who, &r, &j), status);
	CHECK(r.content_type && !strcmp(r.content_type, "application/problem+json"));
	CHECK(j != NULL);
	if (strcmp(jstr(j, "type"), type))
		fprintf(stderr, "  %s %s: type %s, want %s (%s)\n", method, path, jstr(j, "type"),
			type, jstr(j, "detail"));
	CHECK(!strcmp(jstr(j, "type"), type));
	CHECK(json_integer_value(json_object_get(j, "status")) == status);
	CHECK(jstr(j, "title")[0] && jstr(j, "detail")[0]);
	if (member)
		CHECK(!strcmp(jstr(j, member), where));
	json_decref(j);
	admin_response_clear(&r);
}

static void test_routing(void)
{
	struct admin_response r;
	json_t *j;

	expect_problem("GET", "/restconf/operations", NULL, NULL, NULL, &writer, 404, "not-found",
		       NULL, NULL);
	expect_problem("GET", "/.well-known/host-meta", NULL, NULL, NULL, &writer, 404, "not-found",
		       NULL, NULL);
	expect_problem("GET", "/api/v1x", NULL, NULL, NULL, &writer, 404, "not-found", NULL, NULL);
	expect_problem("GET", "/api/v1/nothing", NULL, NULL, NULL, &writer, 404, "not-found", NULL,
		       NULL);
	expect_problem("GET", "/api/v1/devices/a/b/c", NULL, NULL, NULL, &writer, 404, "not-found",
		       NULL, NULL);
	/* a known path, another method: 405 with Allow */
	CHECK_RC(call("PUT", "/api/v1/devices", NULL, NULL, NULL, &writer, &r, &j), 405);
	CHECK(!strcmp(r.allow, "GET, POST"));
	json_decref(j);
	admin_response_clear(&r);
	/* bytes that are not UTF-8 in a method or path: still a problem body
	 * (fuzz_admin_handle found a 500 without one) */
	expect_problem("PA\xd5TCH", "/api/v1/devices", NULL, NULL, NULL, &writer, 405,
		       "method-not-allowed", NULL, NULL);
	expect_problem("GET", "/api/v1/\xff\xfe", NULL, NULL, NULL, &writer, 404, "not-found",
		       NULL, NULL);
	expect_problem("GET", "/api/v1", "\xc3\x28=1", NULL, NULL, &writer, 400,
		       "unknown-parameter", NULL, NULL);
	/* no actor or scope NONE: 401; read scope writing: 403 */
	expect_problem("GET", "/api/v1/devices", NULL, NULL, NULL, NULL, 401, "unauthorized", NULL,
		       NULL);
	{
		struct admin_actor none = {"", ADMIN_SCOPE_NONE};
		expect_problem("GET", "/api/v1/profiles", NULL, NULL, NULL, &none, 401,
			       "unauthorized", NULL, NULL);
	}
	expect_problem("POST", "/api/v1/devices", NULL, "application/json", "{}", &reader, 403,
		       "forbidden", NULL, NULL);
	expect_problem("DELETE", "/api/v1/tokens/x", NULL, NULL, NULL, &reader, 403, "forbidden",
		       NULL, NULL);
	/* a path parameter that does not decode */
	expect_problem("GET", "/api/v1/devices/%zz", NULL, NULL, NULL, &writer, 400,
		       "invalid-parameter", NULL, NULL);
	expect_problem("GET", "/api/v1/devices/a%0ab", NULL, NULL, NULL, &writer, 400,
		       "invalid-parameter", NULL, NULL);
	expect_problem("GET", "/api/v1/devices/%00", NULL, NULL, NULL, &writer, 400,
		       "invalid-parameter", NULL, NULL);
}

static void test_bodies(void)
{
	ctx.max_body = 64;
	expect_problem("POST", "/api/v1/devices", NULL, "text/plain", "{}", &writer, 415,
		       "unsupported-media-type", NULL, NULL);
	expect_problem("POST", "/api/v1/devices", NULL, NULL, "{}", &writer, 415,
		       "unsupported-media-type", NULL, NULL);
	expect_problem("POST", "/api/v1/devices", NULL, "application/jsonx", "{}", &writer, 415,
		       "unsupported-media-type", NULL, NULL);
	expect_problem("POST", "/api/v1/devices", NULL, "application/json", "{\"serial\": \"a",
		       &writer, 400, "malformed-json", NULL, NULL);
	expect_problem("POST", "/api/v1/devices", NULL, "application/json", "", &writer, 400,
		       "malformed-json", NULL, NULL);
	expect_problem("POST", "/api/v1/devices", NULL, "application/json", "[1,2]", &writer, 400,
		       "malformed-json", "field", "");
	expect_problem("POST", "/api/v1/devices", NULL, "application/json", "{\"a\":1,\"a\":2}",
		       &writer, 400, "malformed-json", NULL, NULL);
	expect_problem("POST", "/api/v1/devices", NULL, "application/json; charset=utf-8",
		       "{\"serial\":\"0123456789012345678901234567890123456789012345678901234\"}",
		       &writer, 413, "too-large", NULL, NULL);
	expect_problem("GET", "/api/v1/devices", NULL, "application/json", "{}", &writer, 400,
		       "invalid-field", NULL, NULL);
	ctx.max_body = 0;
}

static void test_openapi(const char *doc)
{
	struct admin_response r;
	struct admin_request req;
	json_t *j = NULL;
	char etag[ADMIN_ETAG_MAX];

	ctx.openapi_path = NULL;
	expect_problem("GET", "/api/v1", NULL, NULL, NULL, &reader, 404, "not-found", NULL, NULL);
	ctx.openapi_path = doc;
	CHECK_RC(call("GET", "/api/v1", NULL, NULL, NULL, &reader, &r, &j), 200);
	CHECK(r.body_len == 16 && !memcmp(r.body, "{\"openapi\": \"3\"}", 16));
	CHECK(!strcmp(r.content_type, "application/json"));
	CHECK(r.etag[0] == '"' && strlen(r.etag) == 18);
	snprintf(etag, sizeof(etag), "%s", r.etag);
	json_decref(j);
	admin_response_clear(&r);
	CHECK_RC(call("GET", "/api/v1/", NULL, NULL, NULL, &reader, &r, NULL), 200);
	admin_response_clear(&r);
	/* HEAD: the same headers, no body */
	CHECK_RC(call("HEAD", "/api/v1", NULL, NULL, NULL, &reader, &r, NULL), 200);
	CHECK(r.body == NULL && r.body_len == 0 && !strcmp(r.etag, etag));
	admin_response_clear(&r);
	/* If-None-Match: 304 while unchanged */
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = "/api/v1";
	req.if_none_match = etag;
	req.actor = &reader;
	admin_handle(&ctx, &req, &r);
	CHECK_RC(r.status, 304);
	CHECK(r.body == NULL);
	admin_response_clear(&r);
	req.if_none_match = "\"0000000000000000\"";
	admin_handle(&ctx, &req, &r);
	CHECK_RC(r.status, 200);
	admin_response_clear(&r);
	/* query parameters: unknown refused, naming it */
	expect_problem("GET", "/api/v1", "x=1", NULL, NULL, &reader, 400, "unknown-parameter",
		       "parameter", "x");
}

/* The helpers, on a call made by hand. */
static void fake(struct admin_call *c, struct admin_request *req, struct admin_response *resp,
		 const char *query)
{
	memset(c, 0, sizeof(*c));
	memset(req, 0, sizeof(*req));
	memset(resp, 0, sizeof(*resp));
	req->method = "GET";
	req->path = "/api/v1/x";
	req->query = query;
	req->actor = &writer;
	c->ctx = &ctx;
	c->req = req;
	c->resp = resp;
}

static void test_query(void)
{
	static const char *const allowed[] = {"limit", "cursor", "name", "n", "b", "t", NULL};
	struct admin_call c;
	struct admin_request req;
	struct admin_response resp;
	const char *v;
	char buf[64];
	int64_t n = -1, t = 0;
	int b = -1;

	fake(&c, &req, &resp, "name=a%20b+c&n=42&b=true&t=2026-11-30T12:00:00Z");
	CHECK(admin_query_only(&c, allowed) == 0);
	CHECK(admin_query_str(&c, "name", buf, sizeof(buf), &v) == 0 && v && !strcmp(v, "a b c"));
	CHECK(admin_query_int(&c, "n", 0, 100, &n) == 0 && n == 42);
	CHECK(admin_query_bool(&c, "b", &b) == 0 && b == 1);
	CHECK(admin_query_time(&c, "t", &t) == 0 && t == 1796040000);
	CHECK(admin_query_str(&c, "cursor", buf, sizeof(buf), &v) == 0 && v == NULL);
	CHECK(!c.answered);

	fake(&c, &req, &resp, "n=1&n=2");
	CHECK(admin_query_only(&c, allowed) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, "n=101");
	CHECK(admin_query_int(&c, "n", 0, 100, &n) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, "n=4x");
	CHECK(admin_query_int(&c, "n", 0, 100, &n) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, "b=yes");
	CHECK(admin_query_bool(&c, "b", &b) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, "t=yesterday");
	CHECK(admin_query_time(&c, "t", &t) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, "name=%0a");
	CHECK(admin_query_str(&c, "name", buf, sizeof(buf), &v) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, "name=%4");
	CHECK(admin_query_str(&c, "name", buf, sizeof(buf), &v) == -1 && resp.status == 400);
	admin_response_clear(&resp);
}

static void test_cursors(void)
{
	struct admin_call c;
	struct admin_request req;
	struct admin_response resp;
	char key[ADMIN_PARAM_MAX], q[1200];
	const char *cur;
	json_t *j;
	int limit = 0;
	int64_t id = -1;

	/* a key cursor round trip, with a key that needs encoding */
	fake(&c, &req, &resp, NULL);
	admin_reply_page_key(&c, json_array(), "SN/1 %&=x");
	CHECK_RC(resp.status, 200);
	j = json_loadb(resp.body, resp.body_len, 0, NULL);
	cur = json_string_value(json_object_get(j, "next-cursor"));
	CHECK(cur &&
	      strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
		  strlen(cur));
	snprintf(q, sizeof(q), "limit=7&cursor=%s", cur ? cur : "");
	json_decref(j);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, q);
	CHECK(admin_page_key(&c, &limit, key, sizeof(key)) == 0);
	CHECK(limit == 7 && !strcmp(key, "SN/1 %&=x"));
	/* an id cursor is not a key cursor, and the reverse */
	fake(&c, &req, &resp, NULL);
	admin_reply_page_id(&c, json_array(), 1234);
	j = json_loadb(resp.body, resp.body_len, 0, NULL);
	snprintf(q, sizeof(q), "cursor=%s", json_string_value(json_object_get(j, "next-cursor")));
	json_decref(j);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, q);
	CHECK(admin_page_id(&c, &limit, &id) == 0 && id == 1234 && limit == ADMIN_LIMIT_DEF);
	fake(&c, &req, &resp, q);
	CHECK(admin_page_key(&c, &limit, key, sizeof(key)) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	/* the last page: next-cursor is null */
	fake(&c, &req, &resp, NULL);
	admin_reply_page_id(&c, json_array(), 0);
	j = json_loadb(resp.body, resp.body_len, 0, NULL);
	CHECK(json_is_null(json_object_get(j, "next-cursor")));
	CHECK(json_is_array(json_object_get(j, "items")));
	json_decref(j);
	admin_response_clear(&resp);
	/* forged, garbage and out-of-range cursors and limits */
	{
		static const char *const bad[] = {"cursor=!!!",	   "cursor=", "cursor=aTo",
						  "cursor=aTotMQ", "limit=0", "limit=1001",
						  "limit=abc"};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			fake(&c, &req, &resp, bad[i]);
			CHECK(admin_page_id(&c, &limit, &id) == -1 && resp.status == 400);
			admin_response_clear(&resp);
		}
	}
}

static void test_members(void)
{
	static const char *const allowed[] = {"s", "b", "i", "x", NULL};
	struct admin_call c;
	struct admin_request req;
	struct admin_response resp;
	json_t *o, *j;
	const char *s;
	int b = 0;
	int64_t i = 0;
	sztp_bytes bytes;

	o = json_pack("{s:s, s:b, s:i, s:s, s:i}", "s", "v", "b", 1, "i", 5, "x",
		      "aGVsbG8=", "a/b~", 1);
	fake(&c, &req, &resp, NULL);
	CHECK(admin_json_only(&c, o, "/devices/3", allowed) == -1 && resp.status == 400);
	j = json_loadb(resp.body, resp.body_len, 0, NULL);
	CHECK(!strcmp(jstr(j, "field"), "/devices/3/a~1b~0"));
	CHECK(!strcmp(jstr(j, "type"), "urn:sztp:problem:unknown-field"));
	json_decref(j);
	admin_response_clear(&resp);
	json_object_del(o, "a/b~");
	fake(&c, &req, &resp, NULL);
	CHECK(admin_json_only(&c, o, "", allowed) == 0);
	CHECK(admin_json_str(&c, o, "", "s", 1, 10, &s) == 0 && !strcmp(s, "v"));
	CHECK(admin_json_bool(&c, o, "", "b", &b) == 0 && b == 1);
	CHECK(admin_json_int(&c, o, "", "i", 0, 10, &i, 1) == 0 && i == 5);
	CHECK(admin_json_b64(&c, o, "", "x", 1, 100, &bytes) == 0 && bytes.len == 5);
	sztp_bytes_free(&bytes);
	CHECK(admin_json_str(&c, o, "", "missing", 0, 10, &s) == 0 && s == NULL);
	CHECK(!c.answered);
	/* each refusal names the member */
	fake(&c, &req, &resp, NULL);
	CHECK(admin_json_str(&c, o, "/p", "missing", 1, 10, &s) == -1);
	j = json_loadb(resp.body, resp.body_len, 0, NULL);
	CHECK(!strcmp(jstr(j, "field"), "/p/missing") &&
	      !strcmp(jstr(j, "type"), "urn:sztp:problem:missing-field"));
	json_decref(j);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, NULL);
	CHECK(admin_json_str(&c, o, "", "i", 1, 10, &s) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, NULL);
	CHECK(admin_json_bool(&c, o, "", "s", &b) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, NULL);
	CHECK(admin_json_int(&c, o, "", "i", 6, 10, &i, 1) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	json_object_set_new(o, "s", json_string("0123456789ab"));
	fake(&c, &req, &resp, NULL);
	CHECK(admin_json_str(&c, o, "", "s", 1, 10, &s) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	json_object_set_new(o, "s", json_string("a\x1b[2Jb"));
	fake(&c, &req, &resp, NULL);
	CHECK(admin_json_str(&c, o, "", "s", 1, 100, &s) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	json_object_set_new(o, "s", json_string(""));
	fake(&c, &req, &resp, NULL);
	CHECK(admin_json_str(&c, o, "", "s", 1, 100, &s) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	json_object_set_new(o, "x", json_string("not base64!"));
	fake(&c, &req, &resp, NULL);
	CHECK(admin_json_b64(&c, o, "", "x", 1, 100, &bytes) == -1 && resp.status == 400);
	admin_response_clear(&resp);
	json_decref(o);
}

static void test_etags(void)
{
	struct admin_call c;
	struct admin_request req;
	struct admin_response resp;
	char cur[ADMIN_ETAG_MAX], other[ADMIN_ETAG_MAX];
	struct reg_device d;

	admin_etag_rev(0x1a2b, cur);
	CHECK(!strcmp(cur, "\"0000000000001a2b\""));
	admin_etag_rev(0x1a2c, other);
	fake(&c, &req, &resp, NULL);
	CHECK(admin_if_match(&c, 1, cur) == 0); /* none given */
	req.if_match = cur;
	CHECK(admin_if_match(&c, 1, cur) == 0);
	req.if_match = "*";
	CHECK(admin_if_match(&c, 1, cur) == 0);
	req.if_match = "\"0000000000001a2c\", \"0000000000001a2b\"";
	CHECK(admin_if_match(&c, 1, cur) == 0);
	CHECK(!c.answered);
	req.if_match = other;
	CHECK(admin_if_match(&c, 1, cur) == -1 && resp.status == 412);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, NULL);
	req.if_match = "\"0000000000001a2b0\""; /* a longer tag containing it */
	CHECK(admin_if_match(&c, 1, cur) == -1 && resp.status == 412);
	admin_response_clear(&resp);
	fake(&c, &req, &resp, NULL);
	req.if_match = "*";
	CHECK(admin_if_match(&c, 0, cur) == -1 && resp.status == 412);
	admin_response_clear(&resp);
	/* a device's ETag follows what a contact changes, not only the revision */
	memset(&d, 0, sizeof(d));
	d.revision = 7;
	snprintf(d.state, sizeof(d.state), "enrolled");
	admin_etag_device(&d, cur);
	d.last_seen = 1;
	admin_etag_device(&d, other);
	CHECK(strcmp(cur, other) != 0);
}

int main(void)
{
	char dir[] = "/tmp/test_admin_coreXXXXXX", doc[64];
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	snprintf(doc, sizeof(doc), "%s/openapi.json", dir);
	f = fopen(doc, "w");
	if (!f)
		return 1;
	fputs("{\"openapi\": \"3\"}", f);
	fclose(f);
	test_routing();
	test_bodies();
	test_openapi(doc);
	test_query();
	test_cursors();
	test_members();
	test_etags();
	unlink(doc);
	rmdir(dir);
	return unit_report("test_admin_core");
}
