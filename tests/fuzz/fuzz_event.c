/*
 * fuzz_event.c - an event as its consumers send it (issue 12): the
 * webhook envelope (lib/event.c) and the RFC 5424 message with its
 * octet-counting frame (events/syslog_sink.c).  Serial, peer, progress
 * messages and refusal reasons come from devices, so the input is
 * split at NUL bytes into serial, peer, type and data (the JSON object
 * stored with the event).  Promises: the envelope exists exactly when the
 * data is a JSON object, and is itself a JSON object carrying the id and
 * data; a syslog message is one line (no CR, LF or NUL), at most max
 * bytes, starts with "<PRI>1 " and names the event type as MSGID (or
 * "-"); its frame is "LEN SP MSG" with LEN its length.
 */
#include <jansson.h>

#include "event.h"
#include "fuzz.h"
#include "syslog_sink.h"

/* The next NUL-terminated piece of [*p, end), copied into out. */
static void piece(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	size_t n = 0;

	while (*p < end && **p) {
		if (n + 1 < cap)
			out[n++] = (char)**p;
		(*p)++;
	}
	if (*p < end)
		(*p)++;
	out[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct reg_event ev;
	struct sztp_err e = {0};
	json_t *j, *env;
	char *text, *msg = NULL, *framed = NULL, lenbuf[32];
	size_t len = 0, flen = 0, max = size && data[0] & 1 ? 2048 : 8192, i;
	sztp_rc rc;

	memset(&ev, 0, sizeof(ev));
	ev.id = (int64_t)size * 7919;
	ev.time = 1764539400;
	piece(&p, end, ev.serial, sizeof(ev.serial));
	piece(&p, end, ev.peer, sizeof(ev.peer));
	piece(&p, end, ev.type, sizeof(ev.type));
	ev.data = fuzz_str(p, (size_t)(end - p));

	j = json_loads(ev.data, 0, NULL);
	text = event_envelope(&ev);
	FUZZ_CHECK(!!text == json_is_object(j));
	if (text) {
		env = json_loads(text, 0, NULL);
		FUZZ_CHECK(json_is_object(env));
		FUZZ_CHECK(json_integer_value(json_object_get(env, "id")) == ev.id);
		FUZZ_CHECK(json_equal(json_object_get(env, "data"), j));
		FUZZ_CHECK(json_is_string(json_object_get(env, "serial")));
		json_decref(env);
	}
	free(text);
	json_decref(j);

	rc = syslog_format(&ev, 16, "bootstrap.example", 4242, max, &msg, &len, &e);
	if (rc == SZTP_OK) {
		FUZZ_CHECK(msg && len == strlen(msg) && len <= max);
		FUZZ_CHECK(strncmp(msg, "<", 1) == 0 && strstr(msg, ">1 "));
		for (i = 0; i < len; i++)
			FUZZ_CHECK(msg[i] != '\n' && msg[i] != '\r');
		rc = syslog_frame(msg, len, &framed, &flen, &e);
		FUZZ_CHECK(rc == SZTP_OK);
		snprintf(lenbuf, sizeof(lenbuf), "%zu ", len);
		FUZZ_CHECK(flen == strlen(lenbuf) + len && memcmp(framed, lenbuf, strlen(lenbuf)) == 0 &&
			   memcmp(framed + strlen(lenbuf), msg, len) == 0);
	} else {
		FUZZ_CHECK(e.msg[0] != '\0');
	}
	free(framed);
	free(msg);
	free(ev.data);
	return 0;
}
