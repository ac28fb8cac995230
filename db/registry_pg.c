/*
 * registry_pg.c - the device registry on PostgreSQL (libpq), for several
 * sztpd instances on one registry.  The same contract as the SQLite
 * backend (registry.h), the same tables in PostgreSQL's dialect
 * (db/migrations/pg/, one numbered list with db/migrations/), the same
 * statements side by side (the texts here differ from registry_sqlite.c
 * only where the dialect does: $N parameters with casts where PostgreSQL
 * cannot infer a type, no planner hints, RETURNING instead of
 * last_insert_rowid).  This file and its siblings registry_pg_*.c are the
 * only includers of libpq-fe.h.
 *
 * Connection: one per handle, from a libpq URI (several hosts and
 * target_session_attrs=read-write follow a failover).  A connection that
 * breaks (the server went away, shut down, or turned out read-only) is
 * marked broken: the call fails with SZTP_E_UNAVAILABLE (sztpd answers
 * 503, never a wrong answer) and the next call outside a transaction
 * reconnects, at most every RPG_RECONNECT_MS; in between calls fail at
 * once with the last reason.  Prepared statements belong to a connection:
 * each is prepared on first use (rpg_exec) and again after a reconnect.
 * The password of the URI is never put into a message.
 *
 * Threads: as the SQLite backend: every call holds r->mu (recursive) for
 * its whole run; between reg_begin() and reg_commit()/reg_rollback() the
 * calling thread keeps it.
 *
 * Transactions: PostgreSQL aborts the whole transaction on any failed
 * statement, where SQLite keeps it usable.  So inside reg_begin() every
 * write runs under its own savepoint (rpg_write) and every multi-statement
 * call under SAVEPOINT reg_op: a failed call undoes only itself, as the
 * journal's batches rely on.  A COMMIT of an aborted transaction is a
 * failure (PostgreSQL answers it with ROLLBACK), never a success.
 *
 * Durability: commits wait for the server's synchronous_commit (on by
 * default: the WAL flushed, and a synchronous standby per the server's
 * settings); reg_begin_nosync's transactions SET LOCAL synchronous_commit
 * = off (bookkeeping a crash of the database server may lose the last
 * fraction of a second of; the same promise as SQLite's NORMAL).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "registry.h"
#include "registry_backend.h"
#include "registry_pg_internal.h"

#define RPG_RECONNECT_MS 500
/* pg_advisory_xact_lock key of the schema migration ("sztp" in ASCII) */
#define RPG_MIGRATION_LOCK "1937011824"

/* ---- small helpers ------------------------------------------------------ */

void rpg_lock(struct reg_pg *r)
{
	pthread_mutex_lock(&r->mu);
}

