/*
 * ctl_owner.c - sztpctl's `owner` commands, through the admin API
 * (admin/owners.c checks and stores the owner identity whose certificate
 * chain and private key sign conveyed information, RFC 8572 s3.2, s5.4).
 * `owner set` sends the chain file's PEM and the key file's absolute path:
 * the key stays on the server's disk (in local mode this machine's) and
 * sztpd reads it; the server refuses a key that is not safe or does not
 * belong to the chain, a chain that does not validate or cannot sign, and
 * a chain that stored vouchers do not pin unless --force.  `owner show`
 * and `owner list` flag certificates expiring within --expiring-within
 * DAYS (default 30).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

#define CHAIN_MAX (1024 * 1024)
#define PATH_LEN  (3 * REG_NAME_MAX + 16)

/* /owners/NAME (default "default"); --name checked as the server will. */
static sztp_rc owner_path(struct ctl *c, const char **name, char path[PATH_LEN], struct sztp_err *e)
{
	char seg[3 * REG_NAME_MAX];
	sztp_rc rc;

	*name = opt_get(c, "name") ? opt_get(c, "name") : "default";
	if ((rc = ctl_check_name("owner", *name, e)) != SZTP_OK)
		return rc;
	snprintf(path, PATH_LEN, "/owners/%s", ctl_seg(*name, seg, sizeof(seg)));
	return SZTP_OK;
}

/* The key's path as the server opens it: absolute (relative to here). */
static sztp_rc key_path(const char *key, char out[PATH_MAX], struct sztp_err *e)
{
	char cwd[PATH_MAX];

	if (key[0] == '/')
		return snprintf(out, PATH_MAX, "%s", key) < PATH_MAX
			   ? SZTP_OK
			   : sztp_err_set(e, SZTP_E_TOO_BIG, "key path %s is too long", key);
	if (!getcwd(cwd, sizeof(cwd)))
		return sztp_err_set(e, SZTP_E_IO, "cannot resolve key file %s: %m", key);
	if (snprintf(out, PATH_MAX, "%s/%s", cwd, key) >= PATH_MAX)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "key path %s/%s is too long", cwd, key);
	return SZTP_OK;
}

/* The API names its member "force"; sztpctl's option is --force. */
static void force_hint(struct sztp_err *e)
{
	static const char api[] = "(force overrides)";
	char *p = strstr(e->msg, api), buf[sizeof(e->msg)];

	if (!p)
		return;
	snprintf(buf, sizeof(buf), "%.*s(--force overrides)%s", (int)(p - e->msg), e->msg,
		 p + strlen(api));
	memcpy(e->msg, buf, sizeof(buf));
}

sztp_rc cmd_owner_set(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	const char *chain = opt_get(c, "chain"), *key = opt_get(c, "key"), *name;
	char path[PATH_LEN], abskey[PATH_MAX];
	sztp_bytes pem = {NULL, 0};
	json_t *body = json_object(), *w;
	struct ctl_resp r;
	size_t i;

	memset(&r, 0, sizeof(r));
	if (!chain || !key) {
		rc = sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				  "owner set needs --chain CHAIN.pem and --key KEY.pem");
		goto out;
	}
	if (!body || (rc = owner_path(c, &name, path, e)) != SZTP_OK ||
	    (rc = key_path(key, abskey, e)) != SZTP_OK ||
	    (rc = file_read(chain, CHAIN_MAX, &pem, e)) != SZTP_OK)
		goto out;
	if (json_object_set_new(body, "chain", json_stringn((char *)pem.data, pem.len)) ||
	    json_object_set_new(body, "key-path", json_string(abskey)) ||
	    (opt_has(c, "force") && json_object_set_new(body, "force", json_true())) ||
	    (opt_has(c, "strict") && json_object_set_new(body, "strict", json_true()))) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "%s or %s is not text", chain, abskey);
		goto out;
	}
	if ((rc = ctl_call(c, "PUT", path, NULL, body, &r, e)) != SZTP_OK) {
		force_hint(e);
		goto out;
	}
	json_array_foreach(json_object_get(r.json, "warnings"), i, w)
	    ctl_warn("%s%s", opt_has(c, "force") ? "--force: " : "", json_string_value(w));
	if (c->json)
		rc = ctl_print_json(r.json, e);
	else
		ctl_done(c, "owner identity '%s' set: %zu certificate(s), key %s", name,
			 json_array_size(json_object_get(r.json, "chain")),
			 json_string_value(json_object_get(r.json, "key-path")));
