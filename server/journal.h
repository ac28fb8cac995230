/*
 * journal.h - sztpd's write-behind of bookkeeping rows: the bootstrapping
 * log (one row per RPC) and device first/last-seen times.  Requests hand
 * them over without touching the database; one writer thread commits them
 * in batches, one transaction per batch, so the request path does not pay
 * a write transaction for each.  Progress reports go through the same
 * batches but are answered only after their commit (group commit), so a
 * device's 204 still means its report is stored: journal_submit() hands a
 * report over and calls back when it is committed (the HTTP worker
 * suspends the connection meanwhile and serves others); journal_progress()
 * is the same, waiting.
 *
 * The writer sleeps until work arrives; bookkeeping rows then linger up to
 * JOURNAL_LINGER_MS for company, and only a progress report or a full batch
 * cuts that short, so a busy server pays one wake-up and one commit per
 * batch rather than per row.
 */
#ifndef SZTPD_JOURNAL_H
#define SZTPD_JOURNAL_H

#include "registry.h"

struct journal;

sztp_rc journal_start(struct reg *r, struct journal **out, struct sztp_err *e);
/* Commit what is queued, stop the writer, free.  NULL is a no-op. */
void journal_stop(struct journal *j);
/* Queue a copy of l.  When the queue is full the row is dropped and
 * counted (logged once per second at most): bookkeeping never blocks a
 * device. */
void journal_log(struct journal *j, const struct reg_log *l);
/* A progress report handed over without waiting.  The caller fills p and
 * done (and arg), and keeps the whole struct alive until done(jr) has run:
 * it is called on the journal's thread after the commit, with rc and e set
 * to reg_progress_add's result.  done must not call back into the journal. */
struct journal_report {
	struct reg_progress p;
	void (*done)(struct journal_report *jr);
	void *arg;
	sztp_rc rc;
	struct sztp_err e;
	int finished; /* internal: set under the journal's lock (waiting callers) */
};
/* 1: queued, done(jr) will be called.  0: the queue is full or the journal
 * is stopping; nothing was queued and the caller stores the report itself
 * (reg_progress_add) - a report is never dropped. */
int journal_submit(struct journal *j, struct journal_report *jr);
/* Store a progress report in the next batch and wait for its commit;
 * returns reg_progress_add's result.  p is only read during the call. */
sztp_rc journal_progress(struct journal *j, const struct reg_progress *p, struct sztp_err *e);
/* Queue "device serial made contact at now". */
void journal_seen(struct journal *j, const char *serial, int64_t now);
/* Block until everything queued before the call is committed (tests, stop). */
void journal_flush(struct journal *j);
/* Rows dropped so far because the queue was full. */
uint64_t journal_dropped(struct journal *j);

#endif