void rpg_unlock(struct reg_pg *r)
{
	pthread_mutex_unlock(&r->mu);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rpg_arg_str(struct rpg_args *a, const char *v)
{
	if (a->n >= RPG_MAX_PARAMS)
		return;
	a->v[a->n] = v;
	a->len[a->n] = 0;
	a->fmt[a->n] = 0;
	a->n++;
}

void rpg_arg_opt(struct rpg_args *a, const char *v)
{
	rpg_arg_str(a, v && *v ? v : NULL);
}

void rpg_arg_null(struct rpg_args *a)
{
	rpg_arg_str(a, NULL);
}

void rpg_arg_int(struct rpg_args *a, int64_t v)
{
	if (a->n >= RPG_MAX_PARAMS)
		return;
	snprintf(a->num[a->n], sizeof(a->num[a->n]), "%" PRId64, v);
	rpg_arg_str(a, a->num[a->n]);
}

void rpg_arg_bytes(struct rpg_args *a, const void *p, size_t n)
{
	if (!p || !n || n > INT32_MAX) {
		rpg_arg_null(a);
		return;
	}
	if (a->n >= RPG_MAX_PARAMS)
		return;
	a->v[a->n] = p;
	a->len[a->n] = (int)n;
	a->fmt[a->n] = 1;
	a->n++;
}

int64_t rpg_changes(PGresult *res)
{
	const char *t = res ? PQcmdTuples(res) : "";

	return *t ? strtoll(t, NULL, 10) : 0;
}

int rpg_failed_with(const struct reg_pg *r, const char *state)
{
	return strcmp(r->sqlstate, state) == 0;
}

/* ---- connection --------------------------------------------------------- */

/* Connects (or reconnects) now; SZTP_E_UNAVAILABLE with the server's
 * reason when no usable server answers. */
static sztp_rc connect_now(struct reg_pg *r, struct sztp_err *e)
{
	/* the URI's own settings win over these defaults (later keywords
	 * override earlier ones; dbname is expanded last) */
	const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *vals[] = {"5", program_invocation_short_name, r->conninfo, NULL};
	char where[160], msg[300];
	PGresult *res = NULL;
	sztp_rc rc = SZTP_E_UNAVAILABLE;
	size_t n;

	if (r->conn)
		PQfinish(r->conn);
	memset(r->prepared, 0, sizeof(r->prepared));
	r->broken = 0;
	r->conn = PQconnectdbParams(keys, vals, 1);
	if (!r->conn) {
		snprintf(r->down_reason, sizeof(r->down_reason), "out of memory");
		return sztp_err_set(e, SZTP_E_NOMEM, "registry: out of memory");
	}
	if (PQstatus(r->conn) != CONNECTION_OK) {
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(r->conn));
		n = strlen(msg);
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		reg_redact(r->conninfo, where, sizeof(where));
		snprintf(r->down_reason, sizeof(r->down_reason), "cannot connect to %s: %s", where,
			 msg);
		r->broken = 1;
		r->next_connect_ms = now_ms() + RPG_RECONNECT_MS;
		return sztp_err_set(e, rc, "registry: %s", r->down_reason);
	}
	PQsetClientEncoding(r->conn, "UTF8");
	/* a lock another instance holds makes a call wait at most 5 s (as
	 * SQLite's busy timeout), then fail as unavailable */
	res = PQexec(r->conn, "SET lock_timeout = '5s'");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(r->down_reason, sizeof(r->down_reason), "setting up the session: %s",
			 PQerrorMessage(r->conn));
		r->broken = 1;
		r->next_connect_ms = now_ms() + RPG_RECONNECT_MS;
		rc = sztp_err_set(e, rc, "registry: %s", r->down_reason);
		goto out;
	}
	r->down_reason[0] = '\0';
	rc = SZTP_OK;
out:
	PQclear(res);
	return rc;
}

/* A usable connection for the next statement, or SZTP_E_UNAVAILABLE. */
static sztp_rc ensure_conn(struct reg_pg *r, struct sztp_err *e)
{
	if (r->conn && !r->broken && PQstatus(r->conn) == CONNECTION_OK)
		return SZTP_OK;
	if (r->in_txn)
		return sztp_err_set(e, SZTP_E_UNAVAILABLE,
				    "registry: the database connection was lost inside a "
				    "transaction");
	if (r->next_connect_ms && now_ms() < r->next_connect_ms)
		return sztp_err_set(e, SZTP_E_UNAVAILABLE, "registry: %s",
				    r->down_reason[0] ? r->down_reason
						      : "the database connection was lost");
	return connect_now(r, e);
}

/* Classifies a failed result (res may be NULL: out of memory or a lost
 * connection). */
