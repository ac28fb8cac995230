/* Unit tests for server/journal.c: bookkeeping rows written behind the
 * request path arrive in the registry, in batches, and a full queue drops
 * (and counts) rather than blocks; progress reports handed over with a
 * callback are called back once each, after their commit, with their own
 * result.  With a configuration: failed requests' rows pass the log
 * filter (summary at the stop), retention keeps log-max-rows, a batch
 * with a report waits for the disk and bookkeeping does not (fdatasync
 * counted), and a registry file deleted or renamed away is noticed:
 * reports get SZTP_E_UNAVAILABLE, never SZTP_OK, until it is back. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "journal.h"
#include "unit.h"

/* fdatasync counted on its way to libc (libsqlite3 binds to this) */
static int (*real_fdatasync)(int);
static atomic_int syncs;

int fdatasync(int fd)
{
	if (!real_fdatasync)
		real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	atomic_fetch_add(&syncs, 1);
	return real_fdatasync ? real_fdatasync(fd) : -1;
}

static char dir[] = "/tmp/sztp-journal-XXXXXX";

static int count_cb(const struct reg_log *l, void *arg)
{
	(void)l;
	(*(int *)arg)++;
	return 0;
}

static int logged(struct reg *r, const char *serial)
{
	int n = 0;

	CHECK_RC(reg_log_list(r, serial, 0, count_cb, &n, NULL), SZTP_OK);
	return n;
}

static void row(struct reg_log *l, const char *serial, int i)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->serial, sizeof(l->serial), "%s", serial);
	l->time = 1000 + i;
	snprintf(l->peer, sizeof(l->peer), "192.0.2.%d", i % 250);
	snprintf(l->endpoint, sizeof(l->endpoint), "get-bootstrapping-data");
	snprintf(l->result, sizeof(l->result), "signed");
	l->status = 200;
	l->duration_us = i;
}

static struct journal *J;

static void *reporter(void *arg)
{
	long k = (long)arg, i, bad = 0;
	struct reg_progress p;

	for (i = 0; i < 50; i++) {
		memset(&p, 0, sizeof(p));
		/* thread 0 reports for a device that is not enrolled */
		snprintf(p.serial, sizeof(p.serial), "%s", k == 0 ? "SN-NOPE" : "SN-J");
		p.time = i;
		snprintf(p.type, sizeof(p.type), "informational");
		if (journal_progress(J, &p, NULL) != SZTP_OK)
			bad++;
	}
	return (void *)bad;
}

/* journal_submit: the callback sees the committed row */
static struct reg *R;
static atomic_int called, called_ok, saw_row, called_twice;

static int find_cb(const struct reg_progress *p, void *arg)
{
	if (!strcmp(p->type, "bootstrap-complete") && p->message && !strcmp(p->message, arg))
		atomic_fetch_add(&saw_row, 1);
	return 0;
}

static void submitted(struct journal_report *jr)
{
	if (jr->finished++) /* not touched by the journal for callbacks */
		atomic_fetch_add(&called_twice, 1);
	if (jr->rc == SZTP_OK) {
		atomic_fetch_add(&called_ok, 1);
		/* committed: visible on the registry already */
		reg_progress_list(R, jr->p.serial, 0, find_cb, jr->p.message, NULL);
	}
	atomic_fetch_add(&called, 1);
}

