/*
 * test_admin_events.c - the admin API's events and webhooks (admin/
 * events.c, admin/webhooks.c, admin_audit's events) through admin_handle
 * on a temporary registry: each admin change writes exactly its event in
 * its transaction (a refused one none, a bulk one per device), GET /events
 * filters and pages, webhook subscriptions are checked (https url without
 * user information, known types, a secret of 16 bytes or more, PEM that
 * holds certificates), their secret is never shown, their changes are
 * audited but are not events, and dead letters are listed, replayed and
 * dropped.
 */
#include "admin_test.h"
#include "event.h"
#include "fixture.h"
#include "yang.h"

#define PEER	 "192.0.2.7"
#define SECRET	 "0123456789abcdef-secret"
#define REDIRECT "{\"kind\": \"redirect\", \"bootstrap-server\": [{\"address\": \"a.example\"}]}"

static int64_t last_event_id(void)
{
	int64_t id = -1;

	CHECK_RC(reg_event_last_id(at_ctx.reg, &id, NULL), SZTP_OK);
	return id;
}

/* The events after id `after` as "type/serial,..." */
static const char *events_after(int64_t after)
{
	static char buf[2048];
	char t[64];
	json_t *j = NULL, *it;
	size_t i, o = 0;

	snprintf(t, sizeof(t), "/api/v1/events?after-id=%lld", (long long)after);
	buf[0] = '\0';
	CHECK_RC(at_call("GET", t, NULL, &at_reader, &j), 200);
	json_array_foreach(json_object_get(j, "items"), i, it)
	{
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s/%s", i ? "," : "",
				      at_str(it, "type"), at_str(it, "serial"));
		if (o >= sizeof(buf))
			break;
	}
	json_decref(j);
	return buf;
}

/* The newest event's JSON (to decref). */
static json_t *newest_event(void)
{
	char t[64];
	json_t *j = NULL, *it;

	snprintf(t, sizeof(t), "/api/v1/events?after-id=%lld", (long long)(last_event_id() - 1));
	CHECK_RC(at_call("GET", t, NULL, &at_reader, &j), 200);
	it = json_incref(json_array_get(json_object_get(j, "items"), 0));
	json_decref(j);
	return it;
}

static void want_events(const char *what, int64_t after, const char *want)
{
	const char *got = events_after(after);

	if (strcmp(got, want))
		fprintf(stderr, "  %s: events '%s', want '%s'\n", what, got, want);
	CHECK(!strcmp(got, want));
}

