/*
 * audit.c - admin API: the audit trail (GET /audit).  Every change made
 * through the admin API wrote one row in its own transaction
 * (admin_audit): when, who (token:NAME, cert:DN, local:USER), what
 * (device.create, token.revoke, prune...), the resource ("devices/SN1")
 * and its revision before and after.  Listed by id, oldest first; an NMS
 * polls new rows with after-id.
 */
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

struct audit_rows {
	json_t *items;
	int fail;
};

static int audit_cb(const struct reg_audit *a, void *arg)
{
	struct audit_rows *r = arg;

	if (json_array_append_new(r->items, audit_json(a)))
		r->fail = 1;
	return r->fail;
}

void admin_audit_list(struct admin_call *c)
{
	static const char *const allowed[] = {"actor",	  "resource", "since",	"before",
					      "after-id", "limit",    "cursor", NULL};
	char actor[sizeof(((struct reg_audit *)0)->actor)];
	char resource[sizeof(((struct reg_audit *)0)->resource)];
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_query q = REG_QUERY_INIT;
	struct audit_rows r = {NULL, 0};
	sztp_rc rc = SZTP_E_NOMEM;
	int limit = 0;

	if (admin_query_only(c, allowed) < 0 ||
	    admin_query_filter(c, "actor", actor, sizeof(actor), &q.actor) < 0 ||
	    admin_query_filter(c, "resource", resource, sizeof(resource), &q.resource) < 0 ||
	    admin_id_query(c, &q, &limit) < 0)
		return;
	if ((r.items = json_array()) &&
	    (rc = reg_audit_query(c->ctx->reg, &q, audit_cb, &r, &e)) == SZTP_OK && r.fail)
		rc = SZTP_E_NOMEM;
	if (rc != SZTP_OK) {
		if (rc == SZTP_E_NOMEM)
			sztp_err_set(&e, rc, "out of memory listing the audit trail");
		json_decref(r.items);
		admin_problem_rc(c, rc, NULL, &e);
		return;
	}
	admin_reply_id_list(c, r.items, limit);
}
