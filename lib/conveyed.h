/*
 * conveyed.h - build the conveyed-information JSON documents of RFC 8572
 * s6.3 (ietf-sztp-conveyed-info yang-data): onboarding information (boot
 * image, configuration, scripts) and redirect information (bootstrap
 * servers).  The result is compact JSON with members in YANG order and
 * nothing that varies between runs: it is exactly the text sztpd signs
 * and serves, so the same input always gives the same bytes.
 *
 * The builder checks structure only; callers validate the result with
 * yang_conveyed_validate() before storing it.
 */
#ifndef SZTP_CONVEYED_H
#define SZTP_CONVEYED_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

#define CONVEYED_MOD "ietf-sztp-conveyed-info"

struct conveyed_image {
	const char *os_name;	 /* NULL = absent */
	const char *os_version;	 /* NULL = absent */
	const char *const *uris; /* download-uri, in order */
	size_t n_uris;
	const uint8_t *sha256; /* 32 bytes; NULL = no image-verification */
};

struct conveyed_onboarding {
	const struct conveyed_image *image; /* NULL = no boot-image */
	const char *config_handling;	    /* "merge", "replace" or NULL */
	const sztp_bytes *pre_script;	    /* NULL = absent (raw, encoded here) */
	const sztp_bytes *config;	    /* NULL = absent */
	const sztp_bytes *post_script;	    /* NULL = absent */
};

struct conveyed_server {
	const char *address;		/* inet:host, IPv6 without brackets */
	unsigned port;			/* 0 = omitted (YANG default 443) */
	const sztp_bytes *trust_anchor; /* certs-only CMS (DER); NULL = absent */
};

/* Onboarding information: {"ietf-sztp-conveyed-info:onboarding-information":
 * {...}}, compact, YANG order.  *json is a new string (free()). */
sztp_rc conveyed_onboarding_json(const struct conveyed_onboarding *o, char **json,
				 struct sztp_err *e);

/* Redirect information with n >= 1 bootstrap servers (RFC 8572 s2.2). */
sztp_rc conveyed_redirect_json(const struct conveyed_server *s, size_t n, char **json,
			       struct sztp_err *e);

#endif
