/*
 * registry_sqlite.c - the device registry on SQLite: enrolled devices,
 * profiles (what conveyed information a device gets, RFC 8572 s2.2, s5.4),
 * owner identities (the chain that signs it, s3.2), report-progress
 * notifications (s7.3) and one log row per bootstrap request.  The schema
 * lives in db/migrations/NNN_name.sql, embedded by the build and applied in
 * order at open, each migration in its own transaction; a database newer
 * than this program is refused.  This is the only file that includes
 * sqlite3.h.
 *
 * Sharing: sztpd and sztpctl open the same file.  WAL mode lets readers run
 * while one process writes; busy_timeout (5 s) makes a writer wait for the
 * other process instead of failing; write transactions start with BEGIN
 * IMMEDIATE so they never fail half-way on a lock upgrade.
 *
 * Threads: one struct reg is shared by sztpd's worker threads.  The
 * connection is opened SQLITE_OPEN_NOMUTEX and every public function holds
 * r->mu (a recursive mutex) for its whole run, because the prepared
 * statements (each prepared once per handle, at open) are reused.  Between
 * reg_begin() and reg_commit()/reg_rollback() the calling thread keeps
 * holding r->mu, so other threads wait and never see or join a half-done
 * admin transaction.  List callbacks run with r->mu held: they may call
 * other reg_ functions on the same thread, but not the list function that
 * is calling them.
 *
 * Transactions: outside reg_begin() a single-statement write is its own
 * transaction and a multi-statement write is wrapped in BEGIN IMMEDIATE ..
 * COMMIT; inside reg_begin() the multi-statement writes use a SAVEPOINT so
 * a failed call leaves nothing behind while the caller's transaction stays
 * open.
 *
 * Durability: every commit waits for the disk (synchronous = FULL: in WAL
 * mode one fdatasync of the WAL per commit), so a stored progress report
 * or an admin change survives a power cut, not only a crash.  Bookkeeping
 * that may lose its last seconds at a power cut (reg_begin_nosync: the
 * bootstrapping log and contact times; reg_log_trim) commits with
 * synchronous = NORMAL; SQLite refuses to change the setting inside a
 * transaction, so it is switched before BEGIN and back after COMMIT while
 * r->mu is held, and no other commit runs with it.
 *
 * The file: r->path must go on naming the file the connection has open.
 * A registry deleted or replaced (mv) under a running sztpd would
 * otherwise take every later write into an unlinked file, lost at the
 * next start; reg_check_file() asks SQLite (SQLITE_FCNTL_HAS_MOVED: a
 * stat of the path against the inode it has open) so a caller can stop
 * acknowledging writes.
 *
 * revision: a random 63-bit value, replaced whenever an admin call writes
 * the row (device add/update and pin set, profile put and pin setting,
 * owner put): the admin API's ETags are revisions.  Contact bookkeeping
 * (reg_device_seen, the state set by reg_progress_add, the first pin
 * reg_device_pin_record stores) leaves a device's revision alone, so
 * caches keyed on it survive device contacts.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "registry.h"
#include "registry_sqlite_internal.h"

#define REG_BUSY_TIMEOUT_MS 5000

#define REVISION "(random() & 9223372036854775807)"
#define DEV_COLS                                                                                   \
	"serial, password_hash, profile, voucher, state, created, first_seen, last_seen, "         \
	"revision, "                                                                               \
	"voucher_created, voucher_expires"
#define PROF_COLS "name, kind, conveyed_json, sign, reporting, owner, revision, lenient"
#define PROG_COLS "serial, time, peer, type, message, ssh_host_keys, trust_anchors"
#define LOG_COLS  "serial, time, peer, endpoint, result, status, duration_us"
/* What row_progress / row_log read: the columns above, then the id. */
#define PROG_ID_COL 7
#define LOG_ID_COL  7
#define TOK_COLS    "name, hash, scope, created, expires, revoked"
#define AUD_COLS    "time, actor, action, resource, rev_before, rev_after, detail"
/* The filters of the admin queries (struct reg_query).  A NULL or 0
 * parameter is "no condition".  Devices: the serial range [?1, ?10)
 * walks the primary key (prefix and exact serial are both ranges, computed
 * by device_query; never LIKE: serials may hold '%' and '_'), ?2 the
 * cursor's serial, which the range starts at but excludes. */
#define DEV_QUERY_WHERE                                                                            \
	"serial >= ?1 AND serial < ?10 AND serial IS NOT ?2 AND (?3 IS NULL OR serial = ?3) "      \
	"AND (?4 IS NULL OR coalesce(profile, '') = ?4) AND (?5 IS NULL OR state = ?5) "           \
	"AND (?6 < 0 OR (voucher IS NOT NULL AND length(voucher) > 0) = ?6) "                      \
	"AND (?7 = 0 OR last_seen >= ?7) AND (?8 = 0 OR last_seen < ?8)"
/* id-ordered tables: ?1 the cursor, ?2 type / result / actor, [?3, ?4)
 * the time range, ?5 the limit; the _ONE / _RES forms add ?6 (and ?7),
 * which an index serves with the id order kept. */
#define ID_QUERY_WHERE(col)                                                                        \
	"id > ?1 AND (?2 IS NULL OR " col " = ?2) AND (?3 = 0 OR time >= ?3) "                     \
	"AND (?4 = 0 OR time < ?4)"
/* S_BOOTSTRAP: a device row in DEV_COLS order, then its profile in
 * PROF_COLS order from column BOOT_PROF, then whether the profile's owner
 * exists and its revision.  NULL stands in for the two columns
 * get-bootstrapping-data does not read (password_hash, conveyed_json), so
 * row_device and row_profile read the row unchanged (BOOT_OWNER: the
 * column after the profile's).  Three primary-key
 * lookups. */
#define BOOT_PROF  11
#define BOOT_OWNER (BOOT_PROF + 8)
#define BOOT_COLS                                                                                  \
	"d.serial, NULL, d.profile, d.voucher, d.state, d.created, d.first_seen, d.last_seen, "    \
	"d.revision, d.voucher_created, d.voucher_expires, "                                       \
	"p.name, p.kind, NULL, p.sign, p.reporting, p.owner, p.revision, p.lenient, "              \
	"o.name IS NOT NULL, o.revision"

/* Every statement the registry runs, prepared once per handle. */
static const char *const stmt_sql[S__COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_BEGIN_READ] = "BEGIN",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT reg_op",
    [S_RELEASE] = "RELEASE reg_op",
    [S_ROLLBACK_TO] = "ROLLBACK TO reg_op",
    [S_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
    [S_SYNC_FULL] = "PRAGMA synchronous = FULL",
    [S_DEV_GET] = "SELECT " DEV_COLS " FROM devices WHERE serial = ?1",
    [S_BOOTSTRAP] = "SELECT " BOOT_COLS " FROM devices AS d "
		    "LEFT JOIN profiles AS p ON p.name = d.profile "
		    "LEFT JOIN owners AS o ON o.name = p.owner WHERE d.serial = ?1",
    [S_DEV_ADD] = "INSERT INTO devices (" DEV_COLS
		  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, " REVISION ", ?9, ?10)",
    [S_DEV_UPDATE] = "UPDATE devices SET password_hash = ?2, profile = ?3, voucher = ?4, "
		     "voucher_created = ?5, voucher_expires = ?6, "
		     "revision = " REVISION " WHERE serial = ?1",
    [S_DEV_REMOVE] = "DELETE FROM devices WHERE serial = ?1",
    [S_DEV_SEEN] = "UPDATE devices SET first_seen = CASE first_seen WHEN 0 THEN ?2 ELSE first_seen "
		   "END, last_seen = ?2, state = coalesce(?3, state) WHERE serial = ?1",
    [S_DEV_LIST] = "SELECT " DEV_COLS " FROM devices ORDER BY serial",
    [S_DEV_COUNT] = "SELECT count(*) FROM devices",
    [S_PROF_GET] = "SELECT " PROF_COLS " FROM profiles WHERE name = ?1",
    [S_PROF_PUT] = "INSERT INTO profiles (" PROF_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, " REVISION
		   ", ?7) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, conveyed_json = "
		   "excluded.conveyed_json, sign = excluded.sign, reporting = excluded.reporting, "
		   "owner = excluded.owner, revision = excluded.revision, "
		   "lenient = excluded.lenient",
    [S_PROF_USERS] = "SELECT count(*) FROM devices WHERE profile = ?1",
    [S_PROF_REMOVE] = "DELETE FROM profiles WHERE name = ?1",
    [S_PROF_LIST] = "SELECT " PROF_COLS " FROM profiles ORDER BY name",
    [S_OWN_GET] = "SELECT name, key_path, revision FROM owners WHERE name = ?1",
    [S_OWN_CERTS] = "SELECT der FROM owner_certs WHERE owner = ?1 ORDER BY pos",
    [S_OWN_PUT] = "INSERT INTO owners (name, key_path, revision) VALUES (?1, ?2, " REVISION
		  ") ON CONFLICT (name) DO UPDATE SET key_path = excluded.key_path, "
		  "revision = excluded.revision",
    [S_OWN_CERTS_DEL] = "DELETE FROM owner_certs WHERE owner = ?1",
    [S_OWN_CERT_ADD] = "INSERT INTO owner_certs (owner, pos, der) VALUES (?1, ?2, ?3)",
    [S_PROG_ADD] = "INSERT INTO progress (" PROG_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_PROG_LIST_ALL] = "SELECT " PROG_COLS ", id FROM (SELECT * FROM progress ORDER BY id DESC "
			"LIMIT ?1) ORDER BY id",
    [S_PROG_LIST_ONE] = "SELECT " PROG_COLS ", id FROM (SELECT * FROM progress WHERE serial = ?2 "
			"ORDER BY id DESC LIMIT ?1) ORDER BY id",
    [S_LOG_PRUNE] = "DELETE FROM bootstrap_log WHERE time < ?1",
    [S_PROG_PRUNE] = "DELETE FROM progress WHERE time < ?1",
    /* the oldest rows first, by index (time; the rowid), at most ?2 */
    [S_LOG_TRIM_AGE] = "DELETE FROM bootstrap_log WHERE id IN (SELECT id FROM bootstrap_log "
		       "WHERE time < ?1 ORDER BY time LIMIT ?2)",
    [S_LOG_TRIM_ROWS] =
	"DELETE FROM bootstrap_log WHERE id IN (SELECT id FROM bootstrap_log "
	"WHERE id <= (SELECT max(id) FROM bootstrap_log) - ?1 ORDER BY id LIMIT ?2)",
    [S_LOG_ADD] = "INSERT INTO bootstrap_log (" LOG_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_LOG_LIST_ALL] = "SELECT " LOG_COLS ", id FROM (SELECT * FROM bootstrap_log ORDER BY id DESC "
		       "LIMIT ?1) ORDER BY id",
    [S_LOG_LIST_ONE] =
	"SELECT " LOG_COLS ", id FROM (SELECT * FROM bootstrap_log WHERE serial = ?2 "
	"ORDER BY id DESC LIMIT ?1) ORDER BY id",
    /* ---- admin API (migration 005) ---- */
    [S_DEV_QUERY] =
	"SELECT " DEV_COLS " FROM devices WHERE " DEV_QUERY_WHERE " ORDER BY serial LIMIT ?9",
    [S_DEV_REVISION] = "SELECT revision FROM devices WHERE serial = ?1",
    [S_PROF_QUERY] = "SELECT " PROF_COLS " FROM profiles WHERE name > ?1 ORDER BY name LIMIT ?2",
    [S_PROG_QUERY_ALL] = "SELECT " PROG_COLS
			 ", id FROM progress WHERE " ID_QUERY_WHERE("type") " ORDER BY id LIMIT ?5",
    [S_PROG_QUERY_ONE] =
	"SELECT " PROG_COLS
	", id FROM progress WHERE serial = ?6 AND " ID_QUERY_WHERE("type") " ORDER BY id LIMIT ?5",
    [S_LOG_QUERY_ALL] = "SELECT " LOG_COLS ", id FROM bootstrap_log WHERE " ID_QUERY_WHERE(
	"result") " ORDER BY id LIMIT ?5",
    [S_LOG_QUERY_ONE] =
	"SELECT " LOG_COLS ", id FROM bootstrap_log WHERE serial = ?6 AND " ID_QUERY_WHERE(
	    "result") " ORDER BY id LIMIT ?5",
    [S_TOK_ADD] = "INSERT INTO admin_tokens (" TOK_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_TOK_GET_HASH] = "SELECT " TOK_COLS " FROM admin_tokens WHERE hash = ?1",
    [S_TOK_GET] = "SELECT " TOK_COLS " FROM admin_tokens WHERE name = ?1",
    /* matches (and counts) a revoked row too, keeping its first time */
    [S_TOK_REVOKE] = "UPDATE admin_tokens SET revoked = CASE revoked WHEN 0 THEN ?2 "
		     "ELSE revoked END WHERE name = ?1",
    [S_TOK_LIST] = "SELECT " TOK_COLS " FROM admin_tokens WHERE name > ?1 ORDER BY name LIMIT ?2",
    [S_AUD_ADD] = "INSERT INTO audit (" AUD_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_AUD_QUERY_ALL] =
	"SELECT " AUD_COLS ", id FROM audit WHERE " ID_QUERY_WHERE("actor") " ORDER BY id LIMIT ?5",
    [S_AUD_QUERY_RES] = "SELECT " AUD_COLS ", id FROM audit INDEXED BY audit_resource WHERE "
			"resource >= ?6 AND "
			"resource < ?7 AND " ID_QUERY_WHERE("actor") " ORDER BY id LIMIT ?5",
};

