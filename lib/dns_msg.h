/*
 * dns_msg.h - what the agent's DNS source (RFC 8572 s4.2) reads from a
 * DNS response message, as pure parsers over the bytes a resolver
 * returned (no I/O, no libresolv): the device-specific TXT record set
 * (keys ci, oc, ov, binary values) and the SRV record set of the
 * bootstrap servers, plus the escaping of a serial number into one DNS
 * label of the query name `<serial>._sztp.<domain>`.
 *
 * The parsers trust nothing in the message: every length is checked
 * against the message, names are at most 255 bytes, compression pointers
 * must point strictly backwards (so they cannot loop), and the records
 * taken are those of the question's name (or of the end of a CNAME chain
 * in the answer section, at most DNS_CNAME_MAX links), class IN.
 */
#ifndef SZTP_DNS_MSG_H
#define SZTP_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

#define DNS_T_CNAME   5
#define DNS_T_TXT     16
#define DNS_T_SRV     33
#define DNS_CNAME_MAX 8	  /* CNAME links followed in one answer */
#define DNS_LABEL_MAX 63  /* bytes of one label (RFC 1035 s2.3.4) */
#define DNS_LABEL_TXT 253 /* presentation form of a label, with NUL: 63 * 4 + 1 */
#define DNS_HOST_TXT  256 /* an SRV target as text, no trailing dot, with NUL */

/* Bits of dns_sztp_txt.keys */
#define DNS_KEY_CI 0x1u
#define DNS_KEY_OC 0x2u
#define DNS_KEY_OV 0x4u

/* The RFC 8572 s4.2 TXT record set of one name.  Each TXT RR is the
 * concatenation of its character-strings (RFC 4408 s3.1.3), a key=value
 * pair (RFC 1464: the key is everything before the first '=', compared
 * without regard to case); the values are binary. */
struct dns_sztp_txt {
	sztp_bytes ci, oc, ov; /* empty when the key is absent */
	unsigned keys;	       /* DNS_KEY_* present (a value may be empty) */
	size_t n_rr;	       /* TXT RRs of the name */
	size_t n_ignored;      /* of those: other keys or no '=' */
};

/* The TXT RRs answering the message's question (qtype TXT).  A key of
 * ci/oc/ov given twice refuses the whole set (SZTP_E_INVALID_VALUE);
 * NXDOMAIN or no TXT RR at the name is SZTP_E_NOT_FOUND; another rcode
 * SZTP_E_UNAVAILABLE; a truncated (TC) message SZTP_E_TOO_BIG; anything
 * broken SZTP_E_MALFORMED.  *out is zeroed on failure. */
sztp_rc dns_sztp_txt_parse(const uint8_t *msg, size_t len, struct dns_sztp_txt *out,
			   struct sztp_err *e);
void dns_sztp_txt_free(struct dns_sztp_txt *t);

struct dns_srv {
	uint16_t priority, weight, port;
	char target[DNS_HOST_TXT]; /* host name, no trailing dot */
};

/* The SRV RRs answering the message's question (qtype SRV), ordered by
 * priority ascending, then weight descending (message order for equal
 * ones); at most max kept (the first ones in that order).  RRs whose
 * target is "." (RFC 2782: no service), whose port is 0 or whose target
 * is not a host name (a label holding other than letters, digits, '-'
 * or '_') are left out and counted in *skipped.  Results as for
 * dns_sztp_txt_parse; *n is 0 on failure. */
sztp_rc dns_srv_parse(const uint8_t *msg, size_t len, struct dns_srv *out, size_t max, size_t *n,
		      size_t *skipped, struct sztp_err *e);

/* One label in RFC 1035 s5.1 presentation form: '.' and '\' and the
 * zone file's special characters " ( ) ; @ $ get a backslash, bytes
 * outside '!'..'~' become \DDD.  An empty label or one over 63 bytes is
 * refused (SZTP_E_INVALID_VALUE); out too small is SZTP_E_TOO_BIG (out
 * needs at most DNS_LABEL_TXT).  out is "" on failure. */
sztp_rc dns_label_escape(const char *label, char *out, size_t outlen, struct sztp_err *e);

#endif
