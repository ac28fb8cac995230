/* Unit tests for server/restconf.c: routing, methods, media type
 * negotiation, RESTCONF error bodies and how a handler's result becomes
 * the reply, without the network. */
#include <jansson.h>

#include "restconf.h"
#include "server.h"
#include "unit.h"

#define GBD "/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data"
#define RP  "/restconf/operations/ietf-sztp-bootstrap-server:report-progress"

static struct server srv;

/* The two RPC handlers need a registry: stubbed here, so only restconf.c
 * and discovery.c run.  What they answer is set by the test. */
static sztp_rc stub_rc;
static char stub_msg[128];
static int stub_calls, stub_later, resume_calls;

enum answer handle_get_bootstrapping_data(struct server *s, struct request *r, struct result *res)
{
	stub_calls++;
	if (stub_rc == SZTP_OK) {
		result_ok(res, 200, MT_JSON, strdup("{}"), 2);
		return ANSWER_NOW;
	}
	sztp_err_set(&res->err, stub_rc, "%s", stub_msg);
	result_fail(res, stub_rc, "the bootstrap server could not prepare the data");
	return ANSWER_NOW;
}

enum answer handle_report_progress(struct server *s, struct request *r, struct result *res)
{
	stub_calls++;
	if (stub_later)
		return ANSWER_LATER;
	result_outcome(res, "bootstrap-complete");
	result_ok(res, 204, NULL, NULL, 0);
	res->record = 0;
	return ANSWER_NOW;
}

static void resumed(struct request *r)
{
	resume_calls++;
}

static void run(struct request *r, const char *method, const char *url, const char *ct,
		const char *accept, const char *body)
{
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->url = url;
	r->content_type = ct;
	r->accept = accept;
	r->body = body ? body : "";
	r->body_len = body ? strlen(body) : 0;
	restconf_handle(&srv, r);
}

static const char *tag_of(const struct request *r)
{
	static char tag[64];
	json_t *j = json_loadb(r->resp_body, r->resp_len, 0, NULL);
	json_t *t = json_object_get(
	    json_array_get(json_object_get(json_object_get(j, "ietf-restconf:errors"), "error"), 0),
	    "error-tag");

	snprintf(tag, sizeof(tag), "%s", json_string_value(t) ? json_string_value(t) : "(none)");
	json_decref(j);
	return tag;
}

static void done(struct request *r)
{
	free(r->resp_body);
	free(r->res.body);
	r->resp_body = NULL;
	r->res.body = NULL;
}