/* ---- small helpers ---------------------------------------------------- */

void rsql_lock(struct reg_sqlite *r)
{
	pthread_mutex_lock(&r->mu);
}

void rsql_unlock(struct reg_sqlite *r)
{
	pthread_mutex_unlock(&r->mu);
}

/* Make a used statement ready for its next run. */
void rsql_st_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

sztp_rc rsql_db_fail(struct reg_sqlite *r, struct sztp_err *e, const char *what)
{
	return sztp_err_set(e, SZTP_E_DB, "registry: %s failed: %s", what, sqlite3_errmsg(r->db));
}

/* Run a statement that returns nothing of interest. */
static sztp_rc st_run(struct reg_sqlite *r, enum stmt_id id, const char *what, struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[id];
	sztp_rc rc = SZTP_OK;
	int src = sqlite3_step(s);

	if (src != SQLITE_DONE && src != SQLITE_ROW)
		rc = rsql_db_fail(r, e, what);
	rsql_st_done(s);
	return rc;
}

int rsql_bind_str(sqlite3_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* NULL and "" are stored as NULL. */
int rsql_bind_opt(sqlite3_stmt *s, int i, const char *v)
{
	return v && *v ? rsql_bind_str(s, i, v) : sqlite3_bind_null(s, i);
}

static int bind_bytes(sqlite3_stmt *s, int i, const sztp_bytes *b)
{
	if (!b->data || !b->len)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_blob64(s, i, b->data, b->len, SQLITE_STATIC);
}

sztp_rc rsql_col_str(sqlite3_stmt *s, int i, char *dst, size_t cap, struct sztp_err *e)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, i) : 0;

	if (n >= cap)
		return sztp_err_set(e, SZTP_E_DB, "registry: stored %s '%.40s...' is too long",
				    sqlite3_column_name(s, i), (const char *)t);
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
	return SZTP_OK;
}

/* NULL stays NULL. */
sztp_rc rsql_col_dup(sqlite3_stmt *s, int i, char **dst, struct sztp_err *e)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	*dst = NULL;
	if (!t)
		return SZTP_OK;
	*dst = strdup((const char *)t);
	return *dst ? SZTP_OK : sztp_err_set(e, SZTP_E_NOMEM, "registry: out of memory");
}

static sztp_rc col_bytes(sqlite3_stmt *s, int i, sztp_bytes *dst, struct sztp_err *e)
{
	const void *p = sqlite3_column_blob(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);

	dst->data = NULL;
	dst->len = 0;
	if (!p || !n)
		return SZTP_OK;
	if (sztp_bytes_dup(dst, p, n) != SZTP_OK)
		return sztp_err_set(e, SZTP_E_NOMEM, "registry: out of memory");
	return SZTP_OK;
}

/* Text column -> enum index through a name table. */
static sztp_rc col_enum(sqlite3_stmt *s, int i, const char *const *names, size_t n, int *out,
			struct sztp_err *e)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	size_t k;

	for (k = 0; t && k < n; k++) {
		if (strcmp(t, names[k]) == 0) {
			*out = (int)k;
			return SZTP_OK;
		}
	}
	return sztp_err_set(e, SZTP_E_DB, "registry: stored %s '%s' is unknown",
			    sqlite3_column_name(s, i), t ? t : "(null)");
}

int rsql_is_unique_violation(int xrc)
{
	return xrc == SQLITE_CONSTRAINT_PRIMARYKEY || xrc == SQLITE_CONSTRAINT_UNIQUE;
}

/* ---- transactions --------------------------------------------------- */

/* Start the transaction of one multi-statement call. */
sztp_rc rsql_op_begin(struct reg_sqlite *r, struct sztp_err *e)
{
	return st_run(r, r->in_txn ? S_SAVEPOINT : S_BEGIN, "starting a transaction", e);
}

/* Start a read-only snapshot of several statements (takes no write lock). */
sztp_rc rsql_op_begin_read(struct reg_sqlite *r, struct sztp_err *e)
{
	return st_run(r, r->in_txn ? S_SAVEPOINT : S_BEGIN_READ, "starting a transaction", e);
}

/* Finish either: commit when rc is SZTP_OK, else undo everything it did. */
sztp_rc rsql_op_end(struct reg_sqlite *r, sztp_rc rc, struct sztp_err *e)
{
	if (rc == SZTP_OK) {
		rc = st_run(r, r->in_txn ? S_RELEASE : S_COMMIT, "committing", e);
		if (rc == SZTP_OK)
			return rc;
	}
	if (r->in_txn) {
		st_run(r, S_ROLLBACK_TO, "rollback", NULL);
		st_run(r, S_RELEASE, "release", NULL);
	} else if (!sqlite3_get_autocommit(r->db)) {
		st_run(r, S_ROLLBACK, "rollback", NULL);
	}
	return rc;
}

