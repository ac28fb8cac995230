/*
 * ctl_webhook.c - sztpctl's webhook subscriptions (the admin API's
 * /webhooks): sztpd POSTs the events of its outbox to each, over HTTPS,
 * signed with HMAC-SHA256 of the subscription's secret.  The secret comes
 * from a file (--secret-file, first line) or is made here
 * (--secret-generate: 32 random bytes as hex, printed this once); it never
 * comes back from the API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ctl.h"
#include "util.h"

#define SECRET_MAX 1025 /* the API takes up to 1024 bytes */
#define SECRET_GEN 32	/* random bytes of --secret-generate */
#define CA_MAX	   (1024 * 1024)

static const char *str(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static const char *webhook_path(const char *name, char *buf, size_t len)
{
	char seg[200];

	snprintf(buf, len, "/webhooks/%s", ctl_seg(name, seg, sizeof(seg)));
	return buf;
}

/* --types a,b -> ["a", "b"]; --all-types -> []. */
static sztp_rc types_opt(struct ctl *c, json_t *body, struct sztp_err *e)
{
	const char *t = opt_get(c, "types"), *p;
	json_t *a;

	if (t && opt_has(c, "all-types"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --types or --all-types, not both");
	if (!t && !opt_has(c, "all-types"))
		return SZTP_OK;
	if (!(a = json_array()) || json_object_set_new(body, "types", a))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	for (p = t ? t : ""; *p;) {
		size_t n = strcspn(p, ",");

		if (n && json_array_append_new(a, json_stringn(p, n)))
			return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		p += n + (p[n] == ',');
	}
	return SZTP_OK;
}

/* --secret-file F or --secret-generate into body; *generated the new
 * secret (to print once), "" when none was made. */
static sztp_rc secret_opt(struct ctl *c, json_t *body, char generated[2 * SECRET_GEN + 1],
			  struct sztp_err *e)
{
	const char *file = opt_get(c, "secret-file");
	uint8_t raw[SECRET_GEN];
	char buf[SECRET_MAX];
	sztp_rc rc = SZTP_OK;
	size_t i;

	generated[0] = '\0';
	buf[0] = '\0';
	if (file && opt_has(c, "secret-generate"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --secret-file or --secret-generate, not both");
	if (file) {
		if ((rc = ctl_read_password(file, buf, sizeof(buf), e)) == SZTP_OK &&
		    json_object_set_new(body, "secret", json_string(buf)))
			rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	} else if (opt_has(c, "secret-generate")) {
		if ((rc = crypto_random(raw, sizeof(raw), e)) != SZTP_OK)
			goto out;
		for (i = 0; i < sizeof(raw); i++)
			snprintf(generated + 2 * i, 3, "%02x", raw[i]);
		if (json_object_set_new(body, "secret", json_string(generated)))
			rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
out:
	crypto_wipe(raw, sizeof(raw));
	crypto_wipe(buf, sizeof(buf));
	return rc;
}

/* --ca-cert F (PEM) or --no-ca-cert (null: the system's store). */
static sztp_rc ca_opt(struct ctl *c, json_t *body, struct sztp_err *e)
{
	const char *file = opt_get(c, "ca-cert");
	sztp_bytes b = {NULL, 0};
	sztp_rc rc = SZTP_OK;

	if (file && opt_has(c, "no-ca-cert"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --ca-cert or --no-ca-cert, not both");
	if (opt_has(c, "no-ca-cert") && json_object_set_new(body, "ca-certificates", json_null()))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if (!file)
		return SZTP_OK;
	if ((rc = file_read(file, CA_MAX, &b, e)) != SZTP_OK)
		return rc;
	if (json_object_set_new(body, "ca-certificates", json_stringn((const char *)b.data, b.len)))
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "%s is not PEM text", file);
	sztp_bytes_free(&b);
	return rc;
}

/* The body of add and set from the options. */
static sztp_rc body_opts(struct ctl *c, json_t *body, char generated[2 * SECRET_GEN + 1],
			 struct sztp_err *e)
{
	const char *url = opt_get(c, "url");
	sztp_rc rc;

	generated[0] = '\0';
	if (opt_has(c, "enable") && opt_has(c, "disable"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --enable or --disable, not both");
	if ((url && json_object_set_new(body, "url", json_string(url))) ||
	    ((opt_has(c, "enable") || opt_has(c, "disable")) &&
	     json_object_set_new(body, "enabled", json_boolean(opt_has(c, "enable")))))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if ((rc = types_opt(c, body, e)) != SZTP_OK || (rc = ca_opt(c, body, e)) != SZTP_OK)
		return rc;
	return secret_opt(c, body, generated, e);
}

/* After add or set: the answer (--json, with the generated secret), or a
 * sentence; a generated secret printed once either way. */
static sztp_rc answered(struct ctl *c, struct ctl_resp *r, const char *what, const char *generated,
			struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;

	if (c->json) {
		if (generated[0])
			json_object_set_new(r->json, "secret", json_string(generated));
		rc = ctl_print_json(r->json, e);
	} else {
		if (generated[0])
			printf("%s\n", generated);
		ctl_done(c, "%s webhook '%s' (%s)", what, c->pos[0], str(r->json, "url"));
	}
	if (generated[0])
		fprintf(stderr,
			"sztpctl: note: the secret of webhook '%s' is shown this once: the "
			"receiver verifies X-SZTP-Signature with it\n",
			c->pos[0]);
	return rc;
}

/* add and set: the name checked, the options into body (NULL: out of
 * memory) */
static sztp_rc body_start(struct ctl *c, json_t *body, char *generated, struct sztp_err *e)
{
	sztp_rc rc;

	if (!body)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if ((rc = ctl_check_name("webhook", c->pos[0], e)) != SZTP_OK)
		return rc;
	return body_opts(c, body, generated, e);
}

/* webhook add NAME --url URL (--secret-file F | --secret-generate)
 * [--types T,T] [--ca-cert CA.pem] [--disable] */
sztp_rc cmd_webhook_add(struct ctl *c, struct sztp_err *e)
{
	char generated[2 * SECRET_GEN + 1] = "";
	struct ctl_resp r;
	json_t *body = json_object();
	sztp_rc rc;

	memset(&r, 0, sizeof(r));
	if ((rc = body_start(c, body, generated, e)) != SZTP_OK)
		goto out;
	if (!opt_get(c, "url") || (!opt_has(c, "secret-file") && !opt_has(c, "secret-generate"))) {
		rc = sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				  "webhook add needs --url https://... and --secret-file FILE or "
				  "--secret-generate");
		goto out;
	}
	if (json_object_set_new(body, "name", json_string(c->pos[0]))) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = ctl_call(c, "POST", "/webhooks", NULL, body, &r, e)) != SZTP_OK)
		goto out;
	rc = answered(c, &r, "added", generated, e);
out:
	crypto_wipe(generated, sizeof(generated));
	ctl_resp_clear(&r);
	json_decref(body);
	return rc;
}

/* webhook set NAME [--url] [--types | --all-types] [--secret-file |
 * --secret-generate] [--ca-cert | --no-ca-cert] [--enable | --disable] */
sztp_rc cmd_webhook_set(struct ctl *c, struct sztp_err *e)
{
	char generated[2 * SECRET_GEN + 1] = "", path[256];
	struct ctl_resp r;
	json_t *body = json_object();
	sztp_rc rc;

	memset(&r, 0, sizeof(r));
	if ((rc = body_start(c, body, generated, e)) != SZTP_OK)
		goto out;
	if (json_object_size(body) == 0) {
		rc = sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				  "nothing to change: give --url, --types, --all-types, "
				  "--secret-file, --secret-generate, --ca-cert, --no-ca-cert, "
				  "--enable or --disable");
		goto out;
	}
	if ((rc = ctl_call(c, "PATCH", webhook_path(c->pos[0], path, sizeof(path)), NULL, body, &r,
			   e)) != SZTP_OK)
		goto out;
	rc = answered(c, &r, "changed", generated, e);
out:
	crypto_wipe(generated, sizeof(generated));
	ctl_resp_clear(&r);
	json_decref(body);
	return rc;
}

/* "a,b", or "all" for [] */
static const char *types_text(json_t *types, char *buf, size_t len)
{
	json_t *t;
	size_t i, o = 0;

	if (!json_array_size(types))
		return "all";
	buf[0] = '\0';
	json_array_foreach(types, i, t)
	{
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
					      json_string_value(t));
	}
	return buf;
}

static long long state_int(json_t *w, const char *name)
{
	return (long long)json_integer_value(json_object_get(json_object_get(w, "state"), name));
}

static void webhook_row(json_t *w)
{
	char b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], t[512];

	printf("%-20s %-3s %8lld %9lld %6lld %5lld %-40s %s\n", ctl_text(str(w, "name"), b1),
	       json_is_true(json_object_get(w, "enabled")) ? "on" : "off", state_int(w, "backlog"),
	       state_int(w, "delivered"), state_int(w, "failed"), state_int(w, "dead"),
	       ctl_text(str(w, "url"), b2), types_text(json_object_get(w, "types"), t, sizeof(t)));
}

sztp_rc cmd_webhook_list(struct ctl *c, struct sztp_err *e)
{
	char h[200];

	snprintf(h, sizeof(h), "%-20s %-3s %8s %9s %6s %5s %-40s %s", "NAME", "ON", "BACKLOG",
		 "DELIVERED", "FAILED", "DEAD", "URL", "TYPES");
	return ctl_rows(c, "/webhooks", NULL, 0, 0, h, webhook_row, e);
}

sztp_rc cmd_webhook_show(struct ctl *c, struct sztp_err *e)
{
	static const char *const times[] = {"oldest-pending", "next-attempt", "last-success"};
	static const char *const counts[] = {"cursor",	  "backlog", "attempts",
					     "delivered", "failed",  "dead"};
	char path[256], b[CTL_TEXT_MAX], t[512];
	struct ctl_resp r;
	json_t *w, *st, *v;
	size_t i;
	sztp_rc rc;

	if ((rc = ctl_check_name("webhook", c->pos[0], e)) != SZTP_OK ||
	    (rc = ctl_call(c, "GET", webhook_path(c->pos[0], path, sizeof(path)), NULL, NULL, &r,
			   e)) != SZTP_OK)
		return rc;
	if (c->json) {
		rc = ctl_print_json(r.json, e);
		ctl_resp_clear(&r);
		return rc;
	}
	w = r.json;
	st = json_object_get(w, "state");
	printf("name            %s\n", ctl_text(str(w, "name"), b));
	printf("url             %s\n", ctl_text(str(w, "url"), b));
	printf("types           %s\n", types_text(json_object_get(w, "types"), t, sizeof(t)));
	printf("enabled         %s\n", json_is_true(json_object_get(w, "enabled")) ? "yes" : "no");
	printf("ca-certificates %s\n",
	       str(w, "ca-certificates") ? "given (PEM)" : "the system's trust store");
	printf("created         %s\n", str(w, "created") ? str(w, "created") : "-");
	printf("revision        %s\n", str(w, "revision") ? str(w, "revision") : "-");
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		printf("%-15s %lld\n", counts[i],
		       (long long)json_integer_value(json_object_get(st, counts[i])));
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		printf("%-15s %s\n", times[i], str(st, times[i]) ? str(st, times[i]) : "-");
	v = json_object_get(st, "last-status");
	if (json_is_integer(v))
		printf("last-status     %lld\n", (long long)json_integer_value(v));
	else
		printf("last-status     -\n");
	printf("last-error      %s\n",
	       str(st, "last-error") ? ctl_text(str(st, "last-error"), b) : "-");
	ctl_resp_clear(&r);
	return SZTP_OK;
}

sztp_rc cmd_webhook_remove(struct ctl *c, struct sztp_err *e)
{
	char path[256];
	struct ctl_resp r;
	sztp_rc rc;

	if ((rc = ctl_check_name("webhook", c->pos[0], e)) != SZTP_OK ||
	    (rc = ctl_call(c, "DELETE", webhook_path(c->pos[0], path, sizeof(path)), NULL, NULL, &r,
			   e)) != SZTP_OK)
		return rc;
	ctl_resp_clear(&r);
	ctl_done(c, "removed webhook '%s' and its dead letters", c->pos[0]);
	return SZTP_OK;
}
