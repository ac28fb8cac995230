/*
 * fixture.h - the throwaway PKI of tests/unit/mkpki.sh in a fresh
 * temporary directory, shared by the unit tests that need certificates
 * and keys (minted on every run; nothing is committed).
 */
#ifndef SZTP_FIXTURE_H
#define SZTP_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

static char fixture_dir[64];

/* Path of a fixture file; the last 8 results stay valid. */
static inline const char *P(const char *name)
{
	static char buf[8][256];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", fixture_dir, name);
	return buf[k];
}

/* mkdtemp /tmp/sztp-TAG-XXXXXX and mint the PKI there; 0 on success. */
static inline int fixture_setup(const char *tag)
{
	const char *top = getenv("SZTP_TOP");
	char cmd[512];

	snprintf(fixture_dir, sizeof(fixture_dir), "/tmp/sztp-%s-XXXXXX", tag);
	if (!mkdtemp(fixture_dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/unit/mkpki.sh' '%s' >/dev/null 2>&1",
		 top ? top : ".", fixture_dir);
	return system(cmd);
}

static inline void fixture_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fixture_dir);
}

#endif
