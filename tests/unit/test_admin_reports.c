/*
 * test_admin_reports.c - the admin API's reports (admin/reports.c)
 * through admin_handle on a temporary registry: GET /progress and /log
 * with each filter and the pagination edges (empty, exactly one page, the
 * last page, polling with after-id), the device timeline's order and
 * pages, POST /prune's counts and audit row, GET /expiring.
 */
#include "admin_test.h"
#include "fixture.h"
#include "util.h"

#define DAY 86400
/* the seeded rows' base time: ten days before at_now, 2027-01-05T08:00:00Z */
#define T0 (1800000000 - 10 * DAY)

static const char *rfc(int64_t t)
{
	static char buf[4][32];
	static int k;

	k = (k + 1) % 4;
	time_rfc3339((time_t)t, buf[k]);
	return buf[k];
}

static void add_device(const char *serial, const uint8_t *voucher, size_t vlen, int64_t expires)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_device d;

	memset(&d, 0, sizeof(d));
	snprintf(d.serial, sizeof(d.serial), "%s", serial);
	snprintf(d.state, sizeof(d.state), "enrolled");
	d.voucher.data = (uint8_t *)voucher;
	d.voucher.len = vlen;
	d.voucher_expires = expires;
	d.created = at_now;
	CHECK_RC(reg_device_add(at_ctx.reg, &d, &e), SZTP_OK);
}

static void add_progress(const char *serial, int64_t t, const char *type, const char *msg,
			 const char *keys)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_progress p;

	memset(&p, 0, sizeof(p));
	snprintf(p.serial, sizeof(p.serial), "%s", serial);
	snprintf(p.peer, sizeof(p.peer), "192.0.2.1");
	snprintf(p.type, sizeof(p.type), "%s", type);
	p.time = t;
	p.message = (char *)msg;
	p.ssh_host_keys = (char *)keys;
	CHECK_RC(reg_progress_add(at_ctx.reg, &p, &e), SZTP_OK);
}

static void add_log(const char *serial, int64_t t, const char *result, int status)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_log l;

	memset(&l, 0, sizeof(l));
	snprintf(l.serial, sizeof(l.serial), "%s", serial);
	snprintf(l.peer, sizeof(l.peer), "192.0.2.2");
	snprintf(l.endpoint, sizeof(l.endpoint), "get-bootstrapping-data");
	snprintf(l.result, sizeof(l.result), "%s", result);
	l.time = t;
	l.status = status;
	l.duration_us = 1234;
	CHECK_RC(reg_log_add(at_ctx.reg, &l, &e), SZTP_OK);
}

static void seed(void)
{
	add_device("SN-1", NULL, 0, 0);
	add_device("SN-2", NULL, 0, 0);
	add_device("SN-3", NULL, 0, 0);
	/* progress ids 1..6 (6 is older than 2..5: time order is not id order) */
	add_progress("SN-1", T0, "bootstrap-initiated", NULL, NULL);
	add_progress("SN-1", T0 + 10, "informational", "hello", NULL);
	add_progress("SN-2", T0 + 20, "bootstrap-initiated", NULL, NULL);
	add_progress("SN-1", T0 + 30, "bootstrap-complete", NULL,
		     "[{\"algorithm\":\"ssh-ed25519\",\"key-data\":\"AAAA\"}]");
	add_progress("SN-2", T0 + 40, "bootstrap-error", "boom", NULL);
	add_progress("SN-1", T0 + 5, "informational", "late", NULL);
	/* log ids 1..6 */
	add_log("SN-1", T0, "signed", 200);
	add_log("", T0 + 5, "auth-failed", 401);
	add_log("SN-1", T0 + 10, "ok", 204);
	add_log("SN-2", T0 + 20, "signed", 200);
	add_log("SN-1", T0 + 30, "unsigned", 200);
	add_log("GHOST", T0 + 35, "auth-failed", 401);
}

static void test_empty(void)
{
	char cur[256];

	at_page("/api/v1/progress", "id", "", cur);
	CHECK(cur[0] == '\0');
	at_page("/api/v1/log", "id", "", cur);
	CHECK(cur[0] == '\0');
	at_page("/api/v1/audit", "id", "", cur);
	CHECK(cur[0] == '\0');
}

