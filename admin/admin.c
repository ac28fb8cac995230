/*
 * admin.c - the admin API's one routing table and the helpers every
 * resource file answers through (admin_internal.h): RFC 9457 problems,
 * JSON member checks, query parameters, cursors, ETags and If-Match,
 * transactions with their audit row.  Transport-independent: sztpd's
 * admin listener and sztpctl call admin_handle with a request they read
 * off HTTPS or built from a command line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_internal.h"
#include "crypto.h"
#include "event.h"
#include "log.h"
#include "util.h"

#define JSON_TYPE    "application/json"
#define PROBLEM_TYPE "application/problem+json"

static void admin_openapi(struct admin_call *c);

/* THE routing table: every route the admin API answers; docs/openapi.json
 * describes exactly these (tests/e2e/t_admin_openapi.sh holds both to it). */
static const struct admin_route routes[] = {
    {"GET", "", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_openapi},
    {"GET", "/devices", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_devices_list},
    {"POST", "/devices", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON, admin_devices_create},
    {"POST", "/bulk/devices", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON, admin_devices_bulk},
    {"GET", "/devices/{serial}", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_device_get},
    {"PATCH", "/devices/{serial}", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON, admin_device_patch},
    {"DELETE", "/devices/{serial}", ADMIN_SCOPE_WRITE, ADMIN_BODY_NONE, admin_device_delete},
    {"PUT", "/devices/{serial}/voucher", ADMIN_SCOPE_WRITE, ADMIN_BODY_ANY, admin_voucher_put},
    {"GET", "/devices/{serial}/voucher", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_voucher_get},
    {"DELETE", "/devices/{serial}/voucher", ADMIN_SCOPE_WRITE, ADMIN_BODY_NONE,
     admin_voucher_delete},
    {"GET", "/devices/{serial}/timeline", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_device_timeline},
    {"GET", "/profiles", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_profiles_list},
    {"GET", "/profiles/{name}", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_profile_get},
    {"PUT", "/profiles/{name}", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON, admin_profile_put},
    {"DELETE", "/profiles/{name}", ADMIN_SCOPE_WRITE, ADMIN_BODY_NONE, admin_profile_delete},
    {"GET", "/owners", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_owners_list},
    {"GET", "/owners/{name}", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_owner_get},
    {"PUT", "/owners/{name}", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON, admin_owner_put},
    {"GET", "/progress", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_progress_list},
    {"GET", "/log", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_log_list},
    {"GET", "/expiring", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_expiring},
    {"POST", "/prune", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON, admin_prune},
    {"GET", "/audit", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_audit_list},
    {"GET", "/tokens", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_tokens_list},
    {"POST", "/tokens", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON, admin_tokens_create},
    {"DELETE", "/tokens/{name}", ADMIN_SCOPE_WRITE, ADMIN_BODY_NONE, admin_token_revoke},
    {"GET", "/dns-records", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_dns_records},
    {"GET", "/events", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_events_list},
    {"GET", "/webhooks", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_webhooks_list},
    {"POST", "/webhooks", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON, admin_webhooks_create},
    {"GET", "/webhooks/{name}", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_webhook_get},
    {"PUT", "/webhooks/{name}", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON, admin_webhook_put},
    {"PATCH", "/webhooks/{name}", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON, admin_webhook_patch},
    {"DELETE", "/webhooks/{name}", ADMIN_SCOPE_WRITE, ADMIN_BODY_NONE, admin_webhook_delete},
    {"GET", "/webhooks/{name}/dead-letters", ADMIN_SCOPE_READ, ADMIN_BODY_NONE,
     admin_dead_letters_list},
    {"DELETE", "/webhooks/{name}/dead-letters", ADMIN_SCOPE_WRITE, ADMIN_BODY_NONE,
     admin_dead_letters_delete},
    {"POST", "/webhooks/{name}/dead-letters/replay", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON,
     admin_dead_letters_replay},
    {"DELETE", "/webhooks/{name}/dead-letters/{id}", ADMIN_SCOPE_WRITE, ADMIN_BODY_NONE,
     admin_dead_letter_delete},
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* ---- replies ---------------------------------------------------------------- */

static void hex16(const uint8_t *b, char out[17])
{
	static const char hx[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 8; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[16] = '\0';
}

static void etag_of(const void *data, size_t len, char out[ADMIN_ETAG_MAX])
{
	uint8_t h[CRYPTO_SHA256_LEN];
	char x[17];

	crypto_sha256(data, len, h);
	hex16(h, x);
	snprintf(out, ADMIN_ETAG_MAX, "\"%s\"", x);
}

void admin_reply_raw(struct admin_call *c, int status, const char *type, const void *data,
		     size_t len, const char *etag)
{
	struct admin_response *r = c->resp;

	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->status = status;
	r->content_type = type;
	if (len && !(r->body = malloc(len))) {
		c->answered = 0;
		admin_problem(c, 500, "internal", NULL, "out of memory");
		return;
	}
	if (len)
		memcpy(r->body, data, len);
	r->body_len = len;
	if (etag)
		snprintf(r->etag, sizeof(r->etag), "%s", etag);
	else
		etag_of(data, len, r->etag);
	c->answered = 1;
}

void admin_reply_json(struct admin_call *c, int status, json_t *body, const char *etag)
{
	char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(body);
	if (!s) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		return;
	}
	admin_reply_raw(c, status, JSON_TYPE, s, strlen(s), etag);
	free(s);
}

void admin_no_content(struct admin_call *c)
{
	struct admin_response *r = c->resp;

	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->status = 204;
	r->content_type = NULL;
	c->answered = 1;
}

/* Percent-encode one path segment (RFC 3986 unreserved kept). */
static void seg_encode(const char *s, char *out, size_t len)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hx[ch >> 4];
			out[o++] = hx[ch & 15];
		}
	}
	out[o] = '\0';
}

