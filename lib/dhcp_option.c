/*
 * dhcp_option.c - parser and encoder of the SZTP redirect DHCP options (RFC 8572
 * s8.1 DHCPv4 option 143, s8.2 DHCPv6 option 136, s8.3 the URI entry
 * format shared by both): a list of entries, each a 2-byte big-endian
 * uri-length followed by an https URI.  The client ignores invalid
 * entries and discards the option when none is valid (s8.3); DHCPv4
 * options longer than 255 bytes arrive split and are concatenated
 * (RFC 3396, which s8.1 makes a MUST for the client).  Every length is
 * checked against the bytes actually present; nothing is trusted.
 * The encoder (sztpctl dhcp) builds the same list from URIs it checked
 * with the same rules, and splits a DHCPv4 option the RFC 3396 way.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_option.h"

#define DHCP_STR_(x) #x
#define DHCP_STR(x)  DHCP_STR_(x)

void dhcp_uris_free(struct dhcp_uris *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->n; i++)
		free(u->uri[i]);
	memset(u, 0, sizeof(*u));
}

static int host_char(int c)
{
	return isalnum(c) || c == '-' || c == '.';
}

/* A DNS name (RFC 1123 labels of letters, digits and '-', 1 to 63 bytes,
 * no leading or trailing '-') or a dotted IPv4 address, n bytes at h. */
static int host_name_ok(const char *h, size_t n)
{
	size_t i, label = 0;

	if (n > 1 && h[n - 1] == '.') /* an absolute name (RFC 1034 s3.1) */
		n--;
	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && h[i] != '.') {
			if (!host_char((unsigned char)h[i]))
				return 0;
			if (++label > 63)
				return 0;
			continue;
		}
		/* end of a label: not empty, no '-' at either end */
		if (label == 0 || h[i - label] == '-' || h[i - 1] == '-')
			return 0;
		label = 0;
	}
	return 1;
}

/* RFC 8572 s8.3: each URI MUST be https://<ip-address-or-hostname>[:<port>] */
const char *dhcp_uri_problem(const char *uri)
{
	char lit[64];
	struct in6_addr a6;
	const char *p, *h, *end;
	size_t n;
	long port;

	if (!uri || !*uri)
		return "is empty";
	if (strlen(uri) > DHCP_URI_LEN_MAX)
		return "longer than " DHCP_STR(DHCP_URI_LEN_MAX) " bytes";
	if (strncasecmp(uri, "https://", 8))
		return "not an https URI";
	p = uri + 8;
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)))
		return "has user information (user@) before the host";
	if (*p == '[') { /* IPv6 literal */
		h = ++p;
		while (*p && *p != ']')
			p++;
		n = (size_t)(p - h);
		if (*p != ']' || n == 0 || n >= sizeof(lit))
			return "host is not a valid name or address";
		memcpy(lit, h, n);
		lit[n] = '\0';
		if (inet_pton(AF_INET6, lit, &a6) != 1)
			return "host is not a valid name or address";
		p++;
	} else {
		h = p;
		while (host_char((unsigned char)*p))
			p++;
		if (!host_name_ok(h, (size_t)(p - h)))
			return "host is not a valid name or address";
	}
	if (*p == ':') {
		p++;
		port = 0;
		for (n = 0; isdigit((unsigned char)*p); p++, n++)
			if (n < 6)
				port = port * 10 + (*p - '0');
		if (n == 0 || n > 5 || port == 0 || port > 65535 || (*p && !strchr("/?#", *p)))
			return "bad port";
	}
	if (*p == '/')
		return "has a path after the authority";
	if (*p == '?' || *p == '#')
		return "has a query or fragment";
	if (*p)
		return "host is not a valid name or address";
	return NULL;
}

int dhcp_uri_valid(const char *s)
{
	return dhcp_uri_problem(s) == NULL;
}

