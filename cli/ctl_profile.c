/*
 * ctl_profile.c - sztpctl's `profile` commands, through the admin API
 * (admin/profiles.c builds the onboarding or redirect information of RFC
 * 8572 s2.2/s6.3, validates it against ietf-sztp-conveyed-info and stores
 * it).  Here the local files the options name are read and their contents
 * sent: configuration and scripts as base64, the boot image hashed with
 * SHA-256 (the image itself never leaves this machine), redirect trust
 * anchors as PEM (the server makes the certs-only CMS).  list, show and
 * remove print what the API answers; --json prints its JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conveyed.h"
#include "ctl.h"
#include "util.h"

#define BLOB_MAX    (8 * 1024 * 1024)
#define ANCHOR_MAX  (1024 * 1024)
#define MAX_SERVERS 64
#define MAX_URIS    64

/* obj[name] = v; JSON carries text only, so invalid UTF-8 is refused
 * naming the option it came from. */
static sztp_rc set_text(json_t *obj, const char *name, const char *v, const char *opt,
			struct sztp_err *e)
{
	if (json_object_set_new(obj, name, json_string(v)))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "%s '%s' is not valid UTF-8 text", opt,
				    v);
	return SZTP_OK;
}

/* --lenient NAME,... (checked here, sent in bit order) or --strict (the
 * same as --lenient ''): without either the profile keeps its list (none
 * for a new one: strict). */
static sztp_rc lenient_opts(struct ctl *c, json_t *body, struct sztp_err *e)
{
	const char *list = opt_get(c, "lenient");
	struct sztp_err le = {SZTP_OK, ""};
	json_t *arr;
	unsigned bits, bit;
	sztp_rc rc;

	if (list && opt_has(c, "strict"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --lenient or --strict, not both");
	if (!list && !opt_has(c, "strict"))
		return SZTP_OK;
	if ((rc = reg_lenient_parse(list ? list : "", &bits, &le)) != SZTP_OK)
		return sztp_err_set(e, rc, "--lenient: %s", le.msg);
	if (!(arr = json_array()))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	for (bit = 1; bit & REG_LENIENT_ALL; bit <<= 1)
		if ((bits & bit) && json_array_append_new(arr, json_string(reg_lenient_name(bit))))
			rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if (rc == SZTP_OK && json_object_set_new(body, "lenient", arr))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if (rc != SZTP_OK)
		json_decref(arr);
	return rc;
}

/* A profile answer's lenient list as "a,b" in buf ("" for none). */
static void lenient_text(json_t *profile, char *buf, size_t size)
{
	json_t *x;
	size_t i, len = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(profile, "lenient"), i, x)
	{
		int n = snprintf(buf + len, size - len, "%s%s", len ? "," : "",
				 json_string_value(x) ? json_string_value(x) : "?");
		if (n < 0 || (size_t)n >= size - len)
			return;
		len += (size_t)n;
	}
}

/* kind, and --sign, --reporting, --owner, --pin-idevid / --no-pin-idevid
 * (without either the profile keeps its setting, off for a new one),
 * --lenient / --strict. */
static sztp_rc policy_opts(struct ctl *c, const char *kind, json_t *body, struct sztp_err *e)
{
	static const char *const opts[] = {"sign", "reporting", "owner"};
	int yes = opt_has(c, "pin-idevid"), no = opt_has(c, "no-pin-idevid");
	const char *owner = opt_get(c, "owner");
	sztp_rc rc = SZTP_OK;
	size_t i;

	if ((rc = ctl_check_name("profile", c->pos[0], e)) != SZTP_OK ||
	    (owner && (rc = ctl_check_name("owner", owner, e)) != SZTP_OK))
		return rc;
	if (yes && no)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --pin-idevid or --no-pin-idevid, not both");
	rc = set_text(body, "kind", kind, "kind", e);
	for (i = 0; rc == SZTP_OK && i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opt_get(c, opts[i]))
			rc = set_text(body, opts[i], opt_get(c, opts[i]), opts[i], e);
	if (rc == SZTP_OK && (yes || no))
		json_object_set_new(body, "pin-idevid", json_boolean(yes));
	if (rc == SZTP_OK)
		rc = lenient_opts(c, body, e);
	return rc;
}

/* The file an option names, base64, as body[member]. */
static sztp_rc blob_opt(struct ctl *c, const char *opt, const char *member, json_t *body,
			struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	const char *path = opt_get(c, opt);
	sztp_bytes b = {NULL, 0};
	char *s = NULL;

	if (!path)
		return SZTP_OK;
	if ((rc = file_read(path, BLOB_MAX, &b, e)) == SZTP_OK &&
	    (rc = b64_encode(b.data, b.len, &s, e)) == SZTP_OK)
		rc = set_text(body, member, s, opt, e);
	free(s);
	sztp_bytes_free(&b);
	return rc;
}

/* boot-image: --image-name, --image-version, --image-uri ..., and the
 * SHA-256 of --image-file computed here. */
static sztp_rc image_opts(struct ctl *c, json_t *body, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	const char *file = opt_get(c, "image-file"), *uris[MAX_URIS + 1];
	size_t n = opt_all(c, "image-uri", uris, MAX_URIS + 1), i;
	json_t *img = json_object(), *list = json_array();
	uint8_t digest[32];
	char hex[3 * 32];

	if (!img || !list)
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	else if (n > MAX_URIS)
		rc = sztp_err_set(e, SZTP_E_TOO_BIG, "more than %d --image-uri", MAX_URIS);
	else if (file && n == 0)
		rc = sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				  "--image-file needs at least one --image-uri the device "
				  "downloads the image from");
	if (rc == SZTP_OK && opt_get(c, "image-name"))
		rc = set_text(img, "os-name", opt_get(c, "image-name"), "--image-name", e);
	if (rc == SZTP_OK && opt_get(c, "image-version"))
		rc = set_text(img, "os-version", opt_get(c, "image-version"), "--image-version", e);
	for (i = 0; rc == SZTP_OK && i < n; i++)
		if (json_array_append_new(list, json_string(uris[i])))
			rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
					  "--image-uri '%s' is not valid UTF-8 text", uris[i]);
	if (rc == SZTP_OK && n)
		json_object_set(img, "download-uri", list);
	if (rc == SZTP_OK && file && (rc = sha256_file(file, digest, e)) == SZTP_OK) {
		hex_colon(digest, sizeof(digest), hex);
		json_object_set_new(img, "image-verification",
				    json_pack("[{s:s, s:s}]", "hash-algorithm",
					      CONVEYED_MOD ":sha-256", "hash-value", hex));
	}
	if (rc == SZTP_OK && json_object_size(img))
		json_object_set(body, "boot-image", img);
	json_decref(list);
	json_decref(img);
	return rc;
}

