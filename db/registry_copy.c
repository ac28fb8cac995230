/*
 * registry_copy.c - moving a registry between backends (sztpctl
 * migrate): the one list of the tables a copy moves and their columns,
 * the dispatch of the copy calls (registry.h reg_copy_*) to
 * registry_sqlite_copy.c and registry_pg_copy.c, and the whole move.
 *
 * The list is in the order the foreign keys need (owners before their
 * certificates, profiles before devices, devices before their reports,
 * events and webhooks before dead letters), and each table's columns in
 * the order the migrations gave them (the same on both backends: 002,
 * 004 and 008 append columns in the same order).  A dump checks the
 * table's real columns against the list, and reg_copy refuses a source
 * with a table the list does not know, so a migration that adds a table
 * or a column cannot be dropped silently by a copy: it has to be added
 * here (tests/e2e/t_migrate.sh compares every table).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "registry_backend.h"

static const char *const owners_cols[] = {"name", "key_path", "revision"};
static const char *const owner_certs_cols[] = {"owner", "pos", "der"};
static const char *const profiles_cols[] = {"name",	"kind",	      "conveyed_json",
					    "sign",	"reporting",  "owner",
					    "revision", "pin_idevid", "lenient"};
static const char *const devices_cols[] = {
    "serial",	  "password_hash", "profile",  "voucher",	  "state",	     "created",
    "first_seen", "last_seen",	   "revision", "voucher_created", "voucher_expires", "idevid_pin"};
static const char *const progress_cols[] = {"id",   "serial",  "time",		"peer",
					    "type", "message", "ssh_host_keys", "trust_anchors"};
static const char *const log_cols[] = {"id",	   "serial", "time",   "peer",
				       "endpoint", "result", "status", "duration_us"};
static const char *const tokens_cols[] = {"name", "hash", "scope", "created", "expires", "revoked"};
static const char *const audit_cols[] = {"id",	     "time",	   "actor",	"action",
					 "resource", "rev_before", "rev_after", "detail"};
static const char *const events_cols[] = {"id", "time", "type", "serial", "peer", "data"};
static const char *const webhooks_cols[] = {
    "name",	 "url",	     "types",	     "secret",	    "ca_pem",	  "enabled",
    "cursor",	 "attempts", "next_attempt", "last_status", "last_error", "last_success",
    "delivered", "failed",   "dead",	     "created",	    "revision"};
static const char *const dead_letters_cols[] = {"webhook",  "event_id",	  "time",
						"attempts", "last_error", "replay"};
static const char *const cursors_cols[] = {"name", "cursor"};

#define TABLE(name, cols, types, key, has_id, autoinc)                                             \
	{                                                                                          \
		name, cols, sizeof(cols) / sizeof(cols[0]), types,                                 \
		    "SELECT * FROM " name " ORDER BY " key, has_id, autoinc                        \
	}

const struct reg_copy_table reg_copy_tables[] = {
    TABLE("owners", owners_cols, "tti", "name", 0, 0),
    TABLE("owner_certs", owner_certs_cols, "tib", "owner, pos", 0, 0),
    TABLE("profiles", profiles_cols, "ttttttiii", "name", 0, 0),
    TABLE("devices", devices_cols, "tttbtiiiiiib", "serial", 0, 0),
    TABLE("progress", progress_cols, "itittttt", "id", 1, 0),
    TABLE("bootstrap_log", log_cols, "ititttii", "id", 1, 0),
    TABLE("admin_tokens", tokens_cols, "tbtiii", "name", 0, 0),
    TABLE("audit", audit_cols, "iitttiit", "id", 1, 1),
    TABLE("events", events_cols, "iitttt", "id", 1, 1),
    TABLE("webhooks", webhooks_cols, "tttttiiiiitiiiiii", "name", 0, 0),
    TABLE("dead_letters", dead_letters_cols, "tiiiti", "webhook, event_id", 0, 0),
    TABLE("event_cursors", cursors_cols, "ti", "name", 0, 0),
};
const size_t reg_copy_tables_count = sizeof(reg_copy_tables) / sizeof(reg_copy_tables[0]);

/* Tables of a registry a copy leaves behind (see registry.h). */
static const char *const not_copied[] = {"schema_version",  "write_probe",  "leases",
					 "sqlite_sequence", "sqlite_stat1", "sqlite_stat4"};

