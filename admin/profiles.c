/*
 * profiles.c - admin API: onboarding and redirect profiles (RFC 8572 s2.2,
 * s6.3).  PUT takes the profile's policy (kind, sign, reporting, owner,
 * pin-idevid, lenient) and the members of its conveyed information as RFC 8572
 * names them: a boot image with its download URIs and the sha-256 the
 * caller computed (the server never fetches an image), configuration and
 * its handling, scripts; or bootstrap servers with trust anchors, given as
 * certs-only CMS or as PEM from which the server builds the CMS.  The
 * server builds the document with conveyed.c and validates it against
 * ietf-sztp-conveyed-info before it is stored, so e.g.
 * configuration-handling without configuration never reaches a device (a
 * broken must condition is answered in the members' terms, with the member
 * at fault); a profile does not move to an owner whose chain the stored
 * vouchers of its devices do not pin (RFC 8572 s5.4).  GET answers the
 * same members, the document as served, and how many devices use it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "cms.h"
#include "conveyed.h"
#include "util.h"
#include "yang.h"

#define BLOB_MAX    (8 * 1024 * 1024) /* configuration, a script */
#define ANCHOR_MAX  (1024 * 1024)     /* a trust anchor's CMS */
#define TEXT_MAX    2048	      /* os-name, os-version, a URI, an address */
#define MAX_SERVERS 64
#define MAX_URIS    64

static const char *const kind_names[] = {"onboarding", "redirect", NULL};
static const char *const sign_names[] = {"if-requested", "always", "never", NULL};
static const char *const report_names[] = {"minimal", "verbose", NULL};
static const char *const handling_names[] = {"merge", "replace", NULL};
static const char *const read_only[] = {"name", "devices", "revision", "conveyed-information",
					NULL};
static const char *const body_members[] = {"kind",
					   "sign",
					   "reporting",
					   "owner",
					   "pin-idevid",
					   "lenient",
					   "boot-image",
					   "configuration-handling",
					   "pre-configuration-script",
					   "configuration",
					   "post-configuration-script",
					   "bootstrap-server",
					   NULL};
static const char *const onboarding_members[] = {
    "boot-image",    "configuration-handling",	  "pre-configuration-script",
    "configuration", "post-configuration-script", NULL};
static const char *const redirect_members[] = {"bootstrap-server", NULL};

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

int admin_check_name(struct admin_call *c, const char *what, const char *name, const char *field)
{
	static const char ok[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
	size_t n = strlen(name);

	if (n && n < REG_NAME_MAX && strspn(name, ok) == n)
		return 0;
	if (!field)
		return admin_problem_param(c, "name",
					   "%s name '%s': use 1 to %d letters, digits, '-', '_' "
					   "and '.'",
					   what, name, REG_NAME_MAX - 1);
	return admin_problem(c, 400, "invalid-field", field,
			     "%s name '%s': use 1 to %d letters, digits, '-', '_' and '.'", what,
			     name, REG_NAME_MAX - 1);
}

int admin_put_preconditions(struct admin_call *c, int exists, const char *etag)
{
	const char *inm = c->req->if_none_match;

	if (admin_if_match(c, exists, etag) < 0)
		return -1;
	if (inm && exists && (!strcmp(inm, "*") || strstr(inm, etag)))
		return admin_problem(c, 412, "precondition-failed", NULL,
				     "If-None-Match %s: the resource exists (its ETag is %s)", inm,
				     etag);
	return 0;
}

/* ---- representation ----------------------------------------------------------- */

/* The leniency names of bits, in bit order (NULL when out of memory). */
static json_t *lenient_json(unsigned bits)
{
	json_t *a = json_array();

	for (unsigned bit = 1; a && bit & REG_LENIENT_ALL; bit <<= 1)
		if ((bits & bit) && json_array_append_new(a, json_string(reg_lenient_name(bit)))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* name, kind, sign, reporting, owner, pin-idevid, lenient, devices,
 * revision: the list's summary (pin-idevid and devices filled by
 * profile_counts). */
static json_t *profile_head(const struct reg_profile *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o*, s:i, s:o}", "name", p->name, "kind",
			 kind_names[p->kind == REG_KIND_REDIRECT], "sign", sign_names[p->sign % 3],
			 "reporting", report_names[p->reporting % 2], "owner", p->owner,
			 "pin-idevid", 0, "lenient", lenient_json(p->lenient), "devices", 0,
			 "revision", admin_rev_json(p->revision));
}

