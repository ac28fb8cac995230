/*
 * log.c - levelled logging to stderr (with UTC timestamp) or syslog(3),
 * and quoting for the key=value audit line.  Thread-safe: each message is
 * written with one call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "util.h"

enum log_level log_level_current = LOG_LVL_INFO;
static int log_syslog;
static const char *log_ident = "sztp";

static const char *const level_names[] = {"err", "warn", "info", "debug"};

void log_init(const char *ident, enum log_level level, int use_syslog)
{
	log_ident = ident;
	log_level_current = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(s, level_names[i]))
			return (int)i;
	return -1;
}

/* A log line is one line: whatever a device sent (a user name, a
 * certificate's subject, a message) cannot start another or drive a
 * terminal.  Control characters become \xNN in place (truncating at
 * len). */
static void escape_controls(char *line, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char out[2048];
	size_t i, o = 0;

	for (i = 0; line[i]; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			break;
	if (!line[i])
		return;
	for (i = 0; line[i] && o + 5 < sizeof(out); i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	snprintf(line, len, "%s", out);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char line[2048], ts[21];
	va_list ap;

	if (lvl > log_level_current)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	escape_controls(line, sizeof(line));
	if (log_syslog) {
		syslog(prio[lvl], "%s", line);
		return;
	}
	time_rfc3339(time(NULL), ts);
	fprintf(stderr, "%s %s[%s] %s\n", ts, log_ident, level_names[lvl], line);
}

const char *log_kv_quote(const char *v, char *buf, size_t len)
{
	const char *p;
	size_t o = 0;

	if (!v || !*v)
		return "\"\"";
	for (p = v; *p; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20 ||
		    *p == 0x7f)
			break;
	if (!*p)
		return v;
	if (len < 4)
		return "\"\"";
	buf[o++] = '"';
	for (p = v; *p && o + 6 < len; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) { /* shown, never sent raw */
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = "0123456789abcdef"[c >> 4];
			buf[o++] = "0123456789abcdef"[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
