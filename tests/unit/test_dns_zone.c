/*
 * test_dns_zone.c - master-file text of the RFC 8572 s4.2 records
 * (lib/dns_zone.c): serial labels (dns_label_escape) read back as a zone
 * file reads them for every byte value, zone names, the server URIs
 * an SRV record can name (no IP literals), TXT RDATA sizes and
 * character-strings of at most 255 bytes that read back to "key=" + data.
 */
#include <stdlib.h>

#include "dns_zone.h"
#include "unit.h"

/* Read master-file text back (\DDD, \X, or the character; quotes
 * delimit character-strings, which are concatenated): the bytes into
 * out, *nstr the number of strings (0 for a label), each string's length
 * checked against max.  -1 on a malformed escape or an overlong string. */
static int unescape(const char *s, uint8_t *out, size_t *len, size_t *nstr, size_t max)
{
	size_t n = 0, cur = 0;
	int in = 0;

	*nstr = 0;
	for (; *s; s++) {
		int ch = (unsigned char)*s;

		if (ch == '"') {
			in = !in;
			if (in) {
				(*nstr)++;
				cur = 0;
			}
			continue;
		}
		if (*nstr && !in)
			continue; /* a separator between strings */
		if (ch == '\\') {
			if (s[1] >= '0' && s[1] <= '9') {
				if (!(s[2] >= '0' && s[2] <= '9' && s[3] >= '0' && s[3] <= '9'))
					return -1;
				ch = (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
				if (ch > 255)
					return -1;
				s += 3;
			} else if (s[1]) {
				ch = (unsigned char)*++s;
			} else {
				return -1;
			}
		}
		out[n++] = (uint8_t)ch;
		if (++cur > max)
			return -1;
	}
	*len = n;
	return in ? -1 : 0;
}

/* dns_label_escape (lib/dns_msg.c, the agent's too) as a zone file reads
 * it: every byte value a serial can hold reads back, and nothing that
 * means something in a master file (RFC 1035 s5.1) is left bare. */
static void test_label(void)
{
	char out[DNS_LABEL_TXT], in[DNS_LABEL_MAX + 2];
	uint8_t back[300];
	size_t len, nstr;
	struct sztp_err e = {0};
	int ch, ok = 1;

	CHECK_RC(dns_label_escape("SN.2", out, sizeof(out), &e), SZTP_OK);
	CHECK(!strcmp(out, "SN\\.2"));
	CHECK_RC(dns_label_escape("SN 3", out, sizeof(out), &e), SZTP_OK);
	CHECK(!strcmp(out, "SN\\0323"));
	for (ch = 1; ch < 256; ch++) {
		in[0] = (char)ch;
		in[1] = '\0';
		if (dns_label_escape(in, out, sizeof(out), &e) != SZTP_OK ||
		    unescape(out, back, &len, &nstr, 255) < 0 || len != 1 || back[0] != ch ||
		    (strlen(out) == 1 && strchr(".\\\"();$@ ", ch)))
			ok = 0;
	}
	CHECK(ok);
	/* the longest label fits DNS_LABEL_TXT escaped; a longer one is refused */
	memset(in, ' ', DNS_LABEL_MAX);
	in[DNS_LABEL_MAX] = '\0';
	CHECK_RC(dns_label_escape(in, out, sizeof(out), &e), SZTP_OK);
	CHECK(unescape(out, back, &len, &nstr, 255) == 0 && len == DNS_LABEL_MAX);
	in[DNS_LABEL_MAX] = ' ';
	in[DNS_LABEL_MAX + 1] = '\0';
	CHECK_RC(dns_label_escape(in, out, sizeof(out), &e), SZTP_E_INVALID_VALUE);
}

static void test_zone(void)
{
	char out[DNS_TEXT_MAX], name[300];
	size_t wire;

	CHECK(dns_zone_problem("example.com", out, sizeof(out), &wire) == NULL);
	CHECK(!strcmp(out, "example.com."));
	CHECK(wire == 13);
	CHECK(dns_zone_problem("Example.COM.", out, sizeof(out), &wire) == NULL);
	CHECK(!strcmp(out, "Example.COM."));
	CHECK(dns_zone_problem("_sztp-lab.a_b.example", out, sizeof(out), &wire) == NULL);
	CHECK(dns_zone_problem("", out, sizeof(out), &wire) != NULL);
	CHECK(dns_zone_problem(".", out, sizeof(out), &wire) != NULL);
	CHECK(!strcmp(dns_zone_problem("a..b", out, sizeof(out), &wire), "has an empty label"));
	CHECK(out[0] == '\0' && wire == 0);
	CHECK(dns_zone_problem(".a", out, sizeof(out), &wire) != NULL);
	CHECK(dns_zone_problem("a.b..", out, sizeof(out), &wire) != NULL);
	CHECK(strstr(dns_zone_problem("bad zone", out, sizeof(out), &wire), "character") != NULL);
	CHECK(dns_zone_problem("a\\.b", out, sizeof(out), &wire) != NULL);
	CHECK(dns_zone_problem("-a.com", out, sizeof(out), &wire) != NULL);
	CHECK(dns_zone_problem("a-.com", out, sizeof(out), &wire) != NULL);
	CHECK(dns_zone_problem("exa\xc3\xa9mple.com", out, sizeof(out), &wire) != NULL);
	/* a label of 63 bytes fits, 64 do not */
	memset(name, 'a', 64);
	strcpy(name + 64, ".com");
	CHECK(strstr(dns_zone_problem(name, out, sizeof(out), &wire), "63") != NULL);
	CHECK(dns_zone_problem(name + 1, out, sizeof(out), &wire) == NULL);
	/* 253 characters (255 bytes on the wire) fit, 254 do not */
	memset(name, 'a', 253);
	name[253] = '\0';
	name[63] = name[127] = name[191] = '.';
	CHECK(dns_zone_problem(name, out, sizeof(out), &wire) == NULL);
	CHECK(wire == 255);
	strcat(name, "b");
	CHECK(strstr(dns_zone_problem(name, out, sizeof(out), &wire), "255") != NULL);
}

static void test_server_uri(void)
{
	char host[DNS_TEXT_MAX];
	unsigned port;
	const char *why;

	CHECK(dns_server_uri_problem("https://bootstrap.example.com", host, sizeof(host), &port) ==
	      NULL);
	CHECK(!strcmp(host, "bootstrap.example.com.") && port == 443);
	CHECK(dns_server_uri_problem("HTTPS://b.example:8443", host, sizeof(host), &port) == NULL);
	CHECK(!strcmp(host, "b.example.") && port == 8443);
	CHECK(dns_server_uri_problem("https://b.example.:443", host, sizeof(host), &port) == NULL);
	CHECK(!strcmp(host, "b.example.") && port == 443);
	CHECK(!strcmp(dns_server_uri_problem("http://b.example", host, sizeof(host), &port),
		      "not an https URI"));
	CHECK(host[0] == '\0' && port == 0);
	why = dns_server_uri_problem("https://192.0.2.1", host, sizeof(host), &port);
	CHECK(why && strstr(why, "IP address"));
	why = dns_server_uri_problem("https://192.0.2.1:8443", host, sizeof(host), &port);
	CHECK(why && strstr(why, "IP address"));
	why = dns_server_uri_problem("https://[2001:db8::1]:8443", host, sizeof(host), &port);
	CHECK(why && strstr(why, "IP address"));
	CHECK(strstr(dns_server_uri_problem("https://b.example/", host, sizeof(host), &port),
		     "path"));
	CHECK(strstr(dns_server_uri_problem("https://b.example?x", host, sizeof(host), &port),
		     "query or fragment"));
	CHECK(strstr(dns_server_uri_problem("https://b.example#x", host, sizeof(host), &port),
		     "query or fragment"));
	CHECK(strstr(dns_server_uri_problem("https://u@b.example", host, sizeof(host), &port),
		     "user"));
	CHECK(!strcmp(dns_server_uri_problem("https://b.example:0", host, sizeof(host), &port),
		      "bad port"));
	CHECK(!strcmp(dns_server_uri_problem("https://b.example:65536", host, sizeof(host), &port),
		      "bad port"));
	CHECK(!strcmp(dns_server_uri_problem("https://b.example:", host, sizeof(host), &port),
		      "bad port"));
	CHECK(!strcmp(dns_server_uri_problem("https://b.example:44x", host, sizeof(host), &port),
		      "bad port"));
	CHECK(!strcmp(dns_server_uri_problem("https://b.example:000443", host, sizeof(host), &port),
		      "bad port"));
	CHECK(dns_server_uri_problem("https://", host, sizeof(host), &port) != NULL);
	CHECK(dns_server_uri_problem("https://:443", host, sizeof(host), &port) != NULL);
	CHECK(dns_server_uri_problem("https://a..b", host, sizeof(host), &port) != NULL);
	CHECK(dns_server_uri_problem("https://a b", host, sizeof(host), &port) != NULL);
	CHECK(dns_server_uri_problem("https://b.example", host, 5, &port) != NULL);
}

static void test_txt(void)
{
	uint8_t data[70000], back[90000];
	char *t = NULL;
	size_t len, nstr, i;
	struct sztp_err e = {0};

	CHECK(dns_txt_rdlen(2, 0) == 4);     /* "ci=" in one string */
	CHECK(dns_txt_rdlen(2, 252) == 256); /* 255 bytes: one string */
	CHECK(dns_txt_rdlen(2, 253) == 258); /* 256 bytes: two */
	CHECK_RC(dns_txt_text("ci", (const uint8_t *)"ab", 2, " ", &t, &e), SZTP_OK);
	CHECK(t && !strcmp(t, "\"ci=ab\""));
	free(t);
	CHECK_RC(dns_txt_text("oc", (const uint8_t *)"\"\\\0 \xff;()", 8, " ", &t, &e), SZTP_OK);
	CHECK(t && !strcmp(t, "\"oc=\\\"\\\\\\000\\032\\255;()\""));
	free(t);
	/* every byte value, in strings of 255 bytes that read back */
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	CHECK_RC(dns_txt_text("ov", data, 600, "\n\t", &t, &e), SZTP_OK);
	CHECK(t && unescape(t, back, &len, &nstr, 255) == 0);
	CHECK(len == 603 && nstr == 3);
	CHECK(!memcmp(back, "ov=", 3) && !memcmp(back + 3, data, 600));
	CHECK(t && strstr(t, "\"\n\t\"") != NULL);
	free(t);
	CHECK_RC(dns_txt_text("ci", data, sizeof(data), " ", &t, &e), SZTP_OK);
	CHECK(t && unescape(t, back, &len, &nstr, 255) == 0);
	CHECK(len == sizeof(data) + 3 && nstr == (sizeof(data) + 3 + 254) / 255);
	CHECK(!memcmp(back + 3, data, sizeof(data)));
	/* the RDATA length agrees with what the text holds */
	CHECK(dns_txt_rdlen(2, sizeof(data)) == len + nstr);
	free(t);
}

int main(void)
{
	test_label();
	test_zone();
	test_server_uri();
	test_txt();
	return unit_report("test_dns_zone");
}
