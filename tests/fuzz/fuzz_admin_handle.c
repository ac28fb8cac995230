/*
 * fuzz_admin_handle.c - the admin API (admin/) on hostile requests: the
 * routing table, percent-decoding of path segments and query parameters,
 * cursors, JSON bodies and every resource handler behind them, on a real
 * registry (a temporary file made once).  Input, split at '\n':
 *     METHOD \n PATH \n QUERY \n CONTENT-TYPE \n IF-MATCH \n SCOPE \n BODY
 * an empty QUERY, CONTENT-TYPE or IF-MATCH line means absent; SCOPE 'r'
 * is a read token, 'n' nobody, anything else a write token.
 * Promises checked: a status is always set; a problem is problem+json
 * whose "status" is the HTTP status (HEAD: no body at all); every JSON
 * answer parses; nobody is
 * answered 401; a read token never gets a 2xx for a method that writes.
 */
#include <jansson.h>
#include <unistd.h>

#include "admin.h"
#include "fuzz.h"
#include "registry.h"
#include "yang.h"

static struct admin_ctx ctx;
static char dir[] = "/tmp/sztp-fuzz-adminXXXXXX";

/* libFuzzer ends with exit(): the registry and its folder go with it */
static void cleanup(void)
{
	static const char *const files[] = {"registry.db", "registry.db-wal", "registry.db-shm"};
	char path[64];
	size_t i;

	reg_close(ctx.reg);
	ctx.reg = NULL;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[64];

	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/registry.db", dir);
	if (reg_create(path, &ctx.reg, NULL) != SZTP_OK || yang_open(SZTP_YANG_DIR, &ctx.y, NULL))
		abort();
	ctx.max_body = 1 << 20;
	ctx.password_cost = 1000; /* the lowest passwd accepts: PBKDF2 is not under test */
	return 0;
}

static const char *opt(const char *s)
{
	return s && *s ? s : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_str(data, size), *p = buf, *scope;
	struct admin_actor actor = {"token:fuzz", ADMIN_SCOPE_WRITE};
	struct admin_request req;
	struct admin_response resp;
	json_t *j = NULL;

	memset(&req, 0, sizeof(req));
	req.method = fuzz_field(&p);
	req.path = fuzz_field(&p);
	req.query = opt(fuzz_field(&p));
	req.content_type = opt(fuzz_field(&p));
	req.if_match = opt(fuzz_field(&p));
	scope = fuzz_field(&p);
	if (!req.method || !req.path)
		goto out;
	if (scope && scope[0] == 'r')
		actor.scope = ADMIN_SCOPE_READ;
	else if (scope && scope[0] == 'n')
		actor.scope = ADMIN_SCOPE_NONE;
	req.actor = &actor;
	req.body = (const uint8_t *)(p ? p : "");
	req.body_len = p ? size - (size_t)(p - buf) : 0;
	admin_handle(&ctx, &req, &resp);
	FUZZ_CHECK(resp.status == 304 || (resp.status >= 200 && resp.status <= 599));
	if (resp.body_len && resp.content_type && strstr(resp.content_type, "json")) {
		j = json_loadb(resp.body, resp.body_len, 0, NULL);
		FUZZ_CHECK(j != NULL);
	}
	if (!strcmp(req.method, "HEAD")) /* the GET's status and headers, no body */
		FUZZ_CHECK(resp.body == NULL && resp.body_len == 0);
	else if (resp.status >= 400) {
		FUZZ_CHECK(resp.content_type &&
			   !strcmp(resp.content_type, "application/problem+json"));
		FUZZ_CHECK(j && json_integer_value(json_object_get(j, "status")) == resp.status);
	}
	if (actor.scope == ADMIN_SCOPE_NONE)
		FUZZ_CHECK(resp.status == 401 || resp.status == 404 || resp.status == 405 ||
			   resp.status == 400);
	if (actor.scope == ADMIN_SCOPE_READ && strcmp(req.method, "GET") &&
	    strcmp(req.method, "HEAD"))
		FUZZ_CHECK(resp.status >= 400);
	json_decref(j);
	admin_response_clear(&resp);
out:
	free(buf);
	return 0;
}
