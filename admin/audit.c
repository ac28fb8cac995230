/*
 * audit.c - admin API: the audit trail (GET /audit).  Every change made
 * through the admin API wrote one row in its own transaction
 * (admin_audit): when, who (token:NAME, cert:DN, local:USER), what
 * (device.create, token.revoke, prune...), the resource ("devices/SN1")
 * and its revision before and after.  Listed by id, oldest first; an NMS
 * polls new rows with after-id.
 */
#include <stddef.h>
#include <stdlib.h>

#include "admin_internal.h"

/* A revision as JSON: hex, or null for none (0: created / deleted). */
static json_t *rev_json(int64_t rev)
{
	return rev ? admin_rev_json(rev) : json_null();
}

/* The detail as the JSON it was written as (null: none). */
static json_t *detail_json(const char *s)
{
	json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;

	return j ? j : json_null();
}

static json_t *audit_json(const struct reg_audit *a)
{
	return json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)a->id,
			 "time", admin_time_json(a->time), "actor", a->actor, "action", a->action,
			 "resource", a->resource, "revision-before", rev_json(a->rev_before),
			 "revision-after", rev_json(a->rev_after), "detail",
			 detail_json(a->detail));
}

static int audit_cb(const struct reg_audit *a, void *arg)
{
	return admin_rows_add(arg, audit_json(a));
}

static sztp_rc audit_rows(struct reg *r, const struct reg_query *q, struct admin_rows *out,
			  struct sztp_err *e)
{
	return reg_audit_query(r, q, audit_cb, out, e);
}

/* Filters: actor (equal), resource (a prefix: "devices/", "tokens/ci"). */
void admin_audit_list(struct admin_call *c)
{
	static const struct admin_id_list l = {
	    {"actor", "resource"},
	    {offsetof(struct reg_query, actor), offsetof(struct reg_query, resource)},
	    {sizeof(((struct reg_audit *)0)->actor), sizeof(((struct reg_audit *)0)->resource)},
	    audit_rows};

	admin_id_list(c, &l);
}
