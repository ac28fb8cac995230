/*
 * journal.c - write-behind of the bootstrapping log and device contact
 * times (see journal.h).  A bounded ring of copied rows, one writer thread,
 * one registry transaction per batch.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "log.h"

#define JOURNAL_SLOTS	  4096
#define JOURNAL_BATCH	  512
#define JOURNAL_LINGER_MS 20 /* longest a log row waits for company */

enum jkind { J_LOG, J_SEEN, J_PROGRESS };

/* A caller of journal_progress, waiting on its own stack. */
struct waiter {
	const struct reg_progress *p;
	sztp_rc rc;
	struct sztp_err e;
	int done;
};

struct jent {
	enum jkind kind;
	struct reg_log log; /* J_SEEN uses serial and time only */
	struct waiter *w;   /* J_PROGRESS */
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
	unsigned waiters; /* journal_progress callers queued, not yet committed */
	time_t last_drop_warning;
	int stopping;
};

static void apply_failed(struct jent *batch, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (batch[i].kind == J_PROGRESS)
			batch[i].w->rc =
			    sztp_err_set(&batch[i].w->e, SZTP_E_DB, "cannot begin a transaction");
}

static void apply(struct journal *j, struct jent *batch, size_t n)
{
	struct sztp_err e = {0};
	size_t i;

	if (reg_begin(j->reg, &e) != SZTP_OK) {
		log_err("journal: cannot begin a transaction: %s", e.msg);
		apply_failed(batch, n);
		return;
	}
	for (i = 0; i < n; i++) {
		sztp_rc rc;
		if (batch[i].kind == J_PROGRESS) {
			struct waiter *w = batch[i].w;
			/* a failed add rolls back to its own savepoint only */
			w->rc = reg_progress_add(j->reg, w->p, &w->e);
			continue;
		}
		rc = batch[i].kind == J_LOG ? reg_log_add(j->reg, &batch[i].log, &e)
					    : reg_device_seen(j->reg, batch[i].log.serial, NULL,
							      batch[i].log.time, &e);
		/* a device removed meanwhile is not an error worth a rollback */
		if (rc != SZTP_OK && rc != SZTP_E_NOT_FOUND)
			log_warn("journal: %s", e.msg);
	}
	if (reg_commit(j->reg, &e) != SZTP_OK) {
		log_err("journal: commit failed, %zu rows lost: %s", n, e.msg);
		reg_rollback(j->reg);
		for (i = 0; i < n; i++)
			if (batch[i].kind == J_PROGRESS && batch[i].w->rc == SZTP_OK)
				batch[i].w->rc = sztp_err_set(&batch[i].w->e, SZTP_E_DB,
							      "commit failed: %s", e.msg);
	}
}

static void *writer(void *arg)
{
	struct journal *j = arg;
	struct jent *batch = j->batch;
	size_t n, i;

	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (!j->count && !j->stopping)
			pthread_cond_wait(&j->more, &j->mu);
		if (!j->count && j->stopping)
			break;
		/* nobody waits for log and contact rows: let a few more join
		 * the transaction (a commit costs more than several rows) */
		if (!j->waiters && !j->stopping && j->count < JOURNAL_BATCH) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += JOURNAL_LINGER_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while (!j->waiters && !j->stopping && j->count < JOURNAL_BATCH &&
			       pthread_cond_timedwait(&j->more, &j->mu, &until) == 0)
				;
		}
		n = j->count < JOURNAL_BATCH ? j->count : JOURNAL_BATCH;
		for (i = 0; i < n; i++)
			batch[i] = j->ring[(j->head + i) % JOURNAL_SLOTS];
		j->head = (j->head + n) % JOURNAL_SLOTS;
		j->count -= n;
		pthread_mutex_unlock(&j->mu);
		apply(j, batch, n);
		pthread_mutex_lock(&j->mu);
		for (i = 0; i < n; i++)
			if (batch[i].kind == J_PROGRESS)
				batch[i].w->done = 1;
		j->committed += n;
		pthread_cond_broadcast(&j->done);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

sztp_rc journal_start(struct reg *r, struct journal **out, struct sztp_err *e)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (!j || !(j->ring = calloc(JOURNAL_SLOTS, sizeof(*j->ring))) ||
	    !(j->batch = calloc(JOURNAL_BATCH, sizeof(*j->batch)))) {
		if (j)
			free(j->ring);
		free(j);
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	j->reg = r;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->more, NULL);
	pthread_cond_init(&j->done, NULL);
	if (pthread_create(&j->thread, NULL, writer, j)) {
		free(j->ring);
		free(j->batch);
		free(j);
		return sztp_err_set(e, SZTP_E_INTERNAL, "cannot start the journal thread");
	}
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
	pthread_cond_signal(&j->more);
	return 1;
}

static void enqueue(struct journal *j, const struct jent *ent)
{
	pthread_mutex_lock(&j->mu);
	if (!enqueue_locked(j, ent)) {
		time_t now = time(NULL);
		j->dropped++;
		if (now != j->last_drop_warning) {
			j->last_drop_warning = now;
			log_warn("journal: database behind, %llu bookkeeping rows dropped so far",
				 (unsigned long long)j->dropped);
		}
	}
	pthread_mutex_unlock(&j->mu);
}

sztp_rc journal_progress(struct journal *j, const struct reg_progress *p, struct sztp_err *e)
{
	struct waiter w;
	struct jent ent;

	memset(&w, 0, sizeof(w));
	memset(&ent, 0, sizeof(ent));
	w.p = p;
	ent.kind = J_PROGRESS;
	ent.w = &w;
	pthread_mutex_lock(&j->mu);
	if (!enqueue_locked(j, &ent)) {
		pthread_mutex_unlock(&j->mu);
		return reg_progress_add(j->reg, p, e); /* never drop a report */
	}
	j->waiters++;
	while (!w.done)
		pthread_cond_wait(&j->done, &j->mu);
	j->waiters--;
	pthread_mutex_unlock(&j->mu);
	if (w.rc != SZTP_OK && e)
		*e = w.e;
	return w.rc;
}

void journal_log(struct journal *j, const struct reg_log *l)
{
	struct jent ent;

	ent.kind = J_LOG;
	ent.log = *l;
	enqueue(j, &ent);
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
	pthread_mutex_lock(&j->mu);
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

uint64_t journal_dropped(struct journal *j)
{
	uint64_t n;

	pthread_mutex_lock(&j->mu);
	n = j->dropped;
	pthread_mutex_unlock(&j->mu);
	return n;
}
