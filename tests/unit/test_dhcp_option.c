/*
 * test_dhcp_option.c - the SZTP redirect DHCP option parser (RFC 8572
 * s8): URI list framing, invalid entries ignored, option discarded when
 * none is valid, RFC 3396 concatenation of split DHCPv4 options, the
 * DHCPv6 singleton rule, hex/raw hook values, and truncated, oversized
 * and hostile input.
 */
#include "dhcp_option.h"
#include "unit.h"

/* Append one entry (2-byte length + bytes) to buf at *n. */
static void put(uint8_t *buf, size_t *n, const char *uri)
{
	size_t l = strlen(uri);

	buf[(*n)++] = (uint8_t)(l >> 8);
	buf[(*n)++] = (uint8_t)l;
	memcpy(buf + *n, uri, l);
	*n += l;
}

static void test_uri_valid(void)
{
	CHECK(dhcp_uri_valid("https://sztp.example.com"));
	CHECK(dhcp_uri_valid("https://sztp.example.com:8443"));
	CHECK(dhcp_uri_valid("HTTPS://192.0.2.1:443"));
	CHECK(dhcp_uri_valid("https://[2001:db8::1]:8443"));
	CHECK(dhcp_uri_valid("https://[::1]"));
	CHECK(!dhcp_uri_valid("http://sztp.example.com"));
	CHECK(!dhcp_uri_valid("https://"));
	CHECK(!dhcp_uri_valid("https://host/restconf")); /* s8.3: no path */
	CHECK(!dhcp_uri_valid("https://host:"));
	CHECK(!dhcp_uri_valid("https://host:0"));
	CHECK(!dhcp_uri_valid("https://host:65536"));
	CHECK(!dhcp_uri_valid("https://host:443x"));
	CHECK(!dhcp_uri_valid("https://ho st"));
	CHECK(!dhcp_uri_valid("https://.host"));
	CHECK(!dhcp_uri_valid("https://a..b"));
	CHECK(!dhcp_uri_valid("https://[2001:db8::1"));
	CHECK(!dhcp_uri_valid("https://[]"));
	CHECK(!dhcp_uri_valid("https://user@host"));
}

static void test_list(void)
{
	uint8_t buf[4096];
	size_t n = 0;
	struct dhcp_uris u;
	struct sztp_err e;

	put(buf, &n, "https://a.example:8443");
	put(buf, &n, "ftp://bad.example"); /* invalid: ignored */
	put(buf, &n, "https://[2001:db8::2]");
	CHECK_RC(dhcp_uri_list_parse(buf, n, &u, &e), SZTP_OK);
	CHECK(u.n == 2 && u.n_invalid == 1);
	CHECK(u.n == 2 && !strcmp(u.uri[0], "https://a.example:8443"));
	CHECK(u.n == 2 && !strcmp(u.uri[1], "https://[2001:db8::2]"));
	dhcp_uris_free(&u);

	/* only invalid entries: the whole option is discarded */
	n = 0;
	put(buf, &n, "http://a");
	put(buf, &n, "https://a/path");
	CHECK_RC(dhcp_uri_list_parse(buf, n, &u, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "discarded") != NULL);
	CHECK(u.n == 0 && u.n_invalid == 2);

	/* empty option */
	CHECK_RC(dhcp_uri_list_parse(buf, 0, &u, &e), SZTP_E_MALFORMED);

	/* zero-length entry ignored, valid one after it kept */
	n = 0;
	buf[n++] = 0;
	buf[n++] = 0;
	put(buf, &n, "https://b");
	CHECK_RC(dhcp_uri_list_parse(buf, n, &u, &e), SZTP_OK);
	CHECK(u.n == 1 && u.n_invalid == 1);
	dhcp_uris_free(&u);

	/* truncated last entry: first kept, truncated one ignored */
	n = 0;
	put(buf, &n, "https://c");
	put(buf, &n, "https://truncated.example");
	CHECK_RC(dhcp_uri_list_parse(buf, n - 5, &u, &e), SZTP_OK);
	CHECK(u.n == 1 && u.n_invalid == 1 && !strcmp(u.uri[0], "https://c"));
	dhcp_uris_free(&u);

	/* a dangling single length byte */
	n = 0;
	put(buf, &n, "https://d");
	buf[n++] = 0;
	CHECK_RC(dhcp_uri_list_parse(buf, n, &u, &e), SZTP_OK);
	CHECK(u.n == 1 && u.n_invalid == 1);
	dhcp_uris_free(&u);

	/* length claiming far more than present, only entry */
	buf[0] = 0xff;
	buf[1] = 0xff;
	memcpy(buf + 2, "https://e", 9);
	CHECK_RC(dhcp_uri_list_parse(buf, 11, &u, &e), SZTP_E_INVALID_VALUE);

	/* embedded NUL in a URI is invalid */
	n = 0;
	buf[n++] = 0;
	buf[n++] = 11;
	memcpy(buf + n, "https://f\0g", 11);
	n += 11;
	put(buf, &n, "https://ok");
	CHECK_RC(dhcp_uri_list_parse(buf, n, &u, &e), SZTP_OK);
	CHECK(u.n == 1 && u.n_invalid == 1 && !strcmp(u.uri[0], "https://ok"));
	dhcp_uris_free(&u);
}