static sztp_rc fail(struct reg_pg *r, PGresult *res, const char *what, struct sztp_err *e)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	sztp_rc rc = SZTP_E_DB;

	snprintf(r->sqlstate, sizeof(r->sqlstate), "%s", state ? state : "");
	snprintf(r->constraint, sizeof(r->constraint), "%s", cons ? cons : "");
	if (!msg)
		msg = PQerrorMessage(r->conn);
	if (!state || !strncmp(state, "08", 2) || !strncmp(state, "57P", 3) ||
	    !strcmp(state, "25006")) {
		/* the connection is gone, the server is going away, or it is a
		 * read-only standby: reconnect (to the primary) next time */
		if (!state || PQstatus(r->conn) != CONNECTION_OK || strncmp(state, "08", 2) == 0 ||
		    !strncmp(state, "57P", 3) || !strcmp(state, "25006")) {
			r->broken = 1;
			r->next_connect_ms = 0;
			snprintf(r->down_reason, sizeof(r->down_reason), "%s", msg ? msg : "");
			for (size_t n = strlen(r->down_reason); n && r->down_reason[n - 1] == '\n';
			     n--)
				r->down_reason[n - 1] = '\0';
		}
		rc = SZTP_E_UNAVAILABLE;
	} else if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03") ||
		   !strcmp(state, "57014")) {
		rc = SZTP_E_UNAVAILABLE; /* a conflict or a wait that ran out: retry */
	} else if (!strncmp(state, "22", 2)) {
		rc = SZTP_E_INVALID_VALUE;
	}
	{
		char m[256];
		size_t n;

		snprintf(m, sizeof(m), "%s", msg ? msg : "no answer from the server");
		n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			m[--n] = '\0';
		return sztp_err_set(e, rc, "registry: %s failed: %s", what, m);
	}
}

/* The name of sql's prepared statement on this connection, preparing it
 * first when needed. */
static sztp_rc prepared_name(struct reg_pg *r, const char *sql, char name[16], const char *what,
			     struct sztp_err *e)
{
	size_t h = (size_t)(((uintptr_t)sql >> 3) % RPG_STMT_SLOTS), i;
	PGresult *res;
	sztp_rc rc;

	for (i = 0; i < RPG_STMT_SLOTS; i++, h = (h + 1) % RPG_STMT_SLOTS) {
		if (r->prepared[h] == sql) {
			snprintf(name, 16, "sztp_%zu", h);
			return SZTP_OK;
		}
		if (!r->prepared[h])
			break;
	}
	if (i == RPG_STMT_SLOTS)
		return sztp_err_set(e, SZTP_E_INTERNAL, "registry: more than %d statements",
				    RPG_STMT_SLOTS);
	snprintf(name, 16, "sztp_%zu", h);
	res = PQprepare(r->conn, name, sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = fail(r, res, what, e);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	r->prepared[h] = sql;
	return SZTP_OK;
}

PGresult *rpg_exec(struct reg_pg *r, const char *sql, const struct rpg_args *a, const char *what,
		   sztp_rc *rc, struct sztp_err *e)
{
	static const struct rpg_args none;
	PGresult *res = NULL;
	char name[16];
	ExecStatusType st;

	if (!a)
		a = &none;
	rpg_lock(r);
	r->sqlstate[0] = '\0';
	r->constraint[0] = '\0';
	if ((*rc = ensure_conn(r, e)) != SZTP_OK)
		goto out;
	if ((*rc = prepared_name(r, sql, name, what, e)) != SZTP_OK)
		goto out;
	res = PQexecPrepared(r->conn, name, a->n, a->v, a->len, a->fmt, 0);
	st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*rc = SZTP_OK;
		goto out;
	}
	*rc = fail(r, res, what, e);
	PQclear(res);
	res = NULL;
out:
	rpg_unlock(r);
	return res;
}

/* A statement of transaction control (no parameters, simple protocol). */
static sztp_rc simple(struct reg_pg *r, const char *sql, const char *what, struct sztp_err *e)
{
	PGresult *res;
	sztp_rc rc;

	if ((rc = ensure_conn(r, e)) != SZTP_OK)
		return rc;
	res = PQexec(r->conn, sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK)
		rc = SZTP_OK;
	else
		rc = fail(r, res, what, e);
	PQclear(res);
	return rc;
}

