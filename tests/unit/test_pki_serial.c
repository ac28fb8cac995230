/* Unit tests for the device serial number of a certificate
 * (pki_cert_serial_number, pki_trust_verify_identity) and its one rule
 * (pki_serial_check): the serial is the subject serialNumber's VALUE,
 * decoded from its DER string, never its RFC 4514 rendering - "SN+1" is
 * "SN+1", not "SN\+1".  Certificates for each special character class
 * are minted by openssl (tests/unit/mkserials.sh); sztp-pki's minting
 * (pki_mint) is checked to write what the reader reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "pki.h"
#include "pki_mint.h"

static char dir[64];

static const char *path(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s.pem", dir, name);
	return buf[k];
}

static int setup(void)
{
	const char *top = getenv("SZTP_TOP");
	char cmd[512];

	snprintf(dir, sizeof(dir), "/tmp/sztp-serial-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/unit/mkserials.sh' '%s' >/dev/null 2>&1",
		 top ? top : ".", dir);
	return system(cmd);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* Certificates that must give exactly `want`, through the plain reader
 * and through the verified identity path sztpd uses. */
static void test_special_values(void)
{
	static const struct {
		const char *name, *want;
	} ok[] = {
	    {"plus", "SN+1"},	       {"comma", "SN,2"},	{"lspace", " SN3"},
	    {"tspace", "SN4 "},	       {"semicolon", "SN;5"},	{"quote", "SN\"6"},
	    {"backslash", "SN\\7"},    {"angle", "<SN8>"},	{"hash", "#SN9"},
	    {"all", "# +,;\"\\<>=x "}, {"utf8", "SN-\xc3\xa9"}, {"bmp", "SN;\xc3\xa9"},
	    {"ia5", "SN=1"},
	};
	struct pki_trust *ca = NULL;
	struct sztp_err e = {0};
	char s[PKI_SERIAL_MAX];
	size_t i;

	CHECK_RC(pki_trust_load(path("ca"), &ca, NULL), SZTP_OK);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		sztp_bytes *c = NULL;
		size_t n = 0;
		time_t na = 0;

		CHECK_RC(pki_pem_certs_read(path(ok[i].name), &c, &n, &e), SZTP_OK);
		if (!n)
			continue;
		CHECK_RC(pki_cert_serial_number(&c[0], s, sizeof(s), &e), SZTP_OK);
		if (strcmp(s, ok[i].want) != 0)
			fprintf(stderr, "%s: got '%s', want '%s' (%s)\n", ok[i].name, s, ok[i].want,
				e.msg);
		CHECK(!strcmp(s, ok[i].want));
		/* what sztpctl and sztp-pki accept: the same rule */
		CHECK_RC(pki_serial_check(ok[i].want, NULL), SZTP_OK);
		memset(s, 'x', sizeof(s));
		CHECK_RC(pki_trust_verify_identity(ca, c, n, PKI_OID_KP_CLIENT_AUTH, s, sizeof(s),
						   &na, &e),
			 SZTP_OK);
		CHECK(!strcmp(s, ok[i].want) && na > 0);
		pki_certs_free(c, n);
	}
	/* the escaped rendering is a different serial, not this one */
	{
		sztp_bytes *c = NULL;
		size_t n = 0;
		CHECK_RC(pki_pem_certs_read(path("plus"), &c, &n, NULL), SZTP_OK);
		CHECK_RC(pki_cert_serial_number(&c[0], s, sizeof(s), NULL), SZTP_OK);
		CHECK(strcmp(s, "SN\\+1") != 0);
		/* room for "SN+1" but not its NUL */
		CHECK_RC(pki_cert_serial_number(&c[0], s, 4, &e), SZTP_E_INVALID_VALUE);
		CHECK(s[0] == '\0' && strstr(e.msg, "longer than 3") != NULL);
		CHECK_RC(pki_cert_serial_number(&c[0], s, 5, NULL), SZTP_OK);
		pki_certs_free(c, n);
	}
	pki_trust_free(ca);
}

/* Values the reader refuses (and sztpctl could not have enrolled). */
static void test_refused_values(void)
{
	static const struct {
		const char *name, *msg;
		sztp_rc rc;
	} bad[] = {
	    {"esc", "control", SZTP_E_INVALID_VALUE},
	    {"c1", "control", SZTP_E_INVALID_VALUE},
	    {"badutf8", "UTF-8", SZTP_E_INVALID_VALUE},
	    {"overlong", "UTF-8", SZTP_E_INVALID_VALUE},
	    {"teletex", "unsupported", SZTP_E_UNSUPPORTED},
	    {"two", "more than one", SZTP_E_INVALID_VALUE},
	};
	struct sztp_err e = {0};
	char s[PKI_SERIAL_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sztp_bytes *c = NULL;
		size_t n = 0;

		CHECK_RC(pki_pem_certs_read(path(bad[i].name), &c, &n, &e), SZTP_OK);
		if (!n)
			continue;
		memset(s, 'x', sizeof(s));
		e.msg[0] = '\0';
		CHECK_RC(pki_cert_serial_number(&c[0], s, sizeof(s), &e), bad[i].rc);
		CHECK(s[0] == '\0');
		if (!strstr(e.msg, bad[i].msg))
			fprintf(stderr, "%s: message '%s' lacks '%s'\n", bad[i].name, e.msg,
				bad[i].msg);
		CHECK(strstr(e.msg, bad[i].msg) != NULL);
		pki_certs_free(c, n);
	}
}

