/*
 * registry_pg_copy.c - the PostgreSQL side of copying a registry between
 * backends (registry.h reg_copy_*, db/registry_copy.c has the tables):
 * dumping a table's rows as typed values from one REPEATABLE READ
 * snapshot (streamed a row at a time: libpq's single-row mode, so a
 * large bootstrapping log is not held in memory), and filling a new
 * registry.
 *
 * The target is filled on a connection of its own, in ONE transaction
 * that also creates the schema (every migration of
 * db/migrations/pg/ and its schema_version row, under the same advisory
 * lock as registry_pg.c's migration, so an sztpd starting on that
 * database meanwhile waits and then finds the whole registry): until the
 * COMMIT nothing is visible, and a failure, a lost connection or a
 * killed process leaves the database as it was.  Ids are kept (INSERT
 * ... OVERRIDING SYSTEM VALUE into the identity columns) and each
 * identity sequence is set to the source's high-water mark, so new ids
 * continue above every id the source ever gave.
 *
 * The target's statements are built from the table list at run time and
 * prepared on that private connection under their own names ("copy_N"),
 * not through rpg_exec's cache (which is keyed by the address of static
 * texts on the registry's connection).
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

#define COPY_TABLES_MAX 32
/* registry_pg.c's advisory lock of the schema migration ("sztp") */
#define COPY_MIGRATION_LOCK "1937011824"

/* Rows sent before their results are read (libpq's pipeline mode: one
 * round trip per batch instead of one per row). */
#define COPY_BATCH 256

struct rpg_copy {
	PGconn *conn;
	char where[256]; /* the URI without its password, for messages */
	int prepared[COPY_TABLES_MAX];
	int piped;		    /* in pipeline mode */
	size_t pending;		    /* rows sent, results not read */
	char keys[COPY_BATCH][112]; /* what each pending row is, for messages */
};

/* "registry: WHAT failed: <server's message>", its code by SQLSTATE. */
static sztp_rc copy_fail(PGconn *conn, PGresult *res, const char *what, struct sztp_err *e)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	sztp_rc rc = SZTP_E_DB;
	char m[300];
	size_t n;

	if (!state || !strncmp(state, "08", 2) || !strncmp(state, "57P", 3) ||
	    PQstatus(conn) != CONNECTION_OK)
		rc = SZTP_E_UNAVAILABLE;
	else if (!strncmp(state, "22", 2))
		rc = SZTP_E_INVALID_VALUE;
	snprintf(m, sizeof(m), "%s%s%s", msg ? msg : PQerrorMessage(conn), detail ? " (" : "",
		 detail ? detail : "");
	n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		m[--n] = '\0';
	return sztp_err_set(e, rc, "registry: %s failed: %s%s", what, m, detail ? ")" : "");
}

/* ---- the source -------------------------------------------------------------- */

sztp_rc rpg_copy_snapshot(struct reg_pg *r, int begin, struct sztp_err *e)
{
	sztp_rc rc;

	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	if (begin) {
		rpg_lock(r); /* held until the snapshot ends */
		rc = rpg_op_begin_read(r, e);
		if (rc != SZTP_OK)
			rpg_unlock(r);
		return rc;
	}
	rc = rpg_op_end(r, SZTP_OK, e);
	rpg_unlock(r);
	return rc;
}

sztp_rc rpg_copy_tables(struct reg_pg *r, reg_name_cb cb, void *arg, struct sztp_err *e)
{
	static const char sql[] = "SELECT tablename FROM pg_tables WHERE schemaname = "
				  "current_schema() ORDER BY tablename";
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;
	int i;

	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	res = rpg_exec(r, sql, NULL, "listing the tables", &rc, e);
	for (i = 0; res && i < PQntuples(res); i++)
		if (cb(PQgetvalue(res, i, 0), arg))
			break;
	PQclear(res);
	return rc;
}

