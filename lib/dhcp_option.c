/*
 * dhcp_option.c - parser for the SZTP redirect DHCP options (RFC 8572
 * s8.1 DHCPv4 option 143, s8.2 DHCPv6 option 136, s8.3 the URI entry
 * format shared by both): a list of entries, each a 2-byte big-endian
 * uri-length followed by an https URI.  The client ignores invalid
 * entries and discards the option when none is valid (s8.3); DHCPv4
 * options longer than 255 bytes arrive split and are concatenated
 * (RFC 3396, which s8.1 makes a MUST for the client).  Every length is
 * checked against the bytes actually present; nothing is trusted.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_option.h"

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

/* RFC 8572 s8.3: each URI MUST be https://<ip-address-or-hostname>[:<port>] */
int dhcp_uri_valid(const char *s)
{
	const char *p, *h;
	size_t n;
	long port;

	if (strncasecmp(s, "https://", 8))
		return 0;
	p = s + 8;
	if (*p == '[') { /* IPv6 literal */
		h = ++p;
		while (isxdigit((unsigned char)*p) || *p == ':' || *p == '.')
			p++;
		if (*p != ']' || p - h < 2 || !memchr(h, ':', (size_t)(p - h)))
			return 0;
		p++;
	} else {
		h = p;
		while (host_char((unsigned char)*p))
			p++;
		n = (size_t)(p - h);
		if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-' || h[n - 1] == '.' ||
		    h[n - 1] == '-' || memmem(h, n, "..", 2))
			return 0;
	}
	if (*p == ':') {
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		port = 0;
		for (n = 0; isdigit((unsigned char)*p); p++, n++) {
			port = port * 10 + (*p - '0');
			if (n > 5 || port > 65535)
				return 0;
		}
		if (port == 0)
			return 0;
	}
	return *p == '\0';
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
