/*
 * test_lease.c - leases (issue 14: once across instances): a lease taken
 * by holder A is refused to B until it runs out, then B takes it;
 * renewals keep it; release frees it; holders racing for a free lease get
 * it exactly once.  Each holder has its own registry handle (its own
 * connection, as another process would).  The same cases on SQLite and
 * on a fresh PostgreSQL database (pgtest.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pgtest.h"
#include "config.h"
#include "lease_keeper.h"
#include "registry.h"
#include "syslog_sink.h"
#include "unit.h"

#define RACERS 8

static void nap_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

static int take(struct reg *r, const char *name, const char *holder, int64_t ttl_ms)
{
	struct sztp_err e = {0};
	int held = -1;

	if (reg_lease(r, name, holder, ttl_ms, &held, &e) != SZTP_OK) {
		fprintf(stderr, "reg_lease(%s, %s): %s\n", name, holder, e.msg);
		return -1;
	}
	return held;
}

static void test_take_refuse_expire(struct reg *a, struct reg *b)
{
	/* A takes a free lease; B is refused while it runs */
	CHECK(take(a, "webhooks", "A", 600) == 1);
	CHECK(take(b, "webhooks", "B", 600) == 0);
	/* another name is another lease */
	CHECK(take(b, "syslog", "B", 600) == 1);
	CHECK(take(a, "syslog", "A", 600) == 0);
	/* renewals keep it past its first expiry */
	nap_ms(400);
	CHECK(take(a, "webhooks", "A", 600) == 1);
	nap_ms(400); /* 800 ms after the first take: alive by the renewal */
	CHECK(take(b, "webhooks", "B", 600) == 0);
	/* not renewed: it runs out and B takes it over; A is refused then */
	nap_ms(700);
	CHECK(take(b, "webhooks", "B", 600) == 1);
	CHECK(take(a, "webhooks", "A", 600) == 0);
}

static void test_release(struct reg *a, struct reg *b)
{
	struct sztp_err e = {0};

	CHECK(take(a, "retention", "A", 60000) == 1);
	CHECK(take(b, "retention", "B", 60000) == 0);
	/* B releasing A's lease does nothing */
	CHECK_RC(reg_lease_release(b, "retention", "B", &e), SZTP_OK);
	CHECK(take(b, "retention", "B", 60000) == 0);
	/* A's release frees it at once */
	CHECK_RC(reg_lease_release(a, "retention", "A", &e), SZTP_OK);
	CHECK(take(b, "retention", "B", 60000) == 1);
	CHECK(take(a, "retention", "A", 60000) == 0);
	/* releasing a lease nobody has: fine */
	CHECK_RC(reg_lease_release(a, "never-taken", "A", &e), SZTP_OK);
}