static void print_warnings(json_t *answer, const char *prefix)
{
	size_t i;
	json_t *w;

	json_array_foreach(json_object_get(answer, "warnings"), i, w)
	    ctl_warn("%s%s", prefix, json_string_value(w));
}

/* One call on the profile NAME names (body NULL: none). */
static sztp_rc profile_call(struct ctl *c, const char *method, json_t *body, struct ctl_resp *r,
			    struct sztp_err *e)
{
	char seg[3 * REG_NAME_MAX], path[3 * REG_NAME_MAX + 16];

	memset(r, 0, sizeof(*r));
	if (strlen(c->pos[0]) >= REG_NAME_MAX)
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "no profile named '%s'", c->pos[0]);
	snprintf(path, sizeof(path), "/profiles/%s", ctl_seg(c->pos[0], seg, sizeof(seg)));
	return ctl_call(c, method, path, NULL, body, r, e);
}

/* PUT the profile and say what became of it. */
static sztp_rc profile_put(struct ctl *c, json_t *body, struct sztp_err *e)
{
	sztp_rc rc;
	struct ctl_resp r;
	char *doc, len[REG_LENIENT_LIST_MAX];

	if ((rc = profile_call(c, "PUT", body, &r, e)) != SZTP_OK)
		return rc;
	print_warnings(r.json, "");
	if (c->json) {
		rc = ctl_print_json(r.json, e);
	} else {
		doc = json_dumps(json_object_get(r.json, "conveyed-information"),
				 JSON_COMPACT | JSON_PRESERVE_ORDER);
		lenient_text(r.json, len, sizeof(len));
		ctl_done(c, "profile %s %s (%s, %zu bytes of conveyed information%s%s%s)",
			 c->pos[0], r.status == 201 ? "created" : "replaced",
			 json_string_value(json_object_get(r.json, "kind")), doc ? strlen(doc) : 0,
			 json_is_true(json_object_get(r.json, "pin-idevid")) ? ", IDevID pinned"
									     : "",
			 len[0] ? ", lenient: " : "", len);
		free(doc);
	}
	ctl_resp_clear(&r);
	return rc;
}

