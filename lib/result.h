/*
 * result.h - the project's one result enum, error detail carried by the
 * caller (never a global: sztpd handlers run on several threads), and the
 * byte buffer every module passes DER and text around in.
 *
 * Convention: every fallible function returns sztp_rc and takes a
 * `struct sztp_err *e` last (may be NULL); on failure it fills e->msg with
 * a sentence an operator can act on.  The server maps sztp_rc to an HTTP
 * status and RESTCONF error-tag in one table (server/restconf.c).
 */
#ifndef SZTP_RESULT_H
#define SZTP_RESULT_H

#include <stddef.h>
#include <stdint.h>

typedef enum sztp_rc {
	SZTP_OK = 0,
	SZTP_E_NOMEM,		/* out of memory                      -> 500 */
	SZTP_E_INTERNAL,	/* bug or library failure             -> 500 */
	SZTP_E_IO,		/* file or socket I/O                 -> 500 */
	SZTP_E_DB,		/* database failure                   -> 500 */
	SZTP_E_CRYPTO,		/* signing/crypto library failure     -> 500 */
	SZTP_E_MALFORMED,	/* unparseable input                  -> 400 malformed-message */
	SZTP_E_INVALID_VALUE,	/* schema/value violation             -> 400 invalid-value */
	SZTP_E_UNKNOWN_ELEMENT, /* member not in the schema           -> 400 unknown-element */
	SZTP_E_MISSING_ELEMENT, /* mandatory member absent            -> 400 missing-element */
	SZTP_E_TOO_BIG,		/* over a size cap                    -> 413 too-big */
	SZTP_E_AUTH,		/* authentication failed              -> 401 access-denied */
	SZTP_E_NOT_FOUND,	/* no such object / nothing configured-> 404 data-missing */
	SZTP_E_EXISTS,		/* object already exists              -> 409 data-exists */
	SZTP_E_VERIFY,		/* signature or chain does not verify */
	SZTP_E_EXPIRED,		/* outside a validity window */
	SZTP_E_MISMATCH,	/* two things that must agree do not (serial, key/cert) */
	SZTP_E_UNSUPPORTED,	/* valid but not supported by us */
	SZTP_E_PERM,		/* unsafe file permissions */
	/* HTTP-level outcomes, used by the server's request path */
	SZTP_E_NO_RESOURCE, /* no such resource or RPC            -> 404 invalid-value */
	SZTP_E_METHOD,	    /* method not allowed                 -> 405 operation-not-supported */
	SZTP_E_NOT_ACCEPTABLE, /* no acceptable response media type  -> 406 invalid-value */
	SZTP_E_MEDIA_TYPE,     /* unsupported request media type     -> 415 invalid-value */
	SZTP_E_THROTTLED,      /* too many requests or failures      -> 429 resource-denied */
	SZTP_E_UNAVAILABLE,    /* cannot serve now (registry lost)   -> 503 operation-failed */
	SZTP_E__COUNT
} sztp_rc;

#define SZTP_ERR_MSG_MAX 320

struct sztp_err {
	sztp_rc rc;
	char msg[SZTP_ERR_MSG_MAX];
};

/* Record rc and a printf-style message in e (if e is non-NULL); returns rc
 * so callers can write `return sztp_err_set(e, SZTP_E_IO, "...")`. */
sztp_rc sztp_err_set(struct sztp_err *e, sztp_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short stable name of a result ("ok", "malformed", ...). */
const char *sztp_rc_name(sztp_rc rc);

/* An owned byte buffer.  sztp_bytes_free(NULL) and freeing an empty buffer
 * are no-ops; after free the buffer is {NULL, 0}. */
typedef struct sztp_bytes {
	uint8_t *data;
	size_t len;
} sztp_bytes;

void sztp_bytes_free(sztp_bytes *b);
/* Like sztp_bytes_free but wipes the content first (key material). */
void sztp_bytes_wipe(sztp_bytes *b);
/* Copy len bytes into a new buffer. */
sztp_rc sztp_bytes_dup(sztp_bytes *out, const void *data, size_t len);

#endif
