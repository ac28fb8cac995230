/* Unit tests for server/throttle.c: token buckets refill with time, keys
 * are independent, the table never holds more keys than its slots
 * however many keys arrive (address spoofing), a full table forgives
 * rather than refuses and keeps the keys that are limited; IPv6 peers
 * share their /64; the log filter writes at most per_peer rows per
 * address and total rows per minute and sums up the rest in summary
 * rows; concurrent use from several threads. */
#include <pthread.h>

#include "throttle.h"
#include "unit.h"

#define MIN_MS 60000

static void test_bucket(void)
{
	struct throttle *t = NULL;
	int64_t t0 = 1000000;
	unsigned w;

	/* 3 per minute: one token every 20 s */
	CHECK_RC(throttle_new(64, 3, 60, &t, NULL), SZTP_OK);
	CHECK(t != NULL);
	CHECK(throttle_wait(t, "A", t0) == 0); /* unknown key: full */
	CHECK(throttle_keys(t) == 0);	       /* waiting takes no slot */
	CHECK(throttle_take(t, "A", t0) == 0);
	CHECK(throttle_take(t, "A", t0) == 0);
	CHECK(throttle_take(t, "A", t0) == 0);
	w = throttle_take(t, "A", t0);
	CHECK(w == 20);
	CHECK(throttle_wait(t, "A", t0) == 20);
	/* per-key independence */
	CHECK(throttle_take(t, "B", t0) == 0);
	CHECK(throttle_wait(t, "B", t0) == 0);
	/* decay: half a token after 10 s, one after 20 s */
	CHECK(throttle_wait(t, "A", t0 + 10000) == 10);
	CHECK(throttle_take(t, "A", t0 + 19999) == 1);
	CHECK(throttle_take(t, "A", t0 + 20000) == 0);
	CHECK(throttle_take(t, "A", t0 + 20000) == 20);
	/* never more than the burst, however long it waited */
	CHECK(throttle_take(t, "A", t0 + 100 * MIN_MS) == 0);
	CHECK(throttle_take(t, "A", t0 + 100 * MIN_MS) == 0);
	CHECK(throttle_take(t, "A", t0 + 100 * MIN_MS) == 0);
	CHECK(throttle_take(t, "A", t0 + 100 * MIN_MS) == 20);
	/* charge: counts what happened anyway, says when it emptied */
	CHECK(throttle_charge(t, "C", t0) == 0);
	CHECK(throttle_charge(t, "C", t0) == 0);
	CHECK(throttle_charge(t, "C", t0) == 1);
	CHECK(throttle_charge(t, "C", t0) == 0); /* already empty, stays at 0 */
	CHECK(throttle_wait(t, "C", t0) == 20);
	CHECK(throttle_wait(t, "C", t0 + 20000) == 0);
	/* refilled and emptied again within the window: said only once */
	CHECK(throttle_charge(t, "C", t0 + 20000) == 0);
	CHECK(throttle_wait(t, "C", t0 + 20000) == 20);
	CHECK(throttle_charge(t, "C", t0 + 80000) == 0); /* a window later, full: */
	CHECK(throttle_charge(t, "C", t0 + 80000) == 0);
	CHECK(throttle_charge(t, "C", t0 + 80000) == 1); /* emptied: said again */
	CHECK(throttle_keys(t) == 3);
	throttle_free(t);

	/* burst 0: no limit, no table */
	t = (struct throttle *)1;
	CHECK_RC(throttle_new(64, 0, 60, &t, NULL), SZTP_OK);
	CHECK(t == NULL);
	CHECK(throttle_take(NULL, "A", t0) == 0);
	CHECK(throttle_wait(NULL, "A", t0) == 0);
	CHECK(throttle_charge(NULL, "A", t0) == 0);
	throttle_free(NULL);
}

/* Bounded memory: a flood of distinct keys (spoofed addresses) never
 * grows the table; the limited key survives among keys that are not. */
