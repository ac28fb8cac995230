/*
 * reports.c - admin API: what devices did and what is about to stop
 * working.  The progress reports devices send with report-progress
 * (RFC 8572 s7.3) and sztpd's bootstrapping log (one row per request),
 * each filtered and paginated by id (GET /progress, GET /log; an NMS
 * polls new rows with after-id), one device's timeline joining both
 * (GET /devices/{serial}/timeline), their retention (POST /prune), and
 * the vouchers and owner certificates that expire soon (GET /expiring):
 * a device refuses an expired voucher or owner certificate (RFC 8572
 * s5.4), so they are flagged ahead of time.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "voucher.h"

#define DAY		 86400
#define TYPE_MAX	 48 /* progress type, log result */
#define EXPIRING_DEFAULT 30

/* ---- expiry --------------------------------------------------------------- */

enum admin_expiry admin_expiry_of(int64_t not_after, int64_t now, long days)
{
	if (!not_after)
		return ADMIN_EXP_NEVER;
	if (not_after <= now)
		return ADMIN_EXP_EXPIRED;
	return not_after <= now + (int64_t)days * DAY ? ADMIN_EXP_EXPIRING : ADMIN_EXP_OK;
}

const char *admin_expiry_name(enum admin_expiry x)
{
	static const char *const names[] = {"never", "ok", "expiring", "expired"};

	return names[x];
}

int64_t admin_voucher_expires(const struct reg_device *d)
{
	struct voucher v;
	int64_t t = 0;

	if (!d->voucher.len)
		return 0;
	if (d->voucher_expires)
		return d->voucher_expires;
	/* stored before the registry kept the window: read it (the
	 * signature was checked when it was attached) */
	memset(&v, 0, sizeof(v));
	if (voucher_parse(d->voucher.data, d->voucher.len, NULL, NULL, &v, NULL) == SZTP_OK)
		t = v.expires_on;
	voucher_clear(&v);
	return t;
}

/* ---- shared by the id-ordered lists ----------------------------------------- */

int admin_query_filter(struct admin_call *c, const char *name, char *buf, size_t len,
		       const char **out)
{
	if (admin_query_str(c, name, buf, len, out) < 0)
		return -1;
	if (*out && !**out) {
		*out = NULL;
		return admin_problem_param(c, name, "'%s' must not be empty", name);
	}
	return 0;
}

/* since, before, after-id, limit and cursor into q; q->limit is *limit + 1. */
static int id_query(struct admin_call *c, struct reg_query *q, int *limit)
{
	int64_t after = 0, cursor = 0;

	if (admin_query_time(c, "since", &q->since) < 0 ||
	    admin_query_time(c, "before", &q->before) < 0 ||
	    admin_query_int(c, "after-id", 0, INT64_MAX - 1, &after) < 0 ||
	    admin_page_id(c, limit, &cursor) < 0)
		return -1;
	if (q->since && q->before && q->since >= q->before)
		return admin_problem_param(c, "before", "'before' must be later than 'since'");
	q->after_id = after > cursor ? after : cursor;
	q->limit = *limit + 1;
	return 0;
}

/* The page of items (stolen): at most limit of them, next-cursor set when
 * the extra row came. */
static void reply_id_list(struct admin_call *c, json_t *items, int limit)
{
	int64_t next = 0;

	if (json_array_size(items) > (size_t)limit) {
		json_array_remove(items, (size_t)limit);
		next = json_integer_value(
		    json_object_get(json_array_get(items, (size_t)limit - 1), "id"));
	}
	admin_reply_page_id(c, items, next);
}

/* Text a device sent, as a JSON string: jansson takes UTF-8 only, so a
 * stored row that is not (written by an older sztpd, or by hand) gets '?'
 * for its bytes above 0x7f rather than failing the whole list.  NULL and
 * "" are JSON null. */
