/*
 * registry_pg_internal.h - what the files of the PostgreSQL registry
 * share: the handle, running a statement (prepared on first use, per
 * connection), parameters and columns, errors by SQLSTATE, and the
 * transaction of one call.  Included only by db/registry_pg*.c;
 * registry.h is the interface everyone else uses.  See registry_pg.c's
 * comment for the connection, locking and transaction rules.
 */
#ifndef SZTP_REGISTRY_PG_INTERNAL_H
#define SZTP_REGISTRY_PG_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "registry.h"
#include "registry_backend.h"

/* Prepared statements of one connection: keyed by the address of their
 * text (each file keeps its texts in static arrays), named "sztp_<slot>". */
#define RPG_STMT_SLOTS 256

struct reg_pg {
	PGconn *conn; /* NULL while disconnected */
	char *conninfo;
	pthread_mutex_t mu; /* recursive; held for every call, and from
			     * reg_begin to reg_commit/reg_rollback */
	int mu_ok;
	int in_txn;		 /* inside reg_begin(); the owning thread holds mu */
	int in_op;		 /* inside rpg_op_begin .. rpg_op_end */
	int op_pending;		 /* the op's SAVEPOINT waits for its first statement */
	int broken;		 /* the connection failed: reconnect before the next call */
	int version;		 /* schema version at open */
	int64_t next_connect_ms; /* no reconnect attempt before (CLOCK_MONOTONIC ms) */
	char down_reason[512];	 /* why the last connect failed ("" = up) */
	const char *prepared[RPG_STMT_SLOTS];
	char sqlstate[6];     /* of the last failed statement ("" = none) */
	char constraint[64];  /* its constraint name, when one */
	uint64_t round_trips; /* to the server since open (rpg_round_trips) */
};

/* Event ids in commit order across instances.  An identity column hands
 * out ids as inserts happen, not as transactions commit: with several
 * sztpd writing, a transaction holding id 10 could commit after one
 * holding id 11, and a consumer that saw 11 ("id > cursor") would never
 * see 10.  So every statement that takes an event id (and a progress
 * report's first write, its device row, so the lock always comes before
 * row locks and two reports cannot deadlock on it) first takes this
 * transaction-scoped advisory lock, in its FROM clause (no extra round
 * trip): event-writing transactions commit one after the other, in id
 * order.  ("sztq" in ASCII; the migration's lock is "sztp".) */
#define RPG_EVENTS_ORDER "(SELECT pg_advisory_xact_lock(1937011825)) AS events_order"

/* Parameters of one statement, all sent as text except bytea (binary). */
#define RPG_MAX_PARAMS 16
struct rpg_args {
	int n;
	const char *v[RPG_MAX_PARAMS];
	int len[RPG_MAX_PARAMS];
	int fmt[RPG_MAX_PARAMS];
	char num[RPG_MAX_PARAMS][24];
};

void rpg_lock(struct reg_pg *r);
void rpg_unlock(struct reg_pg *r);

/* ---- parameters: appended in $1, $2, ... order ------------------------ */
void rpg_arg_str(struct rpg_args *a, const char *v); /* NULL -> NULL */
void rpg_arg_opt(struct rpg_args *a, const char *v); /* NULL and "" -> NULL */
void rpg_arg_int(struct rpg_args *a, int64_t v);
void rpg_arg_null(struct rpg_args *a);
/* bytea; empty (or NULL data) -> NULL, as the SQLite backend stores it */
void rpg_arg_bytes(struct rpg_args *a, const void *p, size_t n);

/* LIMIT n, or NULL (no limit) when n <= 0 (SQLite binds -1). */
void rpg_arg_limit(struct rpg_args *a, int limit);

/* ---- running ------------------------------------------------------------ */
/* Runs sql (prepared on first use on this connection) with a; what names
 * it in messages ("reading device"): "registry: WHAT failed: <server's
 * message>".  Returns the result (PGRES_TUPLES_OK or PGRES_COMMAND_OK;
 * the caller PQclear()s it) or NULL with *rc and e set:
 *   SZTP_E_UNAVAILABLE  no connection, the connection broke, the server
 *                       is shutting down or read-only (a standby), a
 *                       deadlock or serialization failure (retry),
 *   SZTP_E_INVALID_VALUE  data the server refused as such (class 22:
 *                       invalid UTF-8, a NUL, out of range),
 *   SZTP_E_DB           everything else (constraints included: the
 *                       caller tells them apart by r->sqlstate, e.g.
 *                       "23505" unique, "23503" foreign key, "23514" check,
 *                       and r->constraint).
 * Reconnects first when the connection is known broken and no
 * transaction is open (at most once a second; between attempts the call
 * fails at once with the last reason). */
