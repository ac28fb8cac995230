/*
 * ctl_report.c - sztpctl's views of what devices did, through the admin
 * API (GET /progress, /log, /devices/{serial}/timeline): the progress
 * reports they sent with report-progress (RFC 8572 s7.3), sztpd's
 * bootstrapping log (one row per request), one device's timeline joining
 * both, and their retention (POST /prune).  Also the listing every
 * id-ordered list of the API shares (ctl_rows), which keeps --limit N
 * meaning "the newest N rows" although the API pages oldest first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define PAGE_MAX  1000 /* the API's largest page (ADMIN_LIMIT_MAX) */
#define QUERY_MAX 2048

void ctl_query_add(char *q, size_t len, const char *name, const char *value)
{
	char enc[1536];
	size_t n = strlen(q);

	if (!value)
		return;
	snprintf(q + n, len - n, "%s%s=%s", n ? "&" : "", name, ctl_seg(value, enc, sizeof(enc)));
}

/* The string member of an item (NULL when absent or null). */
static const char *str(json_t *it, const char *name)
{
	return json_string_value(json_object_get(it, name));
}

/* Where the rows go: the JSON array (--json), or one line each. */
struct rows_out {
	json_t *arr;
	ctl_row_fn row;
	int fail; /* out of memory: the output would be short */
};

static int rows_cb(json_t *it, void *arg)
{
	struct rows_out *o = arg;

	if (o->arr && json_array_append(o->arr, it))
		o->fail = 1;
	else if (!o->arr)
		o->row(it);
	return o->fail;
}

/* One GET of an id-ordered list: the rows after id `after`, at most n. */
static sztp_rc page_after(struct ctl *c, const char *path, const char *query, int64_t after, long n,
			  struct ctl_resp *r, struct sztp_err *e)
{
	char q[QUERY_MAX + 64];
	int len = snprintf(q, sizeof(q), "%s%safter-id=%lld&limit=%ld", query, *query ? "&" : "",
			   (long long)after, n);

	if (len < 0 || (size_t)len >= sizeof(q)) {
		memset(r, 0, sizeof(*r));
		return sztp_err_set(e, SZTP_E_TOO_BIG, "the query is too long");
	}
	return ctl_call(c, "GET", path, q, NULL, r, e);
}

/* How many rows follow id `after` (counted up to newest + 1). */
static sztp_rc count_after(struct ctl *c, const char *path, const char *query, int64_t after,
			   long newest, size_t *n, struct sztp_err *e)
{
	struct ctl_resp r;
	sztp_rc rc = page_after(c, path, query, after, newest + 1, &r, e);

	*n = rc == SZTP_OK ? json_array_size(json_object_get(r.json, "items")) : 0;
	ctl_resp_clear(&r);
	return rc;
}

/* The newest rows (newest < PAGE_MAX) without reading the whole list:
 * the smallest id X with at most `newest` rows after it, found by
 * doubling and then halving a step (about 2 log2(ids) small requests),
 * then the one page after X. */
static sztp_rc newest_rows(struct ctl *c, const char *path, const char *query, int64_t after,
			   long newest, struct rows_out *o, struct sztp_err *e)
{
	int64_t lo = after, hi = after, step = 1;
	struct ctl_resp r;
	size_t n = 0, i;
	json_t *it;
	sztp_rc rc = count_after(c, path, query, hi, newest, &n, e);

	/* from here: more than newest rows after lo, at most newest after hi */
	while (rc == SZTP_OK && n > (size_t)newest) {
		lo = hi;
		hi = lo + step;
		step *= 2;
		rc = count_after(c, path, query, hi, newest, &n, e);
	}
	while (rc == SZTP_OK && hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if ((rc = count_after(c, path, query, mid, newest, &n, e)) == SZTP_OK)
			*(n > (size_t)newest ? &lo : &hi) = mid;
	}
	if (rc != SZTP_OK || (rc = page_after(c, path, query, hi, newest, &r, e)) != SZTP_OK)
		return rc;
	json_array_foreach(json_object_get(r.json, "items"), i, it)
	{
		if (rows_cb(it, o))
			break;
	}
	ctl_resp_clear(&r);
	return SZTP_OK;
}

/* The last cap items of a whole listing (newest >= PAGE_MAX): a ring,
 * grown as rows come; once full, next is the oldest. */
