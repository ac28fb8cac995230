/*
 * dns_zone.c - master-file text of RFC 8572 s4.2 records; see dns_zone.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dhcp_option.h"
#include "dns_zone.h"

static int ldh(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/* The name of len bytes (no trailing dot) is made of valid labels: NULL,
 * else the reason. */
static const char *name_problem(const char *s, size_t len)
{
	size_t i, start = 0;

	if (len == 0)
		return "is empty";
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (!ldh((unsigned char)s[i]))
				return "has a character other than letters, digits, '-' and '_'";
			continue;
		}
		if (i == start)
			return "has an empty label";
		if (i - start > DNS_LABEL_MAX)
			return "has a label longer than 63 bytes";
		if (s[start] == '-' || s[i - 1] == '-')
			return "has a label starting or ending with '-'";
		start = i + 1;
	}
	/* wire: a length octet per label (len + 1 covers the dots and the
	 * first), and the root's */
	if (len + 2 > DNS_NAME_WIRE_MAX)
		return "is longer than 255 bytes on the wire";
	return NULL;
}

const char *dns_zone_problem(const char *zone, char *out, size_t len, size_t *wire)
{
	size_t n = strlen(zone);
	const char *why;

	if (len)
		out[0] = '\0';
	*wire = 0;
	if (n && zone[n - 1] == '.')
		n--;
	if ((why = name_problem(zone, n)) != NULL)
		return why;
	if (n + 2 > len)
		return "is too long";
	memcpy(out, zone, n);
	out[n] = '.';
	out[n + 1] = '\0';
	*wire = n + 2;
	return NULL;
}

/* A dotted-quad IPv4 address (RFC 3986 IPv4address, loosely): digits and
 * dots only. */
static int ipv4_like(const char *h, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!(h[i] == '.' || (h[i] >= '0' && h[i] <= '9')))
			return 0;
	return 1;
}

const char *dns_server_uri_problem(const char *uri, char *host, size_t hostlen, unsigned *port)
{
	const char *h = uri + 8, *why, *colon;
	size_t n;

	if (hostlen)
		host[0] = '\0';
	*port = 0;
	/* the option 143 rule (RFC 8572 s8.3), then what SRV adds: a name */
	if (!strncasecmp(uri, "https://", 8) && *h == '[')
		return "an IP address: an SRV target must be a host name";
	if ((why = dhcp_uri_problem(uri)) != NULL)
		return why;
	colon = strchr(h, ':');
	n = colon ? (size_t)(colon - h) : strlen(h);
	if (h[n - 1] == '.')
		n--;
	if (ipv4_like(h, n))
		return "an IP address: an SRV target must be a host name";
	if (n + 2 > hostlen)
		return "host is too long";
	memcpy(host, h, n);
	host[n] = '.';
	host[n + 1] = '\0';
	*port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 443;
	return NULL;
}

size_t dns_txt_rdlen(size_t keylen, size_t len)
{
	size_t total = keylen + 1 + len;

	/* a length octet per character-string of up to 255 bytes */
	return total + (total + DNS_STRING_MAX - 1) / DNS_STRING_MAX;
}

sztp_rc dns_txt_text(const char *key, const uint8_t *data, size_t len, const char *sep, char **out,
		     struct sztp_err *e)
{
	size_t klen = strlen(key), total = klen + 1 + len, i, o = 0, cap;
	size_t nstr = (total + DNS_STRING_MAX - 1) / DNS_STRING_MAX;
	char *s;
	sztp_rc rc = SZTP_E_NOMEM;

	*out = NULL;
	/* each byte at most \DDD, each string two quotes and a separator */
	cap = 4 * total + nstr * (2 + strlen(sep)) + 1;
	s = malloc(cap);
	if (!s) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	for (i = 0; i < total; i++) {
		int ch = i < klen ? (unsigned char)key[i] : i == klen ? '=' : data[i - klen - 1];

		if (i % DNS_STRING_MAX == 0) {
			if (i)
				o += (size_t)snprintf(s + o, cap - o, "\"%s", sep);
			s[o++] = '"';
		}
		if (ch < '!' || ch > '~')
			o += (size_t)snprintf(s + o, cap - o, "\\%03d", ch);
		else if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(s + o, cap - o, "\\%c", ch);
		else
			s[o++] = (char)ch;
	}
	s[o++] = '"';
	s[o] = '\0';
	*out = s;
	rc = SZTP_OK;
out:
	return rc;
}
