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
 * journal's batches rely on.  A write's SAVEPOINT, statement and
 * RELEASE go to the server together, in one round trip (libpq's pipeline
 * mode, pipelined()), and so does an op's SAVEPOINT with its first
 * statement (rpg_op_end's RELEASE is a round trip of its own); only a
 * failed write takes a second one, to roll back to its savepoint.  A
 * COMMIT of an aborted transaction is a failure (PostgreSQL answers it
 * with ROLLBACK), never a success.
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

void rpg_arg_limit(struct rpg_args *a, int limit)
{
	if (limit > 0)
		rpg_arg_int(a, limit);
	else
		rpg_arg_null(a);
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

/* Replaces every occurrence of secret (n bytes) in msg with "***". */
static void mask(char *msg, size_t cap, const char *secret, size_t n)
{
	char out[512];
	size_t len = 0;
	const char *p = msg, *hit;

	if (!n || cap > sizeof(out))
		return;
	while ((hit = memmem(p, strlen(p), secret, n)) != NULL) {
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%.*s***", (int)(hit - p), p);
		if (len >= sizeof(out))
			break;
		p = hit + n;
	}
	if (p == msg)
		return;
	if (len < sizeof(out))
		snprintf(out + len, sizeof(out) - len, "%s", p);
	len = strnlen(out, cap - 1);
	memcpy(msg, out, len);
	msg[len] = '\0';
}

/* libpq quotes a URI it cannot parse whole in its message: the passwords
 * of conninfo (the user:password@ part, password= parameters) are masked
 * in msg, as reg_redact masks them in the URI. */
static void mask_passwords(char *msg, size_t cap, const char *conninfo)
{
	const char *auth = strstr(conninfo, "://"), *end, *at, *colon, *pw;

	if (auth) {
		auth += 3;
		end = auth + strcspn(auth, "/?");
		at = memchr(auth, '@', (size_t)(end - auth));
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon)
			mask(msg, cap, colon + 1, (size_t)(at - colon - 1));
	}
	for (pw = strstr(conninfo, "password="); pw; pw = strstr(pw, "password=")) {
		pw += 9;
		mask(msg, cap, pw, strcspn(pw, "& "));
	}
}

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
		mask_passwords(msg, sizeof(msg), r->conninfo);
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

/* The slot (and name, "sztp_<slot>") of sql's prepared statement on this
 * connection; *known = 1 when it is prepared already, else the slot is
 * free for it. */
static sztp_rc stmt_slot(struct reg_pg *r, const char *sql, size_t *slot, int *known, char name[16],
			 struct sztp_err *e)
{
	size_t h = (size_t)(((uintptr_t)sql >> 3) % RPG_STMT_SLOTS), i;

	for (i = 0; i < RPG_STMT_SLOTS; i++, h = (h + 1) % RPG_STMT_SLOTS) {
		if (r->prepared[h] == sql || !r->prepared[h])
			break;
	}
	if (i == RPG_STMT_SLOTS)
		return sztp_err_set(e, SZTP_E_INTERNAL, "registry: more than %d statements",
				    RPG_STMT_SLOTS);
	*slot = h;
	*known = r->prepared[h] == sql;
	snprintf(name, 16, "sztp_%zu", h);
	return SZTP_OK;
}

/* The name of sql's prepared statement on this connection, preparing it
 * first when needed. */
static sztp_rc prepared_name(struct reg_pg *r, const char *sql, char name[16], const char *what,
			     struct sztp_err *e)
{
	PGresult *res;
	size_t h;
	int known;
	sztp_rc rc;

	if ((rc = stmt_slot(r, sql, &h, &known, name, e)) != SZTP_OK || known)
		return rc;
	r->round_trips++;
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

/* Whether s is well-formed UTF-8 as PostgreSQL's UTF8 encoding wants it
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). */
static int utf8_valid(const unsigned char *s)
{
	unsigned c, need, min;

	while ((c = *s++) != 0) {
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, min = 0x80, c &= 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, min = 0x800, c &= 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, min = 0x10000, c &= 0x07;
		else
			return 0;
		for (; need; need--, s++) {
			if ((*s & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (*s & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
	}
	return 1;
}

/* Clears the last failure, then refuses text PostgreSQL would refuse
 * (22021) before it is sent: a failed statement would abort the caller's
 * transaction, and a read inside reg_begin runs without a savepoint of its
 * own. */
static sztp_rc check_args(struct reg_pg *r, const struct rpg_args *a, const char *what,
			  struct sztp_err *e)
{
	int i;

	r->sqlstate[0] = '\0';
	r->constraint[0] = '\0';
	for (i = 0; i < a->n; i++) {
		if (a->v[i] && !a->fmt[i] && !utf8_valid((const unsigned char *)a->v[i])) {
			snprintf(r->sqlstate, sizeof(r->sqlstate), "22021");
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "registry: %s failed: a text value is not valid UTF-8",
					    what);
		}
	}
	return SZTP_OK;
}

/* Leaves pipeline mode; a connection that cannot (results still pending:
 * it broke half-way) is closed, never left in pipeline mode. */
static void leave_pipeline(struct reg_pg *r)
{
	if (PQpipelineStatus(r->conn) == PQ_PIPELINE_OFF || PQexitPipelineMode(r->conn))
		return;
	PQfinish(r->conn);
	r->conn = NULL;
	r->broken = 1;
	if (!r->down_reason[0])
		snprintf(r->down_reason, sizeof(r->down_reason),
			 "the database connection was lost");
}

/* What a statement sent in a pipeline goes with: a savepoint before it
 * (pre, named pre_what in messages) and, for a write's own savepoint, its
 * release after it (post). */
struct frame {
	const char *pre, *pre_what, *post;
};
/* rpg_write's own savepoint inside reg_begin */
static const struct frame write_frame = {"SAVEPOINT reg_w", "starting a savepoint",
					 "RELEASE reg_w"};
/* rpg_op_begin's savepoint inside reg_begin, sent with the op's first
 * statement (RELEASEd by rpg_op_end) */
static const struct frame op_frame = {"SAVEPOINT reg_op", "starting a transaction", NULL};

/* The steps of a pipeline, in the order sent. */
enum { P_PRE, P_PREPARE, P_STATEMENT, P_POST, P_STEPS };

/* A statement with its frame in one round trip (libpq's pipeline mode):
 * f->pre, the statement (PREPAREd first on its first use on this
 * connection), f->post when there is one, Sync.  After a failed step the
 * server skips the rest (PGRES_PIPELINE_ABORTED) up to the Sync; the
 * first failure is classified as rpg_exec classifies it, named as the
 * separate statements named it (f->pre_what, what, "releasing a
 * savepoint").  A write that failed inside its own savepoint is undone
 * with ROLLBACK TO + RELEASE (a second round trip), so the caller's
 * transaction stays usable; an op's savepoint is rpg_op_end's to undo.
 * The connection is out of pipeline mode on return. */
static PGresult *pipelined(struct reg_pg *r, const struct frame *f, const char *sql,
			   const struct rpg_args *a, const char *what, sztp_rc *rc,
			   struct sztp_err *e)
{
	const char *step_what[P_STEPS] = {f->pre_what, what, what, "releasing a savepoint"};
	PGresult *got[P_STEPS] = {NULL}, *res = NULL, *sync = NULL, *end;
	int known = 0, step, failed = P_STEPS, n;
	ExecStatusType st;
	char name[16];
	size_t slot;

	if ((*rc = check_args(r, a, what, e)) != SZTP_OK)
		goto out;
	if ((*rc = ensure_conn(r, e)) != SZTP_OK)
		goto out;
	if ((*rc = stmt_slot(r, sql, &slot, &known, name, e)) != SZTP_OK)
		goto out;
	r->round_trips++;
	if (!PQenterPipelineMode(r->conn) ||
	    !PQsendQueryParams(r->conn, f->pre, 0, NULL, NULL, NULL, NULL, 0) ||
	    (!known && !PQsendPrepare(r->conn, name, sql, 0, NULL)) ||
	    !PQsendQueryPrepared(r->conn, name, a->n, a->v, a->len, a->fmt, 0) ||
	    (f->post && !PQsendQueryParams(r->conn, f->post, 0, NULL, NULL, NULL, NULL, 0)) ||
	    !PQpipelineSync(r->conn)) {
		*rc = fail(r, NULL, step_what[P_PRE], e);
		goto out;
	}
	/* each step's result, then the NULL that ends it; then the Sync's */
	for (step = 0; step < P_STEPS; step++) {
		if ((step == P_PREPARE && known) || (step == P_POST && !f->post))
			continue;
		if (!(got[step] = PQgetResult(r->conn)))
			break; /* the connection broke */
		for (n = 0; n < 4 && (end = PQgetResult(r->conn)) != NULL; n++)
			PQclear(end);
	}
	if (step == P_STEPS)
		sync = PQgetResult(r->conn);
	for (step = 0; step < P_STEPS && failed == P_STEPS; step++) {
		if ((step == P_PREPARE && known) || (step == P_POST && !f->post))
			continue;
		st = got[step] ? PQresultStatus(got[step]) : PGRES_FATAL_ERROR;
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			failed = step;
	}
	if (!known && got[P_PREPARE] && PQresultStatus(got[P_PREPARE]) == PGRES_COMMAND_OK)
		r->prepared[slot] = sql;
	if (f == &op_frame && got[P_PRE] && PQresultStatus(got[P_PRE]) == PGRES_COMMAND_OK)
		r->op_pending = 0; /* the op's savepoint is there now */
	if (failed == P_STEPS && (!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC))
		failed = f->post ? P_POST : P_STATEMENT; /* no Sync: the connection broke */
	if (failed == P_STEPS) {
		*rc = SZTP_OK;
		res = got[P_STATEMENT];
		got[P_STATEMENT] = NULL;
		goto out;
	}
	*rc = fail(r, got[failed], step_what[failed], e);
	if (!f->post || (failed != P_PREPARE && failed != P_STATEMENT))
		goto out;
	/* the statement failed inside its savepoint: undo only it */
	leave_pipeline(r);
	if (r->conn && !r->broken) {
		r->round_trips++;
		PQclear(PQexec(r->conn, "ROLLBACK TO reg_w; RELEASE reg_w"));
	}
out:
	if (r->conn)
		leave_pipeline(r);
	for (step = 0; step < P_STEPS; step++)
		PQclear(got[step]);
	PQclear(sync);
	return res;
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
	if (r->op_pending) {
		res = pipelined(r, &op_frame, sql, a, what, rc, e);
		goto out;
	}
	if ((*rc = check_args(r, a, what, e)) != SZTP_OK)
		goto out;
	if ((*rc = ensure_conn(r, e)) != SZTP_OK)
		goto out;
	if ((*rc = prepared_name(r, sql, name, what, e)) != SZTP_OK)
		goto out;
	r->round_trips++;
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
	r->round_trips++;
	res = PQexec(r->conn, sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK)
		rc = SZTP_OK;
	else
		rc = fail(r, res, what, e);
	PQclear(res);
	return rc;
}

uint64_t rpg_round_trips(struct reg_pg *r)
{
	uint64_t n;

	rpg_lock(r);
	n = r->round_trips;
	rpg_unlock(r);
	return n;
}

PGresult *rpg_write(struct reg_pg *r, const char *sql, const struct rpg_args *a, const char *what,
		    sztp_rc *rc, struct sztp_err *e)
{
	static const struct rpg_args none;
	PGresult *res;

	rpg_lock(r);
	if (r->in_txn && !r->in_op)
		res = pipelined(r, &write_frame, sql, a ? a : &none, what, rc, e);
	else
		res = rpg_exec(r, sql, a, what, rc, e);
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

/* Inside reg_begin the op's SAVEPOINT is not sent here: it goes with the
 * op's first statement, in one round trip (rpg_exec, op_frame).  An op
 * begun while another's savepoint still waits sends that one first. */
sztp_rc rpg_op_begin(struct reg_pg *r, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;

	rpg_lock(r);
	if (!r->in_txn)
		rc = simple(r, "BEGIN", "starting a transaction", e);
	else if (r->op_pending)
		rc = simple(r, "SAVEPOINT reg_op", "starting a transaction", e);
	if (rc == SZTP_OK) {
		r->in_op++;
		r->op_pending = r->in_txn;
	}
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
	r->round_trips++;
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
	r->round_trips++;
	res = PQexec(r->conn, "ROLLBACK");
	PQclear(res);
}

sztp_rc rpg_op_end(struct reg_pg *r, sztp_rc rc, struct sztp_err *e)
{
	rpg_lock(r);
	if (r->in_op > 0)
		r->in_op--;
	if (r->op_pending) {
		/* no statement of the op reached the server: nothing to
		 * release or undo */
		r->op_pending = 0;
		goto out;
	}
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

/* reg_begin's transactions one at a time across instances, as SQLite's
 * BEGIN IMMEDIATE makes them: an admin change reads a revision (If-Match,
 * the audit's rev_before) and then writes; under READ COMMITTED two
 * instances (or sztpd and sztpctl) could both read the same revision and
 * both write, the second overwriting the first unseen.  The lock is taken
 * before anything is read and held to COMMIT; it comes before the events'
 * order lock (registry_pg_internal.h) in every transaction that takes
 * both, so the two cannot deadlock.  reg_begin_nosync's bookkeeping (log
 * rows, contact times) reads nothing it then writes: no lock.  ("sztr") */
#define RPG_BEGIN_WRITER "BEGIN; SELECT pg_advisory_xact_lock(1937011826)"

static sztp_rc begin(struct reg_pg *r, int nosync, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	rpg_lock(r);
	if (r->in_txn) {
		sztp_err_set(e, rc, "registry: a transaction is already open (reg_begin nested)");
		goto out;
	}
	/* one round trip each */
	rc = simple(r, nosync ? "BEGIN; SET LOCAL synchronous_commit = off" : RPG_BEGIN_WRITER,
		    "starting a transaction", e);
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
	r->op_pending = 0;
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

/* The statements of registry_sqlite.c in PostgreSQL's dialect
 * (/work/notes/pg-dialect.md): $N parameters, a subquery in FROM has an
 * alias, a boolean read as an integer is cast, LIMIT NULL is no limit.
 * revision: 63 random bits, never negative (random() is a double in
 * PostgreSQL); revisions only have to change. */
#define REVISION "((random() * 2147483647)::bigint << 32 | (random() * 4294967295)::bigint)"
/* S_BOOTSTRAP: as registry_sqlite.c (a device row in DEV_COLS order, its
 * profile in PROF_COLS order from BOOT_PROF, whether the owner exists and
 * its revision from BOOT_OWNER). */
#define BOOT_PROF  11
#define BOOT_OWNER (BOOT_PROF + 8)
#define BOOT_COLS                                                                                  \
	"d.serial, NULL, d.profile, d.voucher, d.state, d.created, d.first_seen, d.last_seen, "    \
	"d.revision, d.voucher_created, d.voucher_expires, "                                       \
	"p.name, p.kind, NULL, p.sign, p.reporting, p.owner, p.revision, p.lenient, "              \
	"(o.name IS NOT NULL)::int, o.revision"

enum stmt_id {
	S_DEV_GET,
	S_BOOTSTRAP,
	S_DEV_ADD,
	S_DEV_UPDATE,
	S_DEV_REMOVE,
	S_DEV_SEEN,
	S_DEV_SEEN_REPORT,
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
	S_LOG_PRUNE,
	S_PROG_PRUNE,
	S_LOG_TRIM_AGE,
	S_LOG_TRIM_ROWS,
	S_LOG_ADD,
	S_LOG_LIST_ALL,
	S_LOG_LIST_ONE,
	P_AUTH,
	P_PIN_RECORD,
	P_PIN_SET,
	P_PIN_GET,
	P_PROF_PIN_SET,
	P_PROF_PIN_GET,
	P_OWNER_NAMES,
	S__COUNT
};

/* Prepared on first use by rpg_exec, keyed by these addresses. */
static const char *const stmt_sql[S__COUNT] = {
    [S_DEV_GET] = "SELECT " DEV_COLS " FROM devices WHERE serial = $1",
    [S_BOOTSTRAP] = "SELECT " BOOT_COLS " FROM devices AS d "
		    "LEFT JOIN profiles AS p ON p.name = d.profile "
		    "LEFT JOIN owners AS o ON o.name = p.owner WHERE d.serial = $1",
    [S_DEV_ADD] = "INSERT INTO devices (" DEV_COLS
		  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, " REVISION ", $9, $10)",
    [S_DEV_UPDATE] = "UPDATE devices SET password_hash = $2, profile = $3, voucher = $4, "
		     "voucher_created = $5, voucher_expires = $6, "
		     "revision = " REVISION " WHERE serial = $1",
    [S_DEV_REMOVE] = "DELETE FROM devices WHERE serial = $1",
    [S_DEV_SEEN] = "UPDATE devices SET first_seen = CASE first_seen WHEN 0 THEN $2 ELSE first_seen "
		   "END, last_seen = $2, state = coalesce($3, state) WHERE serial = $1",
    /* the same, first in a progress report's transaction: the events'
     * order lock before the device row's (registry_pg_internal.h) */
    [S_DEV_SEEN_REPORT] =
	"UPDATE devices SET first_seen = CASE first_seen WHEN 0 THEN $2 ELSE "
	"first_seen END, last_seen = $2, state = coalesce($3, state) FROM " RPG_EVENTS_ORDER
	" WHERE serial = $1",
    [S_DEV_LIST] = "SELECT " DEV_COLS " FROM devices ORDER BY serial",
    [S_DEV_COUNT] = "SELECT count(*) FROM devices",
    [S_PROF_GET] = "SELECT " PROF_COLS " FROM profiles WHERE name = $1",
    [S_PROF_PUT] = "INSERT INTO profiles (" PROF_COLS ") VALUES ($1, $2, $3, $4, $5, $6, " REVISION
		   ", $7) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, conveyed_json = "
		   "excluded.conveyed_json, sign = excluded.sign, reporting = excluded.reporting, "
		   "owner = excluded.owner, revision = excluded.revision, "
		   "lenient = excluded.lenient",
    [S_PROF_USERS] = "SELECT count(*) FROM devices WHERE profile = $1",
    [S_PROF_REMOVE] = "DELETE FROM profiles WHERE name = $1",
    [S_PROF_LIST] = "SELECT " PROF_COLS " FROM profiles ORDER BY name",
    [S_OWN_GET] = "SELECT name, key_path, revision FROM owners WHERE name = $1",
    [S_OWN_CERTS] = "SELECT der FROM owner_certs WHERE owner = $1 ORDER BY pos",
    [S_OWN_PUT] = "INSERT INTO owners (name, key_path, revision) VALUES ($1, $2, " REVISION
		  ") ON CONFLICT (name) DO UPDATE SET key_path = excluded.key_path, "
		  "revision = excluded.revision",
    [S_OWN_CERTS_DEL] = "DELETE FROM owner_certs WHERE owner = $1",
    [S_OWN_CERT_ADD] = "INSERT INTO owner_certs (owner, pos, der) VALUES ($1, $2, $3)",
    [S_PROG_ADD] = "INSERT INTO progress (" PROG_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [S_PROG_LIST_ALL] = "SELECT " PROG_COLS ", id FROM (SELECT * FROM progress ORDER BY id DESC "
			"LIMIT $1) AS t ORDER BY id",
    [S_PROG_LIST_ONE] = "SELECT " PROG_COLS ", id FROM (SELECT * FROM progress WHERE serial = $2 "
			"ORDER BY id DESC LIMIT $1) AS t ORDER BY id",
    [S_LOG_PRUNE] = "DELETE FROM bootstrap_log WHERE time < $1",
    [S_PROG_PRUNE] = "DELETE FROM progress WHERE time < $1",
    /* the oldest rows first, by index (time), at most $2 */
    [S_LOG_TRIM_AGE] = "DELETE FROM bootstrap_log WHERE id IN (SELECT id FROM bootstrap_log "
		       "WHERE time < $1 ORDER BY time LIMIT $2)",
    /* ids have gaps (rolled back inserts, other sessions' sequence
     * caches): keeps at most $1 rows, possibly fewer */
    [S_LOG_TRIM_ROWS] =
	"DELETE FROM bootstrap_log WHERE id IN (SELECT id FROM bootstrap_log "
	"WHERE id <= (SELECT max(id) FROM bootstrap_log) - $1 ORDER BY id LIMIT $2)",
    [S_LOG_ADD] = "INSERT INTO bootstrap_log (" LOG_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [S_LOG_LIST_ALL] = "SELECT " LOG_COLS ", id FROM (SELECT * FROM bootstrap_log ORDER BY id DESC "
		       "LIMIT $1) AS t ORDER BY id",
    [S_LOG_LIST_ONE] =
	"SELECT " LOG_COLS ", id FROM (SELECT * FROM bootstrap_log WHERE serial = $2 "
	"ORDER BY id DESC LIMIT $1) AS t ORDER BY id",
    [P_AUTH] = "SELECT d.password_hash, coalesce(p.pin_idevid, 0), d.idevid_pin "
	       "FROM devices AS d LEFT JOIN profiles AS p ON p.name = d.profile "
	       "WHERE d.serial = $1",
    [P_PIN_RECORD] = "UPDATE devices SET idevid_pin = $2 WHERE serial = $1 AND idevid_pin IS NULL",
    /* admin changes: a new revision (P_PIN_RECORD is a device contact's) */
    [P_PIN_SET] = "UPDATE devices SET idevid_pin = $2, revision = " REVISION " WHERE serial = $1",
    [P_PIN_GET] = "SELECT idevid_pin FROM devices WHERE serial = $1",
    [P_PROF_PIN_SET] =
	"UPDATE profiles SET pin_idevid = $2, revision = " REVISION " WHERE name = $1",
    [P_PROF_PIN_GET] = "SELECT pin_idevid FROM profiles WHERE name = $1",
    [P_OWNER_NAMES] = "SELECT name FROM owners ORDER BY name",
};

static PGresult *st_exec(struct reg_pg *r, enum stmt_id id, const struct rpg_args *a,
			 const char *what, sztp_rc *rc, struct sztp_err *e)
{
	return rpg_exec(r, stmt_sql[id], a, what, rc, e);
}

static PGresult *st_write(struct reg_pg *r, enum stmt_id id, const struct rpg_args *a,
			  const char *what, sztp_rc *rc, struct sztp_err *e)
{
	return rpg_write(r, stmt_sql[id], a, what, rc, e);
}

/* The message of a failure rpg_exec reported, without its "registry:
 * WHAT failed: " prefix (the server's words). */
static const char *server_words(const struct sztp_err *le)
{
	const char *m = strstr(le->msg, " failed: ");

	return m ? m + 9 : le->msg;
}

/* ---- devices ------------------------------------------------------------ */

/* Reads a row of DEV_COLS; out is cleared on failure. */
sztp_rc rpg_row_device(PGresult *res, int i, struct reg_device *d, struct sztp_err *e)
{
	sztp_rc rc;

	memset(d, 0, sizeof(*d));
	rc = rpg_col_str(res, i, 0, d->serial, sizeof(d->serial), e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, i, 1, &d->password_hash, e);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, i, 2, d->profile, sizeof(d->profile), e);
	if (rc == SZTP_OK)
		rc = rpg_col_bytes(res, i, 3, &d->voucher, e);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, i, 4, d->state, sizeof(d->state), e);
	d->created = rpg_col_int(res, i, 5);
	d->first_seen = rpg_col_int(res, i, 6);
	d->last_seen = rpg_col_int(res, i, 7);
	d->revision = rpg_col_int(res, i, 8);
	d->voucher_created = rpg_col_int(res, i, 9);
	d->voucher_expires = rpg_col_int(res, i, 10);
	if (rc != SZTP_OK)
		reg_device_clear(d);
	return rc;
}

/* Runs the statement id keyed by $1 = serial: SZTP_OK with *out holding
 * the device's row (the caller PQclear()s it), SZTP_E_NOT_FOUND when it
 * is not enrolled. */
static sztp_rc device_one(struct reg_pg *r, enum stmt_id id, const char *serial, PGresult **out,
			  struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	*out = NULL;
	rpg_arg_str(&a, serial);
	res = st_exec(r, id, &a, "reading a device", &rc, e);
	if (!res)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "device %s is not enrolled", serial);
	}
	*out = res;
	return SZTP_OK;
}

sztp_rc rpg_device_get(struct reg_pg *r, const char *serial, struct reg_device *out,
		       struct sztp_err *e)
{
	PGresult *res = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_serial(serial, e);
	if (rc != SZTP_OK)
		goto out;
	rc = device_one(r, S_DEV_GET, serial, &res, e);
	if (rc == SZTP_OK)
		rc = rpg_row_device(res, 0, out, e);
	PQclear(res);
out:
	if (rc != SZTP_OK)
		reg_device_clear(out);
	return rc;
}

/* Maps the failure (rc, le: rpg_write's) of a device insert/update; called
 * with r->mu held since the write, so r->sqlstate is the write's. */
static sztp_rc device_write_fail(struct reg_pg *r, const struct reg_device *d, sztp_rc rc,
				 const struct sztp_err *le, struct sztp_err *e)
{
	if (rpg_failed_with(r, "23505"))
		return sztp_err_set(e, SZTP_E_EXISTS, "device %s is already enrolled", d->serial);
	if (rpg_failed_with(r, "23503"))
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "profile '%s' does not exist", d->profile);
	if (rpg_failed_with(r, "23514"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "device %s: %s", d->serial,
				    server_words(le));
	return sztp_err_set(e, rc, "%s", le->msg);
}

static sztp_rc device_add(struct reg_pg *r, const struct reg_device *d, struct sztp_err *e)
{
	struct sztp_err le = {SZTP_OK, ""};
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	rpg_arg_str(&a, d->serial);
	rpg_arg_opt(&a, d->password_hash);
	rpg_arg_opt(&a, d->profile);
	rpg_arg_bytes(&a, d->voucher.data, d->voucher.len);
	rpg_arg_str(&a, d->state[0] ? d->state : "enrolled");
	rpg_arg_int(&a, d->created ? d->created : (int64_t)time(NULL));
	rpg_arg_int(&a, d->first_seen);
	rpg_arg_int(&a, d->last_seen);
	rpg_arg_int(&a, d->voucher_created);
	rpg_arg_int(&a, d->voucher_expires);
	res = st_write(r, S_DEV_ADD, &a, "writing a device", &rc, &le);
	if (!res)
		return device_write_fail(r, d, rc, &le, e);
	PQclear(res);
	return SZTP_OK;
}

sztp_rc rpg_device_add(struct reg_pg *r, const struct reg_device *d, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_device(d, e);

	if (rc == SZTP_OK) {
		rpg_lock(r);
		rc = device_add(r, d, e);
		rpg_unlock(r);
	}
	return rc;
}

static sztp_rc device_update(struct reg_pg *r, const struct reg_device *d, struct sztp_err *e)
{
	struct sztp_err le = {SZTP_OK, ""};
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	rpg_arg_str(&a, d->serial);
	rpg_arg_opt(&a, d->password_hash);
	rpg_arg_opt(&a, d->profile);
	rpg_arg_bytes(&a, d->voucher.data, d->voucher.len);
	rpg_arg_int(&a, d->voucher_created);
	rpg_arg_int(&a, d->voucher_expires);
	res = st_write(r, S_DEV_UPDATE, &a, "writing a device", &rc, &le);
	if (!res)
		return device_write_fail(r, d, rc, &le, e);
	if (rpg_changes(res) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "device %s is not enrolled", d->serial);
	PQclear(res);
	return rc;
}

sztp_rc rpg_device_update(struct reg_pg *r, const struct reg_device *d, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_device(d, e);

	if (rc == SZTP_OK) {
		rpg_lock(r);
		rc = device_update(r, d, e);
		rpg_unlock(r);
	}
	return rc;
}

/* Runs a write keyed by $1 = key; SZTP_E_NOT_FOUND (message left to the
 * caller) when it touched no row. */
static sztp_rc run_keyed(struct reg_pg *r, enum stmt_id id, const char *key, const char *what,
			 struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	rpg_arg_str(&a, key);
	res = st_write(r, id, &a, what, &rc, e);
	if (res && rpg_changes(res) == 0)
		rc = SZTP_E_NOT_FOUND;
	PQclear(res);
	return rc;
}

sztp_rc rpg_device_remove(struct reg_pg *r, const char *serial, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);

	if (rc == SZTP_OK) {
		rc = run_keyed(r, S_DEV_REMOVE, serial, "removing a device", e);
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc, "device %s is not enrolled", serial);
	}
	return rc;
}

static sztp_rc device_seen_stmt(struct reg_pg *r, enum stmt_id id, const char *serial,
				const char *state, int64_t now, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	rpg_arg_str(&a, serial);
	rpg_arg_int(&a, now ? now : (int64_t)time(NULL));
	rpg_arg_str(&a, state); /* NULL: the state stays */
	res = st_write(r, id, &a, "recording a device contact", &rc, e);
	if (res && rpg_changes(res) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "device %s is not enrolled", serial);
	PQclear(res);
	return rc;
}

sztp_rc rpg_device_seen(struct reg_pg *r, const char *serial, const char *state, int64_t now,
			struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);

	if (rc == SZTP_OK && state)
		rc = reg_valid_str("device state", state, REG_STATE_MAX, 0, e);
	if (rc == SZTP_OK)
		rc = device_seen_stmt(r, S_DEV_SEEN, serial, state, now, e);
	return rc;
}