static sztp_rc begin(struct reg_sqlite *r, int nosync, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	rsql_lock(r);
	if (r->in_txn) {
		sztp_err_set(e, rc, "registry: a transaction is already open (reg_begin nested)");
		goto out;
	}
	if (nosync && (rc = st_run(r, S_SYNC_NORMAL, "relaxing synchronous", e)) != SZTP_OK)
		goto out;
	rc = st_run(r, S_BEGIN, "starting a transaction", e);
	if (rc != SZTP_OK) {
		if (nosync)
			st_run(r, S_SYNC_FULL, "restoring synchronous", NULL);
		goto out;
	}
	r->in_txn = 1;
	r->nosync = nosync;
	rsql_lock(r); /* held until reg_commit / reg_rollback */
out:
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_begin(struct reg_sqlite *r, struct sztp_err *e)
{
	return begin(r, 0, e);
}

sztp_rc rsq_begin_nosync(struct reg_sqlite *r, struct sztp_err *e)
{
	return begin(r, 1, e);
}

/* Ends the explicit transaction and releases the lock reg_begin kept;
 * the next commit waits for the disk again. */
static void txn_finish(struct reg_sqlite *r)
{
	if (r->nosync)
		st_run(r, S_SYNC_FULL, "restoring synchronous", NULL);
	r->nosync = 0;
	r->in_txn = 0;
	rsql_unlock(r);
}

sztp_rc rsq_commit(struct reg_sqlite *r, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	rsql_lock(r);
	if (!r->in_txn) {
		sztp_err_set(e, rc,
			     "registry: commit without a transaction (call reg_begin first)");
		goto out;
	}
	rc = st_run(r, S_COMMIT, "committing", e);
	if (rc != SZTP_OK && !sqlite3_get_autocommit(r->db))
		st_run(r, S_ROLLBACK, "rollback", NULL);
	txn_finish(r);
out:
	rsql_unlock(r);
	return rc;
}

void rsq_rollback(struct reg_sqlite *r)
{
	if (!r)
		return;
	rsql_lock(r);
	if (r->in_txn) {
		if (!sqlite3_get_autocommit(r->db))
			st_run(r, S_ROLLBACK, "rollback", NULL);
		txn_finish(r);
	}
	rsql_unlock(r);
}

/* ---- open, migrate, close ------------------------------------------- */

/* One-off query at open returning an integer. */
static sztp_rc query_int(struct reg_sqlite *r, const char *sql, int64_t *out, struct sztp_err *e)
{
	sqlite3_stmt *s = NULL;
	sztp_rc rc = SZTP_E_DB;

	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK) {
		rsql_db_fail(r, e, "reading the schema version");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_ROW) {
		rsql_db_fail(r, e, "reading the schema version");
		goto out;
	}
	*out = sqlite3_column_int64(s, 0);
	rc = SZTP_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

static sztp_rc schema_version(struct reg_sqlite *r, int64_t *v, struct sztp_err *e)
{
	int64_t has = 0;
	sztp_rc rc;

	*v = 0;
	rc = query_int(r,
		       "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
		       "AND name = 'schema_version'",
		       &has, e);
	if (rc == SZTP_OK && has)
		rc = query_int(r, "SELECT coalesce(max(version), 0) FROM schema_version", v, e);
	return rc;
}

static sztp_rc record_version(struct reg_sqlite *r, const struct reg_migration *m,
			      struct sztp_err *e)
{
	sqlite3_stmt *s = NULL;
	sztp_rc rc = SZTP_E_DB;

	if (sqlite3_prepare_v2(
		r->db, "INSERT INTO schema_version (version, name, applied) VALUES (?1, ?2, ?3)",
		-1, &s, NULL) != SQLITE_OK ||
	    sqlite3_bind_int(s, 1, m->version) != SQLITE_OK || rsql_bind_str(s, 2, m->name) ||
	    sqlite3_bind_int64(s, 3, (int64_t)time(NULL)) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rsql_db_fail(r, e, "recording the schema version");
		goto out;
	}
	rc = SZTP_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

static sztp_rc apply_migration(struct reg_sqlite *r, const struct reg_migration *m,
			       struct sztp_err *e)
{
	char *msg = NULL;
	sztp_rc rc = SZTP_E_DB;

	if (sqlite3_exec(r->db, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
		sztp_err_set(e, rc, "registry: migration %s failed: %s", m->name,
			     msg ? msg : sqlite3_errmsg(r->db));
		goto out;
	}
	rc = record_version(r, m, e);
out:
	sqlite3_free(msg);
	return rc;
}

/* Brings the schema up to the newest embedded migration, one transaction
 * per migration; re-reads the version inside each transaction so two
 * processes opening a new file at once do not both apply it. */
static sztp_rc migrate(struct reg_sqlite *r, const char *path, struct sztp_err *e)
{
	int max = reg_migrations_count ? reg_migrations[reg_migrations_count - 1].version : 0;
	sztp_rc rc = SZTP_E_INTERNAL;
	int64_t v = 0;
	size_t i;

	for (i = 1; i < reg_migrations_count; i++) {
		if (reg_migrations[i].version <= reg_migrations[i - 1].version) {
			sztp_err_set(e, rc, "registry: migrations %s and %s are out of order",
				     reg_migrations[i - 1].name, reg_migrations[i].name);
			goto out;
		}
	}
	for (i = 0;; i++) {
		rc = st_run(r, S_BEGIN, "starting the schema migration", e);
		if (rc == SZTP_OK)
			rc = schema_version(r, &v, e);
		if (rc == SZTP_OK && v > max)
			rc = sztp_err_set(e, SZTP_E_UNSUPPORTED,
					  "registry %s has schema version %lld, newer than this "
					  "program knows (%d); use a newer sztp release",
					  path, (long long)v, max);
		if (rc == SZTP_OK && i < reg_migrations_count && v < reg_migrations[i].version)
			rc = apply_migration(r, &reg_migrations[i], e);
		rc = rsql_op_end(r, rc, e);
		if (rc != SZTP_OK || i >= reg_migrations_count)
			break;
	}
	if (rc == SZTP_OK)
		rc = schema_version(r, &v, e);
	r->version = (int)v;
out:
	return rc;
}

/* Connection settings; the first statement also tells a non-database file. */
static sztp_rc configure(struct reg_sqlite *r, const char *path, struct sztp_err *e)
{
	static const char *const pragmas[] = {
	    "PRAGMA foreign_keys = ON",
	    /* a commit survives a power cut (see the file comment) */
	    "PRAGMA synchronous = FULL",
	    /* Reads through this cache only, not a map of the file: every page
	     * a mapping touches (and the kernel's 64 KiB fault-around of each
	     * one) stays in sztpd's RSS, so the peak grew with the registry's
	     * history (the events, progress and log tables and their serial
	     * indexes, whose leaves each device's inserts reach all over the
	     * file).  The cache bounds it at 16 MiB; a miss is a pread from
	     * the kernel's page cache. */
	    "PRAGMA cache_size = -16384", /* 16 MiB */
	    "PRAGMA mmap_size = 0",
	};
	sqlite3_stmt *s = NULL;
	sztp_rc rc = SZTP_E_DB;
	int64_t fk = 0;
	const char *mode;
	size_t i;

	sqlite3_extended_result_codes(r->db, 1);
	sqlite3_busy_timeout(r->db, REG_BUSY_TIMEOUT_MS);
	if (sqlite3_prepare_v2(r->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		sztp_err_set(e, rc, "registry %s: %s", path, sqlite3_errmsg(r->db));
		goto out;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (!mode || strcmp(mode, "wal") != 0) {
		sztp_err_set(e, rc, "registry %s: cannot switch to WAL mode (journal mode is %s)",
			     path, mode ? mode : "unknown");
		goto out;
	}
	for (i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++) {
		if (sqlite3_exec(r->db, pragmas[i], NULL, NULL, NULL) != SQLITE_OK) {
			sztp_err_set(e, rc, "registry %s: %s: %s", path, pragmas[i],
				     sqlite3_errmsg(r->db));
			goto out;
		}
	}
	if (query_int(r, "PRAGMA foreign_keys", &fk, e) != SZTP_OK)
		goto out;
	if (!fk) {
		sztp_err_set(e, rc, "registry %s: this SQLite has no foreign key support", path);
		goto out;
	}
	rc = SZTP_OK;
out:
	sqlite3_finalize(s);
	return rc;
}

/* Prepares statements [from, to). */
static sztp_rc prepare_range(struct reg_sqlite *r, int from, int to, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	int i;

	for (i = from; i < to && rc == SZTP_OK; i++) {
		if (sqlite3_prepare_v3(r->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &r->st[i],
				       NULL) != SQLITE_OK)
			rc = sztp_err_set(e, SZTP_E_INTERNAL,
					  "registry: preparing statement %d failed: %s", i,
					  sqlite3_errmsg(r->db));
	}
	return rc;
}

/* A registry reg_create made and could not finish: the file and its
 * WAL and shared-memory files. */
static void remove_registry_files(const char *path)
{
	char side[4096];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static int is_memory(const char *path)
{
	return strcmp(path, ":memory:") == 0;
}

/* A new database holds password hashes: create it owner-only (SQLite gives
 * the -wal and -shm files the same mode).  With excl, an existing file
 * is refused (SZTP_E_EXISTS).  An existing file is never opened here:
 * closing any descriptor of a file drops every POSIX lock this process
 * holds on it, so another handle's SQLite locks would be lost. */
static sztp_rc create_private(const char *path, int excl, struct sztp_err *e)
{
	int fd;

	if (is_memory(path))
		return SZTP_OK;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && excl && errno == EEXIST)
		return sztp_err_set(e, SZTP_E_EXISTS, "registry %s already exists", path);
	if (fd < 0 && excl)
		return sztp_err_set(e, SZTP_E_IO, "registry: cannot create %s: %s", path,
				    strerror(errno));
	if (fd >= 0)
		close(fd);
	return SZTP_OK; /* without excl, SQLite's open reports a failure */
}

/* Before opening: the file is there (REG_OPEN_EXISTING), or is not and
 * leaves no WAL of an earlier registry behind that SQLite would replay
 * into the new one (REG_OPEN_NEW). */
static sztp_rc check_path(const char *path, enum reg_open_how how, struct sztp_err *e)
{
	static const char *const leftovers[] = {"-wal", "-shm", "-journal"};
	char side[4096];
	struct stat st;
	size_t i;

	if (is_memory(path) || how == REG_OPEN_CREATE)
		return SZTP_OK;
	if (how == REG_OPEN_EXISTING) {
		if (stat(path, &st) != 0)
			return sztp_err_set(e, errno == ENOENT ? SZTP_E_NOT_FOUND : SZTP_E_IO,
					    "registry %s: %s", path, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "registry %s is not a regular file", path);
		return SZTP_OK;
	}
	for (i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
		snprintf(side, sizeof(side), "%s%s", path, leftovers[i]);
		if (lstat(side, &st) == 0)
			return sztp_err_set(
			    e, SZTP_E_EXISTS,
			    "%s is left over from an earlier registry; move it away "
			    "before creating %s",
			    side, path);
	}
	return SZTP_OK;
}

/* REG_OPEN_EXISTING: the file must already hold a registry (a schema
 * version), or it is some other file that must not be migrated into. */
static sztp_rc check_is_registry(struct reg_sqlite *r, const char *path, struct sztp_err *e)
{
	int64_t v = 0;
	sztp_rc rc = schema_version(r, &v, e);

	if (rc == SZTP_OK && v == 0)
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
				  "%s is not an sztp registry (it has no schema version)", path);
	return rc;
}

static sztp_rc open_registry(const char *path, enum reg_open_how how, struct reg_sqlite **out,
			     struct sztp_err *e)
{
	pthread_mutexattr_t ma;
	struct reg_sqlite *r = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int src, created = 0;

	*out = NULL;
	if (!path || !*path) {
		sztp_err_set(e, rc, "registry: no database path given");
		goto out;
	}
	if ((rc = check_path(path, how, e)) != SZTP_OK)
		goto out;
	rc = SZTP_E_NOMEM;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path))) {
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
	if (how != REG_OPEN_EXISTING &&
	    (rc = create_private(path, how == REG_OPEN_NEW, e)) != SZTP_OK)
		goto out;
	created = how == REG_OPEN_NEW;
	src = sqlite3_open_v2(path, &r->db,
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
				  (how == REG_OPEN_EXISTING ? 0 : SQLITE_OPEN_CREATE),
			      NULL);
	if (src != SQLITE_OK) {
		rc = sztp_err_set(e, SZTP_E_DB, "registry: cannot open %s: %s", path,
				  r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(src));
		goto out;
	}
	/* before configure() switches the file to WAL: another program's
	 * database is left as it was */
	sqlite3_busy_timeout(r->db, REG_BUSY_TIMEOUT_MS);
	if (how == REG_OPEN_EXISTING && (rc = check_is_registry(r, path, e)) != SZTP_OK)
		goto out;
	rc = configure(r, path, e);
	if (rc == SZTP_OK) /* transaction control first: the migration uses it */
		rc = prepare_range(r, S_BEGIN, S_DEV_GET, e);
	if (rc == SZTP_OK)
		rc = migrate(r, path, e);
	if (rc == SZTP_OK)
		rc = prepare_range(r, S_DEV_GET, S__COUNT, e);
out:
	if (rc != SZTP_OK) {
		rsq_close(r);
		r = NULL;
		if (created) /* ours, and nothing in it: do not leave a half registry */
			remove_registry_files(path);
	}
	*out = r;
	return rc;
}

/* How: create when missing (reg_open), only an existing registry
 * (reg_open_existing), only a new file (reg_create). */
sztp_rc rsq_open(const char *path, enum reg_open_how how, struct reg_sqlite **out,
		 struct sztp_err *e)
{
	return open_registry(path, how, out, e);
}

void rsq_close(struct reg_sqlite *r)
{
	int i;

	if (!r)
		return;
	if (r->db) {
		if (r->in_txn) { /* closed by the reg_begin() thread: undo, drop its lock */
			if (!sqlite3_get_autocommit(r->db))
				sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
			txn_finish(r);
		}
		for (i = 0; i < S__COUNT; i++)
			sqlite3_finalize(r->st[i]);
		for (i = 0; i < (int)(sizeof(r->pin_st) / sizeof(r->pin_st[0])); i++)
			sqlite3_finalize(r->pin_st[i]);
		rsql_events_finalize(r);
		rsql_lease_finalize(r);
		sqlite3_exec(r->db, "PRAGMA optimize", NULL, NULL, NULL);
		sqlite3_close(r->db);
	}
	if (r->mu_ok)
		pthread_mutex_destroy(&r->mu);
	free(r->path);
	free(r);
}

int rsq_schema_version(struct reg_sqlite *r)
{
	return r ? r->version : 0;
}

/* ---- clearing ----------------------------------------------------------- */

/* ---- devices ------------------------------------------------------------ */

/* Reads a row of DEV_COLS; out is cleared on failure. */
static sztp_rc row_device(sqlite3_stmt *s, struct reg_device *d, struct sztp_err *e)
{
	sztp_rc rc;

	memset(d, 0, sizeof(*d));
	rc = rsql_col_str(s, 0, d->serial, sizeof(d->serial), e);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 1, &d->password_hash, e);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, 2, d->profile, sizeof(d->profile), e);
	if (rc == SZTP_OK)
		rc = col_bytes(s, 3, &d->voucher, e);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, 4, d->state, sizeof(d->state), e);
	d->created = sqlite3_column_int64(s, 5);
	d->first_seen = sqlite3_column_int64(s, 6);
	d->last_seen = sqlite3_column_int64(s, 7);
	d->revision = sqlite3_column_int64(s, 8);
	d->voucher_created = sqlite3_column_int64(s, 9);
	d->voucher_expires = sqlite3_column_int64(s, 10);
	if (rc != SZTP_OK)
		reg_device_clear(d);
	return rc;
}

/* Binds serial to ?1 of s and steps it: SZTP_OK with the device's row
 * ready to read, SZTP_E_NOT_FOUND when it is not enrolled.  The caller
 * resets s (rsql_st_done) after reading the row. */
static sztp_rc device_step(struct reg_sqlite *r, sqlite3_stmt *s, const char *serial,
			   struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_DB;
	int src = rsql_bind_str(s, 1, serial);

	if (src == SQLITE_OK)
		src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		rc = SZTP_OK;
	else if (src == SQLITE_DONE)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "device %s is not enrolled", serial);
	else
		rc = rsql_db_fail(r, e, "reading a device");
	return rc;
}

sztp_rc rsq_device_get(struct reg_sqlite *r, const char *serial, struct reg_device *out,
		       struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_DEV_GET];
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_serial(serial, e);
	if (rc != SZTP_OK)
		goto out;
	rsql_lock(r);
	rc = device_step(r, s, serial, e);
	if (rc == SZTP_OK)
		rc = row_device(s, out, e);
	rsql_st_done(s);
	rsql_unlock(r);
out:
	if (rc != SZTP_OK)
		reg_device_clear(out);
	return rc;
}

