/*
 * webhooks.c - admin API: webhook subscriptions (GET/POST /webhooks,
 * GET/PUT/PATCH/DELETE /webhooks/{name}) and their dead letters (GET and
 * DELETE /webhooks/{name}/dead-letters, POST .../dead-letters/replay,
 * DELETE .../dead-letters/{id}).  sztpd's delivery worker (events/
 * webhook.c) POSTs the events of the outbox to each enabled subscription
 * over HTTPS, signed with HMAC-SHA256 of its secret; what it did is the
 * subscription's state, shown here, written only by the worker.
 *
 * The secret is write-only: required (at least 16 bytes) when a
 * subscription is made, never shown, not in the audit trail; a PUT or
 * PATCH without one keeps it.  The url must be https:// without user
 * information (the receiver authenticates the sender by the signature,
 * and the url is shown to every reader).  The ETag is the configuration's
 * revision: the state changes with every delivery and is not part of it.
 * Changes are audited (webhook.create, webhook.update, webhook.delete,
 * dead-letters.replay, dead-letters.delete) but are not events themselves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin_internal.h"
#include "crypto.h"
#include "event.h"

#define URL_MAX	   2048
#define SECRET_MIN 16
#define SECRET_MAX 1024
#define TYPES_MAX  1024 /* the joined list */

/* ---- representation ------------------------------------------------------------ */

/* "a,b" -> ["a", "b"]; "" -> [] (every type). */
static json_t *types_json(const char *list)
{
	json_t *a = json_array();
	const char *p = list ? list : "";

	while (a && *p) {
		size_t n = strcspn(p, ",");

		if (n && json_array_append_new(a, json_stringn(p, n))) {
			json_decref(a);
			return NULL;
		}
		p += n + (p[n] == ',');
	}
	return a;
}