void admin_location(struct admin_call *c, const char *base, const char *segment)
{
	size_t n = (size_t)snprintf(c->resp->location, sizeof(c->resp->location), "%s%s",
				    ADMIN_PREFIX, base);

	if (n < sizeof(c->resp->location))
		seg_encode(segment, c->resp->location + n, sizeof(c->resp->location) - n);
}

/* ---- problems ----------------------------------------------------------------- */

static const char *status_title(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 409:
		return "Conflict";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 when there is none. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* in as valid UTF-8 for a JSON string: a byte that is not part of a valid
 * sequence (a method, path or parameter name the client made up) becomes
 * \xNN, so a problem body is always made. */
static const char *utf8_clean(const char *in, char *out, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, n;

	while (*p && o + 5 < len) {
		if ((n = utf8_seq(p)) == 0) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hx[*p >> 4];
			out[o++] = hx[*p & 15];
			p++;
			continue;
		}
		if (o + n >= len)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return out;
}

static int problem_v(struct admin_call *c, int status, const char *slug, const char *member,
		     const char *where, const char *fmt, va_list ap)
{
	char raw[SZTP_ERR_MSG_MAX + 256], detail[sizeof(raw) * 2], at[1024], type[96];
	json_t *o;
	char *s;

	if (c->in_tx)
		admin_rollback(c);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	utf8_clean(raw, detail, sizeof(detail));
	if (where)
		where = utf8_clean(where, at, sizeof(at));
	snprintf(type, sizeof(type), "urn:sztp:problem:%s", slug);
	o = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", status_title(status), "status",
		      status, "detail", detail);
	if (o && member && where)
		json_object_set_new(o, member, json_string(where));
	s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	free(c->resp->body);
	c->resp->body = s;
	c->resp->body_len = s ? strlen(s) : 0;
	c->resp->status = s ? status : 500;
	c->resp->content_type = PROBLEM_TYPE;
	c->resp->etag[0] = '\0';
	c->resp->location[0] = '\0';
	c->answered = 1;
	return -1;
}

int admin_problem(struct admin_call *c, int status, const char *slug, const char *field,
		  const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = problem_v(c, status, slug, "field", field, fmt, ap);
	va_end(ap);
	return rc;
}

static int param_problem(struct admin_call *c, const char *slug, const char *param, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));
static int param_problem(struct admin_call *c, const char *slug, const char *param, const char *fmt,
			 ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = problem_v(c, 400, slug, "parameter", param, fmt, ap);
	va_end(ap);
	return rc;
}

int admin_problem_param(struct admin_call *c, const char *param, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = problem_v(c, 400, "invalid-parameter", "parameter", param, fmt, ap);
	va_end(ap);
	return rc;
}

