/*
 * result.c - names of the result codes, error detail, owned byte buffers.
 * The lowest layer: libc only (explicit_bzero for wiping).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

static const char *const rc_names[SZTP_E__COUNT] = {
    [SZTP_OK] = "ok",
    [SZTP_E_NOMEM] = "out-of-memory",
    [SZTP_E_INTERNAL] = "internal-error",
    [SZTP_E_IO] = "io-error",
    [SZTP_E_DB] = "database-error",
    [SZTP_E_CRYPTO] = "crypto-error",
    [SZTP_E_MALFORMED] = "malformed",
    [SZTP_E_INVALID_VALUE] = "invalid-value",
    [SZTP_E_UNKNOWN_ELEMENT] = "unknown-element",
    [SZTP_E_MISSING_ELEMENT] = "missing-element",
    [SZTP_E_TOO_BIG] = "too-big",
    [SZTP_E_AUTH] = "access-denied",
    [SZTP_E_NOT_FOUND] = "not-found",
    [SZTP_E_EXISTS] = "exists",
    [SZTP_E_VERIFY] = "verify-failed",
    [SZTP_E_EXPIRED] = "expired",
    [SZTP_E_MISMATCH] = "mismatch",
    [SZTP_E_UNSUPPORTED] = "unsupported",
    [SZTP_E_PERM] = "permissions",
    [SZTP_E_NO_RESOURCE] = "no-resource",
    [SZTP_E_METHOD] = "method-not-allowed",
    [SZTP_E_NOT_ACCEPTABLE] = "not-acceptable",
    [SZTP_E_MEDIA_TYPE] = "unsupported-media-type",
    [SZTP_E_THROTTLED] = "throttled",
    [SZTP_E_UNAVAILABLE] = "unavailable",
};

const char *sztp_rc_name(sztp_rc rc)
{
	if ((unsigned)rc >= SZTP_E__COUNT || !rc_names[rc])
		return "unknown";
	return rc_names[rc];
}

sztp_rc sztp_err_set(struct sztp_err *e, sztp_rc rc, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return rc;
	e->rc = rc;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void sztp_bytes_free(sztp_bytes *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

void sztp_bytes_wipe(sztp_bytes *b)
{
	if (!b)
		return;
	if (b->data)
		explicit_bzero(b->data, b->len); /* glibc: never optimised away */
	sztp_bytes_free(b);
}

sztp_rc sztp_bytes_dup(sztp_bytes *out, const void *data, size_t len)
{
	out->data = malloc(len ? len : 1);
	if (!out->data) {
		out->len = 0;
		return SZTP_E_NOMEM;
	}
	if (len)
		memcpy(out->data, data, len);
	out->len = len;
	return SZTP_OK;
}