/* Maps the failure of a device insert/update. */
static sztp_rc device_write_fail(struct reg_sqlite *r, const struct reg_device *d,
				 struct sztp_err *e)
{
	int x = sqlite3_extended_errcode(r->db);

	if (rsql_is_unique_violation(x))
		return sztp_err_set(e, SZTP_E_EXISTS, "device %s is already enrolled", d->serial);
	if (x == SQLITE_CONSTRAINT_FOREIGNKEY)
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "profile '%s' does not exist", d->profile);
	if (x == SQLITE_CONSTRAINT_CHECK)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "device %s: %s", d->serial,
				    sqlite3_errmsg(r->db));
	return rsql_db_fail(r, e, "writing a device");
}

static sztp_rc device_add(struct reg_sqlite *r, const struct reg_device *d, struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_DEV_ADD];
	sztp_rc rc = SZTP_E_DB;

	if (rsql_bind_str(s, 1, d->serial) || rsql_bind_opt(s, 2, d->password_hash) ||
	    rsql_bind_opt(s, 3, d->profile) || bind_bytes(s, 4, &d->voucher) ||
	    rsql_bind_str(s, 5, d->state[0] ? d->state : "enrolled") ||
	    sqlite3_bind_int64(s, 6, d->created ? d->created : (int64_t)time(NULL)) ||
	    sqlite3_bind_int64(s, 7, d->first_seen) || sqlite3_bind_int64(s, 8, d->last_seen) ||
	    sqlite3_bind_int64(s, 9, d->voucher_created) ||
	    sqlite3_bind_int64(s, 10, d->voucher_expires)) {
		rc = rsql_db_fail(r, e, "adding a device");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = device_write_fail(r, d, e);
	else
		rc = SZTP_OK;
out:
	rsql_st_done(s);
	return rc;
}

sztp_rc rsq_device_add(struct reg_sqlite *r, const struct reg_device *d, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_device(d, e);

	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = device_add(r, d, e);
		rsql_unlock(r);
	}
	return rc;
}

static sztp_rc device_update(struct reg_sqlite *r, const struct reg_device *d, struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_DEV_UPDATE];
	sztp_rc rc = SZTP_E_DB;

	if (rsql_bind_str(s, 1, d->serial) || rsql_bind_opt(s, 2, d->password_hash) ||
	    rsql_bind_opt(s, 3, d->profile) || bind_bytes(s, 4, &d->voucher) ||
	    sqlite3_bind_int64(s, 5, d->voucher_created) ||
	    sqlite3_bind_int64(s, 6, d->voucher_expires)) {
		rc = rsql_db_fail(r, e, "updating a device");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = device_write_fail(r, d, e);
	else if (sqlite3_changes(r->db) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "device %s is not enrolled", d->serial);
	else
		rc = SZTP_OK;
out:
	rsql_st_done(s);
	return rc;
}

sztp_rc rsq_device_update(struct reg_sqlite *r, const struct reg_device *d, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_device(d, e);

	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = device_update(r, d, e);
		rsql_unlock(r);
	}
	return rc;
}

/* Runs a statement keyed by ?1 = key; SZTP_E_NOT_FOUND (message left to
 * the caller) when it touched no row. */
static sztp_rc run_keyed(struct reg_sqlite *r, enum stmt_id id, const char *key, const char *what,
			 struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[id];
	sztp_rc rc = SZTP_E_DB;

	if (rsql_bind_str(s, 1, key) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE)
		rc = rsql_db_fail(r, e, what);
	else if (sqlite3_changes(r->db) == 0)
		rc = SZTP_E_NOT_FOUND;
	else
		rc = SZTP_OK;
	rsql_st_done(s);
	return rc;
}

sztp_rc rsq_device_remove(struct reg_sqlite *r, const char *serial, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);

	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = run_keyed(r, S_DEV_REMOVE, serial, "removing a device", e);
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc, "device %s is not enrolled", serial);
		rsql_unlock(r);
	}
	return rc;
}

static sztp_rc device_seen(struct reg_sqlite *r, const char *serial, const char *state, int64_t now,
			   struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_DEV_SEEN];
	sztp_rc rc = SZTP_E_DB;

	if (rsql_bind_str(s, 1, serial) ||
	    sqlite3_bind_int64(s, 2, now ? now : (int64_t)time(NULL)) ||
	    (state ? rsql_bind_str(s, 3, state) : sqlite3_bind_null(s, 3)) ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "recording a device contact");
	else if (sqlite3_changes(r->db) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "device %s is not enrolled", serial);
	else
		rc = SZTP_OK;
	rsql_st_done(s);
	return rc;
}

sztp_rc rsq_device_seen(struct reg_sqlite *r, const char *serial, const char *state, int64_t now,
			struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);

	if (rc == SZTP_OK && state)
		rc = reg_valid_str("device state", state, REG_STATE_MAX, 0, e);
	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = device_seen(r, serial, state, now, e);
		rsql_unlock(r);
	}
	return rc;
}

/* Runs s, bound (bound = 0: binding failed), passing each row of
 * DEV_COLS to cb; resets s. */
static sztp_rc device_rows(struct reg_sqlite *r, sqlite3_stmt *s, int bound, reg_device_cb cb,
			   void *arg, struct sztp_err *e)
{
	struct reg_device d;
	sztp_rc rc = SZTP_OK;
	int src = SQLITE_ERROR, stop = 0;

	while (bound && rc == SZTP_OK && !stop && (src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = row_device(s, &d, e);
		if (rc == SZTP_OK)
			stop = cb(&d, arg);
		reg_device_clear(&d);
	}
	if (rc == SZTP_OK && !stop && src != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "listing devices");
	rsql_st_done(s);
	return rc;
}

static sztp_rc device_list(struct reg_sqlite *r, reg_device_cb cb, void *arg, struct sztp_err *e)
{
	return device_rows(r, r->st[S_DEV_LIST], 1, cb, arg, e);
}

sztp_rc rsq_device_list(struct reg_sqlite *r, reg_device_cb cb, void *arg, struct sztp_err *e)
{
	sztp_rc rc;

	rsql_lock(r);
	rc = device_list(r, cb, arg, e);
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_device_count(struct reg_sqlite *r, int64_t *n, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_E_DB;

	*n = 0;
	rsql_lock(r);
	s = r->st[S_DEV_COUNT];
	if (sqlite3_step(s) == SQLITE_ROW) {
		*n = sqlite3_column_int64(s, 0);
		rc = SZTP_OK;
	} else {
		rc = rsql_db_fail(r, e, "counting devices");
	}
	rsql_st_done(s);
	rsql_unlock(r);
	return rc;
}

/* ---- profiles ----------------------------------------------------------- */

/* Reads PROF_COLS starting at column b; p is cleared on failure. */
static sztp_rc row_profile(sqlite3_stmt *s, int b, struct reg_profile *p, struct sztp_err *e)
{
	int kind = 0, sign = 0, rep = 0;
	sztp_rc rc;

	memset(p, 0, sizeof(*p));
	rc = rsql_col_str(s, b, p->name, sizeof(p->name), e);
	if (rc == SZTP_OK)
		rc = col_enum(s, b + 1, reg_kind_names, 2, &kind, e);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, b + 2, &p->conveyed_json, e);
	if (rc == SZTP_OK)
		rc = col_enum(s, b + 3, reg_sign_names, 3, &sign, e);
	if (rc == SZTP_OK)
		rc = col_enum(s, b + 4, reg_report_names, 2, &rep, e);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, b + 5, p->owner, sizeof(p->owner), e);
	p->kind = (enum reg_kind)kind;
	p->sign = (enum reg_sign)sign;
	p->reporting = (enum reg_reporting)rep;
	p->revision = sqlite3_column_int64(s, b + 6);
	if (rc == SZTP_OK) {
		sqlite3_int64 bits = sqlite3_column_int64(s, b + 7);

		if (bits & ~(sqlite3_int64)REG_LENIENT_ALL)
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

static sztp_rc profile_get(struct reg_sqlite *r, const char *name, struct reg_profile *out,
			   struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_PROF_GET];
	sztp_rc rc = SZTP_E_DB;
	int src;

	src = rsql_bind_str(s, 1, name);
	if (src == SQLITE_OK)
		src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		rc = row_profile(s, 0, out, e);
	else if (src == SQLITE_DONE)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "profile '%s' does not exist", name);
	else
		rc = rsql_db_fail(r, e, "reading a profile");
	rsql_st_done(s);
	return rc;
}

sztp_rc rsq_profile_get(struct reg_sqlite *r, const char *name, struct reg_profile *out,
			struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_str("profile name", name, REG_NAME_MAX, 0, e);
	if (rc != SZTP_OK)
		goto out;
	rsql_lock(r);
	rc = profile_get(r, name, out, e);
	rsql_unlock(r);
out:
	if (rc != SZTP_OK)
		reg_profile_clear(out);
	return rc;
}

static sztp_rc profile_put(struct reg_sqlite *r, const struct reg_profile *p, struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_PROF_PUT];
	sztp_rc rc = SZTP_E_DB;

	if (rsql_bind_str(s, 1, p->name) || rsql_bind_str(s, 2, reg_kind_names[p->kind]) ||
	    (p->conveyed_json ? rsql_bind_str(s, 3, p->conveyed_json) : sqlite3_bind_null(s, 3)) ||
	    rsql_bind_str(s, 4, reg_sign_names[p->sign]) ||
	    rsql_bind_str(s, 5, reg_report_names[p->reporting]) || rsql_bind_str(s, 6, p->owner) ||
	    sqlite3_bind_int64(s, 7, (sqlite3_int64)p->lenient) || sqlite3_step(s) != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "writing a profile");
	else
		rc = SZTP_OK;
	rsql_st_done(s);
	return rc;
}

sztp_rc rsq_profile_put(struct reg_sqlite *r, const struct reg_profile *p, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_profile(p, e);

	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = profile_put(r, p, e);
		rsql_unlock(r);
	}
	return rc;
}

/* Counts the devices using a profile, then removes it. */
static sztp_rc profile_remove(struct reg_sqlite *r, const char *name, struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_PROF_USERS];
	sztp_rc rc = SZTP_E_DB;
	int64_t users = 0;

	if (rsql_bind_str(s, 1, name) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		rc = rsql_db_fail(r, e, "counting the devices of a profile");
		rsql_st_done(s);
		goto out;
	}
	users = sqlite3_column_int64(s, 0);
	rsql_st_done(s);
	if (users > 0) {
		rc = sztp_err_set(e, SZTP_E_EXISTS, "profile '%s' is used by %lld device%s", name,
				  (long long)users, users == 1 ? "" : "s");
		goto out;
	}
	rc = run_keyed(r, S_PROF_REMOVE, name, "removing a profile", e);
	if (rc == SZTP_E_NOT_FOUND)
		sztp_err_set(e, rc, "profile '%s' does not exist", name);
out:
	return rc;
}

sztp_rc rsq_profile_remove(struct reg_sqlite *r, const char *name, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("profile name", name, REG_NAME_MAX, 0, e);

	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = rsql_op_begin(r, e);
		if (rc == SZTP_OK)
			rc = rsql_op_end(r, profile_remove(r, name, e), e);
		rsql_unlock(r);
	}
	return rc;
}