struct ring {
	json_t **it;
	size_t n, alloc, cap, next;
	int fail;
};

static int ring_cb(json_t *it, void *arg)
{
	struct ring *g = arg;

	if (g->n == g->cap) {
		json_decref(g->it[g->next]);
		g->it[g->next] = json_incref(it);
		g->next = (g->next + 1) % g->cap;
		return 0;
	}
	if (g->n == g->alloc) {
		size_t a = g->alloc ? g->alloc * 2 : PAGE_MAX;
		json_t **p = realloc(g->it, (a < g->cap ? a : g->cap) * sizeof(*p));

		if (!p)
			return g->fail = 1;
		g->it = p;
		g->alloc = a < g->cap ? a : g->cap;
	}
	g->it[g->n++] = json_incref(it);
	return 0;
}

/* Every row after id `after`, or only the newest of them, into o. */
static sztp_rc all_rows(struct ctl *c, const char *path, char *q, int64_t after, long newest,
			struct rows_out *o, struct sztp_err *e)
{
	struct ring g = {NULL, 0, 0, (size_t)newest, 0, 0};
	char a[24];
	sztp_rc rc;
	size_t i;

	snprintf(a, sizeof(a), "%lld", (long long)after);
	if (after > 0)
		ctl_query_add(q, QUERY_MAX, "after-id", a);
	rc = ctl_list_all(c, path, q, newest > 0 ? ring_cb : rows_cb,
			  newest > 0 ? (void *)&g : (void *)o, e);
	for (i = 0; i < g.n; i++) { /* oldest first */
		json_t *it = g.it[(g.next + i) % g.n];

		if (rc == SZTP_OK && !g.fail)
			rows_cb(it, o);
		json_decref(it);
	}
	free(g.it);
	if (rc == SZTP_OK && (g.fail || o->fail))
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory gathering the rows");
	return rc;
}

sztp_rc ctl_rows(struct ctl *c, const char *path, const char *query, int64_t after, long newest,
		 const char *header, ctl_row_fn row, struct sztp_err *e)
{
	struct rows_out o = {NULL, row, 0};
	char q[QUERY_MAX];
	sztp_rc rc;

	snprintf(q, sizeof(q), "%s", query ? query : "");
	if (c->json && !(o.arr = json_array()))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if (!c->json)
		printf("%s\n", header);
	if (newest > 0 && newest < PAGE_MAX)
		rc = newest_rows(c, path, q, after, newest, &o, e);
	else
		rc = all_rows(c, path, q, after, newest, &o, e);
	if (rc == SZTP_OK && o.fail)
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory gathering the rows");
	if (rc == SZTP_OK && o.arr)
		rc = ctl_print_json(o.arr, e);
	json_decref(o.arr);
	return rc;
}

/* ---- progress, log ----------------------------------------------------------- */

static const char *time_or_dash(json_t *it)
{
	const char *t = str(it, "time");

	return t ? t : "-";
}

static void progress_row(json_t *it)
{
	char b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], b3[CTL_TEXT_MAX], b4[CTL_TEXT_MAX];

	printf("%-20s %-24s %-22s %-36s %s\n", time_or_dash(it), ctl_text(str(it, "serial"), b1),
	       ctl_text(str(it, "peer"), b2), ctl_text(str(it, "type"), b3),
	       ctl_text(str(it, "message"), b4));
}

static void log_row(json_t *it)
{
	char b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], b3[CTL_TEXT_MAX], b4[CTL_TEXT_MAX];
	const char *serial = str(it, "serial");

	printf("%-20s %-24s %-22s %-24s %-12s %3d %8lld\n", time_or_dash(it),
	       serial ? ctl_text(serial, b1) : "-", ctl_text(str(it, "peer"), b2),
	       ctl_text(str(it, "endpoint"), b3), ctl_text(str(it, "result"), b4),
	       (int)json_integer_value(json_object_get(it, "status")),
	       (long long)json_integer_value(json_object_get(it, "duration-us")));
}

/* progress / log [SERIAL] [--type|--result X] [--since T] [--before T]
 * [--after-id N] [--limit N]: what = the filter's name in both. */
