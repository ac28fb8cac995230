/* Unit tests for lib/conveyed.c: exact bytes of the documents sztpd signs
 * (members in YANG order, base64 binaries, colon hex-string hash), their
 * validity against ietf-sztp-conveyed-info, and refusals. */
#include "conveyed.h"
#include "unit.h"
#include "util.h"
#include "yang.h"

static void test_onboarding(struct sztp_yang *y)
{
	static const char *uris[] = {"https://a.example/img", "https://b.example/img"};
	uint8_t h[32];
	sztp_bytes cfg = {(uint8_t *)"hostname x\n", 11}, pre = {(uint8_t *)"#!/bin/sh\n", 10};
	struct conveyed_image img = {"os", "1.2", uris, 2, h};
	struct conveyed_onboarding o = {&img, "merge", &pre, &cfg, NULL};
	char *j = NULL, *j2 = NULL;
	size_t i;

	for (i = 0; i < 32; i++)
		h[i] = (uint8_t)i;
	CHECK_RC(conveyed_onboarding_json(&o, &j, NULL), SZTP_OK);
	CHECK(j && !strcmp(j, "{\"ietf-sztp-conveyed-info:onboarding-information\":{\"boot-image\":"
			      "{\"os-name\":\"os\",\"os-version\":\"1.2\",\"download-uri\":["
			      "\"https://a.example/img\",\"https://b.example/img\"],"
			      "\"image-verification\":[{\"hash-algorithm\":"
			      "\"ietf-sztp-conveyed-info:sha-256\",\"hash-value\":"
			      "\"00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:"
			      "16:17:18:19:1a:1b:1c:1d:1e:1f\"}]},\"configuration-handling\":"
			      "\"merge\",\"pre-configuration-script\":\"IyEvYmluL3NoCg==\","
			      "\"configuration\":\"aG9zdG5hbWUgeAo=\"}}"));
	if (j)
		CHECK_RC(yang_conveyed_validate(y, YANG_ENC_JSON, j, strlen(j), NULL), SZTP_OK);
	CHECK_RC(conveyed_onboarding_json(&o, &j2, NULL), SZTP_OK);
	CHECK(j && j2 && !strcmp(j, j2)); /* deterministic */
	free(j);
	free(j2);

	/* nothing at all is refused */
	{
		struct conveyed_onboarding empty = {NULL, NULL, NULL, NULL, NULL};
		char *x = NULL;
		CHECK(conveyed_onboarding_json(&empty, &x, NULL) != SZTP_OK);
		CHECK(x == NULL);
	}
}

static void test_redirect(struct sztp_yang *y)
{
	sztp_bytes ta = {(uint8_t *)"\x30\x03\x02\x01\x01", 5};
	struct conveyed_server s[2] = {{"sztp.example.net", 8443, &ta}, {"2001:db8::1", 0, NULL}};
	struct conveyed_server dup[2] = {{"a.example", 0, NULL}, {"a.example", 0, NULL}};
	struct conveyed_server big = {"a.example", 70000, NULL};
	char *j = NULL;

	CHECK_RC(conveyed_redirect_json(s, 2, &j, NULL), SZTP_OK);
	CHECK(j && !strcmp(j, "{\"ietf-sztp-conveyed-info:redirect-information\":{"
			      "\"bootstrap-server\":[{\"address\":\"sztp.example.net\",\"port\":"
			      "8443,\"trust-anchor\":\"MAMCAQE=\"},{\"address\":\"2001:db8::1\"}]}}"));
	if (j)
		CHECK_RC(yang_conveyed_validate(y, YANG_ENC_JSON, j, strlen(j), NULL), SZTP_OK);
	free(j);
	j = NULL;
	CHECK(conveyed_redirect_json(s, 0, &j, NULL) != SZTP_OK);
	CHECK(conveyed_redirect_json(dup, 2, &j, NULL) != SZTP_OK);
	CHECK(conveyed_redirect_json(&big, 1, &j, NULL) != SZTP_OK);
	CHECK(j == NULL);
}

int main(void)
{
	struct sztp_yang *y = NULL;

	CHECK_RC(yang_open(sztp_yang_dir_default(), &y, NULL), SZTP_OK);
	test_onboarding(y);
	test_redirect(y);
	yang_close(y);
	return unit_report("test_conveyed");
}
