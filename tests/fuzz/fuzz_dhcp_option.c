/*
 * fuzz_dhcp_option.c - lib/dhcp_option.c, what the agent takes from a
 * DHCP server through its hook (RFC 8572 s8): the input goes through the
 * hook-value decoder, the URI-list parser, the DHCPv4 RFC 3396 collector
 * and the DHCPv6 singleton finder.  Promises: every URI kept is valid by
 * dhcp_uri_problem; the kept list encodes and parses back to itself, and
 * its DHCPv4 option instances (split at 255 bytes) collect back to the
 * same value; failures leave nothing behind.
 */
#include "dhcp_option.h"
#include "fuzz.h"

static void roundtrip(const struct dhcp_uris *u)
{
	struct dhcp_uris back = {0};
	struct sztp_err e = {0};
	sztp_bytes enc = {0}, v4 = {0};
	uint8_t *cat;
	size_t n = 0, i;

	FUZZ_CHECK(dhcp_uri_list_encode((const char *const *)u->uri, u->n, &enc, &e) == SZTP_OK);
	FUZZ_CHECK(dhcp_uri_list_parse(enc.data, enc.len, &back, &e) == SZTP_OK);
	FUZZ_CHECK(back.n == u->n && back.n_invalid == 0);
	for (i = 0; i < u->n; i++)
		FUZZ_CHECK(!strcmp(back.uri[i], u->uri[i]));
	FUZZ_CHECK(dhcp_v4_option_encode(DHCP_V4_SZTP_REDIRECT, enc.data, enc.len, &v4, &e) ==
		   SZTP_OK);
	FUZZ_CHECK(v4.len == enc.len + 2 * ((enc.len + 254) / 255));
	cat = malloc(enc.len);
	FUZZ_CHECK(cat != NULL);
	FUZZ_CHECK(dhcp_v4_collect(v4.data, v4.len, DHCP_V4_SZTP_REDIRECT, cat, enc.len, &n, &e) ==
		   SZTP_OK);
	FUZZ_CHECK(n == enc.len && !memcmp(cat, enc.data, n));
	free(cat);
	sztp_bytes_free(&v4);
	sztp_bytes_free(&enc);
	dhcp_uris_free(&back);
}

static void list(const uint8_t *v, size_t len)
{
	struct dhcp_uris u;
	struct sztp_err e = {0};
	sztp_rc rc = dhcp_uri_list_parse(v, len, &u, &e);
	size_t i;

	fuzz_err_ok(&e, rc);
	if (rc != SZTP_OK) {
		FUZZ_CHECK(u.n == 0);
		return;
	}
	FUZZ_CHECK(u.n >= 1 && u.n <= DHCP_URI_MAX);
	for (i = 0; i < u.n; i++)
		FUZZ_CHECK(dhcp_uri_problem(u.uri[i]) == NULL);
	roundtrip(&u);
	dhcp_uris_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sztp_err e = {0};
	uint8_t *v = malloc(size + 1), *cat = malloc(65536);
	const uint8_t *val = NULL;
	size_t vlen = 0, n = 0;
	char *s = fuzz_str(data, size);
	sztp_rc rc;

	FUZZ_CHECK(v && cat);
	/* a hook value: hex or raw */
	rc = dhcp_value_decode(data, size, v, &vlen, &e);
	fuzz_err_ok(&e, rc);
	if (rc == SZTP_OK) {
		FUZZ_CHECK(vlen <= size);
		list(v, vlen);
	}
	/* the raw input as a URI list, a DHCPv4 options area, DHCPv6 options */
	list(data, size);
	e = (struct sztp_err){0};
	rc = dhcp_v4_collect(data, size, DHCP_V4_SZTP_REDIRECT, cat, 65536, &n, &e);
	fuzz_err_ok(&e, rc);
	if (rc == SZTP_OK) {
		FUZZ_CHECK(n <= size);
		list(cat, n);
	}
	e = (struct sztp_err){0};
	rc = dhcp_v6_find(data, size, DHCP_V6_SZTP_REDIRECT, &val, &n, &e);
	fuzz_err_ok(&e, rc);
	if (rc == SZTP_OK) {
		FUZZ_CHECK(val >= data && n <= size && (size_t)(val - data) + n <= size);
		list(val, n);
	}
	/* the raw input as one URI: a reason or valid, never a crash */
	(void)dhcp_uri_problem(s);
	free(s);
	free(v);
	free(cat);
	return 0;
}
