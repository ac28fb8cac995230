/*
 * test_admin_tokens.c - the admin API's bearer tokens and audit trail
 * (admin/tokens.c, admin/audit.c) through admin_handle on a temporary
 * registry: a token's secret is shown once and never listed, only its
 * SHA-256 is stored, admin_auth_bearer refuses every malformed, unknown,
 * revoked and expired token with the precise reason, a read token cannot
 * write, and each change leaves one audit row (actor, resource,
 * revisions) that GET /audit filters and pages.
 */
#include "admin_test.h"
#include "crypto.h"
#include "util.h"

#define DAY 86400

/* POST /tokens with body: 201; the secret into secret. */
static void make_token(const char *body, char secret[ADMIN_TOKEN_LEN + 1])
{
	json_t *j = NULL;

	CHECK_RC(at_call("POST", "/api/v1/tokens", body, &at_writer, &j), 201);
	CHECK(strlen(at_str(j, "token")) == ADMIN_TOKEN_LEN);
	snprintf(secret, ADMIN_TOKEN_LEN + 1, "%s", at_str(j, "token"));
	json_decref(j);
}

/* admin_auth_bearer on header: its rc, and the reason contains want. */
static void expect_auth(const char *header, sztp_rc want_rc, const char *want,
			struct admin_actor *actor)
{
	struct sztp_err e = {SZTP_OK, ""};
	sztp_rc rc = admin_auth_bearer(&at_ctx, header, actor, &e);

	if (rc != want_rc || (want && !strstr(e.msg, want)))
		fprintf(stderr, "  auth '%s': %d '%s', want %d '%s'\n", header ? header : "(null)",
			rc, e.msg, want_rc, want ? want : "");
	CHECK(rc == want_rc);
	if (want)
		CHECK(strstr(e.msg, want) != NULL);
	if (rc != SZTP_OK)
		CHECK(actor->who[0] == '\0' && actor->scope == ADMIN_SCOPE_NONE);
}

static void test_create_and_list(char rsecret[], char wsecret[])
{
	json_t *j = NULL, *it;
	const char *tok;
	char listed[8192];
	uint8_t hash[CRYPTO_SHA256_LEN];
	struct reg_token t;
	struct sztp_err e = {SZTP_OK, ""};

	CHECK_RC(at_call("POST", "/api/v1/tokens", "{\"name\": \"nms\", \"scope\": \"read\"}",
			 &at_writer, &j),
		 201);
	CHECK(!strcmp(at_str(j, "name"), "nms") && !strcmp(at_str(j, "scope"), "read"));
	CHECK(!strcmp(at_str(j, "state"), "active"));
	CHECK(json_is_null(json_object_get(j, "expires")));
	CHECK(json_is_null(json_object_get(j, "revoked")));
	CHECK(json_is_string(json_object_get(j, "created")));
	CHECK(strncmp(at_str(j, "token"), "sztp_", 5) == 0);
	CHECK(strlen(at_str(j, "token")) == ADMIN_TOKEN_LEN);
	tok = at_str(j, "token");
	CHECK(strlen(tok) > 5 &&
	      strspn(tok + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			      "0123456789-_") == ADMIN_TOKEN_LEN - 5);
	CHECK(json_object_size(j) == 7);
	snprintf(rsecret, ADMIN_TOKEN_LEN + 1, "%s", at_str(j, "token"));
	json_decref(j);
	/* only the SHA-256 of the text is stored */
	memset(&t, 0, sizeof(t));
	crypto_sha256(rsecret, strlen(rsecret), hash);
	CHECK_RC(reg_token_get(at_ctx.reg, "nms", &t, &e), SZTP_OK);
	CHECK(memcmp(t.hash, hash, sizeof(hash)) == 0);
	make_token("{\"name\": \"ansible\", \"scope\": \"write\", \"expires-in\": 3600}", wsecret);
	CHECK(strcmp(rsecret, wsecret) != 0);
	/* listed by name, never with the secret */
	CHECK_RC(at_call("GET", "/api/v1/tokens", NULL, &at_reader, &j), 200);
	CHECK(!strcmp(at_ids(j, "name"), "ansible,nms"));
	it = json_array_get(json_object_get(j, "items"), 0);
	CHECK(!strcmp(at_str(it, "scope"), "write"));
	{
		char t1[32], t2[32];

		time_rfc3339((time_t)at_now, t1);
		time_rfc3339((time_t)(at_now + 3600), t2);
		CHECK(!strcmp(at_str(it, "created"), t1) && !strcmp(at_str(it, "expires"), t2));
	}
	CHECK(json_object_get(it, "token") == NULL && json_object_get(it, "hash") == NULL);
	CHECK(json_object_size(it) == 6);
	{
		char *s = json_dumps(j, 0);

		snprintf(listed, sizeof(listed), "%s", s ? s : "");
		free(s);
	}
	CHECK(!strstr(listed, rsecret + 5) && !strstr(listed, wsecret + 5));
	json_decref(j);
}