sztp_rc dhcp_uri_list_parse(const uint8_t *v, size_t len, struct dhcp_uris *out, struct sztp_err *e)
{
	size_t pos = 0, l;
	char *u;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return sztp_err_set(e, SZTP_E_MALFORMED, "SZTP redirect option is empty");
	while (pos < len) {
		if (len - pos < 2) { /* a dangling byte: not even a length */
			out->n_invalid++;
			break;
		}
		l = (size_t)v[pos] << 8 | v[pos + 1];
		pos += 2;
		if (l > len - pos) { /* truncated entry: framing lost, stop */
			out->n_invalid++;
			break;
		}
		if (l == 0 || l > DHCP_URI_LEN_MAX || memchr(v + pos, '\0', l) ||
		    out->n == DHCP_URI_MAX) {
			out->n_invalid++;
			pos += l;
			continue;
		}
		u = strndup((const char *)v + pos, l);
		pos += l;
		if (!u) {
			dhcp_uris_free(out);
			return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		}
		if (!dhcp_uri_valid(u)) {
			out->n_invalid++;
			free(u);
			continue;
		}
		out->uri[out->n++] = u;
	}
	if (out->n == 0) /* RFC 8572 s8.3: discard the option */
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "SZTP redirect option discarded: none of its %zu entries is "
				    "a valid https://host[:port] URI",
				    out->n_invalid);
	return SZTP_OK;
}

sztp_rc dhcp_v4_collect(const uint8_t *opts, size_t len, unsigned code, uint8_t *out, size_t cap,
			size_t *outlen, struct sztp_err *e)
{
	size_t pos = 0, l, n = 0;
	int found = 0;

	while (pos < len) {
		if (opts[pos] == 0) { /* pad */
			pos++;
			continue;
		}
		if (opts[pos] == 255) /* end */
			break;
		if (len - pos < 2)
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "DHCPv4 option %u at offset %zu has no length byte",
					    opts[pos], pos);
		l = opts[pos + 1];
		if (l > len - pos - 2)
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "DHCPv4 option %u at offset %zu: length %zu exceeds "
					    "the %zu bytes left",
					    opts[pos], pos, l, len - pos - 2);
		if (opts[pos] == code) { /* RFC 3396: concatenate every instance */
			if (l > cap - n)
				return sztp_err_set(e, SZTP_E_TOO_BIG,
						    "DHCPv4 option %u is longer than %zu bytes",
						    code, cap);
			memcpy(out + n, opts + pos + 2, l);
			n += l;
			found = 1;
		}
		pos += 2 + l;
	}
	if (!found)
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "no DHCPv4 option %u", code);
	*outlen = n;
	return SZTP_OK;
}

sztp_rc dhcp_v6_find(const uint8_t *opts, size_t len, unsigned code, const uint8_t **val,
		     size_t *vlen, struct sztp_err *e)
{
	size_t pos = 0, l;
	unsigned c;
	int found = 0;

	while (pos < len) {
		if (len - pos < 4)
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "DHCPv6 option header truncated at offset %zu", pos);
		c = (unsigned)opts[pos] << 8 | opts[pos + 1];
		l = (size_t)opts[pos + 2] << 8 | opts[pos + 3];
		if (l > len - pos - 4)
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "DHCPv6 option %u at offset %zu: length %zu exceeds "
					    "the %zu bytes left",
					    c, pos, l, len - pos - 4);
		if (c == code) {
			if (found) /* RFC 8572 s8.2: MUST NOT appear more than once */
				return sztp_err_set(e, SZTP_E_INVALID_VALUE,
						    "DHCPv6 option %u appears more than once",
						    code);
			found = 1;
			*val = opts + pos + 4;
			*vlen = l;
		}
		pos += 4 + l;
	}
	if (!found)
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "no DHCPv6 option %u", code);
	return SZTP_OK;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

sztp_rc dhcp_value_decode(const uint8_t *in, size_t len, uint8_t *out, size_t *outlen,
			  struct sztp_err *e)
{
	size_t i, n = 0, tok = 0;
	int hex = 1, colons = 0, hi = -1, v = 0;