static sztp_rc check_columns(PGresult *res, const struct reg_copy_table *t, struct sztp_err *e)
{
	size_t i, n = (size_t)PQnfields(res);

	for (i = 0; i < n || i < t->n_cols; i++) {
		const char *have = i < n ? PQfname(res, (int)i) : "(none)";
		const char *want = i < t->n_cols ? t->cols[i] : "(none)";

		if (strcmp(have, want) != 0)
			return sztp_err_set(
			    e, SZTP_E_UNSUPPORTED,
			    "registry: table %s: column %zu is %s, the copy knows %s "
			    "(a schema this program does not copy)",
			    t->name, i + 1, have, want);
	}
	return SZTP_OK;
}

/* One row of a text-format result as typed values; blobs are unescaped
 * into bufs (freed by the caller with PQfreemem). */
static sztp_rc row_values(PGresult *res, const struct reg_copy_table *t, struct reg_value *row,
			  unsigned char **bufs, struct sztp_err *e)
{
	size_t i, n;

	for (i = 0; i < t->n_cols; i++) {
		struct reg_value *v = &row[i];
		const char *s = PQgetvalue(res, 0, (int)i);

		memset(v, 0, sizeof(*v));
		bufs[i] = NULL;
		if (PQgetisnull(res, 0, (int)i))
			continue;
		switch (t->types[i]) {
		case 'i':
			v->type = REG_VAL_INT;
			v->i = strtoll(s, NULL, 10);
			break;
		case 'b':
			n = 0;
			if (!(bufs[i] = PQunescapeBytea((const unsigned char *)s, &n)))
				return sztp_err_set(e, SZTP_E_NOMEM, "registry: out of memory");
			v->type = REG_VAL_BLOB;
			v->p = bufs[i];
			v->len = n;
			break;
		default:
			v->type = REG_VAL_TEXT;
			v->p = s;
			v->len = (size_t)PQgetlength(res, 0, (int)i);
			break;
		}
	}
	return SZTP_OK;
}

