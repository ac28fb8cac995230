/*
 * util.h - small helpers shared by every program: base64 (RFC 4648 s4,
 * strict), YANG hex-string (colon separated octets), SHA-256 of a file
 * (streamed through crypto.h), bounded file reading, constant-time
 * comparison and UTC time formats.  No third-party library.
 */
#ifndef SZTP_UTIL_H
#define SZTP_UTIL_H

#include <stddef.h>
#include <time.h>

#include "result.h"

/* Base64 encode into a new NUL-terminated string. */
sztp_rc b64_encode(const uint8_t *in, size_t len, char **out, struct sztp_err *e);
/* Strict base64 decode (RFC 4648 s4, padding required, no whitespace). */
sztp_rc b64_decode(const char *in, size_t len, sztp_bytes *out, struct sztp_err *e);

/* Format bytes as a yang:hex-string ("ba:ec:cf"). out must hold 3*len. */
void hex_colon(const uint8_t *in, size_t len, char *out);

/* SHA-256 of a whole file, streamed (images may be large); digest is
 * zeroed on failure. */
sztp_rc sha256_file(const char *path, uint8_t digest[32], struct sztp_err *e);

/* Read a whole file of at most max bytes into a NUL-terminated buffer
 * (the NUL is not counted in out->len). */
sztp_rc file_read(const char *path, size_t max, sztp_bytes *out, struct sztp_err *e);

/* Constant-time equality of two equally long buffers; returns 1 if equal. */
int ct_equal(const void *a, const void *b, size_t len);

/* RFC 3339 / yang:date-and-time in UTC: "2026-11-27T02:19:33Z".
 * out must hold 21 bytes. */
void time_rfc3339(time_t t, char out[21]);
/* Parse yang:date-and-time (any offset, optional fraction); -1 on error. */
time_t time_parse_rfc3339(const char *s);

/* The YANG module directory when none is configured: next to the
 * running program (<bindir>/../share/sztp/yang, so an install under any
 * PREFIX works), the source tree's yang/ when run from build/, else the
 * compiled-in SZTP_YANG_DIR. */
const char *sztp_yang_dir_default(void);

#endif
