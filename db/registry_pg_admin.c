/*
 * registry_pg_admin.c - the admin API's side of the PostgreSQL registry:
 * paged queries of devices, profiles, progress and the bootstrapping log,
 * admin tokens and the audit trail (registry_sqlite.c's second half, in
 * PostgreSQL's dialect).
 *
 * Each query is one statement whose absent filters are bound as NULL / 0
 * (their condition is then true); the casts tell PostgreSQL the type of a
 * parameter it cannot infer from its first use.  Ranges carry the order:
 * the device list walks the serial primary key (COLLATE "C": byte order,
 * as SQLite's BINARY) from the cursor or prefix to the prefix's end, whose
 * end is bound as NULL when there is none (SQLite binds a zero-length
 * blob, which it orders after all text).  No limit is LIMIT NULL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "registry.h"
#include "registry_backend.h"
#include "registry_pg_internal.h"

#define TOK_COLS "name, hash, scope, created, expires, revoked"
#define AUD_COLS "time, actor, action, resource, rev_before, rev_after, detail"
/* Devices: the serial range [$1, $10) ($10 NULL: no end), $2 the cursor's
 * serial, which the range starts at but excludes. */
#define DEV_QUERY_WHERE                                                                            \
	"serial >= $1 AND ($10::text IS NULL OR serial < $10) AND serial IS DISTINCT FROM $2 "     \
	"AND ($3::text IS NULL OR serial = $3) "                                                   \
	"AND ($4::text IS NULL OR coalesce(profile, '') = $4) "                                    \
	"AND ($5::text IS NULL OR state = $5) "                                                    \
	"AND ($6::int < 0 OR (voucher IS NOT NULL AND length(voucher) > 0) = ($6 = 1)) "           \
	"AND ($7::bigint = 0 OR last_seen >= $7) AND ($8::bigint = 0 OR last_seen < $8)"
/* id-ordered tables: $1 the cursor, $2 type / result / actor, [$3, $4)
 * the time range, $5 the limit; the _ONE / _RES forms add $6 (and $7). */
#define ID_QUERY_WHERE(col)                                                                        \
	"id > $1 AND ($2::text IS NULL OR " col " = $2) AND ($3::bigint = 0 OR time >= $3) "       \
	"AND ($4::bigint = 0 OR time < $4)"

enum adm_stmt_id {
	A_DEV_QUERY,
	A_DEV_REVISION,
	A_PROF_USERS,
	A_PROF_QUERY,
	A_PROG_QUERY_ALL,
	A_PROG_QUERY_ONE,
	A_LOG_QUERY_ALL,
	A_LOG_QUERY_ONE,
	A_TOK_ADD,
	A_TOK_GET_HASH,
	A_TOK_GET,
	A_TOK_REVOKE,
	A_TOK_LIST,
	A_AUD_ADD,
	A_AUD_QUERY_ALL,
	A_AUD_QUERY_RES,
	A__COUNT
};

/* Every statement of this file (prepared on first use, keyed by address). */
static const char *const adm_sql[A__COUNT] = {
    [A_DEV_QUERY] =
	"SELECT " DEV_COLS " FROM devices WHERE " DEV_QUERY_WHERE " ORDER BY serial LIMIT $9",
    [A_DEV_REVISION] = "SELECT revision FROM devices WHERE serial = $1",
    [A_PROF_USERS] = "SELECT count(*) FROM devices WHERE profile = $1",
    [A_PROF_QUERY] = "SELECT " PROF_COLS " FROM profiles WHERE name > $1 ORDER BY name LIMIT $2",
    [A_PROG_QUERY_ALL] = "SELECT " PROG_COLS
			 ", id FROM progress WHERE " ID_QUERY_WHERE("type") " ORDER BY id LIMIT $5",
    [A_PROG_QUERY_ONE] =
	"SELECT " PROG_COLS
	", id FROM progress WHERE serial = $6 AND " ID_QUERY_WHERE("type") " ORDER BY id LIMIT $5",
    [A_LOG_QUERY_ALL] = "SELECT " LOG_COLS ", id FROM bootstrap_log WHERE " ID_QUERY_WHERE(
	"result") " ORDER BY id LIMIT $5",
    [A_LOG_QUERY_ONE] =
	"SELECT " LOG_COLS ", id FROM bootstrap_log WHERE serial = $6 AND " ID_QUERY_WHERE(
	    "result") " ORDER BY id LIMIT $5",
    [A_TOK_ADD] = "INSERT INTO admin_tokens (" TOK_COLS ") VALUES ($1, $2, $3, $4, $5, $6)",
    [A_TOK_GET_HASH] = "SELECT " TOK_COLS " FROM admin_tokens WHERE hash = $1",
    [A_TOK_GET] = "SELECT " TOK_COLS " FROM admin_tokens WHERE name = $1",
    /* matches (and counts) a revoked row too, keeping its first time */
    [A_TOK_REVOKE] = "UPDATE admin_tokens SET revoked = CASE revoked WHEN 0 THEN $2 "
		     "ELSE revoked END WHERE name = $1",
    [A_TOK_LIST] = "SELECT " TOK_COLS " FROM admin_tokens WHERE name > $1 ORDER BY name LIMIT $2",
    [A_AUD_ADD] = "INSERT INTO audit (" AUD_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [A_AUD_QUERY_ALL] =
	"SELECT " AUD_COLS ", id FROM audit WHERE " ID_QUERY_WHERE("actor") " ORDER BY id LIMIT $5",
    [A_AUD_QUERY_RES] =
	"SELECT " AUD_COLS ", id FROM audit WHERE resource >= $6 AND "
	"($7::text IS NULL OR resource < $7) AND " ID_QUERY_WHERE("actor") " ORDER BY id LIMIT $5",
};

