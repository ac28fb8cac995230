/*
 * ctl_profile.c - sztpctl's `profile` commands: build onboarding and
 * redirect information (RFC 8572 s2.2, s6.3) from local files with
 * conveyed.c, validate every document against ietf-sztp-conveyed-info
 * before it is stored (so e.g. configuration-handling without
 * configuration never reaches a device), and list, show and remove
 * profiles.  Redirect trust anchors become certs-only CMS (s6.3
 * trust-anchor); boot images get a sha-256 image-verification computed
 * from the local file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cms.h"
#include "conveyed.h"
#include "ctl.h"
#include "util.h"
#include "yang.h"

#define BLOB_MAX    (8 * 1024 * 1024)
#define MAX_SERVERS 64
#define MAX_URIS    64

static const char *const sign_names[] = {"if-requested", "always", "never"};
static const char *const report_names[] = {"minimal", "verbose"};

static sztp_rc parse_enum(const char *opt, const char *v, const char *const *names, int n, int *out,
			  struct sztp_err *e)
{
	int i;

	if (!v)
		return SZTP_OK;
	for (i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return SZTP_OK;
		}
	return sztp_err_set(e, SZTP_E_INVALID_VALUE, "--%s: '%s' is not one of %s|%s%s%s", opt, v,
			    names[0], names[1], n > 2 ? "|" : "", n > 2 ? names[2] : "");
}

/* Fill the fields common to both kinds from --sign, --reporting, --owner. */
static sztp_rc profile_head(struct ctl *c, enum reg_kind kind, struct reg_profile *p,
			    struct sztp_err *e)
{
	sztp_rc rc;
	int sign = REG_SIGN_IF_REQUESTED, rep = REG_REPORT_MINIMAL;
	const char *owner = opt_get(c, "owner");

	memset(p, 0, sizeof(*p));
	if ((rc = ctl_check_name("profile", c->pos[0], e)) != SZTP_OK ||
	    (owner && (rc = ctl_check_name("owner", owner, e)) != SZTP_OK) ||
	    (rc = parse_enum("sign", opt_get(c, "sign"), sign_names, 3, &sign, e)) != SZTP_OK ||
	    (rc = parse_enum("reporting", opt_get(c, "reporting"), report_names, 2, &rep, e)) !=
		SZTP_OK)
		return rc;
	snprintf(p->name, sizeof(p->name), "%s", c->pos[0]);
	snprintf(p->owner, sizeof(p->owner), "%s", owner ? owner : "default");
	p->kind = kind;
	p->sign = (enum reg_sign)sign;
	p->reporting = (enum reg_reporting)rep;
	return SZTP_OK;
}

/* A profile moving to another owner: the vouchers of its devices must pin
 * the new owner (RFC 8572 s5.4), or its devices could trust nothing they
 * are sent. */
struct owner_check {
	struct ctl *c;
	const char *profile, *owner;
	const struct reg_owner *o; /* read once for all the devices */
	size_t bad;
	struct sztp_err first;
};

static int owner_check_cb(const struct reg_device *d, void *arg)
{
	struct owner_check *k = arg;
	struct sztp_err e = {SZTP_OK, ""};

	if (strcmp(d->profile, k->profile) || !d->voucher.len)
		return 0;
	if (ctl_voucher_recheck_owner(k->c, d, k->owner, k->o, &e) != SZTP_OK && k->bad++ == 0)
		k->first = e;
	return 0;
}

static sztp_rc check_owner_change(struct ctl *c, const struct reg_profile *p, struct sztp_err *e)
{
	struct owner_check k = {c, p->name, p->owner, NULL, 0, {SZTP_OK, ""}};
	struct reg_owner o;
	sztp_rc rc;

	memset(&o, 0, sizeof(o));
	if (reg_owner_get(c->reg, p->owner, &o, NULL) != SZTP_OK)
		return SZTP_OK; /* not set yet: warned about above */
	k.o = &o;
	rc = reg_device_list(c->reg, owner_check_cb, &k, e);
	if (rc == SZTP_OK && k.bad)
		rc = sztp_err_set(e, SZTP_E_MISMATCH,
				  "profile %s cannot move to owner '%s': %zu of its devices hold "
				  "vouchers that do not pin it; first: %s",
				  p->name, p->owner, k.bad, k.first.msg);
	reg_owner_clear(&o);
	return rc;
}

/* The must/when conditions of ietf-sztp-conveyed-info the profile
 * commands can violate, as the command-line options that satisfy them. */
static const struct {
	const char *xpath; /* as libyang quotes it in "Must condition \"...\"" */
	const char *advice;
} yang_advice[] = {
    {"\"../configuration-handling\"", "--config needs --config-handling merge|replace"},
    {"\"../configuration\"", "--config-handling needs --config FILE"},
    {"\"../download-uri\"", "--image-file needs at least one --image-uri URI"},
};