/* Each filter of both lists, alone and together (times: T0 + seconds). */
static void test_filters(void)
{
	static const struct at_want w[] = {
	    {"/api/v1/progress", "1,2,3,4,5,6"},
	    {"/api/v1/progress?serial=SN-1", "1,2,4,6"},
	    {"/api/v1/progress?serial=SN-9", ""},
	    {"/api/v1/progress?type=bootstrap-initiated", "1,3"},
	    {"/api/v1/progress?serial=SN-1&type=bootstrap-initiated", "1"},
	    {"/api/v1/progress?after-id=4", "5,6"},
	    {"/api/v1/progress?after-id=4&serial=SN-1", "6"},
	    {"/api/v1/progress?since=2027-01-05T08:00:10Z", "2,3,4,5"},
	    {"/api/v1/progress?before=2027-01-05T08:00:10Z", "1,6"}, /* exclusive */
	    {"/api/v1/progress?since=2027-01-05T08:00:10Z&before=2027-01-05T08:00:30Z", "2,3"},
	    {"/api/v1/progress?since=2027-01-05T09:00:10%2B01:00", "2,3,4,5"}, /* an offset */
	    {"/api/v1/log", "1,2,3,4,5,6"},
	    {"/api/v1/log?serial=SN-1", "1,3,5"},
	    {"/api/v1/log?serial=GHOST", "6"},
	    {"/api/v1/log?result=auth-failed", "2,6"},
	    {"/api/v1/log?result=signed&serial=SN-2", "4"},
	    {"/api/v1/log?after-id=5", "6"},
	    {"/api/v1/"
	     "log?since=2027-01-05T08:00:06Z&before=2027-01-05T08:00:36Z&result=auth-failed",
	     "6"},
	};

	at_pages("id", w, sizeof(w) / sizeof(w[0]));
}

/* The members of a progress report and of a log row. */
static void test_representations(void)
{
	json_t *j = NULL, *it;

	CHECK_RC(at_call("GET", "/api/v1/progress?serial=SN-1&limit=3", NULL, &at_reader, &j), 200);
	it = json_array_get(json_object_get(j, "items"), 0);
	CHECK(!strcmp(at_str(it, "time"), rfc(T0)));
	CHECK(!strcmp(at_str(it, "serial"), "SN-1") && !strcmp(at_str(it, "peer"), "192.0.2.1"));
	CHECK(!strcmp(at_str(it, "type"), "bootstrap-initiated"));
	CHECK(json_is_null(json_object_get(it, "message")));
	CHECK(json_is_null(json_object_get(it, "ssh-host-keys")));
	CHECK(json_is_null(json_object_get(it, "trust-anchor-certs")));
	CHECK(json_object_size(it) == 8);
	it = json_array_get(json_object_get(j, "items"), 2);
	CHECK(json_integer_value(json_object_get(it, "id")) == 4);
	CHECK(!strcmp(at_str(json_array_get(json_object_get(it, "ssh-host-keys"), 0), "algorithm"),
		      "ssh-ed25519"));
	json_decref(j);
	CHECK_RC(at_call("GET", "/api/v1/log?limit=2", NULL, &at_reader, &j), 200);
	it = json_array_get(json_object_get(j, "items"), 1);
	CHECK(json_is_null(json_object_get(it, "serial"))); /* unauthenticated */
	CHECK(!strcmp(at_str(it, "endpoint"), "get-bootstrapping-data"));
	CHECK(!strcmp(at_str(it, "result"), "auth-failed"));
	CHECK(json_integer_value(json_object_get(it, "status")) == 401);
	CHECK(json_integer_value(json_object_get(it, "duration-us")) == 1234);
	CHECK(json_object_size(it) == 8);
	json_decref(j);
}

static void test_pages(void)
{
	static const char *const by2[] = {"1,2", "3,4", "5,6"}, *by5[] = {"1,2,3,4,5", "6"};
	static const char *const one[] = {"1,2,3,4,5,6"};
	char cur[256], t[512];

	/* pages of 2 over 6 rows: the third ends the list (the peek row);
	 * exactly one page; one short of it */
	at_follow("/api/v1/progress?limit=2", "id", by2, 3);
	at_follow("/api/v1/progress?limit=6", "id", one, 1);
	at_follow("/api/v1/progress?limit=5", "id", by5, 2);
	/* a cursor with filters; cursor and after-id: the later wins */
	at_page("/api/v1/log?serial=SN-1&limit=1", "id", "1", cur);
	snprintf(t, sizeof(t), "/api/v1/log?serial=SN-1&limit=1&cursor=%s", cur);
	at_page(t, "id", "3", NULL);
	snprintf(t, sizeof(t), "/api/v1/log?serial=SN-1&limit=1&cursor=%s&after-id=4", cur);
	at_page(t, "id", "5", NULL);
	/* polling: nothing after the last id, then the new row */
	at_page("/api/v1/log?after-id=6", "id", "", cur);
	CHECK(cur[0] == '\0');
	add_log("SN-2", T0 + 50, "signed", 200);
	at_page("/api/v1/log?after-id=6", "id", "7", NULL);
}

