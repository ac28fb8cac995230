/*
 * journal.h - sztpd's write-behind of bookkeeping rows: the bootstrapping
 * log (one row per RPC), device first/last-seen times, and the events of
 * get-bootstrapping-data answers (issue 12: written with their log row; a
 * 200 waits for its event's commit, as a report's 204 does).  Requests hand
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
 * batch rather than per row.  A batch with a progress report commits
 * synchronously (its 204 must survive a power cut); bookkeeping alone does
 * not wait for the disk (reg_begin_nosync).
 *
 * What failed requests cost the disk is bounded: their rows pass the log
 * filter (throttle.h: per address and in total per minute, the rest
 * summed up in summary rows), and the writer keeps the log within
 * log-retention-days and log-max-rows, deleting in small steps between
 * batches.
 *
 * The registry file is watched: before each commit and once a second the
 * writer checks that the database path still names the open file
 * (reg_check_file).  Once it does not (deleted, replaced by mv), nothing
 * is committed any more - reports waiting for their commit get
 * SZTP_E_UNAVAILABLE (503), never a 204 into a lost file - the reason is
 * logged once, and journal_registry_ok()/server_ready() say so until the
 * file is back.
 */
#ifndef SZTPD_JOURNAL_H
#define SZTPD_JOURNAL_H

#include "config.h"
#include "registry.h"

struct journal;

/* cfg: the log filter and retention keys (log-*); NULL: no limits. */
sztp_rc journal_start(struct reg *r, const struct config *cfg, struct journal **out,
		      struct sztp_err *e);
/* Write the log filter's due summaries, commit what is queued, stop the
 * writer, free.  NULL is a no-op. */
void journal_stop(struct journal *j);
/* Queue a copy of l; a failed request's row (status >= 400) only when
 * the log filter admits it.  When the queue is full the row is dropped and
 * counted (logged once per second at most): bookkeeping never blocks a
 * device. */
void journal_log(struct journal *j, const struct reg_log *l);
/* The same with an event (issue 12): ev's data (malloc'd) is taken and
 * freed by the journal whatever happens; the row is written only when
 * write_log; both pass the log filter (a failed request's event is
 * bounded like its row) and are dropped together when the queue is full. */
void journal_log_event(struct journal *j, const struct reg_log *l, int write_log,
		       struct reg_event *ev);
/* A progress report handed over without waiting.  The caller fills p and
 * done (and arg), and keeps the whole struct alive until done(jr) has run:
 * it is called on the journal's thread after the commit, with rc and e set
 * to reg_progress_add's result.  done must not call back into the journal. */
struct journal_report {
	struct reg_progress p;
	/* answer = 1: instead of a report, a get-bootstrapping-data answer's
	 * event (ev; its data is the submitter's) and, when write_log, its
	 * log row; committed without waiting for the disk (a crash of the
	 * process loses nothing committed), its device answered after. */
	int answer;
	int write_log;
	struct reg_log log;
	struct reg_event ev;
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
/* A get-bootstrapping-data answer's event and row (jr->answer = 1,
 * jr->done NULL): in the next batch, waiting for the commit; stored by
 * the calling thread when the queue is full or stopping.  Returns what
 * storing them gave (SZTP_E_UNAVAILABLE while the registry file is gone). */
sztp_rc journal_answer(struct journal *j, struct journal_report *jr, struct sztp_err *e);
/* Queue "device serial made contact at now". */
void journal_seen(struct journal *j, const char *serial, int64_t now);
/* Block until everything queued before the call is committed (tests, stop). */
void journal_flush(struct journal *j);
/* 1 while the registry file is in place; 0 (why: the reason) once its
 * path was found to name another file or none.  NULL journal: 1. */
int journal_registry_ok(struct journal *j, char *why, size_t len);
/* Rows dropped so far because the queue was full. */
uint64_t journal_dropped(struct journal *j);
/* For /metrics: entries waiting for the writer now, committed and dropped
 * since start. */
void journal_stats(struct journal *j, size_t *waiting, uint64_t *committed, uint64_t *dropped);

#endif
