/*
 * journal.c - write-behind of the bootstrapping log and device contact
 * times (see journal.h).  A bounded ring of copied rows, one writer thread,
 * one registry transaction per batch; between batches, at most once per
 * JOURNAL_TICK_MS, the writer's upkeep: is the registry file still there,
 * the log filter's due summaries, the log's retention (on one instance of
 * several on one registry: the holder of the "log-retention" lease).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "lease_keeper.h"
#include "log.h"
#include "server.h"
#include "throttle.h"

#define JOURNAL_SLOTS	  4096
#define JOURNAL_BATCH	  512
#define JOURNAL_LINGER_MS 20 /* longest a log row waits for company */
#ifndef JOURNAL_REPORT_MS
#define JOURNAL_REPORT_MS 5 /* longest a progress report does (its device waits) */
#endif
#define JOURNAL_TICK_MS 1000 /* upkeep: registry file check, summaries, retention */
#define TRIM_BATCH	1000 /* log rows deleted per retention transaction */
#define TRIM_EVERY_MS	JOURNAL_TICK_MS
#define TRIM_AGAIN_MS	20 /* after a full batch: the next one soon, between batches */
#define FILTER_SLOTS	4096

enum jkind { J_LOG, J_SEEN, J_PROGRESS };

/* what the writer is doing, so that queueing wakes it only when needed */
enum wstate { W_BUSY, W_IDLE, W_LINGER };

struct jent {
	enum jkind kind;
	struct reg_log log;	   /* J_SEEN uses serial and time only */
	int write_log;		   /* J_LOG: write log (else only the event) */
	struct reg_event ev;	   /* J_LOG: its event when ev.type is set (data owned) */
	struct journal_report *jr; /* J_PROGRESS */
	int callback;		   /* jr->done is set: jr is not ours after calling it */
};

struct journal {
	struct reg *reg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more, done;
	struct jent *ring;
	struct jent *batch; /* the writer's copy of one batch */
	size_t head, count; /* queued: ring[head .. head+count) */
	uint64_t queued, committed, dropped;
	unsigned reports;	      /* progress reports queued, not yet taken by the writer */
	struct timespec report_since; /* when the oldest of them was queued */
	enum wstate wstate;
	time_t last_drop_warning;
	int stopping;
	/* 1: journal_stop asks the writer to free the filter, writing its last
	 * summaries (the writer alone uses it in upkeep); 2: done */
	int closing_filter;
	/* set at start; freed by the writer (closing_filter) */
	struct logfilter *filter; /* failed requests' rows per address */
	int64_t retention_s, max_rows;
	/* the writer's own */
	int64_t next_upkeep_ms, next_trim_ms;
	int trimming; /* the last retention batch was full */
	/* retention runs on one instance of several on one registry */
	struct lease_keeper lease;
	/* the registry file: lost while its path names another file or none */
	atomic_int lost;
	char lost_why[SZTP_ERR_MSG_MAX]; /* under mu */
	/* PostgreSQL: "lost" is a server that does not answer (a failover)
	 * until reg_check_file reconnects, not a file */
	int pg;
};

/* The writer's view of the registry file: on each change, one loud line.
 * Returns whether it can be written to. */
static int file_ok(struct journal *j)
{
	struct sztp_err e = {0};
	int ok = reg_check_file(j->reg, &e) == SZTP_OK;

	if (ok == !atomic_load(&j->lost))
		return ok;
	pthread_mutex_lock(&j->mu);
	snprintf(j->lost_why, sizeof(j->lost_why), "%s", ok ? "" : e.msg);
	pthread_mutex_unlock(&j->mu);
	atomic_store(&j->lost, !ok);
	if (!ok && j->pg)
		log_err("REGISTRY UNAVAILABLE: %s.  Reports and get-bootstrapping-data are "
			"answered 503 and readiness fails until a read-write server answers "
			"(reconnecting)",
			e.msg);
	else if (!ok)
		log_err("REGISTRY LOST: %s.  Nothing is stored from now on: reports and "
			"get-bootstrapping-data are answered 503 and readiness fails until the "
			"file is back or sztpd is restarted with the registry restored",
			e.msg);
	else
		log_warn("%s: storing resumes",
			 j->pg ? "the registry answers again" : "registry file is in place again");
	return ok;
}