/* GETs a reader makes that are refused: 400 slug naming the parameter. */
struct at_bad {
	const char *target, *slug, *param;
};

static void at_bad_params(const struct at_bad *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		at_problem("GET", b[i].target, NULL, &at_reader, 400, b[i].slug, "parameter",
			   b[i].param);
}

static void test_bad_parameters(void)
{
	static const struct at_bad bad[] = {
	    {"/api/v1/progress?bogus=1", "unknown-parameter", "bogus"},
	    {"/api/v1/progress?result=ok", "unknown-parameter", "result"},
	    {"/api/v1/log?type=x", "unknown-parameter", "type"},
	    {"/api/v1/progress?since=yesterday", "invalid-parameter", "since"},
	    {"/api/v1/log?before=2026-13-01T00:00:00Z", "invalid-parameter", "before"},
	    {"/api/v1/progress?limit=0", "invalid-parameter", "limit"},
	    {"/api/v1/progress?limit=1001", "invalid-parameter", "limit"},
	    {"/api/v1/progress?cursor=!!", "invalid-parameter", "cursor"},
	    {"/api/v1/progress?serial=", "invalid-parameter", "serial"},
	    {"/api/v1/log?result=", "invalid-parameter", "result"},
	    {"/api/v1/log?after-id=-1", "invalid-parameter", "after-id"},
	    {"/api/v1/log?after-id=1&after-id=2", "invalid-parameter", "after-id"},
	    {"/api/v1/devices/SN-1/timeline?cursor=AAAA", "invalid-parameter", "cursor"},
	    {"/api/v1/devices/SN-1/timeline?serial=SN-1", "unknown-parameter", "serial"},
	    {"/api/v1/expiring?expiring-within=36501", "invalid-parameter", "expiring-within"},
	    {"/api/v1/expiring?days=3", "unknown-parameter", "days"},
	    {"/api/v1/audit?action=prune", "unknown-parameter", "action"},
	    {"/api/v1/audit?actor=", "invalid-parameter", "actor"},
	    {"/api/v1/audit?since=now", "invalid-parameter", "since"},
	    {"/api/v1/audit?resource=%00", "invalid-parameter", "resource"},
	};
	char t[256];

	at_bad_params(bad, sizeof(bad) / sizeof(bad[0]));
	snprintf(t, sizeof(t), "/api/v1/log?since=%s&before=%s", rfc(T0), rfc(T0));
	at_problem("GET", t, NULL, &at_reader, 400, "invalid-parameter", "parameter", "before");
	at_problem("GET", "/api/v1/progress", NULL, NULL, 401, "unauthorized", NULL, NULL);
}

/* The sources and ids of a timeline page: "l1,p1,p6". */
static const char *tl_ids(json_t *page)
{
	static char buf[512];
	json_t *it;
	size_t i, o = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(page, "items"), i, it)
	{
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%c%lld", i ? "," : "",
				      at_str(it, "source")[0],
				      (long long)json_integer_value(json_object_get(it, "id")));
		if (o >= sizeof(buf))
			break;
	}
	return buf;
}

/* GET a timeline page: its entries as tl_ids, the next cursor into cur. */
static void expect_timeline(const char *target, const char *want, char *cur)
{
	json_t *j = NULL;

	CHECK_RC(at_call("GET", target, NULL, &at_reader, &j), 200);
	if (strcmp(tl_ids(j), want))
		fprintf(stderr, "  GET %s: %s, want %s\n", target, tl_ids(j), want);
	CHECK(!strcmp(tl_ids(j), want));
	snprintf(cur, 256, "%s", at_str(j, "next-cursor"));
	json_decref(j);
}