static int profile_counts(struct admin_call *c, json_t *o)
{
	struct sztp_err e = {SZTP_OK, ""};
	const char *name = json_string_value(json_object_get(o, "name"));
	int64_t n = 0;
	int pin = 0;
	sztp_rc rc;

	if ((rc = reg_profile_pin_get(c->ctx->reg, name, &pin, &e)) != SZTP_OK ||
	    (rc = reg_profile_device_count(c->ctx->reg, name, &n, &e)) != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	json_object_set_new(o, "pin-idevid", json_boolean(pin));
	json_object_set_new(o, "devices", json_integer((json_int_t)n));
	return 0;
}

/* The whole representation: the summary, the members of the conveyed
 * information (as a PUT gives them) and the document as served. */
static int profile_full(struct admin_call *c, const struct reg_profile *p, json_t **out)
{
	json_t *o = profile_head(p), *doc;

	*out = NULL;
	if (!o)
		return admin_problem(c, 500, "internal", NULL, "out of memory");
	if (profile_counts(c, o) < 0) {
		json_decref(o);
		return -1;
	}
	doc = json_loads(p->conveyed_json ? p->conveyed_json : "null", JSON_DECODE_ANY, NULL);
	if (json_is_object(doc))
		json_object_update(o, json_object_iter_value(json_object_iter(doc)));
	json_object_set_new(o, "conveyed-information", doc ? doc : json_null());
	*out = o;
	return 0;
}

static void no_profile(struct admin_call *c, sztp_rc rc, const struct sztp_err *e)
{
	if (rc == SZTP_E_NOT_FOUND || rc == SZTP_E_INVALID_VALUE)
		admin_problem(c, 404, "not-found", NULL, "no profile named '%s'", c->param[0]);
	else
		admin_problem_rc(c, rc, NULL, e);
}

/* ---- GET /profiles, GET /profiles/{name} --------------------------------------- */

static int plist_cb(const struct reg_profile *p, void *arg)
{
	return json_array_append_new(arg, profile_head(p)) ? 1 : 0;
}

void admin_profiles_list(struct admin_call *c)
{
	static const char *const params[] = {"limit", "cursor", NULL};
	struct sztp_err e = {SZTP_OK, ""};
	char key[ADMIN_PARAM_MAX];
	json_t *items = json_array(), *x;
	int limit;
	size_t i;
	sztp_rc rc;

	if (!items) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		return;
	}
	if (admin_query_only(c, params) < 0 || admin_page_key(c, &limit, key, sizeof(key)) < 0)
		goto out;
	if ((rc = reg_profile_query(c->ctx->reg, key[0] ? key : NULL, limit, plist_cb, items,
				    &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	json_array_foreach(items, i, x) if (profile_counts(c, x) < 0) goto out;
	x = json_array_get(items, (size_t)limit - 1);
	admin_reply_page_key(c, items, x ? json_string_value(json_object_get(x, "name")) : NULL);
	items = NULL;
out:
	json_decref(items);
}

void admin_profile_get(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct sztp_err e = {SZTP_OK, ""};
	char etag[ADMIN_ETAG_MAX];
	struct reg_profile p;
	json_t *o;
	sztp_rc rc;

	memset(&p, 0, sizeof(p));
	if (admin_query_only(c, none) < 0)
		return;
	if ((rc = reg_profile_get(c->ctx->reg, c->param[0], &p, &e)) != SZTP_OK) {
		no_profile(c, rc, &e);
		return;
	}
	if (profile_full(c, &p, &o) == 0) {
		admin_etag_rev(p.revision, etag);
		admin_reply_json(c, 200, o, etag);
	}
	reg_profile_clear(&p);
}

/* ---- the PUT body --------------------------------------------------------------- */

/* An enumerated string member: *out its index in names (unchanged when
 * absent and not required). */
static int enum_member(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
		       const char *const *names, int required, int *out)
{
	char where[128], all[128] = "";
	const char *v;
	int i;

	if (admin_json_str(c, obj, ptr, name, required, 64, &v) < 0)
		return -1;
	if (!v)
		return 0;
	for (i = 0; names[i]; i++) {
		if (!strcmp(v, names[i])) {
			*out = i;
			return 0;
		}
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i ? "|" : "",
			 names[i]);
	}
	snprintf(where, sizeof(where), "%s/%s", ptr, name);
	return admin_problem(c, 400, "invalid-field", where, "'%s': '%s' is not one of %s", name, v,
			     all);
}

/* "lenient": an array of known names, each once, into *bits; *given 0
 * when absent (the stored list stays). */
static int lenient_in(struct admin_call *c, unsigned *bits, int *given)
{
	json_t *v = json_object_get(c->body, "lenient"), *x;
	char where[64];
	const char *name;
	unsigned bit;
	size_t i;

	*bits = 0;
	*given = v != NULL;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return admin_problem(c, 400, "invalid-field", "/lenient",
				     "'lenient' must be an array of names (empty-nonce, "
				     "omit-os-fields, empty-report-members); [] for none");
	json_array_foreach(v, i, x)
	{
		snprintf(where, sizeof(where), "/lenient/%zu", i);
		name = json_string_value(x);
		for (bit = 1; name && bit & REG_LENIENT_ALL; bit <<= 1)
			if (!strcmp(name, reg_lenient_name(bit)))
				break;
		if (!name || !(bit & REG_LENIENT_ALL))
			return admin_problem(c, 400, "invalid-field", where,
					     "'lenient': '%.64s' is not one of empty-nonce|"
					     "omit-os-fields|empty-report-members",
					     name ? name : "(not a string)");
		if (*bits & bit)
			return admin_problem(c, 400, "invalid-field", where,
					     "'lenient': '%s' is given twice", name);
		*bits |= bit;
	}
	return 0;
}

/* The policy members into p (and *pin, -1 when absent: the stored setting
 * stays; *lenient_given 0 when "lenient" is absent, the same); refuses
 * read-only and unknown members and those of the other kind. */
static int policy_in(struct admin_call *c, struct reg_profile *p, int *pin, int *lenient_given)
{
	const char *const *other;
	const char *key, *owner = NULL;
	char where[256];
	int kind = 0, sign = REG_SIGN_IF_REQUESTED, rep = REG_REPORT_MINIMAL;
	json_t *v;

	json_object_foreach(c->body, key, v)
	{
		if (in_list(read_only, key)) {
			snprintf(where, sizeof(where), "/%s", key);
			return admin_problem(c, 400, "invalid-field", where,
					     "'%s' is read-only: the server sets it", key);
		}
	}
	if (admin_json_only(c, c->body, "", body_members) < 0 ||
	    enum_member(c, c->body, "", "kind", kind_names, 1, &kind) < 0 ||
	    enum_member(c, c->body, "", "sign", sign_names, 0, &sign) < 0 ||
	    enum_member(c, c->body, "", "reporting", report_names, 0, &rep) < 0 ||
	    admin_json_str(c, c->body, "", "owner", 0, 4 * REG_NAME_MAX, &owner) < 0 ||
	    (owner && admin_check_name(c, "owner", owner, "/owner") < 0) ||
	    admin_json_bool(c, c->body, "", "pin-idevid", pin) < 0 ||
	    lenient_in(c, &p->lenient, lenient_given) < 0)
		return -1;
	other = kind == REG_KIND_REDIRECT ? onboarding_members : redirect_members;
	for (; *other; other++) {
		if (!json_object_get(c->body, *other))
			continue;
		snprintf(where, sizeof(where), "/%s", *other);
		return admin_problem(c, 400, "invalid-field", where,
				     "'%s' belongs to %s profiles, not to %s ones", *other,
				     kind_names[!kind], kind_names[kind]);
	}
	snprintf(p->name, sizeof(p->name), "%.*s", REG_NAME_MAX - 1, c->param[0]);
	snprintf(p->owner, sizeof(p->owner), "%.*s", REG_NAME_MAX - 1, owner ? owner : "default");
	p->kind = (enum reg_kind)kind;
	p->sign = (enum reg_sign)sign;
	p->reporting = (enum reg_reporting)rep;
	return 0;
}

struct onboarding_in {
	struct conveyed_onboarding o;
	struct conveyed_image im;
	const char *uris[MAX_URIS];
	uint8_t sha256[32];
	sztp_bytes cfg, pre, post;
};

static int hexdig(int ch)
{
	return isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10;
}

/* A SHA-256 as 64 hex digits, plain or in colon-separated pairs (the YANG
 * hex-string form). */
static int sha256_hex(const char *s, uint8_t out[32])
{
	size_t len = strlen(s), i, step = len == 95 ? 3 : 2;

	if (len != 64 && len != 95)
		return -1;
	for (i = 0; i < 32; i++, s += step) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) ||
		    (step == 3 && i < 31 && s[2] != ':'))
			return -1;
		out[i] = (uint8_t)(hexdig((unsigned char)s[0]) << 4 | hexdig((unsigned char)s[1]));
	}
	return 0;
}