/* As device_rows, for rows of PROF_COLS. */
static sztp_rc profile_rows(struct reg_sqlite *r, sqlite3_stmt *s, int bound, reg_profile_cb cb,
			    void *arg, struct sztp_err *e)
{
	struct reg_profile p;
	sztp_rc rc = SZTP_OK;
	int src = SQLITE_ERROR, stop = 0;

	while (bound && rc == SZTP_OK && !stop && (src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = row_profile(s, 0, &p, e);
		if (rc == SZTP_OK)
			stop = cb(&p, arg);
		reg_profile_clear(&p);
	}
	if (rc == SZTP_OK && !stop && src != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "listing profiles");
	rsql_st_done(s);
	return rc;
}

static sztp_rc profile_list(struct reg_sqlite *r, reg_profile_cb cb, void *arg, struct sztp_err *e)
{
	return profile_rows(r, r->st[S_PROF_LIST], 1, cb, arg, e);
}

sztp_rc rsq_profile_list(struct reg_sqlite *r, reg_profile_cb cb, void *arg, struct sztp_err *e)
{
	sztp_rc rc;

	rsql_lock(r);
	rc = profile_list(r, cb, arg, e);
	rsql_unlock(r);
	return rc;
}

/* ---- owner identity ----------------------------------------------------- */

/* Appends the chain, in stored order, to o. */
static sztp_rc owner_certs(struct reg_sqlite *r, struct reg_owner *o, struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_OWN_CERTS];
	sztp_rc rc = SZTP_OK;
	sztp_bytes *grown;
	int src = rsql_bind_str(s, 1, o->name);

	while (rc == SZTP_OK && src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
		grown = realloc(o->chain, (o->n_chain + 1) * sizeof(*grown));
		if (!grown) {
			rc = sztp_err_set(e, SZTP_E_NOMEM, "registry: out of memory");
			break;
		}
		o->chain = grown;
		rc = col_bytes(s, 0, &o->chain[o->n_chain], e);
		if (rc == SZTP_OK)
			o->n_chain++;
		src = SQLITE_OK;
	}
	if (rc == SZTP_OK && src != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "reading an owner certificate chain");
	rsql_st_done(s);
	return rc;
}

static sztp_rc owner_get(struct reg_sqlite *r, const char *name, struct reg_owner *o,
			 struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_OWN_GET];
	sztp_rc rc = SZTP_E_DB;
	int src = rsql_bind_str(s, 1, name);

	if (src == SQLITE_OK)
		src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		rc = rsql_col_str(s, 0, o->name, sizeof(o->name), e);
		if (rc == SZTP_OK)
			rc = rsql_col_dup(s, 1, &o->key_path, e);
		o->revision = sqlite3_column_int64(s, 2);
	} else if (src == SQLITE_DONE) {
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "owner identity '%s' does not exist", name);
	} else {
		rc = rsql_db_fail(r, e, "reading an owner identity");
	}
	rsql_st_done(s);
	if (rc == SZTP_OK)
		rc = owner_certs(r, o, e);
	if (rc != SZTP_OK)
		reg_owner_clear(o);
	return rc;
}

sztp_rc rsq_owner_get(struct reg_sqlite *r, const char *name, struct reg_owner *out,
		      struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_str("owner name", name, REG_NAME_MAX, 0, e);
	if (rc != SZTP_OK)
		goto out;
	rsql_lock(r);
	/* one read transaction: the row and its chain from the same snapshot */
	rc = rsql_op_begin_read(r, e);
	if (rc == SZTP_OK)
		rc = rsql_op_end(r, owner_get(r, name, out, e), e);
	rsql_unlock(r);
out:
	/* also when owner_get succeeded and the COMMIT then failed */
	if (rc != SZTP_OK)
		reg_owner_clear(out);
	return rc;
}

static sztp_rc owner_put(struct reg_sqlite *r, const struct reg_owner *o, struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_OWN_PUT];
	sztp_rc rc = SZTP_E_DB;
	size_t i;

	if (rsql_bind_str(s, 1, o->name) || rsql_bind_opt(s, 2, o->key_path) ||
	    sqlite3_step(s) != SQLITE_DONE) {
		rc = rsql_db_fail(r, e, "writing an owner identity");
		rsql_st_done(s);
		goto out;
	}
	rsql_st_done(s);
	rc = run_keyed(r, S_OWN_CERTS_DEL, o->name, "replacing an owner chain", e);
	if (rc == SZTP_E_NOT_FOUND) /* there was no chain before */
		rc = SZTP_OK;
	for (i = 0; rc == SZTP_OK && i < o->n_chain; i++) {
		s = r->st[S_OWN_CERT_ADD];
		if (rsql_bind_str(s, 1, o->name) || sqlite3_bind_int64(s, 2, (int64_t)i) ||
		    bind_bytes(s, 3, &o->chain[i]) || sqlite3_step(s) != SQLITE_DONE)
			rc = rsql_db_fail(r, e, "storing an owner certificate");
		rsql_st_done(s);
	}
out:
	return rc;
}

sztp_rc rsq_owner_put(struct reg_sqlite *r, const struct reg_owner *o, struct sztp_err *e)
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
		rsql_lock(r);
		rc = rsql_op_begin(r, e);
		if (rc == SZTP_OK)
			rc = rsql_op_end(r, owner_put(r, o, e), e);
		rsql_unlock(r);
	}
	return rc;
}

/* ---- get-bootstrapping-data --------------------------------------------- */

/* Reads a row of S_BOOTSTRAP into b (zeroed by the caller; the caller
 * clears it on failure). */
static sztp_rc row_bootstrap(sqlite3_stmt *s, struct reg_bootstrap *b, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_DB;

	rc = row_device(s, &b->dev, e);
	if (rc != SZTP_OK)
		goto out;
	if (sqlite3_column_type(s, BOOT_PROF) != SQLITE_NULL) {
		b->has_profile = 1;
		rc = row_profile(s, BOOT_PROF, &b->prof, e);
		if (rc != SZTP_OK)
			goto out;
	}
	if (sqlite3_column_int(s, BOOT_OWNER)) {
		b->has_owner = 1;
		b->owner_revision = sqlite3_column_int64(s, BOOT_OWNER + 1);
	}
out:
	return rc;
}

sztp_rc rsq_bootstrap_get(struct reg_sqlite *r, const char *serial, struct reg_bootstrap *out,
			  struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_BOOTSTRAP];
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_serial(serial, e);
	if (rc != SZTP_OK)
		goto out;
	rsql_lock(r);
	/* one statement: device, profile and owner from one snapshot */
	rc = device_step(r, s, serial, e);
	if (rc == SZTP_OK)
		rc = row_bootstrap(s, out, e);
	rsql_st_done(s);
	rsql_unlock(r);
out:
	if (rc != SZTP_OK)
		reg_bootstrap_clear(out);
	return rc;
}

/* ---- progress reports --------------------------------------------------- */

static sztp_rc row_progress(sqlite3_stmt *s, struct reg_progress *p, struct sztp_err *e)
{
	sztp_rc rc;

	memset(p, 0, sizeof(*p));
	rc = rsql_col_str(s, 0, p->serial, sizeof(p->serial), e);
	p->time = sqlite3_column_int64(s, 1);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, 2, p->peer, sizeof(p->peer), e);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, 3, p->type, sizeof(p->type), e);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 4, &p->message, e);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 5, &p->ssh_host_keys, e);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 6, &p->trust_anchors, e);
	p->id = sqlite3_column_int64(s, PROG_ID_COL);
	if (rc != SZTP_OK)
		reg_progress_clear(p);
	return rc;
}

/* Sets the device state (NOT_FOUND for an unknown device), then stores. */
static sztp_rc progress_add(struct reg_sqlite *r, const struct reg_progress *p, int64_t t,
			    struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_PROG_ADD];
	sztp_rc rc = device_seen(r, p->serial, p->type, t, e);

	if (rc != SZTP_OK)
		goto out;
	if (rsql_bind_str(s, 1, p->serial) || sqlite3_bind_int64(s, 2, t) ||
	    rsql_bind_str(s, 3, p->peer) || rsql_bind_str(s, 4, p->type) ||
	    rsql_bind_opt(s, 5, p->message) || rsql_bind_opt(s, 6, p->ssh_host_keys) ||
	    rsql_bind_opt(s, 7, p->trust_anchors) || sqlite3_step(s) != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "storing a progress report");
	rsql_st_done(s);
	/* its events commit with it (or neither does: the caller's op_end) */
	if (rc == SZTP_OK)
		rc = rsql_progress_events(r, p, t, e);
out:
	return rc;
}

sztp_rc rsq_progress_add(struct reg_sqlite *r, const struct reg_progress *p, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_progress(p, e);
	int64_t t = p->time ? p->time : (int64_t)time(NULL);

	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = rsql_op_begin(r, e);
		if (rc == SZTP_OK)
			rc = rsql_op_end(r, progress_add(r, p, t, e), e);
		rsql_unlock(r);
	}
	return rc;
}

/* Binds (limit, serial) of a *_LIST_ALL / *_LIST_ONE pair and picks one. */
static sqlite3_stmt *list_stmt(struct reg_sqlite *r, enum stmt_id all, enum stmt_id one,
			       const char *serial, int limit)
{
	sqlite3_stmt *s = r->st[serial ? one : all];

	if (sqlite3_bind_int(s, 1, limit > 0 ? limit : -1) != SQLITE_OK ||
	    (serial && rsql_bind_str(s, 2, serial) != SQLITE_OK))
		return NULL;
	return s;
}

/* Runs s, bound (bound = 0: binding failed), passing each row to cb;
 * resets s. */
static sztp_rc progress_rows(struct reg_sqlite *r, sqlite3_stmt *s, int bound, reg_progress_cb cb,
			     void *arg, struct sztp_err *e)
{
	struct reg_progress p;
	sztp_rc rc = SZTP_OK;
	int src = SQLITE_ERROR, stop = 0;

	while (bound && rc == SZTP_OK && !stop && (src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = row_progress(s, &p, e);
		if (rc == SZTP_OK)
			stop = cb(&p, arg);
		reg_progress_clear(&p);
	}
	if (rc == SZTP_OK && !stop && src != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "listing progress reports");
	rsql_st_done(s);
	return rc;
}

static sztp_rc progress_list(struct reg_sqlite *r, const char *serial, int limit,
			     reg_progress_cb cb, void *arg, struct sztp_err *e)
{
	sqlite3_stmt *s = list_stmt(r, S_PROG_LIST_ALL, S_PROG_LIST_ONE, serial, limit);

	return progress_rows(r, s ? s : r->st[serial ? S_PROG_LIST_ONE : S_PROG_LIST_ALL],
			     s != NULL, cb, arg, e);
}

sztp_rc rsq_progress_list(struct reg_sqlite *r, const char *serial, int limit, reg_progress_cb cb,
			  void *arg, struct sztp_err *e)
{
	sztp_rc rc = serial ? reg_valid_serial(serial, e) : SZTP_OK;

	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = progress_list(r, serial, limit, cb, arg, e);
		rsql_unlock(r);
	}
	return rc;
}

/* ---- bootstrapping log -------------------------------------------------- */

static sztp_rc log_add(struct reg_sqlite *r, const struct reg_log *l, struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[S_LOG_ADD];
	sztp_rc rc = SZTP_OK;

	if (rsql_bind_str(s, 1, l->serial) ||
	    sqlite3_bind_int64(s, 2, l->time ? l->time : (int64_t)time(NULL)) ||
	    rsql_bind_str(s, 3, l->peer) || rsql_bind_str(s, 4, l->endpoint) ||
	    rsql_bind_str(s, 5, l->result) || sqlite3_bind_int(s, 6, l->status) ||
	    sqlite3_bind_int64(s, 7, l->duration_us) || sqlite3_step(s) != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "writing the bootstrap log");
	rsql_st_done(s);
	return rc;
}

static sztp_rc prune(struct reg_sqlite *r, int stmt, int64_t before, int64_t *deleted,
		     struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[stmt];
	sztp_rc rc = SZTP_OK;

	if (sqlite3_bind_int64(s, 1, before) || sqlite3_step(s) != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "pruning old rows");
	else
		*deleted += sqlite3_changes(r->db);
	rsql_st_done(s);
	return rc;
}

