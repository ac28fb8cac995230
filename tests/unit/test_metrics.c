/*
 * test_metrics.c - the counters behind /metrics (server/metrics.c): each
 * request lands in exactly one requests_total series and one histogram
 * bucket (cumulative in the text), outcomes count only 200 answers of
 * get-bootstrapping-data (by outcome and profile), label values that are
 * not route-like words are folded into "other" (no escaping ever needed),
 * a full table folds new label sets into its last series instead of
 * growing, authentication failures count by their fixed reasons and TLS
 * handshake failures by listener (every series present from zero), and
 * concurrent updates lose nothing.  The outbox series are read from a
 * real registry: each consumer's backlog and oldest age follow its cursor,
 * each webhook's counts follow its recorded results, a webhook name that
 * needs escaping is escaped (never folded: two names, two series).
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "registry.h"
#include "unit.h"

/* The value of one exact series in text, or -1. */
static long long value(const char *text, const char *series)
{
	const char *p = text;
	size_t n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

static char *render(struct metrics *m)
{
	struct sztp_err e = {0};
	char *t = NULL;
	size_t len = 0;

	CHECK_RC(metrics_render(m, NULL, NULL, &t, &len, &e), SZTP_OK);
	CHECK(t && strlen(t) == len);
	return t;
}

static char *render_reg(struct metrics *m, struct reg *r)
{
	struct sztp_err e = {0};
	char *t = NULL;
	size_t len = 0;

	CHECK_RC(metrics_render(m, NULL, r, &t, &len, &e), SZTP_OK);
	CHECK(t && strlen(t) == len);
	return t;
}

static int64_t event_at(struct reg *r, const char *serial, int64_t t)
{
	struct reg_event ev;
	int64_t id = 0;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "device.enrolled");
	snprintf(ev.serial, sizeof(ev.serial), "%s", serial);
	ev.time = t;
	CHECK_RC(reg_event_add(r, &ev, &id, NULL), SZTP_OK);
	return id;
}

static void webhook(struct reg *r, const char *name)
{
	struct reg_webhook w;

	memset(&w, 0, sizeof(w));
	snprintf(w.name, sizeof(w.name), "%s", name);
	w.url = "https://nms.example/hook";
	w.types = "";
	w.secret = "0123456789abcdef";
	w.enabled = 1;
	CHECK_RC(reg_webhook_add(r, &w, NULL), SZTP_OK);
}

#define OB_EVENTS(c) "sztpd_outbox_events{consumer=\"" c "\"}"
#define OB_AGE(c)    "sztpd_outbox_oldest_age_seconds{consumer=\"" c "\"}"