int admin_problem_rc(struct admin_call *c, sztp_rc rc, const char *field, const struct sztp_err *e)
{
	const char *msg = e && e->msg[0] ? e->msg : sztp_rc_name(rc);

	switch (rc) {
	case SZTP_E_NOT_FOUND:
		return admin_problem(c, 404, "not-found", field, "%s", msg);
	case SZTP_E_EXISTS:
		return admin_problem(c, 409, "exists", field, "%s", msg);
	case SZTP_E_MALFORMED:
	case SZTP_E_INVALID_VALUE:
	case SZTP_E_UNKNOWN_ELEMENT:
	case SZTP_E_MISSING_ELEMENT:
	case SZTP_E_VERIFY:
	case SZTP_E_EXPIRED:
	case SZTP_E_MISMATCH:
	case SZTP_E_UNSUPPORTED:
	case SZTP_E_PERM:
		return admin_problem(c, 400, "invalid-field", field, "%s", msg);
	case SZTP_E_TOO_BIG:
		return admin_problem(c, 413, "too-large", field, "%s", msg);
	case SZTP_E_UNAVAILABLE:
		return admin_problem(c, 503, "unavailable", NULL,
				     "the registry cannot be used now");
	default:
		log_err("admin: %s %s: %s (%s)", c->req->method, c->req->path, msg,
			sztp_rc_name(rc));
		return admin_problem(
		    c, 500, "internal", NULL,
		    "the request could not be completed; sztpd's log has the cause");
	}
}

/* ---- JSON members --------------------------------------------------------------- */

/* ptr + "/" + name, name escaped as RFC 6901 asks (~0, ~1). */
static const char *ptr_join(const char *ptr, const char *name, char *out, size_t len)
{
	size_t o = (size_t)snprintf(out, len, "%s/", ptr ? ptr : "");

	for (; *name && o + 3 < len; name++) {
		if (*name == '~' || *name == '/') {
			out[o++] = '~';
			out[o++] = *name == '~' ? '0' : '1';
		} else {
			out[o++] = *name;
		}
	}
	out[o < len ? o : len - 1] = '\0';
	return out;
}

int admin_json_only(struct admin_call *c, json_t *obj, const char *ptr, const char *const *allowed)
{
	char where[512];
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v)
	{
		for (i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				break;
		if (!allowed[i])
			return admin_problem(c, 400, "unknown-field",
					     ptr_join(ptr, key, where, sizeof(where)),
					     "unknown member '%s'", key);
	}
	return 0;
}