sztp_rc rpg_device_list(struct reg_pg *r, reg_device_cb cb, void *arg, struct sztp_err *e)
{
	struct reg_device d;
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;
	int i, n;

	/* held while the callbacks run, as the SQLite backend does */
	rpg_lock(r);
	res = st_exec(r, S_DEV_LIST, NULL, "listing devices", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && i < n; i++) {
		rc = rpg_row_device(res, i, &d, e);
		if (rc == SZTP_OK && cb(&d, arg))
			i = n;
		reg_device_clear(&d);
	}
	PQclear(res);
	rpg_unlock(r);
	return rc;
}

sztp_rc rpg_device_count(struct reg_pg *r, int64_t *n, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	*n = 0;
	res = st_exec(r, S_DEV_COUNT, NULL, "counting devices", &rc, e);
	if (res && PQntuples(res) == 1)
		*n = rpg_col_int(res, 0, 0);
	else if (res)
		rc = sztp_err_set(e, SZTP_E_DB, "registry: counting devices failed: no row");
	PQclear(res);
	return rc;
}

/* ---- profiles ----------------------------------------------------------- */

/* Reads PROF_COLS starting at column b of row i; p is cleared on failure. */
sztp_rc rpg_row_profile(PGresult *res, int i, int b, struct reg_profile *p, struct sztp_err *e)
{
	int kind = 0, sign = 0, rep = 0;
	sztp_rc rc;

	memset(p, 0, sizeof(*p));
	rc = rpg_col_str(res, i, b, p->name, sizeof(p->name), e);
	if (rc == SZTP_OK)
		rc = rpg_col_enum(res, i, b + 1, reg_kind_names, 2, &kind, e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, i, b + 2, &p->conveyed_json, e);
	if (rc == SZTP_OK)
		rc = rpg_col_enum(res, i, b + 3, reg_sign_names, 3, &sign, e);
	if (rc == SZTP_OK)
		rc = rpg_col_enum(res, i, b + 4, reg_report_names, 2, &rep, e);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, i, b + 5, p->owner, sizeof(p->owner), e);
	p->kind = (enum reg_kind)kind;
	p->sign = (enum reg_sign)sign;
	p->reporting = (enum reg_reporting)rep;
	p->revision = rpg_col_int(res, i, b + 6);
	if (rc == SZTP_OK) {
		int64_t bits = rpg_col_int(res, i, b + 7);

		if (bits & ~(int64_t)REG_LENIENT_ALL)
			rc = sztp_err_set(e, SZTP_E_DB,
					  "profile '%s': lenient bits %#llx are unknown to this "
					  "version",
					  p->name, (unsigned long long)bits);
		p->lenient = (unsigned)bits & REG_LENIENT_ALL;
	}
	if (rc != SZTP_OK)
		reg_profile_clear(p);
	return rc;
}

