/*
 * fuzz_cms_content_info_parse.c - lib/cms.c bare ContentInfo parser
 * (unsigned conveyed information, RFC 8572 s3.1) on arbitrary DER, with a
 * roomy and a tiny OID buffer.
 */
#include "cms.h"
#include "fuzz.h"

static void one(const uint8_t *data, size_t size, size_t oidlen)
{
	char oid[64];
	sztp_bytes content = {0};
	struct sztp_err e = {0};
	sztp_rc rc;

	memset(oid, 'X', sizeof(oid));
	rc = cms_content_info_parse(data, size, oid, oidlen, &content, &e);
	fuzz_err_ok(&e, rc);
	if (rc == SZTP_OK) {
		FUZZ_CHECK(memchr(oid, '\0', oidlen) != NULL);
		FUZZ_CHECK(content.len <= size);
	}
	FUZZ_CHECK(oidlen == sizeof(oid) || oid[oidlen] == 'X'); /* no write past oidlen */
	sztp_bytes_free(&content);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, 64);
	one(data, size, 8);
	return 0;
}
