/*
 * event.c - event types, the envelope every consumer sends, and the data
 * of a get-bootstrapping-data event (event.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "event.h"
#include "util.h"

const char *const event_types[] = {EV_BOOTSTRAP_SERVED,
				   EV_BOOTSTRAP_REFUSED,
				   EV_PROGRESS,
				   EV_DEVICE_COMPLETED,
				   EV_DEVICE_FAILED,
				   EV_DEVICE_ENROLLED,
				   EV_DEVICE_CHANGED,
				   EV_DEVICE_DELETED,
				   EV_VOUCHER_ATTACHED,
				   EV_VOUCHER_DETACHED,
				   EV_PROFILE_CHANGED,
				   EV_PROFILE_DELETED,
				   NULL};

/* type is the n bytes at s: known? */
static int known_n(const char *s, size_t n)
{
	size_t i;

	for (i = 0; event_types[i]; i++)
		if (strlen(event_types[i]) == n && memcmp(event_types[i], s, n) == 0)
			return 1;
	return 0;
}

int event_type_known(const char *type)
{
	return type && known_n(type, strlen(type));
}

/* Whether the n bytes at s appear as an item of list before position end. */
static int listed_before(const char *list, size_t end, const char *s, size_t n)
{
	size_t i = 0;

	while (i < end) {
		size_t j = i;
		while (j < end && list[j] != ',')
			j++;
		if (j - i == n && memcmp(list + i, s, n) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

sztp_rc event_types_check(const char *list, struct sztp_err *e)
{
	size_t i = 0, len;

	if (!list)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "the event type list is missing");
	len = strlen(list);
	if (!len)
		return SZTP_OK;
	while (i <= len) {
		size_t j = i;
		while (j < len && list[j] != ',')
			j++;
		if (j == i)
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "the event type list has an empty item");
		if (!known_n(list + i, j - i))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "unknown event type '%.*s' (known: %s, %s, ...)",
					    (int)(j - i > 64 ? 64 : j - i), list + i,
					    event_types[0], event_types[1]);
		if (listed_before(list, i, list + i, j - i))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "event type '%.*s' is listed twice", (int)(j - i),
					    list + i);
		i = j + 1;
	}
	return SZTP_OK;
}

int event_types_match(const char *list, const char *type)
{
	if (!list || !*list)
		return 1;
	return listed_before(list, strlen(list), type, strlen(type));
}

int event_progress_terminal(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (!n)
		return 0;
	if (strcmp(t, "bootstrap-complete") == 0)
		return 1;
	return n > 6 && strcmp(t + n - 6, "-error") == 0 ? -1 : 0;
}

/* A JSON string of s; bytes that are not UTF-8 (a claimed serial, a
 * hostile client's text) become '?' instead of failing the event. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *c;
	size_t i;

	if (j || !s || !(c = strdup(s)))
		return j;
	for (i = 0; c[i]; i++)
		if ((unsigned char)c[i] >= 0x80 || (unsigned char)c[i] < 0x20)
			c[i] = '?';
	j = json_string(c);
	free(c);
	return j;
}

char *event_envelope(const struct reg_event *ev)
{
	char when[21];
	json_t *data = json_loads(ev->data ? ev->data : "{}", 0, NULL), *o = NULL;
	char *out = NULL;

	if (!json_is_object(data))
		goto out;
	time_rfc3339((time_t)ev->time, when);
	o = json_pack("{s:I, s:o, s:s, s:o, s:o, s:O}", "id", (json_int_t)ev->id, "type",
		      jstr(ev->type), "time", when, "serial", jstr(ev->serial), "peer",
		      jstr(ev->peer), "data", data);
	if (o)
		out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(o);
	json_decref(data);
	return out;
}

/* "a,b" as ["a","b"] (NULL when out of memory). */
static json_t *names_array(const char *list)
{
	json_t *arr = json_array();
	const char *p = list, *end;

	while (arr && *p) {
		end = strchr(p, ',');
		if (json_array_append_new(arr,
					  json_stringn(p, end ? (size_t)(end - p) : strlen(p)))) {
			json_decref(arr);
			return NULL;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return arr;
}

char *event_bootstrap_data(const struct event_bootstrap *b)
{
	json_t *o = json_object();
	char *out = NULL;
	int bad = !o;

	bad = bad || json_object_set_new(o, "status", json_integer(b->status));
	bad = bad || json_object_set_new(o, "outcome", jstr(b->outcome));
	if (b->profile && *b->profile)
		bad = bad || json_object_set_new(o, "profile", jstr(b->profile));
	if (b->kind)
		bad = bad || json_object_set_new(o, "kind", jstr(b->kind));
	if (b->status < 400)
		bad = bad || json_object_set_new(o, "signed", json_boolean(b->signed_data));
	if (b->reason && *b->reason)
		bad = bad || json_object_set_new(o, "reason", jstr(b->reason));
	if (b->lenient && *b->lenient)
		bad = bad || json_object_set_new(o, "lenient", names_array(b->lenient));
	if (!bad)
		out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return out;
}
