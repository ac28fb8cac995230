/*
 * test_metrics.c - the counters behind /metrics (server/metrics.c): each
 * request lands in exactly one requests_total series and one histogram
 * bucket (cumulative in the text), outcomes count only 200 answers of
 * get-bootstrapping-data, label values that are not route-like words are
 * folded into "other" (no escaping ever needed), a full table folds new
 * label sets into its last series instead of growing, and concurrent
 * updates lose nothing.
 */
#include <pthread.h>

#include "metrics.h"
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

static void *hammer(void *arg)
{
	int i;

	for (i = 0; i < 10000; i++)
		metrics_request(arg, "device", "report-progress", 204, NULL, 1500);
	return NULL;
}

int main(void)
{
	struct metrics *m = NULL;
	struct sztp_err e = {0};
	pthread_t t[4];
	char *txt, ep[32];
	int i;

	CHECK_RC(metrics_new(&m, &e), SZTP_OK);
	metrics_request(NULL, "device", "x", 200, NULL, 1); /* NULL: nothing */
	metrics_request(m, "device", "get-bootstrapping-data", 200, "signed", 800);
	metrics_request(m, "device", "get-bootstrapping-data", 200, "signed", 3000);
	metrics_request(m, "device", "get-bootstrapping-data", 200, "unsigned-redirect", 7000000);
	metrics_request(m, "device", "get-bootstrapping-data", 401, "signed", 100);
	metrics_request(m, "device", "report-progress", 200, "signed", 100);
	metrics_request(m, "admin", "bad\"label\n", 200, NULL, -5);
	txt = render(m);
	CHECK(value(txt, "sztpd_requests_total{listener=\"device\",endpoint=\"get-bootstrapping-"
			 "data\",status=\"200\"}") == 3);
	CHECK(value(txt, "sztpd_requests_total{listener=\"device\",endpoint=\"get-bootstrapping-"
			 "data\",status=\"401\"}") == 1);
	/* outcomes: 200 answers of get-bootstrapping-data only */
	CHECK(value(txt, "sztpd_bootstrap_outcomes_total{outcome=\"signed\"}") == 2);
	CHECK(value(txt, "sztpd_bootstrap_outcomes_total{outcome=\"unsigned-redirect\"}") == 1);
	/* buckets are cumulative; 7 s is past the last bound: only +Inf */
	CHECK(value(txt, "sztpd_request_duration_seconds_bucket{listener=\"device\",endpoint=\"get-"
			 "bootstrapping-data\",le=\"0.001\"}") == 2);
	CHECK(value(txt, "sztpd_request_duration_seconds_bucket{listener=\"device\",endpoint=\"get-"
			 "bootstrapping-data\",le=\"0.005\"}") == 3);
	CHECK(value(txt, "sztpd_request_duration_seconds_bucket{listener=\"device\",endpoint=\"get-"
			 "bootstrapping-data\",le=\"5\"}") == 3);
	CHECK(value(txt, "sztpd_request_duration_seconds_bucket{listener=\"device\",endpoint=\"get-"
			 "bootstrapping-data\",le=\"+Inf\"}") == 4);
	CHECK(value(txt, "sztpd_request_duration_seconds_count{listener=\"device\",endpoint=\"get-"
			 "bootstrapping-data\"}") == 4);
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
		metrics_request(m, "device", ep, 200, NULL, 10);
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
	free(txt);
	metrics_free(m);
	return unit_report("test_metrics");
}
