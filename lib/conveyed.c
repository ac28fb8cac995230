/*
 * conveyed.c - builds the conveyed-information documents of RFC 8572
 * s6.3 (the ietf-sztp-conveyed-info yang-data) with jansson: onboarding
 * information (s2.2: boot-image with os-name, os-version, download-uri and
 * image-verification, configuration-handling, pre-configuration-script,
 * configuration, post-configuration-script) and redirect information
 * (bootstrap-server list: address, port, trust-anchor).  Members are
 * inserted in YANG order and serialized compact, so the text is stable:
 * sztpd signs and serves exactly these bytes (RFC 8572 s3.1).  Binary
 * leaves are canonical base64 (RFC 7950 s9.8), the hash a yang:hex-string,
 * the identityref module-qualified (RFC 7951 s6.8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conveyed.h"
#include "util.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

/* Set a string member; jansson refuses invalid UTF-8. */
static sztp_rc set_str(json_t *obj, const char *name, const char *v, struct sztp_err *e)
{
	json_t *s = json_string(v);

	if (!s)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "%s is not valid UTF-8 text", name);
	if (json_object_set_new(obj, name, s) != 0)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory building %s", name);
	return SZTP_OK;
}

/* Set a YANG binary leaf: canonical base64 of b. */
static sztp_rc set_b64(json_t *obj, const char *name, const sztp_bytes *b, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INTERNAL;
	char *s = NULL;

	if ((rc = b64_encode(b->data, b->len, &s, e)) != SZTP_OK)
		goto out;
	rc = set_str(obj, name, s, e);
out:
	free(s);
	return rc;
}

/* image-verification: one sha-256 entry.  Uses the non-stealing
 * json_array_append/json_object_set, so both locals are always released. */
static sztp_rc add_verification(json_t *img, const uint8_t *sha256, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	char hex[3 * 32];
	json_t *ent = json_object(), *list = json_array();

	hex_colon(sha256, 32, hex);
	if (!ent || !list ||
	    json_object_set_new(ent, "hash-algorithm", json_string(CONVEYED_MOD ":sha-256")) ||
	    json_object_set_new(ent, "hash-value", json_string(hex)) ||
	    json_array_append(list, ent) || json_object_set(img, "image-verification", list))
		goto out;
	rc = SZTP_OK;
out:
	if (rc != SZTP_OK)
		sztp_err_set(e, rc, "out of memory building image-verification");
	json_decref(ent);
	json_decref(list);
	return rc;
}

static sztp_rc build_image(const struct conveyed_image *im, json_t *onb, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	json_t *img = json_object(), *uris = NULL;
	size_t i;

	if (!img)
		goto out;
	if (im->os_name && (rc = set_str(img, "os-name", im->os_name, e)) != SZTP_OK)
		goto out;
	if (im->os_version && (rc = set_str(img, "os-version", im->os_version, e)) != SZTP_OK)
		goto out;
	if (im->n_uris > 0) {
		if (!(uris = json_array()))
			goto nomem;
		for (i = 0; i < im->n_uris; i++) {
			json_t *u = json_string(im->uris[i]);
			if (!u || json_array_append_new(uris, u) != 0) {
				rc =
				    sztp_err_set(e, SZTP_E_INVALID_VALUE,
						 "download-uri %zu is not valid UTF-8 text", i + 1);
				goto out;
			}
		}
		rc = json_object_set_new(img, "download-uri", uris) ? SZTP_E_NOMEM : SZTP_OK;
		uris = NULL;
		if (rc != SZTP_OK)
			goto nomem;
	}
	if (im->sha256 && (rc = add_verification(img, im->sha256, e)) != SZTP_OK)
		goto out;
	if (json_object_size(img) == 0) { /* nothing to say: omit the container */
		rc = SZTP_OK;
		goto out;
	}
	rc = json_object_set_new(onb, "boot-image", img) ? SZTP_E_NOMEM : SZTP_OK;
	img = NULL;
	if (rc != SZTP_OK)
		goto nomem;
	goto out;
nomem:
	rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory building boot-image");
out:
	json_decref(uris);
	json_decref(img);
	return rc;
}

/* Wrap body as {"ietf-sztp-conveyed-info:<top>": body} and serialize.
 * Takes ownership of body. */
