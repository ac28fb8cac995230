/*
 * dns_zone.h - master-file text (RFC 1035 s5.1) of the DNS records of
 * RFC 8572 s4.2: zone names, TXT character-strings of binary data (each
 * at most 255 bytes; RFC 8572 s4.2 points at RFC 4408 s3.1.3 for values
 * spread over several), and the bootstrap-server URIs an SRV record can
 * name.  A serial becomes one label with dns_label_escape (lib/dns_msg.h,
 * shared with the agent, which queries the same names).  The admin API
 * (admin/dns.c) checks and names with it, sztpctl (cli/ctl_dns.c) renders
 * with it; text only, no DNS messages (that is lib/dns_msg).
 */
#ifndef SZTP_DNS_ZONE_H
#define SZTP_DNS_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "dns_msg.h" /* DNS_LABEL_MAX, dns_label_escape */
#include "result.h"

#define DNS_NAME_WIRE_MAX 255	/* bytes of a name on the wire, length octets included */
#define DNS_TEXT_MAX	  1024	/* a name in master-file text: 255 bytes, each at most \DDD */
#define DNS_STRING_MAX	  255	/* bytes of one TXT character-string */
#define DNS_RDATA_MAX	  65535 /* RDLENGTH is 16 bits; a TXT RR's RDATA stays below it */
#define DNS_MSG_MAX	  65535 /* a DNS message over TCP (RFC 1035 s4.2.2) */

/* Check a zone name an operator gave ("example.com" or "example.com."):
 * labels of 1..63 letters, digits, '-' and '_', not starting or ending in
 * '-', at most DNS_NAME_WIRE_MAX bytes on the wire.  NULL when valid, with
 * out = the fully qualified name ("example.com.", lowercase kept) and
 * *wire its length on the wire; else the reason in words. */
const char *dns_zone_problem(const char *zone, char *out, size_t len, size_t *wire);

/* A bootstrap server's URI as an SRV record names it: https://HOST[:PORT]
 * with nothing after the authority (RFC 8572 s8.3) and HOST a name, not an
 * IP literal (an SRV target is a domain name, RFC 2782).  NULL when valid,
 * with host ("bootstrap.example.com." fully qualified, at most
 * DNS_NAME_WIRE_MAX on the wire) and *port (443 when absent); else the
 * reason in words. */
const char *dns_server_uri_problem(const char *uri, char *host, size_t hostlen, unsigned *port);

/* RDATA bytes of one TXT RR whose character-strings concatenate to
 * "<key>=" followed by len bytes of data. */
size_t dns_txt_rdlen(size_t keylen, size_t len);

/* That RR's RDATA as master-file text: quoted character-strings of at
 * most DNS_STRING_MAX bytes each, separated by sep ("\n\t" keeps lines
 * short), with '"' and '\\' as \X and bytes outside '!'..'~' as \DDD.
 * *out is a new string (free()). */
sztp_rc dns_txt_text(const char *key, const uint8_t *data, size_t len, const char *sep, char **out,
		     struct sztp_err *e);

#endif
