/*
 * fuzz_cms_outer_type.c - lib/cms.c cms_outer_type (the contentType of a
 * ContentInfo, RFC 5652 s3) on arbitrary DER, with a roomy and a tiny OID
 * buffer.
 */
#include "cms.h"
#include "fuzz.h"

static void one(const uint8_t *data, size_t size, size_t oidlen)
{
	char oid[64];
	struct sztp_err e = {0};
	sztp_rc rc;

	memset(oid, 'X', sizeof(oid));
	rc = cms_outer_type(data, size, oid, oidlen, &e);
	fuzz_err_ok(&e, rc);
	if (rc == SZTP_OK)
		FUZZ_CHECK(memchr(oid, '\0', oidlen) != NULL);
	FUZZ_CHECK(oidlen == sizeof(oid) || oid[oidlen] == 'X');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, 64);
	one(data, size, 6);
	return 0;
}