static void test_admin_change_events(void)
{
	int64_t before;
	json_t *j = NULL, *ev, *d;
	char rev[32];

	/* device.create -> device.enrolled, with actor, action, revision, peer */
	before = last_event_id();
	CHECK_RC(at_call_full("POST", "/api/v1/devices", "{\"serial\": \"SN-1\"}", &at_writer, PEER,
			      &j, NULL, 0),
		 201);
	snprintf(rev, sizeof(rev), "%s", at_str(j, "revision"));
	json_decref(j);
	want_events("create", before, "device.enrolled/SN-1");
	ev = newest_event();
	d = json_object_get(ev, "data");
	CHECK(!strcmp(at_str(ev, "peer"), PEER));
	CHECK(json_integer_value(json_object_get(ev, "id")) == before + 1);
	CHECK(!strcmp(at_str(ev, "time"), "2027-01-15T08:00:00Z"));
	CHECK(!strcmp(at_str(d, "actor"), "token:writer"));
	CHECK(!strcmp(at_str(d, "action"), "device.create"));
	CHECK(!strcmp(at_str(d, "revision"), rev) && rev[0]);
	CHECK(json_is_false(json_object_get(d, "password")));
	json_decref(ev);

	/* a refused change writes no event: a duplicate, a bad body */
	before = last_event_id();
	CHECK_RC(at_call("POST", "/api/v1/devices", "{\"serial\": \"SN-1\"}", &at_writer, NULL),
		 409);
	CHECK_RC(at_call("POST", "/api/v1/devices", "{\"serial\": \"\"}", &at_writer, NULL), 400);
	CHECK_RC(
	    at_call("PATCH", "/api/v1/devices/SN-1", "{\"profile\": \"nope\"}", &at_writer, NULL),
	    400);
	CHECK_RC(at_call("DELETE", "/api/v1/devices/NOPE", NULL, &at_writer, NULL), 404);
	CHECK(last_event_id() == before);
	want_events("refused changes", before, "");

	/* profile put / delete (no serial; the name in data), device patch, delete */
	CHECK_RC(
	    at_call_full("PUT", "/api/v1/profiles/rd", REDIRECT, &at_writer, NULL, NULL, NULL, 0),
	    201);
	ev = newest_event();
	d = json_object_get(ev, "data");
	CHECK(!strcmp(at_str(ev, "type"), EV_PROFILE_CHANGED) && !strcmp(at_str(ev, "serial"), ""));
	CHECK(!strcmp(at_str(ev, "peer"), "")); /* none given: sztpctl on the file */
	CHECK(!strcmp(at_str(d, "profile"), "rd") && !strcmp(at_str(d, "kind"), "redirect"));
	json_decref(ev);
	CHECK_RC(
	    at_call("PATCH", "/api/v1/devices/SN-1", "{\"profile\": \"rd\"}", &at_writer, NULL),
	    200);
	ev = newest_event();
	d = json_object_get(ev, "data");
	CHECK(!strcmp(at_str(ev, "type"), EV_DEVICE_CHANGED));
	CHECK(!strcmp(json_string_value(json_array_get(json_object_get(d, "changed"), 0)),
		      "profile"));
	json_decref(ev);
	CHECK_RC(at_call("PATCH", "/api/v1/devices/SN-1", "{\"profile\": null}", &at_writer, NULL),
		 200);
	CHECK_RC(at_call("DELETE", "/api/v1/profiles/rd", NULL, &at_writer, NULL), 204);
	CHECK_RC(at_call("DELETE", "/api/v1/devices/SN-1", NULL, &at_writer, NULL), 204);
	ev = newest_event();
	CHECK(json_is_null(json_object_get(json_object_get(ev, "data"), "revision")));
	json_decref(ev);
	want_events("put, patch, patch, delete, delete", before,
		    "profile.changed/,device.changed/SN-1,device.changed/SN-1,profile.deleted/,"
		    "device.deleted/SN-1");

	/* bulk: one device.enrolled per device, or none when one item fails */
	before = last_event_id();
	CHECK_RC(at_call("POST", "/api/v1/bulk/devices",
			 "{\"devices\": [{\"serial\": \"B-1\"}, {\"serial\": \"B-2\"}, "
			 "{\"serial\": \"B-3\"}]}",
			 &at_writer, NULL),
		 201);
	want_events("bulk", before, "device.enrolled/B-1,device.enrolled/B-2,device.enrolled/B-3");
	ev = newest_event();
	CHECK(!strcmp(at_str(json_object_get(ev, "data"), "action"), "bulk.devices"));
	CHECK(strlen(at_str(json_object_get(ev, "data"), "revision")) == 16);
	json_decref(ev);
	before = last_event_id();
	CHECK_RC(at_call("POST", "/api/v1/bulk/devices",
			 "{\"devices\": [{\"serial\": \"B-4\"}, {\"serial\": \"B-1\"}]}",
			 &at_writer, NULL),
		 409);
	CHECK(last_event_id() == before);
	CHECK_RC(at_call("GET", "/api/v1/devices/B-4", NULL, &at_reader, NULL), 404);
}