static void test_bounded(void)
{
	struct throttle *t = NULL;
	char key[32];
	int i, spared = 1;

	CHECK_RC(throttle_new(8, 2, 60, &t, NULL), SZTP_OK); /* one set */
	CHECK(throttle_slots(t) == THROTTLE_WAYS);
	throttle_charge(t, "attacker", 0);
	throttle_charge(t, "attacker", 0);
	CHECK(throttle_wait(t, "attacker", 0) > 0);
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "198.51.%d.%d", i / 250, i % 250);
		throttle_charge(t, key, 1);
		if (throttle_wait(t, "attacker", 1) == 0)
			spared = 0;
	}
	CHECK(throttle_keys(t) <= throttle_slots(t));
	CHECK(spared); /* the most-refilled keys made room, never the empty one */
	throttle_free(t);

	CHECK_RC(throttle_new(4096, 5, 60, &t, NULL), SZTP_OK);
	for (i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "2001:db8:%x:%x::1", i >> 16, i & 0xffff);
		throttle_charge(t, key, i);
	}
	CHECK(throttle_slots(t) == 4096);
	CHECK(throttle_keys(t) == 4096); /* full, and no more */
	throttle_free(t);
}

static void test_peer_key(void)
{
	char a[64], b[64];

	throttle_peer_key("192.0.2.7", a, sizeof(a));
	CHECK(!strcmp(a, "192.0.2.7"));
	throttle_peer_key("2001:db8:1:2:3:4:5:6", a, sizeof(a));
	CHECK(!strcmp(a, "2001:db8:1:2::/64"));
	throttle_peer_key("2001:db8:1:2:ffff::9", b, sizeof(b));
	CHECK(!strcmp(a, b)); /* one /64, one key */
	throttle_peer_key("2001:db8:1:3::1", b, sizeof(b));
	CHECK(strcmp(a, b) != 0);
	throttle_peer_key("-", a, sizeof(a));
	CHECK(!strcmp(a, "-"));
}

/* ---- the log filter ------------------------------------------------------ */

static struct reg_log emitted[64];
static int n_emitted;

static void emit(const struct reg_log *row, void *arg)
{
	(void)arg;
	if (n_emitted < 64)
		emitted[n_emitted] = *row;
	n_emitted++;
}

static int admit(struct logfilter *f, const char *peer, int64_t now)
{
	struct reg_log l;

	memset(&l, 0, sizeof(l));
	snprintf(l.peer, sizeof(l.peer), "%s", peer);
	snprintf(l.endpoint, sizeof(l.endpoint), "get-bootstrapping-data");
	l.status = 401;
	return logfilter_admit(f, &l, now, emit, NULL);
}

static int admit_n(struct logfilter *f, const char *peer, int n, int64_t now)
{
	int i, w = 0;

	for (i = 0; i < n; i++)
		w += admit(f, peer, now);
	return w;
}

