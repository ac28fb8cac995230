/*
 * ctl_call.c - sztpctl's two transports to the admin API (admin/admin.h):
 * in-process through admin_handle on the local registry file, or with
 * --server over HTTPS to sztpd's admin listener (ctl_remote.c).  Both
 * send the same request and read the same answer, so a command does the
 * same thing, and prints the same, in either mode.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "ctl.h"
#include "yang.h"

void ctl_resp_clear(struct ctl_resp *r)
{
	if (!r)
		return;
	json_decref(r->json);
	sztp_bytes_free(&r->raw);
	memset(r, 0, sizeof(*r));
}

const char *ctl_seg(const char *s, char *buf, size_t len)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			buf[o++] = (char)ch;
		} else {
			buf[o++] = '%';
			buf[o++] = hx[ch >> 4];
			buf[o++] = hx[ch & 15];
		}
	}
	buf[o] = '\0';
	return buf;
}

sztp_rc ctl_print_json(json_t *j, struct sztp_err *e)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (!s)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	printf("%s\n", s);
	free(s);
	return SZTP_OK;
}

/* The admin context of local mode: the registry, YANG, the voucher anchor
 * of --masa-ca / $SZTP_MASA_CA, and "local:USER" as the audit's actor. */
static sztp_rc local_ctx(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	const struct pki_trust *masa = NULL;
	struct sztp_yang *y = NULL;

	if (c->admin)
		return SZTP_OK;
	if ((rc = ctl_open_db(c, e)) != SZTP_OK || (rc = ctl_yang(c, &y, e)) != SZTP_OK ||
	    (rc = ctl_masa(c, 0, &masa, e)) != SZTP_OK)
		return rc;
	if (!(c->admin = calloc(1, sizeof(*c->admin))))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	c->admin->reg = c->reg;
	c->admin->y = y;
	c->admin->masa = masa;
	snprintf(c->admin->masa_name, sizeof(c->admin->masa_name), "%s", c->masa_path);
	c->admin->password_cost = ctl_password_cost(c); /* sztpd's password-cost */
	return SZTP_OK;
}

void ctl_admin_close(struct ctl *c)
{
	free(c->admin);
	c->admin = NULL;
}

/* The problem's status as a result code, and its detail (with the field
 * at fault) as the message. */
static sztp_rc problem_rc(struct ctl_resp *r, struct sztp_err *e)
{
	const char *detail = json_string_value(json_object_get(r->json, "detail"));
	const char *field = json_string_value(json_object_get(r->json, "field"));
	const char *param = json_string_value(json_object_get(r->json, "parameter"));
	sztp_rc rc;

	switch (r->status) {
	case 400:
		rc = SZTP_E_INVALID_VALUE;
		break;
	case 401:
	case 403:
		rc = SZTP_E_AUTH;
		break;
	case 404:
		rc = SZTP_E_NOT_FOUND;
		break;
	case 405:
		rc = SZTP_E_METHOD;
		break;
	case 409:
		rc = SZTP_E_EXISTS;
		break;
	case 412:
		rc = SZTP_E_MISMATCH;
		break;
	case 413:
		rc = SZTP_E_TOO_BIG;
		break;
	case 415:
		rc = SZTP_E_MEDIA_TYPE;
		break;
	case 503:
		rc = SZTP_E_UNAVAILABLE;
		break;
	default:
		rc = SZTP_E_INTERNAL;
		break;
	}
	(void)field;
	(void)param;
	if (detail)
		sztp_err_set(e, rc, "%s", detail);
	else
		sztp_err_set(e, rc, "the admin API answered HTTP %d", r->status);
	return rc;
}

sztp_rc ctl_call_raw(struct ctl *c, const char *method, const char *path, const char *query,
		     const char *ctype, const void *body, size_t len, struct ctl_resp *r,
		     struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INTERNAL;
	char full[2048];

	memset(r, 0, sizeof(*r));
	snprintf(full, sizeof(full), "%s%s", ADMIN_PREFIX, path);
	if (c->server) {
		rc = ctl_remote(c, method, full, query, ctype, body, len, r, e);
		if (rc != SZTP_OK)
			goto out;
	} else {
		struct admin_actor actor;
		struct admin_request req;
		struct admin_response resp;
		struct passwd *pw = getpwuid(getuid());

		if ((rc = local_ctx(c, e)) != SZTP_OK)
			goto out;
		memset(&actor, 0, sizeof(actor));
		snprintf(actor.who, sizeof(actor.who), "local:%s", pw ? pw->pw_name : "?");
		actor.scope = ADMIN_SCOPE_WRITE;
		memset(&req, 0, sizeof(req));
		req.method = method;
		req.path = full;
		req.query = query;
		req.content_type = ctype;
		req.body = body;
		req.body_len = len;
		req.actor = &actor;
		admin_handle(c->admin, &req, &resp);
		r->status = resp.status;
		r->raw.data = (uint8_t *)resp.body;
		r->raw.len = resp.body_len;
		resp.body = NULL;
		snprintf(r->etag, sizeof(r->etag), "%s", resp.etag);
		snprintf(r->location, sizeof(r->location), "%s", resp.location);
		admin_response_clear(&resp);
	}
	if (r->raw.len && (r->raw.data[0] == '{' || r->raw.data[0] == '['))
		r->json = json_loadb((const char *)r->raw.data, r->raw.len, 0, NULL);
	if (r->status >= 200 && r->status < 300)
		return SZTP_OK;
	if (r->status == 304)
		return SZTP_OK;
	rc = problem_rc(r, e);
out:
	ctl_resp_clear(r);
	return rc;
}

sztp_rc ctl_call(struct ctl *c, const char *method, const char *path, const char *query,
		 json_t *body, struct ctl_resp *r, struct sztp_err *e)
{
	sztp_rc rc;
	char *s = NULL;

	if (body && !(s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
		memset(r, 0, sizeof(*r));
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	rc = ctl_call_raw(c, method, path, query, body ? "application/json" : NULL, s,
			  s ? strlen(s) : 0, r, e);
	free(s);
	return rc;
}

sztp_rc ctl_list_all(struct ctl *c, const char *path, const char *query, ctl_item_cb cb, void *arg,
		     struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	char q[4096], cur[1024] = "";
	struct ctl_resp r;
	size_t i;
	json_t *item;

	for (;;) {
		const char *next;

		snprintf(q, sizeof(q), "limit=1000%s%s%s%s", query && *query ? "&" : "",
			 query ? query : "", cur[0] ? "&cursor=" : "", cur);
		if ((rc = ctl_call(c, "GET", path, q, NULL, &r, e)) != SZTP_OK)
			return rc;
		json_array_foreach(json_object_get(r.json, "items"), i, item)
		{
			if (cb(item, arg)) {
				ctl_resp_clear(&r);
				return SZTP_OK;
			}
		}
		next = json_string_value(json_object_get(r.json, "next-cursor"));
		if (!next || strlen(next) >= sizeof(cur)) {
			ctl_resp_clear(&r);
			return SZTP_OK;
		}
		snprintf(cur, sizeof(cur), "%s", next);
		ctl_resp_clear(&r);
	}
}