sztp_rc cmd_profile_onboarding(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	const char *cfg = opt_get(c, "config"), *handling = opt_get(c, "config-handling");
	json_t *body = json_object();

	/* RFC 8572 s6.3: each of configuration and configuration-handling
	 * needs the other (the server refuses it too, in its members' terms) */
	if (!body)
		rc = sztp_err_set(e, rc, "out of memory");
	else if (handling && !cfg)
		rc = sztp_err_set(
		    e, SZTP_E_INVALID_VALUE,
		    "profile %s: --config-handling needs --config FILE (RFC 8572 s6.3)", c->pos[0]);
	else if (cfg && !handling)
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
				  "profile %s: --config needs --config-handling merge|replace (RFC "
				  "8572 s6.3)",
				  c->pos[0]);
	else if ((rc = policy_opts(c, "onboarding", body, e)) == SZTP_OK &&
		 (rc = image_opts(c, body, e)) == SZTP_OK &&
		 (!handling || (rc = set_text(body, "configuration-handling", handling,
					      "--config-handling", e)) == SZTP_OK) &&
		 (rc = blob_opt(c, "pre-script", "pre-configuration-script", body, e)) == SZTP_OK &&
		 (rc = blob_opt(c, "config", "configuration", body, e)) == SZTP_OK &&
		 (rc = blob_opt(c, "post-script", "post-configuration-script", body, e)) == SZTP_OK)
		rc = profile_put(c, body, e);
	json_decref(body);
	return rc;
}

/* --server HOST[:PORT][,TRUST_ANCHOR.pem]; IPv6 literals as [addr]:port
 * (a bare IPv6 address has no port).  Splits spec in place; *anchor is
 * NULL when absent. */
static sztp_rc parse_server(char *spec, struct conveyed_server *s, char **anchor,
			    struct sztp_err *e)
{
	char *host = spec, *rest, *port_s = NULL, *end, sep;
	size_t hl = strcspn(spec, ",");
	char *colon = memchr(spec, ':', hl);
	long port;

	memset(s, 0, sizeof(*s));
	*anchor = NULL;
	if (*spec == '[') {
		if (!(rest = strchr(spec, ']')))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "--server %s: missing ']' after the IPv6 address",
					    spec);
		*rest++ = '\0';
		host = spec + 1;
	} else if (colon && memchr(colon + 1, ':', hl - (size_t)(colon + 1 - spec))) {
		rest = spec + hl;
	} else {
		rest = spec + strcspn(spec, ":,");
	}
	sep = *rest;
	if (sep)
		*rest++ = '\0';
	if (sep == ':') {
		port_s = rest;
		if ((rest = strchr(rest, ',')) != NULL) {
			*rest++ = '\0';
			*anchor = rest;
		}
	} else if (sep == ',') {
		*anchor = rest;
	} else if (sep) {
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "--server %s: unexpected '%c' after the host", host, sep);
	}
	if (!*host)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "--server: empty host");
	if (*anchor && !**anchor)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "--server %s: empty trust anchor file after ','", host);
	if (port_s) {
		errno = 0;
		port = strtol(port_s, &end, 10);
		if (errno || end == port_s || *end || port < 1 || port > 65535)
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "--server %s: port '%s' is not 1..65535", host, port_s);
		s->port = (unsigned)port;
	}
	s->address = host;
	return SZTP_OK;
}

/* One --server as a bootstrap-server member: address, port, and the
 * trust anchor file's PEM text. */
