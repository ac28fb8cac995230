/*
 * unit.h - the unit test harness: CHECK counts, a failed CHECK prints
 * where and what, and unit_report() prints "<name>: N passed, N failed"
 * and gives the exit status.
 */
#ifndef SZTP_UNIT_H
#define SZTP_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (cond) {                                                   \
			unit_passed++;                                        \
		} else {                                                      \
			unit_failed++;                                        \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #cond);                             \
		}                                                             \
	} while (0)

#define CHECK_RC(expr, want)                                                  \
	do {                                                                  \
		int got_ = (int)(expr);                                       \
		if (got_ == (int)(want)) {                                    \
			unit_passed++;                                        \
		} else {                                                      \
			unit_failed++;                                        \
			fprintf(stderr, "%s:%d: %s returned %d, want %d\n",   \
				__FILE__, __LINE__, #expr, got_, (int)(want)); \
		}                                                             \
	} while (0)

static inline int unit_report(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