sztp_rc rpg_profile_get(struct reg_pg *r, const char *name, struct reg_profile *out,
			struct sztp_err *e)
{
	struct rpg_args a = {0};
	PGresult *res = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_str("profile name", name, REG_NAME_MAX, 0, e);
	if (rc != SZTP_OK)
		goto out;
	rpg_arg_str(&a, name);
	res = st_exec(r, S_PROF_GET, &a, "reading a profile", &rc, e);
	if (res && PQntuples(res) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "profile '%s' does not exist", name);
	else if (res)
		rc = rpg_row_profile(res, 0, 0, out, e);
	PQclear(res);
out:
	if (rc != SZTP_OK)
		reg_profile_clear(out);
	return rc;
}

sztp_rc rpg_profile_put(struct reg_pg *r, const struct reg_profile *p, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = reg_valid_profile(p, e);

	if (rc != SZTP_OK)
		return rc;
	rpg_arg_str(&a, p->name);
	rpg_arg_str(&a, reg_kind_names[p->kind]);
	rpg_arg_str(&a, p->conveyed_json); /* NULL stays NULL, "" stays "" */
	rpg_arg_str(&a, reg_sign_names[p->sign]);
	rpg_arg_str(&a, reg_report_names[p->reporting]);
	rpg_arg_str(&a, p->owner);
	rpg_arg_int(&a, (int64_t)p->lenient);
	return rpg_run(r, stmt_sql[S_PROF_PUT], &a, "writing a profile", 1, e);
}