static int uris_in(struct admin_call *c, json_t *img, struct onboarding_in *in)
{
	json_t *a = json_object_get(img, "download-uri"), *x;
	char where[64];
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > MAX_URIS)
		return admin_problem(c, 400, "invalid-field", "/boot-image/download-uri",
				     "'download-uri' must be an array of at most %d URIs",
				     MAX_URIS);
	json_array_foreach(a, i, x)
	{
		snprintf(where, sizeof(where), "/boot-image/download-uri/%zu", i);
		if (!json_is_string(x) || !json_string_length(x) ||
		    json_string_length(x) > TEXT_MAX ||
		    strlen(json_string_value(x)) != json_string_length(x))
			return admin_problem(c, 400, "invalid-field", where,
					     "a download-uri must be a string of 1 to %d bytes",
					     TEXT_MAX);
		in->uris[i] = json_string_value(x);
	}
	in->im.uris = in->uris;
	in->im.n_uris = json_array_size(a);
	return 0;
}

#define IV "/boot-image/image-verification"

static int verification_in(struct admin_call *c, json_t *img, struct onboarding_in *in)
{
	static const char *const members[] = {"hash-algorithm", "hash-value", NULL};
	json_t *a = json_object_get(img, "image-verification"), *v = json_array_get(a, 0);
	const char *alg, *hex;

	if (!a || (json_is_array(a) && !json_array_size(a)))
		return 0;
	if (!json_is_array(a) || json_array_size(a) != 1 || !json_is_object(v))
		return admin_problem(c, 400, "invalid-field", IV,
				     "'image-verification' must hold one {\"hash-algorithm\", "
				     "\"hash-value\"}: sha-256 is the one algorithm RFC 8572 "
				     "defines");
	if (admin_json_only(c, v, IV "/0", members) < 0 ||
	    admin_json_str(c, v, IV "/0", "hash-algorithm", 1, 64, &alg) < 0 ||
	    admin_json_str(c, v, IV "/0", "hash-value", 1, 128, &hex) < 0)
		return -1;
	if (strcmp(alg, CONVEYED_MOD ":sha-256") && strcmp(alg, "sha-256"))
		return admin_problem(c, 400, "invalid-field", IV "/0/hash-algorithm",
				     "'hash-algorithm' must be " CONVEYED_MOD ":sha-256, not '%s'",
				     alg);
	if (sha256_hex(hex, in->sha256) < 0)
		return admin_problem(c, 400, "invalid-field", IV "/0/hash-value",
				     "'hash-value' must be the SHA-256 of the image: 64 hex "
				     "digits, plain or as colon-separated pairs");
	in->im.sha256 = in->sha256;
	return 0;
}

