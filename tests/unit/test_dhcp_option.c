/*
 * test_dhcp_option.c - the SZTP redirect DHCP option parser (RFC 8572
 * s8): URI list framing, invalid entries ignored, option discarded when
 * none is valid, RFC 3396 concatenation of split DHCPv4 options, the
 * DHCPv6 singleton rule, hex/raw hook values, and truncated, oversized
 * and hostile input; the encoder (URI checks with their reasons, the
 * list, RFC 3396 splitting) against the parser.
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

#define LABEL63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* Every refusal has its reason, in words. */
static void test_uri_problem(void)
{
	static char big[DHCP_URI_LEN_MAX + 2];
	const char *r;

	CHECK(dhcp_uri_problem("https://sztp.example.com:8443") == NULL);
	CHECK(dhcp_uri_problem("https://[2001:db8::1]") == NULL);
	CHECK(dhcp_uri_problem("https://192.0.2.1") == NULL);
	/* an absolute name (one trailing dot) is a name; a bare dot or two are not */
	CHECK(dhcp_uri_problem("https://sztp.example.com.:8443") == NULL);
	CHECK(dhcp_uri_problem("https://.") != NULL);
	CHECK(dhcp_uri_problem("https://sztp.example.com..") != NULL);
	r = dhcp_uri_problem("");
	CHECK(r && !strcmp(r, "is empty"));
	CHECK(dhcp_uri_problem(NULL) != NULL);
	r = dhcp_uri_problem("http://sztp.example.com");
	CHECK(r && !strcmp(r, "not an https URI"));
	r = dhcp_uri_problem("sztp.example.com");
	CHECK(r && !strcmp(r, "not an https URI"));
	r = dhcp_uri_problem("https://host/restconf");
	CHECK(r && !strcmp(r, "has a path after the authority"));
	r = dhcp_uri_problem("https://host:8443/");
	CHECK(r && !strcmp(r, "has a path after the authority"));
	r = dhcp_uri_problem("https://host?x=1");
	CHECK(r && !strcmp(r, "has a query or fragment"));
	r = dhcp_uri_problem("https://host#f");
	CHECK(r && !strcmp(r, "has a query or fragment"));
	r = dhcp_uri_problem("https://user@host");
	CHECK(r && !strcmp(r, "has user information (user@) before the host"));
	r = dhcp_uri_problem("https://user:pw@host:443");
	CHECK(r && !strcmp(r, "has user information (user@) before the host"));
	r = dhcp_uri_problem("https://ho st");
	CHECK(r && !strcmp(r, "host is not a valid name or address"));
	r = dhcp_uri_problem("https://-host");
	CHECK(r && !strcmp(r, "host is not a valid name or address"));
	r = dhcp_uri_problem("https://a.-b");
	CHECK(r && !strcmp(r, "host is not a valid name or address"));
	r = dhcp_uri_problem("https://[2001:db8::zz]");
	CHECK(r && !strcmp(r, "host is not a valid name or address"));
	r = dhcp_uri_problem("https://[fe80::1%25eth0]");
	CHECK(r && !strcmp(r, "host is not a valid name or address"));
	r = dhcp_uri_problem("https://h\xc3\xa9.example");
	CHECK(r && !strcmp(r, "host is not a valid name or address"));
	snprintf(big, sizeof(big), "https://%s.example", LABEL63 "a");
	r = dhcp_uri_problem(big); /* a 64-byte label */
	CHECK(r && !strcmp(r, "host is not a valid name or address"));
	snprintf(big, sizeof(big), "https://%s.example", LABEL63);
	CHECK(dhcp_uri_problem(big) == NULL); /* 63 bytes is the most a label may have */
	snprintf(big, sizeof(big), "https://%s.%s.%s.%s", LABEL63, LABEL63, LABEL63, LABEL63);
	r = dhcp_uri_problem(big); /* a 255-byte name */
	CHECK(r && !strcmp(r, "host is not a valid name or address"));
	big[8 + 253] = '\0'; /* 253 bytes is the most a name may have */
	CHECK(dhcp_uri_problem(big) == NULL);
	r = dhcp_uri_problem("https://host:");
	CHECK(r && !strcmp(r, "bad port"));
	r = dhcp_uri_problem("https://host:0");
	CHECK(r && !strcmp(r, "bad port"));
	r = dhcp_uri_problem("https://host:65536");
	CHECK(r && !strcmp(r, "bad port"));
	r = dhcp_uri_problem("https://host:0000443");
	CHECK(r && !strcmp(r, "bad port"));
	r = dhcp_uri_problem("https://host:443x");
	CHECK(r && !strcmp(r, "bad port"));
	CHECK(dhcp_uri_problem("https://host:65535") == NULL);
	memcpy(big, "https://", 8);
	memset(big + 8, 'a', sizeof(big) - 9);
	big[sizeof(big) - 1] = '\0'; /* DHCP_URI_LEN_MAX + 1 bytes */
	r = dhcp_uri_problem(big);
	CHECK(r && !strcmp(r, "longer than 1024 bytes"));
	CHECK(!dhcp_uri_valid(big));
}