static sztp_rc server_json(const char *spec, json_t *list, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	struct conveyed_server s;
	char *copy = strdup(spec), *anchor = NULL;
	json_t *x = json_object();
	sztp_bytes pem = {NULL, 0};

	if (!copy || !x) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	if ((rc = parse_server(copy, &s, &anchor, e)) != SZTP_OK ||
	    (rc = set_text(x, "address", s.address, "--server", e)) != SZTP_OK)
		goto out;
	if (s.port)
		json_object_set_new(x, "port", json_integer(s.port));
	if (anchor && (rc = file_read(anchor, ANCHOR_MAX, &pem, e)) == SZTP_OK &&
	    json_object_set_new(x, "trust-anchor-pem", json_stringn((char *)pem.data, pem.len)))
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "trust anchor %s is not PEM text", anchor);
	if (rc == SZTP_OK && json_array_append(list, x))
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
out:
	sztp_bytes_free(&pem);
	json_decref(x);
	free(copy);
	return rc;
}

sztp_rc cmd_profile_redirect(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	const char *specs[MAX_SERVERS + 1];
	size_t n = opt_all(c, "server", specs, MAX_SERVERS + 1), i;
	json_t *body = json_object(), *list = json_array();

	if (!body || !list)
		sztp_err_set(e, rc, "out of memory");
	else if (n == 0)
		rc = sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				  "profile redirect needs at least one --server HOST[:PORT]");
	else if (n > MAX_SERVERS)
		rc = sztp_err_set(e, SZTP_E_TOO_BIG, "more than %d --server", MAX_SERVERS);
	else
		rc = policy_opts(c, "redirect", body, e);
	for (i = 0; rc == SZTP_OK && i < n; i++)
		rc = server_json(specs[i], list, e);
	if (rc == SZTP_OK && json_object_set(body, "bootstrap-server", list))
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if (rc == SZTP_OK)
		rc = profile_put(c, body, e);
	json_decref(list);
	json_decref(body);
	return rc;
}

/* ---- list, show, remove ---------------------------------------------------- */

static int collect_cb(json_t *item, void *arg)
{
	return json_array_append(arg, item) ? 1 : 0;
}

static const char *str_of(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? s : "";
}

sztp_rc cmd_profile_list(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	json_t *items = json_array(), *x;
	size_t i;

	if (!items)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if ((rc = ctl_list_all(c, "/profiles", NULL, collect_cb, items, e)) != SZTP_OK)
		goto out;
	if (c->json) {
		rc = ctl_print_json(items, e);
		goto out;
	}
	printf("%-20s %-10s %-12s %-9s %-12s %s\n", "NAME", "KIND", "SIGN", "REPORTING", "OWNER",
	       "DEVICES");
	json_array_foreach(items, i, x)
	    printf("%-20s %-10s %-12s %-9s %-12s %lld\n", str_of(x, "name"), str_of(x, "kind"),
		   str_of(x, "sign"), str_of(x, "reporting"), str_of(x, "owner"),
		   (long long)json_integer_value(json_object_get(x, "devices")));
out:
	json_decref(items);
	return rc;
}

sztp_rc cmd_profile_show(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct ctl_resp r;
	char len[REG_LENIENT_LIST_MAX];

	if ((rc = profile_call(c, "GET", NULL, &r, e)) != SZTP_OK)
		return rc;
	if (c->json) {
		rc = ctl_print_json(r.json, e);
	} else if ((rc = ctl_print_json(json_object_get(r.json, "conveyed-information"), e)) ==
		   SZTP_OK) {
		lenient_text(r.json, len, sizeof(len));
		fprintf(stderr, "profile %s: %s, sign %s, reporting %s, owner %s%s, lenient %s\n",
			str_of(r.json, "name"), str_of(r.json, "kind"), str_of(r.json, "sign"),
			str_of(r.json, "reporting"), str_of(r.json, "owner"),
			json_is_true(json_object_get(r.json, "pin-idevid")) ? ", IDevID pinned"
									    : "",
			len[0] ? len : "none (strict)");
	}
	ctl_resp_clear(&r);
	return rc;
}

sztp_rc cmd_profile_remove(struct ctl *c, struct sztp_err *e)
{
	struct ctl_resp r;
	sztp_rc rc = profile_call(c, "DELETE", NULL, &r, e);

	if (rc == SZTP_OK)
		ctl_done(c, "profile %s removed", c->pos[0]);
	ctl_resp_clear(&r);
	return rc;
}