static int image_in(struct admin_call *c, struct onboarding_in *in)
{
	static const char *const members[] = {"os-name", "os-version", "download-uri",
					      "image-verification", NULL};
	json_t *img = json_object_get(c->body, "boot-image");

	if (!img)
		return 0;
	if (!json_is_object(img))
		return admin_problem(c, 400, "invalid-field", "/boot-image",
				     "'boot-image' must be an object");
	if (admin_json_only(c, img, "/boot-image", members) < 0 ||
	    admin_json_str(c, img, "/boot-image", "os-name", 0, TEXT_MAX, &in->im.os_name) < 0 ||
	    admin_json_str(c, img, "/boot-image", "os-version", 0, TEXT_MAX, &in->im.os_version) <
		0 ||
	    uris_in(c, img, in) < 0 || verification_in(c, img, in) < 0)
		return -1;
	in->o.image = &in->im;
	return 0;
}

static int onboarding_in(struct admin_call *c, struct onboarding_in *in)
{
	int handling = -1;

	if (image_in(c, in) < 0 ||
	    enum_member(c, c->body, "", "configuration-handling", handling_names, 0, &handling) <
		0 ||
	    admin_json_b64(c, c->body, "", "configuration", 0, BLOB_MAX, &in->cfg) < 0 ||
	    admin_json_b64(c, c->body, "", "pre-configuration-script", 0, BLOB_MAX, &in->pre) < 0 ||
	    admin_json_b64(c, c->body, "", "post-configuration-script", 0, BLOB_MAX, &in->post) < 0)
		return -1;
	in->o.config_handling = handling < 0 ? NULL : handling_names[handling];
	in->o.config = in->cfg.data ? &in->cfg : NULL;
	in->o.pre_script = in->pre.data ? &in->pre : NULL;
	in->o.post_script = in->post.data ? &in->post : NULL;
	return 0;
}