static void test_create_refused(void)
{
	at_problem("POST", "/api/v1/tokens", "{\"name\": \"nms\", \"scope\": \"write\"}",
		   &at_writer, 409, "exists", "field", "/name");
	at_problem("POST", "/api/v1/tokens", "{\"scope\": \"read\"}", &at_writer, 400,
		   "missing-field", "field", "/name");
	at_problem("POST", "/api/v1/tokens", "{\"name\": \"x\"}", &at_writer, 400, "missing-field",
		   "field", "/scope");
	at_problem("POST", "/api/v1/tokens", "{\"name\": \"x\", \"scope\": \"admin\"}", &at_writer,
		   400, "invalid-field", "field", "/scope");
	at_problem("POST", "/api/v1/tokens", "{\"name\": \"a b\", \"scope\": \"read\"}", &at_writer,
		   400, "invalid-field", "field", "/name");
	at_problem("POST", "/api/v1/tokens",
		   "{\"name\": \"x\", \"scope\": \"read\", \"expires-in\": 0}", &at_writer, 400,
		   "invalid-field", "field", "/expires-in");
	at_problem("POST", "/api/v1/tokens",
		   "{\"name\": \"x\", \"scope\": \"read\", \"expires-in\": \"1d\"}", &at_writer,
		   400, "invalid-field", "field", "/expires-in");
	at_problem("POST", "/api/v1/tokens",
		   "{\"name\": \"x\", \"scope\": \"read\", \"token\": \"sztp_\"}", &at_writer, 400,
		   "unknown-field", "field", "/token");
	at_problem("POST", "/api/v1/tokens", "{\"name\": \"x\", \"scope\": \"read\"}", &at_reader,
		   403, "forbidden", NULL, NULL);
	/* none of these made a token */
	{
		json_t *j = NULL;

		CHECK_RC(at_call("GET", "/api/v1/tokens", NULL, &at_reader, &j), 200);
		CHECK(!strcmp(at_ids(j, "name"), "ansible,nms"));
		json_decref(j);
	}
}

