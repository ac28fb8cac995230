/*
 * fuzz_restconf_handle.c - server/restconf.c routing, method checks and
 * media type negotiation (RFC 8040 s3.1, s5.2, s7.1) on hostile request
 * lines and headers.  Input, split at '\n':
 *     METHOD \n URL \n CONTENT-TYPE \n ACCEPT \n FLAGS \n BODY
 * a missing CONTENT-TYPE or ACCEPT line means the header is absent; FLAGS
 * starting with '1' sets body_too_big.  The two RPC handlers (which need a
 * registry) are replaced by stubs here, so only restconf.c and the fixed
 * documents of discovery.c run.
 * Promises checked: a status is always set, 405 carries Allow, JSON
 * bodies parse, the response type is one of the known ones.
 */
#include <jansson.h>

#include "fuzz.h"
#include "handlers.h"
#include "restconf.h"
#include "server.h"

static struct server srv;
static int handler_reached;

enum answer handle_get_bootstrapping_data(struct server *s, struct request *r, struct result *res)
{
	FUZZ_CHECK(!strcmp(r->method, "POST") && !r->body_too_big);
	handler_reached = 1;
	result_ok(res, 204, NULL, NULL, 0);
	return ANSWER_NOW;
}

enum answer handle_report_progress(struct server *s, struct request *r, struct result *res)
{
	FUZZ_CHECK(!strcmp(r->method, "POST") && !r->body_too_big);
	handler_reached = 1;
	result_ok(res, 204, NULL, NULL, 0);
	return ANSWER_NOW;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	srv.cfg.max_body = 262144;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_str(data, size), *p = buf, *flags;
	struct request r;

	memset(&r, 0, sizeof(r));
	r.method = fuzz_field(&p);
	r.url = fuzz_field(&p);
	r.content_type = fuzz_field(&p);
	r.accept = fuzz_field(&p);
	flags = fuzz_field(&p);
	if (!r.url)
		r.url = "";
	r.body_too_big = flags && flags[0] == '1';
	r.body = p ? p : "";
	r.body_len = p ? size - (size_t)(p - buf) : 0;
	handler_reached = 0;
	restconf_handle(&srv, &r);
	if (!handler_reached) {
		FUZZ_CHECK(r.status >= 200 && r.status <= 599);
		FUZZ_CHECK(r.resp_body != NULL && r.resp_len == strlen(r.resp_body));
		FUZZ_CHECK(r.resp_type != NULL);
		FUZZ_CHECK(r.status != 405 || r.allow != NULL);
		if (!strcmp(r.resp_type, MT_JSON)) {
			json_t *j = json_loadb(r.resp_body, r.resp_len, 0, NULL);
			FUZZ_CHECK(j != NULL);
			json_decref(j);
		} else {
			FUZZ_CHECK(!strcmp(r.resp_type, MT_XML) ||
				   !strcmp(r.resp_type, "application/xrd+xml"));
		}
	}
	free(r.resp_body);
	free(buf);
	return 0;
}