struct redirect_in {
	struct conveyed_server srv[MAX_SERVERS];
	sztp_bytes cms[MAX_SERVERS];
	size_t n;
};

/* The CMS of a trust anchor: built from PEM, or checked to be certs-only
 * CMS holding a certificate. */
static sztp_rc anchor_cms(const char *pem, sztp_bytes *cms, struct sztp_err *e)
{
	sztp_bytes *certs = NULL;
	size_t n = 0;
	sztp_rc rc = pem ? pki_pem_certs_parse(pem, strlen(pem), &certs, &n, e)
			 : cms_certs_only_parse(cms->data, cms->len, &certs, &n, e);

	if (rc == SZTP_OK && n == 0)
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "it holds no certificate");
	if (rc == SZTP_OK && pem)
		rc = cms_certs_only(certs, n, cms, e);
	pki_certs_free(certs, n);
	return rc;
}

static int server_in(struct admin_call *c, json_t *x, size_t i, struct redirect_in *in)
{
	static const char *const members[] = {"address", "port", "trust-anchor", "trust-anchor-pem",
					      NULL};
	struct sztp_err e = {SZTP_OK, ""};
	char ptr[48], where[80];
	const char *pem;
	int64_t port = 0;

	snprintf(ptr, sizeof(ptr), "/bootstrap-server/%zu", i);
	if (!json_is_object(x))
		return admin_problem(c, 400, "invalid-field", ptr,
				     "a bootstrap-server must be an object");
	if (admin_json_only(c, x, ptr, members) < 0 ||
	    admin_json_str(c, x, ptr, "address", 1, TEXT_MAX, &in->srv[i].address) < 0 ||
	    admin_json_int(c, x, ptr, "port", 1, 65535, &port, 0) < 0 ||
	    admin_json_b64(c, x, ptr, "trust-anchor", 0, ANCHOR_MAX, &in->cms[i]) < 0 ||
	    admin_json_pem(c, x, ptr, "trust-anchor-pem", 0, &pem) < 0)
		return -1;
	in->srv[i].port = (unsigned)port;
	snprintf(where, sizeof(where), "%s/trust-anchor%s", ptr, pem ? "-pem" : "");
	if (pem && in->cms[i].len)
		return admin_problem(c, 400, "invalid-field", where,
				     "give trust-anchor or trust-anchor-pem, not both");
	if ((pem || in->cms[i].len) && anchor_cms(pem, &in->cms[i], &e) != SZTP_OK)
		return admin_problem(c, 400, "invalid-field", where,
				     "trust anchor of bootstrap server %s: %s", in->srv[i].address,
				     e.msg);
	in->srv[i].trust_anchor = in->cms[i].len ? &in->cms[i] : NULL;
	return 0;
}

static int redirect_in(struct admin_call *c, struct redirect_in *in)
{
	json_t *a = json_object_get(c->body, "bootstrap-server"), *x;
	size_t i;

	if (!a)
		return admin_problem(c, 400, "missing-field", "/bootstrap-server",
				     "a redirect profile needs at least one bootstrap-server");
	if (!json_is_array(a) || !json_array_size(a) || json_array_size(a) > MAX_SERVERS)
		return admin_problem(c, 400, "invalid-field", "/bootstrap-server",
				     "'bootstrap-server' must be an array of 1 to %d servers",
				     MAX_SERVERS);
	json_array_foreach(a, i, x)
	{
		in->n = i + 1; /* what to free */
		if (server_in(c, x, i, in) < 0)
			return -1;
	}
	return 0;
}

/* ---- the document: built, then validated ---------------------------------------- */

