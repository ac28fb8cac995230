/*
 * admin_internal.h - what the resource files of the admin API share: the
 * call being answered, the one routing table's row, and the helpers every
 * handler uses so that errors, ETags, pagination and audit rows look the
 * same on every route.  Only the files of admin/ include it.
 *
 * A handler answers exactly once: with admin_reply_json (or _raw,
 * _no_content) on success, or with one of the admin_problem* calls; the
 * helpers that check something (fields, If-Match, query parameters)
 * answer the problem themselves and return -1, so a handler writes
 *     if (admin_json_str(c, body, "profile", 0, REG_NAME_MAX, &p) < 0) return;
 * Writes: admin_begin, the change, admin_audit, admin_commit; any
 * failure before the commit: admin_rollback and a problem.
 */
#ifndef SZTP_ADMIN_INTERNAL_H
#define SZTP_ADMIN_INTERNAL_H

#include <stdarg.h>

#include <jansson.h>

#include "admin.h"

#define ADMIN_MAX_PARAMS 2
#define ADMIN_PARAM_MAX	 512
#define ADMIN_LIMIT_DEF	 100
#define ADMIN_LIMIT_MAX	 1000

struct admin_call {
	struct admin_ctx *ctx;
	const struct admin_request *req;
	struct admin_response *resp;
	const struct admin_route *route;
	char param[ADMIN_MAX_PARAMS][ADMIN_PARAM_MAX]; /* {serial}, {name}: percent-decoded */
	json_t *body; /* the parsed body for routes with ADMIN_BODY_JSON (an object) */
	int64_t now;  /* unix time of this call */
	int answered; /* set by the reply and problem helpers */
	int in_tx;    /* between admin_begin and admin_commit/rollback */
};

typedef void (*admin_handler)(struct admin_call *c);

/* Body handling of a route. */
enum {
	ADMIN_BODY_NONE = 0, /* a body is refused (400) */
	ADMIN_BODY_JSON = 1, /* application/json object, parsed into c->body */
	ADMIN_BODY_ANY = 2   /* the handler looks at req->content_type and req->body */
};

struct admin_route {
	const char *method;
	const char *pattern; /* below ADMIN_PREFIX: "/devices/{serial}/voucher" ("" = the root) */
	enum admin_scope scope;
	int body;
	admin_handler fn;
};

/* ---- replies ------------------------------------------------------------ */
/* 200/201 with body (stolen: freed here); etag NULL: a hash of the body. */
void admin_reply_json(struct admin_call *c, int status, json_t *body, const char *etag);
/* A body that is not JSON (the OpenAPI document, a voucher's CMS). */
void admin_reply_raw(struct admin_call *c, int status, const char *type, const void *data,
		     size_t len, const char *etag);
void admin_no_content(struct admin_call *c);
/* Location header: ADMIN_PREFIX + path, the segment percent-encoded:
 * admin_location(c, "/devices/", serial). */
void admin_location(struct admin_call *c, const char *base, const char *segment);

/* ---- problems (RFC 9457) ------------------------------------------------- */
/* slug as in /work/notes/api.md ("invalid-field"); field: JSON pointer of
 * the body member at fault or NULL; answers and returns -1. */
