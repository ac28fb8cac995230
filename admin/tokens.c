/*
 * tokens.c - the admin API's bearer tokens (RFC 6750): made with POST
 * /tokens, listed, revoked with DELETE /tokens/{name}, and checked on
 * every request by admin_auth_bearer.  A token is "sztp_" followed by
 * base64url (RFC 4648 s5, no padding) of 32 random bytes; the registry
 * keeps only its SHA-256, so the text is shown once, when it is made, and
 * a copy of the registry lets nobody in.  A revoked token keeps its row
 * (and its name, for the audit trail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "admin_internal.h"
#include "crypto.h"
#include "util.h"

#define TOKEN_PREFIX	  "sztp_"
#define TOKEN_PREFIX_LEN  5
#define TOKEN_RANDOM	  32
#define TOKEN_EXPIRES_MAX (100LL * 366 * 86400) /* expires-in: at most ~100 years */

#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static const char *scope_name(enum reg_token_scope s)
{
	return s == REG_TOKEN_WRITE ? "write" : "read";
}

static const char *token_state(const struct reg_token *t, int64_t now)
{
	if (t->revoked)
		return "revoked";
	return t->expires && t->expires <= now ? "expired" : "active";
}

/* The representation: never the secret, never its hash. */
static json_t *token_json(const struct reg_token *t, int64_t now)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:s}", "name", t->name, "scope",
			 scope_name(t->scope), "created", admin_time_json(t->created), "expires",
			 admin_time_json(t->expires), "revoked", admin_time_json(t->revoked),
			 "state", token_state(t, now));
}

/* ---- the secret ----------------------------------------------------------------- */