/* The conveyed information the body describes; answers on failure. */
static int conveyed_in(struct admin_call *c, enum reg_kind kind, char **json)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct onboarding_in *on = calloc(1, sizeof(*on));
	struct redirect_in *red = calloc(1, sizeof(*red));
	sztp_rc rc = SZTP_E_NOMEM;
	size_t i;
	int r = -1;

	*json = NULL;
	if (!on || !red) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	if (kind == REG_KIND_REDIRECT ? redirect_in(c, red) : onboarding_in(c, on))
		goto out;
	rc = kind == REG_KIND_REDIRECT ? conveyed_redirect_json(red->srv, red->n, json, &e)
				       : conveyed_onboarding_json(&on->o, json, &e);
	if (rc == SZTP_E_MISSING_ELEMENT)
		admin_problem(c, 400, "missing-field", NULL, "%s", e.msg);
	else if (rc != SZTP_OK)
		admin_problem_rc(c, rc, kind == REG_KIND_REDIRECT ? "/bootstrap-server" : NULL, &e);
	r = rc == SZTP_OK ? 0 : -1;
out:
	if (on) {
		sztp_bytes_free(&on->cfg);
		sztp_bytes_free(&on->pre);
		sztp_bytes_free(&on->post);
	}
	for (i = 0; red && i < red->n; i++)
		sztp_bytes_free(&red->cms[i]);
	free(on);
	free(red);
	return r;
}

/* The must conditions of ietf-sztp-conveyed-info a body can break, as the
 * members that satisfy them. */
static const struct {
	const char *xpath; /* as libyang quotes it in "Must condition \"...\"" */
	const char *advice;
} yang_advice[] = {
    {"\"../configuration-handling\"", "configuration needs configuration-handling merge|replace"},
    {"\"../configuration\"", "configuration-handling needs configuration"},
    {"\"../download-uri\"", "image-verification needs at least one download-uri"},
};

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

/* [key='value'] (or "value") at p: value into val; returns what follows. */
static const char *predicate(const char *p, char *val, size_t len)
{
	const char *q = p + strcspn(p, "'\""), *end = *q ? strchr(q + 1, *q) : NULL;

	if (!end)
		return p + strlen(p);
	snprintf(val, len, "%.*s", (int)(end - q - 1), q + 1);
	return end + (end[1] == ']' ? 2 : 1);
}

/* Which entry of list a message is about: the one with a member equal to
 * key (a list key the path names), else whose value the message quotes,
 * else the only one; json_array_size(list) when none. */
static size_t entry_index(json_t *list, const char *key, const char *msg)
{
	char quoted[TEXT_MAX + 3];
	const char *name;
	json_t *x, *v;
	size_t i;

	if (json_array_size(list) == 1)
		return 0;
	json_array_foreach(list, i, x)
	{
		json_object_foreach(x, name, v)
		{
			if (!json_is_string(v) || json_string_length(v) > TEXT_MAX)
				continue;
			snprintf(quoted, sizeof(quoted), "\"%s\"", json_string_value(v));
			if (*key ? !strcmp(json_string_value(v), key) : !!strstr(msg, quoted))
				return i;
		}
	}
	return json_array_size(list);
}

/* The JSON pointer into the body of the node a libyang message names
 * ("/ietf-sztp-conveyed-info:onboarding-information/boot-image/os-name:
 * ..."); "" when it names none. */
static void yang_field(const char *msg, json_t *body, char *out, size_t len)
{
	const char *p = strstr(msg, "-information/");
	json_t *cur = body;
	size_t o = 0;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen("-information");
	while (*p == '/' && o + 80 < len) {
		char seg[64], key[TEXT_MAX] = "";
		size_t n = strcspn(++p, "/[: "), i;

		snprintf(seg, sizeof(seg), "%.*s", (int)n, p);
		p += n;
		if (*p == '[')
			p = predicate(p, key, sizeof(key));
		cur = json_object_get(cur, seg);
		o += (size_t)snprintf(out + o, len - o, "/%s", seg);
		if (json_is_array(cur) && json_is_object(json_array_get(cur, 0))) {
			if ((i = entry_index(cur, key, msg)) >= json_array_size(cur))
				return;
			o += (size_t)snprintf(out + o, len - o, "/%zu", i);
			cur = json_array_get(cur, i);
		}
	}
}