static void test_invalid(struct reg *a)
{
	struct sztp_err e = {0};
	char longname[REG_LEASE_MAX + 8];
	int held = 7;

	CHECK_RC(reg_lease(a, "", "A", 1000, &held, &e), SZTP_E_INVALID_VALUE);
	CHECK(held == 0);
	held = 7;
	CHECK_RC(reg_lease(a, "x", "", 1000, &held, &e), SZTP_E_INVALID_VALUE);
	CHECK(held == 0);
	held = 7;
	CHECK_RC(reg_lease(a, "x", NULL, 1000, &held, &e), SZTP_E_INVALID_VALUE);
	CHECK(held == 0);
	CHECK_RC(reg_lease(a, "x", "A", 0, &held, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_lease(a, "x", "A", -5, &held, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_lease(a, "x", "A", 86400001, &held, &e), SZTP_E_INVALID_VALUE);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_RC(reg_lease(a, longname, "A", 1000, &held, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_lease_release(a, longname, "A", &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_lease_release(a, "x", "", &e), SZTP_E_INVALID_VALUE);
	/* nothing was stored by the refused calls */
	CHECK(take(a, "x", "A", 1000) == 1);
}

struct racer {
	const char *db;
	char holder[32];
	pthread_barrier_t *go;
	int held;
	int rc;
};

static void *race(void *arg)
{
	struct racer *k = arg;
	struct reg *r = NULL;
	struct sztp_err e = {0};

	k->held = -1;
	k->rc = reg_open_existing(k->db, &r, &e);
	pthread_barrier_wait(k->go);
	if (k->rc == SZTP_OK)
		k->rc = reg_lease(r, "race", k->holder, 60000, &k->held, &e);
	if (k->rc != SZTP_OK)
		fprintf(stderr, "racer %s: %s\n", k->holder, e.msg);
	reg_close(r);
	return NULL;
}

/* Holders racing for one free lease, each on its own connection: exactly
 * one gets it. */
static void test_race(const char *db)
{
	struct racer k[RACERS];
	pthread_t t[RACERS];
	pthread_barrier_t go;
	int i, winners = 0, ok = 0;

	pthread_barrier_init(&go, NULL, RACERS);
	for (i = 0; i < RACERS; i++) {
		memset(&k[i], 0, sizeof(k[i]));
		k[i].db = db;
		k[i].go = &go;
		snprintf(k[i].holder, sizeof(k[i].holder), "racer-%d", i);
		pthread_create(&t[i], NULL, race, &k[i]);
	}
	for (i = 0; i < RACERS; i++) {
		pthread_join(t[i], NULL);
		ok += k[i].rc == SZTP_OK;
		winners += k[i].held == 1;
	}
	pthread_barrier_destroy(&go);
	CHECK(ok == RACERS);
	CHECK(winners == 1);
}

/* sztpd's keepers (events/lease_keeper.c): one of two holds; the other
 * takes over when the first gives up. */
static void test_keepers(struct reg *a, struct reg *b)
{
	struct lease_keeper k1, k2;

	lease_keeper_init(&k1, "keeper");
	lease_keeper_init(&k2, "keeper");
	CHECK(strcmp(k1.holder, k2.holder) != 0); /* random part: two keepers of one pid */
	CHECK(lease_keeper_hold(&k1, a) == 1);
	CHECK(lease_keeper_hold(&k2, b) == 0);
	CHECK(lease_keeper_hold(&k1, a) == 1); /* between renewals: no registry call */
	lease_keeper_release(&k1, a);
	CHECK(lease_keeper_hold(&k1, a) == 0);
	k2.next_try_ms = 0; /* its next try is due */
	CHECK(lease_keeper_hold(&k2, b) == 1);
	k1.next_try_ms = 0;
	CHECK(lease_keeper_hold(&k1, a) == 0);
	lease_keeper_release(&k2, b);
}

/* Events commit in id order with several writers (migration 009 on
 * PostgreSQL; SQLite has one writer at a time): while A's transaction
 * holds an event, B's event waits, and then gets the greater id, so a
 * reader never sees B's without A's. */
struct late_writer {
	const char *db;
	int64_t id;
	int done; /* under mu */
	pthread_mutex_t mu;
	int rc;
};

static void *late_write(void *arg)
{
	struct late_writer *w = arg;
	struct reg_event ev = {0};
	struct reg *r = NULL;
	struct sztp_err e = {0};
	int64_t id = 0;

	snprintf(ev.type, sizeof(ev.type), "profile.changed");
	ev.data = "{}";
	w->rc = reg_open_existing(w->db, &r, &e);
	if (w->rc == SZTP_OK)
		w->rc = reg_event_add(r, &ev, &id, &e);
	if (w->rc != SZTP_OK)
		fprintf(stderr, "late writer: %s\n", e.msg);
	reg_close(r);
	pthread_mutex_lock(&w->mu);
	w->id = id;
	w->done = 1;
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int late_done(struct late_writer *w)
{
	int d;

	pthread_mutex_lock(&w->mu);
	d = w->done;
	pthread_mutex_unlock(&w->mu);
	return d;
}

static void test_event_order(struct reg *a, const char *db)
{
	struct late_writer w = {.db = db};
	struct reg_event ev = {0};
	struct sztp_err e = {0};
	pthread_t t;
	int64_t id = 0;
	int i;

	pthread_mutex_init(&w.mu, NULL);
	snprintf(ev.type, sizeof(ev.type), "profile.changed");
	ev.data = "{}";
	CHECK_RC(reg_begin(a, &e), SZTP_OK);
	CHECK_RC(reg_event_add(a, &ev, &id, &e), SZTP_OK);
	pthread_create(&t, NULL, late_write, &w);
	nap_ms(400);
	CHECK(!late_done(&w)); /* waits for A's commit */
	CHECK_RC(reg_commit(a, &e), SZTP_OK);
	for (i = 0; i < 100 && !late_done(&w); i++)
		nap_ms(20);
	pthread_join(t, NULL);
	CHECK_RC(w.rc, SZTP_OK);
	CHECK(w.id > id && id > 0);
	pthread_mutex_destroy(&w.mu);
}

/* ---- two syslog sinks on one registry: one sends, the other takes over ---- */

static int udp_collector(int *port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* The event id of the next datagram within ms, 0 when none came. */
static int64_t next_id(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	char buf[4096], *id;
	ssize_t n;

	if (poll(&p, 1, ms) != 1 || (n = recv(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	id = strstr(buf, " id=\"");
	return id ? strtoll(id + 5, NULL, 10) : -1;
}

static int64_t event(struct reg *r, const char *serial)
{
	struct reg_event ev = {0};
	int64_t id = 0;

	snprintf(ev.type, sizeof(ev.type), "progress.reported");
	snprintf(ev.serial, sizeof(ev.serial), "%s", serial);
	ev.data = "{\"progress-type\":\"informational\"}";
	CHECK_RC(reg_event_add(r, &ev, &id, NULL), SZTP_OK);
	return id;
}

static void test_syslog_once(struct reg *r, const char *db)
{
	struct syslog_sink *a = NULL, *b = NULL;
	struct config c;
	struct sztp_err e = {0};
	char target[64];
	int64_t ids[5], cur = -1;
	int port = 0, fd = udp_collector(&port), i;

	CHECK(fd >= 0);
	config_defaults(&c);
	free(c.database);
	c.database = strdup(db);
	snprintf(target, sizeof(target), "udp://127.0.0.1:%d", port);
	c.syslog_target = strdup(target);
	CHECK_RC(syslog_sink_start(&c, &a, &e), SZTP_OK);
	for (i = 0; i < 100 && cur < 0; i++) { /* A holds the lease and sends */
		nap_ms(20);
		syslog_sink_stats(a, NULL, NULL, &cur);
	}
	CHECK(cur >= 0);
	CHECK_RC(syslog_sink_start(&c, &b, &e), SZTP_OK);
	for (i = 0; i < 3; i++)
		ids[i] = event(r, "ONCE");
	for (i = 0; i < 3; i++)
		CHECK(next_id(fd, 3000) == ids[i]);
	CHECK(next_id(fd, 500) == 0); /* B stands by: nothing twice */
	syslog_sink_stats(b, NULL, NULL, &cur);
	CHECK(cur == -1);    /* a standby has no cursor of its own */
	syslog_sink_stop(a); /* gives the lease up, the cursor stored */
	ids[3] = event(r, "ONCE");
	ids[4] = event(r, "ONCE");
	/* B's next try (LEASE_RENEW_MS) takes the lease: from the stored cursor */
	CHECK(next_id(fd, LEASE_RENEW_MS + 2000) == ids[3]);
	CHECK(next_id(fd, 1000) == ids[4]);
	CHECK(next_id(fd, 300) == 0);
	syslog_sink_stop(b);
	config_free(&c);
	close(fd);
}

static void run_all(const char *db)
{
	struct reg *a = NULL, *b = NULL;

	CHECK_RC(reg_open(db, &a, NULL), SZTP_OK);
	CHECK_RC(reg_open_existing(db, &b, NULL), SZTP_OK);
	if (a && b) {
		CHECK(reg_schema_version(a) >= 9);
		test_take_refuse_expire(a, b);
		test_release(a, b);
		test_invalid(a);
		test_keepers(a, b);
		test_event_order(a, db);
		test_syslog_once(a, db);
	}
	reg_close(a);
	reg_close(b);
	test_race(db);
}

int main(void)
{
	char dir[] = "/tmp/test_lease.XXXXXX", db[300], p[320], uri[512];
	const char *pg;

	if (!mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/reg.db", dir);
	run_all(db);
	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
	rmdir(dir);

	pg = pgtest_fresh("lease", uri, sizeof(uri));
	if (pg) {
		run_all(pg);
		/* expires is the server's clock plus the time asked */
		{
			char out[64] = "";
			struct reg *a = NULL;
			CHECK_RC(reg_open_existing(pg, &a, NULL), SZTP_OK);
			CHECK(take(a, "clock", "A", 50000) == 1);
			reg_close(a);
			CHECK(
			    pgtest_query(pg,
					 "SELECT expires - (extract(epoch FROM clock_timestamp()) "
					 "* 1000)::bigint BETWEEN 40000 AND 50000 FROM leases "
					 "WHERE name = 'clock'",
					 out, sizeof(out)) == 0);
			CHECK(strcmp(out, "t") == 0);
		}
	} else if (pgtest_server()) {
		CHECK(!"a PostgreSQL database for the lease tests");
	} else {
		printf("test_lease: SZTP_TEST_PG is unset: the PostgreSQL half did not run\n");
	}
	return unit_report("test_lease");
}
