/*
 * events.c - admin API: the outbox (GET /events).  Every event sztpd tells
 * an NMS about (lib/event.h: get-bootstrapping-data answered, progress
 * reports, a device's outcome, admin changes) is a row of the registry's
 * events table, written in the transaction of what it describes; the
 * webhook and syslog consumers read the same rows.  Listed by id, oldest
 * first, each item exactly the envelope a webhook receives; an NMS
 * without a webhook polls with after-id.  Retention trims the oldest
 * (event-retention-days).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin_internal.h"
#include "event.h"

/* The envelope event_envelope makes, as JSON (NULL when it cannot be
 * made: out of memory, or data that is not an object). */
json_t *admin_event_json(const struct reg_event *ev)
{
	char *s = event_envelope(ev);
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;

	free(s);
	return j;
}

const char *admin_event_types(char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; event_types[i] && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", event_types[i]);
	return buf;
}

static int event_cb(const struct reg_event *ev, void *arg)
{
	return admin_rows_add(arg, admin_event_json(ev));
}

static sztp_rc event_rows(struct reg *r, const struct reg_query *q, struct admin_rows *out,
			  struct sztp_err *e)
{
	return reg_event_query(r, q, event_cb, out, e);
}

/* Filters: serial (equal), type (one of event_types; another is refused,
 * not silently an empty list). */
void admin_events_list(struct admin_call *c)
{
	static const char *const allowed[] = {"serial",	  "type",  "since",  "before",
					      "after-id", "limit", "cursor", NULL};
	static const struct admin_id_list l = {
	    {"serial", "type"},
	    {offsetof(struct reg_query, serial), offsetof(struct reg_query, type)},
	    {PKI_SERIAL_MAX, REG_EVENT_TYPE_MAX},
	    event_rows};
	char buf[ADMIN_PARAM_MAX], list[512];
	const char *type = NULL;

	if (admin_query_only(c, allowed) < 0 ||
	    admin_query_filter(c, "type", buf, sizeof(buf), &type) < 0)
		return;
	if (type && !event_type_known(type)) {
		admin_problem_param(c, "type", "'type': no event type '%s'; the types are %s", type,
				    admin_event_types(list, sizeof(list)));
		return;
	}
	admin_id_list(c, &l);
}
