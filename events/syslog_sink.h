/*
 * syslog_sink.h - the outbox's events as RFC 5424 messages to a remote
 * collector (issue 12): UDP (RFC 5426, one datagram a message), TCP
 * (RFC 6587 octet counting) or TLS (RFC 5425, same framing, the
 * collector's certificate verified against syslog-ca and its name).
 *
 * One thread with its own registry handle reads the events after its
 * cursor ("syslog", reg_event_cursor_*), formats and writes them in id
 * order and moves the cursor only past events written (or skipped as older
 * than syslog-max-age): TCP and TLS are at-least-once across reconnects
 * and restarts, UDP as reliable as UDP.  A connection that fails is retried
 * with backoff (0.5 s doubling to 10 s), the failure logged once per state
 * change.  A first start (no cursor yet) starts at the newest event.
 *
 * A message:
 *   <PRI>1 TIMESTAMP HOSTNAME sztpd PROCID MSGID [sztp@32473 id="42"
 *   type="progress.reported" serial="SN1" peer="192.0.2.7" ...data] MSG
 * PRI = facility * 8 + severity (warning: bootstrap.refused,
 * device.failed; info: progress.reported; notice: the others); MSGID =
 * the event type; the event's data members follow as SD-PARAMs (strings as
 * they are, control characters as spaces, cut at SYSLOG_VALUE_MAX bytes; numbers and booleans as
 * JSON text; objects and arrays as compact JSON when it fits SYSLOG_VALUE_MAX, else left out, as
 * null is: the whole event is the webhooks' and the admin API's); MSG a short sentence in UTF-8
 * without BOM.
 */
#ifndef SZTP_EVENTS_SYSLOG_SINK_H
#define SZTP_EVENTS_SYSLOG_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"
#include "result.h"

struct config; /* server/config.h */

struct syslog_sink;

/* Everything the start loads, loaded and dropped (sztpd -n): the target,
 * the key combination (tls needs syslog-ca; syslog-cert with syslog-key;
 * those three only with tls), the CA file, the client certificate and key
 * (the key's permissions as tls-key's).  SZTP_OK when syslog-target is
 * unset. */
sztp_rc syslog_sink_check(const struct config *cfg, struct sztp_err *e);
/* syslog_sink_check, open a registry handle of its own on cfg->database
 * and start the thread.  *out is NULL when syslog-target is unset (the
 * "syslog" cursor is then dropped, so it no longer holds events back from
 * retention).  Connecting is the thread's: a collector that is down at
 * start is retried, not an error. */
sztp_rc syslog_sink_start(const struct config *cfg, struct syslog_sink **out, struct sztp_err *e);
/* Finish the message in hand, store the cursor, close.  NULL: no-op. */
void syslog_sink_stop(struct syslog_sink *s);
/* For /metrics: messages written, events given up (older than
 * syslog-max-age when their turn came), and the cursor (the last event id
 * done with).  NULL sink: 0, 0, -1.  Any output may be NULL. */
void syslog_sink_stats(struct syslog_sink *s, uint64_t *sent, uint64_t *failed, int64_t *cursor);

/* ---- the formatter (pure; tests/unit/test_syslog.c) ---------------------- */
#define SYSLOG_UDP_MAX	 2048 /* bytes of a UDP message (RFC 5426 s3.2: at least 2048 accepted) */
#define SYSLOG_TCP_MAX	 8192 /* bytes of a TCP/TLS message (rsyslog's default maxMessageSize) */
#define SYSLOG_VALUE_MAX 256  /* bytes of one data member's value before escaping */
#define SYSLOG_SD_ID	 "sztp@32473"

/* severity (RFC 5424 s6.2.1) of an event type */
int syslog_severity(const char *type);
/* An SD-PARAM value escaped (RFC 5424 s6.3.3: '"', '\\' and ']' get a
 * backslash), NUL-terminated in out; cut before the character that would
 * not fit (never inside an escape or a UTF-8 sequence).  Returns the
 * length written. */
size_t syslog_sd_escape(const char *in, char *out, size_t cap);
/* The longest prefix of s[0..len) of at most max bytes that does not end
 * inside a UTF-8 sequence. */
size_t syslog_utf8_cut(const char *s, size_t len, size_t max);
/* The message (without framing) for ev in *out (malloc'd, NUL-terminated,
 * at most max bytes: longer ones are cut by syslog_utf8_cut), its length
 * in *len.  hostname NULL/"" = "-"; procid = the process id.
 * SZTP_E_NOMEM, SZTP_E_INVALID_VALUE for a facility outside 0..23. */
sztp_rc syslog_format(const struct reg_event *ev, int facility, const char *hostname, long procid,
		      size_t max, char **out, size_t *len, struct sztp_err *e);
/* RFC 6587 s3.4.1 octet counting: "LEN SP MSG" into a new buffer. */
sztp_rc syslog_frame(const char *msg, size_t len, char **out, size_t *outlen, struct sztp_err *e);

#endif
