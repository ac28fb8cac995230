/*
 * admin_test.h - what the unit tests of the admin API's reports, tokens
 * and audit share: a fresh registry in a temporary directory (SQLite) or
 * a fresh PostgreSQL database (pgtest.h), the cases run on each
 * (at_both), a clock the test moves, and one request to admin_handle
 * written as a request line ("GET", "/api/v1/log?serial=SN-1") with its
 * parsed JSON answer.
 */
#ifndef SZTP_ADMIN_TEST_H
#define SZTP_ADMIN_TEST_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "pgtest.h"
#include "unit.h"

static struct admin_ctx at_ctx;
static int64_t at_now = 1800000000; /* 2027-01-15T08:00:00Z */
static char at_dir[64];
static int at_pg; /* this run's registry is a PostgreSQL database */
static const struct admin_actor at_reader = {"token:reader", ADMIN_SCOPE_READ};
static const struct admin_actor at_writer = {"token:writer", ADMIN_SCOPE_WRITE};
/* the last answer's headers */
static char at_etag[ADMIN_ETAG_MAX], at_location[ADMIN_LOC_MAX];

static int64_t at_clock(void)
{
	return at_now;
}

/* A new registry in /tmp/sztp-TAG-XXXXXX; 0 on success. */
static int at_open(const char *tag)
{
	struct sztp_err e = {SZTP_OK, ""};
	char path[128];

	snprintf(at_dir, sizeof(at_dir), "/tmp/sztp-%s-XXXXXX", tag);
	if (!mkdtemp(at_dir))
		return -1;
	snprintf(path, sizeof(path), "%s/reg.db", at_dir);
	memset(&at_ctx, 0, sizeof(at_ctx));
	at_ctx.now = at_clock;
	if (reg_create(path, &at_ctx.reg, &e) != SZTP_OK) {
		fprintf(stderr, "reg_create: %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* at_open on a new PostgreSQL database (dropped at exit); 0 on success. */
static int at_open_pg(const char *tag)
{
	struct sztp_err e = {SZTP_OK, ""};
	char uri[512];

	at_dir[0] = '\0';
	memset(&at_ctx, 0, sizeof(at_ctx));
	at_ctx.now = at_clock;
	if (!pgtest_fresh(tag, uri, sizeof(uri)))
		return -1;
	if (reg_create(uri, &at_ctx.reg, &e) != SZTP_OK) {
		fprintf(stderr, "reg_create: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static void at_close(void)
{
	char cmd[128];

	reg_close(at_ctx.reg);
	at_ctx.reg = NULL;
	if (!at_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", at_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", at_dir);
	at_dir[0] = '\0';
}

/* Runs cases on a fresh SQLite registry, then again on a fresh PostgreSQL
 * database with the clock back where it was (without SZTP_TEST_PG: says
 * that half did not run).  name: the binary's, for that line. */
static void at_both(const char *name, const char *tag, void (*cases)(void))
{
	int64_t now = at_now;

	CHECK(at_open(tag) == 0);
	if (at_ctx.reg) {
		cases();
		at_close();
	}
	if (!pgtest_server()) {
		printf("%s: the PostgreSQL half did not run (SZTP_TEST_PG is unset)\n", name);
		return;
	}
	at_now = now;
	at_pg = 1;
	CHECK(at_open_pg(tag) == 0);
	if (at_ctx.reg) {
		cases();
		at_close();
	}
	at_pg = 0;
}

/* method target (path with an optional ?query), a JSON body or NULL, as
 * who from peer (NULL: none, as sztpctl in-process): the status; *out the
 * JSON answer (NULL when none), to decref; raw (optional) its text. */
static int at_call_full(const char *method, const char *target, const char *body,
			const struct admin_actor *who, const char *peer, json_t **out, char *raw,
			size_t rawlen)
{
	char path[1024];
	const char *q = strchr(target, '?');
	struct admin_request req = {.method = method, .path = path, .query = q ? q + 1 : NULL};
	struct admin_response resp;
	int status;

	snprintf(path, sizeof(path), "%.*s", (int)(q ? (size_t)(q - target) : strlen(target)),
		 target);
	if (body) {
		req.content_type = "application/json";
		req.body = (const uint8_t *)body;
		req.body_len = strlen(body);
	}
	req.actor = who;
	req.peer = peer;
	admin_handle(&at_ctx, &req, &resp);
	status = resp.status;
	snprintf(at_etag, sizeof(at_etag), "%s", resp.etag);
	snprintf(at_location, sizeof(at_location), "%s", resp.location);
	if (out)
		*out = resp.body ? json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
	if (raw)
		snprintf(raw, rawlen, "%.*s", (int)resp.body_len, resp.body ? resp.body : "");
	admin_response_clear(&resp);
	return status;
}

/* The same without a peer or the raw text. */
static int at_call(const char *method, const char *target, const char *body,
		   const struct admin_actor *who, json_t **out)
{
	return at_call_full(method, target, body, who, NULL, out, NULL, 0);
}

static const char *at_str(json_t *j, const char *member)
{
	const char *s = json_string_value(json_object_get(j, member));

	return s ? s : "";
}

/* The call answers a problem: status, urn:sztp:problem:SLUG, and (when
 * member is given) "field"/"parameter" equal to where. */
static void at_problem(const char *method, const char *target, const char *body,
		       const struct admin_actor *who, int status, const char *slug,
		       const char *member, const char *where)
{
	json_t *j = NULL;
	char type[96];
	int got = at_call(method, target, body, who, &j);

	snprintf(type, sizeof(type), "urn:sztp:problem:%s", slug);
	if (got != status || strcmp(at_str(j, "type"), type))
		fprintf(stderr, "  %s %s: %d %s (%s), want %d %s\n", method, target, got,
			at_str(j, "type"), at_str(j, "detail"), status, type);
	CHECK(got == status);
	CHECK(!strcmp(at_str(j, "type"), type));
	CHECK(at_str(j, "detail")[0] != '\0');
	if (member)
		CHECK(!strcmp(at_str(j, member), where));
	json_decref(j);
}

/* The ids of a page's items, "3,4,5" (or the member's values). */
static const char *at_ids(json_t *page, const char *member)
{
	static char buf[1024];
	json_t *it;
	size_t i, o = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(page, "items"), i, it)
	{
		json_t *v = json_object_get(it, member);

		if (json_is_integer(v))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%lld", i ? "," : "",
					      (long long)json_integer_value(v));
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? "," : "",
					      json_string_value(v) ? json_string_value(v) : "?");
		if (o >= sizeof(buf))
			break;
	}
	return buf;
}

/* GET target: 200, and the items' ids (or member) equal want; the
 * next-cursor (or "" when null) into cursor (256 bytes) when non-NULL. */
static void at_page(const char *target, const char *member, const char *want, char *cursor)
{
	json_t *j = NULL, *next;

	CHECK_RC(at_call("GET", target, NULL, &at_reader, &j), 200);
	if (strcmp(at_ids(j, member), want))
		fprintf(stderr, "  GET %s: %s, want %s\n", target, at_ids(j, member), want);
	CHECK(!strcmp(at_ids(j, member), want));
	next = json_object_get(j, "next-cursor");
	if (!strstr(target, "/expiring")) /* not a page */
		CHECK(next && (json_is_null(next) || json_is_string(next)));
	if (cursor)
		snprintf(cursor, 256, "%s", json_is_string(next) ? json_string_value(next) : "");
	json_decref(j);
}

/* A list read page by page from target (which has a query): each page's
 * items as want[i], a next-cursor on all but the last. */
static void at_follow(const char *target, const char *member, const char *const *want, size_t n)
{
	char cur[256] = "", t[1024];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(t, sizeof(t), "%s%s%s", target, i ? "&cursor=" : "", i ? cur : "");
		at_page(t, member, want[i], cur);
		CHECK((cur[0] != '\0') == (i + 1 < n));
	}
}

/* Targets and the ids (or member values) each must list. */
struct at_want {
	const char *target, *want;
};

static void at_pages(const char *member, const struct at_want *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		at_page(w[i].target, member, w[i].want, NULL);
}

#endif