static void test_auth(const char *rsecret, const char *wsecret)
{
	struct admin_actor a;
	char h[128], bad[ADMIN_TOKEN_LEN + 1];

	expect_auth(NULL, SZTP_E_AUTH, "no Authorization header", &a);
	expect_auth("", SZTP_E_AUTH, "no Authorization header", &a);
	snprintf(h, sizeof(h), "Basic %s", rsecret);
	expect_auth(h, SZTP_E_AUTH, "not Bearer", &a);
	snprintf(h, sizeof(h), "Bearer%s", rsecret);
	expect_auth(h, SZTP_E_AUTH, "not Bearer", &a);
	expect_auth("Bearer", SZTP_E_AUTH, "malformed", &a);
	expect_auth("Bearer ", SZTP_E_AUTH, "malformed", &a);
	snprintf(h, sizeof(h), "Bearer  %s", rsecret); /* two spaces */
	expect_auth(h, SZTP_E_AUTH, "malformed", &a);
	snprintf(h, sizeof(h), "Bearer %s ", rsecret); /* trailing space */
	expect_auth(h, SZTP_E_AUTH, "malformed", &a);
	snprintf(h, sizeof(h), "Bearer %.*s", ADMIN_TOKEN_LEN - 1, rsecret); /* short */
	expect_auth(h, SZTP_E_AUTH, "malformed", &a);
	snprintf(h, sizeof(h), "Bearer %sA", rsecret); /* long */
	expect_auth(h, SZTP_E_AUTH, "malformed", &a);
	snprintf(h, sizeof(h), "Bearer xztp_%s", rsecret + 5); /* prefix */
	expect_auth(h, SZTP_E_AUTH, "malformed", &a);
	snprintf(bad, sizeof(bad), "%s", rsecret);
	bad[10] = '+'; /* base64, not base64url */
	snprintf(h, sizeof(h), "Bearer %s", bad);
	expect_auth(h, SZTP_E_AUTH, "malformed", &a);
	snprintf(bad, sizeof(bad), "%s", rsecret);
	bad[ADMIN_TOKEN_LEN - 1] = 'B'; /* bits beyond the 256: not canonical */
	snprintf(h, sizeof(h), "Bearer %s", bad);
	expect_auth(h, SZTP_E_AUTH, "malformed", &a);
	/* well-formed, but no such token */
	snprintf(bad, sizeof(bad), "%s", rsecret);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	snprintf(h, sizeof(h), "Bearer %s", bad);
	expect_auth(h, SZTP_E_AUTH, "unknown bearer token", &a);
	/* valid: the scope of each; the scheme in any case */
	snprintf(h, sizeof(h), "Bearer %s", rsecret);
	expect_auth(h, SZTP_OK, NULL, &a);
	CHECK(!strcmp(a.who, "token:nms") && a.scope == ADMIN_SCOPE_READ);
	snprintf(h, sizeof(h), "bEARER %s", wsecret);
	expect_auth(h, SZTP_OK, NULL, &a);
	CHECK(!strcmp(a.who, "token:ansible") && a.scope == ADMIN_SCOPE_WRITE);
}

/* What the transport does: authenticate, then admin_handle as that actor. */
static int call_as(const char *secret, const char *method, const char *target, const char *body,
		   json_t **out)
{
	struct admin_actor a;
	struct sztp_err e = {SZTP_OK, ""};
	char h[128];

	snprintf(h, sizeof(h), "Bearer %s", secret);
	if (admin_auth_bearer(&at_ctx, h, &a, &e) != SZTP_OK)
		return 401;
	return at_call(method, target, body, &a, out);
}

static void test_scopes(const char *rsecret, const char *wsecret)
{
	json_t *j = NULL;
	char other[ADMIN_TOKEN_LEN + 1];

	CHECK_RC(call_as(rsecret, "GET", "/api/v1/tokens", NULL, &j), 200);
	json_decref(j);
	CHECK_RC(call_as(rsecret, "POST", "/api/v1/tokens",
			 "{\"name\": \"x\", \"scope\": \"read\"}", &j),
		 403);
	CHECK(!strcmp(at_str(j, "type"), "urn:sztp:problem:forbidden"));
	CHECK(strstr(at_str(j, "detail"), "token:nms") != NULL);
	json_decref(j);
	CHECK_RC(call_as(rsecret, "DELETE", "/api/v1/tokens/ansible", NULL, &j), 403);
	json_decref(j);
	CHECK_RC(call_as(rsecret, "POST", "/api/v1/prune", "{\"older-than-days\": 1}", &j), 403);
	json_decref(j);
	/* the write token makes one; the audit row names it */
	CHECK_RC(call_as(wsecret, "POST", "/api/v1/tokens",
			 "{\"name\": \"ci\", \"scope\": \"read\", \"expires-in\": 60}", &j),
		 201);
	CHECK(strcmp(at_str(j, "expires"), at_str(j, "created")) != 0);
	snprintf(other, sizeof(other), "%s", at_str(j, "token"));
	json_decref(j);
	CHECK_RC(call_as(other, "GET", "/api/v1/log", NULL, &j), 200);
	json_decref(j);
}