static const char *gone(const struct journal *j)
{
	return j->pg ? "the registry does not answer" : "the registry file is gone";
}

static void apply_failed(struct jent *batch, size_t n, sztp_rc rc, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (batch[i].kind == J_PROGRESS)
			batch[i].jr->rc = sztp_err_set(&batch[i].jr->e, rc, "%s", why);
		free(batch[i].ev.data); /* J_LOG's event: lost with its row */
		batch[i].ev.data = NULL;
	}
}

/* Reports must survive a power cut; answers' events a crash only. */
static int has_reports(const struct jent *batch, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (batch[i].kind == J_PROGRESS && !batch[i].jr->answer)
			return 1;
	return 0;
}

/* A get-bootstrapping-data answer waiting for its event: the log row
 * (when asked) and the event, both or neither (a savepoint of its own is
 * not needed: a failed event fails the answer, and the row of a request
 * answered 500 is right to keep). */
static sztp_rc apply_answer(struct journal *j, struct journal_report *jr)
{
	sztp_rc rc = SZTP_OK;

	if (jr->write_log)
		rc = reg_log_add(j->reg, &jr->log, &jr->e);
	if (rc == SZTP_OK && jr->ev.type[0])
		rc = reg_event_add(j->reg, &jr->ev, NULL, &jr->e);
	return rc;
}

/* A bookkeeping row and its event. */
static void apply_log(struct journal *j, struct jent *ent)
{
	struct sztp_err e = {0};
	sztp_rc rc;

	if (ent->write_log && (rc = reg_log_add(j->reg, &ent->log, &e)) != SZTP_OK)
		log_warn("journal: %s", e.msg);
	if (ent->ev.type[0] && (rc = reg_event_add(j->reg, &ent->ev, NULL, &e)) != SZTP_OK)
		log_warn("journal: %s", e.msg);
	free(ent->ev.data);
	ent->ev.data = NULL;
}

/* Commit the batch unless the registry file went away meanwhile (checked
 * at the last moment): then nothing of it is acknowledged. */
static void commit(struct journal *j, struct jent *batch, size_t n)
{
	struct sztp_err e = {0};
	sztp_rc rc;
	size_t i;

	if (!file_ok(j)) {
		reg_rollback(j->reg);
		apply_failed(batch, n, SZTP_E_UNAVAILABLE, gone(j));
		return;
	}
	if ((rc = reg_commit(j->reg, &e)) == SZTP_OK)
		return;
	log_err("journal: commit failed, %zu rows lost: %s", n, e.msg);
	reg_rollback(j->reg);
	/* none of the batch is acknowledged; a registry that went away
	 * (SZTP_E_UNAVAILABLE: PostgreSQL lost, a failover) answers 503 and
	 * the devices send again; else 500 */
	if (rc != SZTP_E_UNAVAILABLE)
		rc = SZTP_E_DB;
	for (i = 0; i < n; i++)
		if (batch[i].kind == J_PROGRESS && batch[i].jr->rc == SZTP_OK)
			batch[i].jr->rc =
			    sztp_err_set(&batch[i].jr->e, rc, "commit failed: %s", e.msg);
}

/* One transaction for the batch.  A batch with progress reports commits
 * synchronously (its 204s must survive a power cut); bookkeeping alone
 * does not wait for the disk. */
