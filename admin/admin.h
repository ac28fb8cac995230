/*
 * admin.h - the admin API of the bootstrap server, independent of any
 * transport: one request in (method, raw path, query, headers that
 * matter, body, who is asking), one response out (status, media type,
 * body, ETag, Location).  Three transports use it and so behave alike
 * by construction:
 *   - sztpd's admin listener (server/admin_listener.c) over HTTPS,
 *   - sztpctl on the local registry file (cli/, in-process),
 *   - sztpctl --server over HTTPS to sztpd (libcurl), which reaches the
 *     first.
 * Routes live in one table (admin/admin.c: method, path pattern, scope,
 * handler), one file per resource; errors are RFC 9457 problem+json.
 * Every write runs in one registry transaction together with its audit
 * row: a failed request changes nothing.  docs/openapi.json is the
 * contract the tests hold the table to.  This module never includes
 * microhttpd or curl.
 */
#ifndef SZTP_ADMIN_H
#define SZTP_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "pki.h"
#include "registry.h"
#include "result.h"

struct sztp_yang;

#define ADMIN_PREFIX   "/api/v1"
#define ADMIN_WHO_MAX  256
#define ADMIN_ETAG_MAX 64
#define ADMIN_LOC_MAX  512

enum admin_scope { ADMIN_SCOPE_NONE = 0, ADMIN_SCOPE_READ = 1, ADMIN_SCOPE_WRITE = 2 };

/* Who is asking, as the transport authenticated them. */
struct admin_actor {
	char who[ADMIN_WHO_MAX]; /* "token:NAME", "cert:SUBJECT DN", "local:USER" */
	enum admin_scope scope;
};

/* What one admin call needs, shared by every request of one transport. */
struct admin_ctx {
	struct reg *reg;	      /* its own handle: never the device path's */
	struct sztp_yang *y;	      /* YANG context (conveyed information, vouchers) */
	const struct pki_trust *masa; /* default voucher anchor (masa-ca); NULL: none */
	char masa_name[512];	      /* how to name it in messages ("/etc/sztp/masa.pem") */
	const char *openapi_path;     /* the OpenAPI document served at ADMIN_PREFIX; NULL: none */
	size_t max_body;	      /* larger bodies: 413 */
	unsigned password_cost;	      /* PBKDF2 iterations for passwords set through the API */
	int64_t (*now)(void);	      /* clock (tests); NULL: time(NULL) */
};

struct admin_request {
	const char *method;	  /* "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD" */
	const char *path;	  /* raw, still percent-encoded, without the query */
	const char *query;	  /* raw text after '?', NULL when none */
	const char *content_type; /* NULL when absent */
	const char *accept;	  /* NULL when absent */
	const char *if_match;	  /* NULL when absent */
	const char *if_none_match;
	const uint8_t *body;
	size_t body_len;
	const struct admin_actor *actor; /* authenticated (scope NONE: only public routes) */
	const char *peer; /* the client's address (the events of its changes); NULL: none */
};

struct admin_response {
	int status;
	const char *content_type; /* static text */
	char *body;		  /* malloc'd, owned; NULL when no body */
	size_t body_len;
	char etag[ADMIN_ETAG_MAX];    /* "" when none; quoted: "\"1a2b\"" */
	char location[ADMIN_LOC_MAX]; /* "" when none */
	char allow[64];		      /* for 405 */
};

/* Answer one request: always fills resp (a problem+json body on failure).
 * Thread-safe for concurrent calls on one ctx. */
void admin_handle(struct admin_ctx *ctx, const struct admin_request *req,
		  struct admin_response *resp);
void admin_response_clear(struct admin_response *resp);

/* ---- bearer tokens (admin/tokens.c) -------------------------------- */
/* "sztp_" + 43 characters of base64url (32 random bytes). */
#define ADMIN_TOKEN_LEN 48
/* Authenticate an Authorization header value ("Bearer ..."): SZTP_OK with
 * actor filled ("token:NAME", its scope), else SZTP_E_AUTH with the
 * reason (absent, malformed, unknown, revoked, expired) in e.  Only the
 * SHA-256 of tokens is stored; comparison is constant-time.  A registry
 * that cannot be read gives its own rc (SZTP_E_UNAVAILABLE, SZTP_E_DB):
 * not the client's fault, so not a 401. */
sztp_rc admin_auth_bearer(struct admin_ctx *ctx, const char *authorization,
			  struct admin_actor *actor, struct sztp_err *e);

/* ---- expiry of vouchers and owner certificates (admin/reports.c) ------ */
/* The "expiry" values of the representations, shared with sztpctl's text
 * output so both classify alike. */
enum admin_expiry { ADMIN_EXP_NEVER, ADMIN_EXP_OK, ADMIN_EXP_EXPIRING, ADMIN_EXP_EXPIRED };
/* not_after 0: never expires; expired at or before now; expiring within
 * days of now. */
enum admin_expiry admin_expiry_of(int64_t not_after, int64_t now, long days);
/* "never", "ok", "expiring", "expired". */
const char *admin_expiry_name(enum admin_expiry x);
/* expires-on of d's voucher (unix time; 0: none, or no voucher): the
 * stored window, else read from the voucher itself (rows stored before
 * the registry kept the window). */
int64_t admin_voucher_expires(const struct reg_device *d);

#endif