sztp_rc rsq_prune(struct reg_sqlite *r, int64_t before, int64_t *log_deleted,
		  int64_t *progress_deleted, struct sztp_err *e)
{
	int64_t nlog = 0, nprog = 0;
	sztp_rc rc = SZTP_E_DB;

	rsql_lock(r);
	rc = rsql_op_begin(r, e);
	if (rc == SZTP_OK) {
		rc = prune(r, S_LOG_PRUNE, before, &nlog, e);
		if (rc == SZTP_OK)
			rc = prune(r, S_PROG_PRUNE, before, &nprog, e);
		rc = rsql_op_end(r, rc, e);
	}
	rsql_unlock(r);
	/* rolled back on failure: nothing was deleted */
	if (log_deleted)
		*log_deleted = rc == SZTP_OK ? nlog : 0;
	if (progress_deleted)
		*progress_deleted = rc == SZTP_OK ? nprog : 0;
	return rc;
}

/* One statement of reg_log_trim: ?1 its bound, ?2 the rows it may take. */
static sztp_rc trim_step(struct reg_sqlite *r, enum stmt_id id, int64_t bound, int limit,
			 int64_t *n, struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[id];
	sztp_rc rc = SZTP_OK;

	if (sqlite3_bind_int64(s, 1, bound) || sqlite3_bind_int(s, 2, limit) ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "trimming the bootstrap log");
	else
		*n += sqlite3_changes(r->db);
	rsql_st_done(s);
	return rc;
}

sztp_rc rsq_log_trim(struct reg_sqlite *r, int64_t before, int64_t keep, int limit,
		     int64_t *deleted, struct sztp_err *e)
{
	int64_t n = 0;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	if (limit <= 0) {
		sztp_err_set(e, rc, "registry: trim limit must be positive");
		goto out;
	}
	if ((rc = begin(r, 1, e)) != SZTP_OK)
		goto out;
	if (before > 0)
		rc = trim_step(r, S_LOG_TRIM_AGE, before, limit, &n, e);
	if (rc == SZTP_OK && keep > 0 && n < limit)
		rc = trim_step(r, S_LOG_TRIM_ROWS, keep, limit - (int)n, &n, e);
	if (rc == SZTP_OK)
		rc = rsq_commit(r, e);
	else
		rsq_rollback(r);
out:
	if (deleted)
		*deleted = rc == SZTP_OK ? n : 0;
	return rc;
}

sztp_rc rsq_check_file(struct reg_sqlite *r, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	int moved = 0;

	rsql_lock(r);
	/* SQLITE_NOTFOUND: a VFS without files (":memory:") */
	if (sqlite3_file_control(r->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK &&
	    moved)
		rc = sztp_err_set(e, SZTP_E_UNAVAILABLE,
				  "registry %s was deleted or replaced while in use: the path no "
				  "longer names the open database file",
				  r->path);
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_write_probe(struct reg_sqlite *r, struct sztp_err *e)
{
	struct sztp_err ce = {SZTP_OK, ""};
	char *msg = NULL;
	sztp_rc rc = begin(r, 1, e);

	if (rc != SZTP_OK)
		return rc;
	/* a new value (SQLite writes nothing for a row left as it was): its
	 * page goes to the WAL at the commit */
	if (sqlite3_exec(r->db, "UPDATE write_probe SET probes = probes + 1 WHERE id = 1", NULL,
			 NULL, &msg) != SQLITE_OK) {
		rc = sztp_err_set(e, SZTP_E_DB, "registry %s: a test write failed: %s", r->path,
				  msg ? msg : sqlite3_errmsg(r->db));
		sqlite3_free(msg);
		rsq_rollback(r);
		return rc;
	}
	rc = rsq_commit(r, &ce); /* where a full disk shows */
	if (rc != SZTP_OK)
		sztp_err_set(e, rc, "registry %s: a test write failed: %s", r->path, ce.msg);
	return rc;
}

sztp_rc rsq_log_add(struct reg_sqlite *r, const struct reg_log *l, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_log(l, e);

	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = log_add(r, l, e);
		rsql_unlock(r);
	}
	return rc;
}

static sztp_rc row_log(sqlite3_stmt *s, struct reg_log *l, struct sztp_err *e)
{
	sztp_rc rc;

	memset(l, 0, sizeof(*l));
	rc = rsql_col_str(s, 0, l->serial, sizeof(l->serial), e);
	l->time = sqlite3_column_int64(s, 1);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, 2, l->peer, sizeof(l->peer), e);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, 3, l->endpoint, sizeof(l->endpoint), e);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, 4, l->result, sizeof(l->result), e);
	l->status = sqlite3_column_int(s, 5);
	l->duration_us = sqlite3_column_int64(s, 6);
	l->id = sqlite3_column_int64(s, LOG_ID_COL);
	if (rc != SZTP_OK)
		memset(l, 0, sizeof(*l));
	return rc;
}

/* As progress_rows, for the bootstrap log. */
static sztp_rc log_rows(struct reg_sqlite *r, sqlite3_stmt *s, int bound, reg_log_cb cb, void *arg,
			struct sztp_err *e)
{
	struct reg_log l;
	sztp_rc rc = SZTP_OK;
	int src = SQLITE_ERROR, stop = 0;

	while (bound && rc == SZTP_OK && !stop && (src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = row_log(s, &l, e);
		if (rc == SZTP_OK)
			stop = cb(&l, arg);
	}
	if (rc == SZTP_OK && !stop && src != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "listing the bootstrap log");
	rsql_st_done(s);
	return rc;
}

static sztp_rc log_list(struct reg_sqlite *r, const char *serial, int limit, reg_log_cb cb,
			void *arg, struct sztp_err *e)
{
	sqlite3_stmt *s = list_stmt(r, S_LOG_LIST_ALL, S_LOG_LIST_ONE, serial, limit);

	return log_rows(r, s ? s : r->st[serial ? S_LOG_LIST_ONE : S_LOG_LIST_ALL], s != NULL, cb,
			arg, e);
}

/* serial "" lists the unauthenticated requests. */
sztp_rc rsq_log_list(struct reg_sqlite *r, const char *serial, int limit, reg_log_cb cb, void *arg,
		     struct sztp_err *e)
{
	sztp_rc rc =
	    serial ? reg_valid_str("device serial number", serial, PKI_SERIAL_MAX, 1, e) : SZTP_OK;

	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = log_list(r, serial, limit, cb, arg, e);
		rsql_unlock(r);
	}
	return rc;
}

/* ---- IDevID pinning, authentication read, owner names (issue 9) ----------
 * Statements of their own (pin_st, prepared on first use, so the main
 * table stays as it is), reading the columns of migration 004. */

enum pin_stmt_id {
	P_AUTH,
	P_PIN_RECORD,
	P_PIN_SET,
	P_PIN_GET,
	P_PROF_PIN_SET,
	P_PROF_PIN_GET,
	P_OWNER_NAMES,
	P__COUNT
};
_Static_assert(P__COUNT <= sizeof(((struct reg_sqlite *)0)->pin_st) / sizeof(sqlite3_stmt *),
	       "pin_st is large enough");

static const char *const pin_sql[P__COUNT] = {
    [P_AUTH] = "SELECT d.password_hash, coalesce(p.pin_idevid, 0), d.idevid_pin "
	       "FROM devices AS d LEFT JOIN profiles AS p ON p.name = d.profile "
	       "WHERE d.serial = ?1",
    [P_PIN_RECORD] = "UPDATE devices SET idevid_pin = ?2 WHERE serial = ?1 AND idevid_pin IS NULL",
    /* admin changes: a new revision (P_PIN_RECORD is a device contact's) */
    [P_PIN_SET] = "UPDATE devices SET idevid_pin = ?2, revision = " REVISION " WHERE serial = ?1",
    [P_PIN_GET] = "SELECT idevid_pin FROM devices WHERE serial = ?1",
    [P_PROF_PIN_SET] =
	"UPDATE profiles SET pin_idevid = ?2, revision = " REVISION " WHERE name = ?1",
    [P_PROF_PIN_GET] = "SELECT pin_idevid FROM profiles WHERE name = ?1",
    [P_OWNER_NAMES] = "SELECT name FROM owners ORDER BY name",
};

/* The statement, prepared on first use (called with r->mu held); NULL
 * with e set when it cannot be prepared. */
static sqlite3_stmt *pin_stmt(struct reg_sqlite *r, enum pin_stmt_id id, struct sztp_err *e)
{
	if (!r->pin_st[id] && sqlite3_prepare_v3(r->db, pin_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
						 &r->pin_st[id], NULL) != SQLITE_OK) {
		sztp_err_set(e, SZTP_E_INTERNAL,
			     "registry: preparing a pinning statement failed: %s",
			     sqlite3_errmsg(r->db));
		return NULL;
	}
	return r->pin_st[id];
}

/* A pin column: 32 bytes or NULL. */
static sztp_rc col_pin(sqlite3_stmt *s, int i, int *has, uint8_t pin[REG_PIN_LEN],
		       struct sztp_err *e)
{
	const void *p = sqlite3_column_blob(s, i);
	int n = sqlite3_column_bytes(s, i);

	*has = 0;
	memset(pin, 0, REG_PIN_LEN);
	if (!p)
		return SZTP_OK;
	if (n != REG_PIN_LEN)
		return sztp_err_set(e, SZTP_E_DB, "registry: stored IDevID pin has %d bytes", n);
	memcpy(pin, p, REG_PIN_LEN);
	*has = 1;
	return SZTP_OK;
}

sztp_rc rsq_device_auth_get(struct reg_sqlite *r, const char *serial, struct reg_device_auth *out,
			    struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_serial(serial, e);
	if (rc != SZTP_OK)
		goto out;
	rsql_lock(r);
	s = pin_stmt(r, P_AUTH, e);
	rc = s ? device_step(r, s, serial, e) : SZTP_E_INTERNAL;
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 0, &out->password_hash, e);
	if (rc == SZTP_OK) {
		out->pin_required = sqlite3_column_int(s, 1) != 0;
		rc = col_pin(s, 2, &out->has_pin, out->pin, e);
	}
	if (s)
		rsql_st_done(s);
	rsql_unlock(r);
out:
	if (rc != SZTP_OK)
		reg_device_auth_clear(out);
	return rc;
}

/* The device's pin (has = 0 when none); NOT_FOUND when not enrolled. */
static sztp_rc pin_get(struct reg_sqlite *r, const char *serial, int *has, uint8_t pin[REG_PIN_LEN],
		       struct sztp_err *e)
{
	sqlite3_stmt *s = pin_stmt(r, P_PIN_GET, e);
	sztp_rc rc = s ? device_step(r, s, serial, e) : SZTP_E_INTERNAL;

	*has = 0;
	memset(pin, 0, REG_PIN_LEN);
	if (rc == SZTP_OK)
		rc = col_pin(s, 0, has, pin, e);
	if (s)
		rsql_st_done(s);
	return rc;
}

sztp_rc rsq_device_pin_get(struct reg_sqlite *r, const char *serial, int *has,
			   uint8_t pin[REG_PIN_LEN], struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);

	*has = 0;
	memset(pin, 0, REG_PIN_LEN);
	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = pin_get(r, serial, has, pin, e);
		rsql_unlock(r);
	}
	if (rc != SZTP_OK) {
		*has = 0;
		memset(pin, 0, REG_PIN_LEN);
	}
	return rc;
}

/* Runs an UPDATE of pin_sql keyed by ?1 = key with ?2 = pin (NULL: SQL
 * NULL) or ?2 = an integer; *changed = rows changed. */
static sztp_rc pin_update(struct reg_sqlite *r, enum pin_stmt_id id, const char *key,
			  const uint8_t *pin, int value, int *changed, struct sztp_err *e)
{
	sqlite3_stmt *s = pin_stmt(r, id, e);
	sztp_rc rc = SZTP_E_DB;
	int src;

	*changed = 0;
	if (!s)
		return SZTP_E_INTERNAL;
	src = rsql_bind_str(s, 1, key);
	if (src == SQLITE_OK)
		src = id == P_PROF_PIN_SET ? sqlite3_bind_int(s, 2, value)
		      : pin ? sqlite3_bind_blob(s, 2, pin, REG_PIN_LEN, SQLITE_STATIC)
			    : sqlite3_bind_null(s, 2);
	if (src == SQLITE_OK && sqlite3_step(s) == SQLITE_DONE) {
		*changed = sqlite3_changes(r->db);
		rc = SZTP_OK;
	} else {
		rc = rsql_db_fail(r, e, "writing an IDevID pin setting");
	}
	rsql_st_done(s);
	return rc;
}

