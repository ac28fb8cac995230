/*
 * http_parse.c - the two checks of a request head that sztpd makes on
 * the raw bytes, apart from libmicrohttpd so that they can be unit-tested
 * and fuzzed alone: the request target (RFC 9112 s3.2, RFC 3986 s3.3:
 * what must be %-encoded, well-formed escapes, no NUL or control
 * character once decoded) and the Host field value (RFC 9110 s7.2).
 */
#include <string.h>

#include "http.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 3986 pchar, '/' and '?': what a request target may hold unencoded. */
static int target_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~!$&'()*+,;=:@/?%", c));
}

int http_target(const char *uri, char *out, size_t outlen, const char **query, const char **msg)
{
	const char *q = strchr(uri, '?');
	size_t end = q ? (size_t)(q - uri) : strlen(uri), i, o = 0;

	*query = q ? q + 1 : NULL;
	*msg = NULL;
	for (i = 0; uri[i] && !*msg; i++) {
		if (!target_char(uri[i]))
			*msg = "the request target has a character that must be %-encoded";
		else if (uri[i] == '%' && (hexval(uri[i + 1]) < 0 || hexval(uri[i + 2]) < 0))
			*msg = "the request target has a malformed %-escape";
	}
	for (i = 0; i < end && !*msg; i++) {
		int c = (unsigned char)uri[i];
		if (c == '%') {
			c = hexval(uri[i + 1]) * 16 + hexval(uri[i + 2]);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			*msg = "the request target has a NUL or control character";
		else if (o + 1 >= outlen)
			*msg = "the request target is too long";
		else
			out[o++] = (char)c;
	}
	if (outlen)
		out[*msg ? 0 : o] = '\0';
	return *msg ? -1 : 0;
}

int http_host_valid(const char *v, size_t len)
{
	size_t i = 0;

	if (!len)
		return 0;  /* an https URI has a host (RFC 9110 s4.2.2) */
	if (v[0] == '[') { /* IP-literal */
		for (i = 1; i < len && v[i] != ']'; i++)
			if (!strchr("0123456789abcdefABCDEF:.vV-_~!$&'()*+,;=", v[i]))
				return 0;
		if (i == len || i == 1)
			return 0;
		i++;
	} else {
		for (; i < len && v[i] != ':'; i++)
			if (!(v[i] >= 'a' && v[i] <= 'z') && !(v[i] >= 'A' && v[i] <= 'Z') &&
			    !(v[i] >= '0' && v[i] <= '9') && !strchr("-._~!$&'()*+,;=%", v[i]))
				return 0;
		if (i == 0)
			return 0;
	}
	if (i == len)
		return 1;
	if (v[i] != ':')
		return 0;
	for (i++; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}