sztp_rc rpg_copy_dump(struct reg_pg *r, const struct reg_copy_table *t, reg_row_cb cb, void *arg,
		      struct sztp_err *e)
{
	unsigned char *bufs[REG_COPY_COLS_MAX] = {NULL};
	struct reg_value row[REG_COPY_COLS_MAX];
	PGresult *res = NULL;
	sztp_rc rc = SZTP_E_UNAVAILABLE;
	char what[96];
	int checked = 0, draining = 0;
	size_t i;

	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	if (t->n_cols > REG_COPY_COLS_MAX)
		return sztp_err_set(e, SZTP_E_INTERNAL, "registry: %s has too many columns",
				    t->name);
	snprintf(what, sizeof(what), "reading table %s", t->name);
	rpg_lock(r);
	if (!r->conn || r->broken || PQstatus(r->conn) != CONNECTION_OK) {
		sztp_err_set(e, rc, "registry: %s failed: the connection was lost", what);
		goto out;
	}
	if (!PQsendQueryParams(r->conn, t->select, 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(r->conn)) {
		rc = copy_fail(r->conn, NULL, what, e);
		goto out;
	}
	rc = SZTP_OK;
	while ((res = PQgetResult(r->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (!draining && (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) && !checked) {
			checked = 1;
			if ((rc = check_columns(res, t, e)) != SZTP_OK)
				draining = 1;
		}
		if (!draining && st == PGRES_SINGLE_TUPLE) {
			rc = row_values(res, t, row, bufs, e);
			if (rc == SZTP_OK)
				rc = cb(arg, row, e);
			for (i = 0; i < t->n_cols; i++) {
				PQfreemem(bufs[i]);
				bufs[i] = NULL;
			}
			if (rc != SZTP_OK)
				draining = 1; /* read the rest away: the connection stays usable */
		} else if (!draining && st != PGRES_TUPLES_OK) {
			rc = copy_fail(r->conn, res, what, e);
			draining = 1;
		}
		PQclear(res);
	}
	if (PQstatus(r->conn) != CONNECTION_OK)
		r->broken = 1;
out:
	rpg_unlock(r);
	return rc;
}

sztp_rc rpg_copy_id_mark(struct reg_pg *r, const struct reg_copy_table *t, int64_t *n,
			 struct sztp_err *e)
{
	static const char sql[] = "SELECT coalesce(pg_sequence_last_value("
				  "pg_get_serial_sequence($1, 'id')::regclass), 0)";
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	*n = 0;
	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	rpg_arg_str(&a, t->name);
	res = rpg_exec(r, sql, &a, "reading an identity sequence", &rc, e);
	if (res && PQntuples(res) == 1)
		*n = rpg_col_int(res, 0, 0);
	PQclear(res);
	return rc;
}

/* ---- the target -------------------------------------------------------------- */

/* A statement without parameters that must succeed. */
static sztp_rc run(struct rpg_copy *c, const char *sql, const char *what, struct sztp_err *e)
{
	PGresult *res = PQexec(c->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	sztp_rc rc = SZTP_OK;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = copy_fail(c->conn, res, what, e);
	PQclear(res);
	return rc;
}

/* The new schema in the open transaction: every migration and its row. */
static sztp_rc make_schema(struct rpg_copy *c, struct sztp_err *e)
{
	static const char ins[] = "INSERT INTO schema_version (version, name, applied) "
				  "VALUES ($1, $2, $3)";
	PGresult *res = NULL;
	sztp_rc rc = SZTP_E_DB;
	char what[96], ver[16], now[24];
	const char *vals[3];
	size_t i;

	res = PQexec(c->conn, "SELECT 1 WHERE to_regclass('schema_version') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = copy_fail(c->conn, res, "looking for a registry", e);
		goto out;
	}
	if (PQntuples(res) > 0) {
		PQclear(res);
		res = PQexec(c->conn, "SELECT coalesce(max(version), 0) FROM schema_version");
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
			rc = copy_fail(c->conn, res, "reading the schema version", e);
			goto out;
		}
		rc = sztp_err_set(e, SZTP_E_EXISTS,
				  "%s holds an sztp registry already (schema version %s); migrate "
				  "makes a new one: give an empty database (createdb)",
				  c->where, PQgetvalue(res, 0, 0));
		goto out;
	}
	rc = SZTP_OK;
	for (i = 0; i < reg_migrations_pg_count && rc == SZTP_OK; i++) {
		const struct reg_migration *m = &reg_migrations_pg[i];

		snprintf(what, sizeof(what), "schema migration %s", m->name);
		if ((rc = run(c, m->sql, what, e)) != SZTP_OK)
			break;
		snprintf(ver, sizeof(ver), "%d", m->version);
		snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
		vals[0] = ver;
		vals[1] = m->name;
		vals[2] = now;
		PQclear(res);
		res = PQexecParams(c->conn, ins, 3, NULL, vals, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = copy_fail(c->conn, res, what, e);
	}
out:
	PQclear(res);
	return rc;
}

static sztp_rc unpipe(struct rpg_copy *c, struct sztp_err *e);

static void copy_close(struct rpg_copy *c)
{
	if (!c)
		return;
	if (c->conn) {
		unpipe(c, NULL);
		if (PQstatus(c->conn) == CONNECTION_OK &&
		    PQtransactionStatus(c->conn) != PQTRANS_IDLE)
			PQclear(PQexec(c->conn, "ROLLBACK"));
		PQfinish(c->conn);
	}
	free(c);
}

sztp_rc rpg_copy_create(const char *conninfo, struct rpg_copy **out, struct sztp_err *e)
{
	const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *vals[] = {"5", "sztpctl-migrate", conninfo, NULL};
	struct rpg_copy *c = NULL;
	sztp_rc rc = SZTP_E_NOMEM;
	char msg[300];
	size_t n;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c)))) {
		sztp_err_set(e, rc, "registry: out of memory");
		goto out;
	}
	reg_redact(conninfo, c->where, sizeof(c->where));
	c->conn = PQconnectdbParams(keys, vals, 1);
	if (!c->conn) {
		sztp_err_set(e, rc, "registry: out of memory");
		goto out;
	}
	rc = SZTP_E_UNAVAILABLE;
	if (PQstatus(c->conn) != CONNECTION_OK) {
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c->conn));
		n = strlen(msg);
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		sztp_err_set(e, rc, "registry: cannot connect to %s: %s", c->where, msg);
		goto out;
	}
	if (PQsetClientEncoding(c->conn, "UTF8") != 0) {
		sztp_err_set(e, rc, "registry: %s: cannot use UTF8", c->where);
		goto out;
	}
	rc = run(c, "BEGIN", "starting the copy's transaction", e);
	if (rc == SZTP_OK)
		rc = run(c, "SELECT pg_advisory_xact_lock(" COPY_MIGRATION_LOCK ")",
			 "locking the schema", e);
	if (rc == SZTP_OK)
		rc = make_schema(c, e);