/* RFC 8572 s6.3: the document against ietf-sztp-conveyed-info. */
static int conveyed_valid(struct admin_call *c, const char *name, const char *json)
{
	struct sztp_err ve = {SZTP_OK, ""};
	char field[256];
	const char *advice;
	sztp_rc rc;

	if (!c->ctx->y)
		return admin_problem_rc(c, SZTP_E_INTERNAL, NULL, NULL);
	rc = yang_conveyed_validate(c->ctx->y, YANG_ENC_JSON, json, strlen(json), &ve);
	if (rc == SZTP_OK)
		return 0;
	if (rc == SZTP_E_NOMEM || rc == SZTP_E_INTERNAL)
		return admin_problem_rc(c, rc, NULL, &ve);
	yang_field(ve.msg, c->body, field, sizeof(field));
	if ((advice = advice_for(ve.msg)))
		return admin_problem(c, 400, "invalid-field", field[0] ? field : NULL,
				     "profile %s: %s (RFC 8572 s6.3)", name, advice);
	return admin_problem(c, 400, "invalid-field", field[0] ? field : NULL,
			     "profile %s is not valid conveyed information: %s", name, ve.msg);
}

/* ---- PUT /profiles/{name} -------------------------------------------------------- */

/* A profile moving to another owner: the vouchers of its devices must pin
 * the new owner (RFC 8572 s5.4), or its devices could trust nothing they
 * are sent. */
struct move_check {
	const char *owner;
	const struct reg_owner *o;
	size_t bad;
	struct sztp_err first;
};

static int move_cb(const struct reg_device *d, void *arg)
{
	struct move_check *k = arg;
	struct sztp_err e = {SZTP_OK, ""};

	if (admin_voucher_fits(d, k->owner, k->o->chain, k->o->n_chain, &e) != SZTP_OK &&
	    k->bad++ == 0)
		k->first = e;
	return 0;
}

static int owner_move_check(struct admin_call *c, const char *profile, const char *owner)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_query q = REG_QUERY_INIT;
	struct reg_owner o;
	struct move_check k = {owner, &o, 0, {SZTP_OK, ""}};
	sztp_rc rc;
	int r = 0;

	memset(&o, 0, sizeof(o));
	if ((rc = reg_owner_get(c->ctx->reg, owner, &o, &e)) == SZTP_E_NOT_FOUND)
		return 0; /* not set yet: a warning says so */
	q.profile = profile;
	q.has_voucher = 1;
	if (rc == SZTP_OK)
		rc = reg_device_query(c->ctx->reg, &q, move_cb, &k, &e);
	if (rc != SZTP_OK)
		r = admin_problem_rc(c, rc, NULL, &e);
	else if (k.bad)
		r = admin_problem(c, 409, "conflict", "/owner",
				  "profile %s cannot move to owner '%s': %zu of its devices hold "
				  "vouchers that do not pin it; first: %s",
				  profile, owner, k.bad, k.first.msg);
	reg_owner_clear(&o);
	return r;
}

/* Checks against what is stored (in the PUT's transaction), and the
 * warnings the answer carries. */