static sztp_rc wrap_dump(const char *top, json_t *body, char **json, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	char name[80];
	json_t *doc = json_object();

	*json = NULL;
	snprintf(name, sizeof(name), "%s:%s", CONVEYED_MOD, top);
	if (!doc || json_object_set_new(doc, name, body) != 0) {
		body = NULL;
		goto out;
	}
	body = NULL;
	if ((*json = json_dumps(doc, DUMP_FLAGS)) != NULL)
		rc = SZTP_OK;
out:
	if (rc != SZTP_OK)
		sztp_err_set(e, rc, "out of memory serializing %s", top);
	json_decref(body);
	json_decref(doc);
	return rc;
}

sztp_rc conveyed_onboarding_json(const struct conveyed_onboarding *o, char **json,
				 struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	json_t *onb = json_object();

	*json = NULL;
	if (!onb) {
		sztp_err_set(e, rc, "out of memory building onboarding-information");
		goto out;
	}
	/* YANG order: boot-image, configuration-handling,
	 * pre-configuration-script, configuration, post-configuration-script. */
	if (o->image && (rc = build_image(o->image, onb, e)) != SZTP_OK)
		goto out;
	if (o->config_handling &&
	    (rc = set_str(onb, "configuration-handling", o->config_handling, e)) != SZTP_OK)
		goto out;
	if (o->pre_script &&
	    (rc = set_b64(onb, "pre-configuration-script", o->pre_script, e)) != SZTP_OK)
		goto out;
	if (o->config && (rc = set_b64(onb, "configuration", o->config, e)) != SZTP_OK)
		goto out;
	if (o->post_script &&
	    (rc = set_b64(onb, "post-configuration-script", o->post_script, e)) != SZTP_OK)
		goto out;
	if (json_object_size(onb) == 0) {
		rc = sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				  "onboarding information needs a boot image, a "
				  "configuration or a script");
		goto out;
	}
	rc = wrap_dump("onboarding-information", onb, json, e);
	onb = NULL;
out:
	json_decref(onb);
	return rc;
}

static sztp_rc build_server(const struct conveyed_server *s, json_t *list, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	json_t *ent = json_object();

	if (!ent)
		goto nomem;
	if (!s->address || !*s->address) {
		rc = sztp_err_set(e, SZTP_E_MISSING_ELEMENT, "bootstrap server without address");
		goto out;
	}
	if ((rc = set_str(ent, "address", s->address, e)) != SZTP_OK)
		goto out;
	if (s->port > 65535) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "port %u is out of range", s->port);
		goto out;
	}
	if (s->port && json_object_set_new(ent, "port", json_integer(s->port)) != 0)
		goto nomem;
	if (s->trust_anchor && (rc = set_b64(ent, "trust-anchor", s->trust_anchor, e)) != SZTP_OK)
		goto out;
	rc = json_array_append_new(list, ent) ? SZTP_E_NOMEM : SZTP_OK;
	ent = NULL;
	if (rc == SZTP_OK)
		goto out;
nomem:
	rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory building bootstrap-server");
out:
	json_decref(ent);
	return rc;
}

sztp_rc conveyed_redirect_json(const struct conveyed_server *s, size_t n, char **json,
			       struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	json_t *red = json_object(), *list = json_array();
	size_t i, j;

	*json = NULL;
	if (!red || !list) {
		sztp_err_set(e, rc, "out of memory building redirect-information");
		goto out;
	}
	if (n == 0) { /* min-elements 1 */
		rc = sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				  "redirect information needs at least one bootstrap server");
		goto out;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) { /* list key "address" */
			if (s[i].address && s[j].address &&
			    strcmp(s[i].address, s[j].address) == 0) {
				rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
						  "bootstrap server %s is listed twice",
						  s[i].address);
				goto out;
			}
		}
		if ((rc = build_server(&s[i], list, e)) != SZTP_OK)
			goto out;
	}
	if (json_object_set_new(red, "bootstrap-server", list) != 0) {
		list = NULL;
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory building redirect-information");
		goto out;
	}
	list = NULL;
	rc = wrap_dump("redirect-information", red, json, e);
	red = NULL;
out:
	json_decref(list);
	json_decref(red);
	return rc;
}
