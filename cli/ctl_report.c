/*
 * ctl_report.c - sztpctl's read-only views of what devices did: the
 * progress reports they sent with report-progress (RFC 8572 s7.3) and
 * sztpd's bootstrapping log (one row per request).
 */
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"

struct rep_ctx {
	json_t *arr;
};

static sztp_rc finish(struct ctl *c, struct rep_ctx *r, struct sztp_err *e)
{
	char *s;

	if (!r->arr)
		return SZTP_OK;
	if (!(s = json_dumps(r->arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory formatting JSON");
	printf("%s\n", s);
	free(s);
	return SZTP_OK;
}

static int progress_cb(const struct reg_progress *p, void *arg)
{
	struct rep_ctx *r = arg;
	char t[32], b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], b3[CTL_TEXT_MAX], b4[CTL_TEXT_MAX];

	if (r->arr)
		return json_array_append_new(r->arr, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "time",
							       ctl_time(p->time, t), "serial",
							       p->serial, "peer", p->peer, "type",
							       p->type, "message", p->message))
			   ? 1
			   : 0;
	printf("%-20s %-24s %-22s %-36s %s\n", ctl_time(p->time, t), ctl_text(p->serial, b1),
	       ctl_text(p->peer, b2), ctl_text(p->type, b3), ctl_text(p->message, b4));
	return 0;
}

static int log_cb(const struct reg_log *l, void *arg)
{
	struct rep_ctx *r = arg;
	char t[32], b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], b3[CTL_TEXT_MAX], b4[CTL_TEXT_MAX];

	if (r->arr)
		return json_array_append_new(
			   r->arr,
			   json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I}", "time",
				     ctl_time(l->time, t), "serial", l->serial, "peer", l->peer,
				     "endpoint", l->endpoint, "result", l->result, "status",
				     l->status, "duration-us", (json_int_t)l->duration_us))
			   ? 1
			   : 0;
	printf("%-20s %-24s %-22s %-24s %-12s %3d %8lld\n", ctl_time(l->time, t),
	       l->serial[0] ? ctl_text(l->serial, b1) : "-", ctl_text(l->peer, b2),
	       ctl_text(l->endpoint, b3), ctl_text(l->result, b4), l->status,
	       (long long)l->duration_us);
	return 0;
}

sztp_rc cmd_progress(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	long limit = 0;
	struct rep_ctx r = {NULL};

	if ((rc = opt_int(c, "limit", 1, 1000000000L, &limit, e)) != SZTP_OK)
		return rc;
	if (c->json && !(r.arr = json_array()))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if (!c->json)
		printf("%-20s %-24s %-22s %-36s %s\n", "TIME", "SERIAL", "PEER", "TYPE", "MESSAGE");
	if ((rc = reg_progress_list(c->reg, c->npos ? c->pos[0] : NULL, (int)limit, progress_cb, &r,
				    e)) == SZTP_OK)
		rc = finish(c, &r, e);
	json_decref(r.arr);
	return rc;
}

sztp_rc cmd_log(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	long limit = 0;
	struct rep_ctx r = {NULL};

	if ((rc = opt_int(c, "limit", 1, 1000000000L, &limit, e)) != SZTP_OK)
		return rc;
	if (c->json && !(r.arr = json_array()))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if (!c->json)
		printf("%-20s %-24s %-22s %-24s %-12s %3s %8s\n", "TIME", "SERIAL", "PEER",
		       "ENDPOINT", "RESULT", "ST", "US");
	if ((rc = reg_log_list(c->reg, c->npos ? c->pos[0] : NULL, (int)limit, log_cb, &r, e)) ==
	    SZTP_OK)
		rc = finish(c, &r, e);
	json_decref(r.arr);
	return rc;
}

/* Retention: the bootstrapping log and progress reports grow with every
 * request; an operator removes what is older than N days (cron). */
sztp_rc cmd_prune(struct ctl *c, struct sztp_err *e)
{
	long days = -1;
	int64_t nlog = 0, nprog = 0;
	time_t before;
	char t[32];
	sztp_rc rc;

	if ((rc = opt_int(c, "older-than", 1, 36500, &days, e)) != SZTP_OK)
		return rc;
	if (days < 0)
		return sztp_err_set(e, SZTP_E_MISSING_ELEMENT, "prune needs --older-than DAYS");
	before = time(NULL) - (time_t)days * 86400;
	if ((rc = reg_prune(c->reg, before, &nlog, &nprog, e)) != SZTP_OK)
		return rc;
	ctl_done(c, "pruned %lld log rows and %lld progress reports from before %s",
		 (long long)nlog, (long long)nprog, ctl_time(before, t));
	return SZTP_OK;
}