struct reg_copy_target {
	struct rsq_copy *sq;
	struct rpg_copy *pg;
};

sztp_rc reg_copy_snapshot(struct reg *r, int begin, struct sztp_err *e)
{
	if (!r)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle");
	return r->pg ? rpg_copy_snapshot(r->pg, begin, e) : rsq_copy_snapshot(r->sq, begin, e);
}

sztp_rc reg_copy_dump(struct reg *r, const struct reg_copy_table *t, reg_row_cb cb, void *arg,
		      struct sztp_err *e)
{
	if (!r || !t || !cb)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle or table");
	return r->pg ? rpg_copy_dump(r->pg, t, cb, arg, e) : rsq_copy_dump(r->sq, t, cb, arg, e);
}

sztp_rc reg_copy_id_mark(struct reg *r, const struct reg_copy_table *t, int64_t *n,
			 struct sztp_err *e)
{
	*n = 0;
	if (!r || !t)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no handle or table");
	if (!t->has_id)
		return SZTP_OK;
	return r->pg ? rpg_copy_id_mark(r->pg, t, n, e) : rsq_copy_id_mark(r->sq, t, n, e);
}

sztp_rc reg_copy_create(const char *database, struct reg_copy_target **out, struct sztp_err *e)
{
	struct reg_copy_target *c = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	*out = NULL;
	if (!database || !*database) {
		sztp_err_set(e, rc, "registry: no database to copy into");
		goto out;
	}
	rc = SZTP_E_NOMEM;
	if (!(c = calloc(1, sizeof(*c)))) {
		sztp_err_set(e, rc, "registry: out of memory");
		goto out;
	}
	if (reg_is_postgresql(database))
		rc = rpg_copy_create(database, &c->pg, e);
	else
		rc = rsq_copy_create(database, &c->sq, e);
out:
	if (rc != SZTP_OK) {
		free(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

sztp_rc reg_copy_load(struct reg_copy_target *c, const struct reg_copy_table *t,
		      const struct reg_value *row, struct sztp_err *e)
{
	if (!c || !t || !row)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no target, table or row");
	return c->pg ? rpg_copy_load(c->pg, t, row, e) : rsq_copy_load(c->sq, t, row, e);
}

sztp_rc reg_copy_set_id_mark(struct reg_copy_target *c, const struct reg_copy_table *t, int64_t n,
			     struct sztp_err *e)
{
	if (!c || !t)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no target or table");
	if (!t->has_id)
		return SZTP_OK;
	return c->pg ? rpg_copy_set_id_mark(c->pg, t, n, e) : rsq_copy_set_id_mark(c->sq, t, n, e);
}

sztp_rc reg_copy_commit(struct reg_copy_target *c, struct sztp_err *e)
{
	sztp_rc rc;

	if (!c)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no target");
	rc = c->pg ? rpg_copy_commit(c->pg, e) : rsq_copy_commit(c->sq, e);
	free(c);
	return rc;
}

void reg_copy_abort(struct reg_copy_target *c)
{
	if (!c)
		return;
	if (c->pg)
		rpg_copy_abort(c->pg);
	else
		rsq_copy_abort(c->sq);
	free(c);
}

/* ---- the whole move ------------------------------------------------------- */

struct unknown_table {
	char name[REG_NAME_MAX];
};

static int is_known(const char *name)
{
	size_t i;

	for (i = 0; i < reg_copy_tables_count; i++)
		if (strcmp(name, reg_copy_tables[i].name) == 0)
			return 1;
	for (i = 0; i < sizeof(not_copied) / sizeof(not_copied[0]); i++)
		if (strcmp(name, not_copied[i]) == 0)
			return 1;
	return 0;
}

static int find_unknown(const char *name, void *arg)
{
	struct unknown_table *u = arg;

	if (u->name[0] || is_known(name))
		return 0;
	snprintf(u->name, sizeof(u->name), "%s", name);
	return 0;
}

struct load_arg {
	struct reg_copy_target *to;
	const struct reg_copy_table *t;
	int64_t rows;
	int64_t max_id;
};

static sztp_rc load_row(void *arg, const struct reg_value *row, struct sztp_err *e)
{
	struct load_arg *a = arg;
	sztp_rc rc = reg_copy_load(a->to, a->t, row, e);

	if (rc != SZTP_OK)
		return rc;
	a->rows++;
	if (a->t->has_id && row[0].type == REG_VAL_INT && row[0].i > a->max_id)
		a->max_id = row[0].i;
	return SZTP_OK;
}

sztp_rc reg_copy(struct reg *from, const char *to, int64_t *rows, struct sztp_err *e)
{
	int newest = reg_migrations_count ? reg_migrations[reg_migrations_count - 1].version : 0;
	struct reg_copy_target *c = NULL;
	struct unknown_table u = {""};
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int snap = 0;
	size_t i;

	for (i = 0; i < reg_copy_tables_count; i++) {
		rows[i] = 0;
		if (strlen(reg_copy_tables[i].types) != reg_copy_tables[i].n_cols) {
			sztp_err_set(e, SZTP_E_INTERNAL, "registry: the copy's %s has %zu types",
				     reg_copy_tables[i].name, strlen(reg_copy_tables[i].types));
			return SZTP_E_INTERNAL;
		}
	}
	if (!from) {
		sztp_err_set(e, rc, "registry: no registry to copy from");
		goto out;
	}
	rc = SZTP_E_UNSUPPORTED;
	if (reg_schema_version(from) != newest) {
		sztp_err_set(e, rc,
			     "registry: the source has schema version %d, this program copies %d",
			     reg_schema_version(from), newest);
		goto out;
	}
	rc = from->pg ? rpg_copy_tables(from->pg, find_unknown, &u, e)
		      : rsq_copy_tables(from->sq, find_unknown, &u, e);
	if (rc != SZTP_OK)
		goto out;
	if (u.name[0]) {
		rc = sztp_err_set(e, SZTP_E_UNSUPPORTED,
				  "registry: the source has a table '%s' this program does not "
				  "copy (not made by sztp's migrations?)",
				  u.name);
		goto out;
	}
	if ((rc = reg_copy_create(to, &c, e)) != SZTP_OK)
		goto out;
	if ((rc = reg_copy_snapshot(from, 1, e)) != SZTP_OK)
		goto out;
	snap = 1;
	for (i = 0; i < reg_copy_tables_count; i++) {
		struct load_arg a = {c, &reg_copy_tables[i], 0, 0};
		int64_t mark = 0;

		if ((rc = reg_copy_dump(from, a.t, load_row, &a, e)) != SZTP_OK)
			goto out;
		rows[i] = a.rows;
		if (!a.t->has_id)
			continue;
		if ((rc = reg_copy_id_mark(from, a.t, &mark, e)) != SZTP_OK)
			goto out;
		if ((rc = reg_copy_set_id_mark(c, a.t, mark > a.max_id ? mark : a.max_id, e)) !=
		    SZTP_OK)
			goto out;
	}
	snap = 0;
	if ((rc = reg_copy_snapshot(from, 0, e)) != SZTP_OK)
		goto out;
	rc = reg_copy_commit(c, e);
	c = NULL;
out:
	if (snap)
		reg_copy_snapshot(from, 0, NULL);
	reg_copy_abort(c);
	if (rc != SZTP_OK)
		for (i = 0; i < reg_copy_tables_count; i++)
			rows[i] = 0;
	return rc;
}