static void test_events_list(void)
{
	json_t *j = NULL;
	char cur[256];

	static const struct at_want filters[] = {
	    {"/api/v1/events?serial=B-2", "B-2"},
	    {"/api/v1/events?type=device.deleted", "SN-1"},
	};

	at_pages("serial", filters, 2);
	at_page("/api/v1/events?type=profile.changed", "type", "profile.changed", NULL);
	at_page("/api/v1/events?serial=B-2&type=device.changed", "id", "", NULL);
	at_page("/api/v1/events?after-id=6&limit=2", "id", "7,8", cur);
	CHECK(cur[0] != '\0');
	at_page("/api/v1/events?since=2027-01-15T08:00:00Z&before=2027-01-15T08:00:01Z&limit=1",
		"id", "1", NULL);
	at_page("/api/v1/events?before=2027-01-15T08:00:00Z", "id", "", NULL);
	at_problem("GET", "/api/v1/events?type=device.exploded", NULL, &at_reader, 400,
		   "invalid-parameter", "parameter", "type");
	at_problem("GET", "/api/v1/events?kind=x", NULL, &at_reader, 400, "unknown-parameter",
		   "parameter", "kind");
	at_problem("GET", "/api/v1/events?limit=0", NULL, &at_reader, 400, "invalid-parameter",
		   "parameter", "limit");
	at_problem("GET", "/api/v1/events", NULL, NULL, 401, "unauthorized", NULL, NULL);
	/* an item is the envelope a webhook receives */
	CHECK_RC(at_call("GET", "/api/v1/events?limit=1", NULL, &at_reader, &j), 200);
	CHECK(json_object_size(json_array_get(json_object_get(j, "items"), 0)) == 6);
	json_decref(j);
}

#define HOOK                                                                                       \
	"{\"name\": \"nms\", \"url\": \"https://nms.example:8443/sztp\", \"secret\": \"" SECRET "\""

static void test_webhook_validation(void)
{
	static const struct {
		const char *body, *slug, *field;
	} bad[] = {
	    {HOOK ", \"url\": \"x\"}", "malformed-json", NULL},
	    {"{\"name\": \"a\", \"url\": \"http://nms.example/\", \"secret\": \"" SECRET "\"}",
	     "invalid-field", "/url"},
	    {"{\"name\": \"a\", \"url\": \"ht\", \"secret\": \"" SECRET "\"}", "invalid-field",
	     "/url"}, /* shorter than "https://" (found by fuzz_admin_handle) */
	    {"{\"name\": \"a\", \"url\": \"HTTPS://nms.example/\", \"secret\": \"" SECRET "\"}",
	     "invalid-field", "/url"},
	    {"{\"name\": \"a\", \"url\": \"https:///x\", \"secret\": \"" SECRET "\"}",
	     "invalid-field", "/url"},
	    {"{\"name\": \"a\", \"url\": \"https://u:p@nms.example/\", \"secret\": \"" SECRET "\"}",
	     "invalid-field", "/url"},
	    {"{\"name\": \"a\", \"url\": \"https://nms.example/a b\", \"secret\": \"" SECRET "\"}",
	     "invalid-field", "/url"},
	    {"{\"name\": \"a\", \"url\": \"https://n.example/\", \"secret\": \"short\"}",
	     "invalid-field", "/secret"},
	    {"{\"name\": \"a\", \"url\": \"https://n.example/\"}", "missing-field", "/secret"},
	    {"{\"name\": \"a\", \"secret\": \"" SECRET "\"}", "missing-field", "/url"},
	    {"{\"url\": \"https://n.example/\", \"secret\": \"" SECRET "\"}", "missing-field",
	     "/name"},
	    {"{\"name\": \"a b\", \"url\": \"https://n.example/\", \"secret\": \"" SECRET "\"}",
	     "invalid-field", "/name"},
	    {HOOK ", \"types\": [\"device.exploded\"]}", "invalid-field", "/types"},
	    {HOOK ", \"types\": [\"device.enrolled\", \"device.enrolled\"]}", "invalid-field",
	     "/types"},
	    {HOOK ", \"types\": \"device.enrolled\"}", "invalid-field", "/types"},
	    {HOOK ", \"types\": [\"device.enrolled,device.deleted\"]}", "invalid-field", "/types"},
	    {HOOK ", \"ca-certificates\": \"not PEM\"}", "invalid-field", "/ca-certificates"},
	    {HOOK ", \"ca-certificates\": \"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END "
		  "CERTIFICATE-----\\n\"}",
	     "invalid-field", "/ca-certificates"},
	    {HOOK ", \"enabled\": \"yes\"}", "invalid-field", "/enabled"},
	    {HOOK ", \"colour\": 1}", "unknown-field", "/colour"},
	};
	size_t i;
	int64_t before = last_event_id();

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		at_problem("POST", "/api/v1/webhooks", bad[i].body, &at_writer, 400, bad[i].slug,
			   bad[i].field ? "field" : NULL, bad[i].field);
	at_problem("POST", "/api/v1/webhooks", HOOK "}", &at_reader, 403, "forbidden", NULL, NULL);
	at_page("/api/v1/webhooks", "name", "", NULL);
	CHECK(last_event_id() == before);
}