/* A new token's text (ADMIN_TOKEN_LEN characters) into out. */
static sztp_rc token_make(char out[ADMIN_TOKEN_LEN + 1], struct sztp_err *e)
{
	uint8_t raw[TOKEN_RANDOM];
	char *b64 = NULL, *p;
	sztp_rc rc = crypto_random(raw, sizeof(raw), e);

	if (rc == SZTP_OK)
		rc = b64_encode(raw, sizeof(raw), &b64, e);
	crypto_wipe(raw, sizeof(raw));
	if (rc != SZTP_OK)
		goto out;
	/* base64 -> base64url, padding dropped: 32 bytes are 43 characters */
	for (p = b64; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	snprintf(out, ADMIN_TOKEN_LEN + 1, "%s%.43s", TOKEN_PREFIX, b64);
	crypto_wipe(b64, strlen(b64));
out:
	free(b64);
	return rc;
}

/* Strict syntax: the prefix, then exactly 43 base64url characters of
 * which the last carries no bits beyond the 256 (a canonical encoding). */
static int token_syntax_ok(const char *s, size_t len)
{
	const char *last;

	if (len != ADMIN_TOKEN_LEN || strncmp(s, TOKEN_PREFIX, TOKEN_PREFIX_LEN) ||
	    strspn(s + TOKEN_PREFIX_LEN, B64URL) != len - TOKEN_PREFIX_LEN)
		return 0;
	last = strchr(B64URL, s[len - 1]);
	return ((last - B64URL) & 3) == 0;
}

/* ---- admin_auth_bearer ---------------------------------------------------------- */

sztp_rc admin_auth_bearer(struct admin_ctx *ctx, const char *authorization,
			  struct admin_actor *actor, struct sztp_err *e)
{
	struct reg_token t;
	uint8_t hash[REG_TOKEN_HASH_LEN];
	const char *tok;
	char when[32];
	int64_t now = ctx->now ? ctx->now() : (int64_t)time(NULL);
	sztp_rc rc = SZTP_E_AUTH;

	memset(actor, 0, sizeof(*actor));
	memset(&t, 0, sizeof(t));
	memset(hash, 0, sizeof(hash));
	if (!authorization || !*authorization) {
		sztp_err_set(e, rc, "no Authorization header");
		goto out;
	}
	/* RFC 6750 s2.1: the scheme (case-insensitive), one space, the token */
	if (strncasecmp(authorization, "Bearer", 6) ||
	    (authorization[6] != ' ' && authorization[6] != '\0')) {
		sztp_err_set(e, rc, "Authorization scheme is not Bearer");
		goto out;
	}
	tok = authorization + 6 + (authorization[6] == ' ');
	if (!token_syntax_ok(tok, strlen(tok))) {
		sztp_err_set(e, rc,
			     "malformed bearer token (want 'Bearer sztp_' and 43 base64url "
			     "characters, one space between)");
		goto out;
	}
	crypto_sha256(tok, ADMIN_TOKEN_LEN, hash);
	rc = reg_token_get_by_hash(ctx->reg, hash, &t, e);
	if (rc == SZTP_E_NOT_FOUND) {
		rc = sztp_err_set(e, SZTP_E_AUTH, "unknown bearer token");
		goto out;
	}
	if (rc != SZTP_OK) /* the registry, not the client */
		goto out;
	rc = SZTP_E_AUTH;
	if (!ct_equal(t.hash, hash, sizeof(hash))) {
		sztp_err_set(e, rc, "unknown bearer token");
		goto out;
	}
	if (t.revoked) {
		time_rfc3339((time_t)t.revoked, when);
		sztp_err_set(e, rc, "token '%s' was revoked at %s", t.name, when);
		goto out;
	}
	if (t.expires && t.expires <= now) {
		time_rfc3339((time_t)t.expires, when);
		sztp_err_set(e, rc, "token '%s' expired at %s", t.name, when);
		goto out;
	}
	snprintf(actor->who, sizeof(actor->who), "token:%s", t.name);
	actor->scope = t.scope == REG_TOKEN_WRITE ? ADMIN_SCOPE_WRITE : ADMIN_SCOPE_READ;
	rc = SZTP_OK;
out:
	crypto_wipe(hash, sizeof(hash));
	return rc;
}

/* ---- GET /tokens ------------------------------------------------------------------ */

static int token_cb(const struct reg_token *t, void *arg)
{
	struct admin_rows *r = arg;

	return admin_rows_add(r, token_json(t, r->now));
}

void admin_tokens_list(struct admin_call *c)
{
	static const char *const allowed[] = {"limit", "cursor", NULL};
	struct sztp_err e = {SZTP_OK, ""};
	struct admin_rows r = {NULL, c->now, 0};
	char after[REG_NAME_MAX + 1];
	int limit = 0;
	size_t n;

	if (admin_query_only(c, allowed) < 0 || admin_page_key(c, &limit, after, sizeof(after)) < 0)
		return;
	r.items = json_array();
	if (admin_rows_done(
		c, &r,
		reg_token_list(c->ctx->reg, after[0] ? after : NULL, limit + 1, token_cb, &r, &e),
		&e) < 0)
		return;
	if ((n = json_array_size(r.items)) > (size_t)limit)
		json_array_remove(r.items, (size_t)limit);
	admin_reply_page_key(c, r.items,
			     n > (size_t)limit
				 ? json_string_value(json_object_get(
				       json_array_get(r.items, (size_t)limit - 1), "name"))
				 : NULL);
}

/* ---- POST /tokens ------------------------------------------------------------------ */

/* The body's members into t (name, scope, expires); -1 answered. */
static int token_body(struct admin_call *c, struct reg_token *t)
{
	static const char *const members[] = {"name", "scope", "expires-in", NULL};
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789-_.";
	const char *name, *scope;
	int64_t expires_in = 0;

	if (admin_json_only(c, c->body, "", members) < 0 ||
	    admin_json_str(c, c->body, "", "name", 1, REG_NAME_MAX - 1, &name) < 0 ||
	    admin_json_str(c, c->body, "", "scope", 1, 16, &scope) < 0 ||
	    admin_json_int(c, c->body, "", "expires-in", 1, TOKEN_EXPIRES_MAX, &expires_in, 0) < 0)
		return -1;
	if (strspn(name, name_chars) != strlen(name))
		return admin_problem(c, 400, "invalid-field", "/name",
				     "token name '%s': use letters, digits, '-', '_' and '.'",
				     name);
	if (!strcmp(scope, "read"))
		t->scope = REG_TOKEN_READ;
	else if (!strcmp(scope, "write"))
		t->scope = REG_TOKEN_WRITE;
	else
		return admin_problem(c, 400, "invalid-field", "/scope",
				     "'scope' must be \"read\" or \"write\", not \"%s\"", scope);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->created = c->now;
	t->expires = expires_in ? c->now + expires_in : 0;
	return 0;
}

/* 201 with the representation and, this once, the token itself. */
void admin_tokens_create(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_token t;
	char secret[ADMIN_TOKEN_LEN + 1] = "", resource[REG_NAME_MAX + 8];
	json_t *rep;
	sztp_rc rc;

	memset(&t, 0, sizeof(t));
	if (admin_query_only(c, none) < 0 || token_body(c, &t) < 0)
		goto out;
	if ((rc = token_make(secret, &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	crypto_sha256(secret, strlen(secret), t.hash);
	snprintf(resource, sizeof(resource), "tokens/%s", t.name);
	if (admin_begin(c) < 0)
		goto out;
	if ((rc = reg_token_add(c->ctx->reg, &t, &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, rc == SZTP_E_EXISTS ? "/name" : NULL, &e);
		goto out;
	}
	if (admin_audit(c, "token.create", resource, 0, 0,
			json_pack("{s:s, s:o}", "scope", scope_name(t.scope), "expires",
				  admin_time_json(t.expires))) < 0 ||
	    admin_commit(c) < 0)
		goto out;
	rep = token_json(&t, c->now);
	if (rep && json_object_set_new(rep, "token", json_string(secret))) {
		json_decref(rep);
		rep = NULL;
	}
	admin_reply_json(c, 201, rep, NULL);
out:
	crypto_wipe(secret, sizeof(secret));
	crypto_wipe(t.hash, sizeof(t.hash));
}

/* ---- DELETE /tokens/{name} ----------------------------------------------------------- */

/* Revoke: the row stays (state "revoked").  Revoking a revoked token
 * again changes nothing and writes no audit row. */
void admin_token_revoke(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_token t;
	char resource[REG_NAME_MAX + 8];
	const char *name = c->param[0];
	sztp_rc rc;

	memset(&t, 0, sizeof(t));
	if (admin_query_only(c, none) < 0 || admin_begin(c) < 0)
		return;
	rc = reg_token_get(c->ctx->reg, name, &t, &e);
	if (rc == SZTP_E_INVALID_VALUE) /* a name no token can have */
		rc = sztp_err_set(&e, SZTP_E_NOT_FOUND, "token '%s' does not exist", name);
	if (rc != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		return;
	}
	if (t.revoked) {
		admin_rollback(c);
		admin_no_content(c);
		return;
	}
	snprintf(resource, sizeof(resource), "tokens/%s", t.name);
	if ((rc = reg_token_revoke(c->ctx->reg, name, c->now, &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		return;
	}
	if (admin_audit(c, "token.revoke", resource, 0, 0,
			json_pack("{s:s}", "scope", scope_name(t.scope))) < 0 ||
	    admin_commit(c) < 0)
		return;
	admin_no_content(c);
}