/* The advice for a libyang must/when failure in msg, or NULL. */
static const char *advice_for(const char *msg)
{
	size_t i;

	if (!strstr(msg, "Must condition") && !strstr(msg, "When condition"))
		return NULL;
	for (i = 0; i < sizeof(yang_advice) / sizeof(yang_advice[0]); i++)
		if (strstr(msg, yang_advice[i].xpath))
			return yang_advice[i].advice;
	return NULL;
}

/* Validate (RFC 8572 s6.3 schema) and store; takes ownership of json. */
/* --pin-idevid / --no-pin-idevid (issue 9): set on the stored profile;
 * without either the profile keeps its setting (off for a new one).
 * *on: the setting now. */
static sztp_rc pin_opt(struct ctl *c, const char *name, int *on, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	int yes = opt_has(c, "pin-idevid"), no = opt_has(c, "no-pin-idevid");

	*on = 0;
	if (yes && no)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --pin-idevid or --no-pin-idevid, not both");
	if ((yes || no) && (rc = reg_profile_pin_set(c->reg, name, yes, e)) != SZTP_OK)
		return rc;
	return reg_profile_pin_get(c->reg, name, on, e);
}

static sztp_rc profile_store(struct ctl *c, struct reg_profile *p, char *json, struct sztp_err *e)
{
	sztp_rc rc;
	struct sztp_yang *y;
	struct sztp_err ve = {SZTP_OK, ""};
	struct reg_profile old;
	int existed, pin = 0;

	memset(&old, 0, sizeof(old));
	p->conveyed_json = json;
	if ((rc = ctl_yang(c, &y, e)) != SZTP_OK)
		goto out;
	if ((rc = yang_conveyed_validate(y, YANG_ENC_JSON, json, strlen(json), &ve)) != SZTP_OK) {
		if (advice_for(ve.msg))
			sztp_err_set(e, rc, "profile %s: %s (RFC 8572 s6.3)", p->name,
				     advice_for(ve.msg));
		else
			sztp_err_set(e, rc, "profile %s is not valid conveyed information: %s",
				     p->name, ve.msg);
		goto out;
	}
	if (p->sign != REG_SIGN_NEVER) {
		struct reg_owner o;
		memset(&o, 0, sizeof(o));
		if (reg_owner_get(c->reg, p->owner, &o, NULL) == SZTP_E_NOT_FOUND)
			ctl_warn("owner identity '%s' is not set yet: sztpd cannot sign profile "
				 "%s until 'sztpctl owner set --name %s'",
				 p->owner, p->name, p->owner);
		reg_owner_clear(&o);
	}
	existed = reg_profile_get(c->reg, p->name, &old, NULL) == SZTP_OK;
	if (existed && strcmp(old.owner, p->owner) && (rc = check_owner_change(c, p, e)) != SZTP_OK)
		goto out;
	if (existed && old.kind != p->kind)
		ctl_warn("profile %s changes from %s to %s", p->name,
			 old.kind == REG_KIND_REDIRECT ? "redirect" : "onboarding",
			 p->kind == REG_KIND_REDIRECT ? "redirect" : "onboarding");
	if ((rc = reg_profile_put(c->reg, p, e)) != SZTP_OK ||
	    (rc = pin_opt(c, p->name, &pin, e)) != SZTP_OK)
		goto out;
	ctl_done(c, "profile %s %s (%s, %zu bytes of conveyed information%s)", p->name,
		 existed ? "replaced" : "created",
		 p->kind == REG_KIND_REDIRECT ? "redirect" : "onboarding", strlen(json),
		 pin ? ", IDevID pinned" : "");
out:
	reg_profile_clear(&old);
	free(json);
	p->conveyed_json = NULL;
	return rc;
}

/* Read an optional file option into b; *set = &b when given. */
static sztp_rc blob_opt(struct ctl *c, const char *opt, sztp_bytes *b, const sztp_bytes **set,
			struct sztp_err *e)
{
	const char *path = opt_get(c, opt);

	*set = NULL;
	if (!path)
		return SZTP_OK;
	if (file_read(path, BLOB_MAX, b, e) != SZTP_OK)
		return e ? e->rc : SZTP_E_IO;
	*set = b;
	return SZTP_OK;
}