static void test_webhook_crud(const char *ca_pem)
{
	struct reg_webhook w;
	char raw[16384], body[8192], etag[ADMIN_ETAG_MAX];
	json_t *j = NULL, *st;
	int64_t before = last_event_id();

	memset(&w, 0, sizeof(w));
	CHECK_RC(at_call_full("POST", "/api/v1/webhooks",
			      HOOK ", \"types\": [\"device.enrolled\", \"progress.reported\"]}",
			      &at_writer, PEER, &j, raw, sizeof(raw)),
		 201);
	CHECK(strstr(raw, SECRET) == NULL && strstr(raw, "secret") == NULL);
	CHECK(!strcmp(at_str(j, "name"), "nms") && json_is_true(json_object_get(j, "enabled")));
	CHECK(json_array_size(json_object_get(j, "types")) == 2);
	CHECK(json_is_null(json_object_get(j, "ca-certificates")));
	st = json_object_get(j, "state");
	/* a new subscription starts at the newest event */
	CHECK(json_integer_value(json_object_get(st, "cursor")) == before);
	CHECK(json_integer_value(json_object_get(st, "backlog")) == 0);
	CHECK(json_is_null(json_object_get(st, "last-status")));
	CHECK(json_is_null(json_object_get(st, "next-attempt")));
	CHECK(at_etag[0] == '"');
	snprintf(etag, sizeof(etag), "%s", at_etag);
	json_decref(j);
	CHECK_RC(reg_webhook_get(at_ctx.reg, "nms", &w, NULL), SZTP_OK);
	CHECK(w.secret && !strcmp(w.secret, SECRET));
	CHECK(w.types && !strcmp(w.types, "device.enrolled,progress.reported"));
	reg_webhook_clear(&w);
	at_problem("POST", "/api/v1/webhooks", HOOK "}", &at_writer, 409, "exists", "field",
		   "/name");

	/* the backlog counts the events after the cursor */
	CHECK_RC(at_call("POST", "/api/v1/devices", "{\"serial\": \"W-1\"}", &at_writer, NULL),
		 201);
	CHECK_RC(at_call("GET", "/api/v1/webhooks/nms", NULL, &at_reader, &j), 200);
	CHECK(json_integer_value(json_object_get(json_object_get(j, "state"), "backlog")) == 1);
	CHECK(!strcmp(at_etag, etag)); /* the configuration did not change */
	json_decref(j);

	/* PATCH: only what is given; the secret kept; If-Match */
	CHECK_RC(at_call("PATCH", "/api/v1/webhooks/nms", "{\"enabled\": false, \"types\": []}",
			 &at_writer, &j),
		 200);
	CHECK(json_is_false(json_object_get(j, "enabled")));
	CHECK(json_array_size(json_object_get(j, "types")) == 0);
	CHECK(!strcmp(at_str(j, "url"), "https://nms.example:8443/sztp"));
	CHECK(strcmp(at_etag, etag) != 0);
	json_decref(j);
	CHECK_RC(reg_webhook_get(at_ctx.reg, "nms", &w, NULL), SZTP_OK);
	CHECK(w.secret && !strcmp(w.secret, SECRET) && !w.enabled && !strcmp(w.types, ""));
	reg_webhook_clear(&w);
	{
		struct admin_request req = {.method = "PATCH",
					    .path = "/api/v1/webhooks/nms",
					    .content_type = "application/json",
					    .if_match = etag,
					    .body = (const uint8_t *)"{\"enabled\": true}",
					    .body_len = 17,
					    .actor = &at_writer};
		struct admin_response resp;

		admin_handle(&at_ctx, &req, &resp);
		CHECK(resp.status == 412);
		admin_response_clear(&resp);
	}
	at_problem("PATCH", "/api/v1/webhooks/nms", "{}", &at_writer, 400, "missing-field", NULL,
		   NULL);
	at_problem("PATCH", "/api/v1/webhooks/nope", "{\"enabled\": true}", &at_writer, 404,
		   "not-found", NULL, NULL);
	at_problem("PATCH", "/api/v1/webhooks/nms", "{\"secret\": \"short\"}", &at_writer, 400,
		   "invalid-field", "field", "/secret");

	/* a CA bundle: certificates, shown back; null removes it */
	snprintf(body, sizeof(body), "{\"ca-certificates\": %s, \"secret\": \"%s-2\"}", ca_pem,
		 SECRET);
	CHECK_RC(at_call("PATCH", "/api/v1/webhooks/nms", body, &at_writer, &j), 200);
	CHECK(strstr(at_str(j, "ca-certificates"), "-----BEGIN CERTIFICATE-----") != NULL);
	json_decref(j);
	CHECK_RC(reg_webhook_get(at_ctx.reg, "nms", &w, NULL), SZTP_OK);
	CHECK(w.secret && !strcmp(w.secret, SECRET "-2") && w.ca_pem);
	reg_webhook_clear(&w);
	CHECK_RC(
	    at_call("PATCH", "/api/v1/webhooks/nms", "{\"ca-certificates\": null}", &at_writer, &j),
	    200);
	CHECK(json_is_null(json_object_get(j, "ca-certificates")));
	json_decref(j);

	/* PUT: replace (the secret kept when not given), or create (201, secret required) */
	CHECK_RC(at_call("PUT", "/api/v1/webhooks/nms", "{\"url\": \"https://nms2.example/\"}",
			 &at_writer, &j),
		 200);
	CHECK(json_is_true(json_object_get(j, "enabled"))); /* reset: a replace */
	json_decref(j);
	CHECK_RC(reg_webhook_get(at_ctx.reg, "nms", &w, NULL), SZTP_OK);
	CHECK(w.secret && !strcmp(w.secret, SECRET "-2") &&
	      !strcmp(w.url, "https://nms2.example/"));
	reg_webhook_clear(&w);
	at_problem("PUT", "/api/v1/webhooks/other", "{\"url\": \"https://o.example/\"}", &at_writer,
		   400, "missing-field", "field", "/secret");
	at_problem("PUT", "/api/v1/webhooks/nms", "{\"secret\": \"" SECRET "\"}", &at_writer, 400,
		   "missing-field", "field", "/url");
	at_problem("PUT", "/api/v1/webhooks/nms", "{\"name\": \"nms\", \"url\": \"https://a.b/\"}",
		   &at_writer, 400, "unknown-field", "field", "/name");
	CHECK_RC(at_call("PUT", "/api/v1/webhooks/other",
			 "{\"url\": \"https://o.example/\", \"secret\": \"" SECRET "\"}",
			 &at_writer, NULL),
		 201);
	at_page("/api/v1/webhooks", "name", "nms,other", NULL);
	at_page("/api/v1/webhooks?limit=1", "name", "nms", NULL);
	at_follow("/api/v1/webhooks?limit=1", "name", (const char *const[]){"nms", "other"}, 2);

	/* audited, never with the secret; not events */
	CHECK_RC(at_call("GET", "/api/v1/audit?resource=webhooks/", NULL, &at_reader, &j), 200);
	CHECK(!strcmp(at_ids(j, "action"),
		      "webhook.create,webhook.update,webhook.update,webhook.update,webhook.update,"
		      "webhook.create"));
	{
		char *s = json_dumps(j, 0);

		CHECK(s && !strstr(s, SECRET));
		free(s);
	}
	json_decref(j);
	want_events("webhook changes are no events", before, "device.enrolled/W-1");

	CHECK_RC(at_call("DELETE", "/api/v1/webhooks/other", NULL, &at_writer, NULL), 204);
	CHECK_RC(at_call("GET", "/api/v1/webhooks/other", NULL, &at_reader, NULL), 404);
	at_problem("DELETE", "/api/v1/webhooks/other", NULL, &at_writer, 404, "not-found", NULL,
		   NULL);
	at_problem("DELETE", "/api/v1/webhooks/nms", NULL, &at_reader, 403, "forbidden", NULL,
		   NULL);
}

