/*
 * ctl_events.c - sztpctl's view of the events outbox (GET /events): what
 * sztpd tells an NMS (get-bootstrapping-data answered, progress reports,
 * outcomes, admin changes), oldest first, each as a webhook receives it;
 * and the dead letters of the webhooks (events a receiver did not take
 * within webhook-max-age), which can be replayed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define QUERY_MAX 2048

static const char *str(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s && *s ? s : "-";
}

/* data as compact JSON, made safe for a terminal. */
static const char *data_text(json_t *data, char buf[CTL_TEXT_MAX])
{
	char *s = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
	const char *t;

	if (!s)
		return "-";
	t = ctl_text(s, buf);
	if (t != buf) /* nothing escaped: it is s */
		snprintf(buf, CTL_TEXT_MAX, "%s", s);
	free(s);
	return buf;
}

static void event_row(json_t *ev)
{
	char b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], b3[CTL_TEXT_MAX];

	printf("%8lld %-20s %-20s %-24s %-22s %s\n",
	       (long long)json_integer_value(json_object_get(ev, "id")), str(ev, "time"),
	       str(ev, "type"), ctl_text(str(ev, "serial"), b1), ctl_text(str(ev, "peer"), b2),
	       data_text(json_object_get(ev, "data"), b3));
}

/* events [list] [--serial SN] [--type T] [--since T] [--before T]
 * [--after-id N] [--limit N]: the newest N (all without --limit), oldest
 * first. */
sztp_rc cmd_events(struct ctl *c, struct sztp_err *e)
{
	char q[QUERY_MAX] = "", h[160];
	long limit = 0, after = 0;
	sztp_rc rc;

	if ((rc = opt_int(c, "limit", 1, 1000000000L, &limit, e)) != SZTP_OK ||
	    (rc = opt_int(c, "after-id", 0, 0x7ffffffffffffffeL, &after, e)) != SZTP_OK)
		return rc;
	ctl_query_add(q, sizeof(q), "serial", opt_get(c, "serial"));
	ctl_query_add(q, sizeof(q), "type", opt_get(c, "type"));
	ctl_query_add(q, sizeof(q), "since", opt_get(c, "since"));
	ctl_query_add(q, sizeof(q), "before", opt_get(c, "before"));
	snprintf(h, sizeof(h), "%8s %-20s %-20s %-24s %-22s %s", "ID", "TIME", "TYPE", "SERIAL",
		 "PEER", "DATA");
	return ctl_rows(c, "/events", q, after, limit, h, event_row, e);
}

/* ---- dead letters ------------------------------------------------------------ */

struct gather {
	json_t *all; /* the dead letters (--json) or the webhook names */
	int fail;
};

static int gather_cb(json_t *item, void *arg)
{
	struct gather *g = arg;

	if (json_array_append(g->all, item))
		g->fail = 1;
	return g->fail;
}

static int name_cb(json_t *item, void *arg)
{
	struct gather *g = arg;

	if (json_array_append(g->all, json_object_get(item, "name")))
		g->fail = 1;
	return g->fail;
}

static void dead_row(json_t *d)
{
	char b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], b3[CTL_TEXT_MAX];
	json_t *ev = json_object_get(d, "event");

	printf("%-20s %8lld %-20s %-24s %-20s %8lld %-6s %s\n", ctl_text(str(d, "webhook"), b1),
	       (long long)json_integer_value(json_object_get(ev, "id")), str(ev, "type"),
	       ctl_text(str(ev, "serial"), b2), str(d, "time"),
	       (long long)json_integer_value(json_object_get(d, "attempts")),
	       json_is_true(json_object_get(d, "replay")) ? "queued" : "-",
	       ctl_text(str(d, "last-error"), b3));
}

/* events dead-letters [WEBHOOK]: of one webhook, or of every one. */
sztp_rc cmd_events_dead_letters(struct ctl *c, struct sztp_err *e)
{
	struct gather names = {json_array(), 0}, dead = {json_array(), 0};
	char path[256], seg[200];
	json_t *n, *d;
	size_t i;
	sztp_rc rc = SZTP_E_NOMEM;

	if (!names.all || !dead.all)
		goto out;
	if (c->npos) {
		if ((rc = ctl_check_name("webhook", c->pos[0], e)) != SZTP_OK)
			goto out;
		json_array_append_new(names.all, json_string(c->pos[0]));
	} else if ((rc = ctl_list_all(c, "/webhooks", NULL, name_cb, &names, e)) != SZTP_OK) {
		goto out;
	}
	rc = SZTP_E_NOMEM;
	if (names.fail)
		goto out;
	json_array_foreach(names.all, i, n)
	{
		snprintf(path, sizeof(path), "/webhooks/%s/dead-letters",
			 ctl_seg(json_string_value(n), seg, sizeof(seg)));
		if ((rc = ctl_list_all(c, path, NULL, gather_cb, &dead, e)) != SZTP_OK)
			goto out;
		rc = SZTP_E_NOMEM;
		if (dead.fail)
			goto out;
	}
	if (c->json) {
		rc = ctl_print_json(dead.all, e);
		goto out;
	}
	printf("%-20s %8s %-20s %-24s %-20s %8s %-6s %s\n", "WEBHOOK", "EVENT", "TYPE", "SERIAL",
	       "DEAD-SINCE", "ATTEMPTS", "REPLAY", "LAST-ERROR");
	json_array_foreach(dead.all, i, d) dead_row(d);
	rc = SZTP_OK;
out:
	if (rc == SZTP_E_NOMEM)
		sztp_err_set(e, rc, "out of memory");
	json_decref(names.all);
	json_decref(dead.all);
	return rc;
}

/* events replay WEBHOOK (EVENT-ID | --all): queued; the worker delivers
 * them before new events. */
sztp_rc cmd_events_replay(struct ctl *c, struct sztp_err *e)
{
	char path[256], seg[200], *end = NULL;
	struct ctl_resp r;
	json_t *body = NULL;
	long long id = 0;
	sztp_rc rc;

	if ((rc = ctl_check_name("webhook", c->pos[0], e)) != SZTP_OK)
		return rc;
	if ((c->npos > 1) == opt_has(c, "all"))
		return sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				    "events replay needs an EVENT-ID or --all, not both");
	if (c->npos > 1) {
		errno = 0;
		id = strtoll(c->pos[1], &end, 10);
		if (errno || !*c->pos[1] || *end || id < 1)
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "EVENT-ID must be a positive integer, not '%s'",
					    c->pos[1]);
	}
	body = id ? json_pack("{s:I}", "event-id", (json_int_t)id) : json_object();
	if (!body)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	snprintf(path, sizeof(path), "/webhooks/%s/dead-letters/replay",
		 ctl_seg(c->pos[0], seg, sizeof(seg)));
	rc = ctl_call(c, "POST", path, NULL, body, &r, e);
	json_decref(body);
	if (rc != SZTP_OK)
		return rc;
	ctl_done_member(c, "queued", json_incref(json_object_get(r.json, "queued")));
	ctl_done(c, "queued %lld dead letter(s) of webhook '%s' for replay",
		 (long long)json_integer_value(json_object_get(r.json, "queued")), c->pos[0]);
	ctl_resp_clear(&r);
	return SZTP_OK;
}
