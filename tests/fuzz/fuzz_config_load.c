/*
 * fuzz_config_load.c - server/config.c: the sztpd configuration file
 * (sztpd's table read by lib/conf.c, the loader every program shares:
 * "key = value" lines, comments, quotes) on arbitrary text, written to a
 * file in a private temporary directory (made once, removed at exit).
 */
#include <unistd.h>

#include "config.h"
#include "registry.h"
#include "fuzz.h"

static char dir[] = "/tmp/sztp-fuzz-config.XXXXXX";
static char path[sizeof(dir) + 16];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/sztpd.conf", dir);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct sztp_err e = {0};
	FILE *f = fopen(path, "wb");
	sztp_rc rc;

	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
		perror(path);
		abort();
	}
	memset(&c, 0, sizeof(c));
	rc = config_load(path, &c, &e);
	fuzz_err_ok(&e, rc);
	if (rc == SZTP_OK) {
		FUZZ_CHECK(c.port >= 1 && c.port <= 65535);
		FUZZ_CHECK(c.tls_cert && c.tls_key && c.client_ca && c.database && c.yang_dir);
		FUZZ_CHECK(c.tls_cert[0] == '/' && c.tls_key[0] == '/');
		/* a file made absolute, or a PostgreSQL URI taken as written */
		FUZZ_CHECK(c.database[0] == '/' || reg_is_postgresql(c.database));
		FUZZ_CHECK(!strchr(c.tls_cert, '"') && !strchr(c.database, '"'));
	} else {
		FUZZ_CHECK(!strncmp(e.msg, path, strlen(path)));
		/* a failed load leaves nothing behind */
		FUZZ_CHECK(!c.tls_cert && !c.database && !c.log_level && !c.yang_dir);
	}
	config_free(&c);
	return 0;
}
