/*
 * fuzz.h - shared bits of the libFuzzer harnesses (tests/fuzz/fuzz_*.c):
 * the entry point prototypes, a NUL-terminated copy of the input for
 * string APIs, and FUZZ_CHECK, which aborts (a reported crash) when a
 * parser breaks one of its documented promises.
 */
#ifndef SZTP_FUZZ_H
#define SZTP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A malloc'd NUL-terminated copy of data (never NULL). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A failing call must leave a message; e->msg must be NUL-terminated. */
static inline void fuzz_err_ok(const struct sztp_err *e, sztp_rc rc)
{
	FUZZ_CHECK(memchr(e->msg, '\0', sizeof(e->msg)) != NULL);
	if (rc != SZTP_OK)
		FUZZ_CHECK(e->msg[0] != '\0' && e->rc == rc);
}

/* A validator of client documents may only answer OK or a client error
 * (RESTCONF 400 class); anything else would be a 500 for bad input. */
static inline void fuzz_client_rc(sztp_rc rc, const struct sztp_err *e)
{
	if (rc == SZTP_OK || rc == SZTP_E_MALFORMED || rc == SZTP_E_INVALID_VALUE ||
	    rc == SZTP_E_UNKNOWN_ELEMENT || rc == SZTP_E_MISSING_ELEMENT)
		return;
	fprintf(stderr, "result %s (%d) for client input: %s\n", sztp_rc_name(rc), (int)rc, e->msg);
	abort();
}

/* The next '\n'-terminated field of *p, NUL-terminated in place; *p moves
 * past it (NULL after the last).  NULL when *p is NULL. */
static inline char *fuzz_field(char **p)
{
	char *s = *p, *nl;

	if (!s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = NULL;
	}
	return s;
}

#endif