/* Counts the devices using a profile, then removes it. */
static sztp_rc profile_remove(struct reg_pg *r, const char *name, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	int64_t users = 0;
	PGresult *res;

	rpg_arg_str(&a, name);
	res = st_exec(r, S_PROF_USERS, &a, "counting the devices of a profile", &rc, e);
	if (!res)
		return rc;
	users = PQntuples(res) == 1 ? rpg_col_int(res, 0, 0) : 0;
	PQclear(res);
	if (users > 0)
		return sztp_err_set(e, SZTP_E_EXISTS, "profile '%s' is used by %lld device%s", name,
				    (long long)users, users == 1 ? "" : "s");
	rc = run_keyed(r, S_PROF_REMOVE, name, "removing a profile", e);
	if (rc == SZTP_E_NOT_FOUND)
		sztp_err_set(e, rc, "profile '%s' does not exist", name);
	else if (rc != SZTP_OK && rpg_failed_with(r, "23503"))
		/* another instance enrolled a device with it since the count */
		rc = sztp_err_set(e, SZTP_E_EXISTS, "profile '%s' is used by a device", name);
	return rc;
}

sztp_rc rpg_profile_remove(struct reg_pg *r, const char *name, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("profile name", name, REG_NAME_MAX, 0, e);

	if (rc == SZTP_OK) {
		rpg_lock(r);
		rc = rpg_op_begin(r, e);
		if (rc == SZTP_OK)
			rc = rpg_op_end(r, profile_remove(r, name, e), e);
		rpg_unlock(r);
	}
	return rc;
}

