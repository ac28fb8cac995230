/*
 * ctl_voucher.c - sztpctl's `voucher` commands over the admin API
 * (admin/vouchers.c checks and stores an ownership voucher: RFC 8366, as
 * RFC 8572 s3.3 uses it): attach reads the voucher file here and sends it
 * as supplied, show prints the voucher-summary, detach removes it.  The
 * MASA anchor is --masa-ca or $SZTP_MASA_CA: in local mode the admin
 * context's, with --server sent along with the voucher.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ctl.h"
#include "util.h"
#include "voucher.h"

#define VOUCHER_MAX (256 * 1024)
#define PEM_MAX	    (64 * 1024)
#define CMS_TYPE    "application/pkcs7-mime"

/* ---- what the commands share ------------------------------------------------- */

void ctl_warnings(json_t *answer)
{
	size_t i;
	json_t *w;

	json_array_foreach(json_object_get(answer, "warnings"), i, w)
	{
		ctl_warn("%s", json_string_value(w) ? json_string_value(w) : "?");
	}
}

sztp_rc ctl_voucher_anchor(struct ctl *c, char **pem, struct sztp_err *e)
{
	const struct pki_trust *t;
	const char *path = opt_get(c, "masa-ca");
	sztp_bytes b = {NULL, 0};
	sztp_rc rc;

	*pem = NULL;
	if (!c->server)
		return ctl_masa(c, 1, &t, e);
	if (!path)
		path = getenv("SZTP_MASA_CA");
	if (!path || !*path)
		return SZTP_OK; /* the server's own */
	if ((rc = file_read(path, PEM_MAX, &b, e)) == SZTP_OK)
		*pem = (char *)b.data; /* NUL-terminated */
	return rc;
}

sztp_rc ctl_voucher_file(const char *path, char **b64, struct sztp_err *e)
{
	sztp_bytes b = {NULL, 0};
	sztp_rc rc;

	*b64 = NULL;
	if ((rc = file_read(path, VOUCHER_MAX, &b, e)) == SZTP_OK)
		rc = b64_encode(b.data, b.len, b64, e);
	sztp_bytes_free(&b);
	return rc;
}

/* expires-on of a voucher-summary as unix time (0: never). */
static int64_t summary_expires(json_t *sum)
{
	const char *s = json_string_value(json_object_get(sum, "expires-on"));
	time_t t;

	if (!s || !strcmp(s, "never") || (t = time_parse_rfc3339(s)) < 0)
		return 0;
	return (int64_t)t;
}

void ctl_voucher_print(json_t *sum, long days)
{
	char human[96], buf[CTL_TEXT_MAX];
	const char *key;
	json_t *val;

	json_object_foreach(sum, key, val)
	{
		if (!strcmp(key, "days-left") || !strcmp(key, "content") ||
		    !strcmp(key, "warnings"))
			continue;
		if (!strcmp(key, "expiry"))
			printf("  %-19s %s\n", key,
			       ctl_expiry_text(summary_expires(sum), time(NULL), days, human,
					       sizeof(human)));
		else if (json_is_string(val))
			printf("  %-19s %s\n", key, ctl_text(json_string_value(val), buf));
		else
			printf("  %-19s %lld\n", key, (long long)json_integer_value(val));
	}
}

static const char *voucher_path(const char *serial, char *path, size_t len)
{
	char seg[4 * PKI_SERIAL_MAX];

	snprintf(path, len, "/devices/%s/voucher", ctl_seg(serial, seg, sizeof(seg)));
	return path;
}

/* GET or DELETE the voucher of the command's device. */
static sztp_rc voucher_call(struct ctl *c, const char *method, const char *query,
			    struct ctl_resp *r, struct sztp_err *e)
{
	char path[4 * PKI_SERIAL_MAX + 32];

	return ctl_call(c, method, voucher_path(c->pos[0], path, sizeof(path)), query, NULL, r, e);
}

/* ---- the commands ------------------------------------------------------------ */

/* With an anchor PEM to send: JSON {"voucher", "masa-ca"}; else the CMS
 * itself, checked against the anchor of the admin context. */
static sztp_rc attach_call(struct ctl *c, const char *path, const char *file, struct ctl_resp *r,
			   struct sztp_err *e)
{
	sztp_rc rc;
	sztp_bytes b = {NULL, 0};
	char *pem = NULL, *b64 = NULL;
	json_t *body = NULL;

	memset(r, 0, sizeof(*r));
	if ((rc = ctl_voucher_anchor(c, &pem, e)) != SZTP_OK)
		goto out;
	if (pem) {
		if ((rc = ctl_voucher_file(file, &b64, e)) != SZTP_OK)
			goto out;
		if (!(body = json_pack("{s:s, s:s}", "voucher", b64, "masa-ca", pem))) {
			rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
			goto out;
		}
		rc = ctl_call(c, "PUT", path, NULL, body, r, e);
	} else if ((rc = file_read(file, VOUCHER_MAX, &b, e)) == SZTP_OK) {
		rc = ctl_call_raw(c, "PUT", path, NULL, CMS_TYPE, b.data, b.len, r, e);
	}
out:
	json_decref(body);
	sztp_bytes_free(&b);
	free(b64);
	free(pem);
	return rc;
}

sztp_rc cmd_voucher_attach(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct ctl_resp r;
	char path[4 * PKI_SERIAL_MAX + 32];

	voucher_path(c->pos[0], path, sizeof(path));
	if ((rc = attach_call(c, path, c->pos[1], &r, e)) != SZTP_OK)
		return rc;
	ctl_warnings(r.json);
	if (c->json)
		rc = ctl_print_json(r.json, e);
	else /* 201: it had none */
		ctl_done(c, "voucher %s for %s (%lld bytes)",
			 r.status == 201 ? "attached" : "replaced", c->pos[0],
			 (long long)json_integer_value(json_object_get(r.json, "bytes")));
	ctl_resp_clear(&r);
	return rc;
}

sztp_rc cmd_voucher_show(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct ctl_resp r;
	long days = 0;
	char query[48], *txt;
	json_t *content;

	if ((rc = ctl_expiry_days(c, &days, e)) != SZTP_OK)
		return rc;
	snprintf(query, sizeof(query), "expiring-within=%ld", days);
	if ((rc = voucher_call(c, "GET", query, &r, e)) != SZTP_OK)
		return rc;
	if (c->json) {
		rc = ctl_print_json(r.json, e);
	} else {
		printf("voucher of %s:\n", c->pos[0]);
		ctl_voucher_print(r.json, days);
		content = json_object_get(r.json, "content");
		if (content && (txt = json_dumps(content, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
			printf("%s\n", txt);
			free(txt);
		}
	}
	ctl_resp_clear(&r);
	return rc;
}

sztp_rc cmd_voucher_detach(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct ctl_resp r;

	if ((rc = voucher_call(c, "DELETE", NULL, &r, e)) != SZTP_OK)
		return rc;
	ctl_done(c, "voucher of %s detached", c->pos[0]);
	ctl_resp_clear(&r);
	return SZTP_OK;
}