static sztp_rc report_cmd(struct ctl *c, const char *path, const char *what, const char *header,
			  ctl_row_fn row, struct sztp_err *e)
{
	char q[QUERY_MAX] = "";
	long limit = 0, after = 0;
	sztp_rc rc;

	if ((rc = opt_int(c, "limit", 1, 1000000000L, &limit, e)) != SZTP_OK ||
	    (rc = opt_int(c, "after-id", 0, 0x7ffffffffffffffeL, &after, e)) != SZTP_OK)
		return rc;
	ctl_query_add(q, sizeof(q), "serial", c->npos ? c->pos[0] : NULL);
	ctl_query_add(q, sizeof(q), what, opt_get(c, what));
	ctl_query_add(q, sizeof(q), "since", opt_get(c, "since"));
	ctl_query_add(q, sizeof(q), "before", opt_get(c, "before"));
	return ctl_rows(c, path, q, after, limit, header, row, e);
}

sztp_rc cmd_progress(struct ctl *c, struct sztp_err *e)
{
	char h[160];

	snprintf(h, sizeof(h), "%-20s %-24s %-22s %-36s %s", "TIME", "SERIAL", "PEER", "TYPE",
		 "MESSAGE");
	return report_cmd(c, "/progress", "type", h, progress_row, e);
}

sztp_rc cmd_log(struct ctl *c, struct sztp_err *e)
{
	char h[160];

	snprintf(h, sizeof(h), "%-20s %-24s %-22s %-24s %-12s %3s %8s", "TIME", "SERIAL", "PEER",
		 "ENDPOINT", "RESULT", "ST", "US");
	return report_cmd(c, "/log", "result", h, log_row, e);
}

/* ---- device timeline ------------------------------------------------------------ */

/* One line: what happened (progress type, or endpoint) and its detail
 * (the message, or result, status and duration). */
static void timeline_row(json_t *it)
{
	char b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], b3[CTL_TEXT_MAX], detail[160];
	int progress = !strcmp(str(it, "source") ? str(it, "source") : "", "progress");
	const char *d = detail;

	if (progress)
		d = ctl_text(str(it, "message"), b3);
	else
		snprintf(detail, sizeof(detail), "%s %d %lldus", ctl_text(str(it, "result"), b3),
			 (int)json_integer_value(json_object_get(it, "status")),
			 (long long)json_integer_value(json_object_get(it, "duration-us")));
	printf("%-20s %-8s %-22s %-36s %s\n", time_or_dash(it), progress ? "progress" : "log",
	       ctl_text(str(it, "peer"), b1), ctl_text(str(it, progress ? "type" : "endpoint"), b2),
	       d);
}

sztp_rc cmd_device_timeline(struct ctl *c, struct sztp_err *e)
{
	char path[1024], seg[900], h[160];
	sztp_rc rc;

	if ((rc = ctl_check_serial(c->pos[0], e)) != SZTP_OK)
		return rc;
	snprintf(path, sizeof(path), "/devices/%s/timeline", ctl_seg(c->pos[0], seg, sizeof(seg)));
	snprintf(h, sizeof(h), "%-20s %-8s %-22s %-36s %s", "TIME", "SOURCE", "PEER", "EVENT",
		 "DETAIL");
	return ctl_rows(c, path, NULL, 0, 0, h, timeline_row, e);
}

/* ---- prune ---------------------------------------------------------------------- */

/* Retention: the bootstrapping log and progress reports grow with every
 * request; an operator removes what is older than N days (cron). */
sztp_rc cmd_prune(struct ctl *c, struct sztp_err *e)
{
	long days = -1;
	struct ctl_resp r;
	json_t *body;
	const char *before;
	sztp_rc rc;

	if ((rc = opt_int(c, "older-than", 1, 36500, &days, e)) != SZTP_OK)
		return rc;
	if (days < 0)
		return sztp_err_set(e, SZTP_E_MISSING_ELEMENT, "prune needs --older-than DAYS");
	if (!(body = json_pack("{s:i}", "older-than-days", (int)days)))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	rc = ctl_call(c, "POST", "/prune", NULL, body, &r, e);
	json_decref(body);
	if (rc != SZTP_OK)
		return rc;
	before = str(r.json, "before");
	ctl_done(c, "pruned %lld log rows and %lld progress reports from before %s",
		 (long long)json_integer_value(json_object_get(r.json, "log-deleted")),
		 (long long)json_integer_value(json_object_get(r.json, "progress-deleted")),
		 before ? before : "-");
	ctl_resp_clear(&r);
	return SZTP_OK;
}