sztp_rc rpg_profile_list(struct reg_pg *r, reg_profile_cb cb, void *arg, struct sztp_err *e)
{
	struct reg_profile p;
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;
	int i, n;

	rpg_lock(r);
	res = st_exec(r, S_PROF_LIST, NULL, "listing profiles", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && i < n; i++) {
		rc = rpg_row_profile(res, i, 0, &p, e);
		if (rc == SZTP_OK && cb(&p, arg))
			i = n;
		reg_profile_clear(&p);
	}
	PQclear(res);
	rpg_unlock(r);
	return rc;
}

/* ---- owner identity ----------------------------------------------------- */

/* Appends the chain, in stored order, to o. */
static sztp_rc owner_certs(struct reg_pg *r, struct reg_owner *o, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	sztp_bytes *grown;
	PGresult *res;
	int i, n;

	rpg_arg_str(&a, o->name);
	res = st_exec(r, S_OWN_CERTS, &a, "reading an owner certificate chain", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && i < n; i++) {
		grown = realloc(o->chain, (o->n_chain + 1) * sizeof(*grown));
		if (!grown) {
			rc = sztp_err_set(e, SZTP_E_NOMEM, "registry: out of memory");
			break;
		}
		o->chain = grown;
		rc = rpg_col_bytes(res, i, 0, &o->chain[o->n_chain], e);
		if (rc == SZTP_OK)
			o->n_chain++;
	}
	PQclear(res);
	return rc;
}