/* Encode, then parse back: the same URIs in the same order. */
static void test_encode(void)
{
	const char *uris[] = {"https://bootstrap.sztp.test", "https://onboard.sztp.test:8443",
			      "https://[fd00:143::10]"};
	const char *bad[] = {"https://ok.example", "http://bad.example"};
	static const char *many[250];
	static char names[250][300];
	sztp_bytes b = {NULL, 0}, o = {NULL, 0};
	struct dhcp_uris u;
	struct sztp_err e;
	static uint8_t out[70000];
	size_t i, outlen = 0;

	CHECK_RC(dhcp_uri_list_encode(uris, 3, &b, &e), SZTP_OK);
	CHECK(b.len == 3 * 2 + strlen(uris[0]) + strlen(uris[1]) + strlen(uris[2]));
	CHECK(b.len > 2 && b.data[0] == 0 && b.data[1] == strlen(uris[0]));
	CHECK_RC(dhcp_uri_list_parse(b.data, b.len, &u, &e), SZTP_OK);
	CHECK(u.n == 3 && u.n_invalid == 0);
	for (i = 0; i < u.n && i < 3; i++)
		CHECK(!strcmp(u.uri[i], uris[i]));
	dhcp_uris_free(&u);

	/* short: one instance, code, length, value */
	CHECK_RC(dhcp_v4_option_encode(143, b.data, b.len, &o, &e), SZTP_OK);
	CHECK(o.len == b.len + 2 && o.data[0] == 143 && o.data[1] == b.len);
	CHECK(o.len == b.len + 2 && !memcmp(o.data + 2, b.data, b.len));
	sztp_bytes_free(&o);
	sztp_bytes_free(&b);

	/* refusals name the URI and the reason; nothing is returned */
	b.len = 99;
	CHECK_RC(dhcp_uri_list_encode(bad, 2, &b, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "URI 'http://bad.example': not an https URI") != NULL);
	CHECK(b.data == NULL && b.len == 0);
	CHECK_RC(dhcp_uri_list_encode(bad, 0, &b, &e), SZTP_E_MISSING_ELEMENT);

	/* total over 65535 bytes: URIs as long as a valid one gets (a 253-byte
	 * name and a port: 267 bytes, 269 with the length) */
	for (i = 0; i < 250; i++) {
		snprintf(names[i], sizeof(names[i]), "https://%03zu%.60s.%s.%s.%.61s:65535", i,
			 LABEL63, LABEL63, LABEL63, LABEL63);
		many[i] = names[i];
	}
	CHECK(strlen(many[0]) == 267 && dhcp_uri_valid(many[0]));
	CHECK(dhcp_uri_valid(many[249]));
	CHECK_RC(dhcp_uri_list_encode(many, 244, &b, &e), SZTP_E_TOO_BIG);
	CHECK(strstr(e.msg, "is 65636 bytes") != NULL && b.data == NULL);
	/* 243 of them fit (65367 bytes) and split into 257 instances */
	CHECK_RC(dhcp_uri_list_encode(many, 243, &b, &e), SZTP_OK);
	CHECK(b.len == 243 * 269);
	CHECK_RC(dhcp_v4_option_encode(143, b.data, b.len, &o, &e), SZTP_OK);
	CHECK(o.len == b.len + 2 * ((b.len + 254) / 255));
	CHECK_RC(dhcp_v4_collect(o.data, o.len, 143, out, sizeof(out), &outlen, &e), SZTP_OK);
	CHECK(outlen == b.len && !memcmp(out, b.data, b.len));
	CHECK_RC(dhcp_uri_list_parse(out, outlen, &u, &e), SZTP_OK);
	CHECK(u.n == DHCP_URI_MAX && u.n_invalid == 243 - DHCP_URI_MAX); /* the agent keeps 32 */
	CHECK(u.n > 0 && !strcmp(u.uri[0], many[0]));
	dhcp_uris_free(&u);
	sztp_bytes_free(&o);
	sztp_bytes_free(&b);
}

