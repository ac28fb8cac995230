/*
 * log.h - levelled logging to stderr or syslog, and the one key=value
 * audit line per request.  Levels are checked before formatting.  Never
 * pass private keys, passwords or whole conveyed information to these.
 */
#ifndef SZTP_LOG_H
#define SZTP_LOG_H

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern enum log_level log_level_current;

/* ident: program name; use_syslog: 0 = stderr, 1 = syslog(3) daemon facility. */
void log_init(const char *ident, enum log_level level, int use_syslog);
/* "err", "warn", "info", "debug" -> level; -1 if unknown. */
int log_level_parse(const char *s);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)                                                                              \
	do {                                                                                       \
		if (log_level_current >= LOG_LVL_WARN)                                             \
			log_msg(LOG_LVL_WARN, __VA_ARGS__);                                        \
	} while (0)
#define log_info(...)                                                                              \
	do {                                                                                       \
		if (log_level_current >= LOG_LVL_INFO)                                             \
			log_msg(LOG_LVL_INFO, __VA_ARGS__);                                        \
	} while (0)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_level_current >= LOG_LVL_DEBUG)                                            \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                                       \
	} while (0)

/* Quote a value for a key=value line: returns v unchanged when it has no
 * space, quote, '=' or control character, else a quoted, escaped copy in
 * buf (truncated to fit): '"' and '\\' backslashed, a control character
 * as \xNN.  Every log line is also one line whatever its arguments:
 * log_msg shows any control character left as \xNN. */
const char *log_kv_quote(const char *v, char *buf, size_t len);

#endif