int admin_problem(struct admin_call *c, int status, const char *slug, const char *field,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same for a query parameter at fault (member "parameter"). */
int admin_problem_param(struct admin_call *c, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A registry or library failure: rc mapped to status and slug
 * (NOT_FOUND 404 not-found, EXISTS 409 exists, MALFORMED/INVALID_VALUE/
 * VERIFY/EXPIRED/MISMATCH/UNSUPPORTED/PERM 400 invalid-field,
 * TOO_BIG 413, UNAVAILABLE 503, anything else 500 internal with a generic
 * detail: e's text only to the log).  field may be NULL. */
int admin_problem_rc(struct admin_call *c, sztp_rc rc, const char *field, const struct sztp_err *e);

/* ---- JSON body members ---------------------------------------------------- */
/* Refuse members of obj not in allowed (NULL-terminated): 400
 * unknown-field naming ptr/member.  ptr is the JSON pointer of obj ("" for
 * the body). */
int admin_json_only(struct admin_call *c, json_t *obj, const char *ptr, const char *const *allowed);
/* A string member: *out NULL when absent (and not required), else the
 * string (owned by obj).  Refuses: absent and required (missing-field),
 * not a string, empty, longer than max bytes, control characters. */
int admin_json_str(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
		   int required, size_t max, const char **out);
/* Like admin_json_str, but JSON null is allowed: *is_null = 1 then. */
int admin_json_str_or_null(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
			   size_t max, const char **out, int *is_null, int *present);
/* A boolean member; *out unchanged when absent. */
int admin_json_bool(struct admin_call *c, json_t *obj, const char *ptr, const char *name, int *out);
/* An integer member in [min, max]; *out unchanged when absent. */
int admin_json_int(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
		   int64_t min, int64_t max, int64_t *out, int required);
/* A base64 string member, decoded (at most max bytes once decoded). */
int admin_json_b64(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
		   int required, size_t max, sztp_bytes *out);

/* ---- query parameters ------------------------------------------------------ */
/* Refuse parameters not in allowed (400 unknown-parameter) and repeated
 * ones; call first in every handler of a route that takes parameters (a
 * route that takes none: allowed = {NULL}). */
int admin_query_only(struct admin_call *c, const char *const *allowed);
/* The same, but the parameters in repeatable (NULL-terminated) may be
 * given more than once (GET /dns-records?server=A&server=B). */
int admin_query_only_rep(struct admin_call *c, const char *const *allowed,
			 const char *const *repeatable);
/* The percent-decoded value of the n-th (from 0) occurrence of name, or
 * *out NULL when there are fewer. */
int admin_query_nth(struct admin_call *c, const char *name, size_t n, char *buf, size_t len,
		    const char **out);
/* The percent-decoded value (buf), or *out NULL when absent. */
int admin_query_str(struct admin_call *c, const char *name, char *buf, size_t len,
		    const char **out);
int admin_query_int(struct admin_call *c, const char *name, int64_t min, int64_t max, int64_t *out);
int admin_query_bool(struct admin_call *c, const char *name, int *out);
/* RFC 3339 time ("2026-11-30T12:00:00Z", offsets accepted) to unix time. */
int admin_query_time(struct admin_call *c, const char *name, int64_t *out);
/* limit (default ADMIN_LIMIT_DEF, 1..ADMIN_LIMIT_MAX) and cursor: a
 * cursor names the last key of the previous page; *key "" / *id 0 when
 * absent.  Key cursors (devices, profiles, tokens) and id cursors. */
int admin_page_key(struct admin_call *c, int *limit, char *key, size_t keylen);
int admin_page_id(struct admin_call *c, int *limit, int64_t *id);
/* {"items": items, "next-cursor": ...}: next_key / next_id is the last row's
 * key when the page is full (more may follow), NULL / 0 otherwise. */
void admin_reply_page_key(struct admin_call *c, json_t *items, const char *next_key);
void admin_reply_page_id(struct admin_call *c, json_t *items, int64_t next_id);

/* ---- ETags ---------------------------------------------------------------- */
/* "\"<16 hex>\"" of a revision. */
void admin_etag_rev(int64_t rev, char out[ADMIN_ETAG_MAX]);
/* A device's ETag covers what a device contact changes too (state, times). */
void admin_etag_device(const struct reg_device *d, char out[ADMIN_ETAG_MAX]);
/* If-Match: none given, "*" (when exists), or equal to current -> 0;
 * else 412 precondition-failed and -1.  exists 0: any If-Match fails. */
int admin_if_match(struct admin_call *c, int exists, const char *current);
/* "0123456789abcdef" of a revision; JSON string. */
json_t *admin_rev_json(int64_t rev);
/* RFC 3339 UTC string, JSON null for 0. */
json_t *admin_time_json(int64_t t);

/* ---- writes ----------------------------------------------------------------- */
int admin_begin(struct admin_call *c);
/* Commit; a failed commit answers 500 and rolls back. */
int admin_commit(struct admin_call *c);
void admin_rollback(struct admin_call *c);
/* The audit row of this call's change, in its transaction: actor from
 * the request; detail may be NULL (stolen). */
int admin_audit(struct admin_call *c, const char *action, const char *resource, int64_t rev_before,
		int64_t rev_after, json_t *detail);
/* The event (lib/event.h) of this call's change, in its transaction:
 * type, serial ("" or NULL: none), data {"actor", "action", "revision"
 * (hex, null for 0)} plus the members of detail (borrowed; may be NULL).
 * admin_audit writes the event of the actions that are one itself
 * (device.create -> device.enrolled ...); a bulk create calls this once
 * per device. */
int admin_event(struct admin_call *c, const char *type, const char *serial, const char *action,
		int64_t revision, json_t *detail);

/* ---- devices.c and vouchers.c: what the device routes share ------------------ */
struct voucher;
#define ADMIN_VOUCHER_MAX   (256 * 1024) /* a voucher's CMS */
#define ADMIN_EXPIRING_DAYS 30		 /* expiring-within default */
/* Begin the transaction of a write to device c->param[0], read it into d
 * and check If-Match against its ETag: 404 (no such device) and 412 are
 * answered (-1).  d is the caller's to reg_device_clear. */
int admin_device_lock(struct admin_call *c, struct reg_device *d);
/* Finish that write: d->revision becomes the device's revision now (0 when
 * deleted), the audit row (action, "devices/<serial>", rev_before ->
 * d->revision, detail stolen) is added, and the transaction commits. */
int admin_device_commit(struct admin_call *c, struct reg_device *d, const char *action,
			int64_t rev_before, json_t *detail);
/* A write to device c->param[0] answered 204: lock, change(c, d) (-1:
 * answered), commit with the audit row of action. */
void admin_device_change(struct admin_call *c, const char *action,
			 int (*change)(struct admin_call *c, struct reg_device *d));
/* The certificates of PEM text pem (member name at field): at least one,
 * else 400 invalid-field.  *certs: pki_certs_free(*certs, *n). */
int admin_pem_certs(struct admin_call *c, const char *field, const char *name, const char *pem,
		    sztp_bytes **certs, size_t *n);
/* Query parameter expiring-within (0..36500 days, default 30). */
int admin_expiring_days(struct admin_call *c, int64_t *days);

/* The MASA anchor the vouchers of a request verify against: the request's
 * "masa-ca" (PEM) when it has one, else the default's choice (a bulk
 * request's top-level masa-ca), else the server's (ctx->masa).  Every PEM
 * is parsed once and kept until admin_anchor_clear: the items of a bulk
 * request that repeat it share it.  Zero-initialise. */
struct admin_anchor_pem;
struct admin_anchor {
	const struct pki_trust *t; /* the last admin_anchor_get's choice; NULL: none */
	const char *name;	   /* how messages name it */
	struct admin_anchor_pem *parsed;
};
int admin_anchor_get(struct admin_call *c, json_t *obj, const char *ptr,
		     const struct admin_anchor *dflt, struct admin_anchor *a);
void admin_anchor_clear(struct admin_anchor *a);
/* 400 missing-field unless a has an anchor. */
int admin_anchor_required(struct admin_call *c, const struct admin_anchor *a);
/* A voucher's CMS checked for serial on its own (RFC 8572 s3.3, RFC 8366):
 * well-formed, signature to anchor t (named name), valid ietf-voucher,
 * serial-number, created-on..expires-on around c->now.  SZTP_OK with v
 * filled (voucher_clear), else why not in msg.  Answers nothing:
 * thread-safe (a bulk request verifies on every CPU). */
sztp_rc admin_voucher_verify(const struct admin_call *c, const sztp_bytes *cms, const char *serial,
			     const struct pki_trust *t, const char *name, struct voucher *v,
			     char *msg, size_t len);
/* The same answering 400 (field: JSON pointer of the member, NULL: the
 * body); an anchor is required. */
int admin_voucher_check(struct admin_call *c, const char *field, const sztp_bytes *cms,
			const char *serial, const struct admin_anchor *a, struct voucher *v);
/* Profiles and owner identities read once per request (a bulk request's
 * devices share a few). */
#define ADMIN_VCACHE_MAX 16
struct admin_vcache {
	size_t n_prof, n_own;
	struct {
		char name[REG_NAME_MAX], owner[REG_NAME_MAX];
	} prof[ADMIN_VCACHE_MAX];
	struct {
		char name[REG_NAME_MAX];
		int found;
		struct reg_owner o;
		sztp_bytes pinned_ok; /* a pinned-domain-cert known to anchor o */
	} own[ADMIN_VCACHE_MAX];
};
void admin_vcache_clear(struct admin_vcache *vc);
/* The owner identity serving a device of profile ("" or NULL: none ->
 * "default"); a profile that does not exist is 400 invalid-field. */
int admin_profile_owner(struct admin_call *c, const char *field, const char *profile,
			struct admin_vcache *vc, char owner[REG_NAME_MAX]);
/* The voucher stored for d still fits owner identity owner (PATCH of its
 * profile): 409 conflict at /profile when not (admin_voucher_fits); an
 * owner not set yet is not checked (a warning). */
int admin_device_voucher_fits(struct admin_call *c, const struct reg_device *d, const char *owner,
			      struct admin_vcache *vc, json_t *warnings);
/* RFC 8572 s5.4: pinned (a voucher's pinned-domain-cert) anchors the chain
 * of owner identity owner; when not, status (400 invalid-field or 409
 * conflict) naming what (e.g. "the voucher of device SN-1").  An owner
 * not set yet is not checked: a warning string is appended to warnings. */
int admin_voucher_fits_owner(struct admin_call *c, int status, const char *field,
			     const sztp_bytes *pinned, const char *what, const char *owner,
			     struct admin_vcache *vc, json_t *warnings);
/* The voucher-summary of a stored CMS (NULL when it does not parse); sig
 * NULL: the signature is checked against the server's anchor if any. */
json_t *admin_voucher_summary(struct admin_call *c, const sztp_bytes *cms, int64_t days,
			      const char *sig);

/* ---- the resource files' handlers (the table is in admin.c) ----------------- */
/* devices.c */
void admin_devices_list(struct admin_call *c);
void admin_devices_create(struct admin_call *c);
void admin_devices_bulk(struct admin_call *c);
void admin_device_get(struct admin_call *c);
void admin_device_patch(struct admin_call *c);
void admin_device_delete(struct admin_call *c);
/* vouchers.c */
void admin_voucher_put(struct admin_call *c);
void admin_voucher_get(struct admin_call *c);
void admin_voucher_delete(struct admin_call *c);
/* profiles.c */
void admin_profiles_list(struct admin_call *c);
void admin_profile_get(struct admin_call *c);
void admin_profile_put(struct admin_call *c);
void admin_profile_delete(struct admin_call *c);
/* A profile or owner name as sztpctl has always taken it: 1 to
 * REG_NAME_MAX - 1 letters, digits, '-', '_' and '.'.  field: the JSON
 * pointer of the body member holding it, or NULL for the path's {name}
 * (400 invalid-parameter "name"). */
int admin_check_name(struct admin_call *c, const char *what, const char *name, const char *field);
/* The preconditions of a PUT on a resource whose ETag is etag (when it
 * exists): If-Match (admin_if_match), and If-None-Match: "*" (create
 * only) or a list of ETags: 412 when the resource exists (and matches). */
int admin_put_preconditions(struct admin_call *c, int exists, const char *etag);
/* owners.c */
void admin_owners_list(struct admin_call *c);
void admin_owner_get(struct admin_call *c);
void admin_owner_put(struct admin_call *c);
/* RFC 8572 s5.4: the voucher stored for d (none: fits) pins a certificate
 * that anchors chain, the chain of owner identity `owner`; else
 * SZTP_E_MISMATCH naming the device and the certificate it pins. */
sztp_rc admin_voucher_fits(const struct reg_device *d, const char *owner, const sztp_bytes *chain,
			   size_t n, struct sztp_err *e);
/* A PEM text member (newlines allowed, unlike admin_json_str): a
 * non-empty string without NUL of at most 1 MiB; *out NULL when absent. */
int admin_json_pem(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
		   int required, const char **out);
/* reports.c */
/* A filter parameter of a list (serial, type, actor...): *out NULL when
 * absent; an empty value is refused (400 invalid-parameter). */
int admin_query_filter(struct admin_call *c, const char *name, char *buf, size_t len,
		       const char **out);
/* What a list's registry callback gathers: the items, and whether one
 * could not be made (out of memory: the list would be silently short). */
struct admin_rows {
	json_t *items; /* json_array() before the registry call */
	int64_t now;   /* for representations that depend on it (a token's state) */
	int fail;
};
/* Append item (stolen; NULL counts as a failure); non-zero: stop. */
int admin_rows_add(struct admin_rows *r, json_t *item);
/* After the registry call that filled r (its rc and e): a failure of the
 * call or of an item answered as a problem, r->items freed, -1; else 0. */
int admin_rows_done(struct admin_call *c, struct admin_rows *r, sztp_rc rc, struct sztp_err *e);
/* An id-ordered list (progress, log, audit): its two filter parameters,
 * each a string member of struct reg_query (offsetof) of at most max - 1
 * bytes; with them every such list takes since, before (RFC 3339; rows
 * with since <= time < before), after-id, limit and cursor.  rows reads
 * the page (q->limit is one more than the page: the extra row tells
 * whether another page follows). */
typedef sztp_rc (*admin_rows_fn)(struct reg *r, const struct reg_query *q, struct admin_rows *out,
				 struct sztp_err *e);
struct admin_id_list {
	const char *param[2];
	size_t member[2];
	size_t max[2];
	admin_rows_fn rows;
};
void admin_id_list(struct admin_call *c, const struct admin_id_list *l);
void admin_progress_list(struct admin_call *c);
void admin_log_list(struct admin_call *c);
void admin_expiring(struct admin_call *c);
void admin_prune(struct admin_call *c);
void admin_device_timeline(struct admin_call *c); /* progress and log of one device */
/* tokens.c */
void admin_tokens_list(struct admin_call *c);
void admin_tokens_create(struct admin_call *c);
void admin_token_revoke(struct admin_call *c);
/* audit.c */
void admin_audit_list(struct admin_call *c);
/* events.c */
void admin_events_list(struct admin_call *c);
/* An event as the API shows it: event_envelope's JSON (NULL: out of
 * memory, or data that is not an object). */
json_t *admin_event_json(const struct reg_event *ev);
/* Every event type, ", "-separated, into buf (for messages). */
const char *admin_event_types(char *buf, size_t len);
/* webhooks.c */
void admin_webhooks_list(struct admin_call *c);
void admin_webhooks_create(struct admin_call *c);
void admin_webhook_get(struct admin_call *c);
void admin_webhook_put(struct admin_call *c);
void admin_webhook_patch(struct admin_call *c);
void admin_webhook_delete(struct admin_call *c);
void admin_dead_letters_list(struct admin_call *c);
void admin_dead_letters_replay(struct admin_call *c);
void admin_dead_letters_delete(struct admin_call *c);
void admin_dead_letter_delete(struct admin_call *c);
/* dns.c */
void admin_dns_records(struct admin_call *c);

#endif
