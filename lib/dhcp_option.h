/*
 * dhcp_option.h - the SZTP redirect option as a DHCP server sends it and
 * a DHCP client hands it to its hook script: DHCPv4 option 143 / DHCPv6
 * option 136 (RFC 8572 s8), a list of 2-byte length-prefixed https URIs.
 * In libsztp: the agent parses it, sztpctl encodes it (sztpctl dhcp).
 */
#ifndef SZTP_DHCP_OPTION_H
#define SZTP_DHCP_OPTION_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

#define DHCP_V4_SZTP_REDIRECT 143
#define DHCP_V6_SZTP_REDIRECT 136
#define DHCP_URI_MAX	      32   /* entries kept */
#define DHCP_URI_LEN_MAX      1024 /* bytes per URI */

struct dhcp_uris {
	char *uri[DHCP_URI_MAX];
	size_t n;
	size_t n_invalid; /* entries ignored (RFC 8572 s8.3) */
};

/* Parse the option value (the URI list).  Invalid entries are ignored;
 * SZTP_E_INVALID_VALUE when no entry is valid (the option is discarded),
 * SZTP_E_MALFORMED when the framing is broken before any valid entry. */
sztp_rc dhcp_uri_list_parse(const uint8_t *v, size_t len, struct dhcp_uris *out,
			    struct sztp_err *e);

/* Collect option `code` from a DHCPv4 options area (code, len, data ...;
 * pad 0 and end 255 honoured), concatenating every instance (RFC 3396). */
sztp_rc dhcp_v4_collect(const uint8_t *opts, size_t len, unsigned code, uint8_t *out, size_t cap,
			size_t *outlen, struct sztp_err *e);
/* The single DHCPv6 option `code` (2-byte code, 2-byte length); more
 * than one instance is refused (RFC 8572 s8.2: a singleton). */
sztp_rc dhcp_v6_find(const uint8_t *opts, size_t len, unsigned code, const uint8_t **val,
		     size_t *vlen, struct sztp_err *e);

/* Decode what a hook script receives: hex ("00:16:68..." or "0016 68...")
 * when every character is a hex digit, ':' or white space, else raw
 * bytes.  out must hold len bytes. */
sztp_rc dhcp_value_decode(const uint8_t *in, size_t len, uint8_t *out, size_t *outlen,
			  struct sztp_err *e);

/* NULL when uri is https://<host-or-ip>[:<port>] (RFC 8572 s8.3), else
 * what is wrong, in words: "is empty", "longer than 1024 bytes", "not an
 * https URI", "has user information (user@) before the host", "host is
 * not a valid name or address", "bad port", "has a path after the
 * authority", "has a query or fragment". */
const char *dhcp_uri_problem(const char *uri);
/* 1 when s is https://<host>[:<port>] (RFC 8572 s8.3), else 0:
 * !dhcp_uri_problem(s). */
int dhcp_uri_valid(const char *s);

/* The option value for n URIs (the same for option 143 and 136): each a
 * 2-byte big-endian length and the URI.  A bad URI is SZTP_E_INVALID_VALUE
 * ("URI 'x': <reason>"), none SZTP_E_MISSING_ELEMENT, a list over 65535
 * bytes SZTP_E_TOO_BIG; out is {NULL, 0} on failure. */
sztp_rc dhcp_uri_list_encode(const char *const *uris, size_t n, sztp_bytes *out,
			     struct sztp_err *e);
/* DHCPv4 option `code` (1..254) with value v as it goes in the options
 * field: code, length, data; a value over 255 bytes as several instances
 * of at most 255 bytes each, in order (RFC 3396; RFC 8572 erratum 6684),
 * which dhcp_v4_collect joins again.  out is {NULL, 0} on failure. */
sztp_rc dhcp_v4_option_encode(unsigned code, const uint8_t *v, size_t len, sztp_bytes *out,
			      struct sztp_err *e);

void dhcp_uris_free(struct dhcp_uris *u);

#endif