out:
	ctl_resp_clear(&r);
	json_decref(body);
	sztp_bytes_free(&pem);
	return rc;
}

/* "expiring-within=D" of --expiring-within; *days its value. */
static sztp_rc within_query(struct ctl *c, long *days, char *q, size_t len, struct sztp_err *e)
{
	sztp_rc rc = ctl_expiry_days(c, days, e);

	snprintf(q, len, "expiring-within=%ld", *days);
	return rc;
}

static const char *str_of(json_t *o, const char *name, const char *none)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? s : none;
}

sztp_rc cmd_owner_show(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	const char *name;
	char path[PATH_LEN], q[64], human[96], buf[CTL_TEXT_MAX];
	struct ctl_resp r;
	time_t now = time(NULL);
	long days;
	size_t i;
	json_t *x;

	if ((rc = owner_path(c, &name, path, e)) != SZTP_OK ||
	    (rc = within_query(c, &days, q, sizeof(q), e)) != SZTP_OK ||
	    (rc = ctl_call(c, "GET", path, q, NULL, &r, e)) != SZTP_OK)
		return rc;
	if (c->json) {
		rc = ctl_print_json(r.json, e);
		goto out;
	}
	printf("owner: %s\nkey:   %s\nchain:\n", str_of(r.json, "name", ""),
	       ctl_text(str_of(r.json, "key-path", ""), buf));
	json_array_foreach(json_object_get(r.json, "chain"), i, x)
	{
		const char *na = str_of(x, "not-after", "-");
		time_t t = time_parse_rfc3339(na);

		human[0] = '\0';
		if (strcmp(str_of(x, "expiry", "ok"), "ok"))
			ctl_expiry_text(t > 0 ? t : 0, now, days, human, sizeof(human));
		printf("  [%zu] %s\n      valid %s .. %s%s%s\n", i, str_of(x, "subject", "?"),
		       str_of(x, "not-before", "-"), na, human[0] ? "  " : "", human);
	}
	printf("profiles:");
	json_array_foreach(json_object_get(r.json, "profiles"), i, x)
	    printf("%s%s", i ? ", " : " ", json_string_value(x));
	printf("%s\n", json_array_size(json_object_get(r.json, "profiles")) ? "" : " (none)");
out:
	ctl_resp_clear(&r);
	return rc;
}

static int collect_cb(json_t *item, void *arg)
{
	return json_array_append(arg, item) ? 1 : 0;
}

/* The certificate of an owner's chain that expires first. */
static json_t *first_expiring(json_t *owner)
{
	json_t *chain = json_object_get(owner, "chain"), *x, *first = NULL;
	size_t i;

	json_array_foreach(chain, i, x) if (!first || strcmp(str_of(x, "not-after", "~"),
							     str_of(first, "not-after", "~")) < 0)
	    first = x;
	return first;
}

sztp_rc cmd_owner_list(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	json_t *items = json_array(), *x, *first;
	char q[64], buf[CTL_TEXT_MAX];
	long days;
	size_t i;

	if (!items)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if ((rc = within_query(c, &days, q, sizeof(q), e)) != SZTP_OK ||
	    (rc = ctl_list_all(c, "/owners", q, collect_cb, items, e)) != SZTP_OK)
		goto out;
	if (c->json) {
		rc = ctl_print_json(items, e);
		goto out;
	}
	printf("%-20s %-5s %-20s %-9s %-8s %s\n", "NAME", "CERTS", "FIRST-EXPIRY", "EXPIRY",
	       "PROFILES", "KEY");
	json_array_foreach(items, i, x)
	{
		first = first_expiring(x);
		printf("%-20s %-5zu %-20s %-9s %-8zu %s\n", str_of(x, "name", ""),
		       json_array_size(json_object_get(x, "chain")),
		       str_of(first, "not-after", "-"), str_of(first, "expiry", "-"),
		       json_array_size(json_object_get(x, "profiles")),
		       ctl_text(str_of(x, "key-path", ""), buf));
	}
out:
	json_decref(items);
	return rc;
}