static sztp_rc owner_get(struct reg_pg *r, const char *name, struct reg_owner *o,
			 struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	rpg_arg_str(&a, name);
	res = st_exec(r, S_OWN_GET, &a, "reading an owner identity", &rc, e);
	if (res && PQntuples(res) == 0) {
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "owner identity '%s' does not exist", name);
	} else if (res) {
		rc = rpg_col_str(res, 0, 0, o->name, sizeof(o->name), e);
		if (rc == SZTP_OK)
			rc = rpg_col_dup(res, 0, 1, &o->key_path, e);
		o->revision = rpg_col_int(res, 0, 2);
	}
	PQclear(res);
	if (rc == SZTP_OK)
		rc = owner_certs(r, o, e);
	if (rc != SZTP_OK)
		reg_owner_clear(o);
	return rc;
}

sztp_rc rpg_owner_get(struct reg_pg *r, const char *name, struct reg_owner *out, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_str("owner name", name, REG_NAME_MAX, 0, e);
	if (rc != SZTP_OK)
		goto out;
	rpg_lock(r);
	/* one read transaction: the row and its chain from the same snapshot */
	rc = rpg_op_begin_read(r, e);
	if (rc == SZTP_OK)
		rc = rpg_op_end(r, owner_get(r, name, out, e), e);
	rpg_unlock(r);
out:
	/* also when owner_get succeeded and the COMMIT then failed */
	if (rc != SZTP_OK)
		reg_owner_clear(out);
	return rc;
}

static sztp_rc owner_put(struct reg_pg *r, const struct reg_owner *o, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	size_t i;

	rpg_arg_str(&a, o->name);
	rpg_arg_opt(&a, o->key_path);
	rc = rpg_run(r, stmt_sql[S_OWN_PUT], &a, "writing an owner identity", 1, e);
	if (rc != SZTP_OK)
		return rc;
	rc = run_keyed(r, S_OWN_CERTS_DEL, o->name, "replacing an owner chain", e);
	if (rc == SZTP_E_NOT_FOUND) /* there was no chain before */
		rc = SZTP_OK;
	for (i = 0; rc == SZTP_OK && i < o->n_chain; i++) {
		memset(&a, 0, sizeof(a));
		rpg_arg_str(&a, o->name);
		rpg_arg_int(&a, (int64_t)i);
		rpg_arg_bytes(&a, o->chain[i].data, o->chain[i].len);
		rc = rpg_run(r, stmt_sql[S_OWN_CERT_ADD], &a, "storing an owner certificate", 1, e);
	}
	return rc;
}

sztp_rc rpg_owner_put(struct reg_pg *r, const struct reg_owner *o, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("owner name", o->name, sizeof(o->name), 0, e);
	size_t i;

	for (i = 0; rc == SZTP_OK && i < o->n_chain; i++) {
		if (!o->chain[i].data || !o->chain[i].len)
			rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
					  "owner '%s': certificate %zu of the chain is empty",
					  o->name, i + 1);
	}
	if (rc == SZTP_OK) {
		rpg_lock(r);
		rc = rpg_op_begin(r, e);
		if (rc == SZTP_OK)
			rc = rpg_op_end(r, owner_put(r, o, e), e);
		rpg_unlock(r);
	}
	return rc;
}

/* ---- get-bootstrapping-data --------------------------------------------- */

/* Reads a row of S_BOOTSTRAP into b (zeroed by the caller; the caller
 * clears it on failure). */
static sztp_rc row_bootstrap(PGresult *res, struct reg_bootstrap *b, struct sztp_err *e)
{
	sztp_rc rc = rpg_row_device(res, 0, &b->dev, e);

	if (rc != SZTP_OK)
		return rc;
	if (!rpg_isnull(res, 0, BOOT_PROF)) {
		b->has_profile = 1;
		rc = rpg_row_profile(res, 0, BOOT_PROF, &b->prof, e);
		if (rc != SZTP_OK)
			return rc;
	}
	if (rpg_col_int(res, 0, BOOT_OWNER)) {
		b->has_owner = 1;
		b->owner_revision = rpg_col_int(res, 0, BOOT_OWNER + 1);
	}
	return rc;
}

sztp_rc rpg_bootstrap_get(struct reg_pg *r, const char *serial, struct reg_bootstrap *out,
			  struct sztp_err *e)
{
	PGresult *res = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_serial(serial, e);
	if (rc != SZTP_OK)
		goto out;
	/* one statement: device, profile and owner from one snapshot */
	rc = device_one(r, S_BOOTSTRAP, serial, &res, e);
	if (rc == SZTP_OK)
		rc = row_bootstrap(res, out, e);
	PQclear(res);
out:
	if (rc != SZTP_OK)
		reg_bootstrap_clear(out);
	return rc;
}

/* ---- progress reports --------------------------------------------------- */

sztp_rc rpg_row_progress(PGresult *res, int i, struct reg_progress *p, struct sztp_err *e)
{
	sztp_rc rc;

	memset(p, 0, sizeof(*p));
	rc = rpg_col_str(res, i, 0, p->serial, sizeof(p->serial), e);
	p->time = rpg_col_int(res, i, 1);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, i, 2, p->peer, sizeof(p->peer), e);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, i, 3, p->type, sizeof(p->type), e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, i, 4, &p->message, e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, i, 5, &p->ssh_host_keys, e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, i, 6, &p->trust_anchors, e);
	p->id = rpg_col_int(res, i, PROG_ID_COL);
	if (rc != SZTP_OK)
		reg_progress_clear(p);
	return rc;
}