static void test_outbox(struct metrics *m)
{
	char dir[] = "/tmp/test_metrics.XXXXXX", path[300], *txt;
	struct reg_webhook_result res;
	struct reg *r = NULL;
	int64_t now = (int64_t)time(NULL), first, dead[1];
	long long age;

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/reg.db", dir);
	CHECK_RC(reg_open(path, &r, NULL), SZTP_OK);
	if (!r)
		goto out;
	/* no consumer: the families, no samples */
	txt = render_reg(m, r);
	CHECK(strstr(txt, "# TYPE sztpd_outbox_events gauge\n"));
	CHECK(strstr(txt, "# TYPE sztpd_webhook_deliveries_total counter\n"));
	CHECK(!strstr(txt, "sztpd_outbox_events{"));
	CHECK(!strstr(txt, "sztpd_webhook_deliveries_total{"));
	free(txt);

	/* a webhook starts at the newest event: nothing pending */
	event_at(r, "SN0", now - 500);
	webhook(r, "nms");
	webhook(r, "odd\"name\\x");
	txt = render_reg(m, r);
	CHECK(value(txt, OB_EVENTS("webhook:nms")) == 0);
	CHECK(value(txt, OB_AGE("webhook:nms")) == 0);
	CHECK(value(txt, "sztpd_webhook_deliveries_total{webhook=\"nms\"}") == 0);
	CHECK(value(txt, "sztpd_webhook_enabled{webhook=\"nms\"}") == 1);
	/* escaped per the text format, not folded into "other" */
	CHECK(value(txt, OB_EVENTS("webhook:odd\\\"name\\\\x")) == 0);
	CHECK(value(txt, "sztpd_webhook_failures_total{webhook=\"odd\\\"name\\\\x\"}") == 0);
	CHECK(!strstr(txt, "consumer=\"syslog\"")); /* no syslog cursor: no syslog consumer */
	free(txt);

	/* three events: pending for both, the oldest 100 s old */
	first = event_at(r, "SN1", now - 100);
	event_at(r, "SN1", now - 50);
	event_at(r, "SN2", now - 10);
	CHECK_RC(reg_event_cursor_set(r, "syslog", first, NULL), SZTP_OK);
	txt = render_reg(m, r);
	CHECK(value(txt, OB_EVENTS("webhook:nms")) == 3);
	age = value(txt, OB_AGE("webhook:nms"));
	CHECK(age >= 100 && age <= 110);
	CHECK(value(txt, OB_EVENTS("syslog")) == 2);
	age = value(txt, OB_AGE("syslog"));
	CHECK(age >= 50 && age <= 60);
	free(txt);

	/* nms: a failed attempt dead-letters the first, then a success */
	memset(&res, 0, sizeof(res));
	dead[0] = first;
	res.status = 503;
	res.error = "HTTP 503";
	res.cursor = first;
	res.attempts = 2;
	res.dead = dead;
	res.n_dead = 1;
	CHECK_RC(reg_webhook_result(r, "nms", &res, NULL), SZTP_OK);
	txt = render_reg(m, r);
	CHECK(value(txt, OB_EVENTS("webhook:nms")) == 2);
	CHECK(value(txt, "sztpd_webhook_failures_total{webhook=\"nms\"}") == 1);
	CHECK(value(txt, "sztpd_webhook_dead_letters_total{webhook=\"nms\"}") == 1);
	CHECK(value(txt, "sztpd_webhook_consecutive_failures{webhook=\"nms\"}") == 2);
	CHECK(value(txt, "sztpd_webhook_last_success_timestamp_seconds{webhook=\"nms\"}") == 0);
	free(txt);
	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.status = 200;
	res.cursor = first + 2;
	res.delivered = 2;
	CHECK_RC(reg_webhook_result(r, "nms", &res, NULL), SZTP_OK);
	txt = render_reg(m, r);
	CHECK(value(txt, OB_EVENTS("webhook:nms")) == 0);
	CHECK(value(txt, OB_AGE("webhook:nms")) == 0);
	CHECK(value(txt, "sztpd_webhook_deliveries_total{webhook=\"nms\"}") == 2);
	CHECK(value(txt, "sztpd_webhook_failures_total{webhook=\"nms\"}") == 1);
	CHECK(value(txt, "sztpd_webhook_consecutive_failures{webhook=\"nms\"}") == 0);
	CHECK(value(txt, "sztpd_webhook_last_success_timestamp_seconds{webhook=\"nms\"}") >= now);
	CHECK(value(txt, OB_EVENTS("webhook:odd\\\"name\\\\x")) == 3); /* its own cursor */
	free(txt);
	reg_close(r);
out:
	unlink(path);
	snprintf(path, sizeof(path), "%s/reg.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/reg.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

static void *hammer(void *arg)
{
	int i;

	for (i = 0; i < 10000; i++)
		metrics_request(arg, "device", "report-progress", 204, NULL, NULL, 1500);
	for (i = 0; i < 10000; i++)
		metrics_auth_failure(arg, METRICS_AUTH_PASSWORD);
	for (i = 0; i < 1000; i++)
		metrics_tls_handshake_failed(arg, "device");
	return NULL;
}

int main(void)
{
	struct metrics *m = NULL;
	struct sztp_err e = {0};
	pthread_t t[4];
	char *txt, ep[96];
	int i;

	CHECK_RC(metrics_new(&m, &e), SZTP_OK);
	metrics_request(NULL, "device", "x", 200, NULL, NULL, 1); /* NULL: nothing */
	metrics_auth_failure(NULL, METRICS_AUTH_PASSWORD);
	metrics_tls_handshake_failed(NULL, "device");
	/* before anything happened: every reason and listener at 0 */
	txt = render(m);
	for (i = 0; i < METRICS_AUTH__COUNT; i++) {
		snprintf(ep, sizeof(ep), "sztpd_auth_failures_total{reason=\"%s\"}",
			 metrics_auth_reason((enum metrics_auth)i));
		CHECK(value(txt, ep) == 0);
	}
	CHECK(value(txt, "sztpd_tls_handshake_failures_total{listener=\"device\"}") == 0);
	CHECK(value(txt, "sztpd_tls_handshake_failures_total{listener=\"admin\"}") == 0);
	CHECK(!strstr(txt, "listener=\"other\"}"));		/* other: only once counted */
	CHECK(!strstr(txt, "sztpd_bootstrap_outcomes_total{")); /* no outcome yet */
	free(txt);
	CHECK(!strcmp(metrics_auth_reason(METRICS_AUTH_NOT_ENROLLED), "not-enrolled"));
	CHECK(!strcmp(metrics_auth_reason(METRICS_AUTH__COUNT), "other"));

	metrics_request(m, "device", "get-bootstrapping-data", 200, "signed", "onb", 800);
	metrics_request(m, "device", "get-bootstrapping-data", 200, "signed", "onb", 3000);
	metrics_request(m, "device", "get-bootstrapping-data", 200, "signed", "dc-2", 3000);
	metrics_request(m, "device", "get-bootstrapping-data", 200, "unsigned-redirect", "redir",
			7000000);
	metrics_request(m, "device", "get-bootstrapping-data", 401, "signed", NULL, 100);
	metrics_request(m, "device", "report-progress", 200, "signed", "onb", 100);
	metrics_request(m, "device", "get-bootstrapping-data", 200, "unsigned", "a b\"c", 10);
	metrics_request(m, "device", "get-bootstrapping-data", 200, "unsigned", NULL, 10);
	metrics_request(m, "admin", "bad\"label\n", 200, NULL, NULL, -5);
	metrics_auth_failure(m, METRICS_AUTH_CERTIFICATE);
	metrics_auth_failure(m, METRICS_AUTH_NOT_ENROLLED);
	metrics_auth_failure(m, METRICS_AUTH_NOT_ENROLLED);
	metrics_auth_failure(m, METRICS_AUTH__COUNT); /* not a reason: nothing */
	metrics_tls_handshake_failed(m, "device");
	metrics_tls_handshake_failed(m, "admin");
	metrics_tls_handshake_failed(m, "admin");
	metrics_tls_handshake_failed(m, "someone");
	metrics_tls_handshake_failed(m, NULL);
	txt = render(m);
	CHECK(value(txt, "sztpd_requests_total{listener=\"device\",endpoint=\"get-bootstrapping-"
			 "data\",status=\"200\"}") == 6);
	CHECK(value(txt, "sztpd_requests_total{listener=\"device\",endpoint=\"get-bootstrapping-"
			 "data\",status=\"401\"}") == 1);
	/* outcomes: 200 answers of get-bootstrapping-data only, by profile */
	CHECK(value(txt, "sztpd_bootstrap_outcomes_total{outcome=\"signed\",profile=\"onb\"}") ==
	      2);
	CHECK(value(txt, "sztpd_bootstrap_outcomes_total{outcome=\"signed\",profile=\"dc-2\"}") ==
	      1);
	CHECK(value(txt, "sztpd_bootstrap_outcomes_total{outcome=\"unsigned-redirect\",profile="
			 "\"redir\"}") == 1);
	/* a profile name that is not a plain word is folded; none is "-" */
	CHECK(value(txt,
		    "sztpd_bootstrap_outcomes_total{outcome=\"unsigned\",profile=\"other\"}") == 1);
	CHECK(value(txt, "sztpd_bootstrap_outcomes_total{outcome=\"unsigned\",profile=\"-\"}") ==
	      1);
	CHECK(!strstr(txt, "a b"));
	CHECK(value(txt, "sztpd_auth_failures_total{reason=\"certificate-rejected\"}") == 1);
	CHECK(value(txt, "sztpd_auth_failures_total{reason=\"not-enrolled\"}") == 2);
	CHECK(value(txt, "sztpd_auth_failures_total{reason=\"password-wrong\"}") == 0);
	CHECK(value(txt, "sztpd_tls_handshake_failures_total{listener=\"device\"}") == 1);
	CHECK(value(txt, "sztpd_tls_handshake_failures_total{listener=\"admin\"}") == 2);
	CHECK(value(txt, "sztpd_tls_handshake_failures_total{listener=\"other\"}") == 2);
	/* buckets are cumulative (10 us twice, 0.8 ms; 3 ms twice; 7 s is past
	 * the last bound: only +Inf; the 401 took 0.1 ms) */
	CHECK(value(txt, "sztpd_request_duration_seconds_bucket{listener=\"device\",endpoint=\"get-"
			 "bootstrapping-data\",le=\"0.001\"}") == 4);
	CHECK(value(txt, "sztpd_request_duration_seconds_bucket{listener=\"device\",endpoint=\"get-"
			 "bootstrapping-data\",le=\"0.005\"}") == 6);
	CHECK(value(txt, "sztpd_request_duration_seconds_bucket{listener=\"device\",endpoint=\"get-"
			 "bootstrapping-data\",le=\"5\"}") == 6);
	CHECK(value(txt, "sztpd_request_duration_seconds_bucket{listener=\"device\",endpoint=\"get-"
			 "bootstrapping-data\",le=\"+Inf\"}") == 7);
	CHECK(value(txt, "sztpd_request_duration_seconds_count{listener=\"device\",endpoint=\"get-"
			 "bootstrapping-data\"}") == 7);
	/* a label value with quotes or a newline is folded, never echoed */
	CHECK(value(txt,
		    "sztpd_requests_total{listener=\"admin\",endpoint=\"other\",status=\"200\"}") ==
	      1);
	CHECK(!strstr(txt, "bad\""));
	CHECK(!strstr(txt, "sztpd_registry_ok")); /* no server: counters alone */
	free(txt);

	/* a full table folds new label sets into its last series */
	for (i = 0; i < 400; i++) {
		snprintf(ep, sizeof(ep), "route-%d", i);
		metrics_request(m, "device", ep, 200, NULL, NULL, 10);
	}
	txt = render(m);
	CHECK(
	    value(
		txt,
		"sztpd_requests_total{listener=\"device\",endpoint=\"route-0\",status=\"200\"}") ==
	    1);
	CHECK(value(txt, "sztpd_requests_total{listener=\"device\",endpoint=\"route-399\",status="
			 "\"200\"}") == -1);
	/* 4 series were there, the last slot is the overflow's */
	CHECK(value(txt,
		    "sztpd_requests_total{listener=\"other\",endpoint=\"other\",status=\"0\"}") ==
	      400 - (256 - 1 - 4));
	/* 3 histograms were there */
	CHECK(
	    value(txt,
		  "sztpd_request_duration_seconds_count{listener=\"other\",endpoint=\"other\"}") ==
	    400 - (64 - 1 - 3));
	free(txt);

	/* a full outcome table folds new pairs into its last series */
	for (i = 0; i < 200; i++) {
		snprintf(ep, sizeof(ep), "p%d", i);
		metrics_request(m, "device", "get-bootstrapping-data", 200, "signed", ep, 10);
	}
	txt = render(m);
	CHECK(value(txt, "sztpd_bootstrap_outcomes_total{outcome=\"signed\",profile=\"p0\"}") == 1);
	CHECK(value(txt, "sztpd_bootstrap_outcomes_total{outcome=\"signed\",profile=\"p199\"}") ==
	      -1);
	/* 5 pairs were there */
	CHECK(value(txt, "sztpd_bootstrap_outcomes_total{outcome=\"other\",profile=\"other\"}") ==
	      200 - (128 - 1 - 5));
	free(txt);

	test_outbox(m);

	/* concurrent updates lose nothing */
	metrics_free(m);
	CHECK_RC(metrics_new(&m, &e), SZTP_OK);
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer, m);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	txt = render(m);
	CHECK(value(txt, "sztpd_requests_total{listener=\"device\",endpoint=\"report-progress\","
			 "status=\"204\"}") == 40000);
	CHECK(value(txt, "sztpd_auth_failures_total{reason=\"password-wrong\"}") == 40000);
	CHECK(value(txt, "sztpd_tls_handshake_failures_total{listener=\"device\"}") == 4000);
	free(txt);
	metrics_free(m);
	return unit_report("test_metrics");
}