static void test_revoke_expire(const char *rsecret, const char *wsecret)
{
	struct admin_actor a;
	json_t *j = NULL;
	char h[128];

	at_problem("DELETE", "/api/v1/tokens/nosuch", NULL, &at_writer, 404, "not-found", NULL,
		   NULL);
	at_problem("DELETE",
		   "/api/v1/tokens/"
		   "a0123456789012345678901234567890123456789012345678901234567890123",
		   NULL, &at_writer, 404, "not-found", NULL, NULL);
	at_now += 10;
	CHECK_RC(at_call("DELETE", "/api/v1/tokens/nms", NULL, &at_writer, &j), 204);
	CHECK(j == NULL);
	snprintf(h, sizeof(h), "Bearer %s", rsecret);
	expect_auth(h, SZTP_E_AUTH, "token 'nms' was revoked at", &a);
	/* again: 204, nothing changes (the first time stays) */
	at_now += 10;
	CHECK_RC(at_call("DELETE", "/api/v1/tokens/nms", NULL, &at_writer, NULL), 204);
	CHECK_RC(at_call("GET", "/api/v1/tokens", NULL, &at_reader, &j), 200);
	CHECK(!strcmp(at_ids(j, "state"), "active,active,revoked")); /* ansible, ci, nms */
	CHECK(json_is_string(
	    json_object_get(json_array_get(json_object_get(j, "items"), 2), "revoked")));
	json_decref(j);
	/* a token valid for 5 s: valid until then, refused at and after */
	{
		char ci[ADMIN_TOKEN_LEN + 1];

		at_now += 39;
		make_token("{\"name\": \"ci2\", \"scope\": \"read\", \"expires-in\": 5}", ci);
		snprintf(h, sizeof(h), "Bearer %s", ci);
		expect_auth(h, SZTP_OK, NULL, &a);
		at_now += 4;
		expect_auth(h, SZTP_OK, NULL, &a);
		at_now += 1;
		expect_auth(h, SZTP_E_AUTH, "token 'ci2' expired at", &a);
		/* ci (60 s, made at the start) has expired too */
		CHECK_RC(at_call("GET", "/api/v1/tokens", NULL, &at_reader, &j), 200);
		CHECK(!strcmp(at_ids(j, "state"), "active,expired,expired,revoked"));
		json_decref(j);
	}
	snprintf(h, sizeof(h), "Bearer %s", wsecret);
	expect_auth(h, SZTP_OK, NULL, &a);
	at_now += 3600;
	expect_auth(h, SZTP_E_AUTH, "token 'ansible' expired at", &a);
}

static void test_token_pages(void)
{
	static const char *const by2[] = {"ansible,ci", "ci2,nms"};

	at_follow("/api/v1/tokens?limit=2", "name", by2, 2);
	at_problem("GET", "/api/v1/tokens?name=ci", NULL, &at_reader, 400, "unknown-parameter",
		   "parameter", "name");
	/* an id cursor (another list's) is not a token cursor */
	at_problem("GET", "/api/v1/tokens?cursor=aTox", NULL, &at_reader, 400, "invalid-parameter",
		   "parameter", "cursor");
}

/* The audit trail the token calls above left, and one row with revisions
 * written as the device routes write theirs. */