/* Sets the device state (NOT_FOUND for an unknown device), then stores. */
static sztp_rc progress_add(struct reg_pg *r, const struct reg_progress *p, int64_t t,
			    struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = device_seen_stmt(r, S_DEV_SEEN_REPORT, p->serial, p->type, t, e);

	if (rc != SZTP_OK)
		return rc;
	rpg_arg_str(&a, p->serial);
	rpg_arg_int(&a, t);
	rpg_arg_str(&a, p->peer);
	rpg_arg_str(&a, p->type);
	rpg_arg_opt(&a, p->message);
	rpg_arg_opt(&a, p->ssh_host_keys);
	rpg_arg_opt(&a, p->trust_anchors);
	rc = rpg_run(r, stmt_sql[S_PROG_ADD], &a, "storing a progress report", 1, e);
	/* its events commit with it (or neither does: the caller's op_end) */
	if (rc == SZTP_OK)
		rc = rpg_progress_events(r, p, t, e);
	return rc;
}

sztp_rc rpg_progress_add(struct reg_pg *r, const struct reg_progress *p, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_progress(p, e);
	int64_t t = p->time ? p->time : (int64_t)time(NULL);

	if (rc == SZTP_OK) {
		rpg_lock(r);
		rc = rpg_op_begin(r, e);
		if (rc == SZTP_OK)
			rc = rpg_op_end(r, progress_add(r, p, t, e), e);
		rpg_unlock(r);
	}
	return rc;
}

/* Runs a *_LIST_ALL / *_LIST_ONE pair: $1 the limit (NULL: none), $2 the
 * serial. */
static PGresult *list_exec(struct reg_pg *r, enum stmt_id all, enum stmt_id one, const char *serial,
			   int limit, const char *what, sztp_rc *rc, struct sztp_err *e)
{
	struct rpg_args a = {0};

	rpg_arg_limit(&a, limit);
	if (serial)
		rpg_arg_str(&a, serial);
	return st_exec(r, serial ? one : all, &a, what, rc, e);
}

sztp_rc rpg_progress_list(struct reg_pg *r, const char *serial, int limit, reg_progress_cb cb,
			  void *arg, struct sztp_err *e)
{
	sztp_rc rc = serial ? reg_valid_serial(serial, e) : SZTP_OK;
	struct reg_progress p;
	PGresult *res;
	int i, n;

	if (rc != SZTP_OK)
		return rc;
	rpg_lock(r);
	res = list_exec(r, S_PROG_LIST_ALL, S_PROG_LIST_ONE, serial, limit,
			"listing progress reports", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && i < n; i++) {
		rc = rpg_row_progress(res, i, &p, e);
		if (rc == SZTP_OK && cb(&p, arg))
			i = n;
		reg_progress_clear(&p);
	}
	PQclear(res);
	rpg_unlock(r);
	return rc;
}

/* ---- bootstrapping log -------------------------------------------------- */

sztp_rc rpg_log_add(struct reg_pg *r, const struct reg_log *l, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = reg_valid_log(l, e);

	if (rc != SZTP_OK)
		return rc;
	rpg_arg_str(&a, l->serial);
	rpg_arg_int(&a, l->time ? l->time : (int64_t)time(NULL));
	rpg_arg_str(&a, l->peer);
	rpg_arg_str(&a, l->endpoint);
	rpg_arg_str(&a, l->result);
	rpg_arg_int(&a, l->status);
	rpg_arg_int(&a, l->duration_us);
	return rpg_run(r, stmt_sql[S_LOG_ADD], &a, "writing the bootstrap log", 1, e);
}

static sztp_rc prune(struct reg_pg *r, enum stmt_id id, int64_t before, int64_t *deleted,
		     struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	rpg_arg_int(&a, before);
	res = st_write(r, id, &a, "pruning old rows", &rc, e);
	if (res)
		*deleted += rpg_changes(res);
	PQclear(res);
	return rc;
}

sztp_rc rpg_prune(struct reg_pg *r, int64_t before, int64_t *log_deleted, int64_t *progress_deleted,
		  struct sztp_err *e)
{
	int64_t nlog = 0, nprog = 0;
	sztp_rc rc = SZTP_E_DB;

	rpg_lock(r);
	rc = rpg_op_begin(r, e);
	if (rc == SZTP_OK) {
		rc = prune(r, S_LOG_PRUNE, before, &nlog, e);
		if (rc == SZTP_OK)
			rc = prune(r, S_PROG_PRUNE, before, &nprog, e);
		rc = rpg_op_end(r, rc, e);
	}
	rpg_unlock(r);
	/* rolled back on failure: nothing was deleted */
	if (log_deleted)
		*log_deleted = rc == SZTP_OK ? nlog : 0;
	if (progress_deleted)
		*progress_deleted = rc == SZTP_OK ? nprog : 0;
	return rc;
}

/* One statement of reg_log_trim: $1 its bound, $2 the rows it may take. */
static sztp_rc trim_step(struct reg_pg *r, enum stmt_id id, int64_t bound, int limit, int64_t *n,
			 struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	rpg_arg_int(&a, bound);
	rpg_arg_int(&a, limit);
	/* the whole trim is one transaction: no savepoint of its own */
	res = st_exec(r, id, &a, "trimming the bootstrap log", &rc, e);
	if (res)
		*n += rpg_changes(res);
	PQclear(res);
	return rc;
}

sztp_rc rpg_log_trim(struct reg_pg *r, int64_t before, int64_t keep, int limit, int64_t *deleted,
		     struct sztp_err *e)
{
	int64_t n = 0;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	if (limit <= 0) {
		sztp_err_set(e, rc, "registry: trim limit must be positive");
		goto out;
	}
	if ((rc = rpg_begin_nosync(r, e)) != SZTP_OK)
		goto out;
	if (before > 0)
		rc = trim_step(r, S_LOG_TRIM_AGE, before, limit, &n, e);
	if (rc == SZTP_OK && keep > 0 && n < limit)
		rc = trim_step(r, S_LOG_TRIM_ROWS, keep, limit - (int)n, &n, e);
	if (rc == SZTP_OK)
		rc = rpg_commit(r, e);
	else
		rpg_rollback(r);
out:
	if (deleted)
		*deleted = rc == SZTP_OK ? n : 0;
	return rc;
}

sztp_rc rpg_row_log(PGresult *res, int i, struct reg_log *l, struct sztp_err *e)
{
	sztp_rc rc;

	memset(l, 0, sizeof(*l));
	rc = rpg_col_str(res, i, 0, l->serial, sizeof(l->serial), e);
	l->time = rpg_col_int(res, i, 1);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, i, 2, l->peer, sizeof(l->peer), e);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, i, 3, l->endpoint, sizeof(l->endpoint), e);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, i, 4, l->result, sizeof(l->result), e);
	l->status = (int)rpg_col_int(res, i, 5);
	l->duration_us = rpg_col_int(res, i, 6);
	l->id = rpg_col_int(res, i, LOG_ID_COL);
	if (rc != SZTP_OK)
		memset(l, 0, sizeof(*l));
	return rc;
}

/* serial "" lists the unauthenticated requests. */
sztp_rc rpg_log_list(struct reg_pg *r, const char *serial, int limit, reg_log_cb cb, void *arg,
		     struct sztp_err *e)
{
	sztp_rc rc =
	    serial ? reg_valid_str("device serial number", serial, PKI_SERIAL_MAX, 1, e) : SZTP_OK;
	struct reg_log l;
	PGresult *res;
	int i, n;