static const struct reg_query no_query = REG_QUERY_INIT;

/* ---- admin API queries ------------------------------------------------------ */

/* The least valid UTF-8 string greater than every string starting with
 * prefix, in byte order (= code point order; the key columns are COLLATE
 * "C"): prefix with its last code point replaced by the next one (a last
 * U+10FFFF is dropped and the one before it moves on).  SQLite's backend
 * adds one to the last byte instead, which may give invalid UTF-8 (a
 * prefix ending in U+00FF gives ...C3 C0) that PostgreSQL refuses as text.
 * buf needs strlen(prefix) + 2 bytes (the next code point may be one byte
 * longer).  0 when there is none (prefix empty, all U+10FFFF, or not UTF-8
 * at its end: the server refuses the prefix itself then). */
static int prefix_upper(const char *prefix, char *buf, size_t cap)
{
	size_t n = strlen(prefix), k, len;
	uint32_t cp;
	unsigned char c;

	if (n + 2 > cap)
		return 0;
	memcpy(buf, prefix, n);
	while (n > 0) {
		for (k = n - 1; k > 0 && n - k < 4 && ((unsigned char)buf[k] & 0xc0) == 0x80; k--)
			;
		c = (unsigned char)buf[k];
		len = c < 0x80		      ? 1
		      : c >= 0xc2 && c < 0xe0 ? 2
		      : c >= 0xe0 && c < 0xf0 ? 3
		      : c >= 0xf0 && c < 0xf5 ? 4
					      : 0;
		if (len != n - k)
			return 0;
		cp = len == 1 ? c : c & (0x7f >> len);
		while (++k < n)
			cp = cp << 6 | ((unsigned char)buf[k] & 0x3f);
		n -= len;
		if (cp >= 0x10ffff)
			continue;
		cp = cp + 1 == 0xd800 ? 0xe000 : cp + 1;
		if (cp < 0x80) {
			buf[n++] = (char)cp;
		} else if (cp < 0x800) {
			buf[n++] = (char)(0xc0 | cp >> 6);
			buf[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			buf[n++] = (char)(0xe0 | cp >> 12);
			buf[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
			buf[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			buf[n++] = (char)(0xf0 | cp >> 18);
			buf[n++] = (char)(0x80 | (cp >> 12 & 0x3f));
			buf[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
			buf[n++] = (char)(0x80 | (cp & 0x3f));
		}
		buf[n] = '\0';
		return 1;
	}
	return 0;
}

#define UPPER_MAX (PKI_SERIAL_MAX + 2)

/* The serial range [*lo, *hi) of a device query (*hi NULL: no end):
 * the exact serial and the prefix each narrow it, the cursor moves its
 * start (the statement excludes the cursor's own serial). */
static void device_range(const struct reg_query *q, const char **lo, const char **hi,
			 char up_serial[UPPER_MAX], char up_prefix[UPPER_MAX])
{
	const char *u;

	*lo = "";
	*hi = NULL;
	if (q->serial) {
		*lo = q->serial;
		*hi = prefix_upper(q->serial, up_serial, UPPER_MAX) ? up_serial : NULL;
	}
	if (q->serial_prefix) {
		if (strcmp(q->serial_prefix, *lo) > 0)
			*lo = q->serial_prefix;
		u = prefix_upper(q->serial_prefix, up_prefix, UPPER_MAX) ? up_prefix : NULL;
		if (u && (!*hi || strcmp(u, *hi) < 0))
			*hi = u;
	}
	if (q->after_key && strcmp(q->after_key, *lo) > 0)
		*lo = q->after_key;
}

sztp_rc rpg_device_query(struct reg_pg *r, const struct reg_query *q, reg_device_cb cb, void *arg,
			 struct sztp_err *e)
{
	char up_serial[UPPER_MAX], up_prefix[UPPER_MAX];
	const char *lo = NULL, *hi = NULL;
	struct reg_device d;
	struct rpg_args a = {0};
	PGresult *res = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int i, n, stop = 0;

	if (!q)
		q = &no_query;
	if ((rc = reg_valid_device_query(q, e)) != SZTP_OK)
		goto out;
	device_range(q, &lo, &hi, up_serial, up_prefix);
	rpg_arg_str(&a, lo);
	rpg_arg_str(&a, q->after_key);
	rpg_arg_str(&a, q->serial);
	rpg_arg_str(&a, q->profile);
	rpg_arg_str(&a, q->state);
	rpg_arg_int(&a, q->has_voucher < 0 ? -1 : q->has_voucher != 0);
	rpg_arg_int(&a, q->since);
	rpg_arg_int(&a, q->before);
	rpg_arg_limit(&a, q->limit);
	rpg_arg_str(&a, hi);
	rpg_lock(r);
	res = rpg_exec(r, adm_sql[A_DEV_QUERY], &a, "listing devices", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && !stop && i < n; i++) {
		rc = rpg_row_device(res, i, &d, e);
		if (rc == SZTP_OK)
			stop = cb(&d, arg);
		reg_device_clear(&d);
	}
	rpg_unlock(r);
out:
	PQclear(res);
	return rc;
}

/* $1..$5 of ID_QUERY_WHERE (what = the $2 filter), then $6 = the serial
 * when one is asked (the _ONE statement). */
static void args_id_query(struct rpg_args *a, const struct reg_query *q, const char *what)
{
	rpg_arg_int(a, q->after_id);
	rpg_arg_str(a, what);
	rpg_arg_int(a, q->since);
	rpg_arg_int(a, q->before);
	rpg_arg_limit(a, q->limit);
	if (q->serial)
		rpg_arg_str(a, q->serial);
}

sztp_rc rpg_progress_query(struct reg_pg *r, const struct reg_query *q, reg_progress_cb cb,
			   void *arg, struct sztp_err *e)
{
	struct reg_progress p;
	struct rpg_args a = {0};
	PGresult *res = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int i, n, stop = 0;

	if (!q)
		q = &no_query;
	if ((rc = reg_valid_id_query(q, e)) != SZTP_OK)
		goto out;
	args_id_query(&a, q, q->type);
	rpg_lock(r);
	res = rpg_exec(r, adm_sql[q->serial ? A_PROG_QUERY_ONE : A_PROG_QUERY_ALL], &a,
		       "listing progress reports", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && !stop && i < n; i++) {
		rc = rpg_row_progress(res, i, &p, e);
		if (rc == SZTP_OK)
			stop = cb(&p, arg);
		reg_progress_clear(&p);
	}
	rpg_unlock(r);
out:
	PQclear(res);
	return rc;
}

sztp_rc rpg_log_query(struct reg_pg *r, const struct reg_query *q, reg_log_cb cb, void *arg,
		      struct sztp_err *e)
{
	struct reg_log l;
	struct rpg_args a = {0};
	PGresult *res = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int i, n, stop = 0;

	if (!q)
		q = &no_query;
	if ((rc = reg_valid_id_query(q, e)) != SZTP_OK)
		goto out;
	args_id_query(&a, q, q->type);
	rpg_lock(r);
	res = rpg_exec(r, adm_sql[q->serial ? A_LOG_QUERY_ONE : A_LOG_QUERY_ALL], &a,
		       "listing the bootstrap log", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && !stop && i < n; i++) {
		rc = rpg_row_log(res, i, &l, e);
		if (rc == SZTP_OK)
			stop = cb(&l, arg);
	}
	rpg_unlock(r);
out:
	PQclear(res);
	return rc;
}

/* Runs a statement returning one integer, $1 = key; SZTP_E_NOT_FOUND
 * (message left to the caller) when it returns no row.  *n = 0 then. */
static sztp_rc keyed_int(struct reg_pg *r, enum adm_stmt_id id, const char *key, int64_t *n,
			 const char *what, struct sztp_err *e)
{
	struct rpg_args a = {0};
	PGresult *res;
	sztp_rc rc = SZTP_E_DB;

	*n = 0;
	rpg_arg_str(&a, key);
	res = rpg_exec(r, adm_sql[id], &a, what, &rc, e);
	if (res && PQntuples(res) > 0)
		*n = rpg_col_int(res, 0, 0);
	else if (res)
		rc = SZTP_E_NOT_FOUND;
	PQclear(res);
	return rc;
}

sztp_rc rpg_profile_device_count(struct reg_pg *r, const char *profile, int64_t *n,
				 struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("profile name", profile, REG_NAME_MAX, 0, e);

	*n = 0;
	if (rc == SZTP_OK)
		rc = keyed_int(r, A_PROF_USERS, profile, n, "counting the devices of a profile", e);
	if (rc != SZTP_OK)
		*n = 0;
	return rc;
}

sztp_rc rpg_device_revision(struct reg_pg *r, const char *serial, int64_t *rev, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(serial, e);

	*rev = 0;
	if (rc == SZTP_OK) {
		rc = keyed_int(r, A_DEV_REVISION, serial, rev, "reading a device revision", e);
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc, "device %s is not enrolled", serial);
	}
	if (rc != SZTP_OK)
		*rev = 0;
	return rc;
}

/* (after_key, limit) of a name-ordered list: names are never empty, so ""
 * starts at the first. */
static void args_name_page(struct rpg_args *a, const char *after_key, int limit)
{
	rpg_arg_str(a, after_key ? after_key : "");
	rpg_arg_limit(a, limit);
}

sztp_rc rpg_profile_query(struct reg_pg *r, const char *after_key, int limit, reg_profile_cb cb,
			  void *arg, struct sztp_err *e)
{
	struct reg_profile p;
	struct rpg_args a = {0};
	PGresult *res = NULL;
	sztp_rc rc =
	    after_key ? reg_valid_str("cursor name", after_key, REG_NAME_MAX, 1, e) : SZTP_OK;
	int i, n, stop = 0;

	if (rc != SZTP_OK)
		return rc;
	args_name_page(&a, after_key, limit);
	rpg_lock(r);
	res = rpg_exec(r, adm_sql[A_PROF_QUERY], &a, "listing profiles", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && !stop && i < n; i++) {
		rc = rpg_row_profile(res, i, 0, &p, e);
		if (rc == SZTP_OK)
			stop = cb(&p, arg);
		reg_profile_clear(&p);
	}
	rpg_unlock(r);
	PQclear(res);
	return rc;
}

/* ---- admin tokens ---------------------------------------------------------- */

static const char *const scope_names[] = {"read", "write"}; /* REG_TOKEN_READ - 1, ... */

static sztp_rc row_token(PGresult *res, int i, struct reg_token *t, struct sztp_err *e)
{
	sztp_bytes h = {0};
	int scope = 0;
	sztp_rc rc;

	memset(t, 0, sizeof(*t));
	rc = rpg_col_str(res, i, 0, t->name, sizeof(t->name), e);
	if (rc == SZTP_OK)
		rc = rpg_col_bytes(res, i, 1, &h, e);
	if (rc == SZTP_OK && h.len != REG_TOKEN_HASH_LEN)
		rc = sztp_err_set(e, SZTP_E_DB, "registry: stored hash of token '%s' is malformed",
				  t->name);
	if (rc == SZTP_OK) {
		memcpy(t->hash, h.data, REG_TOKEN_HASH_LEN);
		rc = rpg_col_enum(res, i, 2, scope_names, 2, &scope, e);
	}
	sztp_bytes_free(&h);
	t->scope = (enum reg_token_scope)(scope + 1);
	t->created = rpg_col_int(res, i, 3);
	t->expires = rpg_col_int(res, i, 4);
	t->revoked = rpg_col_int(res, i, 5);
	if (rc != SZTP_OK)
		memset(t, 0, sizeof(*t));
	return rc;
}

sztp_rc rpg_token_add(struct reg_pg *r, const struct reg_token *t, struct sztp_err *e)
{
	struct sztp_err le = {SZTP_OK, ""};
	struct rpg_args a = {0};
	const char *m;
	sztp_rc rc = reg_valid_str("token name", t->name, sizeof(t->name), 0, e);

	if (rc == SZTP_OK && t->scope != REG_TOKEN_READ && t->scope != REG_TOKEN_WRITE)
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "token '%s': scope %d is unknown",
				  t->name, (int)t->scope);
	if (rc != SZTP_OK)
		return rc;
	rpg_arg_str(&a, t->name);
	rpg_arg_bytes(&a, t->hash, REG_TOKEN_HASH_LEN);
	rpg_arg_str(&a, scope_names[t->scope - 1]);
	rpg_arg_int(&a, t->created ? t->created : (int64_t)time(NULL));
	rpg_arg_int(&a, t->expires);
	rpg_arg_int(&a, t->revoked);
	rpg_lock(r);
	rc = rpg_run(r, adm_sql[A_TOK_ADD], &a, "adding a token", 1, &le);
	if (rc == SZTP_OK)
		goto out;
	if (rpg_failed_with(r, "23505") && !strcmp(r->constraint, "admin_tokens_pkey")) {
		rc = sztp_err_set(e, SZTP_E_EXISTS, "token '%s' exists", t->name);
	} else if (rpg_failed_with(r, "23505")) { /* the hash: a 2^-256 event, or a reuse */
		rc = sztp_err_set(e, SZTP_E_EXISTS, "token '%s': another token has its hash",
				  t->name);
	} else if (rpg_failed_with(r, "23514")) {
		m = strstr(le.msg, "failed: ");
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "token '%s': %s", t->name,
				  m ? m + 8 : le.msg);
	} else {
		rc = sztp_err_set(e, rc, "%s", le.msg);
	}
out:
	rpg_unlock(r);
	return rc;
}

/* Runs a one-token read; NOT_FOUND with missing when there is no row. */
static sztp_rc token_get(struct reg_pg *r, enum adm_stmt_id id, const struct rpg_args *a,
			 struct reg_token *out, const char *missing, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_DB;
	PGresult *res = rpg_exec(r, adm_sql[id], a, "reading a token", &rc, e);

	if (res && PQntuples(res) > 0)
		rc = row_token(res, 0, out, e);
	else if (res)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "%s", missing);
	PQclear(res);
	return rc;
}