static json_t *text_json(const char *s)
{
	json_t *j;
	char *copy, *p;

	if (!s || !*s)
		return json_null();
	if ((j = json_string(s)) || !(copy = strdup(s)))
		return j;
	for (p = copy; *p; p++)
		if ((unsigned char)*p > 0x7f)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/* A stored JSON array (ssh-host-keys, trust-anchor-certs) or null. */
static json_t *array_json(const char *s)
{
	json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;

	return j ? j : json_null();
}

/* Members set in order; obj is freed (NULL returned) when one fails. */
static json_t *set_all(json_t *obj, const char *const *names, json_t **vals, size_t n)
{
	size_t i;
	int bad = !obj;

	for (i = 0; i < n; i++)
		if (bad || json_object_set_new(obj, names[i], vals[i]))
			bad = 1;
	if (bad) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static json_t *progress_json(const struct reg_progress *p)
{
	static const char *const names[] = {
	    "id",   "time",    "serial",	"peer",
	    "type", "message", "ssh-host-keys", "trust-anchor-certs"};
	json_t *v[] = {json_integer(p->id),	     admin_time_json(p->time),
		       text_json(p->serial),	     text_json(p->peer),
		       text_json(p->type),	     text_json(p->message),
		       array_json(p->ssh_host_keys), array_json(p->trust_anchors)};

	return set_all(json_object(), names, v, sizeof(v) / sizeof(v[0]));
}

static json_t *log_json(const struct reg_log *l)
{
	static const char *const names[] = {"id",	"time",	  "serial", "peer",
					    "endpoint", "result", "status", "duration-us"};
	json_t *v[] = {json_integer(l->id),	admin_time_json(l->time),    text_json(l->serial),
		       text_json(l->peer),	text_json(l->endpoint),	     text_json(l->result),
		       json_integer(l->status), json_integer(l->duration_us)};

	return set_all(json_object(), names, v, sizeof(v) / sizeof(v[0]));
}

/* ---- GET /progress, GET /log ----------------------------------------------------- */

int admin_rows_add(struct admin_rows *r, json_t *item)
{
	if (json_array_append_new(r->items, item))
		r->fail = 1;
	return r->fail;
}

int admin_rows_done(struct admin_call *c, struct admin_rows *r, sztp_rc rc, struct sztp_err *e)
{
	if (rc == SZTP_OK && (r->fail || !r->items))
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory listing %s", c->req->path);
	if (rc == SZTP_OK)
		return 0;
	json_decref(r->items);
	r->items = NULL;
	return admin_problem_rc(c, rc, NULL, e);
}

static int progress_cb(const struct reg_progress *p, void *arg)
{
	return admin_rows_add(arg, progress_json(p));
}

static int log_cb(const struct reg_log *l, void *arg)
{
	return admin_rows_add(arg, log_json(l));
}

static sztp_rc progress_rows(struct reg *r, const struct reg_query *q, struct admin_rows *out,
			     struct sztp_err *e)
{
	return reg_progress_query(r, q, progress_cb, out, e);
}

static sztp_rc log_rows(struct reg *r, const struct reg_query *q, struct admin_rows *out,
			struct sztp_err *e)
{
	return reg_log_query(r, q, log_cb, out, e);
}

void admin_id_list(struct admin_call *c, const struct admin_id_list *l)
{
	const char *const allowed[] = {l->param[0], l->param[1], "since",  "before",
				       "after-id",  "limit",	 "cursor", NULL};
	char filter[2][ADMIN_PARAM_MAX];
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_query q = REG_QUERY_INIT;
	struct admin_rows r = {NULL, c->now, 0};
	int limit = 0, i;

	if (admin_query_only(c, allowed) < 0)
		return;
	for (i = 0; i < 2; i++)
		if (admin_query_filter(c, l->param[i], filter[i], l->max[i],
				       (const char **)((char *)&q + l->member[i])) < 0)
			return;
	if (id_query(c, &q, &limit) < 0)
		return;
	r.items = json_array();
	if (admin_rows_done(c, &r, l->rows(c->ctx->reg, &q, &r, &e), &e) < 0)
		return;
	reply_id_list(c, r.items, limit);
}

/* progress: serial and type; log: serial and result (the type column) */
#define REPORT_FILTERS(what, fn)                                                                   \
	{                                                                                          \
		{"serial", what},                                                                  \
		    {offsetof(struct reg_query, serial), offsetof(struct reg_query, type)},        \
		    {PKI_SERIAL_MAX, TYPE_MAX}, fn                                                 \
	}
static const struct admin_id_list report_lists[] = {REPORT_FILTERS("type", progress_rows),
						    REPORT_FILTERS("result", log_rows)};

void admin_progress_list(struct admin_call *c)
{
	admin_id_list(c, &report_lists[0]);
}

void admin_log_list(struct admin_call *c)
{
	admin_id_list(c, &report_lists[1]);
}

/* ---- GET /devices/{serial}/timeline -------------------------------------------------- */

/* A timeline position: (time, source, id); source 'l' (log) sorts before
 * 'p' (progress), as their names do. */
struct tl_key {
	int64_t time;
	char src;
	int64_t id;
};

struct tl_entry {
	struct tl_key k;
	json_t *obj;
};

/* The page being gathered: the cap (limit + 1) smallest entries after the
 * cursor, kept sorted.  Rows come in id order, which is nearly time order,
 * so a row is mostly compared with the last entry only. */
struct timeline {
	struct tl_entry *e;
	size_t n, cap;
	struct tl_key after;
	int has_after;
	size_t seen; /* rows of the device read, whatever their position */
	int fail;
};

static int tl_cmp(const struct tl_key *a, const struct tl_key *b)
{
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	if (a->src != b->src)
		return a->src < b->src ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Take one row (row: its JSON, stolen) if it belongs on the page. */
static int tl_add(struct timeline *t, int64_t time, char src, int64_t id, json_t *row)
{
	struct tl_entry x = {{time, src, id}, NULL};
	size_t i;

	t->seen++;
	if ((t->has_after && tl_cmp(&x.k, &t->after) <= 0) ||
	    (t->n == t->cap && tl_cmp(&x.k, &t->e[t->n - 1].k) >= 0)) {
		json_decref(row);
		return 0;
	}
	x.obj = json_pack("{s:o, s:s}", "time", admin_time_json(time), "source",
			  src == 'l' ? "log" : "progress");
	if (!row || !x.obj || json_object_update(x.obj, row)) {
		json_decref(row);
		json_decref(x.obj);
		t->fail = 1;
		return 1;
	}
	json_decref(row);
	if (t->n == t->cap)
		json_decref(t->e[--t->n].obj);
	for (i = t->n; i > 0 && tl_cmp(&x.k, &t->e[i - 1].k) < 0; i--)
		t->e[i] = t->e[i - 1];
	t->e[i] = x;
	t->n++;
	return 0;
}

static int tl_progress_cb(const struct reg_progress *p, void *arg)
{
	return tl_add(arg, p->time, 'p', p->id, progress_json(p));
}

static int tl_log_cb(const struct reg_log *l, void *arg)
{
	return tl_add(arg, l->time, 'l', l->id, log_json(l));
}

/* The cursor's key "TIME.S.ID"; -1 when it is not one. */
static int tl_key_read(const char *s, struct tl_key *k)
{
	long long time, id;
	char src;
	int n = -1;

	if (sscanf(s, "%lld.%c.%lld%n", &time, &src, &id, &n) != 3 || n < 0 || s[n] != '\0' ||
	    time < 0 || id <= 0 || (src != 'l' && src != 'p'))
		return -1;
	k->time = time;
	k->src = src;
	k->id = id;
	return 0;
}

static void tl_reply(struct admin_call *c, struct timeline *t, size_t limit)
{
	json_t *items = json_array();
	char next[96];
	size_t i;

	for (i = 0; i < t->n && i < limit; i++) {
		if (json_array_append(items, t->e[i].obj))
			t->fail = 1;
	}
	if (!items || t->fail) {
		json_decref(items);
		admin_problem(c, 500, "internal", NULL, "out of memory");
		return;
	}
	if (t->n > limit) {
		const struct tl_key *k = &t->e[limit - 1].k;

		snprintf(next, sizeof(next), "%lld.%c.%lld", (long long)k->time, k->src,
			 (long long)k->id);
	}
	admin_reply_page_key(c, items, t->n > limit ? next : NULL);
}

void admin_device_timeline(struct admin_call *c)
{
	static const char *const allowed[] = {"limit", "cursor", NULL};
	const char *serial = c->param[0];
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_query q = REG_QUERY_INIT;
	struct timeline t;
	char cursor[96];
	int64_t rev = 0;
	int limit = 0, enrolled;
	sztp_rc rc;
	size_t i;

	memset(&t, 0, sizeof(t));
	if (admin_query_only(c, allowed) < 0 ||
	    admin_page_key(c, &limit, cursor, sizeof(cursor)) < 0)
		return;
	if (cursor[0] && tl_key_read(cursor, &t.after) < 0) {
		admin_problem_param(c, "cursor", "'cursor' is not a cursor this list gave out");
		return;
	}
	t.has_after = cursor[0] != '\0';
	t.cap = (size_t)limit + 1;
	if (!(t.e = calloc(t.cap, sizeof(*t.e)))) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		return;
	}
	q.serial = serial;
	q.since = t.has_after ? t.after.time : 0;
	rc = reg_device_revision(c->ctx->reg, serial, &rev, &e);
	enrolled = rc == SZTP_OK;
	if (rc == SZTP_E_NOT_FOUND)
		rc = SZTP_OK;
	if (rc == SZTP_OK)
		rc = reg_progress_query(c->ctx->reg, &q, tl_progress_cb, &t, &e);
	if (rc == SZTP_OK && !t.fail)
		rc = reg_log_query(c->ctx->reg, &q, tl_log_cb, &t, &e);
	if (rc != SZTP_OK)
		admin_problem_rc(c, rc, NULL, &e);
	else if (!enrolled && !t.seen)
		admin_problem(c, 404, "not-found", NULL,
			      "serial '%s' is not enrolled and has no progress reports or log "
			      "rows",
			      serial);
	else
		tl_reply(c, &t, (size_t)limit);
	for (i = 0; i < t.n; i++)
		json_decref(t.e[i].obj);
	free(t.e);
}

/* ---- POST /prune --------------------------------------------------------------------- */

/* Retention: the bootstrapping log and progress reports grow with every
 * request; an operator (cron, the NMS) removes what is older than N days,
 * in one transaction with its audit row. */
void admin_prune(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	static const char *const members[] = {"older-than-days", NULL};
	struct sztp_err e = {SZTP_OK, ""};
	int64_t days = 0, nlog = 0, nprog = 0, before;
	json_t *detail, *out;
	sztp_rc rc;

	if (admin_query_only(c, none) < 0 || admin_json_only(c, c->body, "", members) < 0 ||
	    admin_json_int(c, c->body, "", "older-than-days", 1, 36500, &days, 1) < 0)
		return;
	before = c->now - days * DAY;
	if (admin_begin(c) < 0)
		return;
	if ((rc = reg_prune(c->ctx->reg, before, &nlog, &nprog, &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		return;
	}
	detail = json_pack("{s:I, s:o, s:I, s:I}", "older-than-days", (json_int_t)days, "before",
			   admin_time_json(before), "log-deleted", (json_int_t)nlog,
			   "progress-deleted", (json_int_t)nprog);
	if (admin_audit(c, "prune", "", 0, 0, detail) < 0 || admin_commit(c) < 0)
		return;
	out = json_pack("{s:I, s:I, s:o}", "log-deleted", (json_int_t)nlog, "progress-deleted",
			(json_int_t)nprog, "before", admin_time_json(before));
	admin_reply_json(c, 200, out, NULL);
}

/* ---- GET /expiring ------------------------------------------------------------------- */

struct expiring {
	struct admin_rows rows; /* the items; rows.now: the call's time */
	long days;
	json_t *owners; /* names of the owner identities in use, in order */
};

static int exp_row(struct expiring *x, const char *kind, const char *name, const char *what,
		   int64_t not_after)
{
	enum admin_expiry st = admin_expiry_of(not_after, x->rows.now, x->days);

	if (st != ADMIN_EXP_EXPIRING && st != ADMIN_EXP_EXPIRED)
		return 0;
	return admin_rows_add(&x->rows, json_pack("{s:s, s:o, s:o, s:o, s:s, s:I}", "kind", kind,
						  "name", text_json(name), "what", text_json(what),
						  "expires", admin_time_json(not_after), "expiry",
						  admin_expiry_name(st), "days-left",
						  (json_int_t)((not_after - x->rows.now) / DAY)));
}

static int exp_device_cb(const struct reg_device *d, void *arg)
{
	return exp_row(arg, "voucher", d->serial, "ownership voucher", admin_voucher_expires(d));
}

static int exp_profile_cb(const struct reg_profile *p, void *arg)
{
	struct expiring *x = arg;
	const char *name = p->owner[0] ? p->owner : "default";
	size_t i;

	for (i = 0; i < json_array_size(x->owners); i++)
		if (!strcmp(json_string_value(json_array_get(x->owners, i)), name))
			return 0;
	if (json_array_append_new(x->owners, json_string(name)))
		x->rows.fail = 1;
	return x->rows.fail;
}

/* Every certificate of one owner identity's chain (not set: none). */
static sztp_rc exp_owner(struct admin_call *c, struct expiring *x, const char *name,
			 struct sztp_err *e)
{
	struct reg_owner o;
	sztp_rc rc;
	size_t i;

	memset(&o, 0, sizeof(o));
	rc = reg_owner_get(c->ctx->reg, name, &o, e);
	if (rc == SZTP_E_NOT_FOUND)
		rc = SZTP_OK;
	for (i = 0; rc == SZTP_OK && i < o.n_chain && !x->rows.fail; i++) {
		char subj[256] = "?", label[REG_NAME_MAX + 24];
		time_t nb = 0, na = 0;

		if (pki_cert_validity(&o.chain[i], &nb, &na, NULL) != SZTP_OK)
			continue;
		pki_cert_subject(&o.chain[i], subj, sizeof(subj), NULL);
		snprintf(label, sizeof(label), "%s[%zu]", name, i);
		exp_row(x, "owner", label, subj, na);
	}
	reg_owner_clear(&o);
	return rc;
}

/* The vouchers (by serial) and the certificates of the owner identities
 * in use ("default" and those profiles name) that have expired or expire
 * within expiring-within. */
void admin_expiring(struct admin_call *c)
{
	static const char *const allowed[] = {"expiring-within", NULL};
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_query q = REG_QUERY_INIT;
	struct expiring x = {{NULL, c->now, 0}, 0, NULL};
	int64_t days = EXPIRING_DEFAULT;
	sztp_rc rc = SZTP_E_NOMEM;
	size_t i;

	if (admin_query_only(c, allowed) < 0 ||
	    admin_query_int(c, "expiring-within", 0, 36500, &days) < 0)
		return;
	x.days = (long)days;
	x.rows.items = json_array();
	q.has_voucher = 1;
	if ((x.owners = json_pack("[s]", "default")) &&
	    (rc = reg_profile_list(c->ctx->reg, exp_profile_cb, &x, &e)) == SZTP_OK &&
	    (rc = reg_device_query(c->ctx->reg, &q, exp_device_cb, &x, &e)) == SZTP_OK)
		for (i = 0; rc == SZTP_OK && !x.rows.fail && i < json_array_size(x.owners); i++)
			rc = exp_owner(c, &x, json_string_value(json_array_get(x.owners, i)), &e);
	json_decref(x.owners);
	if (admin_rows_done(c, &x.rows, rc, &e) < 0)
		return;
	admin_reply_json(
	    c, 200, json_pack("{s:I, s:o}", "expiring-within", (json_int_t)days, "items", x.rows.items),
	    NULL);
}
