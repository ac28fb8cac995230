/*
 * ctl_token.c - sztpctl's bearer tokens of the admin API (POST/GET
 * /tokens, DELETE /tokens/{name}) and its audit trail (GET /audit).  A
 * token is printed once, when it is made: the registry keeps only its
 * SHA-256, so a lost token is revoked and replaced, never shown again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define DURATION_MAX (100LL * 366 * 86400) /* as the API takes expires-in */

/* "30d", "12h", "90m", "3600s" in seconds. */
static sztp_rc duration_parse(const char *s, int64_t *secs, struct sztp_err *e)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char *end = NULL;
	long long n;
	size_t i;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (s[0] >= '0' && s[0] <= '9' && !errno && n > 0 && end[0] && !end[1])
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (end[0] == units[i].unit && n <= DURATION_MAX / units[i].secs) {
				*secs = n * units[i].secs;
				return SZTP_OK;
			}
	return sztp_err_set(e, SZTP_E_INVALID_VALUE,
			    "--expires wants a duration such as 30d, 12h, 90m or 3600s (at most "
			    "100 years), not '%s'",
			    s);
}

/* token create NAME --scope read|write [--expires DURATION] */
sztp_rc cmd_token_create(struct ctl *c, struct sztp_err *e)
{
	const char *scope = opt_get(c, "scope"), *exp = opt_get(c, "expires"), *tok;
	int64_t secs = 0;
	struct ctl_resp r;
	json_t *body;
	sztp_rc rc;

	if ((rc = ctl_check_name("token", c->pos[0], e)) != SZTP_OK)
		return rc;
	if (!scope)
		return sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				    "token create needs --scope read|write");
	if (exp && (rc = duration_parse(exp, &secs, e)) != SZTP_OK)
		return rc;
	if (!(body = json_pack("{s:s, s:s}", "name", c->pos[0], "scope", scope)) ||
	    (secs && json_object_set_new(body, "expires-in", json_integer(secs)))) {
		json_decref(body);
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	rc = ctl_call(c, "POST", "/tokens", NULL, body, &r, e);
	json_decref(body);
	if (rc != SZTP_OK)
		return rc;
	if (!(tok = json_string_value(json_object_get(r.json, "token")))) {
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "the admin API's answer has no token");
	} else {
		const char *until = json_string_value(json_object_get(r.json, "expires"));

		printf("%s\n", tok);
		fprintf(stderr,
			"sztpctl: note: token '%s' (%s scope, %s%s) is shown this once: only its "
			"SHA-256 is stored; keep it in a file only its user can read\n",
			c->pos[0], scope, until ? "expires " : "does not expire",
			until ? until : "");
	}
	ctl_resp_clear(&r);
	return rc;
}

static void token_row(json_t *it)
{
	char b1[CTL_TEXT_MAX];
	const char *name = json_string_value(json_object_get(it, "name"));
	const char *t[3] = {"created", "expires", "revoked"};
	size_t i;

	printf("%-24s %-6s %-8s", ctl_text(name, b1),
	       json_string_value(json_object_get(it, "scope")),
	       json_string_value(json_object_get(it, "state")));
	for (i = 0; i < 3; i++) {
		const char *v = json_string_value(json_object_get(it, t[i]));

		printf(i < 2 ? " %-20s" : " %s\n", v ? v : "-");
	}
}

sztp_rc cmd_token_list(struct ctl *c, struct sztp_err *e)
{
	char h[160];

	snprintf(h, sizeof(h), "%-24s %-6s %-8s %-20s %-20s %s", "NAME", "SCOPE", "STATE",
		 "CREATED", "EXPIRES", "REVOKED");
	return ctl_rows(c, "/tokens", NULL, 0, 0, h, token_row, e);
}

sztp_rc cmd_token_revoke(struct ctl *c, struct sztp_err *e)
{
	char path[256], seg[200];
	struct ctl_resp r;
	sztp_rc rc;

	if ((rc = ctl_check_name("token", c->pos[0], e)) != SZTP_OK)
		return rc;
	snprintf(path, sizeof(path), "/tokens/%s", ctl_seg(c->pos[0], seg, sizeof(seg)));
	if ((rc = ctl_call(c, "DELETE", path, NULL, NULL, &r, e)) != SZTP_OK)
		return rc;
	ctl_resp_clear(&r);
	ctl_done(c, "revoked token '%s'", c->pos[0]);
	return SZTP_OK;
}

/* ---- audit ---------------------------------------------------------------------- */

static void audit_row(json_t *it)
{
	char b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], b3[CTL_TEXT_MAX];
	const char *t = json_string_value(json_object_get(it, "time"));
	const char *rb = json_string_value(json_object_get(it, "revision-before"));
	const char *ra = json_string_value(json_object_get(it, "revision-after"));
	const char *res = json_string_value(json_object_get(it, "resource"));
	json_t *d = json_object_get(it, "detail");
	char *detail =
	    d && !json_is_null(d) ? json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	printf("%-20s %-24s %-14s %-28s %-16s %-16s %s\n", t ? t : "-",
	       ctl_text(json_string_value(json_object_get(it, "actor")), b1),
	       json_string_value(json_object_get(it, "action")),
	       res && *res ? ctl_text(res, b2) : "-", rb ? rb : "-", ra ? ra : "-",
	       ctl_text(detail, b3));
	free(detail);
}

/* audit [--actor A] [--resource R] [--since T] [--limit N]: the newest N
 * changes (all without --limit), oldest first. */
sztp_rc cmd_audit(struct ctl *c, struct sztp_err *e)
{
	char q[2048] = "", h[200];
	long limit = 0;
	sztp_rc rc;

	if ((rc = opt_int(c, "limit", 1, 1000000000L, &limit, e)) != SZTP_OK)
		return rc;
	ctl_query_add(q, sizeof(q), "actor", opt_get(c, "actor"));
	ctl_query_add(q, sizeof(q), "resource", opt_get(c, "resource"));
	ctl_query_add(q, sizeof(q), "since", opt_get(c, "since"));
	snprintf(h, sizeof(h), "%-20s %-24s %-14s %-28s %-16s %-16s %s", "TIME", "ACTOR", "ACTION",
		 "RESOURCE", "REV-BEFORE", "REV-AFTER", "DETAIL");
	return ctl_rows(c, "/audit", q, 0, limit, h, audit_row, e);
}
