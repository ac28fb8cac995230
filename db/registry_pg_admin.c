/*
 * registry_pg_admin.c - the admin API's side of the PostgreSQL registry:
 * paged queries of devices, profiles, progress and the bootstrapping log,
 * admin tokens and the audit trail (registry_sqlite.c's second half, in
 * PostgreSQL's dialect).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "registry.h"
#include "registry_backend.h"
#include "registry_pg_internal.h"

/* STUB(issue 14) */
sztp_rc rpg_device_query(struct reg_pg *r, const struct reg_query *q, reg_device_cb cb, void *arg,
			 struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_progress_query(struct reg_pg *r, const struct reg_query *q, reg_progress_cb cb,
			   void *arg, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_log_query(struct reg_pg *r, const struct reg_query *q, reg_log_cb cb, void *arg,
		      struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_profile_device_count(struct reg_pg *r, const char *profile, int64_t *n,
				 struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_token_add(struct reg_pg *r, const struct reg_token *t, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_token_get_by_hash(struct reg_pg *r, const uint8_t hash[REG_TOKEN_HASH_LEN],
			      struct reg_token *out, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_token_get(struct reg_pg *r, const char *name, struct reg_token *out, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_token_revoke(struct reg_pg *r, const char *name, int64_t now, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_token_list(struct reg_pg *r, const char *after_key, int limit, reg_token_cb cb,
		       void *arg, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_audit_add(struct reg_pg *r, const struct reg_audit *a, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_audit_query(struct reg_pg *r, const struct reg_query *q, reg_audit_cb cb, void *arg,
			struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_device_revision(struct reg_pg *r, const char *serial, int64_t *rev, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_profile_query(struct reg_pg *r, const char *after_key, int limit, reg_profile_cb cb,
			  void *arg, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}