static void test_list_limits(void)
{
	static uint8_t buf[65536];
	char uri[40];
	size_t n = 0, i;
	struct dhcp_uris u;
	struct sztp_err e;

	for (i = 0; i < DHCP_URI_MAX + 5; i++) {
		snprintf(uri, sizeof(uri), "https://h%zu.example", i);
		put(buf, &n, uri);
	}
	CHECK_RC(dhcp_uri_list_parse(buf, n, &u, &e), SZTP_OK);
	CHECK(u.n == DHCP_URI_MAX && u.n_invalid == 5);
	dhcp_uris_free(&u);

	/* an oversized URI (over DHCP_URI_LEN_MAX) is ignored */
	n = 0;
	buf[n++] = (uint8_t)((DHCP_URI_LEN_MAX + 1) >> 8);
	buf[n++] = (uint8_t)(DHCP_URI_LEN_MAX + 1);
	memcpy(buf + n, "https://", 8);
	memset(buf + n + 8, 'a', DHCP_URI_LEN_MAX + 1 - 8);
	n += DHCP_URI_LEN_MAX + 1;
	put(buf, &n, "https://last");
	CHECK_RC(dhcp_uri_list_parse(buf, n, &u, &e), SZTP_OK);
	CHECK(u.n == 1 && u.n_invalid == 1);
	dhcp_uris_free(&u);
}

/* RFC 3396: a list over 255 bytes split into several option 143 instances. */
static void test_v4_split(void)
{
	uint8_t list[1024], opts[2048], out[2048];
	size_t n = 0, o = 0, off, chunk, outlen = 0, i;
	struct dhcp_uris u;
	struct sztp_err e;
	char uri[80];

	for (i = 0; i < 8; i++) {
		snprintf(uri, sizeof(uri), "https://bootstrap-server-%zu.long-domain.example:8443",
			 i);
		put(list, &n, uri);
	}
	CHECK(n > 255);
	opts[o++] = 53; /* message type, unrelated */
	opts[o++] = 1;
	opts[o++] = 1;
	for (off = 0; off < n; off += chunk) {
		chunk = n - off > 255 ? 255 : n - off;
		opts[o++] = 143;
		opts[o++] = (uint8_t)chunk;
		memcpy(opts + o, list + off, chunk);
		o += chunk;
		opts[o++] = 0; /* pad between instances */
		opts[o++] = 6; /* an unrelated option between the pieces */
		opts[o++] = 4;
		memset(opts + o, 9, 4);
		o += 4;
	}
	opts[o++] = 255;
	CHECK_RC(dhcp_v4_collect(opts, o, 143, out, sizeof(out), &outlen, &e), SZTP_OK);
	CHECK(outlen == n && !memcmp(out, list, n));
	CHECK_RC(dhcp_uri_list_parse(out, outlen, &u, &e), SZTP_OK);
	CHECK(u.n == 8 && u.n_invalid == 0);
	CHECK(u.n == 8 && !strcmp(u.uri[7], "https://bootstrap-server-7.long-domain.example:8443"));
	dhcp_uris_free(&u);

	/* split in the middle of an entry's length field still works */
	o = 0;
	opts[o++] = 143;
	opts[o++] = 1;
	opts[o++] = list[0];
	opts[o++] = 143;
	opts[o++] = (uint8_t)(list[1] + 1); /* rest of the first entry */
	memcpy(opts + o, list + 1, (size_t)list[1] + 1);
	o += (size_t)list[1] + 1;
	CHECK_RC(dhcp_v4_collect(opts, o, 143, out, sizeof(out), &outlen, &e), SZTP_OK);
	CHECK_RC(dhcp_uri_list_parse(out, outlen, &u, &e), SZTP_OK);
	CHECK(u.n == 1);
	dhcp_uris_free(&u);

	/* truncated option length */
	o = 0;
	opts[o++] = 143;
	opts[o++] = 200;
	memset(opts + o, 'x', 10);
	o += 10;
	CHECK_RC(dhcp_v4_collect(opts, o, 143, out, sizeof(out), &outlen, &e), SZTP_E_MALFORMED);
	opts[0] = 143;
	CHECK_RC(dhcp_v4_collect(opts, 1, 143, out, sizeof(out), &outlen, &e), SZTP_E_MALFORMED);
	/* absent */
	opts[0] = 53;
	opts[1] = 1;
	opts[2] = 1;
	opts[3] = 255;
	CHECK_RC(dhcp_v4_collect(opts, 4, 143, out, sizeof(out), &outlen, &e), SZTP_E_NOT_FOUND);
	/* over the caller's cap */
	o = 0;
	for (i = 0; i < 3; i++) {
		opts[o++] = 143;
		opts[o++] = 200;
		memset(opts + o, 'x', 200);
		o += 200;
	}
	CHECK_RC(dhcp_v4_collect(opts, o, 143, out, 500, &outlen, &e), SZTP_E_TOO_BIG);
}

