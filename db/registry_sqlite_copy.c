/*
 * registry_sqlite_copy.c - the SQLite side of copying a registry between
 * backends (registry.h reg_copy_*, db/registry_copy.c has the tables):
 * dumping a table's rows as typed values from one read snapshot, and
 * filling a new registry file.
 *
 * The new file is made beside the target as FILE.migrate-PID, filled in
 * one transaction, closed (which checkpoints its WAL into it) and only
 * then linked to FILE (link(2): never over a file that appeared
 * meanwhile) and the temporary name removed.  A failure removes it; a
 * killed process leaves FILE absent and the FILE.migrate-PID behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "registry.h"
#include "registry_backend.h"
#include "registry_sqlite_internal.h"

#define COPY_TABLES_MAX 32

struct rsq_copy {
	struct reg_sqlite *r;
	char *path; /* the registry to make */
	char *tmp;  /* where it is filled */
	int linked; /* path names it now */
	sqlite3_stmt *ins[COPY_TABLES_MAX];
};

sztp_rc rsq_copy_snapshot(struct reg_sqlite *r, int begin, struct sztp_err *e)
{
	sztp_rc rc;

	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	if (begin) {
		rsql_lock(r); /* held until the snapshot ends */
		rc = rsql_op_begin_read(r, e);
		if (rc != SZTP_OK)
			rsql_unlock(r);
		return rc;
	}
	rc = rsql_op_end(r, SZTP_OK, e);
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_copy_tables(struct reg_sqlite *r, reg_name_cb cb, void *arg, struct sztp_err *e)
{
	static const char sql[] =
	    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
	sqlite3_stmt *s = NULL;
	sztp_rc rc = SZTP_E_DB;
	int src;

	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	rsql_lock(r);
	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK) {
		rc = rsql_db_fail(r, e, "listing the tables");
		goto out;
	}
	while ((src = sqlite3_step(s)) == SQLITE_ROW)
		if (cb((const char *)sqlite3_column_text(s, 0), arg))
			break;
	if (src != SQLITE_ROW && src != SQLITE_DONE) {
		rc = rsql_db_fail(r, e, "listing the tables");
		goto out;
	}
	rc = SZTP_OK;
out:
	sqlite3_finalize(s);
	rsql_unlock(r);
	return rc;
}

/* The table's columns are the list's, in its order. */
static sztp_rc check_columns(sqlite3_stmt *s, const struct reg_copy_table *t, struct sztp_err *e)
{
	size_t i, n = (size_t)sqlite3_column_count(s);

	for (i = 0; i < n || i < t->n_cols; i++) {
		const char *have = i < n ? sqlite3_column_name(s, (int)i) : "(none)";
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

sztp_rc rsq_copy_dump(struct reg_sqlite *r, const struct reg_copy_table *t, reg_row_cb cb,
		      void *arg, struct sztp_err *e)
{
	struct reg_value row[REG_COPY_COLS_MAX];
	sqlite3_stmt *s = NULL;
	sztp_rc rc = SZTP_E_DB;
	char what[96];
	size_t i;
	int src;

	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	if (t->n_cols > REG_COPY_COLS_MAX)
		return sztp_err_set(e, SZTP_E_INTERNAL, "registry: %s has too many columns",
				    t->name);
	snprintf(what, sizeof(what), "reading table %s", t->name);
	rsql_lock(r);
	if (sqlite3_prepare_v2(r->db, t->select, -1, &s, NULL) != SQLITE_OK) {
		rc = rsql_db_fail(r, e, what);
		goto out;
	}
	if ((rc = check_columns(s, t, e)) != SZTP_OK)
		goto out;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < t->n_cols; i++) {
			struct reg_value *v = &row[i];

			memset(v, 0, sizeof(*v));
			if (sqlite3_column_type(s, (int)i) == SQLITE_NULL)
				continue;
			switch (t->types[i]) {
			case 'i':
				v->type = REG_VAL_INT;
				v->i = sqlite3_column_int64(s, (int)i);
				break;
			case 'b':
				v->type = REG_VAL_BLOB;
				v->p = sqlite3_column_blob(s, (int)i);
				v->len = (size_t)sqlite3_column_bytes(s, (int)i);
				if (!v->p)
					v->p = "";
				break;
			default:
				v->type = REG_VAL_TEXT;
				v->p = sqlite3_column_text(s, (int)i);
				v->len = (size_t)sqlite3_column_bytes(s, (int)i);
				if (!v->p) {
					rc = sztp_err_set(e, SZTP_E_NOMEM,
							  "registry: out of memory");
					goto out;
				}
				break;
			}
		}
		if ((rc = cb(arg, row, e)) != SZTP_OK)
			goto out;
	}
	if (src != SQLITE_DONE) {
		rc = rsql_db_fail(r, e, what);
		goto out;
	}
	rc = SZTP_OK;
out:
	sqlite3_finalize(s);
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_copy_id_mark(struct reg_sqlite *r, const struct reg_copy_table *t, int64_t *n,
			 struct sztp_err *e)
{
	static const char sql[] = "SELECT seq FROM sqlite_sequence WHERE name = ?1";
	sqlite3_stmt *s = NULL;
	sztp_rc rc = SZTP_E_DB;
	int src;

	*n = 0;
	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	if (!t->autoincrement)
		return SZTP_OK; /* a rowid table: the next id is max(id) + 1 */
	rsql_lock(r);
	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK ||
	    rsql_bind_str(s, 1, t->name) != SQLITE_OK) {
		rc = rsql_db_fail(r, e, "reading sqlite_sequence");
		goto out;
	}
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	else if (src != SQLITE_DONE) {
		rc = rsql_db_fail(r, e, "reading sqlite_sequence");
		goto out;
	}
	rc = SZTP_OK;
out:
	sqlite3_finalize(s);
	rsql_unlock(r);
	return rc;
}