static void apply(struct journal *j, struct jent *batch, size_t n)
{
	struct sztp_err e = {0};
	int reports = has_reports(batch, n);
	sztp_rc rc;
	size_t i;

	if (!file_ok(j)) {
		apply_failed(batch, n, SZTP_E_UNAVAILABLE, gone(j));
		return;
	}
	if ((rc = reports ? reg_begin(j->reg, &e) : reg_begin_nosync(j->reg, &e)) != SZTP_OK) {
		log_err("journal: cannot begin a transaction: %s", e.msg);
		apply_failed(batch, n, rc == SZTP_E_UNAVAILABLE ? rc : SZTP_E_DB,
			     "cannot begin a transaction");
		return;
	}
	for (i = 0; i < n; i++) {
		if (batch[i].kind == J_PROGRESS) {
			struct journal_report *jr = batch[i].jr;
			/* a failed add rolls back to its own savepoint only */
			jr->rc = jr->answer ? apply_answer(j, jr)
					    : reg_progress_add(j->reg, &jr->p, &jr->e);
			continue;
		}
		if (batch[i].kind == J_LOG) {
			apply_log(j, &batch[i]);
			continue;
		}
		rc = reg_device_seen(j->reg, batch[i].log.serial, NULL, batch[i].log.time, &e);
		/* a device removed meanwhile is not an error worth a rollback */
		if (rc != SZTP_OK && rc != SZTP_E_NOT_FOUND)
			log_warn("journal: %s", e.msg);
	}
	commit(j, batch, n);
}

/* ---- upkeep between batches --------------------------------------------- */

static void enqueue(struct journal *j, const struct jent *ent);

/* logfilter_emit: a summary row joins the queue like any other */
static void emit_summary(const struct reg_log *row, void *arg)
{
	struct jent ent;

	memset(&ent, 0, sizeof(ent));
	ent.kind = J_LOG;
	ent.write_log = 1;
	ent.log = *row;
	enqueue(arg, &ent);
}

/* One retention step: at most TRIM_BATCH rows in a short transaction of
 * their own, so a report waits for one such step at most. */
static void trim(struct journal *j, int64_t now_ms)
{
	struct sztp_err e = {0};
	int64_t before = j->retention_s ? (int64_t)time(NULL) - j->retention_s : 0, n = 0;

	if (reg_log_trim(j->reg, before, j->max_rows, TRIM_BATCH, &n, &e) != SZTP_OK)
		log_warn("journal: bootstrapping-log retention: %s", e.msg);
	else if (n)
		log_debug("journal: retention removed %lld bootstrapping-log rows", (long long)n);
	j->trimming = n == TRIM_BATCH;
	j->next_trim_ms = now_ms + (j->trimming ? TRIM_AGAIN_MS : TRIM_EVERY_MS);
}

/* Outside mu. */
static void upkeep(struct journal *j)
{
	int64_t now = throttle_now_ms();

	if (now >= j->next_upkeep_ms) {
		j->next_upkeep_ms = now + JOURNAL_TICK_MS;
		logfilter_flush(j->filter, now, 0, emit_summary, j);
		if (!file_ok(j))
			return;
	}
	if ((j->retention_s || j->max_rows) && now >= j->next_trim_ms && !atomic_load(&j->lost)) {
		if (lease_keeper_hold(&j->lease, j->reg))
			trim(j, now);
		else /* another instance trims */
			j->next_trim_ms = now + TRIM_EVERY_MS;
	}
}

/* How long the idle writer may sleep before its next upkeep. */
static long idle_ms(const struct journal *j)
{
	int64_t now = throttle_now_ms(), next = j->next_upkeep_ms;

	if ((j->retention_s || j->max_rows) && j->next_trim_ms < next)
		next = j->next_trim_ms;
	return next <= now ? 1 : (long)(next - now);
}