static int has_ctl(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* Member name of obj into *v with its pointer in where: 1 present, 0
 * absent and optional, -1 absent and required (answered). */
static int member(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
		  int required, char where[512], json_t **v)
{
	ptr_join(ptr, name, where, 512);
	if ((*v = json_object_get(obj, name)))
		return 1;
	if (required)
		return admin_problem(c, 400, "missing-field", where, "member '%s' is required",
				     name);
	return 0;
}

int admin_json_str(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
		   int required, size_t max, const char **out)
{
	char where[512];
	json_t *v;
	int m;

	*out = NULL;
	if ((m = member(c, obj, ptr, name, required, where, &v)) <= 0)
		return m;
	if (!json_is_string(v))
		return admin_problem(c, 400, "invalid-field", where, "'%s' must be a string", name);
	if (json_string_length(v) == 0)
		return admin_problem(c, 400, "invalid-field", where, "'%s' must not be empty",
				     name);
	if (json_string_length(v) > max)
		return admin_problem(c, 400, "invalid-field", where,
				     "'%s' is longer than %zu bytes", name, max);
	if (strlen(json_string_value(v)) != json_string_length(v) ||
	    has_ctl(json_string_value(v), json_string_length(v)))
		return admin_problem(c, 400, "invalid-field", where,
				     "'%s' contains a control character", name);
	*out = json_string_value(v);
	return 0;
}

int admin_json_str_or_null(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
			   size_t max, const char **out, int *is_null, int *present)
{
	json_t *v = json_object_get(obj, name);

	*is_null = 0;
	*present = v != NULL;
	*out = NULL;
	if (v && json_is_null(v)) {
		*is_null = 1;
		return 0;
	}
	return admin_json_str(c, obj, ptr, name, 0, max, out);
}

int admin_json_bool(struct admin_call *c, json_t *obj, const char *ptr, const char *name, int *out)
{
	char where[512];
	json_t *v = json_object_get(obj, name);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return admin_problem(c, 400, "invalid-field",
				     ptr_join(ptr, name, where, sizeof(where)),
				     "'%s' must be true or false", name);
	*out = json_is_true(v);
	return 0;
}

int admin_json_int(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
		   int64_t min, int64_t max, int64_t *out, int required)
{
	char where[512];
	json_t *v;
	int m;

	if ((m = member(c, obj, ptr, name, required, where, &v)) <= 0)
		return m;
	if (!json_is_integer(v))
		return admin_problem(c, 400, "invalid-field", where, "'%s' must be an integer",
				     name);
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return admin_problem(c, 400, "invalid-field", where,
				     "'%s' must be between %lld and %lld", name, (long long)min,
				     (long long)max);
	*out = json_integer_value(v);
	return 0;
}

int admin_json_b64(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
		   int required, size_t max, sztp_bytes *out)
{
	char where[512];
	struct sztp_err e = {SZTP_OK, ""};
	const char *s;

	memset(out, 0, sizeof(*out));
	if (admin_json_str(c, obj, ptr, name, required, max / 3 * 4 + 8, &s) < 0)
		return -1;
	if (!s)
		return 0;
	if (b64_decode(s, strlen(s), out, &e) != SZTP_OK || out->len == 0)
		return admin_problem(c, 400, "invalid-field",
				     ptr_join(ptr, name, where, sizeof(where)),
				     "'%s' is not base64: %s", name, e.msg[0] ? e.msg : "empty");
	if (out->len > max) {
		sztp_bytes_free(out);
		return admin_problem(c, 413, "too-large", ptr_join(ptr, name, where, sizeof(where)),
				     "'%s' is larger than %zu bytes", name, max);
	}
	return 0;
}

/* ---- query parameters ---------------------------------------------------------- */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decode len bytes of in ('+' is a space in a query) into out;
 * -1 on a bad escape, a NUL or control character, or overflow. */
static int pct_decode(const char *in, size_t len, int plus, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int ch = (unsigned char)in[i];

		if (ch == '%') {
			int h, l;

			if (i + 2 >= len)
				return -1;
			h = hexval(in[i + 1]);
			l = hexval(in[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			ch = h * 16 + l;
			i += 2;
		} else if (ch == '+' && plus) {
			ch = ' ';
		}
		if (ch < 0x20 || ch == 0x7f || o + 1 >= outlen)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

/* The raw value of parameter name (not decoded) and its length; NULL when
 * absent.  "name" without '=' has the empty value. */
static const char *query_raw(const char *q, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);

	while (q && *q) {
		const char *end = strchr(q, '&');
		size_t len = end ? (size_t)(end - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		size_t klen = eq ? (size_t)(eq - q) : len;

		if (klen == nlen && !memcmp(q, name, nlen)) {
			*vlen = eq ? len - klen - 1 : 0;
			return eq ? eq + 1 : q + len;
		}
		q = end ? end + 1 : NULL;
	}
	return NULL;
}

static int listed(const char *const *names, const char *name)
{
	size_t i;

	for (i = 0; names && names[i]; i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

int admin_query_only(struct admin_call *c, const char *const *allowed)
{
	return admin_query_only_rep(c, allowed, NULL);
}

int admin_query_only_rep(struct admin_call *c, const char *const *allowed,
			 const char *const *repeatable)
{
	const char *q = c->req->query;

	while (q && *q) {
		const char *end = strchr(q, '&');
		size_t len = end ? (size_t)(end - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		size_t klen = eq ? (size_t)(eq - q) : len, i;
		char name[64];

		if (len == 0) {
			q = end ? end + 1 : NULL;
			continue;
		}
		if (pct_decode(q, klen, 1, name, sizeof(name)) < 0)
			return param_problem(c, "unknown-parameter", NULL,
					     "malformed query parameter name");
		for (i = 0; allowed[i]; i++)
			if (!strcmp(name, allowed[i]))
				break;
		if (!allowed[i])
			return param_problem(c, "unknown-parameter", name,
					     "unknown query parameter '%s'", name);
		/* repeated? */
		if (!listed(repeatable, name)) {
			const char *rest = end ? end + 1 : NULL;
			size_t vl;

			if (rest && query_raw(rest, name, &vl))
				return admin_problem_param(c, name, "parameter '%s' given twice",
							   name);
		}
		q = end ? end + 1 : NULL;
	}
	return 0;
}

int admin_query_nth(struct admin_call *c, const char *name, size_t n, char *buf, size_t len,
		    const char **out)
{
	const char *q = c->req->query, *v = NULL;
	size_t vlen = 0;

	*out = NULL;
	for (; (v = query_raw(q, name, &vlen)) != NULL; q = v + vlen) {
		if (n-- == 0)
			break;
	}
	if (!v)
		return 0;
	if (pct_decode(v, vlen, 1, buf, len) < 0)
		return admin_problem_param(c, name,
					   "'%s': a bad %%-escape, a control character, or "
					   "longer than %zu bytes",
					   name, len - 1);
	*out = buf;
	return 0;
}

int admin_query_str(struct admin_call *c, const char *name, char *buf, size_t len, const char **out)
{
	return admin_query_nth(c, name, 0, buf, len, out);
}

int admin_query_int(struct admin_call *c, const char *name, int64_t min, int64_t max, int64_t *out)
{
	char buf[32], *end;
	const char *v;
	long long n;

	if (admin_query_str(c, name, buf, sizeof(buf), &v) < 0 || !v)
		return v ? -1 : (c->answered ? -1 : 0);
	errno = 0;
	n = strtoll(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max)
		return admin_problem_param(c, name, "'%s' must be an integer from %lld to %lld",
					   name, (long long)min, (long long)max);
	*out = n;
	return 0;
}

int admin_query_bool(struct admin_call *c, const char *name, int *out)
{
	char buf[8];
	const char *v;

	if (admin_query_str(c, name, buf, sizeof(buf), &v) < 0)
		return -1;
	if (!v)
		return 0;
	if (!strcmp(v, "true"))
		*out = 1;
	else if (!strcmp(v, "false"))
		*out = 0;
	else
		return admin_problem_param(c, name, "'%s' must be true or false", name);
	return 0;
}

int admin_query_time(struct admin_call *c, const char *name, int64_t *out)
{
	char buf[64];
	const char *v;
	time_t t;

	if (admin_query_str(c, name, buf, sizeof(buf), &v) < 0)
		return -1;
	if (!v)
		return 0;
	if ((t = time_parse_rfc3339(v)) < 0)
		return admin_problem_param(c, name,
					   "'%s' is not an RFC 3339 time such as "
					   "2026-11-30T12:00:00Z",
					   name);
	*out = (int64_t)t;
	return 0;
}

/* Cursors: base64url (no padding) of "k:" + key or "i:" + decimal id. */
static void cursor_make(const char *kind, const char *val, char *out, size_t len)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char raw[ADMIN_PARAM_MAX + 4];
	size_t n = (size_t)snprintf(raw, sizeof(raw), "%s:%s", kind, val), i, o = 0;
	const uint8_t *u = (const uint8_t *)raw;

	if (n >= sizeof(raw))
		n = sizeof(raw) - 1;
	for (i = 0; i < n && o + 5 < len; i += 3) {
		uint32_t x = (uint32_t)u[i] << 16;

		if (i + 1 < n)
			x |= (uint32_t)u[i + 1] << 8;
		if (i + 2 < n)
			x |= u[i + 2];
		out[o++] = al[(x >> 18) & 63];
		out[o++] = al[(x >> 12) & 63];
		if (i + 1 < n)
			out[o++] = al[(x >> 6) & 63];
		if (i + 2 < n)
			out[o++] = al[x & 63];
	}
	out[o] = '\0';
}

/* Decode a cursor of kind into val; -1 when it is not one. */
static int cursor_read(const char *cur, const char *kind, char *val, size_t len)
{
	uint8_t raw[ADMIN_PARAM_MAX + 4];
	size_t n = 0, i, klen = strlen(kind);
	uint32_t acc = 0;
	int bits = 0;

	for (i = 0; cur[i]; i++) {
		int ch = (unsigned char)cur[i], v;

		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '-')
			v = 62;
		else if (ch == '_')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= sizeof(raw))
				return -1;
			raw[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (n <= klen || memcmp(raw, kind, klen) || raw[klen] != ':' || n - klen - 1 >= len)
		return -1;
	memcpy(val, raw + klen + 1, n - klen - 1);
	val[n - klen - 1] = '\0';
	if (has_ctl(val, strlen(val)) || strlen(val) != n - klen - 1)
		return -1;
	return 0;
}

static int page_limit(struct admin_call *c, int *limit)
{
	int64_t l = ADMIN_LIMIT_DEF;

	if (admin_query_int(c, "limit", 1, ADMIN_LIMIT_MAX, &l) < 0)
		return -1;
	*limit = (int)l;
	return 0;
}

int admin_page_key(struct admin_call *c, int *limit, char *key, size_t keylen)
{
	char buf[ADMIN_PARAM_MAX * 2];
	const char *cur;

	key[0] = '\0';
	if (page_limit(c, limit) < 0 || admin_query_str(c, "cursor", buf, sizeof(buf), &cur) < 0)
		return -1;
	if (cur && cursor_read(cur, "k", key, keylen) < 0) {
		key[0] = '\0';
		return admin_problem_param(c, "cursor",
					   "'cursor' is not a cursor this list gave out");
	}
	return 0;
}

int admin_page_id(struct admin_call *c, int *limit, int64_t *id)
{
	char buf[ADMIN_PARAM_MAX], val[32], *end;
	const char *cur;
	long long n;

	*id = 0;
	if (page_limit(c, limit) < 0 || admin_query_str(c, "cursor", buf, sizeof(buf), &cur) < 0)
		return -1;
	if (!cur)
		return 0;
	errno = 0;
	if (cursor_read(cur, "i", val, sizeof(val)) < 0 || !val[0] ||
	    ((n = strtoll(val, &end, 10)), *end || errno || n < 0))
		return admin_problem_param(c, "cursor",
					   "'cursor' is not a cursor this list gave out");
	*id = n;
	return 0;
}

static void reply_page(struct admin_call *c, json_t *items, const char *cursor)
{
	json_t *o = json_pack("{s:o, s:s?}", "items", items, "next-cursor", cursor);

	if (o && !cursor)
		json_object_set_new(o, "next-cursor", json_null());
	if (!o) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		return;
	}
	admin_reply_json(c, 200, o, NULL);
}

void admin_reply_page_key(struct admin_call *c, json_t *items, const char *next_key)
{
	char cur[ADMIN_PARAM_MAX * 2];

	if (next_key)
		cursor_make("k", next_key, cur, sizeof(cur));
	reply_page(c, items, next_key ? cur : NULL);
}

void admin_reply_page_id(struct admin_call *c, json_t *items, int64_t next_id)
{
	char cur[64], val[32];

	if (next_id > 0) {
		snprintf(val, sizeof(val), "%lld", (long long)next_id);
		cursor_make("i", val, cur, sizeof(cur));
	}
	reply_page(c, items, next_id > 0 ? cur : NULL);
}

/* ---- ETags and times -------------------------------------------------------------- */

void admin_etag_rev(int64_t rev, char out[ADMIN_ETAG_MAX])
{
	snprintf(out, ADMIN_ETAG_MAX, "\"%016llx\"", (unsigned long long)rev);
}

void admin_etag_device(const struct reg_device *d, char out[ADMIN_ETAG_MAX])
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%lld|%s|%lld|%lld", (long long)d->revision, d->state,
			 (long long)d->first_seen, (long long)d->last_seen);

	etag_of(buf, (size_t)n, out);
}

int admin_if_match(struct admin_call *c, int exists, const char *current)
{
	const char *m = c->req->if_match;
	const char *p;
	size_t clen;

	if (!m)
		return 0;
	if (exists) {
		if (!strcmp(m, "*"))
			return 0;
		/* a list of entity tags: "a", "b" */
		clen = strlen(current);
		for (p = m; (p = strstr(p, current)); p += clen) {
			char before = p == m ? ',' : p[-1], after = p[clen];

			if ((before == ',' || before == ' ') &&
			    (after == '\0' || after == ',' || after == ' '))
				return 0;
		}
	}
	return admin_problem(c, 412, "precondition-failed", NULL,
			     exists ? "If-Match %s: the resource has changed (its ETag is now %s)"
				    : "If-Match %s: the resource does not exist%s",
			     m, exists ? current : "");
}

json_t *admin_rev_json(int64_t rev)
{
	char x[20];

	snprintf(x, sizeof(x), "%016llx", (unsigned long long)rev);
	return json_string(x);
}

json_t *admin_time_json(int64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	time_rfc3339((time_t)t, buf);
	return json_string(buf);
}

/* ---- transactions and audit ---------------------------------------------------------- */

int admin_begin(struct admin_call *c)
{
	struct sztp_err e = {SZTP_OK, ""};
	sztp_rc rc = reg_begin(c->ctx->reg, &e);

	if (rc != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	c->in_tx = 1;
	return 0;
}

int admin_commit(struct admin_call *c)
{
	struct sztp_err e = {SZTP_OK, ""};
	sztp_rc rc = reg_commit(c->ctx->reg, &e);

	if (rc != SZTP_OK) {
		admin_rollback(c);
		return admin_problem_rc(c, rc, NULL, &e);
	}
	c->in_tx = 0;
	return 0;
}

void admin_rollback(struct admin_call *c)
{
	if (c->in_tx)
		reg_rollback(c->ctx->reg);
	c->in_tx = 0;
}

/* The event of each audited action that is one (lib/event.h); the
 * others (owners, tokens, prune, webhooks) are not events. */
static const struct {
	const char *action, *type, *kind; /* kind: what the resource's name is */
} audit_events[] = {
    {"device.create", EV_DEVICE_ENROLLED, "devices/"},
    {"device.update", EV_DEVICE_CHANGED, "devices/"},
    {"device.delete", EV_DEVICE_DELETED, "devices/"},
    {"voucher.attach", EV_VOUCHER_ATTACHED, "devices/"},
    {"voucher.detach", EV_VOUCHER_DETACHED, "devices/"},
    {"profile.put", EV_PROFILE_CHANGED, "profiles/"},
    {"profile.delete", EV_PROFILE_DELETED, "profiles/"},
};

int admin_event(struct admin_call *c, const char *type, const char *serial, const char *action,
		int64_t revision, json_t *detail)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_event ev;
	json_t *data;
	sztp_rc rc;
	int ret = -1;

	memset(&ev, 0, sizeof(ev));
	data =
	    json_pack("{s:s, s:s, s:o}", "actor", c->req->actor ? c->req->actor->who : "", "action",
		      action, "revision", revision ? admin_rev_json(revision) : json_null());
	if (!data || (detail && json_object_update_missing(data, detail)) ||
	    !(ev.data = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	ev.time = c->now;
	snprintf(ev.type, sizeof(ev.type), "%s", type);
	snprintf(ev.serial, sizeof(ev.serial), "%s", serial ? serial : "");
	snprintf(ev.peer, sizeof(ev.peer), "%s", c->req->peer ? c->req->peer : "");
	if ((rc = reg_event_add(c->ctx->reg, &ev, NULL, &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	ret = 0;
out:
	free(ev.data);
	json_decref(data);
	return ret;
}

/* The event of an audited change, if its action is one: a device's
 * serial is the event's; a profile's name goes in its data. */
static int audit_event(struct admin_call *c, const char *action, const char *resource,
		       int64_t rev_after, json_t *detail)
{
	json_t *d = NULL;
	const char *name;
	size_t i, klen;
	int rc;

	for (i = 0; i < sizeof(audit_events) / sizeof(audit_events[0]); i++)
		if (!strcmp(audit_events[i].action, action))
			break;
	if (i == sizeof(audit_events) / sizeof(audit_events[0]))
		return 0;
	klen = strlen(audit_events[i].kind);
	name = strncmp(resource, audit_events[i].kind, klen) ? resource : resource + klen;
	if (!strcmp(audit_events[i].kind, "devices/"))
		return admin_event(c, audit_events[i].type, name, action, rev_after, detail);
	if (!(d = json_pack("{s:s}", "profile", name)) ||
	    (json_is_object(detail) && json_object_update_missing(d, detail))) {
		json_decref(d);
		return admin_problem(c, 500, "internal", NULL, "out of memory");
	}
	rc = admin_event(c, audit_events[i].type, "", action, rev_after, d);
	json_decref(d);
	return rc;
}

int admin_audit(struct admin_call *c, const char *action, const char *resource, int64_t rev_before,
		int64_t rev_after, json_t *detail)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_audit a;
	sztp_rc rc;
	int ret = -1;

	memset(&a, 0, sizeof(a));
	a.time = c->now;
	snprintf(a.actor, sizeof(a.actor), "%s", c->req->actor ? c->req->actor->who : "");
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.resource, sizeof(a.resource), "%s", resource);
	a.rev_before = rev_before;
	a.rev_after = rev_after;
	a.detail = detail ? json_dumps(detail, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if ((rc = reg_audit_add(c->ctx->reg, &a, &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	/* the event, in the same transaction: committed with the change or not at all */
	if (audit_event(c, action, resource, rev_after, json_is_object(detail) ? detail : NULL) < 0)
		goto out;
	ret = 0;
out:
	free(a.detail);
	json_decref(detail);
	return ret;
}

/* ---- the OpenAPI document -------------------------------------------------------------- */

static void admin_openapi(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct sztp_err e = {SZTP_OK, ""};
	sztp_bytes doc = {NULL, 0};

	if (admin_query_only(c, none) < 0)
		return;
	if (!c->ctx->openapi_path) {
		admin_problem(c, 404, "not-found", NULL, "no OpenAPI document is installed");
		return;
	}
	if (file_read(c->ctx->openapi_path, 4 * 1024 * 1024, &doc, &e) != SZTP_OK) {
		admin_problem_rc(c, SZTP_E_IO, NULL, &e);
		return;
	}
	admin_reply_raw(c, 200, JSON_TYPE, doc.data, doc.len, NULL);
	sztp_bytes_free(&doc);
}

/* ---- routing -------------------------------------------------------------------------- */

/* Match path (below the prefix, raw) against pattern, decoding {params}
 * into c->param.  1 match, 0 no match, -1 a parameter that does not
 * decode (answered). */
static int route_match(struct admin_call *c, const char *pattern, const char *path)
{
	int np = 0;

	while (*pattern && *path) {
		if (*pattern == '{') {
			const char *pe = strchr(pattern, '}');
			const char *se = strchr(path, '/');
			size_t len = se ? (size_t)(se - path) : strlen(path);

			if (!pe || len == 0 || np >= ADMIN_MAX_PARAMS)
				return 0;
			if (pct_decode(path, len, 0, c->param[np], sizeof(c->param[np])) < 0 ||
			    !c->param[np][0])
				return -2;
			np++;
			pattern = pe + 1;
			path += len;
			continue;
		}
		if (*pattern != *path)
			return 0;
		pattern++;
		path++;
	}
	return !*pattern && !*path;
}

static int media_is(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return ct && !strncasecmp(ct, type, n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static void dispatch(struct admin_call *c)
{
	const struct admin_request *req = c->req;
	const char *path = req->path, *rest;
	char allow[64] = "";
	size_t i, plen = strlen(ADMIN_PREFIX);
	int m, path_found = 0, bad_param = 0;
	const char *method = !strcmp(req->method, "HEAD") ? "GET" : req->method;

	if (strncmp(path, ADMIN_PREFIX, plen) || (path[plen] != '\0' && path[plen] != '/')) {
		admin_problem(c, 404, "not-found", NULL, "no such route: %s", path);
		return;
	}
	rest = path + plen;
	if (!strcmp(rest, "/"))
		rest = "";
	for (i = 0; i < N_ROUTES; i++) {
		m = route_match(c, routes[i].pattern, rest);
		if (m == -2) {
			bad_param = 1;
			continue;
		}
		if (m <= 0)
			continue;
		path_found = 1;
		if (strcmp(routes[i].method, method)) {
			size_t l = strlen(allow);

			snprintf(allow + l, sizeof(allow) - l, "%s%s", l ? ", " : "",
				 routes[i].method);
			continue;
		}
		c->route = &routes[i];
		break;
	}
	if (!c->route) {
		if (path_found) {
			snprintf(c->resp->allow, sizeof(c->resp->allow), "%s", allow);
			admin_problem(c, 405, "method-not-allowed", NULL,
				      "%s is not allowed on %s (allowed: %s)", req->method, path,
				      allow);
		} else if (bad_param) {
			admin_problem(c, 400, "invalid-parameter", NULL,
				      "a path segment of %s has a bad %%-escape or a control "
				      "character",
				      path);
		} else {
			admin_problem(c, 404, "not-found", NULL, "no such route: %s", path);
		}
		return;
	}
	if (!req->actor || req->actor->scope < c->route->scope) {
		if (!req->actor || req->actor->scope == ADMIN_SCOPE_NONE)
			admin_problem(c, 401, "unauthorized", NULL, "authentication required");
		else
			admin_problem(c, 403, "forbidden", NULL,
				      "%s has read scope; %s %s needs write scope", req->actor->who,
				      req->method, path);
		return;
	}
	if (c->ctx->max_body && req->body_len > c->ctx->max_body) {
		admin_problem(c, 413, "too-large", NULL,
			      "the body has %zu bytes; at most %zu are accepted (admin-max-body)",
			      req->body_len, c->ctx->max_body);
		return;
	}
	if (c->route->body == ADMIN_BODY_NONE && req->body_len) {
		admin_problem(c, 400, "invalid-field", NULL, "%s %s takes no body", req->method,
			      path);
		return;
	}
	if (c->route->body == ADMIN_BODY_JSON) {
		json_error_t je;

		if (!media_is(req->content_type, "application/json")) {
			admin_problem(c, 415, "unsupported-media-type", NULL,
				      "the body must be application/json, not %s",
				      req->content_type ? req->content_type : "(none)");
			return;
		}
		c->body =
		    json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
		if (!c->body) {
			admin_problem(c, 400, "malformed-json", NULL,
				      "the body is not JSON: %s (line %d, column %d)", je.text,
				      je.line, je.column);
			return;
		}
		if (!json_is_object(c->body)) {
			admin_problem(c, 400, "malformed-json", "",
				      "the body must be a JSON object");
			return;
		}
	}
	c->route->fn(c);
	if (c->in_tx) /* a handler that forgot: nothing half-done is kept */
		admin_rollback(c);
	if (!c->answered)
		admin_problem(c, 500, "internal", NULL, "the request was not answered");
}

static int64_t clock_now(void)
{
	return (int64_t)time(NULL);
}

void admin_handle(struct admin_ctx *ctx, const struct admin_request *req,
		  struct admin_response *resp)
{
	struct admin_call c;

	memset(resp, 0, sizeof(*resp));
	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	c.req = req;
	c.resp = resp;
	c.now = ctx->now ? ctx->now() : clock_now();
	dispatch(&c);
	json_decref(c.body);
	/* HEAD: the GET's headers, no body */
	if (!strcmp(req->method, "HEAD")) {
		free(resp->body);
		resp->body = NULL;
		resp->body_len = 0;
	}
	/* If-None-Match on a GET: 304 when the representation is unchanged */
	if (resp->status == 200 && req->if_none_match && resp->etag[0] &&
	    (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD")) &&
	    (strstr(req->if_none_match, resp->etag) || !strcmp(req->if_none_match, "*"))) {
		free(resp->body);
		resp->body = NULL;
		resp->body_len = 0;
		resp->status = 304;
	}
}

void admin_response_clear(struct admin_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}