sztp_rc rpg_token_get_by_hash(struct reg_pg *r, const uint8_t hash[REG_TOKEN_HASH_LEN],
			      struct reg_token *out, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc;

	memset(out, 0, sizeof(*out));
	rpg_arg_bytes(&a, hash, REG_TOKEN_HASH_LEN); /* the UNIQUE index on hash */
	rc = token_get(r, A_TOK_GET_HASH, &a, out, "no such token", e);
	if (rc != SZTP_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

sztp_rc rpg_token_get(struct reg_pg *r, const char *name, struct reg_token *out, struct sztp_err *e)
{
	char missing[REG_NAME_MAX + 32];
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(out, 0, sizeof(*out));
	rc = reg_valid_str("token name", name, REG_NAME_MAX, 0, e);
	if (rc != SZTP_OK)
		goto out;
	snprintf(missing, sizeof(missing), "token '%s' does not exist", name);
	rpg_arg_str(&a, name);
	rc = token_get(r, A_TOK_GET, &a, out, missing, e);
out:
	if (rc != SZTP_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

sztp_rc rpg_token_revoke(struct reg_pg *r, const char *name, int64_t now, struct sztp_err *e)
{
	struct rpg_args a = {0};
	PGresult *res;
	sztp_rc rc = reg_valid_str("token name", name, REG_NAME_MAX, 0, e);

	if (rc != SZTP_OK)
		return rc;
	rpg_arg_str(&a, name);
	rpg_arg_int(&a, now ? now : (int64_t)time(NULL));
	res = rpg_write(r, adm_sql[A_TOK_REVOKE], &a, "revoking a token", &rc, e);
	if (res && rpg_changes(res) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "token '%s' does not exist", name);
	PQclear(res);
	return rc;
}

sztp_rc rpg_token_list(struct reg_pg *r, const char *after_key, int limit, reg_token_cb cb,
		       void *arg, struct sztp_err *e)
{
	struct reg_token t;
	struct rpg_args a = {0};
	PGresult *res;
	sztp_rc rc =
	    after_key ? reg_valid_str("cursor name", after_key, REG_NAME_MAX, 1, e) : SZTP_OK;
	int i, n, stop = 0;

	if (rc != SZTP_OK)
		return rc;
	args_name_page(&a, after_key, limit);
	rpg_lock(r);
	res = rpg_exec(r, adm_sql[A_TOK_LIST], &a, "listing tokens", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && !stop && i < n; i++) {
		rc = row_token(res, i, &t, e);
		if (rc == SZTP_OK)
			stop = cb(&t, arg);
	}
	rpg_unlock(r);
	PQclear(res);
	return rc;
}

/* ---- audit ---------------------------------------------------------------- */

static void arg_rev(struct rpg_args *a, int64_t rev)
{
	if (rev)
		rpg_arg_int(a, rev);
	else
		rpg_arg_null(a);
}

sztp_rc rpg_audit_add(struct reg_pg *r, const struct reg_audit *au, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = reg_valid_str("audit actor", au->actor, sizeof(au->actor), 0, e);

	if (rc == SZTP_OK)
		rc = reg_valid_str("audit action", au->action, sizeof(au->action), 0, e);
	if (rc == SZTP_OK)
		rc = reg_valid_str("audit resource", au->resource, sizeof(au->resource), 1, e);
	if (rc != SZTP_OK)
		return rc;
	rpg_arg_int(&a, au->time ? au->time : (int64_t)time(NULL));
	rpg_arg_str(&a, au->actor);
	rpg_arg_str(&a, au->action);
	rpg_arg_str(&a, au->resource);
	arg_rev(&a, au->rev_before);
	arg_rev(&a, au->rev_after);
	rpg_arg_str(&a, au->detail);
	return rpg_run(r, adm_sql[A_AUD_ADD], &a, "writing the audit trail", 1, e);
}

static sztp_rc row_audit(PGresult *res, int i, struct reg_audit *a, struct sztp_err *e)
{
	sztp_rc rc;

	memset(a, 0, sizeof(*a));
	a->time = rpg_col_int(res, i, 0);
	rc = rpg_col_str(res, i, 1, a->actor, sizeof(a->actor), e);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, i, 2, a->action, sizeof(a->action), e);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, i, 3, a->resource, sizeof(a->resource), e);
	a->rev_before = rpg_col_int(res, i, 4); /* NULL reads as 0 */
	a->rev_after = rpg_col_int(res, i, 5);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, i, 6, &a->detail, e);
	a->id = rpg_col_int(res, i, 7);
	if (rc != SZTP_OK)
		reg_audit_clear(a);
	return rc;
}

sztp_rc rpg_audit_query(struct reg_pg *r, const struct reg_query *q, reg_audit_cb cb, void *arg,
			struct sztp_err *e)
{
	char upper[sizeof(((struct reg_audit *)0)->resource) + 2];
	struct reg_audit au;
	struct rpg_args a = {0};
	PGresult *res = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int i, n, stop = 0, by_res;

	if (!q)
		q = &no_query;
	by_res = q->resource && *q->resource;
	if (by_res &&
	    (rc = reg_valid_str("audit resource", q->resource,
				sizeof(((struct reg_audit *)0)->resource), 1, e)) != SZTP_OK)
		goto out;
	rc = SZTP_OK;
	rpg_arg_int(&a, q->after_id);
	rpg_arg_str(&a, q->actor);
	rpg_arg_int(&a, q->since);
	rpg_arg_int(&a, q->before);
	rpg_arg_limit(&a, q->limit);
	if (by_res) {
		rpg_arg_str(&a, q->resource);
		rpg_arg_str(&a, prefix_upper(q->resource, upper, sizeof(upper)) ? upper : NULL);
	}
	rpg_lock(r);
	res = rpg_exec(r, adm_sql[by_res ? A_AUD_QUERY_RES : A_AUD_QUERY_ALL], &a,
		       "listing the audit trail", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && !stop && i < n; i++) {
		rc = row_audit(res, i, &au, e);
		if (rc == SZTP_OK)
			stop = cb(&au, arg);
		reg_audit_clear(&au);
	}
	rpg_unlock(r);
out:
	PQclear(res);
	return rc;
}