static void test_v6(void)
{
	uint8_t opts[512], list[256];
	size_t o = 0, n = 0, vlen;
	const uint8_t *val;
	struct sztp_err e;

	put(list, &n, "https://[2001:db8::5]:8443");
	opts[o++] = 0; /* client id, unrelated */
	opts[o++] = 1;
	opts[o++] = 0;
	opts[o++] = 2;
	opts[o++] = 0xaa;
	opts[o++] = 0xbb;
	opts[o++] = 0;
	opts[o++] = 136;
	opts[o++] = 0;
	opts[o++] = (uint8_t)n;
	memcpy(opts + o, list, n);
	o += n;
	CHECK_RC(dhcp_v6_find(opts, o, 136, &val, &vlen, &e), SZTP_OK);
	CHECK(vlen == n && !memcmp(val, list, n));
	/* a second instance is refused: option 136 is a singleton */
	memcpy(opts + o, opts + 6, 4 + n);
	CHECK_RC(dhcp_v6_find(opts, o + 4 + n, 136, &val, &vlen, &e), SZTP_E_INVALID_VALUE);
	/* truncated */
	CHECK_RC(dhcp_v6_find(opts, o - 1, 136, &val, &vlen, &e), SZTP_E_MALFORMED);
	CHECK_RC(dhcp_v6_find(opts, 3, 136, &val, &vlen, &e), SZTP_E_MALFORMED);
	CHECK_RC(dhcp_v6_find(opts, 6, 136, &val, &vlen, &e), SZTP_E_NOT_FOUND);
}

static void test_value_decode(void)
{
	uint8_t out[256];
	size_t n;
	struct sztp_err e;
	const char *colon = "0:9:68:74:74:70:73:3a:2f:2f:61"; /* dhclient style */
	const char *plain = "0009 6874 7470 733a 2f2f 61\n";
	const uint8_t raw[] = {0, 9, 'h', 't', 't', 'p', 's', ':', '/', '/', 'a'};
	struct dhcp_uris u;

	CHECK_RC(dhcp_value_decode((const uint8_t *)colon, strlen(colon), out, &n, &e), SZTP_OK);
	CHECK(n == sizeof(raw) && !memcmp(out, raw, n));
	CHECK_RC(dhcp_value_decode((const uint8_t *)plain, strlen(plain), out, &n, &e), SZTP_OK);
	CHECK(n == sizeof(raw) && !memcmp(out, raw, n));
	CHECK_RC(dhcp_value_decode(raw, sizeof(raw), out, &n, &e), SZTP_OK); /* raw kept */
	CHECK(n == sizeof(raw) && !memcmp(out, raw, n));
	CHECK_RC(dhcp_uri_list_parse(out, n, &u, &e), SZTP_OK);
	CHECK(u.n == 1 && !strcmp(u.uri[0], "https://a"));
	dhcp_uris_free(&u);
	CHECK_RC(dhcp_value_decode((const uint8_t *)"abc", 3, out, &n, &e), SZTP_E_MALFORMED);
	CHECK_RC(dhcp_value_decode((const uint8_t *)"0:123:4", 7, out, &n, &e), SZTP_E_MALFORMED);
	CHECK_RC(dhcp_value_decode((const uint8_t *)"0::4", 4, out, &n, &e), SZTP_E_MALFORMED);
}

/* Hostile input: random bytes never crash and never yield an invalid URI. */
static void test_fuzz(void)
{
	uint8_t buf[600];
	struct dhcp_uris u;
	struct sztp_err e;
	unsigned seed = 12345;
	size_t i, j, len;
	int ok = 1;

	for (i = 0; i < 20000; i++) {
		len = (size_t)(rand_r(&seed) % sizeof(buf));
		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (len > 2 && i % 2) { /* plausible framing */
			buf[0] = 0;
			buf[1] = (uint8_t)(len - 2 > 255 ? 255 : len - 2);
			memcpy(buf + 2, "https://", len - 2 < 8 ? len - 2 : 8);
		}
		if (dhcp_uri_list_parse(buf, len, &u, &e) == SZTP_OK)
			for (j = 0; j < u.n; j++)
				ok &= dhcp_uri_valid(u.uri[j]);
		dhcp_uris_free(&u);
	}
	CHECK(ok);
}

int main(void)
{
	test_uri_valid();
	test_list();
	test_list_limits();
	test_v4_split();
	test_v6();
	test_value_decode();
	test_fuzz();
	return unit_report("test_dhcp_option");
}