PGresult *rpg_write(struct reg_pg *r, const char *sql, const struct rpg_args *a, const char *what,
		    sztp_rc *rc, struct sztp_err *e)
{
	PGresult *res;
	int own;

	rpg_lock(r);
	own = r->in_txn && !r->in_op;
	if (own && (*rc = simple(r, "SAVEPOINT reg_w", "starting a savepoint", e)) != SZTP_OK) {
		res = NULL;
		goto out;
	}
	res = rpg_exec(r, sql, a, what, rc, e);
	if (own) {
		if (*rc == SZTP_OK) {
			if ((*rc = simple(r, "RELEASE reg_w", "releasing a savepoint", e)) !=
			    SZTP_OK) {
				PQclear(res);
				res = NULL;
			}
		} else {
			simple(r, "ROLLBACK TO reg_w", "rollback", NULL);
			simple(r, "RELEASE reg_w", "release", NULL);
		}
	}
out:
	rpg_unlock(r);
	return res;
}

sztp_rc rpg_run(struct reg_pg *r, const char *sql, const struct rpg_args *a, const char *what,
		int write, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_DB;
	PGresult *res =
	    write ? rpg_write(r, sql, a, what, &rc, e) : rpg_exec(r, sql, a, what, &rc, e);

	PQclear(res);
	return rc;
}

/* ---- columns ------------------------------------------------------------- */

int rpg_isnull(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col);
}

int64_t rpg_col_int(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

sztp_rc rpg_col_str(PGresult *res, int row, int col, char *dst, size_t cap, struct sztp_err *e)
{
	const char *t = PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
	size_t n = (size_t)PQgetlength(res, row, col);

	if (n >= cap)
		return sztp_err_set(e, SZTP_E_DB, "registry: stored %s '%.40s...' is too long",
				    PQfname(res, col), t);
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
	return SZTP_OK;
}

sztp_rc rpg_col_dup(PGresult *res, int row, int col, char **dst, struct sztp_err *e)
{
	*dst = NULL;
	if (PQgetisnull(res, row, col))
		return SZTP_OK;
	*dst = strdup(PQgetvalue(res, row, col));
	return *dst ? SZTP_OK : sztp_err_set(e, SZTP_E_NOMEM, "registry: out of memory");
}

sztp_rc rpg_col_bytes(PGresult *res, int row, int col, sztp_bytes *dst, struct sztp_err *e)
{
	unsigned char *raw;
	size_t n = 0;
	sztp_rc rc = SZTP_OK;

	dst->data = NULL;
	dst->len = 0;
	if (PQgetisnull(res, row, col))
		return SZTP_OK;
	raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col), &n);
	if (!raw)
		return sztp_err_set(e, SZTP_E_NOMEM, "registry: out of memory");
	if (n && sztp_bytes_dup(dst, raw, n) != SZTP_OK)
		rc = sztp_err_set(e, SZTP_E_NOMEM, "registry: out of memory");
	PQfreemem(raw);
	return rc;
}

sztp_rc rpg_col_enum(PGresult *res, int row, int col, const char *const *names, size_t n, int *out,
		     struct sztp_err *e)
{
	const char *t = PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
	size_t k;

	for (k = 0; t && k < n; k++) {
		if (strcmp(t, names[k]) == 0) {
			*out = (int)k;
			return SZTP_OK;
		}
	}
	return sztp_err_set(e, SZTP_E_DB, "registry: stored %s '%s' is unknown", PQfname(res, col),
			    t ? t : "(null)");
}

/* ---- transactions --------------------------------------------------------- */

sztp_rc rpg_op_begin(struct reg_pg *r, struct sztp_err *e)
{
	sztp_rc rc;

	rpg_lock(r);
	rc = simple(r, r->in_txn ? "SAVEPOINT reg_op" : "BEGIN", "starting a transaction", e);
	if (rc == SZTP_OK)
		r->in_op++;
	rpg_unlock(r);
	return rc;
}

sztp_rc rpg_op_begin_read(struct reg_pg *r, struct sztp_err *e)
{
	sztp_rc rc;

	rpg_lock(r);
	rc = simple(
	    r, r->in_txn ? "SAVEPOINT reg_op" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    "starting a transaction", e);
	if (rc == SZTP_OK)
		r->in_op++;
	rpg_unlock(r);
	return rc;
}

/* COMMIT that fails when the transaction was aborted: PostgreSQL answers
 * the COMMIT of an aborted transaction with ROLLBACK. */