/* RFC 3396 splitting: 255-byte pieces only past 255 bytes, re-joined by
 * dhcp_v4_collect. */
static void test_v4_encode(void)
{
	uint8_t v[1000], out[1000];
	sztp_bytes o = {NULL, 0};
	struct sztp_err e;
	size_t i, outlen = 0;

	for (i = 0; i < sizeof(v); i++)
		v[i] = (uint8_t)(i * 7);
	/* exactly 255: one instance */
	CHECK_RC(dhcp_v4_option_encode(143, v, 255, &o, &e), SZTP_OK);
	CHECK(o.len == 257 && o.data[0] == 143 && o.data[1] == 255);
	sztp_bytes_free(&o);
	/* 256: 255 + 1 */
	CHECK_RC(dhcp_v4_option_encode(143, v, 256, &o, &e), SZTP_OK);
	CHECK(o.len == 260 && o.data[1] == 255 && o.data[257] == 143 && o.data[258] == 1);
	CHECK(o.len == 260 && o.data[259] == v[255]);
	CHECK_RC(dhcp_v4_collect(o.data, o.len, 143, out, sizeof(out), &outlen, &e), SZTP_OK);
	CHECK(outlen == 256 && !memcmp(out, v, 256));
	sztp_bytes_free(&o);
	/* 1000: 255 255 255 235 */
	CHECK_RC(dhcp_v4_option_encode(143, v, 1000, &o, &e), SZTP_OK);
	CHECK(o.len == 1008 && o.data[2 + 255] == 143 && o.data[3 * 257] == 143);
	CHECK(o.len == 1008 && o.data[3 * 257 + 1] == 235);
	CHECK_RC(dhcp_v4_collect(o.data, o.len, 143, out, sizeof(out), &outlen, &e), SZTP_OK);
	CHECK(outlen == 1000 && !memcmp(out, v, 1000));
	sztp_bytes_free(&o);
	/* empty value: one zero-length instance */
	CHECK_RC(dhcp_v4_option_encode(143, v, 0, &o, &e), SZTP_OK);
	CHECK(o.len == 2 && o.data[1] == 0);
	sztp_bytes_free(&o);
	/* pad and end are not option codes */
	o.len = 5;
	CHECK_RC(dhcp_v4_option_encode(0, v, 3, &o, &e), SZTP_E_INVALID_VALUE);
	CHECK(o.data == NULL && o.len == 0);
	CHECK_RC(dhcp_v4_option_encode(255, v, 3, &o, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(dhcp_v4_option_encode(256, v, 3, &o, &e), SZTP_E_INVALID_VALUE);
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
	test_uri_problem();
	test_encode();
	test_v4_encode();
	test_list();
	test_list_limits();
	test_v4_split();
	test_v6();
	test_value_decode();
	test_fuzz();
	return unit_report("test_dhcp_option");
}
