/*
 * fuzz_dns_msg.c - lib/dns_msg.c, what the agent takes from an untrusted
 * DNS answer (RFC 8572 s4.2): the input is a DNS response message given
 * to both parsers.  Promises: a TXT set parses to keys whose values lie
 * within the message, nothing is left on failure; an SRV list holds at
 * most max host names (no trailing dot, host name characters only, port
 * not 0) in priority/weight order, and is empty on failure.  The input's
 * first 64 bytes as a serial must escape into a label that unescapes
 * back to them.
 */
#include "dns_msg.h"
#include "fuzz.h"

static void txt(const uint8_t *data, size_t size)
{
	struct dns_sztp_txt t;
	struct sztp_err e = {0};
	sztp_rc rc;

	rc = dns_sztp_txt_parse(data, size, &t, &e);
	fuzz_err_ok(&e, rc);
	if (rc != SZTP_OK) {
		FUZZ_CHECK(!t.keys && !t.n_rr && !t.ci.data && !t.oc.data && !t.ov.data);
		return;
	}
	FUZZ_CHECK(t.n_rr >= 1 && t.n_ignored <= t.n_rr);
	FUZZ_CHECK(t.ci.len + t.oc.len + t.ov.len < size);
	FUZZ_CHECK(!!(t.keys & DNS_KEY_CI) == !!t.ci.data);
	FUZZ_CHECK(!!(t.keys & DNS_KEY_OC) == !!t.oc.data);
	FUZZ_CHECK(!!(t.keys & DNS_KEY_OV) == !!t.ov.data);
	dns_sztp_txt_free(&t);
}

static void srv(const uint8_t *data, size_t size)
{
	struct dns_srv s[8];
	struct sztp_err e = {0};
	size_t max = size ? 1 + data[size - 1] % 8 : 8, n = 99, skipped = 99, i, l;
	sztp_rc rc;

	rc = dns_srv_parse(data, size, s, max, &n, &skipped, &e);
	fuzz_err_ok(&e, rc);
	if (rc != SZTP_OK) {
		FUZZ_CHECK(n == 0 && skipped == 0);
		return;
	}
	FUZZ_CHECK(n <= max);
	for (i = 0; i < n; i++) {
		l = strnlen(s[i].target, sizeof(s[i].target));
		FUZZ_CHECK(l > 0 && l < sizeof(s[i].target) && s[i].target[l - 1] != '.');
		FUZZ_CHECK(strspn(s[i].target,
				  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789-_.") == l);
		FUZZ_CHECK(s[i].port != 0);
		if (i)
			FUZZ_CHECK(
			    s[i - 1].priority < s[i].priority ||
			    (s[i - 1].priority == s[i].priority && s[i - 1].weight >= s[i].weight));
	}
}

/* \X and \DDD back to bytes; -1 when in is not one label in
 * presentation form (a bare '.' would split it). */
static int unescape(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in; in++) {
		if (o + 1 >= cap || *in == '.')
			return -1;
		if (*in != '\\') {
			out[o++] = *in;
			continue;
		}
		if (in[1] >= '0' && in[1] <= '9') {
			if (!(in[2] >= '0' && in[2] <= '9' && in[3] >= '0' && in[3] <= '9'))
				return -1;
			out[o++] = (char)((in[1] - '0') * 100 + (in[2] - '0') * 10 + (in[3] - '0'));
			in += 3;
		} else if (in[1]) {
			out[o++] = *++in;
		} else {
			return -1;
		}
	}
	out[o] = '\0';
	return 0;
}

static void label(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size < 64 ? size : 64), out[DNS_LABEL_TXT], back[128];
	struct sztp_err e = {0};
	const char *p;
	sztp_rc rc;

	rc = dns_label_escape(s, out, sizeof(out), &e);
	fuzz_err_ok(&e, rc);
	if (rc == SZTP_OK) {
		FUZZ_CHECK(strlen(out) < sizeof(out));
		for (p = out; *p; p++)
			FUZZ_CHECK(*p > ' ' && *p < 0x7f);
		FUZZ_CHECK(unescape(out, back, sizeof(back)) == 0 && !strcmp(back, s));
	} else {
		FUZZ_CHECK(out[0] == '\0' && (!*s || strlen(s) > DNS_LABEL_MAX));
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	txt(data, size);
	srv(data, size);
	label(data, size);
	return 0;
}