static void test_dead_letters(void)
{
	struct reg_webhook_result res;
	int64_t dead[3], last = last_event_id();
	json_t *j = NULL, *it;

	/* three events, given up by the worker */
	CHECK_RC(at_call("POST", "/api/v1/bulk/devices",
			 "{\"devices\": [{\"serial\": \"D-1\"}, {\"serial\": \"D-2\"}, "
			 "{\"serial\": \"D-3\"}]}",
			 &at_writer, NULL),
		 201);
	dead[0] = last + 1;
	dead[1] = last + 2;
	dead[2] = last + 3;
	memset(&res, 0, sizeof(res));
	res.status = 503;
	res.error = "HTTP 503";
	res.cursor = last + 3;
	res.attempts = 7;
	res.next_attempt_ms = 1800000060000LL;
	res.dead = dead;
	res.n_dead = 3;
	CHECK_RC(reg_webhook_result(at_ctx.reg, "nms", &res, NULL), SZTP_OK);
	CHECK_RC(at_call("GET", "/api/v1/webhooks/nms", NULL, &at_reader, &j), 200);
	it = json_object_get(j, "state");
	CHECK(json_integer_value(json_object_get(it, "dead")) == 3);
	CHECK(json_integer_value(json_object_get(it, "last-status")) == 503);
	CHECK(!strcmp(at_str(it, "last-error"), "HTTP 503"));
	CHECK(!strcmp(at_str(it, "next-attempt"), "2027-01-15T08:01:00Z"));
	CHECK(json_integer_value(json_object_get(it, "backlog")) == 0);
	json_decref(j);

	CHECK_RC(at_call("GET", "/api/v1/webhooks/nms/dead-letters", NULL, &at_reader, &j), 200);
	CHECK(json_array_size(json_object_get(j, "items")) == 3);
	it = json_array_get(json_object_get(j, "items"), 0);
	CHECK(!strcmp(at_str(it, "webhook"), "nms") &&
	      json_is_false(json_object_get(it, "replay")));
	CHECK(!strcmp(at_str(json_object_get(it, "event"), "serial"), "D-1"));
	CHECK(json_integer_value(json_object_get(json_object_get(it, "event"), "id")) == dead[0]);
	json_decref(j);
	{
		char cur[256], t[512];

		CHECK_RC(at_call("GET", "/api/v1/webhooks/nms/dead-letters?limit=2", NULL,
				 &at_reader, &j),
			 200);
		CHECK(json_array_size(json_object_get(j, "items")) == 2);
		snprintf(cur, sizeof(cur), "%s", at_str(j, "next-cursor"));
		json_decref(j);
		snprintf(t, sizeof(t), "/api/v1/webhooks/nms/dead-letters?limit=2&cursor=%s", cur);
		CHECK_RC(at_call("GET", t, NULL, &at_reader, &j), 200);
		CHECK(json_array_size(json_object_get(j, "items")) == 1);
		CHECK(json_is_null(json_object_get(j, "next-cursor")));
		json_decref(j);
	}
	at_problem("GET", "/api/v1/webhooks/nope/dead-letters", NULL, &at_reader, 404, "not-found",
		   NULL, NULL);

	/* replay one, then all; a dead letter that is not there: 404 */
	{
		char b[64];

		snprintf(b, sizeof(b), "{\"event-id\": %lld}", (long long)dead[1]);
		CHECK_RC(
		    at_call("POST", "/api/v1/webhooks/nms/dead-letters/replay", b, &at_writer, &j),
		    202);
		CHECK(json_integer_value(json_object_get(j, "queued")) == 1);
		json_decref(j);
	}
	CHECK_RC(
	    at_call("GET", "/api/v1/webhooks/nms/dead-letters?replay=true", NULL, &at_reader, &j),
	    200);
	CHECK(json_array_size(json_object_get(j, "items")) == 1);
	CHECK(json_is_true(
	    json_object_get(json_array_get(json_object_get(j, "items"), 0), "replay")));
	json_decref(j);
	at_problem("POST", "/api/v1/webhooks/nms/dead-letters/replay", "{\"event-id\": 999999}",
		   &at_writer, 404, "not-found", NULL, NULL);
	at_problem("POST", "/api/v1/webhooks/nms/dead-letters/replay", "{\"event-id\": 0}",
		   &at_writer, 400, "invalid-field", "field", "/event-id");
	at_problem("POST", "/api/v1/webhooks/nms/dead-letters/replay", "{\"all\": true}",
		   &at_writer, 400, "unknown-field", "field", "/all");
	at_problem("POST", "/api/v1/webhooks/nms/dead-letters/replay", "{}", &at_reader, 403,
		   "forbidden", NULL, NULL);
	CHECK_RC(at_call("POST", "/api/v1/webhooks/nms/dead-letters/replay", "{}", &at_writer, &j),
		 202);
	CHECK(json_integer_value(json_object_get(j, "queued")) == 3);
	json_decref(j);

	/* drop one, then the rest */
	{
		char t[128];

		snprintf(t, sizeof(t), "/api/v1/webhooks/nms/dead-letters/%lld",
			 (long long)dead[0]);
		CHECK_RC(at_call("DELETE", t, NULL, &at_writer, NULL), 204);
		at_problem("DELETE", t, NULL, &at_writer, 404, "not-found", NULL, NULL);
	}
	at_problem("DELETE", "/api/v1/webhooks/nms/dead-letters/x1", NULL, &at_writer, 400,
		   "invalid-parameter", "parameter", "id");
	at_problem("DELETE", "/api/v1/webhooks/nms/dead-letters/replay", NULL, &at_writer, 400,
		   "invalid-parameter", "parameter", "id");
	CHECK_RC(at_call("DELETE", "/api/v1/webhooks/nms/dead-letters", NULL, &at_writer, NULL),
		 204);
	at_page("/api/v1/webhooks/nms/dead-letters", "id", "", NULL);
	CHECK_RC(at_call("GET", "/api/v1/audit?resource=webhooks/nms/dead-letters", NULL,
			 &at_reader, &j),
		 200);
	CHECK(!strcmp(at_ids(j, "action"), "dead-letters.replay,dead-letters.replay,"
					   "dead-letters.delete,dead-letters.delete"));
	json_decref(j);
	/* removing the webhook takes its dead letters with it */
	CHECK_RC(at_call("DELETE", "/api/v1/webhooks/nms", NULL, &at_writer, NULL), 204);
}

/* A PEM certificate as a JSON string. */
static char *ca_json(void)
{
	FILE *f;
	static char buf[8192];
	size_t n;
	json_t *s;
	char *out;

	if (fixture_setup("adm-ev-pki") != 0 || !(f = fopen(P("root.pem"), "r")))
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	s = json_string(buf);
	out = json_dumps(s, JSON_ENCODE_ANY);
	json_decref(s);
	return out;
}

static struct sztp_yang *y;
static char *ca;

static void cases(void)
{
	at_ctx.y = y;
	test_admin_change_events();
	test_events_list();
	test_webhook_validation();
	test_webhook_crud(ca ? ca : "\"\"");
	test_dead_letters();
}

int main(void)
{
	const char *top = getenv("SZTP_TOP");
	char yang[512];

	snprintf(yang, sizeof(yang), "%s/yang", top ? top : ".");
	if (yang_open(yang, &y, NULL) != SZTP_OK) {
		CHECK(0);
		return unit_report("test_admin_events");
	}
	ca = ca_json();
	CHECK(ca != NULL);
	fixture_teardown();
	at_both("test_admin_events", "adm-events", cases);
	free(ca);
	yang_close(y);
	return unit_report("test_admin_events");
}
