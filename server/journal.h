/*
 * journal.h - sztpd's write-behind of bookkeeping rows: the bootstrapping
 * log (one row per RPC) and device first/last-seen times.  Requests hand
 * them over without touching the database; one writer thread commits them
 * in batches, one transaction per batch, so the request path does not pay
 * a write transaction for each.  Progress reports go through the same
 * batches but their callers wait for the commit (group commit): a
 * device's 204 still means its report is stored.
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