static void deadline_after(struct timespec *t, const struct timespec *from, long ms)
{
	*t = *from;
	t->tv_nsec += ms * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static int before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Wait until a batch is worth writing: something queued, then up to
 * JOURNAL_LINGER_MS for more bookkeeping rows, or JOURNAL_REPORT_MS after
 * the first progress report (its device waits for the commit). */
static void wait_for_batch(struct journal *j)
{
	struct timespec now, until, r_until;

	j->wstate = W_IDLE;
	clock_gettime(CLOCK_REALTIME, &now);
	deadline_after(&until, &now, idle_ms(j));
	while (!j->count && !j->stopping && j->closing_filter != 1)
		if (pthread_cond_timedwait(&j->more, &j->mu, &until) != 0)
			break; /* time for upkeep */
	if (!j->count)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	deadline_after(&until, &now, JOURNAL_LINGER_MS);
	j->wstate = W_LINGER;
	while (!j->stopping && j->count < JOURNAL_BATCH) {
		if (j->reports) {
			deadline_after(&r_until, &j->report_since, JOURNAL_REPORT_MS);
			if (before(&r_until, &until))
				until = r_until;
		}
		if (pthread_cond_timedwait(&j->more, &j->mu, &until) != 0)
			break;
	}
	j->wstate = W_BUSY;
}

static void *writer(void *arg)
{
	struct journal *j = arg;
	struct jent *batch = j->batch;
	size_t n, i;

	pthread_mutex_lock(&j->mu);
	for (;;) {
		wait_for_batch(j);
		if (j->closing_filter == 1) {
			struct logfilter *f = j->filter;
			j->filter = NULL;
			pthread_mutex_unlock(&j->mu);
			logfilter_free(f, emit_summary, j); /* the summaries join the queue */
			pthread_mutex_lock(&j->mu);
			j->closing_filter = 2;
			pthread_cond_broadcast(&j->done);
			continue;
		}
		if (!j->count && j->stopping)
			break;
		if (!j->count) {
			pthread_mutex_unlock(&j->mu);
			upkeep(j);
			pthread_mutex_lock(&j->mu);
			continue;
		}
		n = j->count < JOURNAL_BATCH ? j->count : JOURNAL_BATCH;
		for (i = 0; i < n; i++) {
			batch[i] = j->ring[(j->head + i) % JOURNAL_SLOTS];
			if (batch[i].kind == J_PROGRESS)
				j->reports--;
		}
		j->head = (j->head + n) % JOURNAL_SLOTS;
		j->count -= n;
		pthread_mutex_unlock(&j->mu);
		apply(j, batch, n);
		/* callbacks first, outside the lock: they resume connections */
		for (i = 0; i < n; i++)
			if (batch[i].kind == J_PROGRESS && batch[i].callback)
				batch[i].jr->done(batch[i].jr);
		pthread_mutex_lock(&j->mu);
		for (i = 0; i < n; i++)
			if (batch[i].kind == J_PROGRESS && !batch[i].callback)
				batch[i].jr->finished = 1;
		j->committed += n;
		pthread_cond_broadcast(&j->done);
		pthread_mutex_unlock(&j->mu);
		upkeep(j);
		pthread_mutex_lock(&j->mu);
	}
	pthread_mutex_unlock(&j->mu);
	lease_keeper_release(&j->lease, j->reg);
	return NULL;
}

sztp_rc journal_start(struct reg *r, const struct config *cfg, struct journal **out,
		      struct sztp_err *e)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (!j || !(j->ring = calloc(JOURNAL_SLOTS, sizeof(*j->ring))) ||
	    !(j->batch = calloc(JOURNAL_BATCH, sizeof(*j->batch)))) {
		if (j)
			free(j->ring);
		free(j);
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	if (cfg &&
	    logfilter_new(FILTER_SLOTS, (unsigned)cfg->log_failures_per_address,
			  (unsigned)cfg->log_failures_per_minute, &j->filter, e) != SZTP_OK) {
		free(j->ring);
		free(j->batch);
		free(j);
		return e ? e->rc : SZTP_E_NOMEM;
	}
	if (cfg) {
		j->pg = cfg->database && reg_is_postgresql(cfg->database);
		j->retention_s = (int64_t)cfg->log_retention_days * 86400;
		j->max_rows = cfg->log_max_rows;
	}
	j->next_upkeep_ms = j->next_trim_ms = throttle_now_ms();
	j->reg = r;
	lease_keeper_init(&j->lease, "log-retention");
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->more, NULL);
	pthread_cond_init(&j->done, NULL);
	if (pthread_create(&j->thread, NULL, writer, j)) {
		logfilter_free(j->filter, NULL, NULL);
		free(j->ring);
		free(j->batch);
		free(j);
		return sztp_err_set(e, SZTP_E_INTERNAL, "cannot start the journal thread");
	}
	pthread_setname_np(j->thread, "sztpd-journal"); /* top -H, perf: which thread costs what */
	*out = j;
	return SZTP_OK;
}