/* ---- the target ------------------------------------------------------------ */

static void remove_tmp(const char *tmp)
{
	static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
	char p[4096];
	size_t i;

	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", tmp, sides[i]);
		unlink(p);
	}
}

static void copy_free(struct rsq_copy *c)
{
	size_t i;

	for (i = 0; i < COPY_TABLES_MAX; i++)
		sqlite3_finalize(c->ins[i]);
	rsq_close(c->r); /* rolls back an open transaction */
	if (!c->linked && c->tmp)
		remove_tmp(c->tmp);
	free(c->path);
	free(c->tmp);
	free(c);
}

sztp_rc rsq_copy_create(const char *path, struct rsq_copy **out, struct sztp_err *e)
{
	static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
	struct rsq_copy *c = NULL;
	sztp_rc rc = SZTP_E_NOMEM;
	struct stat st;
	char p[4096];
	size_t i;

	*out = NULL;
	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sides[i]);
		if (lstat(p, &st) == 0) {
			rc = sztp_err_set(e, SZTP_E_EXISTS,
					  i ? "%s is left over from an earlier registry; move it "
					      "away first"
					    : "%s exists: the target must be a new registry (a "
					      "path that does not exist yet)",
					  p);
			goto out;
		}
	}
	if (!(c = calloc(1, sizeof(*c))) || !(c->path = strdup(path)) ||
	    !(c->tmp = malloc(strlen(path) + 32))) {
		sztp_err_set(e, rc, "registry: out of memory");
		goto out;
	}
	sprintf(c->tmp, "%s.migrate-%ld", path, (long)getpid());
	if ((rc = rsq_open(c->tmp, REG_OPEN_NEW, &c->r, e)) != SZTP_OK) {
		free(c->tmp); /* not ours to remove */
		c->tmp = NULL;
		goto out;
	}
	rc = rsq_begin(c->r, e);