	if (rc != SZTP_OK)
		return rc;
	rpg_lock(r);
	res = list_exec(r, S_LOG_LIST_ALL, S_LOG_LIST_ONE, serial, limit,
			"listing the bootstrap log", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && i < n; i++) {
		rc = rpg_row_log(res, i, &l, e);
		if (rc == SZTP_OK && cb(&l, arg))
			i = n;
	}
	PQclear(res);
	rpg_unlock(r);
	return rc;
}

/* ---- IDevID pinning, authentication read, owner names ------------------- */

/* A pin column: 32 bytes or NULL. */
static sztp_rc col_pin(PGresult *res, int col, int *has, uint8_t pin[REG_PIN_LEN],
		       struct sztp_err *e)
{
	sztp_bytes b = {0};
	sztp_rc rc;

	*has = 0;
	memset(pin, 0, REG_PIN_LEN);
	if (rpg_isnull(res, 0, col))
		return SZTP_OK;
	rc = rpg_col_bytes(res, 0, col, &b, e);
	if (rc == SZTP_OK && b.len != REG_PIN_LEN)
		rc = sztp_err_set(e, SZTP_E_DB, "registry: stored IDevID pin has %d bytes",
				  (int)b.len);
	if (rc == SZTP_OK) {
		memcpy(pin, b.data, REG_PIN_LEN);
		*has = 1;
	}
	sztp_bytes_free(&b);
	return rc;
}

sztp_rc rpg_device_auth_get(struct reg_pg *r, const char *serial, struct reg_device_auth *out,
			    struct sztp_err *e)
{
	PGresult *res = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_serial(serial, e);
	if (rc != SZTP_OK)
		goto out;
	rc = device_one(r, P_AUTH, serial, &res, e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, 0, 0, &out->password_hash, e);
	if (rc == SZTP_OK) {
		out->pin_required = rpg_col_int(res, 0, 1) != 0;
		rc = col_pin(res, 2, &out->has_pin, out->pin, e);
	}
	PQclear(res);
out:
	if (rc != SZTP_OK)
		reg_device_auth_clear(out);
	return rc;
}

/* The device's pin (has = 0 when none); NOT_FOUND when not enrolled. */
static sztp_rc pin_get(struct reg_pg *r, const char *serial, int *has, uint8_t pin[REG_PIN_LEN],
		       struct sztp_err *e)
{
	PGresult *res = NULL;
	sztp_rc rc = device_one(r, P_PIN_GET, serial, &res, e);

	*has = 0;
	memset(pin, 0, REG_PIN_LEN);
	if (rc == SZTP_OK)
		rc = col_pin(res, 0, has, pin, e);
	PQclear(res);
	return rc;
}

sztp_rc rpg_device_pin_get(struct reg_pg *r, const char *serial, int *has, uint8_t pin[REG_PIN_LEN],
			   struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);

	*has = 0;
	memset(pin, 0, REG_PIN_LEN);
	if (rc == SZTP_OK)
		rc = pin_get(r, serial, has, pin, e);
	if (rc != SZTP_OK) {
		*has = 0;
		memset(pin, 0, REG_PIN_LEN);
	}
	return rc;
}

/* Runs an UPDATE keyed by $1 = key with $2 = pin (NULL: SQL NULL), or
 * $2 = value for P_PROF_PIN_SET; *changed = rows changed. */
static sztp_rc pin_update(struct reg_pg *r, enum stmt_id id, const char *key, const uint8_t *pin,
			  int value, int *changed, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	*changed = 0;
	rpg_arg_str(&a, key);
	if (id == P_PROF_PIN_SET)
		rpg_arg_int(&a, value);
	else
		rpg_arg_bytes(&a, pin, pin ? REG_PIN_LEN : 0);
	res = st_write(r, id, &a, "writing an IDevID pin setting", &rc, e);
	if (res)
		*changed = (int)rpg_changes(res);
	PQclear(res);
	return rc;
}

static sztp_rc pin_record(struct reg_pg *r, const char *serial, const uint8_t pin[REG_PIN_LEN],
			  int *recorded, struct sztp_err *e)
{
	uint8_t have[REG_PIN_LEN];
	int changed = 0, has = 0;
	sztp_rc rc = pin_update(r, P_PIN_RECORD, serial, pin, 0, &changed, e);

	if (rc != SZTP_OK || changed) {
		*recorded = changed != 0;
		return rc;
	}
	/* nothing written: not enrolled, or a pin is there already (a
	 * concurrent first contact's UPDATE waits for the other's commit,
	 * then finds the pin set: this read sees it) */
	rc = pin_get(r, serial, &has, have, e);
	if (rc == SZTP_OK && !has)
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "registry: IDevID pin of %s not written",
				  serial);
	if (rc == SZTP_OK && memcmp(have, pin, REG_PIN_LEN) != 0)
		rc = sztp_err_set(e, SZTP_E_MISMATCH, "device %s has a different IDevID key pinned",
				  serial);
	return rc;
}

sztp_rc rpg_device_pin_record(struct reg_pg *r, const char *serial, const uint8_t pin[REG_PIN_LEN],
			      int *recorded, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);

	*recorded = 0;
	if (rc == SZTP_OK) {
		rpg_lock(r);
		rc = rpg_op_begin(r, e);
		if (rc == SZTP_OK)
			rc = rpg_op_end(r, pin_record(r, serial, pin, recorded, e), e);
		rpg_unlock(r);
	}
	if (rc != SZTP_OK)
		*recorded = 0;
	return rc;
}

sztp_rc rpg_device_pin_set(struct reg_pg *r, const char *serial, const uint8_t *pin,
			   struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);
	int changed = 0;

	if (rc == SZTP_OK)
		rc = pin_update(r, P_PIN_SET, serial, pin, 0, &changed, e);
	if (rc == SZTP_OK && !changed)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "device %s is not enrolled", serial);
	return rc;
}

sztp_rc rpg_profile_pin_set(struct reg_pg *r, const char *name, int on, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("profile name", name, REG_NAME_MAX, 0, e);
	int changed = 0;

	if (rc == SZTP_OK)
		rc = pin_update(r, P_PROF_PIN_SET, name, NULL, on ? 1 : 0, &changed, e);
	if (rc == SZTP_OK && !changed)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "profile '%s' does not exist", name);
	return rc;
}

sztp_rc rpg_profile_pin_get(struct reg_pg *r, const char *name, int *on, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("profile name", name, REG_NAME_MAX, 0, e);
	struct rpg_args a = {0};
	PGresult *res;

	*on = 0;
	if (rc != SZTP_OK)
		return rc;
	rpg_arg_str(&a, name);
	res = st_exec(r, P_PROF_PIN_GET, &a, "reading a profile", &rc, e);
	if (res && PQntuples(res) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "profile '%s' does not exist", name);
	else if (res)
		*on = rpg_col_int(res, 0, 0) != 0;
	PQclear(res);
	return rc;
}

sztp_rc rpg_owner_names(struct reg_pg *r, reg_name_cb cb, void *arg, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;
	int i, n;

	rpg_lock(r);
	res = st_exec(r, P_OWNER_NAMES, NULL, "listing owner identities", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; i < n; i++)
		if (cb(PQgetvalue(res, i, 0), arg))
			break;
	PQclear(res);
	rpg_unlock(r);
	return rc;
}