static sztp_rc image_opts(struct ctl *c, struct conveyed_image *im, const char **uris,
			  uint8_t digest[32], int *have, struct sztp_err *e)
{
	sztp_rc rc;
	const char *file = opt_get(c, "image-file");

	memset(im, 0, sizeof(*im));
	im->os_name = opt_get(c, "image-name");
	im->os_version = opt_get(c, "image-version");
	im->n_uris = opt_all(c, "image-uri", uris, MAX_URIS);
	im->uris = uris;
	*have = im->os_name || im->os_version || im->n_uris || file;
	if (opt_all(c, "image-uri", uris, MAX_URIS + 1) > MAX_URIS)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "more than %d --image-uri", MAX_URIS);
	if (file && im->n_uris == 0)
		return sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				    "--image-file needs at least one --image-uri the device "
				    "downloads the image from");
	if (file) {
		if ((rc = sha256_file(file, digest, e)) != SZTP_OK)
			return rc;
		im->sha256 = digest;
	}
	return SZTP_OK;
}

sztp_rc cmd_profile_onboarding(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct reg_profile p;
	struct conveyed_onboarding o;
	struct conveyed_image im;
	const char *uris[MAX_URIS + 1];
	uint8_t digest[32];
	sztp_bytes cfg = {NULL, 0}, pre = {NULL, 0}, post = {NULL, 0};
	char *json = NULL;
	int have_image;

	memset(&o, 0, sizeof(o));
	if ((rc = profile_head(c, REG_KIND_ONBOARDING, &p, e)) != SZTP_OK ||
	    (rc = image_opts(c, &im, uris, digest, &have_image, e)) != SZTP_OK ||
	    (rc = blob_opt(c, "config", &cfg, &o.config, e)) != SZTP_OK ||
	    (rc = blob_opt(c, "pre-script", &pre, &o.pre_script, e)) != SZTP_OK ||
	    (rc = blob_opt(c, "post-script", &post, &o.post_script, e)) != SZTP_OK)
		goto out;
	o.image = have_image ? &im : NULL;
	o.config_handling = opt_get(c, "config-handling");
	if (o.config_handling && strcmp(o.config_handling, "merge") != 0 &&
	    strcmp(o.config_handling, "replace") != 0) {
		rc =
		    sztp_err_set(e, SZTP_E_INVALID_VALUE,
				 "--config-handling: '%s' is not merge|replace", o.config_handling);
		goto out;
	}
	if ((rc = conveyed_onboarding_json(&o, &json, e)) != SZTP_OK)
		goto out;
	rc = profile_store(c, &p, json, e);
	json = NULL;
out:
	free(json);
	sztp_bytes_free(&cfg);
	sztp_bytes_free(&pre);
	sztp_bytes_free(&post);
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

/* A PEM chain as a certs-only CMS (RFC 8572 s6.3 trust-anchor). */
static sztp_rc anchor_cms(const char *path, sztp_bytes *out, struct sztp_err *e)
{
	sztp_rc rc;
	sztp_bytes *certs = NULL;
	size_t n = 0;

	if ((rc = pki_pem_certs_read(path, &certs, &n, e)) != SZTP_OK)
		return rc;
	if (n == 0)
		rc =
		    sztp_err_set(e, SZTP_E_MALFORMED, "trust anchor %s holds no certificate", path);
	else
		rc = cms_certs_only(certs, n, out, e);
	pki_certs_free(certs, n);
	return rc;
}

sztp_rc cmd_profile_redirect(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct reg_profile p;
	const char *specs[MAX_SERVERS + 1];
	char *copies[MAX_SERVERS] = {NULL}, *anchor, *json = NULL;
	struct conveyed_server srv[MAX_SERVERS];
	sztp_bytes cms[MAX_SERVERS];
	size_t n, i;

	memset(cms, 0, sizeof(cms));
	n = opt_all(c, "server", specs, MAX_SERVERS + 1);
	if ((rc = profile_head(c, REG_KIND_REDIRECT, &p, e)) != SZTP_OK)
		return rc;
	if (n == 0)
		return sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				    "profile redirect needs at least one --server HOST[:PORT]");
	if (n > MAX_SERVERS)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "more than %d --server", MAX_SERVERS);
	for (i = 0; i < n; i++) {
		if (!(copies[i] = strdup(specs[i]))) {
			rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = parse_server(copies[i], &srv[i], &anchor, e)) != SZTP_OK)
			goto out;
		if (anchor) {
			if ((rc = anchor_cms(anchor, &cms[i], e)) != SZTP_OK)
				goto out;
			srv[i].trust_anchor = &cms[i];
		}
	}
	if ((rc = conveyed_redirect_json(srv, n, &json, e)) != SZTP_OK)
		goto out;
	rc = profile_store(c, &p, json, e);
	json = NULL;
out:
	for (i = 0; i < MAX_SERVERS; i++) {
		free(copies[i]);
		sztp_bytes_free(&cms[i]);
	}
	free(json);
	return rc;
}

/* ---- list, show, remove ---------------------------------------------------- */

struct count_ctx {
	const char *profile;
	size_t n;
};

