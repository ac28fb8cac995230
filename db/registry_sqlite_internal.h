/*
 * registry_sqlite_internal.h - what the files of the SQLite registry
 * share: the handle, its prepared statements, and the small helpers
 * (binding, columns, the transaction of one call).  Included only by
 * db/registry_sqlite*.c; registry.h is the interface everyone else uses.
 * See registry_sqlite.c's comment for the locking and transaction rules.
 */
#ifndef SZTP_REGISTRY_SQLITE_INTERNAL_H
#define SZTP_REGISTRY_SQLITE_INTERNAL_H

#include <pthread.h>

#include <sqlite3.h>

#include "registry.h"
#include "registry_backend.h"

enum stmt_id {
	S_BEGIN,
	S_BEGIN_READ,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_SYNC_NORMAL,
	S_SYNC_FULL,
	S_DEV_GET,
	S_BOOTSTRAP,
	S_DEV_ADD,
	S_DEV_UPDATE,
	S_DEV_REMOVE,
	S_DEV_SEEN,
	S_DEV_LIST,
	S_DEV_COUNT,
	S_PROF_GET,
	S_PROF_PUT,
	S_PROF_USERS,
	S_PROF_REMOVE,
	S_PROF_LIST,
	S_OWN_GET,
	S_OWN_CERTS,
	S_OWN_PUT,
	S_OWN_CERTS_DEL,
	S_OWN_CERT_ADD,
	S_PROG_ADD,
	S_PROG_LIST_ALL,
	S_PROG_LIST_ONE,
	S_LOG_ADD,
	S_LOG_LIST_ALL,
	S_LOG_LIST_ONE,
	S_LOG_PRUNE,
	S_PROG_PRUNE,
	S_LOG_TRIM_AGE,
	S_LOG_TRIM_ROWS,
	S_DEV_QUERY,
	S_DEV_REVISION,
	S_PROF_QUERY,
	S_PROG_QUERY_ALL,
	S_PROG_QUERY_ONE,
	S_LOG_QUERY_ALL,
	S_LOG_QUERY_ONE,
	S_TOK_ADD,
	S_TOK_GET_HASH,
	S_TOK_GET,
	S_TOK_REVOKE,
	S_TOK_LIST,
	S_AUD_ADD,
	S_AUD_QUERY_ALL,
	S_AUD_QUERY_RES,
	S__COUNT
};

struct reg_sqlite {
	sqlite3 *db;
	char *path;
	pthread_mutex_t mu; /* recursive; see the file comment */
	int mu_ok;
	int in_txn; /* inside reg_begin(); the owning thread holds mu */
	int nosync; /* that transaction commits with synchronous = NORMAL */
	int version;
	sqlite3_stmt *st[S__COUNT];
	sqlite3_stmt *pin_st[8];   /* IDevID pinning's own, prepared on first use */
	sqlite3_stmt *ev_st[32];   /* the events part's own (registry_sqlite_events.c) */
	sqlite3_stmt *lease_st[2]; /* the leases' own (registry_sqlite_lease.c) */
};

void rsql_lock(struct reg_sqlite *r);
void rsql_unlock(struct reg_sqlite *r);
/* Make a used statement ready for its next run. */
void rsql_st_done(sqlite3_stmt *s);
/* SZTP_E_DB with SQLite's message: "registry: WHAT failed: ..." */
sztp_rc rsql_db_fail(struct reg_sqlite *r, struct sztp_err *e, const char *what);
int rsql_bind_str(sqlite3_stmt *s, int i, const char *v);
/* NULL and "" are bound as NULL. */
int rsql_bind_opt(sqlite3_stmt *s, int i, const char *v);
sztp_rc rsql_col_str(sqlite3_stmt *s, int i, char *dst, size_t cap, struct sztp_err *e);
/* NULL stays NULL. */
sztp_rc rsql_col_dup(sqlite3_stmt *s, int i, char **dst, struct sztp_err *e);
int rsql_is_unique_violation(int xrc);
/* The transaction of one multi-statement call (a SAVEPOINT inside
 * reg_begin), and its end: commit when rc is SZTP_OK, else undo. */
sztp_rc rsql_op_begin(struct reg_sqlite *r, struct sztp_err *e);
sztp_rc rsql_op_begin_read(struct reg_sqlite *r, struct sztp_err *e);
sztp_rc rsql_op_end(struct reg_sqlite *r, sztp_rc rc, struct sztp_err *e);

/* registry_sqlite_events.c: the events of a stored progress report
 * (inside progress_add's transaction), and its statements at close. */
sztp_rc rsql_progress_events(struct reg_sqlite *r, const struct reg_progress *p, int64_t t,
			     struct sztp_err *e);
void rsql_events_finalize(struct reg_sqlite *r);
/* registry_sqlite_lease.c: its statements at close. */
void rsql_lease_finalize(struct reg_sqlite *r);

#endif