int main(void)
{
	struct request r;

	srv.cfg.max_body = 1000;

	run(&r, "GET", "/.well-known/host-meta", NULL, NULL, NULL);
	CHECK(r.status == 200);
	CHECK(!strcmp(r.resp_type, "application/xrd+xml"));
	CHECK(strstr(r.resp_body, "<Link rel='restconf' href='/restconf'/>") != NULL);
	done(&r);

	run(&r, "POST", "/.well-known/host-meta", NULL, NULL, NULL);
	CHECK(r.status == 405);
	CHECK(r.allow && !strcmp(r.allow, "GET, HEAD"));
	CHECK(!strcmp(tag_of(&r), "operation-not-supported"));
	done(&r);

	run(&r, "GET", "/restconf", NULL, "application/yang-data+xml", NULL);
	CHECK(r.status == 200);
	CHECK(!strcmp(r.resp_type, MT_XML));
	CHECK(strstr(r.resp_body, "<yang-library-version>2016-06-21") != NULL);
	done(&r);

	/* q-values: XML preferred over JSON */
	run(&r, "GET", "/restconf/yang-library-version", NULL,
	    "application/yang-data+json;q=0.5, application/yang-data+xml", NULL);
	CHECK(r.status == 200 && !strcmp(r.resp_type, MT_XML));
	done(&r);
	run(&r, "GET", "/restconf/yang-library-version", NULL, "*/*", NULL);
	CHECK(r.status == 200 && !strcmp(r.resp_type, MT_JSON));
	done(&r);
	run(&r, "HEAD", "/restconf/operations", NULL, NULL, NULL);
	CHECK(r.status == 200 && strstr(r.resp_body, "get-bootstrapping-data") != NULL);
	done(&r);

	run(&r, "GET", "/restconf", NULL, "text/html", NULL);
	CHECK(r.status == 406);
	CHECK(!strcmp(r.resp_type, MT_JSON));
	CHECK(!strcmp(tag_of(&r), "invalid-value"));
	done(&r);

	run(&r, "GET", "/nothing/here", NULL, NULL, NULL);
	CHECK(r.status == 404 && !strcmp(tag_of(&r), "invalid-value"));
	done(&r);

	run(&r, "POST", "/restconf/operations/ietf-sztp-bootstrap-server:nope",
	    "application/yang-data+json", NULL, "{}");
	CHECK(r.status == 404);
	CHECK(strstr(r.resp_body, "unknown operation") != NULL);
	done(&r);

	/* operations: method, then size, then media types */
	run(&r, "GET", GBD, NULL, NULL, NULL);
	CHECK(r.status == 405 && r.allow && !strcmp(r.allow, "POST"));
	done(&r);
	run(&r, "POST", GBD, "text/plain", NULL, "x");
	CHECK(r.status == 415 && !strcmp(tag_of(&r), "invalid-value"));
	done(&r);
	run(&r, "POST", GBD, NULL, NULL, "{}");
	CHECK(r.status == 415); /* a body needs a Content-Type */
	CHECK(strstr(r.resp_body, "needs a Content-Type") != NULL);
	done(&r);
	run(&r, "POST", GBD, "application/yang-data+json", "text/html", "{}");
	CHECK(r.status == 406);
	done(&r);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = GBD;
	r.content_type = "application/yang-data+xml";
	r.body_too_big = 1;
	r.body = "";
	restconf_handle(&srv, &r);
	CHECK(r.status == 413);
	CHECK(!strcmp(r.resp_type, MT_XML)); /* errors follow the request's encoding */
	CHECK(strstr(r.resp_body, "<error-tag>too-big</error-tag>") != NULL);
	CHECK(strstr(r.resp_body, "larger than the 1000 bytes") != NULL);
	done(&r);

	/* error messages are escaped in XML */
	memset(&r, 0, sizeof(r));
	r.enc = YANG_ENC_XML;
	restconf_error(&r, SZTP_E_INVALID_VALUE, "a<b & \"c\"");
	CHECK(r.status == 400);
	CHECK(strstr(r.resp_body, "a&lt;b &amp; &quot;c&quot;") != NULL);
	done(&r);
	memset(&r, 0, sizeof(r));
	restconf_error(&r, SZTP_E_AUTH, "nope");
	CHECK(r.status == 401 && r.www_authenticate);
	CHECK(!strcmp(tag_of(&r), "access-denied"));
	done(&r);
	memset(&r, 0, sizeof(r));
	restconf_error(&r, SZTP_E_DB, "db");
	CHECK(r.status == 500 && !strcmp(tag_of(&r), "operation-failed"));
	done(&r);
	/* handler results: 4xx carry the detail, 5xx never do; the route's
	 * record default, the handler's outcome word */
	stub_rc = SZTP_E_PERM;
	snprintf(stub_msg, sizeof(stub_msg), "key file /etc/sztp/owner.key has mode 0644");
	run(&r, "POST", GBD, "application/yang-data+json", NULL, "{}");
	CHECK(stub_calls == 1);
	CHECK(r.status == 500);
	CHECK(strstr(r.resp_body, "could not prepare the data") != NULL);
	CHECK(strstr(r.resp_body, "owner.key") == NULL);
	CHECK(!strcmp(r.res.outcome, "permissions"));
	CHECK(r.res.record == 1 && !strcmp(r.endpoint, "get-bootstrapping-data"));
	CHECK(strstr(r.res.err.msg, "owner.key") != NULL); /* kept for the log */
	done(&r);
	stub_rc = SZTP_E_INVALID_VALUE;
	snprintf(stub_msg, sizeof(stub_msg), "nonce: too short");
	run(&r, "POST", GBD, "application/yang-data+json", NULL, "{}");
	CHECK(r.status == 400 && strstr(r.resp_body, "nonce: too short") != NULL);
	done(&r);
	stub_rc = SZTP_E_AUTH;
	snprintf(stub_msg, sizeof(stub_msg), "authentication failed");
	run(&r, "POST", GBD, "application/yang-data+json", NULL, "{}");
	CHECK(r.status == 401 && r.www_authenticate && !strcmp(tag_of(&r), "access-denied"));
	done(&r);
	stub_rc = SZTP_OK;
	run(&r, "POST", RP, "application/yang-data+json", NULL, "{}");
	CHECK(r.status == 204 && r.resp_len == 0);
	CHECK(!strcmp(r.res.outcome, "bootstrap-complete") && r.res.record == 0);
	CHECK(!strcmp(r.endpoint, "report-progress"));
	done(&r);
	/* a handler that answers later: nothing is sent until answer_later */
	stub_later = 1;
	run(&r, "POST", RP, "application/yang-data+json", NULL, "{}");
	CHECK(r.status == 0 && r.answer_later != NULL);
	result_ok(&r.res, 204, NULL, NULL, 0);
	r.resume = resumed;
	resume_calls = 0;
	r.answer_later(&r);
	CHECK(r.status == 204 && resume_calls == 1);
	stub_later = 0;
	done(&r);
	/* no handler for documents reached with the wrong method */
	stub_calls = 0;
	run(&r, "DELETE", GBD, NULL, NULL, NULL);
	CHECK(r.status == 405 && stub_calls == 0 && r.res.record == 1);
	done(&r);
	run(&r, "GET", "/other", NULL, NULL, NULL);
	CHECK(r.status == 404 && r.res.record == 0 && !strcmp(r.endpoint, "other"));
	done(&r);

	/* query parameters (RFC 8040 s4.8): none is supported, on operations
	 * and RESTCONF resources alike; named in the error; after the method */
	stub_calls = 0;
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = GBD;
	r.query = "foo=1&depth=2";
	r.content_type = "application/yang-data+json";
	r.body = "{}";
	r.body_len = 2;
	restconf_handle(&srv, &r);
	CHECK(r.status == 400 && !strcmp(tag_of(&r), "invalid-value") && stub_calls == 0);
	CHECK(strstr(r.resp_body, "query parameter 'foo' is not supported") != NULL);
	CHECK(r.res.record == 1); /* an RPC attempt all the same */
	done(&r);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = RP;
	r.query = "&&insert";
	r.body = "";
	restconf_handle(&srv, &r);
	CHECK(r.status == 400 && strstr(r.resp_body, "'insert'") != NULL);
	done(&r);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.url = GBD;
	r.query = "foo";
	restconf_handle(&srv, &r);
	CHECK(r.status == 405); /* the method first */
	done(&r);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.url = "/restconf/yang-library-version";
	r.query = "with-defaults=report-all";
	restconf_handle(&srv, &r);
	CHECK(r.status == 400 && strstr(r.resp_body, "'with-defaults'") != NULL);
	done(&r);
	/* a name shown as sent, printable, bounded */
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.url = "/restconf";
	r.query = "a\x1b[2Jbcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz=1";
	restconf_handle(&srv, &r);
	CHECK(r.status == 400 && strstr(r.resp_body, "'a?[2Jbcdef") != NULL);
	CHECK(strstr(r.resp_body, "...'") != NULL && strchr(r.resp_body, 0x1b) == NULL);
	done(&r);
	stub_calls = 0;
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = GBD;
	r.query = ""; /* "?" alone: no parameter */
	r.content_type = "application/yang-data+json";
	r.body = "{}";
	r.body_len = 2;
	restconf_handle(&srv, &r);
	CHECK(r.status == 200 && stub_calls == 1);
	done(&r);
	run(&r, "GET", "/.well-known/host-meta", NULL, NULL, NULL);
	done(&r);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.url = "/.well-known/host-meta";
	r.query = "rel=restconf"; /* not RESTCONF: ignored */
	restconf_handle(&srv, &r);
	CHECK(r.status == 200);
	done(&r);

	/* refused by the HTTP layer: a RESTCONF error, in the encoding asked
	 * for, no bootstrapping-log row */
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = GBD;
	r.accept = "application/yang-data+xml";
	restconf_refuse(&r, SZTP_E_MALFORMED, "Content-Length header fields disagree");
	CHECK(r.status == 400 && !strcmp(r.resp_type, MT_XML));
	CHECK(strstr(r.resp_body, "<error-tag>malformed-message</error-tag>") != NULL);
	CHECK(strstr(r.resp_body, "disagree") != NULL);
	CHECK(r.res.record == 0 && !strcmp(r.endpoint, "http"));
	done(&r);
	return unit_report("test_restconf");
}