static sztp_rc pin_record(struct reg_sqlite *r, const char *serial, const uint8_t pin[REG_PIN_LEN],
			  int *recorded, struct sztp_err *e)
{
	uint8_t have[REG_PIN_LEN];
	int changed = 0, has = 0;
	sztp_rc rc = pin_update(r, P_PIN_RECORD, serial, pin, 0, &changed, e);

	if (rc != SZTP_OK || changed) {
		*recorded = changed != 0;
		return rc;
	}
	/* nothing written: not enrolled, or a pin is there already */
	rc = pin_get(r, serial, &has, have, e);
	if (rc == SZTP_OK && !has) /* cannot happen inside one transaction */
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "registry: IDevID pin of %s not written",
				  serial);
	if (rc == SZTP_OK && memcmp(have, pin, REG_PIN_LEN) != 0)
		rc = sztp_err_set(e, SZTP_E_MISMATCH, "device %s has a different IDevID key pinned",
				  serial);
	return rc;
}

sztp_rc rsq_device_pin_record(struct reg_sqlite *r, const char *serial,
			      const uint8_t pin[REG_PIN_LEN], int *recorded, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);

	*recorded = 0;
	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = rsql_op_begin(r, e);
		if (rc == SZTP_OK)
			rc = rsql_op_end(r, pin_record(r, serial, pin, recorded, e), e);
		rsql_unlock(r);
	}
	if (rc != SZTP_OK)
		*recorded = 0;
	return rc;
}

sztp_rc rsq_device_pin_set(struct reg_sqlite *r, const char *serial, const uint8_t *pin,
			   struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);
	int changed = 0;

	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = pin_update(r, P_PIN_SET, serial, pin, 0, &changed, e);
		rsql_unlock(r);
	}
	if (rc == SZTP_OK && !changed)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "device %s is not enrolled", serial);
	return rc;
}

sztp_rc rsq_profile_pin_set(struct reg_sqlite *r, const char *name, int on, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("profile name", name, REG_NAME_MAX, 0, e);
	int changed = 0;

	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = pin_update(r, P_PROF_PIN_SET, name, NULL, on ? 1 : 0, &changed, e);
		rsql_unlock(r);
	}
	if (rc == SZTP_OK && !changed)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "profile '%s' does not exist", name);
	return rc;
}

sztp_rc rsq_profile_pin_get(struct reg_sqlite *r, const char *name, int *on, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("profile name", name, REG_NAME_MAX, 0, e);
	sqlite3_stmt *s;
	int src;

	*on = 0;
	if (rc != SZTP_OK)
		return rc;
	rsql_lock(r);
	s = pin_stmt(r, P_PROF_PIN_GET, e);
	if (!s) {
		rc = SZTP_E_INTERNAL;
	} else {
		src = rsql_bind_str(s, 1, name);
		if (src == SQLITE_OK)
			src = sqlite3_step(s);
		if (src == SQLITE_ROW)
			*on = sqlite3_column_int(s, 0) != 0;
		else if (src == SQLITE_DONE)
			rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "profile '%s' does not exist", name);
		else
			rc = rsql_db_fail(r, e, "reading a profile");
		rsql_st_done(s);
	}
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_owner_names(struct reg_sqlite *r, reg_name_cb cb, void *arg, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_OK;
	int src = SQLITE_DONE, stop = 0;

	rsql_lock(r);
	s = pin_stmt(r, P_OWNER_NAMES, e);
	if (!s)
		rc = SZTP_E_INTERNAL;
	while (s && !stop && (src = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);
		stop = cb(t ? (const char *)t : "", arg);
	}
	if (s && !stop && src != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "listing owner identities");
	if (s)
		rsql_st_done(s);
	rsql_unlock(r);
	return rc;
}

/* ---- admin API queries (issue 10, migration 005) -------------------------
 * Filtered, paginated reads.  Each is one statement from the table, whose
 * plan is fixed when it is prepared: a filter that is absent is bound as
 * NULL / 0 and its condition is then true.  Ranges carry the order: the
 * device list walks the serial primary key from the cursor or prefix to
 * the prefix's end, the id-ordered lists walk the rowid (or (serial, id),
 * (resource) indexes) from the cursor.  A resource prefix is read through
 * its index (rows of one resource or a few: found at once, then sorted by
 * id) rather than by walking every id: without statistics SQLite would
 * pick the latter, so the statement names the index. */

static const struct reg_query no_query = REG_QUERY_INIT;

/* A NULL stays SQL NULL (a "no condition"); "" is a value. */
static int bind_filter(sqlite3_stmt *s, int i, const char *v)
{
	return v ? rsql_bind_str(s, i, v) : sqlite3_bind_null(s, i);
}

static int bind_limit(sqlite3_stmt *s, int i, int limit)
{
	return sqlite3_bind_int(s, i, limit > 0 ? limit : -1);
}

/* The least string greater than every string starting with prefix
 * (byte order, as SQLite's BINARY collation compares): prefix without its
 * trailing 0xff bytes, last byte plus one.  0 when there is none (prefix
 * is empty or all 0xff: then ">= prefix" alone is "starts with"). */
static int prefix_upper(const char *prefix, char *buf, size_t cap)
{
	size_t n = strlen(prefix);

	if (n >= cap)
		return 0;
	memcpy(buf, prefix, n);
	while (n > 0 && (unsigned char)buf[n - 1] == 0xff)
		n--;
	if (n == 0)
		return 0;
	buf[n - 1] = (char)((unsigned char)buf[n - 1] + 1);
	buf[n] = '\0';
	return 1;
}

/* Binds the end of a range: upper, or when there is none a zero-length
 * blob, which SQLite orders after every text value. */
static int bind_upper(sqlite3_stmt *s, int i, const char *upper)
{
	return upper ? rsql_bind_str(s, i, upper) : sqlite3_bind_zeroblob(s, i, 0);
}

/* The serial range [*lo, *hi) of a device query (*hi NULL: no end):
 * the exact serial and the prefix each narrow it, the cursor moves its
 * start (the statement excludes the cursor's own serial). */
static void device_range(const struct reg_query *q, const char **lo, const char **hi,
			 char up_serial[PKI_SERIAL_MAX], char up_prefix[PKI_SERIAL_MAX])
{
	const char *u;

	*lo = "";
	*hi = NULL;
	if (q->serial) {
		*lo = q->serial;
		*hi = prefix_upper(q->serial, up_serial, PKI_SERIAL_MAX) ? up_serial : NULL;
	}
	if (q->serial_prefix) {
		if (strcmp(q->serial_prefix, *lo) > 0)
			*lo = q->serial_prefix;
		u = prefix_upper(q->serial_prefix, up_prefix, PKI_SERIAL_MAX) ? up_prefix : NULL;
		if (u && (!*hi || strcmp(u, *hi) < 0))
			*hi = u;
	}
	if (q->after_key && strcmp(q->after_key, *lo) > 0)
		*lo = q->after_key;
}

sztp_rc rsq_device_query(struct reg_sqlite *r, const struct reg_query *q, reg_device_cb cb,
			 void *arg, struct sztp_err *e)
{
	char up_serial[PKI_SERIAL_MAX], up_prefix[PKI_SERIAL_MAX];
	const char *lo = NULL, *hi = NULL;
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int bound;

	if (!q)
		q = &no_query;
	if ((rc = reg_valid_device_query(q, e)) != SZTP_OK)
		goto out;
	device_range(q, &lo, &hi, up_serial, up_prefix);
	rsql_lock(r);
	s = r->st[S_DEV_QUERY];
	bound =
	    rsql_bind_str(s, 1, lo) == SQLITE_OK && bind_upper(s, 10, hi) == SQLITE_OK &&
	    bind_filter(s, 2, q->after_key) == SQLITE_OK &&
	    bind_filter(s, 3, q->serial) == SQLITE_OK &&
	    bind_filter(s, 4, q->profile) == SQLITE_OK &&
	    bind_filter(s, 5, q->state) == SQLITE_OK &&
	    sqlite3_bind_int(s, 6, q->has_voucher < 0 ? -1 : q->has_voucher != 0) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 7, q->since) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 8, q->before) == SQLITE_OK &&
	    bind_limit(s, 9, q->limit) == SQLITE_OK;
	rc = device_rows(r, s, bound, cb, arg, e);
	rsql_unlock(r);
out:
	return rc;
}

/* Binds ?1..?5 of ID_QUERY_WHERE; what = the ?2 filter's column. */
static int bind_id_query(sqlite3_stmt *s, const struct reg_query *q, const char *what)
{
	return sqlite3_bind_int64(s, 1, q->after_id) == SQLITE_OK &&
	       bind_filter(s, 2, what) == SQLITE_OK &&
	       sqlite3_bind_int64(s, 3, q->since) == SQLITE_OK &&
	       sqlite3_bind_int64(s, 4, q->before) == SQLITE_OK &&
	       bind_limit(s, 5, q->limit) == SQLITE_OK;
}

/* The statement of an id-ordered query: by serial (?6) when one is asked. */
static sqlite3_stmt *id_query_stmt(struct reg_sqlite *r, enum stmt_id all, enum stmt_id one,
				   const struct reg_query *q, const char *what, int *bound)
{
	sqlite3_stmt *s = r->st[q->serial ? one : all];

	*bound = bind_id_query(s, q, what) &&
		 (!q->serial || rsql_bind_str(s, 6, q->serial) == SQLITE_OK);
	return s;
}

sztp_rc rsq_progress_query(struct reg_sqlite *r, const struct reg_query *q, reg_progress_cb cb,
			   void *arg, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int bound = 0;

	if (!q)
		q = &no_query;
	if ((rc = reg_valid_id_query(q, e)) != SZTP_OK)
		goto out;
	rsql_lock(r);
	s = id_query_stmt(r, S_PROG_QUERY_ALL, S_PROG_QUERY_ONE, q, q->type, &bound);
	rc = progress_rows(r, s, bound, cb, arg, e);
	rsql_unlock(r);
out:
	return rc;
}

sztp_rc rsq_log_query(struct reg_sqlite *r, const struct reg_query *q, reg_log_cb cb, void *arg,
		      struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int bound = 0;

	if (!q)
		q = &no_query;
	if ((rc = reg_valid_id_query(q, e)) != SZTP_OK)
		goto out;
	rsql_lock(r);
	s = id_query_stmt(r, S_LOG_QUERY_ALL, S_LOG_QUERY_ONE, q, q->type, &bound);
	rc = log_rows(r, s, bound, cb, arg, e);
	rsql_unlock(r);
out:
	return rc;
}

/* Runs a statement returning one integer, ?1 = key; SZTP_E_NOT_FOUND
 * (message left to the caller) when it returns no row.  *n = 0 then. */
static sztp_rc keyed_int(struct reg_sqlite *r, enum stmt_id id, const char *key, int64_t *n,
			 const char *what, struct sztp_err *e)
{
	sqlite3_stmt *s = r->st[id];
	sztp_rc rc = SZTP_E_DB;
	int src = rsql_bind_str(s, 1, key);

	*n = 0;
	if (src == SQLITE_OK)
		src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		*n = sqlite3_column_int64(s, 0);
		rc = SZTP_OK;
	} else if (src == SQLITE_DONE) {
		rc = SZTP_E_NOT_FOUND;
	} else {
		rc = rsql_db_fail(r, e, what);
	}
	rsql_st_done(s);
	return rc;
}