out:
	if (rc != SZTP_OK) {
		copy_close(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

/* Reads the results of the pending rows (a sync point ends them): the
 * first failure names its row; after it the server skips the rest of the
 * batch (and the transaction is aborted: the copy fails as a whole). */
static sztp_rc drain(struct rpg_copy *c, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	size_t k = 0, nulls = 0;
	PGresult *res;

	if (!c->piped)
		return SZTP_OK;
	if (PQpipelineSync(c->conn) != 1)
		return copy_fail(c->conn, NULL, "copying (sending a batch)", e);
	for (;;) {
		ExecStatusType st;

		if (!(res = PQgetResult(c->conn))) {
			/* between two statements' results; a lost connection
			 * gives nothing more */
			if (PQstatus(c->conn) != CONNECTION_OK || ++nulls > c->pending + 2) {
				if (rc == SZTP_OK)
					rc = copy_fail(c->conn, NULL, "copying", e);
				break;
			}
			continue;
		}
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (st != PGRES_COMMAND_OK && st != PGRES_PIPELINE_ABORTED && rc == SZTP_OK)
			rc = copy_fail(c->conn, res, k < c->pending ? c->keys[k] : "copying", e);
		k++;
		PQclear(res);
	}
	c->pending = 0;
	return rc;
}

/* Out of pipeline mode, every result read (before a statement that waits
 * for its own answer). */
static sztp_rc unpipe(struct rpg_copy *c, struct sztp_err *e)
{
	sztp_rc rc = drain(c, e);

	if (c->piped && PQexitPipelineMode(c->conn) != 1 && rc == SZTP_OK)
		rc = copy_fail(c->conn, NULL, "copying (leaving pipeline mode)", e);
	c->piped = 0;
	return rc;
}

/* INSERT INTO t (cols) [OVERRIDING SYSTEM VALUE] VALUES ($1, ...), prepared
 * once per table on the copy's connection. */
static sztp_rc prepare_insert(struct rpg_copy *c, const struct reg_copy_table *t, char name[16],
			      struct sztp_err *e)
{
	size_t k = (size_t)(t - reg_copy_tables), i, len = 0, cap = 4096;
	PGresult *res = NULL;
	char *sql = NULL;
	sztp_rc rc = SZTP_E_INTERNAL;

	if (t < reg_copy_tables || k >= reg_copy_tables_count || k >= COPY_TABLES_MAX)
		return sztp_err_set(e, rc, "registry: %s is not a table of the copy", t->name);
	snprintf(name, 16, "copy_%u", (unsigned)(k % COPY_TABLES_MAX));
	if (c->prepared[k])
		return SZTP_OK;
	if ((rc = unpipe(c, e)) != SZTP_OK)
		return rc;
	rc = SZTP_E_NOMEM;
	if (!(sql = malloc(cap)))
		return sztp_err_set(e, rc, "registry: out of memory");
	len += (size_t)snprintf(sql + len, cap - len, "INSERT INTO %s (", t->name);
	for (i = 0; i < t->n_cols && len < cap; i++)
		len += (size_t)snprintf(sql + len, cap - len, "%s%s", i ? ", " : "", t->cols[i]);
	if (len < cap)
		len += (size_t)snprintf(sql + len, cap - len, ") %sVALUES (",
					t->has_id ? "OVERRIDING SYSTEM VALUE " : "");
	for (i = 0; i < t->n_cols && len < cap; i++)
		len += (size_t)snprintf(sql + len, cap - len, "%s$%zu", i ? ", " : "", i + 1);
	if (len + 2 >= cap) {
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "registry: %s: statement too long", t->name);
		goto out;
	}
	strcat(sql, ")");
	res = PQprepare(c->conn, name, sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = copy_fail(c->conn, res, "preparing the copy", e);
		goto out;
	}
	c->prepared[k] = 1;
	rc = SZTP_OK;
out:
	PQclear(res);
	free(sql);
	return rc;
}

sztp_rc rpg_copy_load(struct rpg_copy *c, const struct reg_copy_table *t,
		      const struct reg_value *row, struct sztp_err *e)
{
	const char *vals[REG_COPY_COLS_MAX];
	int lens[REG_COPY_COLS_MAX], fmts[REG_COPY_COLS_MAX];
	char nums[REG_COPY_COLS_MAX][24], name[16], *what;
	sztp_rc rc;
	size_t i;

	if ((rc = prepare_insert(c, t, name, e)) != SZTP_OK)
		return rc;
	for (i = 0; i < t->n_cols; i++) {
		const struct reg_value *v = &row[i];

		vals[i] = NULL;
		lens[i] = 0;
		fmts[i] = 0;
		switch (v->type) {
		case REG_VAL_INT:
			snprintf(nums[i], sizeof(nums[i]), "%" PRId64, v->i);
			vals[i] = nums[i];
			break;
		case REG_VAL_TEXT:
			vals[i] = v->p;
			break;
		case REG_VAL_BLOB:
			vals[i] = v->len ? v->p : "";
			lens[i] = (int)v->len;
			fmts[i] = 1;
			break;
		default:
			break;
		}
	}
	what = c->keys[c->pending];
	if (row[0].type == REG_VAL_INT)
		snprintf(what, sizeof(c->keys[0]), "copying %s %s %lld", t->name, t->cols[0],
			 (long long)row[0].i);
	else if (row[0].type == REG_VAL_TEXT)
		snprintf(what, sizeof(c->keys[0]), "copying %s %s '%.60s'", t->name, t->cols[0],
			 (const char *)row[0].p);
	else
		snprintf(what, sizeof(c->keys[0]), "copying %s", t->name);
	if (!c->piped) {
		if (PQenterPipelineMode(c->conn) != 1)
			return copy_fail(c->conn, NULL, "copying (entering pipeline mode)", e);
		c->piped = 1;
	}
	if (PQsendQueryPrepared(c->conn, name, (int)t->n_cols, vals, lens, fmts, 0) != 1) {
		rc = copy_fail(c->conn, NULL, what, e);
		unpipe(c, NULL);
		return rc;
	}
	if (++c->pending == COPY_BATCH)
		rc = drain(c, e);
	return rc;
}

sztp_rc rpg_copy_set_id_mark(struct rpg_copy *c, const struct reg_copy_table *t, int64_t n,
			     struct sztp_err *e)
{
	static const char sql[] = "SELECT setval(pg_get_serial_sequence($1, 'id'), "
				  "greatest($2::bigint, 1), $2::bigint > 0)";
	const char *vals[2];
	char num[24];
	PGresult *res;
	sztp_rc rc = SZTP_OK;

	if ((rc = unpipe(c, e)) != SZTP_OK)
		return rc;
	snprintf(num, sizeof(num), "%" PRId64, n);
	vals[0] = t->name;
	vals[1] = num;
	res = PQexecParams(c->conn, sql, 2, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = copy_fail(c->conn, res, "setting an identity sequence", e);
	PQclear(res);
	return rc;
}

sztp_rc rpg_copy_commit(struct rpg_copy *c, struct sztp_err *e)
{
	PGresult *res;
	sztp_rc rc = SZTP_OK;

	if (!c)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no target");
	if ((rc = unpipe(c, e)) != SZTP_OK) {
		copy_close(c);
		return rc;
	}
	res = PQexec(c->conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = copy_fail(c->conn, res, "committing the copy", e);
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc =
		    sztp_err_set(e, SZTP_E_DB,
				 "registry: committing the copy failed: the server rolled it back");
	PQclear(res);
	copy_close(c);
	return rc;
}

void rpg_copy_abort(struct rpg_copy *c)
{
	copy_close(c);
}