static int count_cb(const struct reg_device *d, void *arg)
{
	struct count_ctx *cc = arg;

	if (strcmp(d->profile, cc->profile) == 0)
		cc->n++;
	return 0;
}

static const char *kind_name(enum reg_kind k)
{
	return k == REG_KIND_REDIRECT ? "redirect" : "onboarding";
}

/* pin-idevid of a profile; 0 when it cannot be read. */
static int profile_pins(struct ctl *c, const char *name)
{
	int on = 0;

	(void)reg_profile_pin_get(c->reg, name, &on, NULL);
	return on;
}

static json_t *profile_json(struct ctl *c, const struct reg_profile *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "name", p->name, "kind",
			 kind_name(p->kind), "sign", sign_names[p->sign % 3], "reporting",
			 report_names[p->reporting % 2], "owner", p->owner, "pin-idevid",
			 profile_pins(c, p->name));
}

struct plist {
	json_t *arr;
	struct ctl *c;
};

static int plist_cb(const struct reg_profile *p, void *arg)
{
	struct plist *pl = arg;

	return json_array_append_new(pl->arr, profile_json(pl->c, p)) ? 1 : 0;
}

sztp_rc cmd_profile_list(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct plist pl = {json_array(), c};
	size_t i;
	char *s = NULL;

	if (!pl.arr)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if ((rc = reg_profile_list(c->reg, plist_cb, &pl, e)) != SZTP_OK)
		goto out;
	for (i = 0; i < json_array_size(pl.arr); i++) { /* devices per profile */
		json_t *x = json_array_get(pl.arr, i);
		struct count_ctx cc = {json_string_value(json_object_get(x, "name")), 0};
		if ((rc = reg_device_list(c->reg, count_cb, &cc, e)) != SZTP_OK)
			goto out;
		json_object_set_new(x, "devices", json_integer((json_int_t)cc.n));
	}
	if (c->json) {
		s = json_dumps(pl.arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "[]");
		goto out;
	}
	printf("%-20s %-10s %-12s %-9s %-12s %s\n", "NAME", "KIND", "SIGN", "REPORTING", "OWNER",
	       "DEVICES");
	for (i = 0; i < json_array_size(pl.arr); i++) {
		json_t *x = json_array_get(pl.arr, i);
		printf("%-20s %-10s %-12s %-9s %-12s %lld\n",
		       json_string_value(json_object_get(x, "name")),
		       json_string_value(json_object_get(x, "kind")),
		       json_string_value(json_object_get(x, "sign")),
		       json_string_value(json_object_get(x, "reporting")),
		       json_string_value(json_object_get(x, "owner")),
		       (long long)json_integer_value(json_object_get(x, "devices")));
	}
out:
	free(s);
	json_decref(pl.arr);
	return rc;
}

sztp_rc cmd_profile_show(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct reg_profile p;
	char *pretty = NULL, *s = NULL;
	json_t *obj = NULL;

	memset(&p, 0, sizeof(p));
	if ((rc = reg_profile_get(c->reg, c->pos[0], &p, e)) != SZTP_OK) {
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc, "no profile named '%s'", c->pos[0]);
		goto out;
	}
	if (c->json) {
		obj = profile_json(c, &p);
		json_object_set_new(
		    obj, "conveyed-information",
		    json_loads(p.conveyed_json ? p.conveyed_json : "null", JSON_DECODE_ANY, NULL));
		s = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "{}");
		goto out;
	}
	if ((rc = conveyed_pretty(p.conveyed_json ? p.conveyed_json : "", &pretty, e)) != SZTP_OK)
		goto out;
	printf("%s\n", pretty);
	fprintf(stderr, "profile %s: %s, sign %s, reporting %s, owner %s%s\n", p.name,
		kind_name(p.kind), sign_names[p.sign % 3], report_names[p.reporting % 2], p.owner,
		profile_pins(c, p.name) ? ", IDevID pinned" : "");
out:
	free(s);
	free(pretty);
	json_decref(obj);
	reg_profile_clear(&p);
	return rc;
}

sztp_rc cmd_profile_remove(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc = reg_profile_remove(c->reg, c->pos[0], e);
	struct count_ctx cc = {c->pos[0], 0};

	if (rc == SZTP_E_NOT_FOUND)
		sztp_err_set(e, rc, "no profile named '%s'", c->pos[0]);
	if (rc == SZTP_E_EXISTS) {
		reg_device_list(c->reg, count_cb, &cc, NULL);
		sztp_err_set(e, rc,
			     "profile %s is used by %zu device(s); move them with "
			     "'sztpctl device set SERIAL --profile P|--no-profile' first",
			     c->pos[0], cc.n);
	}
	if (rc == SZTP_OK)
		ctl_done(c, "profile %s removed", c->pos[0]);
	return rc;
}