out:
	if (rc != SZTP_OK && c) {
		copy_free(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

/* INSERT INTO t (cols) VALUES (?1, ...), prepared once per table. */
static sztp_rc insert_stmt(struct rsq_copy *c, const struct reg_copy_table *t, sqlite3_stmt **s,
			   struct sztp_err *e)
{
	size_t k = (size_t)(t - reg_copy_tables), i, len = 0, cap = 4096;
	char *sql = NULL;
	sztp_rc rc = SZTP_E_INTERNAL;

	*s = NULL;
	if (t < reg_copy_tables || k >= reg_copy_tables_count || k >= COPY_TABLES_MAX)
		return sztp_err_set(e, rc, "registry: %s is not a table of the copy", t->name);
	if (c->ins[k]) {
		*s = c->ins[k];
		return SZTP_OK;
	}
	rc = SZTP_E_NOMEM;
	if (!(sql = malloc(cap)))
		return sztp_err_set(e, rc, "registry: out of memory");
	len += (size_t)snprintf(sql + len, cap - len, "INSERT INTO %s (", t->name);
	for (i = 0; i < t->n_cols && len < cap; i++)
		len += (size_t)snprintf(sql + len, cap - len, "%s%s", i ? ", " : "", t->cols[i]);
	for (i = 0; i < t->n_cols && len < cap; i++)
		len += (size_t)snprintf(sql + len, cap - len, "%s?%zu", i ? ", " : ") VALUES (",
					i + 1);
	if (len + 2 >= cap) {
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "registry: %s: statement too long", t->name);
		goto out;
	}
	strcat(sql, ")");
	if (sqlite3_prepare_v2(c->r->db, sql, -1, &c->ins[k], NULL) != SQLITE_OK) {
		rc = rsql_db_fail(c->r, e, "preparing the copy");
		goto out;
	}
	*s = c->ins[k];
	rc = SZTP_OK;
out:
	free(sql);
	return rc;
}

/* The row's key for messages: its first column. */
static void row_key(const struct reg_copy_table *t, const struct reg_value *row, char *buf,
		    size_t cap)
{
	if (row[0].type == REG_VAL_INT)
		snprintf(buf, cap, "%s %s %lld", t->name, t->cols[0], (long long)row[0].i);
	else if (row[0].type == REG_VAL_TEXT)
		snprintf(buf, cap, "%s %s '%.60s'", t->name, t->cols[0], (const char *)row[0].p);
	else
		snprintf(buf, cap, "%s", t->name);
}

sztp_rc rsq_copy_load(struct rsq_copy *c, const struct reg_copy_table *t,
		      const struct reg_value *row, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc;
	char what[160], key[120];
	size_t i;
	int src = SQLITE_OK;

	if ((rc = insert_stmt(c, t, &s, e)) != SZTP_OK)
		return rc;
	for (i = 0; i < t->n_cols && src == SQLITE_OK; i++) {
		const struct reg_value *v = &row[i];
		int k = (int)i + 1;

		switch (v->type) {
		case REG_VAL_INT:
			src = sqlite3_bind_int64(s, k, v->i);
			break;
		case REG_VAL_TEXT:
			src = sqlite3_bind_text(s, k, v->p, (int)v->len, SQLITE_TRANSIENT);
			break;
		case REG_VAL_BLOB:
			src = sqlite3_bind_blob(s, k, v->p, (int)v->len, SQLITE_TRANSIENT);
			break;
		default:
			src = sqlite3_bind_null(s, k);
			break;
		}
	}
	if (src == SQLITE_OK)
		src = sqlite3_step(s);
	rc = SZTP_OK;
	if (src != SQLITE_DONE) {
		row_key(t, row, key, sizeof(key));
		snprintf(what, sizeof(what), "copying %s", key);
		rc = rsql_db_fail(c->r, e, what);
	}
	rsql_st_done(s);
	return rc;
}

sztp_rc rsq_copy_set_id_mark(struct rsq_copy *c, const struct reg_copy_table *t, int64_t n,
			     struct sztp_err *e)
{
	static const char *const sql[] = {
	    "UPDATE sqlite_sequence SET seq = ?2 WHERE name = ?1",
	    "INSERT INTO sqlite_sequence (name, seq) SELECT ?1, ?2 WHERE NOT EXISTS "
	    "(SELECT 1 FROM sqlite_sequence WHERE name = ?1)"};
	sqlite3_stmt *s = NULL;
	sztp_rc rc = SZTP_OK;
	size_t i;

	if (!t->autoincrement)
		return SZTP_OK; /* ids continue from max(id) + 1 */
	for (i = 0; i < 2 && rc == SZTP_OK; i++) {
		if (sqlite3_prepare_v2(c->r->db, sql[i], -1, &s, NULL) != SQLITE_OK ||
		    rsql_bind_str(s, 1, t->name) != SQLITE_OK ||
		    sqlite3_bind_int64(s, 2, n) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE)
			rc = rsql_db_fail(c->r, e, "setting sqlite_sequence");
		sqlite3_finalize(s);
		s = NULL;
	}
	return rc;
}

sztp_rc rsq_copy_commit(struct rsq_copy *c, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_IO;
	char dir[4096], *slash;
	size_t i;
	int fd;

	if (!c)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no target");
	for (i = 0; i < COPY_TABLES_MAX; i++) {
		sqlite3_finalize(c->ins[i]);
		c->ins[i] = NULL;
	}
	if ((rc = rsq_commit(c->r, e)) != SZTP_OK)
		goto out;
	rsq_close(c->r); /* checkpoints the WAL into the file and removes it */
	c->r = NULL;
	if (link(c->tmp, c->path) != 0) {
		rc = sztp_err_set(e, errno == EEXIST ? SZTP_E_EXISTS : SZTP_E_IO,
				  "registry: cannot put the new registry at %s: %s", c->path,
				  strerror(errno));
		goto out;
	}
	c->linked = 1;
	unlink(c->tmp);
	snprintf(dir, sizeof(dir), "%s", c->path);
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	rc = SZTP_OK;
out:
	copy_free(c);
	return rc;
}

void rsq_copy_abort(struct rsq_copy *c)
{
	if (c)
		copy_free(c);
}