static int progress_cb(const struct reg_progress *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

static int suppressed_cb(const struct reg_log *l, void *arg)
{
	if (!strcmp(l->endpoint, "suppressed"))
		snprintf(arg, 128, "%s|%s", l->peer, l->result);
	return 0;
}

static struct journal_report *stored_jr(const char *serial, const char *msg)
{
	static struct journal_report jr;

	memset(&jr, 0, sizeof(jr));
	snprintf(jr.p.serial, sizeof(jr.p.serial), "%s", serial);
	snprintf(jr.p.type, sizeof(jr.p.type), "informational");
	jr.p.message = (char *)msg;
	return &jr;
}

/* A journal with the limits of a configuration. */
static void test_limits(void)
{
	struct config cfg;
	struct reg *r = NULL;
	struct journal *j = NULL;
	struct reg_device d = {0};
	struct reg_log l;
	struct sztp_err e = {0};
	char path[160], moved[180], why[400], summary[128] = "";
	int i, before, n;

	snprintf(path, sizeof(path), "%s/limits.db", dir);
	snprintf(moved, sizeof(moved), "%s/limits.db.moved", dir);
	CHECK_RC(reg_open(path, &r, NULL), SZTP_OK);
	snprintf(d.serial, sizeof(d.serial), "SN-L");
	CHECK_RC(reg_device_add(r, &d, NULL), SZTP_OK);
	config_defaults(&cfg);
	cfg.log_failures_per_address = 5;
	cfg.log_failures_per_minute = 100;
	cfg.log_max_rows = 50;
	CHECK_RC(journal_start(r, &cfg, &j, NULL), SZTP_OK);

	/* 40 failures from one address, 10 successes: 5 + 10 rows */
	for (i = 0; i < 50; i++) {
		row(&l, "", i);
		l.time = 0; /* now: older rows are retention's (90 days) */
		snprintf(l.peer, sizeof(l.peer), "198.51.100.7");
		if (i < 40) {
			l.status = 401;
			snprintf(l.result, sizeof(l.result), "access-denied");
		}
		journal_log(j, &l);
	}
	journal_flush(j);
	CHECK(logged(r, "") == 15);

	/* durability: bookkeeping alone does not wait for the disk ... */
	before = atomic_load(&syncs);
	for (i = 0; i < 100; i++) {
		row(&l, "SN-L", i);
		l.time = 0;
		journal_log(j, &l);
	}
	journal_seen(j, "SN-L", 4242);
	journal_flush(j);
	CHECK(atomic_load(&syncs) == before);
	/* ... a report's commit does */
	before = atomic_load(&syncs);
	CHECK_RC(journal_progress(j, &stored_jr("SN-L", "durable")->p, &e), SZTP_OK);
	CHECK(atomic_load(&syncs) > before);

	/* retention: log-max-rows 50 kept by the writer (once a second) */
	for (i = 0; i < 30 && logged(r, "SN-L") + logged(r, "") > 50; i++)
		usleep(100000);
	n = logged(r, "SN-L") + logged(r, "");
	CHECK(n == 50);
	/* and log-retention-days (90 by default): an old row goes */
	row(&l, "SN-OLD", 1); /* time 1001 */
	journal_log(j, &l);
	journal_flush(j);
	for (i = 0; i < 30 && logged(r, "SN-OLD"); i++)
		usleep(100000);
	CHECK(logged(r, "SN-OLD") == 0);

	/* the registry renamed away: no report is acknowledged */
	CHECK(journal_registry_ok(j, why, sizeof(why)) == 1);
	CHECK(rename(path, moved) == 0);
	CHECK_RC(journal_progress(j, &stored_jr("SN-L", "into-the-void")->p, &e),
		 SZTP_E_UNAVAILABLE);
	CHECK(journal_registry_ok(j, why, sizeof(why)) == 0);
	CHECK(strstr(why, "limits.db") != NULL && strstr(why, "deleted or replaced") != NULL);
	/* back in place: stored again */
	CHECK(rename(moved, path) == 0);
	CHECK_RC(journal_progress(j, &stored_jr("SN-L", "after")->p, &e), SZTP_OK);
	CHECK(journal_registry_ok(j, why, sizeof(why)) == 1);
	n = 0;
	CHECK_RC(reg_progress_list(r, "SN-L", 0, progress_cb, &n, NULL), SZTP_OK);
	CHECK(n == 2); /* "durable" and "after", not "into-the-void" */
	/* the idle writer notices by itself within a tick */
	CHECK(unlink(path) == 0);
	for (i = 0; i < 30 && journal_registry_ok(j, NULL, 0); i++)
		usleep(100000);
	CHECK(journal_registry_ok(j, NULL, 0) == 0);
	CHECK_RC(journal_progress(j, &stored_jr("SN-L", "gone")->p, &e), SZTP_E_UNAVAILABLE);

	/* the stop writes the summary of the suppressed rows (to the file
	 * that is gone: read before, from a fresh journal on a new file) */
	journal_stop(j);
	reg_close(r);
	config_free(&cfg);

	snprintf(path, sizeof(path), "%s/summary.db", dir);
	CHECK_RC(reg_open(path, &r, NULL), SZTP_OK);
	config_defaults(&cfg);
	cfg.log_failures_per_address = 3;
	CHECK_RC(journal_start(r, &cfg, &j, NULL), SZTP_OK);
	for (i = 0; i < 10; i++) {
		row(&l, "", i);
		l.time = 0;
		snprintf(l.peer, sizeof(l.peer), "2001:db8::%d", i + 1);
		l.status = 429;
		journal_log(j, &l);
	}
	journal_stop(j);
	CHECK(logged(r, "") == 4); /* 3 rows and the summary */
	CHECK_RC(reg_log_list(r, "", 0, suppressed_cb, summary, NULL), SZTP_OK);
	CHECK(!strcmp(summary, "2001:db8::/64|7 more failures"));
	reg_close(r);
	config_free(&cfg);
}

int main(void)
{
	struct reg *r = NULL;
	struct journal *j = NULL;
	struct reg_device d = {0};
	struct reg_log l;
	char path[128];
	int i, n;
	uint64_t dropped;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/j.db", dir);
	CHECK_RC(reg_open(path, &r, NULL), SZTP_OK);
	snprintf(d.serial, sizeof(d.serial), "SN-J");
	CHECK_RC(reg_device_add(r, &d, NULL), SZTP_OK);
	CHECK_RC(journal_start(r, NULL, &j, NULL), SZTP_OK);

	for (i = 0; i < 3000; i++) {
		row(&l, "SN-J", i);
		journal_log(j, &l);
	}
	journal_seen(j, "SN-J", 4242);
	journal_seen(j, "SN-GONE", 4243); /* removed meanwhile: ignored */
	journal_flush(j);
	CHECK(logged(r, "SN-J") == 3000);
	CHECK_RC(reg_device_get(r, "SN-J", &d, NULL), SZTP_OK);
	CHECK(d.first_seen == 4242 && d.last_seen == 4242);
	reg_device_clear(&d);
	CHECK(journal_dropped(j) == 0);

	/* hold the registry so the writer cannot commit: the queue fills
	 * and further rows are dropped, the callers never wait */
	CHECK_RC(reg_begin(r, NULL), SZTP_OK);
	for (i = 0; i < 10000; i++) {
		row(&l, "SN-FULL", i);
		journal_log(j, &l);
	}
	dropped = journal_dropped(j);
	CHECK(dropped > 0 && dropped < 10000);
	reg_rollback(r);
	journal_flush(j);
	n = logged(r, "SN-FULL");
	CHECK((uint64_t)n + dropped == 10000);

	/* group commit: reports from 8 threads share batches; each caller
	 * learns its own result, a bad one does not spoil the others */
	{
		pthread_t th[8];
		void *ret;
		long k;
		int stored = 0, failed_ok = 1;

		J = j;
		for (k = 0; k < 8; k++)
			pthread_create(&th[k], NULL, reporter, (void *)k);
		for (k = 0; k < 8; k++) {
			pthread_join(th[k], &ret);
			if (k == 0)
				CHECK((long)ret == 50);
			else if ((long)ret != 0)
				failed_ok = 0;
		}
		CHECK(failed_ok);
		CHECK_RC(reg_progress_list(r, "SN-J", 0, progress_cb, &stored, NULL), SZTP_OK);
		CHECK(stored == 350);
		CHECK_RC(reg_device_get(r, "SN-J", &d, NULL), SZTP_OK);
		CHECK(!strcmp(d.state, "informational"));
		reg_device_clear(&d);
	}

	/* handed over with callbacks: 60 good, 20 for a device that is not
	 * enrolled; each called back once, after its commit */
	{
		static struct journal_report jr[80];
		static char msg[80][16];
		int k, queued = 0;

		R = r;
		for (k = 0; k < 80; k++) {
			snprintf(jr[k].p.serial, sizeof(jr[k].p.serial), "%s",
				 k % 4 == 3 ? "SN-NOPE" : "SN-J");
			jr[k].p.time = 5000 + k;
			snprintf(jr[k].p.type, sizeof(jr[k].p.type), "bootstrap-complete");
			snprintf(msg[k], sizeof(msg[k]), "cb-%d", k);
			jr[k].p.message = msg[k];
			jr[k].done = submitted;
			queued += journal_submit(j, &jr[k]);
		}
		CHECK(queued == 80);
		for (k = 0; k < 500 && atomic_load(&called) < 80; k++)
			usleep(10000);
		CHECK(atomic_load(&called) == 80);
		CHECK(atomic_load(&called_ok) == 60);
		CHECK(atomic_load(&saw_row) == 60);
		CHECK(atomic_load(&called_twice) == 0);
		for (k = 0; k < 80; k++)
			if (k % 4 == 3)
				CHECK(jr[k].rc != SZTP_OK && jr[k].e.msg[0]);
		journal_flush(j);
		usleep(50000);
		CHECK(atomic_load(&called) == 80); /* never again */
	}

	/* stop commits what is still queued */
	for (i = 0; i < 100; i++) {
		row(&l, "SN-LAST", i);
		journal_log(j, &l);
	}
	journal_stop(j);
	CHECK(logged(r, "SN-LAST") == 100);
	reg_close(r);
	test_limits();
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	(void)!system(path);
	return unit_report("test_journal");
}