/* Called with j->mu held; 0 when the queue is full. */
static int enqueue_locked(struct journal *j, const struct jent *ent)
{
	if (j->count == JOURNAL_SLOTS || j->stopping)
		return 0;
	j->ring[(j->head + j->count) % JOURNAL_SLOTS] = *ent;
	j->count++;
	j->queued++;
	if (ent->kind == J_PROGRESS && j->reports++ == 0)
		clock_gettime(CLOCK_REALTIME, &j->report_since);
	/* a busy writer looks at the queue again when its batch is done; a
	 * lingering one only needs to hear of a first report (a nearer
	 * deadline) or a full batch */
	if (j->wstate == W_IDLE ||
	    (j->wstate == W_LINGER &&
	     ((ent->kind == J_PROGRESS && j->reports == 1) || j->count >= JOURNAL_BATCH)))
		pthread_cond_signal(&j->more);
	return 1;
}

static void enqueue(struct journal *j, const struct jent *ent)
{
	pthread_mutex_lock(&j->mu);
	if (!enqueue_locked(j, ent)) {
		time_t now = time(NULL);
		free(ent->ev.data); /* the queue did not take it */
		j->dropped++;
		if (now != j->last_drop_warning) {
			j->last_drop_warning = now;
			log_warn("journal: database behind, %llu bookkeeping rows dropped so far",
				 (unsigned long long)j->dropped);
		}
	}
	pthread_mutex_unlock(&j->mu);
}

int journal_submit(struct journal *j, struct journal_report *jr)
{
	struct jent ent;
	int ok;

	memset(&ent, 0, sizeof(ent));
	ent.kind = J_PROGRESS;
	ent.jr = jr;
	ent.callback = jr->done != NULL;
	jr->finished = 0;
	pthread_mutex_lock(&j->mu);
	ok = enqueue_locked(j, &ent);
	pthread_mutex_unlock(&j->mu);
	return ok;
}

/* An answer's event and row in a transaction of their own (the queue is
 * full or stopping). */
static sztp_rc answer_direct(struct journal *j, struct journal_report *jr)
{
	sztp_rc rc = reg_begin_nosync(j->reg, &jr->e);

	if (rc != SZTP_OK)
		return rc;
	rc = apply_answer(j, jr);
	if (rc == SZTP_OK && reg_check_file(j->reg, &jr->e) != SZTP_OK)
		rc = SZTP_E_UNAVAILABLE;
	if (rc == SZTP_OK)
		return reg_commit(j->reg, &jr->e);
	reg_rollback(j->reg);
	return rc;
}

/* jr (a report or an answer, no callback) in the next batch, waiting for
 * its commit; stored by this thread when the queue is full or stopping:
 * nothing acknowledged is ever dropped. */
static sztp_rc submit_wait(struct journal *j, struct journal_report *jr, struct sztp_err *e)
{
	struct jent ent;

	memset(&ent, 0, sizeof(ent));
	ent.kind = J_PROGRESS;
	ent.jr = jr;
	jr->done = NULL;
	jr->finished = 0;
	jr->rc = SZTP_OK;
	pthread_mutex_lock(&j->mu);
	if (!enqueue_locked(j, &ent)) {
		pthread_mutex_unlock(&j->mu);
		jr->rc =
		    jr->answer ? answer_direct(j, jr) : reg_progress_add(j->reg, &jr->p, &jr->e);
	} else {
		while (!jr->finished)
			pthread_cond_wait(&j->done, &j->mu);
		pthread_mutex_unlock(&j->mu);
	}
	if (jr->rc != SZTP_OK && e)
		*e = jr->e;
	return jr->rc;
}

sztp_rc journal_progress(struct journal *j, const struct reg_progress *p, struct sztp_err *e)
{
	struct journal_report jr;

	memset(&jr, 0, sizeof(jr));
	jr.p = *p; /* borrowed strings: only read while we wait */
	return submit_wait(j, &jr, e);
}