static int put_checks(struct admin_call *c, const struct reg_profile *p,
		      const struct reg_profile *old, int existed, json_t *warnings)
{
	struct sztp_err e = {SZTP_OK, ""};
	char msg[512];
	struct reg_owner o;
	sztp_rc rc = SZTP_OK;

	memset(&o, 0, sizeof(o));
	if (p->sign != REG_SIGN_NEVER &&
	    (rc = reg_owner_get(c->ctx->reg, p->owner, &o, &e)) == SZTP_E_NOT_FOUND) {
		snprintf(msg, sizeof(msg),
			 "owner identity '%s' is not set yet: sztpd cannot sign profile %s until "
			 "it is (sztpctl owner set --name %s, or PUT " ADMIN_PREFIX "/owners/%s)",
			 p->owner, p->name, p->owner, p->owner);
		json_array_append_new(warnings, json_string(msg));
		rc = SZTP_OK;
	}
	reg_owner_clear(&o);
	if (rc != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	if (existed && strcmp(old->owner, p->owner) && owner_move_check(c, p->name, p->owner) < 0)
		return -1;
	if (existed && old->kind != p->kind) {
		snprintf(msg, sizeof(msg), "profile %s changes from %s to %s", p->name,
			 kind_names[old->kind == REG_KIND_REDIRECT],
			 kind_names[p->kind == REG_KIND_REDIRECT]);
		json_array_append_new(warnings, json_string(msg));
	}
	return 0;
}

/* Store p (and pin-idevid when given), with its audit row; *now the
 * stored profile.  In the transaction. */
static int profile_write(struct admin_call *c, const struct reg_profile *p, int pin,
			 int64_t rev_before, struct reg_profile *now)
{
	struct sztp_err e = {SZTP_OK, ""};
	char res[REG_NAME_MAX + 16];
	sztp_rc rc;

	if ((rc = reg_profile_put(c->ctx->reg, p, &e)) != SZTP_OK ||
	    (pin >= 0 && (rc = reg_profile_pin_set(c->ctx->reg, p->name, pin, &e)) != SZTP_OK) ||
	    (rc = reg_profile_get(c->ctx->reg, p->name, now, &e)) != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	snprintf(res, sizeof(res), "profiles/%s", p->name);
	return admin_audit(c, "profile.put", res, rev_before, now->revision,
			   json_pack("{s:s, s:s, s:i, s:o*}", "kind",
				     kind_names[p->kind == REG_KIND_REDIRECT], "owner", p->owner,
				     "bytes", (int)strlen(p->conveyed_json), "lenient",
				     lenient_json(p->lenient)));
}

void admin_profile_put(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct sztp_err e = {SZTP_OK, ""};
	char etag[ADMIN_ETAG_MAX];
	struct reg_profile p, old, now;
	json_t *warnings = json_array(), *o = NULL;
	int pin = -1, existed, lenient_given = 0;
	sztp_rc rc;

	memset(&p, 0, sizeof(p));
	memset(&old, 0, sizeof(old));
	memset(&now, 0, sizeof(now));
	if (!warnings) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	if (admin_query_only(c, none) < 0 ||
	    admin_check_name(c, "profile", c->param[0], NULL) < 0 ||
	    policy_in(c, &p, &pin, &lenient_given) < 0 ||
	    conveyed_in(c, p.kind, &p.conveyed_json) < 0 ||
	    conveyed_valid(c, p.name, p.conveyed_json) < 0 || admin_begin(c) < 0)
		goto out;
	rc = reg_profile_get(c->ctx->reg, p.name, &old, &e);
	if (rc != SZTP_OK && rc != SZTP_E_NOT_FOUND) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	existed = rc == SZTP_OK;
	if (!lenient_given)
		p.lenient = old.lenient; /* 0 when new: strict */
	admin_etag_rev(old.revision, etag);
	if (admin_put_preconditions(c, existed, etag) < 0 ||
	    put_checks(c, &p, &old, existed, warnings) < 0 ||
	    profile_write(c, &p, pin, old.revision, &now) < 0 || profile_full(c, &now, &o) < 0 ||
	    admin_commit(c) < 0)
		goto out;
	json_object_set(o, "warnings", warnings);
	if (!existed)
		admin_location(c, "/profiles/", p.name);
	admin_etag_rev(now.revision, etag);
	admin_reply_json(c, existed ? 200 : 201, o, etag);
	o = NULL;
out:
	json_decref(o);
	free(p.conveyed_json);
	json_decref(warnings);
	reg_profile_clear(&old);
	reg_profile_clear(&now);
}

/* ---- DELETE /profiles/{name} ------------------------------------------------------ */

void admin_profile_delete(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct sztp_err e = {SZTP_OK, ""};
	char etag[ADMIN_ETAG_MAX], res[REG_NAME_MAX + 16];
	struct reg_profile p;
	int64_t n = 0;
	sztp_rc rc;

	memset(&p, 0, sizeof(p));
	if (admin_query_only(c, none) < 0 || admin_begin(c) < 0)
		return;
	if ((rc = reg_profile_get(c->ctx->reg, c->param[0], &p, &e)) != SZTP_OK) {
		no_profile(c, rc, &e);
		return;
	}
	admin_etag_rev(p.revision, etag);
	if (admin_if_match(c, 1, etag) < 0)
		goto out;
	if ((rc = reg_profile_device_count(c->ctx->reg, p.name, &n, &e)) == SZTP_OK && !n)
		rc = reg_profile_remove(c->ctx->reg, p.name, &e);
	if (n || rc == SZTP_E_EXISTS) {
		admin_problem(c, 409, "in-use", NULL,
			      "profile %s is used by %lld device(s); move them to another profile "
			      "first",
			      p.name, (long long)n);
		goto out;
	}
	snprintf(res, sizeof(res), "profiles/%s", p.name);
	if (rc != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	if (admin_audit(c, "profile.delete", res, p.revision, 0, NULL) < 0 || admin_commit(c) < 0)
		goto out;
	admin_no_content(c);
out:
	reg_profile_clear(&p);
}
