/*
 * registry_sqlite_lease.c - leases on SQLite (registry.h: reg_lease), for
 * several sztpd processes on one registry file: one statement each, so
 * the take-or-renew is atomic under SQLite's write lock.  The clock is
 * the machine's (every process on one file shares it).  Statements of
 * their own, prepared on first use (lease_st).
 */
#include <stdint.h>
#include <time.h>

#include "registry_sqlite_internal.h"

enum lease_stmt_id { L_TAKE, L_RELEASE, L__COUNT };
_Static_assert(L__COUNT <= sizeof(((struct reg_sqlite *)0)->lease_st) / sizeof(sqlite3_stmt *),
	       "lease_st is large enough");

static const char *const lease_sql[L__COUNT] = {
    /* ?3 now, ?4 ttl (ms): insert, or take over a lease that is ours or
     * has run out; a running lease of another holder changes nothing */
    [L_TAKE] = "INSERT INTO leases (name, holder, expires) VALUES (?1, ?2, ?3 + ?4) "
	       "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
	       "expires = excluded.expires "
	       "WHERE leases.holder = excluded.holder OR leases.expires <= ?3",
    [L_RELEASE] = "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Called with r->mu held; NULL with e set when it cannot be prepared. */
static sqlite3_stmt *lease_stmt(struct reg_sqlite *r, enum lease_stmt_id id, struct sztp_err *e)
{
	if (!r->lease_st[id] &&
	    sqlite3_prepare_v3(r->db, lease_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
			       &r->lease_st[id], NULL) != SQLITE_OK) {
		sztp_err_set(e, SZTP_E_INTERNAL, "registry: preparing a lease statement failed: %s",
			     sqlite3_errmsg(r->db));
		return NULL;
	}
	return r->lease_st[id];
}

void rsql_lease_finalize(struct reg_sqlite *r)
{
	size_t i;

	for (i = 0; i < L__COUNT; i++) {
		sqlite3_finalize(r->lease_st[i]);
		r->lease_st[i] = NULL;
	}
}

sztp_rc rsq_lease(struct reg_sqlite *r, const char *name, const char *holder, int64_t ttl_ms,
		  int *held, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INTERNAL;
	sqlite3_stmt *s;
	int src;

	*held = 0;
	rsql_lock(r);
	if (!(s = lease_stmt(r, L_TAKE, e)))
		goto out;
	rsql_bind_str(s, 1, name);
	rsql_bind_str(s, 2, holder);
	sqlite3_bind_int64(s, 3, wall_ms());
	sqlite3_bind_int64(s, 4, ttl_ms);
	src = sqlite3_step(s);
	if (src != SQLITE_DONE) {
		rc = rsql_db_fail(r, e, "taking a lease");
		if (src == SQLITE_BUSY || src == SQLITE_LOCKED)
			rc = sztp_err_set(e, SZTP_E_UNAVAILABLE, "%s", e ? e->msg : "");
	} else {
		*held = sqlite3_changes(r->db) > 0;
		rc = SZTP_OK;
	}
	rsql_st_done(s);
out:
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_lease_release(struct reg_sqlite *r, const char *name, const char *holder,
			  struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INTERNAL;
	sqlite3_stmt *s;

	rsql_lock(r);
	if (!(s = lease_stmt(r, L_RELEASE, e)))
		goto out;
	rsql_bind_str(s, 1, name);
	rsql_bind_str(s, 2, holder);
	rc = sqlite3_step(s) == SQLITE_DONE ? SZTP_OK : rsql_db_fail(r, e, "releasing a lease");
	rsql_st_done(s);
out:
	rsql_unlock(r);
	return rc;
}