	for (i = 0; i < len && hex; i++) {
		if (!(isxdigit(in[i]) || in[i] == ':' || isspace(in[i])))
			hex = 0;
		colons |= in[i] == ':';
	}
	if (!hex || len == 0) {
		memcpy(out, in, len);
		*outlen = len;
		return SZTP_OK;
	}
	if (colons) { /* dhclient style "0:16:68:..": one octet per token */
		for (i = 0; i <= len; i++) {
			if (i == len || in[i] == ':' || isspace(in[i])) {
				if (tok == 0 && i < len && in[i] == ':')
					return sztp_err_set(
					    e, SZTP_E_MALFORMED,
					    "hex option value has an empty octet at "
					    "offset %zu",
					    i);
				if (tok)
					out[n++] = (uint8_t)v;
				tok = 0;
				v = 0;
				continue;
			}
			if (++tok > 2)
				return sztp_err_set(
				    e, SZTP_E_MALFORMED,
				    "hex option value has an octet of more than two "
				    "digits at offset %zu",
				    i);
			v = v << 4 | hexval(in[i]);
		}
	} else { /* plain hex, white space ignored */
		for (i = 0; i < len; i++) {
			if (isspace(in[i]))
				continue;
			if (hi < 0) {
				hi = hexval(in[i]);
			} else {
				out[n++] = (uint8_t)(hi << 4 | hexval(in[i]));
				hi = -1;
			}
		}
		if (hi >= 0)
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "hex option value has an odd number of digits");
	}
	*outlen = n;
	return SZTP_OK;
}

sztp_rc dhcp_uri_list_encode(const char *const *uris, size_t n, sztp_bytes *out, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	const char *why;
	size_t i, l, total = 0, pos = 0;

	out->data = NULL;
	out->len = 0;
	if (n == 0) {
		sztp_err_set(e, SZTP_E_MISSING_ELEMENT, "no URI: the option needs at least one");
		rc = SZTP_E_MISSING_ELEMENT;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((why = dhcp_uri_problem(uris[i])) != NULL) {
			sztp_err_set(e, rc, "URI '%.200s': %s", uris[i] ? uris[i] : "", why);
			goto out;
		}
		total += 2 + strlen(uris[i]);
	}
	if (total > 65535) { /* RFC 8572 s8.2: the DHCPv6 option length is 2 bytes */
		rc = SZTP_E_TOO_BIG;
		sztp_err_set(e, rc, "the URI list is %zu bytes, more than an option's 65535",
			     total);
		goto out;
	}
	if (!(out->data = malloc(total))) {
		rc = SZTP_E_NOMEM;
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		l = strlen(uris[i]);
		out->data[pos++] = (uint8_t)(l >> 8);
		out->data[pos++] = (uint8_t)l;
		memcpy(out->data + pos, uris[i], l);
		pos += l;
	}
	out->len = total;
	rc = SZTP_OK;
out:
	return rc;
}

sztp_rc dhcp_v4_option_encode(unsigned code, const uint8_t *v, size_t len, sztp_bytes *out,
			      struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	size_t pieces, off = 0, pos = 0, chunk;

	out->data = NULL;
	out->len = 0;
	if (code == 0 || code > 254) { /* 0 is pad, 255 end */
		sztp_err_set(e, rc, "DHCPv4 option code %u is not 1 to 254", code);
		goto out;
	}
	pieces = len ? (len + 254) / 255 : 1; /* RFC 3396: split only past 255 bytes */
	if (!(out->data = malloc(len + 2 * pieces))) {
		rc = SZTP_E_NOMEM;
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	do {
		chunk = len - off > 255 ? 255 : len - off;
		out->data[pos++] = (uint8_t)code;
		out->data[pos++] = (uint8_t)chunk;
		if (chunk)
			memcpy(out->data + pos, v + off, chunk);
		pos += chunk;
		off += chunk;
	} while (off < len);
	out->len = pos;
	rc = SZTP_OK;
out:
	return rc;
}