static void test_timeline(void)
{
	char cur[256], t[512];
	json_t *j = NULL, *it, *v;
	const char *key;
	size_t n = 0;

	/* by time, then log before progress, then id; p6 is older than l3 */
	expect_timeline("/api/v1/devices/SN-1/timeline", "l1,p1,p6,l3,p2,l5,p4", cur);
	CHECK(cur[0] == '\0');
	expect_timeline("/api/v1/devices/SN-1/timeline?limit=3", "l1,p1,p6", cur);
	CHECK(cur[0] != '\0');
	snprintf(t, sizeof(t), "/api/v1/devices/SN-1/timeline?limit=3&cursor=%s", cur);
	expect_timeline(t, "l3,p2,l5", cur);
	snprintf(t, sizeof(t), "/api/v1/devices/SN-1/timeline?limit=3&cursor=%s", cur);
	expect_timeline(t, "p4", cur);
	CHECK(cur[0] == '\0');
	expect_timeline("/api/v1/devices/SN-1/timeline?limit=7", "l1,p1,p6,l3,p2,l5,p4", cur);
	CHECK(cur[0] == '\0');
	/* an entry: time and source first, then the row's members */
	CHECK_RC(at_call("GET", "/api/v1/devices/SN-1/timeline?limit=1", NULL, &at_reader, &j),
		 200);
	it = json_array_get(json_object_get(j, "items"), 0);
	json_object_foreach(it, key, v)
	{
		if (n == 0)
			CHECK(!strcmp(key, "time"));
		if (n == 1)
			CHECK(!strcmp(key, "source"));
		n++;
	}
	CHECK(!strcmp(at_str(it, "endpoint"), "get-bootstrapping-data") && n == 9);
	json_decref(j);
	/* not enrolled but in the log; enrolled without rows; neither */
	expect_timeline("/api/v1/devices/GHOST/timeline", "l6", cur);
	expect_timeline("/api/v1/devices/SN-3/timeline", "", cur);
	at_problem("GET", "/api/v1/devices/NOBODY/timeline", NULL, &at_reader, 404, "not-found",
		   NULL, NULL);
}

static void test_prune(void)
{
	json_t *j = NULL, *a, *d;
	char t[256];

	add_log("SN-2", at_now - 40 * DAY, "signed", 200);
	add_progress("SN-2", at_now - 40 * DAY, "informational", "old", NULL);
	at_problem("POST", "/api/v1/prune", "{\"older-than-days\": 30}", &at_reader, 403,
		   "forbidden", NULL, NULL);
	at_problem("POST", "/api/v1/prune", "{}", &at_writer, 400, "missing-field", "field",
		   "/older-than-days");
	at_problem("POST", "/api/v1/prune", "{\"older-than-days\": 0}", &at_writer, 400,
		   "invalid-field", "field", "/older-than-days");
	at_problem("POST", "/api/v1/prune", "{\"older-than-days\": \"30\"}", &at_writer, 400,
		   "invalid-field", "field", "/older-than-days");
	at_problem("POST", "/api/v1/prune", "{\"older-than-days\": 30, \"all\": true}", &at_writer,
		   400, "unknown-field", "field", "/all");
	/* refused: nothing deleted, no audit row */
	at_page("/api/v1/audit", "id", "", NULL);
	snprintf(t, sizeof(t), "/api/v1/log?before=%s", rfc(at_now - 30 * DAY));
	at_page(t, "id", "8", NULL);
	CHECK_RC(at_call("POST", "/api/v1/prune", "{\"older-than-days\": 30}", &at_writer, &j),
		 200);
	CHECK(json_integer_value(json_object_get(j, "log-deleted")) == 1);
	CHECK(json_integer_value(json_object_get(j, "progress-deleted")) == 1);
	CHECK(!strcmp(at_str(j, "before"), rfc(at_now - 30 * DAY)));
	json_decref(j);
	at_page(t, "id", "", NULL);
	at_page("/api/v1/progress?serial=SN-2", "id", "3,5", NULL);
	/* its audit row */
	CHECK_RC(at_call("GET", "/api/v1/audit", NULL, &at_reader, &j), 200);
	CHECK(json_array_size(json_object_get(j, "items")) == 1);
	a = json_array_get(json_object_get(j, "items"), 0);
	CHECK(!strcmp(at_str(a, "actor"), "token:writer") && !strcmp(at_str(a, "action"), "prune"));
	CHECK(!strcmp(at_str(a, "time"), rfc(at_now)));
	CHECK(json_is_null(json_object_get(a, "revision-before")));
	CHECK(json_is_null(json_object_get(a, "revision-after")));
	d = json_object_get(a, "detail");
	CHECK(json_integer_value(json_object_get(d, "older-than-days")) == 30);
	CHECK(json_integer_value(json_object_get(d, "log-deleted")) == 1);
	CHECK(json_integer_value(json_object_get(d, "progress-deleted")) == 1);
	json_decref(j);
	/* nothing older any more: 0 and 0, and a second audit row */
	CHECK_RC(at_call("POST", "/api/v1/prune", "{\"older-than-days\": 30}", &at_writer, &j),
		 200);
	CHECK(json_integer_value(json_object_get(j, "log-deleted")) == 0);
	json_decref(j);
	at_page("/api/v1/audit?actor=token:writer", "action", "prune,prune", NULL);
}