static void test_serial_rule(void)
{
	char longest[PKI_SERIAL_MAX], too_long[PKI_SERIAL_MAX + 1];
	struct sztp_err e = {0};

	CHECK_RC(pki_serial_check("SN-0001", NULL), SZTP_OK);
	CHECK_RC(pki_serial_check("SN\\+1", NULL), SZTP_OK); /* a literal backslash */
	CHECK_RC(pki_serial_check(" a b ", NULL), SZTP_OK);
	CHECK_RC(pki_serial_check("\xf0\x9f\x94\x91", NULL), SZTP_OK); /* U+1F511 */
	CHECK_RC(pki_serial_check("", &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(pki_serial_check(NULL, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(pki_serial_check("a\nb", &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "U+000A") != NULL);
	CHECK_RC(pki_serial_check("a\tb", NULL), SZTP_E_INVALID_VALUE);
	CHECK_RC(pki_serial_check("a\x1b[2Jb", NULL), SZTP_E_INVALID_VALUE);
	CHECK_RC(pki_serial_check("a\x7f", NULL), SZTP_E_INVALID_VALUE);
	CHECK_RC(pki_serial_check("a\xc2\x85", NULL), SZTP_E_INVALID_VALUE); /* U+0085 NEL */
	CHECK_RC(pki_serial_check("a\xc2\xa0", NULL), SZTP_OK);		     /* U+00A0 */
	CHECK_RC(pki_serial_check("a\xff", &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "UTF-8") != NULL);
	CHECK_RC(pki_serial_check("a\xc3", NULL), SZTP_E_INVALID_VALUE);	    /* truncated */
	CHECK_RC(pki_serial_check("\xed\xa0\x80", NULL), SZTP_E_INVALID_VALUE);	    /* surrogate */
	CHECK_RC(pki_serial_check("\xe0\x80\xaf", NULL), SZTP_E_INVALID_VALUE);	    /* overlong */
	CHECK_RC(pki_serial_check("\xf4\x90\x80\x80", NULL), SZTP_E_INVALID_VALUE); /* >10FFFF */
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	CHECK_RC(pki_serial_check(longest, NULL), SZTP_OK);
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	CHECK_RC(pki_serial_check(too_long, &e), SZTP_E_INVALID_VALUE);
}

/* sztp-pki's minting writes a serial outside the PrintableString alphabet
 * as a UTF8String, and the reader gives back exactly what was minted. */
static void test_minted(void)
{
	static const char *serials[] = {"SN+1", "SN;2", "#SN3", " SN4 ", "SN\"\\<>5", "SN,=6"};
	struct mint_profile p;
	struct sztp_err e = {0};
	char s[PKI_SERIAL_MAX];
	size_t i;

	for (i = 0; i < sizeof(serials) / sizeof(serials[0]); i++) {
		struct mint_ident *id = NULL;

		memset(&p, 0, sizeof(p));
		p.cn = "Device";
		p.serial_attr = serials[i];
		p.key_usage = PKI_KU_DIGITAL_SIGNATURE;
		p.not_before = time(NULL) - 60;
		p.not_after = time(NULL) + 3600;
		CHECK_RC(mint_issue(&p, 0, NULL, &id, &e), SZTP_OK);
		if (!id)
			continue;
		CHECK_RC(pki_cert_serial_number(mint_ident_der(id), s, sizeof(s), &e), SZTP_OK);
		CHECK(!strcmp(s, serials[i]));
		mint_ident_free(id);
	}
	/* a control character is refused when minting too */
	{
		struct mint_ident *id = NULL;
		memset(&p, 0, sizeof(p));
		p.cn = "Device";
		p.serial_attr = "SN\x1b";
		p.not_before = time(NULL) - 60;
		p.not_after = time(NULL) + 3600;
		CHECK_RC(mint_issue(&p, 0, NULL, &id, &e), SZTP_E_INVALID_VALUE);
		CHECK(id == NULL);
	}
}

int main(void)
{
	if (setup() != 0) {
		fprintf(stderr, "cannot mint the serial test certificates in %s\n", dir);
		unit_failed++;
		return unit_report("test_pki_serial");
	}
	test_special_values();
	test_refused_values();
	test_serial_rule();
	test_minted();
	teardown();
	return unit_report("test_pki_serial");
}
