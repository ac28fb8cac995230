/*
 * ctl_migrate.c - `sztpctl migrate --from SOURCE --to TARGET`: moves a
 * registry between backends, e.g. from the embedded SQLite file to
 * PostgreSQL when one machine is outgrown (issue 14), or back for an
 * operator backing out.  SOURCE and TARGET are "sqlite:FILE" or a libpq
 * URI ("postgresql://..." / "postgres://...").
 *
 * Every table (devices with their vouchers, pins, windows, seen times and
 * revisions; profiles; owners and their certificates; progress reports;
 * the bootstrapping log; admin tokens; audit; events, webhooks, dead
 * letters and cursors) is copied with its ids and revisions from one
 * snapshot of the source (db/registry_copy.c), into a NEW registry in one
 * transaction: a target that holds a registry is refused, and a failure
 * (or a killed sztpctl) leaves the target as it was.  The source is
 * opened as every sztpctl command opens it (brought to this program's
 * schema version first) and is not changed otherwise.  Passwords in a URI
 * are never printed (reg_redact).  Needs no config and no --server: it
 * runs where both databases are reachable, best with sztpd stopped (rows
 * written after the snapshot stay behind in the source).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "registry.h"

/* "sqlite:FILE" -> FILE, a PostgreSQL URI as it is; NULL when neither. */
static const char *database_of(const char *arg)
{
	if (!strncmp(arg, "sqlite:", 7) && arg[7])
		return arg + 7;
	if (reg_is_postgresql(arg))
		return arg;
	return NULL;
}

sztp_rc cmd_migrate(struct ctl *c, struct sztp_err *e)
{
	const char *from_arg = opt_get(c, "from"), *to_arg = opt_get(c, "to"), *from, *to;
	int64_t rows[64] = {0}, total = 0;
	char from_shown[256], to_shown[256];
	struct reg *src = NULL, *dst = NULL;
	json_t *tables = NULL;
	sztp_rc rc = SZTP_E_MISSING_ELEMENT;
	int version = 0;
	size_t i;

	if (!from_arg || !to_arg) {
		sztp_err_set(e, rc,
			     "migrate needs --from and --to (sqlite:FILE or postgresql://...)");
		goto out;
	}
	rc = SZTP_E_INVALID_VALUE;
	if (!(from = database_of(from_arg)) || !(to = database_of(to_arg))) {
		reg_redact(from ? to_arg : from_arg, from_shown, sizeof(from_shown));
		sztp_err_set(e, rc,
			     "--%s '%s' is neither sqlite:FILE nor a postgresql:// (or "
			     "postgres://) URI",
			     from ? "to" : "from", from_shown);
		goto out;
	}
	reg_redact(from_arg, from_shown, sizeof(from_shown));
	reg_redact(to_arg, to_shown, sizeof(to_shown));
	if (reg_copy_tables_count > sizeof(rows) / sizeof(rows[0])) {
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "too many tables");
		goto out;
	}
	if ((rc = reg_open_existing(from, &src, e)) != SZTP_OK) {
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc, "no registry %s to migrate from", from_shown);
		else if (rc == SZTP_E_DB) {
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e->msg);
			sztp_err_set(e, rc, "the source %s is not an sztp registry (%s)",
				     from_shown, why);
		}
		goto out;
	}
	if ((rc = reg_copy(src, to, rows, e)) != SZTP_OK)
		goto out;
	/* the target as every program opens it: a whole registry */
	if ((rc = reg_open_existing(to, &dst, e)) != SZTP_OK)
		goto out;
	version = reg_schema_version(dst);
	if (c->json && !(tables = json_object())) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < reg_copy_tables_count; i++) {
		total += rows[i];
		if (tables)
			json_object_set_new(tables, reg_copy_tables[i].name,
					    json_integer((json_int_t)rows[i]));
		else
			printf("%-16s %10lld\n", reg_copy_tables[i].name, (long long)rows[i]);
	}
	if (tables) {
		ctl_done_member(c, "tables", tables);
		tables = NULL;
	}
	ctl_done(c, "migrated the registry %s to %s (schema version %d): %lld rows in %zu tables",
		 from_shown, to_shown, version, (long long)total, reg_copy_tables_count);
	rc = SZTP_OK;
out:
	json_decref(tables);
	reg_close(dst);
	reg_close(src);
	return rc;
}