static void test_audit(void)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_audit a;
	json_t *j = NULL, *it;
	char t[512], since[32];

	/* token.create nms, ansible (token:writer), ci (token:ansible), token.revoke nms
	 * once, token.create ci2 */
	CHECK_RC(at_call("GET", "/api/v1/audit", NULL, &at_reader, &j), 200);
	CHECK(!strcmp(at_ids(j, "action"),
		      "token.create,token.create,token.create,token.revoke,token.create"));
	CHECK(!strcmp(at_ids(j, "resource"), "tokens/nms,tokens/ansible,tokens/ci,tokens/nms,"
					     "tokens/ci2"));
	CHECK(!strcmp(at_ids(j, "actor"),
		      "token:writer,token:writer,token:ansible,token:writer,token:writer"));
	it = json_array_get(json_object_get(j, "items"), 1);
	CHECK(!strcmp(at_str(json_object_get(it, "detail"), "scope"), "write"));
	CHECK(json_is_string(json_object_get(json_object_get(it, "detail"), "expires")));
	CHECK(json_is_null(json_object_get(it, "revision-before")));
	CHECK(json_object_size(it) == 8);
	json_decref(j);
	/* revisions as 16 hex digits, null for none; detail absent: null */
	memset(&a, 0, sizeof(a));
	a.time = at_now;
	snprintf(a.actor, sizeof(a.actor), "cert:CN=ops");
	snprintf(a.action, sizeof(a.action), "device.update");
	snprintf(a.resource, sizeof(a.resource), "devices/SN 1");
	a.rev_before = 0x00a1b2c3d4e5f607LL;
	a.rev_after = 0x1234;
	CHECK_RC(reg_audit_add(at_ctx.reg, &a, &e), SZTP_OK);
	CHECK_RC(at_call("GET", "/api/v1/audit?actor=cert:CN%3Dops", NULL, &at_reader, &j), 200);
	it = json_array_get(json_object_get(j, "items"), 0);
	CHECK(json_array_size(json_object_get(j, "items")) == 1);
	CHECK(!strcmp(at_str(it, "revision-before"), "00a1b2c3d4e5f607"));
	CHECK(!strcmp(at_str(it, "revision-after"), "0000000000001234"));
	CHECK(json_is_null(json_object_get(it, "detail")));
	CHECK(json_integer_value(json_object_get(it, "id")) == 6);
	json_decref(j);
	/* filters: resource prefix, since / before, after-id; pages */
	{
		static const struct at_want w[] = {
		    {"/api/v1/audit?resource=devices/", "6"},
		    {"/api/v1/audit?resource=tokens/n", "1,4"},
		    {"/api/v1/audit?resource=tokens%2Fci&actor=token:ansible", "3"},
		    {"/api/v1/audit?after-id=4", "5,6"},
		};
		static const char *const by4[] = {"1,2,3,4", "5,6"};

		at_pages("id", w, sizeof(w) / sizeof(w[0]));
		at_follow("/api/v1/audit?limit=4", "id", by4, 2);
	}
	time_rfc3339((time_t)at_now, since);
	snprintf(t, sizeof(t), "/api/v1/audit?since=%s", since);
	at_page(t, "id", "6", NULL);
	snprintf(t, sizeof(t), "/api/v1/audit?before=%s", since);
	at_page(t, "id", "1,2,3,4,5", NULL);
	at_problem("GET", "/api/v1/audit", NULL, NULL, 401, "unauthorized", NULL, NULL);
}

static void cases(void)
{
	char rsecret[ADMIN_TOKEN_LEN + 1], wsecret[ADMIN_TOKEN_LEN + 1];

	test_create_and_list(rsecret, wsecret);
	test_create_refused();
	test_auth(rsecret, wsecret);
	test_scopes(rsecret, wsecret);
	test_revoke_expire(rsecret, wsecret);
	test_token_pages();
	test_audit();
}

int main(void)
{
	at_both("test_admin_tokens", "admintok", cases);
	return unit_report("test_admin_tokens");
}