sztp_rc rsq_profile_device_count(struct reg_sqlite *r, const char *profile, int64_t *n,
				 struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("profile name", profile, REG_NAME_MAX, 0, e);

	*n = 0;
	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = keyed_int(r, S_PROF_USERS, profile, n, "counting the devices of a profile", e);
		rsql_unlock(r);
	}
	if (rc != SZTP_OK)
		*n = 0;
	return rc;
}

sztp_rc rsq_device_revision(struct reg_sqlite *r, const char *serial, int64_t *rev,
			    struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);

	*rev = 0;
	if (rc == SZTP_OK) {
		rsql_lock(r);
		rc = keyed_int(r, S_DEV_REVISION, serial, rev, "reading a device revision", e);
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc, "device %s is not enrolled", serial);
		rsql_unlock(r);
	}
	if (rc != SZTP_OK)
		*rev = 0;
	return rc;
}

/* Binds (after_key, limit) of a name-ordered list: names are never empty,
 * so "" starts at the first. */
static int bind_name_page(sqlite3_stmt *s, const char *after_key, int limit)
{
	return rsql_bind_str(s, 1, after_key ? after_key : "") == SQLITE_OK &&
	       bind_limit(s, 2, limit) == SQLITE_OK;
}

sztp_rc rsq_profile_query(struct reg_sqlite *r, const char *after_key, int limit, reg_profile_cb cb,
			  void *arg, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc =
	    after_key ? reg_valid_str("cursor name", after_key, REG_NAME_MAX, 1, e) : SZTP_OK;

	if (rc == SZTP_OK) {
		rsql_lock(r);
		s = r->st[S_PROF_QUERY];
		rc = profile_rows(r, s, bind_name_page(s, after_key, limit), cb, arg, e);
		rsql_unlock(r);
	}
	return rc;
}

/* ---- admin tokens ---------------------------------------------------------- */

static const char *const scope_names[] = {"read", "write"}; /* REG_TOKEN_READ - 1, ... */

static sztp_rc row_token(sqlite3_stmt *s, struct reg_token *t, struct sztp_err *e)
{
	const void *h;
	int scope = 0;
	sztp_rc rc;

	memset(t, 0, sizeof(*t));
	rc = rsql_col_str(s, 0, t->name, sizeof(t->name), e);
	h = sqlite3_column_blob(s, 1);
	if (rc == SZTP_OK && (!h || sqlite3_column_bytes(s, 1) != REG_TOKEN_HASH_LEN))
		rc = sztp_err_set(e, SZTP_E_DB, "registry: stored hash of token '%s' is malformed",
				  t->name);
	if (rc == SZTP_OK) {
		memcpy(t->hash, h, REG_TOKEN_HASH_LEN);
		rc = col_enum(s, 2, scope_names, 2, &scope, e);
	}
	t->scope = (enum reg_token_scope)(scope + 1);
	t->created = sqlite3_column_int64(s, 3);
	t->expires = sqlite3_column_int64(s, 4);
	t->revoked = sqlite3_column_int64(s, 5);
	if (rc != SZTP_OK)
		memset(t, 0, sizeof(*t));
	return rc;
}

sztp_rc rsq_token_add(struct reg_sqlite *r, const struct reg_token *t, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = reg_valid_str("token name", t->name, sizeof(t->name), 0, e);
	int x;

	if (rc == SZTP_OK && t->scope != REG_TOKEN_READ && t->scope != REG_TOKEN_WRITE)
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "token '%s': scope %d is unknown",
				  t->name, (int)t->scope);
	if (rc != SZTP_OK)
		goto out;
	rsql_lock(r);
	s = r->st[S_TOK_ADD];
	if (rsql_bind_str(s, 1, t->name) ||
	    sqlite3_bind_blob(s, 2, t->hash, REG_TOKEN_HASH_LEN, SQLITE_STATIC) ||
	    rsql_bind_str(s, 3, scope_names[t->scope - 1]) ||
	    sqlite3_bind_int64(s, 4, t->created ? t->created : (int64_t)time(NULL)) ||
	    sqlite3_bind_int64(s, 5, t->expires) || sqlite3_bind_int64(s, 6, t->revoked)) {
		rc = rsql_db_fail(r, e, "adding a token");
	} else if (sqlite3_step(s) != SQLITE_DONE) {
		x = sqlite3_extended_errcode(r->db);
		if (x == SQLITE_CONSTRAINT_PRIMARYKEY)
			rc = sztp_err_set(e, SZTP_E_EXISTS, "token '%s' exists", t->name);
		else if (x == SQLITE_CONSTRAINT_UNIQUE) /* the hash: a 2^-256 event, or a reuse */
			rc = sztp_err_set(e, SZTP_E_EXISTS,
					  "token '%s': another token has its hash", t->name);
		else if (x == SQLITE_CONSTRAINT_CHECK)
			rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "token '%s': %s", t->name,
					  sqlite3_errmsg(r->db));
		else
			rc = rsql_db_fail(r, e, "adding a token");
	} else {
		rc = SZTP_OK;
	}
	rsql_st_done(s);
	rsql_unlock(r);
out:
	return rc;
}

/* Steps s (bound by the caller) for one token row; resets s. */
static sztp_rc token_get(struct reg_sqlite *r, sqlite3_stmt *s, int bound, struct reg_token *out,
			 const char *missing, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_DB;
	int src = bound ? sqlite3_step(s) : SQLITE_ERROR;

	if (src == SQLITE_ROW)
		rc = row_token(s, out, e);
	else if (src == SQLITE_DONE)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "%s", missing);
	else
		rc = rsql_db_fail(r, e, "reading a token");
	rsql_st_done(s);
	return rc;
}

sztp_rc rsq_token_get_by_hash(struct reg_sqlite *r, const uint8_t hash[REG_TOKEN_HASH_LEN],
			      struct reg_token *out, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_E_DB;

	memset(out, 0, sizeof(*out));
	rsql_lock(r);
	s = r->st[S_TOK_GET_HASH]; /* the UNIQUE index on hash */
	rc = token_get(
	    r, s, sqlite3_bind_blob(s, 1, hash, REG_TOKEN_HASH_LEN, SQLITE_STATIC) == SQLITE_OK,
	    out, "no such token", e);
	rsql_unlock(r);
	if (rc != SZTP_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

sztp_rc rsq_token_get(struct reg_sqlite *r, const char *name, struct reg_token *out,
		      struct sztp_err *e)
{
	char missing[REG_NAME_MAX + 32];
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_str("token name", name, REG_NAME_MAX, 0, e);
	if (rc != SZTP_OK)
		goto out;
	snprintf(missing, sizeof(missing), "token '%s' does not exist", name);
	rsql_lock(r);
	s = r->st[S_TOK_GET];
	rc = token_get(r, s, rsql_bind_str(s, 1, name) == SQLITE_OK, out, missing, e);
	rsql_unlock(r);
out:
	if (rc != SZTP_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

sztp_rc rsq_token_revoke(struct reg_sqlite *r, const char *name, int64_t now, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = reg_valid_str("token name", name, REG_NAME_MAX, 0, e);

	if (rc != SZTP_OK)
		goto out;
	rsql_lock(r);
	s = r->st[S_TOK_REVOKE];
	if (rsql_bind_str(s, 1, name) ||
	    sqlite3_bind_int64(s, 2, now ? now : (int64_t)time(NULL)) ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "revoking a token");
	else if (sqlite3_changes(r->db) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "token '%s' does not exist", name);
	rsql_st_done(s);
	rsql_unlock(r);
out:
	return rc;
}

sztp_rc rsq_token_list(struct reg_sqlite *r, const char *after_key, int limit, reg_token_cb cb,
		       void *arg, struct sztp_err *e)
{
	struct reg_token t;
	sqlite3_stmt *s;
	sztp_rc rc =
	    after_key ? reg_valid_str("cursor name", after_key, REG_NAME_MAX, 1, e) : SZTP_OK;
	int src = SQLITE_ERROR, stop = 0, bound;

	if (rc != SZTP_OK)
		goto out;
	rsql_lock(r);
	s = r->st[S_TOK_LIST];
	bound = bind_name_page(s, after_key, limit);
	while (bound && rc == SZTP_OK && !stop && (src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = row_token(s, &t, e);
		if (rc == SZTP_OK)
			stop = cb(&t, arg);
	}
	if (rc == SZTP_OK && !stop && src != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "listing tokens");
	rsql_st_done(s);
	rsql_unlock(r);
out:
	return rc;
}

/* ---- audit ---------------------------------------------------------------- */

static int bind_rev(sqlite3_stmt *s, int i, int64_t rev)
{
	return rev ? sqlite3_bind_int64(s, i, rev) : sqlite3_bind_null(s, i);
}

sztp_rc rsq_audit_add(struct reg_sqlite *r, const struct reg_audit *a, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = reg_valid_str("audit actor", a->actor, sizeof(a->actor), 0, e);

	if (rc == SZTP_OK)
		rc = reg_valid_str("audit action", a->action, sizeof(a->action), 0, e);
	if (rc == SZTP_OK)
		rc = reg_valid_str("audit resource", a->resource, sizeof(a->resource), 1, e);
	if (rc != SZTP_OK)
		goto out;
	rsql_lock(r);
	s = r->st[S_AUD_ADD];
	if (sqlite3_bind_int64(s, 1, a->time ? a->time : (int64_t)time(NULL)) ||
	    rsql_bind_str(s, 2, a->actor) || rsql_bind_str(s, 3, a->action) ||
	    rsql_bind_str(s, 4, a->resource) || bind_rev(s, 5, a->rev_before) ||
	    bind_rev(s, 6, a->rev_after) || bind_filter(s, 7, a->detail) ||
	    sqlite3_step(s) != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "writing the audit trail");
	rsql_st_done(s);
	rsql_unlock(r);
out:
	return rc;
}

static sztp_rc row_audit(sqlite3_stmt *s, struct reg_audit *a, struct sztp_err *e)
{
	sztp_rc rc;

	memset(a, 0, sizeof(*a));
	a->time = sqlite3_column_int64(s, 0);
	rc = rsql_col_str(s, 1, a->actor, sizeof(a->actor), e);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, 2, a->action, sizeof(a->action), e);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, 3, a->resource, sizeof(a->resource), e);
	a->rev_before = sqlite3_column_int64(s, 4); /* NULL reads as 0 */
	a->rev_after = sqlite3_column_int64(s, 5);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 6, &a->detail, e);
	a->id = sqlite3_column_int64(s, 7);
	if (rc != SZTP_OK)
		reg_audit_clear(a);
	return rc;
}

sztp_rc rsq_audit_query(struct reg_sqlite *r, const struct reg_query *q, reg_audit_cb cb, void *arg,
			struct sztp_err *e)
{
	char upper[sizeof(((struct reg_audit *)0)->resource)];
	struct reg_audit a;
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int src = SQLITE_ERROR, stop = 0, bound, by_res;

	if (!q)
		q = &no_query;
	by_res = q->resource && *q->resource;
	if (by_res &&
	    (rc = reg_valid_str("audit resource", q->resource, sizeof(upper), 1, e)) != SZTP_OK)
		goto out;
	rc = SZTP_OK;
	rsql_lock(r);
	s = r->st[by_res ? S_AUD_QUERY_RES : S_AUD_QUERY_ALL];
	bound =
	    bind_id_query(s, q, q->actor) &&
	    (!by_res ||
	     (rsql_bind_str(s, 6, q->resource) == SQLITE_OK &&
	      bind_upper(s, 7, prefix_upper(q->resource, upper, sizeof(upper)) ? upper : NULL) ==
		  SQLITE_OK));
	while (bound && rc == SZTP_OK && !stop && (src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = row_audit(s, &a, e);
		if (rc == SZTP_OK)
			stop = cb(&a, arg);
		reg_audit_clear(&a);
	}
	if (rc == SZTP_OK && !stop && src != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "listing the audit trail");
	rsql_st_done(s);
	rsql_unlock(r);
out:
	return rc;
}