static void test_filter(void)
{
	struct logfilter *f = NULL;
	char peer[64];
	int i, written;

	/* per address: 5 rows a minute, the rest summed up */
	CHECK_RC(logfilter_new(64, 5, 100, &f, NULL), SZTP_OK);
	n_emitted = 0;
	CHECK(admit_n(f, "192.0.2.1", 20, 0) == 5);
	CHECK(admit_n(f, "192.0.2.2", 3, 0) == 3); /* another address: its own 5 */
	logfilter_flush(f, MIN_MS - 1, 0, emit, NULL);
	CHECK(n_emitted == 0); /* its minute is not over */
	logfilter_flush(f, MIN_MS, 0, emit, NULL);
	CHECK(n_emitted == 1);
	CHECK(!strcmp(emitted[0].peer, "192.0.2.1"));
	CHECK(!strcmp(emitted[0].endpoint, "suppressed"));
	CHECK(!strcmp(emitted[0].result, "15 more failures"));
	CHECK(emitted[0].serial[0] == '\0' && emitted[0].time > 0);
	/* a new minute: 5 more rows; the summary of the last one comes first */
	n_emitted = 0;
	CHECK(admit_n(f, "192.0.2.3", 7, MIN_MS) == 5);
	CHECK(admit_n(f, "192.0.2.3", 1, 2 * MIN_MS) == 1);
	CHECK(n_emitted == 1 && !strcmp(emitted[0].result, "2 more failures"));
	/* IPv6: one /64 is one address */
	n_emitted = 0;
	for (i = 0; i < 10; i++) {
		snprintf(peer, sizeof(peer), "2001:db8:0:1::%x", i + 1);
		admit(f, peer, 3 * MIN_MS);
	}
	logfilter_free(f, emit, NULL); /* the end: every summary now */
	CHECK(n_emitted == 1 && !strcmp(emitted[0].peer, "2001:db8:0:1::/64") &&
	      !strcmp(emitted[0].result, "5 more failures"));

	/* in total: 12 rows a minute over all addresses, one row for the rest */
	CHECK_RC(logfilter_new(64, 5, 12, &f, NULL), SZTP_OK);
	n_emitted = 0;
	CHECK(admit_n(f, "192.0.2.1", 10, 0) == 5);
	CHECK(admit_n(f, "192.0.2.2", 10, 0) == 5);
	CHECK(admit_n(f, "192.0.2.3", 10, 0) == 2);
	CHECK(admit_n(f, "192.0.2.4", 10, 0) == 0);
	logfilter_flush(f, 1, 1, emit, NULL); /* the end, within the minute */
	CHECK(n_emitted == 1);		      /* the budget is spent: one summary for all */
	CHECK(!strcmp(emitted[0].peer, "*"));
	CHECK(!strcmp(emitted[0].result, "28 more failures (over the total limit)"));
	logfilter_free(f, emit, NULL);
	CHECK(n_emitted == 1);
	/* the same, summed up in the next minute: its budget holds the
	 * addresses' summaries */
	CHECK_RC(logfilter_new(64, 5, 12, &f, NULL), SZTP_OK);
	n_emitted = 0;
	admit_n(f, "192.0.2.1", 10, 0);
	admit_n(f, "192.0.2.2", 10, 0);
	admit_n(f, "192.0.2.3", 10, 0);
	admit_n(f, "192.0.2.4", 10, 0);
	logfilter_flush(f, MIN_MS, 0, emit, NULL);
	CHECK(n_emitted == 3);
	CHECK(!strcmp(emitted[0].peer, "*") &&
	      !strcmp(emitted[0].result, "18 more failures (over the total limit)"));
	CHECK(!strcmp(emitted[1].result, "5 more failures") &&
	      !strcmp(emitted[2].result, "5 more failures"));
	logfilter_free(f, emit, NULL);
	CHECK(n_emitted == 3);

	/* bounded: a flood from 100000 addresses, one row each allowed */
	CHECK_RC(logfilter_new(256, 1, 0, &f, NULL), SZTP_OK);
	n_emitted = 0;
	for (i = 0, written = 0; i < 100000; i++) {
		snprintf(peer, sizeof(peer), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		written += admit_n(f, peer, 2, 1);
	}
	CHECK(written == 100000);
	CHECK(logfilter_keys(f) <= 256);
	/* each address pushed out had its summary written on the way */
	logfilter_free(f, emit, NULL);
	CHECK(n_emitted == 100000);

	/* no limits: no filter, everything written */
	f = (struct logfilter *)1;
	CHECK_RC(logfilter_new(64, 0, 0, &f, NULL), SZTP_OK);
	CHECK(f == NULL);
	CHECK(admit_n(NULL, "192.0.2.1", 100, 0) == 100);
}

/* ---- threads ---------------------------------------------------------------- */

static struct throttle *shared;
static struct logfilter *shared_f;

static void count_emit(const struct reg_log *row, void *arg)
{
	(void)row;
	__atomic_fetch_add((int *)arg, 1, __ATOMIC_RELAXED);
}

static int thread_emitted;

static void *hammer(void *arg)
{
	long k = (long)arg;
	char key[32];
	struct reg_log l;
	int i;

	memset(&l, 0, sizeof(l));
	l.status = 401;
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "192.0.%ld.%d", k, i % 50);
		throttle_charge(shared, key, i);
		throttle_take(shared, "common", i);
		(void)throttle_wait(shared, key, i);
		snprintf(l.peer, sizeof(l.peer), "%s", key);
		logfilter_admit(shared_f, &l, i, count_emit, &thread_emitted);
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[4];
	long k;

	CHECK_RC(throttle_new(128, 10, 60, &shared, NULL), SZTP_OK);
	CHECK_RC(logfilter_new(128, 3, 50, &shared_f, NULL), SZTP_OK);
	for (k = 0; k < 4; k++)
		pthread_create(&th[k], NULL, hammer, (void *)k);
	for (k = 0; k < 4; k++)
		pthread_join(th[k], NULL);
	CHECK(throttle_keys(shared) <= throttle_slots(shared));
	CHECK(throttle_wait(shared, "common", 20000) > 0);
	logfilter_free(shared_f, count_emit, &thread_emitted);
	/* 80000 failures in 20 s: 50 rows, one summary for the rest */
	CHECK(thread_emitted == 1);
	throttle_free(shared);
}

int main(void)
{
	test_bucket();
	test_bounded();
	test_peer_key();
	test_filter();
	test_threads();
	return unit_report("test_throttle");
}