static json_t *int_or_null(int64_t v)
{
	return v ? json_integer((json_int_t)v) : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The delivery state: the worker's columns and the backlog after the
 * cursor (NULL: out of memory, or the registry failed: *rc, e). */
static json_t *state_json(struct admin_call *c, const struct reg_webhook *w, sztp_rc *rc,
			  struct sztp_err *e)
{
	int64_t backlog = 0, oldest = 0;

	if ((*rc = reg_event_backlog(c->ctx->reg, w->cursor, &backlog, &oldest, e)) != SZTP_OK)
		return NULL;
	return json_pack(
	    "{s:I, s:I, s:o, s:i, s:o, s:o, s:o, s:o, s:I, s:I, s:I}", "cursor",
	    (json_int_t)w->cursor, "backlog", (json_int_t)backlog, "oldest-pending",
	    admin_time_json(oldest), "attempts", w->attempts, "next-attempt",
	    admin_time_json(w->next_attempt_ms ? (w->next_attempt_ms + 999) / 1000 : 0),
	    "last-status", int_or_null(w->last_status), "last-error", str_or_null(w->last_error),
	    "last-success", admin_time_json(w->last_success), "delivered", (json_int_t)w->delivered,
	    "failed", (json_int_t)w->failed, "dead", (json_int_t)w->dead);
}

/* Never the secret. */
static json_t *webhook_json(struct admin_call *c, const struct reg_webhook *w, sztp_rc *rc,
			    struct sztp_err *e)
{
	json_t *state = state_json(c, w, rc, e);

	if (!state)
		return NULL;
	return json_pack("{s:s, s:s, s:o, s:o, s:b, s:o, s:o, s:o}", "name", w->name, "url",
			 w->url ? w->url : "", "types", types_json(w->types), "ca-certificates",
			 str_or_null(w->ca_pem), "enabled", w->enabled, "created",
			 admin_time_json(w->created), "revision", admin_rev_json(w->revision),
			 "state", state);
}

static void webhook_clear(struct reg_webhook *w)
{
	if (w->secret)
		crypto_wipe(w->secret, strlen(w->secret));
	reg_webhook_clear(w);
	memset(w, 0, sizeof(*w));
}

/* The representation of w answered with status and its ETag. */
static void reply_webhook(struct admin_call *c, int status, const struct reg_webhook *w)
{
	struct sztp_err e = {SZTP_OK, ""};
	char etag[ADMIN_ETAG_MAX];
	sztp_rc rc = SZTP_E_NOMEM;
	json_t *o = webhook_json(c, w, &rc, &e);

	if (!o && rc == SZTP_OK)
		rc = SZTP_E_NOMEM;
	if (!o) {
		if (rc == SZTP_E_NOMEM)
			sztp_err_set(&e, rc, "out of memory");
		admin_problem_rc(c, rc, NULL, &e);
		return;
	}
	admin_etag_rev(w->revision, etag);
	admin_reply_json(c, status, o, etag);
}

/* The subscription c->param[0] into w: 404 answered (-1) when absent. */
static int webhook_read(struct admin_call *c, struct reg_webhook *w)
{
	struct sztp_err e = {SZTP_OK, ""};
	sztp_rc rc = reg_webhook_get(c->ctx->reg, c->param[0], w, &e);

	if (rc == SZTP_E_NOT_FOUND || rc == SZTP_E_INVALID_VALUE)
		return admin_problem(c, 404, "not-found", NULL, "no webhook '%s'", c->param[0]);
	if (rc != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	return 0;
}

/* ---- GET /webhooks, GET /webhooks/{name} ------------------------------------------- */

struct list {
	struct admin_call *c;
	struct admin_rows rows;
	const char *after; /* cursor: names after this one */
	int limit;	   /* + 1: is there another page? */
	sztp_rc rc;
	struct sztp_err e;
};

static int list_cb(const struct reg_webhook *w, void *arg)
{
	struct list *l = arg;
	json_t *o;

	if (l->after && strcmp(w->name, l->after) <= 0)
		return 0;
	if (json_array_size(l->rows.items) >= (size_t)l->limit)
		return 1;
	if (!(o = webhook_json(l->c, w, &l->rc, &l->e)) && l->rc != SZTP_OK)
		return 1;
	return admin_rows_add(&l->rows, o);
}

void admin_webhooks_list(struct admin_call *c)
{
	static const char *const allowed[] = {"limit", "cursor", NULL};
	struct list l;
	char after[REG_NAME_MAX + 1];
	sztp_rc rc;
	size_t n;
	int limit = 0;

	memset(&l, 0, sizeof(l));
	if (admin_query_only(c, allowed) < 0 || admin_page_key(c, &limit, after, sizeof(after)) < 0)
		return;
	l.c = c;
	l.rows.items = json_array();
	l.rows.now = c->now;
	l.after = after[0] ? after : NULL;
	l.limit = limit + 1;
	rc = reg_webhook_list(c->ctx->reg, list_cb, &l, &l.e);
	if (rc == SZTP_OK && l.rc != SZTP_OK)
		rc = l.rc;
	if (admin_rows_done(c, &l.rows, rc, &l.e) < 0)
		return;
	if ((n = json_array_size(l.rows.items)) > (size_t)limit)
		json_array_remove(l.rows.items, (size_t)limit);
	admin_reply_page_key(c, l.rows.items,
			     n > (size_t)limit
				 ? json_string_value(json_object_get(
				       json_array_get(l.rows.items, (size_t)limit - 1), "name"))
				 : NULL);
}

void admin_webhook_get(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct reg_webhook w;

	memset(&w, 0, sizeof(w));
	if (admin_query_only(c, none) < 0 || webhook_read(c, &w) < 0)
		goto out;
	reply_webhook(c, 200, &w);
out:
	webhook_clear(&w);
}

/* ---- the body of POST, PUT and PATCH ---------------------------------------------- */

/* What a body sets; NULL / -1: not given. */
struct conf {
	const char *name, *url, *secret, *ca;
	char types[TYPES_MAX];
	int has_types, ca_null, enabled;
};

/* https://AUTHORITY[/...]: a host, no user information, no spaces. */
static int check_url(struct admin_call *c, const char *url)
{
	const char *auth;
	size_t alen;

	if (strncmp(url, "https://", 8))
		return admin_problem(c, 400, "invalid-field", "/url",
				     "'url' must be an https:// URL (events are delivered over "
				     "TLS only), not '%s'",
				     url);
	auth = url + 8; /* within url: it begins with those 8 bytes */
	alen = strcspn(auth, "/?#");
	if (alen == 0 || auth[0] == ':')
		return admin_problem(c, 400, "invalid-field", "/url", "'url' %s names no host",
				     url);
	if (memchr(auth, '@', alen))
		return admin_problem(c, 400, "invalid-field", "/url",
				     "'url' must not hold user information (user:password@): the "
				     "url is shown to every reader; receivers verify the "
				     "X-SZTP-Signature made with the secret");
	if (strpbrk(url, " \"<>\\^`{|}"))
		return admin_problem(c, 400, "invalid-field", "/url",
				     "'url' holds a character a URL cannot (a space, quote, "
				     "bracket...): percent-encode it");
	return 0;
}

/* "types": an array of event types (empty: every type) into f->types,
 * comma-separated, checked by event_types_check. */
static int read_types(struct admin_call *c, struct conf *f)
{
	struct sztp_err e = {SZTP_OK, ""};
	json_t *a = json_object_get(c->body, "types"), *v;
	char list[512];
	size_t i, o = 0;

	if (!a)
		return 0;
	if (!json_is_array(a))
		return admin_problem(c, 400, "invalid-field", "/types",
				     "'types' must be an array of event types ([] for every type)");
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		int n;

		if (!s || !*s || strchr(s, ','))
			return admin_problem(c, 400, "invalid-field", "/types",
					     "'types' must be an array of event types: one of %s",
					     admin_event_types(list, sizeof(list)));
		n = snprintf(f->types + o, sizeof(f->types) - o, "%s%s", o ? "," : "", s);
		if (n < 0 || (size_t)n >= sizeof(f->types) - o)
			return admin_problem(c, 400, "invalid-field", "/types",
					     "'types' is too long");
		o += (size_t)n;
	}
	if (event_types_check(f->types, &e) != SZTP_OK)
		return admin_problem(c, 400, "invalid-field", "/types", "'types': %s (one of %s)",
				     e.msg, admin_event_types(list, sizeof(list)));
	f->has_types = 1;
	return 0;
}

/* The PEM bundle verifying the receiver: at least one certificate. */
static int read_ca(struct admin_call *c, struct conf *f)
{
	json_t *v = json_object_get(c->body, "ca-certificates");
	sztp_bytes *certs = NULL;
	size_t n = 0;

	if (v && json_is_null(v)) {
		f->ca_null = 1;
		return 0;
	}
	if (admin_json_pem(c, c->body, "", "ca-certificates", 0, &f->ca) < 0 ||
	    (f->ca &&
	     admin_pem_certs(c, "/ca-certificates", "ca-certificates", f->ca, &certs, &n) < 0))
		return -1;
	pki_certs_free(certs, n);
	return 0;
}

/* with_name: POST (name in the body).  "ca-certificates": null is the
 * system's trust store, as when it is left out (PATCH: removes it). */
static int read_conf(struct admin_call *c, struct conf *f, int with_name)
{
	static const char *const members[] = {
	    "name", "url", "types", "secret", "ca-certificates", "enabled", NULL};
	int enabled = -1;

	memset(f, 0, sizeof(*f));
	f->enabled = -1;
	if (admin_json_only(c, c->body, "", with_name ? members : members + 1) < 0 ||
	    (with_name &&
	     (admin_json_str(c, c->body, "", "name", 1, REG_NAME_MAX - 1, &f->name) < 0 ||
	      admin_check_name(c, "webhook", f->name, "/name") < 0)) ||
	    admin_json_str(c, c->body, "", "url", 0, URL_MAX, &f->url) < 0 ||
	    (f->url && check_url(c, f->url) < 0) ||
	    admin_json_str(c, c->body, "", "secret", 0, SECRET_MAX, &f->secret) < 0 ||
	    read_types(c, f) < 0 || admin_json_bool(c, c->body, "", "enabled", &enabled) < 0)
		return -1;
	if (read_ca(c, f) < 0)
		return -1;
	if (f->secret && strlen(f->secret) < SECRET_MIN)
		return admin_problem(c, 400, "invalid-field", "/secret",
				     "'secret' must have at least %d bytes (it keys the "
				     "HMAC-SHA256 signature of every delivery)",
				     SECRET_MIN);
	f->enabled = enabled;
	return 0;
}

/* A new subscription (POST, or PUT of an absent name) needs these. */
static int conf_complete(struct admin_call *c, const struct conf *f)
{
	if (!f->url)
		return admin_problem(c, 400, "missing-field", "/url", "member 'url' is required");
	if (!f->secret)
		return admin_problem(c, 400, "missing-field", "/secret",
				     "member 'secret' is required (at least %d bytes; it is "
				     "never shown again)",
				     SECRET_MIN);
	return 0;
}

/* f over w (only what f sets; replace: what it leaves out is reset, the
 * secret kept).  -1: out of memory (answered). */
static int conf_apply(struct admin_call *c, const struct conf *f, struct reg_webhook *w,
		      int replace)
{
	char *url = f->url ? strdup(f->url) : NULL, *types = NULL, *secret = NULL, *ca = NULL;

	if ((f->url && !url) || (f->has_types && !(types = strdup(f->types))) ||
	    (!f->has_types && replace && !(types = strdup(""))) ||
	    (f->secret && !(secret = strdup(f->secret))) || (f->ca && !(ca = strdup(f->ca)))) {
		free(url);
		free(types);
		free(secret);
		free(ca);
		return admin_problem(c, 500, "internal", NULL, "out of memory");
	}
	if (url) {
		free(w->url);
		w->url = url;
	}
	if (types) {
		free(w->types);
		w->types = types;
	}
	if (w->secret) /* reg_webhook_update: NULL keeps the stored one */
		crypto_wipe(w->secret, strlen(w->secret));
	free(w->secret);
	w->secret = secret;
	if (ca || f->ca_null || replace) {
		free(w->ca_pem);
		w->ca_pem = ca;
	}
	if (f->enabled >= 0)
		w->enabled = f->enabled;
	else if (replace)
		w->enabled = 1;
	return 0;
}

/* The audit row's detail: the configuration, never the secret. */
static json_t *conf_detail(const struct reg_webhook *w, const struct conf *f)
{
	return json_pack("{s:s, s:o, s:b, s:b, s:b}", "url", w->url ? w->url : "", "types",
			 types_json(w->types), "enabled", w->enabled, "ca-certificates",
			 w->ca_pem != NULL, "secret-changed", f->secret != NULL);
}

/* Store w (add or update), read it back into w, audit, commit. */
static int webhook_store(struct admin_call *c, struct reg_webhook *w, const struct conf *f,
			 int create, int64_t rev_before)
{
	struct sztp_err e = {SZTP_OK, ""};
	char res[REG_NAME_MAX + 16], name[REG_NAME_MAX];
	sztp_rc rc =
	    create ? reg_webhook_add(c->ctx->reg, w, &e) : reg_webhook_update(c->ctx->reg, w, &e);

	if (rc != SZTP_OK)
		return admin_problem_rc(c, rc, rc == SZTP_E_EXISTS ? "/name" : NULL, &e);
	snprintf(name, sizeof(name), "%s", w->name);
	webhook_clear(w);
	if ((rc = reg_webhook_get(c->ctx->reg, name, w, &e)) != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	snprintf(res, sizeof(res), "webhooks/%s", name);
	if (admin_audit(c, create ? "webhook.create" : "webhook.update", res, rev_before,
			w->revision, conf_detail(w, f)) < 0)
		return -1;
	return admin_commit(c);
}

/* ---- POST /webhooks, PUT/PATCH/DELETE /webhooks/{name} ------------------------------ */

void admin_webhooks_create(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct reg_webhook w;
	struct conf f;

	memset(&w, 0, sizeof(w));
	if (admin_query_only(c, none) < 0 || read_conf(c, &f, 1) < 0 || conf_complete(c, &f) < 0)
		goto out;
	snprintf(w.name, sizeof(w.name), "%s", f.name);
	w.created = c->now;
	if (conf_apply(c, &f, &w, 1) < 0 || admin_begin(c) < 0 ||
	    webhook_store(c, &w, &f, 1, 0) < 0)
		goto out;
	admin_location(c, "/webhooks/", w.name);
	reply_webhook(c, 201, &w);
out:
	webhook_clear(&w);
}

/* Create or replace: 201 / 200.  Without "secret" a replace keeps it. */
void admin_webhook_put(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct sztp_err e = {SZTP_OK, ""};
	char etag[ADMIN_ETAG_MAX] = "";
	struct reg_webhook w;
	struct conf f;
	int64_t before = 0;
	int exists;
	sztp_rc rc;

	memset(&w, 0, sizeof(w));
	if (admin_query_only(c, none) < 0 ||
	    admin_check_name(c, "webhook", c->param[0], NULL) < 0 || read_conf(c, &f, 0) < 0 ||
	    admin_begin(c) < 0)
		goto out;
	rc = reg_webhook_get(c->ctx->reg, c->param[0], &w, &e);
	if (rc != SZTP_OK && rc != SZTP_E_NOT_FOUND) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	exists = rc == SZTP_OK;
	if (exists) {
		before = w.revision;
		admin_etag_rev(w.revision, etag);
	}
	/* a replace needs the url; a create the secret too */
	if (admin_put_preconditions(c, exists, etag) < 0 ||
	    (!f.url || !exists ? conf_complete(c, &f) : 0) < 0)
		goto out;
	if (!exists) {
		snprintf(w.name, sizeof(w.name), "%.*s", REG_NAME_MAX - 1, c->param[0]);
		w.created = c->now;
	}
	if (conf_apply(c, &f, &w, 1) < 0 || webhook_store(c, &w, &f, !exists, before) < 0)
		goto out;
	if (!exists)
		admin_location(c, "/webhooks/", w.name);
	reply_webhook(c, exists ? 200 : 201, &w);
out:
	webhook_clear(&w);
}

void admin_webhook_patch(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	char etag[ADMIN_ETAG_MAX];
	struct reg_webhook w;
	struct conf f;
	int64_t before;

	memset(&w, 0, sizeof(w));
	if (admin_query_only(c, none) < 0 || read_conf(c, &f, 0) < 0)
		goto out;
	if (!f.url && !f.secret && !f.has_types && !f.ca && !f.ca_null && f.enabled < 0) {
		admin_problem(c, 400, "missing-field", NULL,
			      "nothing to change: give \"url\", \"types\", \"secret\", "
			      "\"ca-certificates\" or \"enabled\"");
		goto out;
	}
	if (admin_begin(c) < 0 || webhook_read(c, &w) < 0)
		goto out;
	admin_etag_rev(w.revision, etag);
	before = w.revision;
	if (admin_if_match(c, 1, etag) < 0 || conf_apply(c, &f, &w, 0) < 0 ||
	    webhook_store(c, &w, &f, 0, before) < 0)
		goto out;
	reply_webhook(c, 200, &w);
out:
	webhook_clear(&w);
}

/* Its dead letters go with it. */
void admin_webhook_delete(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct sztp_err e = {SZTP_OK, ""};
	char etag[ADMIN_ETAG_MAX], res[REG_NAME_MAX + 16];
	struct reg_webhook w;
	sztp_rc rc;

	memset(&w, 0, sizeof(w));
	if (admin_query_only(c, none) < 0 || admin_begin(c) < 0 || webhook_read(c, &w) < 0)
		goto out;
	admin_etag_rev(w.revision, etag);
	if (admin_if_match(c, 1, etag) < 0)
		goto out;
	if ((rc = reg_webhook_remove(c->ctx->reg, w.name, &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	snprintf(res, sizeof(res), "webhooks/%s", w.name);
	if (admin_audit(c, "webhook.delete", res, w.revision, 0,
			json_pack("{s:s, s:I}", "url", w.url ? w.url : "", "dead",
				  (json_int_t)w.dead)) < 0 ||
	    admin_commit(c) < 0)
		goto out;
	admin_no_content(c);
out:
	webhook_clear(&w);
}

/* ---- dead letters ------------------------------------------------------------------ */

static json_t *dead_letter_json(const struct reg_dead_letter *d)
{
	json_t *ev = admin_event_json(&d->ev);

	if (!ev)
		return NULL;
	return json_pack("{s:s, s:o, s:o, s:i, s:o, s:b}", "webhook", d->webhook, "event", ev,
			 "time", admin_time_json(d->time), "attempts", d->attempts, "last-error",
			 str_or_null(d->last_error), "replay", d->replay);
}

static int dead_letter_cb(const struct reg_dead_letter *d, void *arg)
{
	return admin_rows_add(arg, dead_letter_json(d));
}

/* By event id; replay=true: only those queued for replay. */
void admin_dead_letters_list(struct admin_call *c)
{
	static const char *const allowed[] = {"replay", "limit", "cursor", NULL};
	struct sztp_err e = {SZTP_OK, ""};
	struct admin_rows r = {NULL, c->now, 0};
	struct reg_webhook w;
	int64_t after = 0;
	int limit = 0, replay = 0;
	size_t n;

	memset(&w, 0, sizeof(w));
	if (admin_query_only(c, allowed) < 0 || admin_query_bool(c, "replay", &replay) < 0 ||
	    admin_page_id(c, &limit, &after) < 0 || webhook_read(c, &w) < 0)
		goto out;
	r.items = json_array();
	if (admin_rows_done(c, &r,
			    reg_dead_letter_query(c->ctx->reg, w.name, replay, after, limit + 1,
						  dead_letter_cb, &r, &e),
			    &e) < 0)
		goto out;
	if ((n = json_array_size(r.items)) > (size_t)limit)
		json_array_remove(r.items, (size_t)limit);
	admin_reply_page_id(
	    c, r.items,
	    n > (size_t)limit
		? (int64_t)json_integer_value(json_object_get(
		      json_object_get(json_array_get(r.items, (size_t)limit - 1), "event"), "id"))
		: 0);
out:
	webhook_clear(&w);
}

/* The audit row of a dead-letter change, and the commit. */
static int dead_letters_audit(struct admin_call *c, const char *action, const char *name,
			      int64_t id, const char *count, int64_t n)
{
	char res[REG_NAME_MAX + 32];

	snprintf(res, sizeof(res), "webhooks/%s/dead-letters", name);
	if (admin_audit(
		c, action, res, 0, 0,
		json_pack("{s:o, s:I}", "event-id", int_or_null(id), count, (json_int_t)n)) < 0)
		return -1;
	return admin_commit(c);
}

/* {"event-id": N} or {} (every dead letter of the webhook): queued; the
 * worker delivers them before new events.  202 {"queued": n}. */
void admin_dead_letters_replay(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	static const char *const members[] = {"event-id", NULL};
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_webhook w;
	int64_t id = 0, n = 0;
	sztp_rc rc;

	memset(&w, 0, sizeof(w));
	if (admin_query_only(c, none) < 0 || admin_json_only(c, c->body, "", members) < 0 ||
	    admin_json_int(c, c->body, "", "event-id", 1, INT64_MAX, &id, 0) < 0 ||
	    admin_begin(c) < 0 || webhook_read(c, &w) < 0)
		goto out;
	rc = reg_dead_letter_replay(c->ctx->reg, w.name, id, &n, &e);
	if (rc == SZTP_E_NOT_FOUND) {
		admin_problem(c, 404, "not-found", "/event-id",
			      "webhook '%s' has no dead letter of event %lld", w.name,
			      (long long)id);
		goto out;
	}
	if (rc != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	if (dead_letters_audit(c, "dead-letters.replay", w.name, id, "queued", n) < 0)
		goto out;
	admin_reply_json(c, 202, json_pack("{s:I}", "queued", (json_int_t)n), NULL);
out:
	webhook_clear(&w);
}

/* Drop for good: every dead letter of the webhook, or one (by event id). */
static void dead_letters_remove(struct admin_call *c, int64_t id)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_webhook w;
	int64_t n = 0;
	sztp_rc rc;

	memset(&w, 0, sizeof(w));
	if (admin_begin(c) < 0 || webhook_read(c, &w) < 0)
		goto out;
	rc = reg_dead_letter_remove(c->ctx->reg, w.name, id, &n, &e);
	if (rc == SZTP_OK && id && n == 0)
		rc = SZTP_E_NOT_FOUND;
	if (rc == SZTP_E_NOT_FOUND) {
		admin_problem(c, 404, "not-found", NULL,
			      "webhook '%s' has no dead letter of event %lld", w.name,
			      (long long)id);
		goto out;
	}
	if (rc != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	if (dead_letters_audit(c, "dead-letters.delete", w.name, id, "deleted", n) < 0)
		goto out;
	admin_no_content(c);
out:
	webhook_clear(&w);
}

void admin_dead_letters_delete(struct admin_call *c)
{
	static const char *const none[] = {NULL};

	if (admin_query_only(c, none) == 0)
		dead_letters_remove(c, 0);
}

void admin_dead_letter_delete(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	const char *s = c->param[1];
	char *end = NULL;
	long long id;

	if (admin_query_only(c, none) < 0)
		return;
	errno = 0;
	id = strtoll(s, &end, 10);
	if (!(*s >= '1' && *s <= '9') || *end || errno || id < 1) {
		admin_problem_param(c, "id",
				    "'id' must be an event id (a positive integer), not '%s'", s);
		return;
	}
	dead_letters_remove(c, id);
}