PGresult *rpg_exec(struct reg_pg *r, const char *sql, const struct rpg_args *a, const char *what,
		   sztp_rc *rc, struct sztp_err *e);
/* rpg_exec for a write: inside reg_begin (and outside an rpg_op) it runs
 * under its own savepoint, so a failed write undoes only itself and the
 * caller's transaction stays usable (PostgreSQL aborts the whole
 * transaction on any error; SQLite does not).  The savepoint, the
 * statement and its release go in one round trip (libpq's pipeline
 * mode); a failed write costs a second one to roll back to the savepoint. */
PGresult *rpg_write(struct reg_pg *r, const char *sql, const struct rpg_args *a, const char *what,
		    sztp_rc *rc, struct sztp_err *e);
/* Runs sql that returns nothing of interest (rpg_write when write). */
sztp_rc rpg_run(struct reg_pg *r, const char *sql, const struct rpg_args *a, const char *what,
		int write, struct sztp_err *e);
/* Round trips to the server the handle's statements made since it was
 * opened (for tests: what a call costs on the network). */
uint64_t rpg_round_trips(struct reg_pg *r);
/* Rows a DML result touched (PQcmdTuples). */
int64_t rpg_changes(PGresult *res);
/* The last failure was SQLSTATE state (e.g. "23505"). */
int rpg_failed_with(const struct reg_pg *r, const char *state);

/* ---- columns of a text-format result ------------------------------------- */
int rpg_isnull(PGresult *res, int row, int col);
int64_t rpg_col_int(PGresult *res, int row, int col);
sztp_rc rpg_col_str(PGresult *res, int row, int col, char *dst, size_t cap, struct sztp_err *e);
/* NULL stays NULL. */
sztp_rc rpg_col_dup(PGresult *res, int row, int col, char **dst, struct sztp_err *e);
/* bytea (hex text) -> bytes; NULL -> empty. */
sztp_rc rpg_col_bytes(PGresult *res, int row, int col, sztp_bytes *dst, struct sztp_err *e);
/* Text column -> enum index through a name table. */
sztp_rc rpg_col_enum(PGresult *res, int row, int col, const char *const *names, size_t n, int *out,
		     struct sztp_err *e);

/* ---- rows of the tables' columns, in these orders (registry_pg.c) -------- */
#define DEV_COLS                                                                                   \
	"serial, password_hash, profile, voucher, state, created, first_seen, last_seen, "         \
	"revision, voucher_created, voucher_expires"
#define PROF_COLS "name, kind, conveyed_json, sign, reporting, owner, revision, lenient"
#define PROG_COLS "serial, time, peer, type, message, ssh_host_keys, trust_anchors"
#define LOG_COLS  "serial, time, peer, endpoint, result, status, duration_us"
/* What rpg_row_progress / rpg_row_log read: the columns above, then the id. */
#define PROG_ID_COL 7
#define LOG_ID_COL  7
/* Each reads row i (a profile from column b); the output is cleared on failure. */
sztp_rc rpg_row_device(PGresult *res, int i, struct reg_device *d, struct sztp_err *e);
sztp_rc rpg_row_profile(PGresult *res, int i, int b, struct reg_profile *p, struct sztp_err *e);
sztp_rc rpg_row_progress(PGresult *res, int i, struct reg_progress *p, struct sztp_err *e);
sztp_rc rpg_row_log(PGresult *res, int i, struct reg_log *l, struct sztp_err *e);

/* ---- the transaction of one multi-statement call ------------------------- */
/* A SAVEPOINT inside reg_begin, else BEGIN (write) ... COMMIT; _read: a
 * REPEATABLE READ READ ONLY snapshot outside reg_begin.  rpg_op_end
 * commits when rc is SZTP_OK, else undoes everything since rpg_op_begin.
 * rpg_op_begin's SAVEPOINT goes with the op's first statement (one round
 * trip, so its failure is that statement's): an op runs its statements
 * through rpg_exec/rpg_write/rpg_run only, never libpq directly. */
sztp_rc rpg_op_begin(struct reg_pg *r, struct sztp_err *e);
sztp_rc rpg_op_begin_read(struct reg_pg *r, struct sztp_err *e);
sztp_rc rpg_op_end(struct reg_pg *r, sztp_rc rc, struct sztp_err *e);

/* registry_pg_events.c: the events of a stored progress report (inside
 * progress_add's transaction). */
sztp_rc rpg_progress_events(struct reg_pg *r, const struct reg_progress *p, int64_t t,
			    struct sztp_err *e);

#endif