static void test_expiring(void)
{
	static const uint8_t v[] = "not parsed: the window is stored";
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_owner o;
	json_t *j = NULL, *it;
	int64_t now = (int64_t)time(NULL);
	sztp_bytes *chain = NULL;
	size_t n = 0;

	at_now = now; /* the fixture's certificates are minted now */
	add_device("VA", v, sizeof(v), now + 5 * DAY + 3600);
	add_device("VB", v, sizeof(v), now + 365 * DAY - 3600);
	add_device("VX", v, sizeof(v), now - DAY - 3600);
	CHECK_RC(pki_pem_certs_read(P("ec-chain.pem"), &chain, &n, &e), SZTP_OK);
	memset(&o, 0, sizeof(o));
	snprintf(o.name, sizeof(o.name), "default");
	o.chain = chain;
	o.n_chain = n;
	o.key_path = (char *)"/nonexistent/ec.key";
	CHECK_RC(reg_owner_put(at_ctx.reg, &o, &e), SZTP_OK);
	at_page("/api/v1/expiring", "name", "VA,VX", NULL);
	at_page("/api/v1/expiring?expiring-within=0", "name", "VX", NULL);
	at_page("/api/v1/expiring?expiring-within=400", "name", "VA,VB,VX,default[0],default[1]",
		NULL);
	CHECK_RC(at_call("GET", "/api/v1/expiring", NULL, &at_reader, &j), 200);
	CHECK(json_integer_value(json_object_get(j, "expiring-within")) == 30);
	it = json_array_get(json_object_get(j, "items"), 0);
	CHECK(!strcmp(at_str(it, "kind"), "voucher") && !strcmp(at_str(it, "expiry"), "expiring"));
	CHECK(!strcmp(at_str(it, "what"), "ownership voucher"));
	CHECK(!strcmp(at_str(it, "expires"), rfc(now + 5 * DAY + 3600)));
	CHECK(json_integer_value(json_object_get(it, "days-left")) == 5);
	it = json_array_get(json_object_get(j, "items"), 1);
	CHECK(!strcmp(at_str(it, "expiry"), "expired"));
	CHECK(json_integer_value(json_object_get(it, "days-left")) == -1);
	json_decref(j);
	CHECK_RC(at_call("GET", "/api/v1/expiring?expiring-within=400", NULL, &at_reader, &j), 200);
	it = json_array_get(json_object_get(j, "items"), 3);
	CHECK(!strcmp(at_str(it, "kind"), "owner") && strstr(at_str(it, "what"), "CN=") != NULL);
	json_decref(j);
	while (n)
		sztp_bytes_free(&chain[--n]);
	free(chain);
}

static void test_expiry_helpers(void)
{
	struct reg_device d;

	CHECK(admin_expiry_of(0, 1000, 30) == ADMIN_EXP_NEVER);
	CHECK(admin_expiry_of(1000, 1000, 30) == ADMIN_EXP_EXPIRED);
	CHECK(admin_expiry_of(1001, 1000, 0) == ADMIN_EXP_OK);
	CHECK(admin_expiry_of(1000 + 30 * DAY, 1000, 30) == ADMIN_EXP_EXPIRING);
	CHECK(admin_expiry_of(1001 + 30 * DAY, 1000, 30) == ADMIN_EXP_OK);
	CHECK(!strcmp(admin_expiry_name(ADMIN_EXP_EXPIRING), "expiring"));
	memset(&d, 0, sizeof(d));
	CHECK(admin_voucher_expires(&d) == 0);
	d.voucher.data = (uint8_t *)"x";
	d.voucher.len = 1;
	CHECK(admin_voucher_expires(&d) == 0); /* not a voucher: unknown */
	d.voucher_expires = 42;
	CHECK(admin_voucher_expires(&d) == 42);
}

static void cases(void)
{
	test_empty();
	seed();
	test_filters();
	test_representations();
	test_pages();
	test_bad_parameters();
	test_timeline();
	test_prune();
	test_expiring();
}

int main(void)
{
	if (fixture_setup("adminrep") != 0) {
		fprintf(stderr, "test_admin_reports: setup failed\n");
		return 1;
	}
	at_both("test_admin_reports", "adminrep", cases);
	test_expiry_helpers();
	fixture_teardown();
	return unit_report("test_admin_reports");
}