static sztp_rc commit_now(struct reg_pg *r, struct sztp_err *e)
{
	PGresult *res;
	sztp_rc rc;

	if (r->conn && PQtransactionStatus(r->conn) == PQTRANS_INERROR)
		return sztp_err_set(e, SZTP_E_DB,
				    "registry: committing failed: an earlier statement of the "
				    "transaction failed");
	if ((rc = ensure_conn(r, e)) != SZTP_OK)
		return rc;
	res = PQexec(r->conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = fail(r, res, "committing", e);
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = sztp_err_set(e, SZTP_E_DB,
				  "registry: committing failed: the server rolled "
				  "the transaction back");
	PQclear(res);
	return rc;
}

static void rollback_now(struct reg_pg *r)
{
	PGresult *res;

	if (!r->conn || PQtransactionStatus(r->conn) == PQTRANS_IDLE ||
	    PQstatus(r->conn) != CONNECTION_OK)
		return;
	res = PQexec(r->conn, "ROLLBACK");
	PQclear(res);
}

sztp_rc rpg_op_end(struct reg_pg *r, sztp_rc rc, struct sztp_err *e)
{
	rpg_lock(r);
	if (r->in_op > 0)
		r->in_op--;
	if (rc == SZTP_OK) {
		rc = r->in_txn ? simple(r, "RELEASE reg_op", "committing", e) : commit_now(r, e);
		if (rc == SZTP_OK)
			goto out;
	}
	if (r->in_txn) {
		simple(r, "ROLLBACK TO reg_op", "rollback", NULL);
		simple(r, "RELEASE reg_op", "release", NULL);
	} else {
		rollback_now(r);
	}
out:
	rpg_unlock(r);
	return rc;
}

static sztp_rc begin(struct reg_pg *r, int nosync, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	rpg_lock(r);
	if (r->in_txn) {
		sztp_err_set(e, rc, "registry: a transaction is already open (reg_begin nested)");
		goto out;
	}
	rc = simple(r, "BEGIN", "starting a transaction", e);
	if (rc == SZTP_OK && nosync)
		rc = simple(r, "SET LOCAL synchronous_commit = off", "relaxing synchronous_commit",
			    e);
	if (rc != SZTP_OK) {
		rollback_now(r);
		goto out;
	}
	r->in_txn = 1;
	rpg_lock(r); /* held until reg_commit / reg_rollback */
out:
	rpg_unlock(r);
	return rc;
}

sztp_rc rpg_begin(struct reg_pg *r, struct sztp_err *e)
{
	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	return begin(r, 0, e);
}

sztp_rc rpg_begin_nosync(struct reg_pg *r, struct sztp_err *e)
{
	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	return begin(r, 1, e);
}

static void txn_finish(struct reg_pg *r)
{
	r->in_txn = 0;
	r->in_op = 0;
	rpg_unlock(r);
}

sztp_rc rpg_commit(struct reg_pg *r, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	if (!r)
		return sztp_err_set(e, rc, "registry: no handle");
	rpg_lock(r);
	if (!r->in_txn) {
		sztp_err_set(e, rc,
			     "registry: commit without a transaction (call reg_begin first)");
		goto out;
	}
	rc = commit_now(r, e);
	if (rc != SZTP_OK)
		rollback_now(r);
	txn_finish(r);
out:
	rpg_unlock(r);
	return rc;
}

void rpg_rollback(struct reg_pg *r)
{
	if (!r)
		return;
	rpg_lock(r);
	if (r->in_txn) {
		rollback_now(r);
		txn_finish(r);
	}
	rpg_unlock(r);
}

/* ---- open, migrate, close -------------------------------------------------- */

static sztp_rc query_int(struct reg_pg *r, const char *sql, int64_t *out, struct sztp_err *e)
{
	PGresult *res;
	sztp_rc rc;

	*out = 0;
	res = PQexec(r->conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		rc = fail(r, res, "reading the schema version", e);
	else {
		*out = rpg_col_int(res, 0, 0);
		rc = SZTP_OK;
	}
	PQclear(res);
	return rc;
}

static sztp_rc schema_version(struct reg_pg *r, int64_t *v, struct sztp_err *e)
{
	int64_t has = 0;
	sztp_rc rc;

	*v = 0;
	rc = query_int(r, "SELECT (to_regclass('schema_version') IS NOT NULL)::int", &has, e);
	if (rc == SZTP_OK && has)
		rc = query_int(r, "SELECT coalesce(max(version), 0) FROM schema_version", v, e);
	return rc;
}

static sztp_rc apply_migration(struct reg_pg *r, const struct reg_migration *m, struct sztp_err *e)
{
	static const char ins[] = "INSERT INTO schema_version (version, name, applied) "
				  "VALUES ($1, $2, $3)";
	const char *vals[3];
	char ver[16], now[24];
	PGresult *res;
	sztp_rc rc = SZTP_E_DB;
	char what[96];

	snprintf(what, sizeof(what), "schema migration %s", m->name);
	res = PQexec(r->conn, m->sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = fail(r, res, what, e);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	snprintf(ver, sizeof(ver), "%d", m->version);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	vals[0] = ver;
	vals[1] = m->name;
	vals[2] = now;
	res = PQexecParams(r->conn, ins, 3, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = fail(r, res, what, e);
	else
		rc = SZTP_OK;
	PQclear(res);
	return rc;
}

/* Brings the schema up to the newest embedded migration, one transaction
 * per migration under an advisory lock, re-reading the version inside it:
 * several instances starting at once apply each migration once. */
static sztp_rc migrate(struct reg_pg *r, const char *where, enum reg_open_how how,
		       struct sztp_err *e)
{
	int max =
	    reg_migrations_pg_count ? reg_migrations_pg[reg_migrations_pg_count - 1].version : 0;
	sztp_rc rc = SZTP_E_INTERNAL;
	int64_t v = 0;
	size_t i;

	for (i = 0;; i++) {
		rc = simple(r, "BEGIN", "starting the schema migration", e);
		if (rc == SZTP_OK)
			rc = simple(r, "SELECT pg_advisory_xact_lock(" RPG_MIGRATION_LOCK ")",
				    "locking the schema migration", e);
		if (rc == SZTP_OK)
			rc = schema_version(r, &v, e);
		if (rc == SZTP_OK && i == 0 && how == REG_OPEN_EXISTING && v == 0)
			rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
					  "%s is not an sztp registry (it has no schema version)",
					  where);
		if (rc == SZTP_OK && i == 0 && how == REG_OPEN_NEW && v != 0)
			rc = sztp_err_set(e, SZTP_E_EXISTS,
					  "%s holds an sztp registry already (schema version %lld)",
					  where, (long long)v);
		if (rc == SZTP_OK && v > max)
			rc = sztp_err_set(e, SZTP_E_UNSUPPORTED,
					  "registry %s has schema version %lld, newer than this "
					  "program knows (%d); use a newer sztp release",
					  where, (long long)v, max);
		if (rc == SZTP_OK && i < reg_migrations_pg_count &&
		    v < reg_migrations_pg[i].version)
			rc = apply_migration(r, &reg_migrations_pg[i], e);
		if (rc == SZTP_OK)
			rc = commit_now(r, e);
		if (rc != SZTP_OK)
			rollback_now(r);
		if (rc != SZTP_OK || i >= reg_migrations_pg_count)
			break;
	}
	if (rc == SZTP_OK)
		rc = schema_version(r, &v, e);
	r->version = (int)v;
	return rc;
}

sztp_rc rpg_open(const char *conninfo, enum reg_open_how how, struct reg_pg **out,
		 struct sztp_err *e)
{
	pthread_mutexattr_t ma;
	struct reg_pg *r = NULL;
	sztp_rc rc = SZTP_E_NOMEM;
	char where[256];

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->conninfo = strdup(conninfo))) {
		sztp_err_set(e, rc, "registry: out of memory");
		goto out;
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	r->mu_ok = pthread_mutex_init(&r->mu, &ma) == 0;
	pthread_mutexattr_destroy(&ma);
	rc = SZTP_E_INTERNAL;
	if (!r->mu_ok) {
		sztp_err_set(e, rc, "registry: cannot create a mutex");
		goto out;
	}
	if ((rc = connect_now(r, e)) != SZTP_OK)
		goto out;
	reg_redact(conninfo, where, sizeof(where));
	rc = migrate(r, where, how, e);
out:
	if (rc != SZTP_OK) {
		rpg_close(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

void rpg_close(struct reg_pg *r)
{
	if (!r)
		return;
	if (r->mu_ok && r->in_txn) { /* closed by the reg_begin() thread */
		rollback_now(r);
		txn_finish(r);
	}
	if (r->conn)
		PQfinish(r->conn);
	if (r->mu_ok)
		pthread_mutex_destroy(&r->mu);
	free(r->conninfo);
	free(r);
}

int rpg_schema_version(struct reg_pg *r)
{
	return r ? r->version : 0;
}

sztp_rc rpg_check_file(struct reg_pg *r, struct sztp_err *e)
{
	sztp_rc rc;

	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	rpg_lock(r);
	rc = ensure_conn(r, e);
	rpg_unlock(r);
	return rc;
}

sztp_rc rpg_write_probe(struct reg_pg *r, struct sztp_err *e)
{
	static const char sql[] = "UPDATE write_probe SET probes = probes + 1 WHERE id = 1";

	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	return rpg_run(r, sql, NULL, "probing a write", 1, e);
}

/* ---- registry calls -------------------------------------------------------- */

/* STUB(issue 14) */
sztp_rc rpg_device_get(struct reg_pg *r, const char *serial, struct reg_device *out,
		       struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_bootstrap_get(struct reg_pg *r, const char *serial, struct reg_bootstrap *out,
			  struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_device_add(struct reg_pg *r, const struct reg_device *d, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_device_update(struct reg_pg *r, const struct reg_device *d, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_device_remove(struct reg_pg *r, const char *serial, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_device_seen(struct reg_pg *r, const char *serial, const char *state, int64_t now,
			struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_device_list(struct reg_pg *r, reg_device_cb cb, void *arg, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_device_count(struct reg_pg *r, int64_t *n, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_profile_get(struct reg_pg *r, const char *name, struct reg_profile *out,
			struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_profile_put(struct reg_pg *r, const struct reg_profile *p, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_profile_remove(struct reg_pg *r, const char *name, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_profile_list(struct reg_pg *r, reg_profile_cb cb, void *arg, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_owner_get(struct reg_pg *r, const char *name, struct reg_owner *out, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_owner_put(struct reg_pg *r, const struct reg_owner *o, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_progress_add(struct reg_pg *r, const struct reg_progress *p, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_progress_list(struct reg_pg *r, const char *serial, int limit, reg_progress_cb cb,
			  void *arg, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_log_add(struct reg_pg *r, const struct reg_log *l, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_log_list(struct reg_pg *r, const char *serial, int limit, reg_log_cb cb, void *arg,
		     struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_prune(struct reg_pg *r, int64_t before, int64_t *log_deleted, int64_t *progress_deleted,
		  struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_log_trim(struct reg_pg *r, int64_t before, int64_t keep, int limit, int64_t *deleted,
		     struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_device_auth_get(struct reg_pg *r, const char *serial, struct reg_device_auth *out,
			    struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_device_pin_record(struct reg_pg *r, const char *serial, const uint8_t pin[REG_PIN_LEN],
			      int *recorded, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_device_pin_set(struct reg_pg *r, const char *serial, const uint8_t *pin,
			   struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_device_pin_get(struct reg_pg *r, const char *serial, int *has, uint8_t pin[REG_PIN_LEN],
			   struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_profile_pin_set(struct reg_pg *r, const char *name, int on, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_profile_pin_get(struct reg_pg *r, const char *name, int *on, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_owner_names(struct reg_pg *r, reg_name_cb cb, void *arg, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}