sztp_rc journal_answer(struct journal *j, struct journal_report *jr, struct sztp_err *e)
{
	jr->answer = 1;
	return submit_wait(j, jr, e);
}

void journal_log_event(struct journal *j, const struct reg_log *l, int write_log,
		       struct reg_event *ev)
{
	struct jent ent;

	/* failed requests: a bounded number of rows per address and minute */
	if (l->status >= 400 &&
	    !logfilter_admit(j->filter, l, throttle_now_ms(), emit_summary, j)) {
		if (ev) {
			free(ev->data);
			ev->data = NULL;
		}
		return;
	}
	memset(&ent, 0, sizeof(ent));
	ent.kind = J_LOG;
	ent.write_log = write_log;
	ent.log = *l;
	if (ev) {
		ent.ev = *ev; /* the data is the queue's now */
		ev->data = NULL;
	}
	enqueue(j, &ent);
}

void journal_log(struct journal *j, const struct reg_log *l)
{
	journal_log_event(j, l, 1, NULL);
}

void journal_seen(struct journal *j, const char *serial, int64_t now)
{
	struct jent ent;

	memset(&ent, 0, sizeof(ent));
	ent.kind = J_SEEN;
	snprintf(ent.log.serial, sizeof(ent.log.serial), "%s", serial);
	ent.log.time = now;
	enqueue(j, &ent);
}

void journal_flush(struct journal *j)
{
	uint64_t target;

	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	target = j->queued;
	while (j->committed < target)
		pthread_cond_wait(&j->done, &j->mu);
	pthread_mutex_unlock(&j->mu);
}

void journal_stop(struct journal *j)
{
	if (!j)
		return;
	/* the summaries still due join the last batch: the writer frees the
	 * filter (its upkeep uses it) and queues them, then stops */
	pthread_mutex_lock(&j->mu);
	j->closing_filter = 1;
	pthread_cond_signal(&j->more);
	while (j->closing_filter != 2)
		pthread_cond_wait(&j->done, &j->mu);
	j->stopping = 1;
	pthread_cond_signal(&j->more);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	if (j->dropped)
		log_warn("journal: %llu bookkeeping rows were dropped",
			 (unsigned long long)j->dropped);
	pthread_cond_destroy(&j->more);
	pthread_cond_destroy(&j->done);
	pthread_mutex_destroy(&j->mu);
	free(j->ring);
	free(j->batch);
	free(j);
}

int journal_registry_ok(struct journal *j, char *why, size_t len)
{
	if (!j || !atomic_load(&j->lost))
		return 1;
	if (why && len) {
		pthread_mutex_lock(&j->mu);
		size_t n = strnlen(j->lost_why, len - 1); /* truncated to fit */
		memcpy(why, j->lost_why, n);
		why[n] = '\0';
		pthread_mutex_unlock(&j->mu);
	}
	return 0;
}

int server_ready(struct server *s, char *why, size_t len)
{
	if (why && len)
		why[0] = '\0';
	return journal_registry_ok(s->journal, why, len);
}

sztp_rc server_check_ready(struct server *s, int *retry_after, struct sztp_err *e)
{
	char why[SZTP_ERR_MSG_MAX - 32];

	if (server_ready(s, why, sizeof(why)))
		return SZTP_OK;
	*retry_after = SERVER_RETRY_AFTER_S;
	return sztp_err_set(e, SZTP_E_UNAVAILABLE, "not ready: %s", why);
}

void journal_stats(struct journal *j, size_t *waiting, uint64_t *committed, uint64_t *dropped)
{
	pthread_mutex_lock(&j->mu);
	*waiting = j->count;
	*committed = j->committed;
	*dropped = j->dropped;
	pthread_mutex_unlock(&j->mu);
}

uint64_t journal_dropped(struct journal *j)
{
	uint64_t n;

	pthread_mutex_lock(&j->mu);
	n = j->dropped;
	pthread_mutex_unlock(&j->mu);
	return n;
}
