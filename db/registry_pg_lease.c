/*
 * registry_pg_lease.c - leases on PostgreSQL (registry.h: reg_lease), for
 * several sztpd instances on one registry: one INSERT .. ON CONFLICT DO
 * UPDATE each, atomic under the row's lock (two instances racing for a
 * free lease: one inserts, the other waits for it and then sees its
 * holder), timed by the server's clock_timestamp() so the instances'
 * clocks do not matter.
 */
#include <stdint.h>

#include "registry_pg_internal.h"

#define NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

static const char lease_take_sql[] =
    "INSERT INTO leases (name, holder, expires) VALUES ($1, $2, " NOW_MS " + $3::bigint) "
    "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires = EXCLUDED.expires "
    "WHERE leases.holder = EXCLUDED.holder OR leases.expires <= " NOW_MS;
static const char lease_release_sql[] = "DELETE FROM leases WHERE name = $1 AND holder = $2";

sztp_rc rpg_lease(struct reg_pg *r, const char *name, const char *holder, int64_t ttl_ms, int *held,
		  struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = SZTP_E_DB;
	PGresult *res;

	*held = 0;
	rpg_arg_str(&a, name);
	rpg_arg_str(&a, holder);
	rpg_arg_int(&a, ttl_ms);
	res = rpg_write(r, lease_take_sql, &a, "taking a lease", &rc, e);
	if (res)
		*held = rpg_changes(res) > 0;
	PQclear(res);
	return rc;
}

sztp_rc rpg_lease_release(struct reg_pg *r, const char *name, const char *holder,
			  struct sztp_err *e)
{
	struct rpg_args a = {0};

	rpg_arg_str(&a, name);
	rpg_arg_str(&a, holder);
	return rpg_run(r, lease_release_sql, &a, "releasing a lease", 1, e);
}
